import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  GetUsagePlanCommand,
  GetUsagePlansCommand,
  type PatchOperation,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
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
  api = await createApiWithStages(t.client, ["dev", "prod", "test"]);
});
afterAll(() => stopTestSandbox(t));

async function newPlan(name = "plan", stages: string[] = []) {
  const plan = await t.client.send(
    new CreateUsagePlanCommand({ name, apiStages: stages.map((stage) => ({ apiId: api.apiId, stage })) }),
  );
  return plan.id ?? "";
}

const patch = (usagePlanId: string, patchOperations: PatchOperation[]) =>
  t.client.send(new UpdateUsagePlanCommand({ usagePlanId, patchOperations }));

describe("CreateUsagePlan", () => {
  it("answers 201 with a server-generated 6-char id, numbers as numbers and the tags sent", async () => {
    const plan = await t.client.send(
      new CreateUsagePlanCommand({
        name: "gold",
        description: "gold tier",
        apiStages: [
          { apiId: api.apiId, stage: "dev", throttle: { "/pets/GET": { burstLimit: 5, rateLimit: 2.5 } } },
        ],
        throttle: { burstLimit: 100, rateLimit: 50 },
        quota: { limit: 5000, period: "MONTH" },
        tags: { team: "payments" },
      }),
    );
    expect(plan.$metadata.httpStatusCode).toBe(201);
    expect(plan.id).toMatch(/^[a-z0-9]{6}$/);
    expect(plan).toMatchObject({
      name: "gold",
      description: "gold tier",
      apiStages: [
        { apiId: api.apiId, stage: "dev", throttle: { "/pets/GET": { burstLimit: 5, rateLimit: 2.5 } } },
      ],
      throttle: { burstLimit: 100, rateLimit: 50 },
      quota: { limit: 5000, offset: 0, period: "MONTH" },
      tags: { team: "payments" },
    });
  });

  it("omits unset optionals (and tags when none were sent) but always has apiStages", async () => {
    const plan = await t.client.send(new CreateUsagePlanCommand({ name: "bare" }));
    expect(plan.apiStages).toEqual([]);
    for (const field of ["description", "throttle", "quota", "productCode", "tags"] as const) {
      expect(plan[field]).toBeUndefined();
    }
  });

  it("generates a fresh id every time, even for the same name", async () => {
    const ids = new Set([await newPlan("same"), await newPlan("same"), await newPlan("same")]);
    expect(ids.size).toBe(3);
  });

  it("accepts a burst larger or smaller than the rate", async () => {
    for (const throttle of [
      { rateLimit: 10, burstLimit: 20 },
      { rateLimit: 20, burstLimit: 10 },
    ]) {
      const plan = await t.client.send(new CreateUsagePlanCommand({ name: "t", throttle }));
      expect(plan.throttle).toEqual(throttle);
    }
  });

  it("404 API Stage not found when the stage does not exist", async () => {
    await expectApiError(
      t.client.send(
        new CreateUsagePlanCommand({ name: "x", apiStages: [{ apiId: api.apiId, stage: "nope" }] }),
      ),
      404,
      "NotFoundException",
      `API Stage not found: ${api.apiId}:nope`,
    );
  });

  it("404 Invalid API identifier when the API does not exist", async () => {
    await expectApiError(
      t.client.send(
        new CreateUsagePlanCommand({ name: "x", apiStages: [{ apiId: "zzzzzzzzzz", stage: "dev" }] }),
      ),
      404,
      "NotFoundException",
      "Invalid API identifier specified 123456789012:zzzzzzzzzz",
    );
  });

  it("400 with AWS's raw template for an empty apiId or stage", async () => {
    for (const stage of [
      { apiId: "", stage: "dev" },
      { apiId: api.apiId, stage: "" },
    ]) {
      await expectApiError(
        t.client.send(new CreateUsagePlanCommand({ name: "x", apiStages: [stage] })),
        400,
        "BadRequestException",
        "Invalid API Stage {api: %s, stage: %s} specified for usageplan %s",
      );
    }
  });

  it("400 for a missing name", async () => {
    await expectApiError(
      t.client.send(new CreateUsagePlanCommand({ name: "" })),
      400,
      "BadRequestException",
      /name/,
    );
  });

  it.each([
    ["negative burst", { throttle: { burstLimit: -1, rateLimit: 1 } }, /burstLimit/],
    ["fractional burst", { throttle: { burstLimit: 1.5, rateLimit: 1 } }, /burstLimit/],
    ["negative rate", { throttle: { burstLimit: 1, rateLimit: -0.5 } }, /rateLimit/],
    ["negative quota", { quota: { limit: -1, period: "DAY" as const } }, /quota limit/],
    ["unknown period", { quota: { limit: 1, period: "YEAR" as "DAY" } }, /period/],
    ["DAY offset 1", { quota: { limit: 1, period: "DAY" as const, offset: 1 } }, /offset/],
    ["WEEK offset 7", { quota: { limit: 1, period: "WEEK" as const, offset: 7 } }, /offset/],
    ["MONTH offset 28", { quota: { limit: 1, period: "MONTH" as const, offset: 28 } }, /offset/],
    ["quota without period", { quota: { limit: 1 } }, /period/],
  ])("400 for %s", async (_label, input, message) => {
    await expectApiError(
      t.client.send(new CreateUsagePlanCommand({ name: "bad", ...input })),
      400,
      "BadRequestException",
      message,
    );
  });

  it("accepts the largest offsets per period", async () => {
    for (const [period, offset] of [
      ["WEEK", 6],
      ["MONTH", 27],
    ] as const) {
      const plan = await t.client.send(
        new CreateUsagePlanCommand({ name: "o", quota: { limit: 5, period, offset } }),
      );
      expect(plan.quota).toEqual({ limit: 5, period, offset });
    }
  });
});

