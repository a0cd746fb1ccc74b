import {
  CreateApiKeyCommand,
  type CreateApiKeyCommandInput,
  DeleteApiKeyCommand,
  GetApiKeyCommand,
  GetApiKeysCommand,
  type GetApiKeysCommandInput,
  UpdateApiKeyCommand,
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
  api = await createApiWithStages(t.client, ["dev"]);
});
afterAll(() => stopTestSandbox(t));

const create = (input: CreateApiKeyCommandInput) => t.client.send(new CreateApiKeyCommand(input));

describe("CreateApiKey", () => {
  it("answers 201 with a 10-char id, a generated 40-char value, enabled false and dates", async () => {
    const key = await create({ name: "alpha", description: "first", customerId: "cust-1" });
    expect(key.$metadata.httpStatusCode).toBe(201);
    expect(key.id).toMatch(/^[a-z0-9]{10}$/);
    expect(key.value).toMatch(/^[A-Za-z0-9]{40}$/);
    expect(key).toMatchObject({
      name: "alpha",
      description: "first",
      customerId: "cust-1",
      enabled: false,
      stageKeys: [],
    });
    expect(key.createdDate).toBeInstanceOf(Date);
    expect(Math.abs((key.createdDate?.getTime() ?? 0) - Date.now())).toBeLessThan(5000);
    expect(key.tags).toBeUndefined();
  });

  it("accepts an empty or missing name (omitted) and an empty value (generated)", async () => {
    const key = await create({ name: "", value: "" });
    expect(key.name).toBeUndefined();
    expect(key.value).toHaveLength(40);
  });

  it("keeps a given value of 20 to 128 characters, echoes tags and legacy stageKeys", async () => {
    const value = "v".repeat(20);
    const key = await create({
      value,
      enabled: true,
      tags: { env: "test" },
      stageKeys: [{ restApiId: api.apiId, stageName: "dev" }],
    });
    expect(key).toMatchObject({
      value,
      enabled: true,
      tags: { env: "test" },
      stageKeys: [`${api.apiId}/dev`],
    });
    expect((await create({ value: "w".repeat(128) })).value).toHaveLength(128);
  });

  it.each([
    [{ value: "s".repeat(19) }, "API Key value should be at least 20 characters"],
    [{ value: "l".repeat(129) }, "API Key value exceeds maximum size of 128 characters"],
    [{ name: "n".repeat(1025) }, "Invalid API Key name, can be at most 1024 characters."],
    [{ description: "d".repeat(125_001) }, "Invalid API Key description specified."],
  ])("400 for %o", async (input, message) => {
    await expectApiError(create(input), 400, "BadRequestException", message);
  });

  it("409 API Key already exists for a duplicate value", async () => {
    const value = "duplicateValue0123456789";
    await create({ value });
    await expectApiError(create({ value }), 409, "ConflictException", "API Key already exists");
  });

  it("404 for stageKeys naming a missing stage", async () => {
    await expectApiError(
      create({ stageKeys: [{ restApiId: api.apiId, stageName: "nope" }] }),
      404,
      "NotFoundException",
      "Invalid stage identifier specified",
    );
  });
});

describe("GetApiKey", () => {
  it("returns the value only with includeValue=true, and always tags", async () => {
    const { id, value } = await create({ name: "secret" });
    const plain = await t.client.send(new GetApiKeyCommand({ apiKey: id }));
    expect(plain).toMatchObject({ id, name: "secret", enabled: false, tags: {} });
    expect(plain.value).toBeUndefined();
    const withValue = await t.client.send(new GetApiKeyCommand({ apiKey: id, includeValue: true }));
    expect(withValue.value).toBe(value);
  });

  it("404 Invalid API Key identifier specified for an unknown key", async () => {
    await expectApiError(
      t.client.send(new GetApiKeyCommand({ apiKey: "nokey00000" })),
      404,
      "NotFoundException",
      "Invalid API Key identifier specified",
    );
  });
});

