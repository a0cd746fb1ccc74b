// The sandbox answers like AWS for input AWS refuses: plan name/description length, API key value rule
// (CreateApiKey and ImportApiKeys), and an unset throttle omitted rather than echoed as `{}`.
import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  GetApiKeysCommand,
  GetUsagePlanCommand,
  GetUsagePlansCommand,
  ImportApiKeysCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { normaliseUsagePlan } from "../../src/live/normalise.js";
import { PLAN_DESCRIPTION_MAX, PLAN_NAME_MAX } from "../../src/sandbox/plan-settings.js";
import {
  createApiWithStages,
  expectApiError,
  startTestSandbox,
  stopTestSandbox,
  type TestApi,
  type TestSandbox,
} from "./helpers.js";

let t: TestSandbox;
let api: TestApi;

beforeAll(async () => {
  t = await startTestSandbox();
  api = await createApiWithStages(t.client, ["dev", "prod"]);
});
afterAll(() => stopTestSandbox(t));

const NAME_TOO_LONG = `Invalid Usage Plan name, can be at most ${PLAN_NAME_MAX} characters.`;
const DESCRIPTION_TOO_LONG = `Invalid Usage Plan description, can be at most ${PLAN_DESCRIPTION_MAX} characters.`;
const NOT_ALPHANUMERIC = "API Key value should contain only alphanumeric characters (A-Z, a-z, 0-9)";

const newPlan = async (name = "limits") =>
  (await t.client.send(new CreateUsagePlanCommand({ name }))).id ?? "";

const patch = (usagePlanId: string, path: string, value: string) =>
  t.client.send(
    new UpdateUsagePlanCommand({ usagePlanId, patchOperations: [{ op: "replace", path, value }] }),
  );

