import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetApiKeyCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
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
  api = await createApiWithStages(t.client, ["dev", "prod"]);
});
afterAll(() => stopTestSandbox(t));

async function newPlan(stages: string[] = []) {
  const plan = await t.client.send(
    new CreateUsagePlanCommand({
      name: "plan",
      apiStages: stages.map((stage) => ({ apiId: api.apiId, stage })),
    }),
  );
  return plan.id ?? "";
}

async function newKey(name = "key") {
  const key = await t.client.send(new CreateApiKeyCommand({ name }));
  return { id: key.id ?? "", value: key.value ?? "" };
}

const addKey = (usagePlanId: string, keyId: string, keyType = "API_KEY") =>
  t.client.send(new CreateUsagePlanKeyCommand({ usagePlanId, keyId, keyType }));

describe("CreateUsagePlanKey", () => {
  it("answers 201 with the key's id, type, name and value", async () => {
    const plan = await newPlan();
    const key = await newKey("partner-a");
    const created = await addKey(plan, key.id);
    expect(created.$metadata.httpStatusCode).toBe(201);
    expect(created).toMatchObject({ id: key.id, type: "API_KEY", name: "partner-a", value: key.value });
  });

  it("404 for an unknown plan or key, 400 for a key type other than API_KEY, 409 for a repeat", async () => {
    const plan = await newPlan();
    const key = await newKey();
    await expectApiError(
      addKey("nope00", key.id),
      404,
      "NotFoundException",
      "Invalid Usage Plan ID specified",
    );
    await expectApiError(
      addKey(plan, "nokey00000"),
      404,
      "NotFoundException",
      "Invalid API Key identifier specified",
    );
    await expectApiError(addKey(plan, key.id, "COGNITO"), 400, "BadRequestException", /API_KEY/);
    await addKey(plan, key.id);
    await expectApiError(addKey(plan, key.id), 409, "ConflictException", /already contains/);
  });

  it("409 when the key is already in another plan on the same stage; other stages are fine", async () => {
    const devA = await newPlan(["dev"]);
    const devB = await newPlan(["dev"]);
    const prod = await newPlan(["prod"]);
    const key = await newKey();
    await addKey(devA, key.id);
    await expectApiError(
      addKey(devB, key.id),
      409,
      "ConflictException",
      `API Key ${key.id} cannot reference multiple Usage Plans with the same API Stage: ${api.apiId}:dev is also in Usage Plan ${devA}`,
    );
    await addKey(prod, key.id);
    const plans = await t.client.send(new GetUsagePlansCommand({ keyId: key.id }));
    expect(plans.items?.map((p) => p.id)).toEqual([devA, prod]);
  });

  it("409 on UpdateUsagePlan add /apiStages that would put a member key on one stage twice", async () => {
    const dev = await newPlan(["dev"]);
    const other = await newPlan();
    const key = await newKey();
    await addKey(dev, key.id);
    await addKey(other, key.id);
    await expectApiError(
      t.client.send(
        new UpdateUsagePlanCommand({
          usagePlanId: other,
          patchOperations: [{ op: "add", path: "/apiStages", value: `${api.apiId}:dev` }],
        }),
      ),
      409,
      "ConflictException",
      /cannot reference multiple Usage Plans with the same API Stage/,
    );
    const unchanged = await t.client.send(new GetUsagePlanCommand({ usagePlanId: other }));
    expect(unchanged.apiStages).toEqual([]);
  });

  it("LimitExceededException (429) past 10 plans for one key", async () => {
    const key = await newKey();
    for (let i = 0; i < 10; i++) await addKey(await newPlan(), key.id);
    const eleventh = await newPlan();
    await expectApiError(
      addKey(eleventh, key.id),
      429,
      "LimitExceededException",
      `API Key ${key.id} is already in the maximum number of usage plans (10)`,
    );
    const [first] = (await t.client.send(new GetUsagePlansCommand({ keyId: key.id }))).items ?? [];
    await t.client.send(new DeleteUsagePlanCommand({ usagePlanId: first?.id }));
    expect((await addKey(eleventh, key.id)).id).toBe(key.id);
  });
});

