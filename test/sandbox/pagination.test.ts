import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateDeploymentCommand,
  CreateRestApiCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeysCommand,
  GetDeploymentsCommand,
  GetRestApisCommand,
  GetUsageCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  paginateGetUsagePlans,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createApiWithStages,
  expectApiError,
  startTestSandbox,
  stopTestSandbox,
  type TestSandbox,
  todayUtc,
} from "./helpers.js";

let t: TestSandbox;
const ids = {
  plans: [] as string[],
  keys: [] as string[],
  apis: [] as string[],
  deployments: [] as string[],
};
let planId = "";
let apiId = "";

beforeAll(async () => {
  t = await startTestSandbox();
  const api = await createApiWithStages(t.client, ["dev"]);
  apiId = api.apiId;
  ids.apis.push(apiId);
  ids.deployments.push(api.deploymentId);
  for (let i = 0; i < 5; i++) {
    ids.plans.push(
      (
        await t.client.send(
          new CreateUsagePlanCommand({ name: `plan-${i}`, quota: { limit: 9, period: "DAY" } }),
        )
      ).id ?? "",
    );
    ids.keys.push((await t.client.send(new CreateApiKeyCommand({ name: `key-${i}` }))).id ?? "");
  }
  planId = ids.plans[0] ?? "";
  for (const keyId of ids.keys) {
    await t.client.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId, keyType: "API_KEY" }));
  }
  for (let i = 0; i < 4; i++)
    ids.apis.push((await t.client.send(new CreateRestApiCommand({ name: `api-${i}` }))).id ?? "");
  for (let i = 0; i < 4; i++) {
    ids.deployments.push((await t.client.send(new CreateDeploymentCommand({ restApiId: apiId }))).id ?? "");
  }
});
afterAll(() => stopTestSandbox(t));

interface Paged {
  ids: string[];
  position?: string;
}

/** Walk every page with limit 2; returns the page sizes and all ids in order. */
async function walk(fetchPage: (position: string | undefined) => Promise<Paged>) {
  const sizes: number[] = [];
  const all: string[] = [];
  let position: string | undefined;
  do {
    const page = await fetchPage(position);
    sizes.push(page.ids.length);
    all.push(...page.ids);
    position = page.position;
  } while (position !== undefined && sizes.length < 10);
  return { sizes, all };
}

const idsOf = (items: Array<{ id?: string }> | undefined) => (items ?? []).map((i) => i.id ?? "");

describe("position/limit pagination (limit 2 over 5 items)", () => {
  it.each([
    [
      "GetUsagePlans",
      (c: APIGatewayClient, position?: string) => c.send(new GetUsagePlansCommand({ limit: 2, position })),
      () => ids.plans,
    ],
    [
      "GetApiKeys",
      (c: APIGatewayClient, position?: string) => c.send(new GetApiKeysCommand({ limit: 2, position })),
      () => ids.keys,
    ],
    [
      "GetUsagePlanKeys",
      (c: APIGatewayClient, position?: string) =>
        c.send(new GetUsagePlanKeysCommand({ usagePlanId: planId, limit: 2, position })),
      () => ids.keys,
    ],
    [
      "GetRestApis",
      (c: APIGatewayClient, position?: string) => c.send(new GetRestApisCommand({ limit: 2, position })),
      () => ids.apis,
    ],
    [
      "GetDeployments",
      (c: APIGatewayClient, position?: string) =>
        c.send(new GetDeploymentsCommand({ restApiId: apiId, limit: 2, position })),
      () => ids.deployments,
    ],
  ])(
    "%s: pages of 2, 2, 1 in creation order; position only while more remain",
    async (_op, call, expected) => {
      const { sizes, all } = await walk(async (position) => {
        const res = await call(t.client, position);
        return { ids: idsOf(res.items), position: res.position };
      });
      expect(sizes).toEqual([2, 2, 1]);
      expect(all).toEqual(expected());
    },
  );

  it("GetUsage pages over keys", async () => {
    const { sizes, all } = await walk(async (position) => {
      const res = await t.client.send(
        new GetUsageCommand({
          usagePlanId: planId,
          startDate: todayUtc(),
          endDate: todayUtc(),
          limit: 2,
          position,
        }),
      );
      return { ids: Object.keys(res.items ?? {}), position: res.position };
    });
    expect(sizes).toEqual([2, 2, 1]);
    expect(all).toEqual(ids.keys);
  });

  it("works with the SDK paginator", async () => {
    const seen: string[] = [];
    for await (const page of paginateGetUsagePlans({ client: t.client, pageSize: 2 }, {}))
      seen.push(...idsOf(page.items));
    expect(seen).toEqual(ids.plans);
  });

  it("keeps its place when items before the position are deleted", async () => {
    const fresh = await startTestSandbox();
    try {
      const created: string[] = [];
      for (let i = 0; i < 4; i++)
        created.push((await fresh.client.send(new CreateApiKeyCommand({ name: `k${i}` }))).id ?? "");
      const first = await fresh.client.send(new GetApiKeysCommand({ limit: 2 }));
      for (const apiKey of created.slice(0, 2)) await fresh.client.send(new DeleteApiKeyCommand({ apiKey }));
      const after = await fresh.client.send(new GetApiKeysCommand({ limit: 2, position: first.position }));
      expect(idsOf(after.items)).toEqual(created.slice(2));
      expect(after.position).toBeUndefined();
    } finally {
      await stopTestSandbox(fresh);
    }
  });

  it("defaults to 25, clamps limits to 1..500 and rejects unreadable positions", async () => {
    const all = await t.client.send(new GetApiKeysCommand({}));
    expect(all.items).toHaveLength(5);
    const one = await t.client.send(new GetApiKeysCommand({ limit: 0 }));
    expect(one.items).toHaveLength(1);
    expect(one.position).toBeDefined();
    const many = await t.client.send(new GetApiKeysCommand({ limit: 10_000 }));
    expect(many.items).toHaveLength(5);
    await expectApiError(
      t.client.send(new GetApiKeysCommand({ position: "garbage" })),
      400,
      "BadRequestException",
      "Invalid position specified",
    );
  });
});