/** The raw JSON body of GET /usageplans/{id} (what is on the wire, not what the SDK makes of it). */
async function rawPlan(id: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${t.sb.apigatewayEndpoint}/usageplans/${id}`, {
    headers: { accept: "application/json" },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Record<string, unknown>;
}

describe("usage plan name and description length", () => {
  it("accepts the longest name and description on create and on PATCH replace", async () => {
    const name = "n".repeat(PLAN_NAME_MAX);
    const description = "d".repeat(PLAN_DESCRIPTION_MAX);
    const created = await t.client.send(new CreateUsagePlanCommand({ name, description }));
    expect(created.name).toBe(name);
    expect(created.description).toBe(description);
    const id = await newPlan();
    expect((await patch(id, "/name", name)).name).toBe(name);
    expect((await patch(id, "/description", description)).description).toBe(description);
  });

  it("refuses a longer name with 400 BadRequestException on create and on PATCH replace /name", async () => {
    const tooLong = "n".repeat(PLAN_NAME_MAX + 1);
    const before = (await t.client.send(new GetUsagePlansCommand({ limit: 500 }))).items?.length;
    await expectApiError(
      t.client.send(new CreateUsagePlanCommand({ name: tooLong })),
      400,
      "BadRequestException",
      NAME_TOO_LONG,
    );
    expect((await t.client.send(new GetUsagePlansCommand({ limit: 500 }))).items?.length).toBe(before);
    const id = await newPlan("kept");
    await expectApiError(patch(id, "/name", tooLong), 400, "BadRequestException", NAME_TOO_LONG);
    expect((await t.client.send(new GetUsagePlanCommand({ usagePlanId: id }))).name).toBe("kept");
  });

  it("refuses a longer description with 400 on create and on PATCH replace /description", async () => {
    const tooLong = "d".repeat(PLAN_DESCRIPTION_MAX + 1);
    await expectApiError(
      t.client.send(new CreateUsagePlanCommand({ name: "x", description: tooLong })),
      400,
      "BadRequestException",
      DESCRIPTION_TOO_LONG,
    );
    const id = await newPlan();
    await patch(id, "/description", "short");
    await expectApiError(
      patch(id, "/description", tooLong),
      400,
      "BadRequestException",
      DESCRIPTION_TOO_LONG,
    );
    expect((await t.client.send(new GetUsagePlanCommand({ usagePlanId: id }))).description).toBe("short");
  });

  it("a 10 MB name no longer makes a huge GetUsagePlans page: it is refused", async () => {
    await expectApiError(
      t.client.send(new CreateUsagePlanCommand({ name: "x".repeat(10 * 1024 * 1024 - 100) })),
      400,
      "BadRequestException",
      NAME_TOO_LONG,
    );
  });
});

describe("API key values: alphanumeric, 20-128 characters", () => {
  it("CreateApiKey accepts letters and digits at both length bounds", async () => {
    for (const value of ["Ab3".repeat(7).slice(0, 20), "Zy9".repeat(43).slice(0, 128)]) {
      const key = await t.client.send(new CreateApiKeyCommand({ value }));
      expect(key.value).toBe(value);
    }
  });

  it.each([
    "has-a-dash-0123456789",
    "has_underscore_0123456789",
    "has space 0123456789ab",
    "dotted.value.0123456789",
    "ünïcödeletters0123456789",
    "slash/0123456789abcdefgh",
  ])("CreateApiKey refuses %j with 400 BadRequestException and creates nothing", async (value) => {
    const before = (await t.client.send(new GetApiKeysCommand({ limit: 500 }))).items?.length;
    await expectApiError(
      t.client.send(new CreateApiKeyCommand({ name: "bad", value })),
      400,
      "BadRequestException",
      NOT_ALPHANUMERIC,
    );
    expect((await t.client.send(new GetApiKeysCommand({ limit: 500 }))).items?.length).toBe(before);
  });

  it("a value both too short and not alphanumeric gets AWS's recorded length message", async () => {
    await expectApiError(
      t.client.send(new CreateApiKeyCommand({ value: "a-b" })),
      400,
      "BadRequestException",
      "API Key value should be at least 20 characters",
    );
  });

  const importKeys = (text: string, failOnWarnings: boolean) =>
    t.client.send(
      new ImportApiKeysCommand({ body: new TextEncoder().encode(text), format: "csv", failOnWarnings }),
    );

  it("ImportApiKeys skips a non-alphanumeric row with a warning (failonwarnings=false)", async () => {
    const res = await importKeys(
      "name,key\n" + "good,importgood0123456789AB\n" + "bad,import-bad-0123456789AB\n",
      false,
    );
    expect(res.ids).toHaveLength(1);
    expect(res.warnings).toEqual([`Line 3: ${NOT_ALPHANUMERIC}`]);
  });

  it("ImportApiKeys rejects the whole file with 400 when failonwarnings=true", async () => {
    const before = (await t.client.send(new GetApiKeysCommand({ limit: 500 }))).items?.length;
    await expectApiError(
      importKeys("name,key\n" + "good,importother0123456789AB\n" + "bad,import_bad_0123456789AB\n", true),
      400,
      "BadRequestException",
      `Invalid API key file: Line 3: ${NOT_ALPHANUMERIC}`,
    );
    expect((await t.client.send(new GetApiKeysCommand({ limit: 500 }))).items?.length).toBe(before);
  });
});

describe("unset throttles are omitted, never `{}`", () => {
  it("a plan created without a throttle, or with an empty one, has no throttle member", async () => {
    const none = await t.client.send(
      new CreateUsagePlanCommand({ name: "no-throttle", apiStages: [{ apiId: api.apiId, stage: "dev" }] }),
    );
    const empty = await t.client.send(
      new CreateUsagePlanCommand({
        name: "empty-throttle",
        throttle: {},
        apiStages: [{ apiId: api.apiId, stage: "prod", throttle: {} }],
      }),
    );
    for (const created of [none, empty]) {
      expect(created.throttle).toBeUndefined();
      expect(created.apiStages?.[0]?.throttle).toBeUndefined();
      const raw = await rawPlan(created.id ?? "");
      expect(Object.keys(raw)).not.toContain("throttle");
      expect(raw.apiStages).toEqual([{ apiId: api.apiId, stage: created.apiStages?.[0]?.stage }]);
      const listed = (await t.client.send(new GetUsagePlansCommand({ limit: 500 }))).items?.find(
        (p) => p.id === created.id,
      );
      expect(listed?.throttle).toBeUndefined();
      expect(listed?.apiStages?.[0]?.throttle).toBeUndefined();
    }
  });

  it("after remove /throttle and remove of the stage's method throttles, both are omitted again", async () => {
    const plan = await t.client.send(
      new CreateUsagePlanCommand({
        name: "was-throttled",
        throttle: { rateLimit: 10, burstLimit: 20 },
        apiStages: [
          { apiId: api.apiId, stage: "dev", throttle: { "/pets/GET": { rateLimit: 1, burstLimit: 2 } } },
        ],
      }),
    );
    const id = plan.id ?? "";
    expect(plan.throttle).toEqual({ rateLimit: 10, burstLimit: 20 });
    const updated = await t.client.send(
      new UpdateUsagePlanCommand({
        usagePlanId: id,
        patchOperations: [
          { op: "remove", path: "/throttle" },
          { op: "remove", path: `/apiStages/${api.apiId}:dev/throttle`, value: "" },
        ],
      }),
    );
    expect(updated.throttle).toBeUndefined();
    expect(updated.apiStages?.[0]?.throttle).toBeUndefined();
    const raw = await rawPlan(id);
    expect(Object.keys(raw)).not.toContain("throttle");
    expect(raw.apiStages).toEqual([{ apiId: api.apiId, stage: "dev" }]);
  });

  it("upg's reader reads the omitted members as no throttle and no method throttles", async () => {
    const created = await t.client.send(
      new CreateUsagePlanCommand({ name: "read-back", apiStages: [{ apiId: api.apiId, stage: "dev" }] }),
    );
    const read = await t.client.send(new GetUsagePlanCommand({ usagePlanId: created.id }));
    const live = normaliseUsagePlan(read, "upg:plan-id");
    expect(live.settings.throttle).toBeUndefined();
    expect(live.settings).not.toHaveProperty("throttle");
    expect(live.settings.stages).toEqual([{ apiId: api.apiId, stage: "dev", throttle: {} }]);
  });
});
