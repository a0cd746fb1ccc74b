import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { UserError } from "../../src/errors.js";
import { createLiveGateway } from "../../src/live/gateway.js";
import { buildPatchOps } from "../../src/live/patch.js";
import type { LiveGateway } from "../../src/live/types.js";
import type { PlanSettings } from "../../src/model/state.js";
import { closedPort } from "../store/helpers.js";
import { type GatewaySandbox, OWNER_TAG, PACING, scope, startGatewaySandbox } from "./helpers.js";

let env: GatewaySandbox;
let gw: LiveGateway;
let api: string;

beforeAll(async () => {
  env = await startGatewaySandbox();
  gw = env.gateway();
  api = env.seed.restApiId;
});
afterAll(() => env.stop());

async function livePlan(id: string) {
  const state = await gw.readLive(scope({ recordIds: [id] }));
  return state.plans.find((p) => p.id === id);
}

function settings(overrides: Partial<PlanSettings> = {}): PlanSettings {
  return { name: "Gold", stages: [], tags: {}, ...overrides };
}

async function captureError(p: Promise<unknown>): Promise<UserError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return err as UserError;
}

describe("createPlan", () => {
  it("creates every setting in one call; readLive returns exactly the normalised settings", async () => {
    const wanted = settings({
      name: "Premium Weather",
      description: "premium tier",
      throttle: { rateLimit: 12.5, burstLimit: 20 },
      quota: { limit: 10000, period: "MONTH", offset: 3 },
      stages: [
        { apiId: api, stage: "dev", throttle: {} },
        {
          apiId: api,
          stage: "prod",
          throttle: { "/alerts/POST": { burstLimit: 2 }, "/forecast/GET": { rateLimit: 5, burstLimit: 10 } },
        },
      ],
      tags: { cost: "weather", team: "platform" },
    });
    const id = await gw.createPlan(wanted, { [OWNER_TAG]: "premium-weather" });
    const live = await livePlan(id);
    expect(live).toEqual({ id, settings: wanted, keys: [], ownerPlanId: "premium-weather" });
  });
});

describe("updatePlan", () => {
  const stage = (name: string, throttle: PlanSettings["stages"][number]["throttle"] = {}) => ({
    apiId: api,
    stage: name,
    throttle,
  });
  const steps = (): Array<[string, PlanSettings]> => [
    [
      "add stages, throttle and quota",
      settings({
        throttle: { rateLimit: 10, burstLimit: 20 },
        quota: { limit: 500, period: "WEEK", offset: 2 },
        stages: [stage("dev"), stage("prod", { "/forecast/GET": { rateLimit: 1, burstLimit: 2 } })],
      }),
    ],
    [
      "drop a throttle member, change quota period and offset, rename",
      settings({
        name: "Gold 2",
        description: "now described",
        throttle: { rateLimit: 10 },
        quota: { limit: 600, period: "DAY", offset: 0 },
        stages: [stage("dev", { "//GET": { burstLimit: 1 } }), stage("prod")],
      }),
    ],
    [
      "remove a stage, throttle and quota; clear description",
      settings({ name: "Gold 2", stages: [stage("prod")] }),
    ],
    ["burst only, back to no stages", settings({ throttle: { burstLimit: 7 } })],
  ];

  it("round-trips buildPatchOps(before, after) through live for several pairs", async () => {
    const id = await gw.createPlan(settings(), { [OWNER_TAG]: "gold" });
    let before = settings();
    for (const [what, after] of steps()) {
      await gw.updatePlan(id, buildPatchOps(before, after));
      expect((await livePlan(id))?.settings, what).toEqual(after);
      before = after;
    }
  });

  it("makes no call for no operations, and names the plan when the update fails", async () => {
    const before = gw.callCounts().UpdateUsagePlan ?? 0;
    await gw.updatePlan("nope00", []);
    expect(gw.callCounts().UpdateUsagePlan ?? 0).toBe(before);
    const err = await captureError(gw.updatePlan("nope00", [{ op: "replace", path: "/name", value: "x" }]));
    expect(err.message).toMatch(
      /^API Gateway UpdateUsagePlan on usage plan nope00 failed at .*: NotFoundException/,
    );
  });
});