describe("GetUsagePlan", () => {
  it("always includes tags ({} when none)", async () => {
    const id = await newPlan("untagged");
    const plan = await t.client.send(new GetUsagePlanCommand({ usagePlanId: id }));
    expect(plan).toMatchObject({ id, name: "untagged", apiStages: [], tags: {} });
  });

  it("404 Invalid Usage Plan ID specified for an unknown id", async () => {
    await expectApiError(
      t.client.send(new GetUsagePlanCommand({ usagePlanId: "nope00" })),
      404,
      "NotFoundException",
      "Invalid Usage Plan ID specified",
    );
  });
});

describe("GetUsagePlans", () => {
  it("filters by keyId (only plans holding that key) and answers [] for an unknown key", async () => {
    const key = await t.client.send(new CreateApiKeyCommand({ name: "filter-key" }));
    const inPlan = await newPlan("with-key");
    await newPlan("without-key");
    await t.client.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: inPlan, keyId: key.id, keyType: "API_KEY" }),
    );
    const listed = await t.client.send(new GetUsagePlansCommand({ keyId: key.id }));
    expect(listed.items?.map((p) => p.id)).toEqual([inPlan]);
    const none = await t.client.send(new GetUsagePlansCommand({ keyId: "nokey00000" }));
    expect(none.items).toEqual([]);
    expect(none.position).toBeUndefined();
  });

  it("list items carry tags only when the plan has some", async () => {
    const tagged = await t.client.send(new CreateUsagePlanCommand({ name: "list-tagged", tags: { a: "1" } }));
    const plain = await newPlan("list-plain");
    const all = await t.client.send(new GetUsagePlansCommand({ limit: 500 }));
    expect(all.items?.find((p) => p.id === tagged.id)?.tags).toEqual({ a: "1" });
    expect(all.items?.find((p) => p.id === plain)?.tags).toBeUndefined();
  });
});

