import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveGateway } from "../../src/live/types.js";
import type { LiveState } from "../../src/model/state.js";
import { type GatewaySandbox, OWNER_TAG, scope, startGatewaySandbox } from "./helpers.js";

const PLAN_COUNT = 28;
const KEY_COUNT = 27;

let env: GatewaySandbox;
let gw: LiveGateway;
let keyIds: string[];
let planIds: string[];
let emptyApiId: string;

/** Plan i: owned (tagged) when i % 3 === 0, untagged otherwise; two keys each. */
async function createFixtures(): Promise<void> {
  keyIds = await env.createApiKeys(
    Array.from({ length: KEY_COUNT }, (_, i) => `key-${String(i).padStart(2, "0")}`),
  );
  planIds = [];
  for (let i = 0; i < PLAN_COUNT; i++) {
    const tags: Record<string, string> = i % 3 === 0 ? { [OWNER_TAG]: `plan-${i}` } : {};
    const id = await gw.createPlan({ name: `Plan ${i}`, stages: [], tags: { n: String(i) } }, tags);
    planIds.push(id);
    for (const k of [keyIds[i % KEY_COUNT], keyIds[(i + 1) % KEY_COUNT]]) await gw.attachKey(id, k ?? "");
  }
  emptyApiId = await env.createRestApi("empty-api");
}

beforeAll(async () => {
  env = await startGatewaySandbox();
  gw = env.gateway();
  await createFixtures();
});
afterAll(() => env.stop());

function plan(state: LiveState, id: string | undefined) {
  const found = state.plans.find((p) => p.id === id);
  if (!found) throw new Error(`plan ${id} not read`);
  return found;
}

describe("readLive", () => {
  it("reads every plan and key across pages, the same as with one page", async () => {
    const s = scope({ recordIds: [planIds[1] ?? ""] });
    const paged = await env.gateway({ pageSize: 7 }).readLive(s);
    const whole = await gw.readLive(s);
    expect(paged.plans).toHaveLength(PLAN_COUNT);
    expect(paged.apiKeys).toHaveLength(KEY_COUNT + env.seed.apiKeys.length);
    expect(paged).toEqual(whole);
    expect(whole.region).toBe(env.sb.region);
  });

  it("detects ownership by tag and reads keys of managed plans only", async () => {
    const state = await gw.readLive(scope({ recordIds: [planIds[1] ?? ""] }));
    const owned = plan(state, planIds[3]);
    expect(owned.ownerPlanId).toBe("plan-3");
    expect(owned.settings.tags).toEqual({ n: "3" });
    expect(owned.keys).toEqual([keyIds[3], keyIds[4]].sort());
    const recorded = plan(state, planIds[1]);
    expect(recorded.ownerPlanId).toBeUndefined();
    expect(recorded.keys).toEqual([keyIds[1], keyIds[2]].sort());
    expect(plan(state, planIds[2]).keys).toEqual([]);
    expect(state.plans.filter((p) => p.ownerPlanId).map((p) => p.ownerPlanId)).toHaveLength(
      Math.ceil(PLAN_COUNT / 3),
    );
  });

  it("lists API keys without values, and REST APIs", async () => {
    const state = await gw.readLive(scope());
    const key0 = state.apiKeys.find((k) => k.id === keyIds[0]);
    expect(key0).toEqual({ id: keyIds[0], name: "key-00", enabled: true });
    expect(state.apiKeys.find((k) => k.id === keyIds[1])?.enabled).toBe(false);
    expect(JSON.stringify(state.apiKeys)).not.toMatch(/value/);
    expect(state.restApis).toEqual(
      expect.arrayContaining([
        { id: env.seed.restApiId, name: "weather-api" },
        { id: emptyApiId, name: "empty-api" },
      ]),
    );
  });

  it("lists stages of APIs named or referenced by id; a deleted API has none", async () => {
    const state = await gw.readLive(scope({ apiNames: ["weather-api"], apiIds: [emptyApiId, "gone000000"] }));
    const id = env.seed.restApiId;
    expect(state.existingStages).toEqual([`${id}:dev`, `${id}:prod`]);
    const none = await gw.readLive(scope());
    expect(none.existingStages).toEqual([]);
  });

  it("counts its calls per operation", () => {
    const counts = gw.callCounts();
    expect(counts.CreateUsagePlan).toBe(PLAN_COUNT);
    expect(counts.CreateUsagePlanKey).toBe(PLAN_COUNT * 2);
    expect(counts.GetUsagePlans).toBeGreaterThan(0);
  });
});

describe("readLive when list items carry no tags", () => {
  it("reads each plan's tags with GetTags, so ownership is never missed", async () => {
    await env.sb.admin.reset();
    const fresh = env.gateway();
    const a = await fresh.createPlan({ name: "A", stages: [], tags: {} }, {});
    const b = await fresh.createPlan({ name: "B", stages: [], tags: {} }, {});
    const state = await fresh.readLive(scope({ recordIds: [a] }));
    expect(state.plans.map((p) => p.id).sort()).toEqual([a, b].sort());
    expect(fresh.callCounts().GetTags).toBe(2);
  });
});