describe("deletePlan", () => {
  it("detaches stages then deletes; deleting again is fine", async () => {
    const stages = [
      { apiId: api, stage: "dev", throttle: {} },
      { apiId: api, stage: "prod", throttle: {} },
    ];
    const id = await gw.createPlan(settings({ stages }), {});
    await gw.deletePlan(id, [`${api}:dev`, `${api}:prod`]);
    expect(await livePlan(id)).toBeUndefined();
    await gw.deletePlan(id, [`${api}:dev`]);
    await gw.deletePlan(id, []);
  });

  it("recovers from a stale stage list by detaching the plan's actual stages", async () => {
    const id = await gw.createPlan(settings({ stages: [{ apiId: api, stage: "prod", throttle: {} }] }), {});
    await gw.deletePlan(id, [`${api}:dev`]);
    expect(await livePlan(id)).toBeUndefined();
  });
});

describe("keys", () => {
  it("attachKey is idempotent; detachKey of a non-member or twice is fine", async () => {
    const [key] = await env.createApiKeys(["attach-me"]);
    const id = await gw.createPlan(settings({ stages: [{ apiId: api, stage: "dev", throttle: {} }] }), {});
    await gw.attachKey(id, key ?? "");
    await gw.attachKey(id, key ?? "");
    expect((await livePlan(id))?.keys).toEqual([key]);
    await gw.detachKey(id, key ?? "");
    await gw.detachKey(id, key ?? "");
    expect((await livePlan(id))?.keys).toEqual([]);
  });

  it("explains a key that is already in another plan on the same stage", async () => {
    const [key] = await env.createApiKeys(["conflicted"]);
    const prod = [{ apiId: api, stage: "prod", throttle: {} }];
    const first = await gw.createPlan(settings({ name: "First", stages: prod }), {});
    const second = await gw.createPlan(settings({ name: "Second", stages: prod }), {});
    await gw.attachKey(first, key ?? "");
    const err = await captureError(gw.attachKey(second, key ?? ""));
    expect(err.message).toBe(
      `API key ${key} cannot join usage plan ${second}: it is already in usage plan ${first} (First), which also covers ${api}:prod.`,
    );
    expect(err.hint).toMatch(/same API stage/);
  });
});

describe("tags, identity and errors", () => {
  it("tags and untags a plan", async () => {
    const id = await gw.createPlan(settings({ tags: { a: "1" } }), { [OWNER_TAG]: "tagged" });
    await gw.tagPlan(id, { b: "2", a: "3" });
    await gw.untagPlan(id, ["a"]);
    const live = await livePlan(id);
    expect(live?.settings.tags).toEqual({ b: "2" });
    expect(live?.ownerPlanId).toBe("tagged");
  });

  it("reports the sandbox identity (STS GetCallerIdentity at AWS_ENDPOINT_URL_STS)", async () => {
    vi.stubEnv("AWS_ENDPOINT_URL_STS", env.sb.sts.endpoint);
    try {
      expect(await gw.callerIdentity()).toBe((await env.sb.admin.identity()).arn);
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it("waits out a 429 that escapes the SDK's retries", async () => {
    const single = env.gateway({ maxAttempts: 1 });
    await env.sb.admin.setFaults({ failOperation: { operation: "GetRestApis", status: 429, count: 1 } });
    try {
      const state = await single.readLive(scope());
      expect(state.restApis.length).toBeGreaterThan(0);
      expect(single.callCounts().GetRestApis).toBe(2);
    } finally {
      await env.sb.admin.resetFaults();
    }
  });

  it("says it cannot reach API Gateway at an unreachable endpoint", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const down = createLiveGateway({
      target: { region: "us-east-1", endpoint, credentials: env.sb.credentials, maxAttempts: 1 },
      pacing: PACING,
    });
    try {
      const err = await captureError(down.readLive(scope()));
      expect(err.message).toBe(`Cannot reach API Gateway at ${endpoint} (ECONNREFUSED).`);
      expect(err.hint).toMatch(/AWS_ENDPOINT_URL_API_GATEWAY/);
      expect(await down.callerIdentity()).toMatch(/^(unknown:|arn:)/);
    } finally {
      down.destroy();
    }
  });
});