describe("UpdateUsagePlan", () => {
  it("applies the wire example of the reference (§8)", async () => {
    const id = await newPlan("gold", ["dev"]);
    await patch(id, [
      { op: "replace", path: "/quota/limit", value: "500" },
      { op: "replace", path: "/quota/period", value: "MONTH" },
    ]);
    const plan = await patch(id, [
      { op: "remove", path: "/apiStages", value: `${api.apiId}:dev` },
      { op: "add", path: "/apiStages", value: `${api.apiId}:prod` },
      { op: "replace", path: `/apiStages/${api.apiId}:prod/throttle//pets/GET/rateLimit`, value: "2.5" },
      { op: "replace", path: "/quota/limit", value: "1000" },
    ]);
    expect(plan).toMatchObject({
      id,
      name: "gold",
      apiStages: [{ apiId: api.apiId, stage: "prod", throttle: { "/pets/GET": { rateLimit: 2.5 } } }],
      quota: { limit: 1000, offset: 0, period: "MONTH" },
      tags: {},
    });
    await patch(id, [{ op: "remove", path: "/apiStages", value: `${api.apiId}:prod` }]);
  });

  it("replaces name and description; adds, replaces and removes productCode", async () => {
    const id = await newPlan("old");
    let plan = await patch(id, [
      { op: "replace", path: "/name", value: "new" },
      { op: "replace", path: "/description", value: "described" },
      { op: "add", path: "/productCode", value: "pc-1" },
    ]);
    expect(plan).toMatchObject({ name: "new", description: "described", productCode: "pc-1" });
    plan = await patch(id, [{ op: "replace", path: "/productCode", value: "pc-2" }]);
    expect(plan.productCode).toBe("pc-2");
    plan = await patch(id, [
      { op: "remove", path: "/productCode" },
      { op: "replace", path: "/description", value: "" },
    ]);
    expect(plan.productCode).toBeUndefined();
    expect(plan.description).toBeUndefined();
  });

  it("sets and removes the plan throttle and quota (quota offset materialised as 0)", async () => {
    const id = await newPlan("limits");
    let plan = await patch(id, [
      { op: "add", path: "/throttle/rateLimit", value: "12.5" },
      { op: "add", path: "/throttle/burstLimit", value: "25" },
      { op: "add", path: "/quota/limit", value: "100" },
      { op: "add", path: "/quota/period", value: "WEEK" },
    ]);
    expect(plan.throttle).toEqual({ rateLimit: 12.5, burstLimit: 25 });
    expect(plan.quota).toEqual({ limit: 100, offset: 0, period: "WEEK" });
    plan = await patch(id, [
      { op: "replace", path: "/quota/offset", value: "6" },
      { op: "replace", path: "/throttle/burstLimit", value: "30" },
    ]);
    expect(plan.quota?.offset).toBe(6);
    expect(plan.throttle?.burstLimit).toBe(30);
    plan = await patch(id, [
      { op: "remove", path: "/throttle" },
      { op: "remove", path: "/quota" },
    ]);
    expect(plan.throttle).toBeUndefined();
    expect(plan.quota).toBeUndefined();
  });

  it("adds a stage once (idempotent) and refuses missing stages and APIs", async () => {
    const id = await newPlan("stages");
    const value = `${api.apiId}:test`;
    const plan = await patch(id, [
      { op: "add", path: "/apiStages", value },
      { op: "add", path: "/apiStages", value },
    ]);
    expect(plan.apiStages).toEqual([{ apiId: api.apiId, stage: "test" }]);
    await expectApiError(
      patch(id, [{ op: "add", path: "/apiStages", value: `${api.apiId}:nope` }]),
      404,
      "NotFoundException",
      `API Stage not found: ${api.apiId}:nope`,
    );
    await expectApiError(
      patch(id, [{ op: "add", path: "/apiStages", value: "zzzzzzzzzz:dev" }]),
      404,
      "NotFoundException",
      "Invalid API identifier specified 123456789012:zzzzzzzzzz",
    );
    await patch(id, [{ op: "remove", path: "/apiStages", value }]);
  });

  it("remove /apiStages needs a value apiId:stage (400) naming a stage of the plan (404)", async () => {
    const id = await newPlan("remove-stage", ["test"]);
    for (const op of [
      { op: "remove" as const, path: "/apiStages" },
      { op: "remove" as const, path: "/apiStages", value: "no-colon" },
    ]) {
      await expectApiError(patch(id, [op]), 400, "BadRequestException", "Invalid API Stage specified");
    }
    await expectApiError(
      patch(id, [{ op: "remove", path: "/apiStages", value: `${api.apiId}:prod` }]),
      404,
      "NotFoundException",
      `Invalid API Stage {api: ${api.apiId}, stage: prod} specified for usageplan ${id}`,
    );
    await patch(id, [{ op: "remove", path: "/apiStages", value: `${api.apiId}:test` }]);
  });

  it("edits per-method throttles: fields, root method, whole map, single and all removals", async () => {
    const id = await newPlan("methods", ["test"]);
    const stage = `/apiStages/${api.apiId}:test/throttle`;
    let plan = await patch(id, [
      { op: "replace", path: `${stage}//pets/GET/rateLimit`, value: "3" },
      { op: "replace", path: `${stage}//pets/GET/burstLimit`, value: "6" },
      { op: "replace", path: `${stage}///GET/rateLimit`, value: "1" },
      { op: "replace", path: `${stage}/~1pets/POST/burstLimit`, value: "2" },
    ]);
    expect(plan.apiStages?.[0]?.throttle).toEqual({
      "/pets/GET": { rateLimit: 3, burstLimit: 6 },
      "//GET": { rateLimit: 1 },
      "/pets/POST": { burstLimit: 2 },
    });
    plan = await patch(id, [{ op: "remove", path: `${stage}//pets/POST`, value: "" }]);
    expect(Object.keys(plan.apiStages?.[0]?.throttle ?? {})).toEqual(["/pets/GET", "//GET"]);
    plan = await patch(id, [
      {
        op: "replace",
        path: stage,
        value: JSON.stringify({ "/pets/DELETE": { rateLimit: 1.0, burstLimit: 1 } }),
      },
    ]);
    expect(plan.apiStages?.[0]?.throttle).toEqual({ "/pets/DELETE": { rateLimit: 1, burstLimit: 1 } });
    plan = await patch(id, [{ op: "remove", path: stage, value: "" }]);
    expect(plan.apiStages?.[0]?.throttle).toBeUndefined();
    await expectApiError(
      patch(id, [
        { op: "replace", path: `/apiStages/${api.apiId}:prod/throttle//pets/GET/rateLimit`, value: "1" },
      ]),
      404,
      "NotFoundException",
      `Invalid API Stage {api: ${api.apiId}, stage: prod} specified for usageplan ${id}`,
    );
    await expectApiError(
      patch(id, [{ op: "replace", path: `${stage}//pets/FETCH/rateLimit`, value: "1" }]),
      400,
      "BadRequestException",
      /Invalid method throttle key/,
    );
    await patch(id, [{ op: "remove", path: "/apiStages", value: `${api.apiId}:test` }]);
  });

  it("400 Invalid patch path with the list of allowed paths for that op", async () => {
    const id = await newPlan("paths");
    await expectApiError(
      patch(id, [{ op: "replace", path: "/id", value: "x" }]),
      400,
      "BadRequestException",
      "Invalid patch path  '/id' specified for op 'replace'. Must be one of: [/name, /description, /productCode, " +
        "/throttle/rateLimit, /throttle/burstLimit, /quota/limit, /quota/period, /quota/offset, " +
        "/apiStages/{apiId}:{stage}/throttle, /apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/rateLimit, " +
        "/apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}/burstLimit]",
    );
    await expectApiError(
      patch(id, [{ op: "remove", path: "/name" }]),
      400,
      "BadRequestException",
      "Invalid patch path  '/name' specified for op 'remove'. Must be one of: [/apiStages, /quota, /throttle, " +
        "/productCode, /apiStages/{apiId}:{stage}/throttle/{resourcePath}/{httpMethod}, " +
        "/apiStages/{apiId}:{stage}/throttle]",
    );
    await expectApiError(
      patch(id, [{ op: "add", path: "/name", value: "x" }]),
      400,
      "BadRequestException",
      /for op 'add'/,
    );
    await expectApiError(
      patch(id, [{ op: "move", path: "/name", from: "/description" }]),
      400,
      "BadRequestException",
      "Invalid patch path  '/name' specified for op 'move'. Must be one of: []",
    );
  });

  it.each([
    ["/quota/limit", "-1"],
    ["/quota/limit", "1.5"],
    ["/quota/limit", "abc"],
    ["/throttle/burstLimit", "2.5"],
    ["/throttle/rateLimit", "-1"],
    ["/throttle/rateLimit", "fast"],
    ["/quota/period", "YEAR"],
  ])("400 for %s = %s, and the plan is left unchanged", async (path, value) => {
    const id = await newPlan("values");
    await expectApiError(
      patch(id, [
        { op: "replace", path: "/name", value: "renamed" },
        { op: "replace", path, value },
      ]),
      400,
      "BadRequestException",
    );
    const plan = await t.client.send(new GetUsagePlanCommand({ usagePlanId: id }));
    expect(plan.name).toBe("values");
  });

  it("400 for an offset outside its period's range after the patch", async () => {
    const id = await newPlan("offset");
    await expectApiError(
      patch(id, [
        { op: "add", path: "/quota/limit", value: "10" },
        { op: "add", path: "/quota/period", value: "WEEK" },
        { op: "add", path: "/quota/offset", value: "7" },
      ]),
      400,
      "BadRequestException",
      /offset/,
    );
  });

  it("404 Invalid Usage Plan ID specified for an unknown plan", async () => {
    await expectApiError(
      patch("nope00", [{ op: "replace", path: "/name", value: "x" }]),
      404,
      "NotFoundException",
      "Invalid Usage Plan ID specified",
    );
  });
});