describe("GetApiKeys", () => {
  it("filters by name prefix (case-sensitive) and customerId; values only with includeValues", async () => {
    await create({ name: "list-a1", customerId: "acme" });
    await create({ name: "list-a2", customerId: "globex" });
    await create({ name: "list-b1", customerId: "acme" });
    const names = async (input: GetApiKeysCommandInput) =>
      (await t.client.send(new GetApiKeysCommand({ limit: 500, ...input }))).items?.map((k) => k.name);
    expect(await names({ nameQuery: "list-a" })).toEqual(["list-a1", "list-a2"]);
    expect(await names({ nameQuery: "LIST-a" })).toEqual([]);
    expect(await names({ nameQuery: "list-", customerId: "acme" })).toEqual(["list-a1", "list-b1"]);
    const hidden = await t.client.send(new GetApiKeysCommand({ nameQuery: "list-" }));
    expect(hidden.items?.every((k) => k.value === undefined)).toBe(true);
    const shown = await t.client.send(new GetApiKeysCommand({ nameQuery: "list-", includeValues: true }));
    expect(shown.items?.every((k) => k.value?.length === 40)).toBe(true);
  });
});

describe("UpdateApiKey", () => {
  it("replaces name, description, customerId and enabled; the answer has tags but no value", async () => {
    const { id } = await create({ name: "before" });
    const updated = await t.client.send(
      new UpdateApiKeyCommand({
        apiKey: id,
        patchOperations: [
          { op: "replace", path: "/name", value: "after" },
          { op: "replace", path: "/description", value: "desc" },
          { op: "replace", path: "/customerId", value: "cust" },
          { op: "replace", path: "/enabled", value: "true" },
        ],
      }),
    );
    expect(updated).toMatchObject({
      id,
      name: "after",
      description: "desc",
      customerId: "cust",
      enabled: true,
      tags: {},
    });
    expect(updated.value).toBeUndefined();
  });

  it("treats a non-boolean /enabled as false", async () => {
    const { id } = await create({ enabled: true });
    const updated = await t.client.send(
      new UpdateApiKeyCommand({
        apiKey: id,
        patchOperations: [{ op: "replace", path: "/enabled", value: "yes" }],
      }),
    );
    expect(updated.enabled).toBe(false);
  });

  it("400 Invalid patch path listing the four replaceable paths; [] for other ops", async () => {
    const { id } = await create({});
    await expectApiError(
      t.client.send(
        new UpdateApiKeyCommand({
          apiKey: id,
          patchOperations: [{ op: "replace", path: "/id", value: "x" }],
        }),
      ),
      400,
      "BadRequestException",
      "Invalid patch path  '/id' specified for op 'replace'. Must be one of: [/description, /enabled, /name, /customerId]",
    );
    await expectApiError(
      t.client.send(
        new UpdateApiKeyCommand({ apiKey: id, patchOperations: [{ op: "add", path: "/name", value: "x" }] }),
      ),
      400,
      "BadRequestException",
      "Invalid patch path  '/name' specified for op 'add'. Must be one of: []",
    );
  });

  it("400 for an over-long description, 404 for an unknown key", async () => {
    const { id } = await create({});
    await expectApiError(
      t.client.send(
        new UpdateApiKeyCommand({
          apiKey: id,
          patchOperations: [{ op: "replace", path: "/description", value: "d".repeat(125_001) }],
        }),
      ),
      400,
      "BadRequestException",
      "Invalid API Key description specified.",
    );
    await expectApiError(
      t.client.send(new UpdateApiKeyCommand({ apiKey: "nokey00000", patchOperations: [] })),
      404,
      "NotFoundException",
      "Invalid API Key identifier specified",
    );
  });
});

describe("DeleteApiKey", () => {
  it("202, then 404; the value becomes free again", async () => {
    const value = "reusableValue0123456789";
    const { id } = await create({ value });
    const res = await t.client.send(new DeleteApiKeyCommand({ apiKey: id }));
    expect(res.$metadata.httpStatusCode).toBe(202);
    await expectApiError(t.client.send(new DeleteApiKeyCommand({ apiKey: id })), 404, "NotFoundException");
    expect((await create({ value })).value).toBe(value);
  });
});