describe("GetUsagePlanKey", () => {
  it("200 for a member, 404 for a non-member or an unknown plan", async () => {
    const plan = await newPlan();
    const member = await newKey("member");
    const outsider = await newKey("outsider");
    await addKey(plan, member.id);
    const got = await t.client.send(new GetUsagePlanKeyCommand({ usagePlanId: plan, keyId: member.id }));
    expect(got).toMatchObject({ id: member.id, type: "API_KEY", name: "member", value: member.value });
    await expectApiError(
      t.client.send(new GetUsagePlanKeyCommand({ usagePlanId: plan, keyId: outsider.id })),
      404,
      "NotFoundException",
      "Invalid API Key identifier specified",
    );
    await expectApiError(
      t.client.send(new GetUsagePlanKeyCommand({ usagePlanId: "nope00", keyId: member.id })),
      404,
      "NotFoundException",
      "Invalid Usage Plan ID specified",
    );
  });
});

describe("GetUsagePlanKeys", () => {
  it("filters by a case-sensitive name prefix", async () => {
    const plan = await newPlan();
    for (const name of ["test-key-1", "test-key-2", "other"]) await addKey(plan, (await newKey(name)).id);
    const names = async (nameQuery: string) =>
      (await t.client.send(new GetUsagePlanKeysCommand({ usagePlanId: plan, nameQuery }))).items?.map(
        (k) => k.name,
      );
    expect(await names("test-key")).toEqual(["test-key-1", "test-key-2"]);
    expect(await names("TEST-key")).toEqual([]);
    expect(await names("test-key-2")).toEqual(["test-key-2"]);
    expect(await names("")).toHaveLength(3);
  });

  it("answers 200 with an empty list for an unknown plan", async () => {
    const keys = await t.client.send(new GetUsagePlanKeysCommand({ usagePlanId: "nope00" }));
    expect(keys.$metadata.httpStatusCode).toBe(200);
    expect(keys.items).toEqual([]);
  });
});

describe("DeleteUsagePlanKey", () => {
  it("202 removes the membership but not the key; then 404", async () => {
    const plan = await newPlan();
    const key = await newKey();
    await addKey(plan, key.id);
    const res = await t.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: plan, keyId: key.id }));
    expect(res.$metadata.httpStatusCode).toBe(202);
    expect((await t.client.send(new GetUsagePlanKeysCommand({ usagePlanId: plan }))).items).toEqual([]);
    expect((await t.client.send(new GetApiKeyCommand({ apiKey: key.id }))).id).toBe(key.id);
    await expectApiError(
      t.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: plan, keyId: key.id })),
      404,
      "NotFoundException",
      "Invalid API Key identifier specified",
    );
    await expectApiError(
      t.client.send(new DeleteUsagePlanKeyCommand({ usagePlanId: "nope00", keyId: key.id })),
      404,
      "NotFoundException",
      "Invalid Usage Plan ID specified",
    );
  });
});

describe("DeleteApiKey", () => {
  it("removes the key from every plan it belonged to", async () => {
    const a = await newPlan();
    const b = await newPlan();
    const key = await newKey();
    const stays = await newKey("stays");
    await addKey(a, key.id);
    await addKey(b, key.id);
    await addKey(a, stays.id);
    await t.client.send(new DeleteApiKeyCommand({ apiKey: key.id }));
    expect(
      (await t.client.send(new GetUsagePlanKeysCommand({ usagePlanId: a }))).items?.map((k) => k.id),
    ).toEqual([stays.id]);
    expect((await t.client.send(new GetUsagePlanKeysCommand({ usagePlanId: b }))).items).toEqual([]);
    expect((await t.client.send(new GetUsagePlansCommand({ keyId: key.id }))).items).toEqual([]);
  });
});