describe("DeleteUsagePlan", () => {
  it("400 while API stages are attached, 202 once they are removed", async () => {
    const id = await newPlan("doomed", ["test"]);
    await expectApiError(
      t.client.send(new DeleteUsagePlanCommand({ usagePlanId: id })),
      400,
      "BadRequestException",
      `Cannot delete Usage Plan ${id} because there are API Stages associated with it, including ${api.apiId}:test`,
    );
    await patch(id, [{ op: "remove", path: "/apiStages", value: `${api.apiId}:test` }]);
    const deleted = await t.client.send(new DeleteUsagePlanCommand({ usagePlanId: id }));
    expect(deleted.$metadata.httpStatusCode).toBe(202);
    await expectApiError(
      t.client.send(new GetUsagePlanCommand({ usagePlanId: id })),
      404,
      "NotFoundException",
    );
  });

  it("is not blocked by keys, and takes the memberships with it", async () => {
    const key = await t.client.send(new CreateApiKeyCommand({ name: "member" }));
    const id = await newPlan("with-keys");
    await t.client.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: id, keyId: key.id, keyType: "API_KEY" }),
    );
    await t.client.send(new DeleteUsagePlanCommand({ usagePlanId: id }));
    const plans = await t.client.send(new GetUsagePlansCommand({ keyId: key.id }));
    expect(plans.items).toEqual([]);
  });

  it("404 for an unknown plan", async () => {
    await expectApiError(
      t.client.send(new DeleteUsagePlanCommand({ usagePlanId: "nope00" })),
      404,
      "NotFoundException",
      "Invalid Usage Plan ID specified",
    );
  });
});

describe("account quota", () => {
  it("LimitExceededException (429) past 300 usage plans", async () => {
    const fresh = await startTestSandbox();
    try {
      for (let i = 0; i < 300; i++) await fresh.client.send(new CreateUsagePlanCommand({ name: `p${i}` }));
      await expectApiError(
        fresh.client.send(new CreateUsagePlanCommand({ name: "one-too-many" })),
        429,
        "LimitExceededException",
        "Maximum number of usage plans (300) reached for this account",
      );
    } finally {
      await stopTestSandbox(fresh);
    }
  });
});
