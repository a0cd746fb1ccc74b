import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  GetUsagePlanKeysCommand,
  ImportApiKeysCommand,
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

const csv = (text: string) => new TextEncoder().encode(text);
/** `format` is typed as "csv" only; tests also send other values on purpose. */
const importKeys = (text: string, failOnWarnings?: boolean, format = "csv") =>
  t.client.send(new ImportApiKeysCommand({ body: csv(text), format: format as "csv", failOnWarnings }));

async function newPlan(stages: string[] = []) {
  const plan = await t.client.send(
    new CreateUsagePlanCommand({
      name: "import",
      apiStages: stages.map((stage) => ({ apiId: api.apiId, stage })),
    }),
  );
  return plan.id ?? "";
}

const keyValue = (n: number) => `importedkeyvalue${String(n).padStart(8, "0")}`;

async function memberIds(usagePlanId: string) {
  return (await t.client.send(new GetUsagePlanKeysCommand({ usagePlanId }))).items?.map((k) => k.id);
}

describe("ImportApiKeys", () => {
  it("imports good rows: any column order and case, Enabled default true, quoted plan lists", async () => {
    const a = await newPlan();
    const b = await newPlan();
    const res = await importKeys(
      `key,Name,DESCRIPTION,enabled,UsagePlanIds,ignored\n` +
        `${keyValue(1)},partner-a,first partner,TRUE,"${a},${b}",x\n` +
        `${keyValue(2)},partner-b,,false,'${a}',y\r\n` +
        `\n` +
        `${keyValue(3)},partner-c,,,,\n`,
    );
    expect(res.$metadata.httpStatusCode).toBe(201);
    expect(res.ids).toHaveLength(3);
    expect(res.warnings).toBeUndefined();
    const [id1, id2, id3] = res.ids ?? [];
    const k1 = await t.client.send(new GetApiKeyCommand({ apiKey: id1, includeValue: true }));
    expect(k1).toMatchObject({
      name: "partner-a",
      description: "first partner",
      enabled: true,
      value: keyValue(1),
    });
    expect((await t.client.send(new GetApiKeyCommand({ apiKey: id2 }))).enabled).toBe(false);
    expect((await t.client.send(new GetApiKeyCommand({ apiKey: id3 }))).enabled).toBe(true);
    expect(await memberIds(a)).toEqual([id1, id2]);
    expect(await memberIds(b)).toEqual([id1]);
  });

  it("failonwarnings=false skips bad rows and reports them as warnings", async () => {
    const plan = await newPlan();
    const res = await importKeys(
      `Name,Key,Enabled,UsagePlanIds\n` +
        `ok-1,${keyValue(10)},tRuE,${plan}\n` +
        `short,tooshort,true,\n` +
        `unknown-plan,${keyValue(11)},true,nope00\n` +
        `bad-enabled,${keyValue(12)},maybe,\n` +
        `dup,${keyValue(10)},true,\n` +
        `ok-2,${keyValue(13)},false,\n`,
      false,
    );
    expect(res.ids).toHaveLength(2);
    expect(res.warnings).toEqual([
      "Line 3: API Key value should be at least 20 characters",
      "Line 4: Invalid Usage Plan ID specified",
      "Line 5: Invalid Enabled value 'maybe'",
      "Line 6: Duplicate API key value in the file",
    ]);
    expect(await memberIds(plan)).toEqual([res.ids?.[0]]);
  });

  it("failonwarnings=true rejects the whole file with 400 and imports nothing", async () => {
    const before = (await t.client.send(new GetApiKeysCommand({ limit: 500 }))).items?.length;
    await expectApiError(
      importKeys(`name,key\ngood,${keyValue(20)}\nbad,short\n`, true),
      400,
      "BadRequestException",
      "Invalid API key file: Line 3: API Key value should be at least 20 characters",
    );
    const after = (await t.client.send(new GetApiKeysCommand({ limit: 500 }))).items?.length;
    expect(after).toBe(before);
    const res = await importKeys(`name,key\ngood,${keyValue(20)}\n`, true);
    expect(res.ids).toHaveLength(1);
  });

  it("overwrites the key that already has an imported value (same id)", async () => {
    const existing = await t.client.send(new CreateApiKeyCommand({ name: "old-name", value: keyValue(30) }));
    const res = await importKeys(`name,key,description\nnew-name,${keyValue(30)},replaced\n`);
    expect(res.ids).toEqual([existing.id]);
    const key = await t.client.send(new GetApiKeyCommand({ apiKey: existing.id }));
    expect(key).toMatchObject({ name: "new-name", description: "replaced", enabled: true });
  });

  it("warns about a row whose plans share a stage (one key, two plans, one stage)", async () => {
    const a = await newPlan(["prod"]);
    const b = await newPlan(["prod"]);
    const res = await importKeys(`name,key,usageplanids\nclash,${keyValue(40)},"${a},${b}"\n`, false);
    expect(res.ids).toEqual([]);
    expect(res.warnings?.[0]).toMatch(
      /^Line 2: .*cannot reference multiple Usage Plans with the same API Stage/,
    );
  });

  it("400 for a missing Name/Key column, an empty file, an unterminated quote or a format other than csv", async () => {
    await expectApiError(importKeys(`name,description\na,b\n`), 400, "BadRequestException", /Name and Key/);
    await expectApiError(importKeys(""), 400, "BadRequestException", /empty/);
    await expectApiError(
      importKeys(`name,key\n"open,${keyValue(50)}\n`),
      400,
      "BadRequestException",
      /unterminated/,
    );
    await expectApiError(importKeys(`name,key\n`, false, "json"), 400, "BadRequestException", /format/);
  });
});

describe("API key quota", () => {
  it("10,000 keys per account: LimitExceededException for CreateApiKey and an import past it", async () => {
    const fresh = await startTestSandbox();
    try {
      const rows = Array.from({ length: 10_000 }, (_, i) => `k${i},${keyValue(100_000 + i)}`).join("\n");
      const res = await fresh.client.send(
        new ImportApiKeysCommand({ body: csv(`name,key\n${rows}\n`), format: "csv", failOnWarnings: true }),
      );
      expect(res.ids).toHaveLength(10_000);
      await expectApiError(
        fresh.client.send(new CreateApiKeyCommand({ name: "one-too-many" })),
        429,
        "LimitExceededException",
        "Maximum number of API keys (10000) reached for this account",
      );
      await expectApiError(
        fresh.client.send(
          new ImportApiKeysCommand({ body: csv(`name,key\nx,${keyValue(1)}\n`), format: "csv" }),
        ),
        429,
        "LimitExceededException",
      );
    } finally {
      await stopTestSandbox(fresh);
    }
  });
});
