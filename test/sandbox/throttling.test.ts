import {
  CreateApiKeyCommand,
  CreateDeploymentCommand,
  CreateRestApiCommand,
  type CreateRestApiCommandInput,
  CreateUsagePlanCommand,
  TooManyRequestsException,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApiWithStages, startTestSandbox, stopTestSandbox, type TestSandbox } from "./helpers.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Settle concurrent calls; returns the successes and the rejections (all of which must be 429s). */
async function race<T>(calls: Array<Promise<T>>) {
  const settled = await Promise.allSettled(calls);
  const ok = settled.flatMap((s) => (s.status === "fulfilled" ? [s.value] : []));
  const throttled = settled.flatMap((s) => (s.status === "rejected" ? [s.reason as unknown] : []));
  for (const err of throttled) expect(err).toBeInstanceOf(TooManyRequestsException);
  return { ok, throttled: throttled as TooManyRequestsException[] };
}

describe("throttling at time scale 0.01 (AWS periods / 100)", () => {
  let t: TestSandbox;
  let planId = "";

  beforeAll(async () => {
    t = await startTestSandbox({ throttling: true, timeScale: 0.01 });
    planId = (await t.client.send(new CreateUsagePlanCommand({ name: "throttled" }))).id ?? "";
  });
  afterAll(() => stopTestSandbox(t));

  const rename = (value: string) =>
    t.client.send(
      new UpdateUsagePlanCommand({
        usagePlanId: planId,
        patchOperations: [{ op: "replace", path: "/name", value }],
      }),
    );

  it("UpdateUsagePlan: 1 per 20 s becomes 1 per 200 ms; 429 TooManyRequestsException with Retry-After", async () => {
    await sleep(220);
    const { ok, throttled } = await race([rename("a"), rename("b"), rename("c")]);
    expect(ok).toHaveLength(1);
    expect(throttled).toHaveLength(2);
    expect(throttled[0]?.$metadata.httpStatusCode).toBe(429);
    expect(throttled[0]?.message).toBe("Too Many Requests");
    expect(throttled[0]?.retryAfterSeconds).toBe("1");
    await sleep(220);
    expect((await rename("later")).name).toBe("later");
  });

  it("answers the raw headers: Retry-After in whole seconds and x-sandbox-retry-after-ms exactly", async () => {
    await sleep(220);
    const patch = () =>
      fetch(`${t.sb.apigatewayEndpoint}/usageplans/${planId}`, {
        method: "PATCH",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ patchOperations: [{ op: "replace", path: "/name", value: "raw" }] }),
      });
    const responses = await Promise.all([patch(), patch()]);
    expect(responses.map((r) => r.status).sort()).toEqual([200, 429]);
    const res = responses.find((r) => r.status === 429);
    expect(res?.headers.get("x-amzn-errortype")).toBe("TooManyRequestsException");
    expect(res?.headers.get("retry-after")).toBe("1");
    const ms = Number(res?.headers.get("x-sandbox-retry-after-ms"));
    expect(ms).toBeGreaterThan(0);
    expect(ms).toBeLessThanOrEqual(200);
    expect(await res?.json()).toEqual({ message: "Too Many Requests" });
  });

  it("CreateDeployment: 1 per 5 s becomes 1 per 50 ms", async () => {
    const api = await createApiWithStages(t.client, []);
    await sleep(60);
    const deploy = () => t.client.send(new CreateDeploymentCommand({ restApiId: api.apiId }));
    const { ok, throttled } = await race([deploy(), deploy()]);
    expect([ok.length, throttled.length]).toEqual([1, 1]);
    expect(Number(throttled[0]?.retryAfterSeconds)).toBe(1);
    await sleep(60);
    expect((await deploy()).id).toBeDefined();
  });

  it("CreateRestApi: edge-optimized (1 per 30 s) and regional (1 per 3 s) have separate buckets", async () => {
    // Its own sandbox at a time scale where the regional period (300 ms) is long next to four concurrent
    // requests on a loaded machine, and with full buckets.
    const own = await startTestSandbox({ throttling: true, timeScale: 0.1 });
    const create = (input: CreateRestApiCommandInput) => own.client.send(new CreateRestApiCommand(input));
    const regional = { endpointConfiguration: { types: ["REGIONAL" as const] } };
    const { ok, throttled } = await race([
      create({ name: "edge-1" }),
      create({ name: "edge-2" }),
      create({ name: "regional-1", ...regional }),
      create({ name: "regional-2", ...regional }),
    ]);
    await stopTestSandbox(own);
    expect(ok.map((a) => a.name).sort()).toEqual(["edge-1", "regional-1"]);
    expect(throttled).toHaveLength(2);
  });

  it("setThrottling(false) lifts every limit; true brings them back", async () => {
    await t.sb.admin.setThrottling(false);
    expect((await t.sb.admin.status()).throttling).toBe(false);
    const free = await race([rename("f1"), rename("f2"), rename("f3")]);
    expect(free.ok).toHaveLength(3);
    await t.sb.admin.setThrottling(true);
    const limited = await race([rename("l1"), rename("l2")]);
    expect(limited.throttled.length).toBeGreaterThanOrEqual(1);
  });
});

describe("throttling at time scale 1", () => {
  let t: TestSandbox;

  beforeAll(async () => {
    t = await startTestSandbox({ throttling: true });
  });
  afterAll(() => stopTestSandbox(t));

  it("CreateApiKey: a burst of 5 per second, then 429", async () => {
    const { ok, throttled } = await race(
      Array.from({ length: 8 }, (_, i) => t.client.send(new CreateApiKeyCommand({ name: `k${i}` }))),
    );
    expect(ok.length).toBeGreaterThanOrEqual(5);
    expect(ok.length).toBeLessThanOrEqual(7);
    expect(ok.length + throttled.length).toBe(8);
  });

  it("all operations: 10 per second with a burst of 40; admin calls are never throttled", async () => {
    await t.sb.admin.reset();
    await t.sb.admin.resetCounters();
    const statuses = await Promise.all(
      Array.from({ length: 60 }, () => fetch(`${t.sb.apigatewayEndpoint}/usageplans`).then((r) => r.status)),
    );
    const ok = statuses.filter((s) => s === 200).length;
    expect(ok).toBeGreaterThanOrEqual(40);
    expect(ok).toBeLessThanOrEqual(55);
    expect(statuses.filter((s) => s === 429)).toHaveLength(60 - ok);
    expect(await t.sb.admin.counters()).toEqual({ GetUsagePlans: 60, total: 60 });
    const admin = await Promise.all(Array.from({ length: 50 }, () => t.sb.admin.identity()));
    expect(admin.every((id) => id.account === "123456789012")).toBe(true);
  });
});
