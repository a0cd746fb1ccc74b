import {
  CreateUsagePlanCommand,
  GetUsagePlansCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startSandbox } from "../../src/sandbox/index.js";
import {
  clientFor,
  expectApiError,
  rejectionOf,
  startTestSandbox,
  stopTestSandbox,
  type TestSandbox,
} from "./helpers.js";

let t: TestSandbox;

beforeAll(async () => {
  t = await startTestSandbox();
});
afterEach(() => t.sb.admin.resetFaults());
afterAll(() => stopTestSandbox(t));

const list = () => t.client.send(new GetUsagePlansCommand({}));

async function timed(p: Promise<unknown>): Promise<number> {
  const start = performance.now();
  await p;
  return performance.now() - start;
}

describe("fault injection", () => {
  it("adds measurable latency, scaled by the time scale", async () => {
    await t.sb.admin.setFaults({ latencyMs: 150 });
    expect(await timed(list())).toBeGreaterThanOrEqual(145);
    await t.sb.admin.resetFaults();
    expect(await timed(list())).toBeLessThan(100);
    const scaled = await startTestSandbox({ timeScale: 0.1, faults: { latencyMs: 1000 } });
    try {
      const ms = await timed(scaled.client.send(new GetUsagePlansCommand({})));
      expect(ms).toBeGreaterThanOrEqual(95);
      expect(ms).toBeLessThan(600);
    } finally {
      await stopTestSandbox(scaled);
    }
  });

  it("error rate 1.0 for 500, 503 and 429 answers that status every time", async () => {
    await t.sb.admin.setFaults({ errorRate: { "500": 1 } });
    const err = await expectApiError(list(), 500, "InternalFailure", "Internal server error");
    expect(err.$fault).toBe("server");
    await t.sb.admin.setFaults({ errorRate: { "503": 1 } });
    await expectApiError(list(), 503, "ServiceUnavailableException");
    await t.sb.admin.setFaults({ errorRate: { "429": 1 } });
    await expectApiError(list(), 429, "TooManyRequestsException", "Too Many Requests");
    await t.sb.admin.setFaults({ errorRate: { "429": 0 } });
    expect((await list()).$metadata.httpStatusCode).toBe(200);
  });

  it("dropAfter N serves N more requests, then destroys the connection of every later one", async () => {
    await t.sb.admin.setFaults({ dropAfter: 2 });
    await list();
    await list();
    const err = await rejectionOf(list());
    expect(String(err)).toMatch(/socket hang up|ECONNRESET|other side closed|terminated/i);
    await rejectionOf(fetch(`${t.sb.apigatewayEndpoint}/usageplans`));
    expect((await t.sb.admin.status()).faults.dropAfter).toBe(0);
    await t.sb.admin.resetFaults();
    expect((await list()).$metadata.httpStatusCode).toBe(200);
  });

  it("failOperation hits only the named operation, count times", async () => {
    const plan = await t.client.send(new CreateUsagePlanCommand({ name: "target" }));
    const rename = () =>
      t.client.send(
        new UpdateUsagePlanCommand({
          usagePlanId: plan.id,
          patchOperations: [{ op: "replace", path: "/name", value: "n" }],
        }),
      );
    await t.sb.admin.setFaults({ failOperation: { operation: "UpdateUsagePlan", status: 409, count: 2 } });
    await expectApiError(rename(), 409, "ConflictException", "Injected fault for UpdateUsagePlan");
    expect((await list()).$metadata.httpStatusCode).toBe(200);
    await expectApiError(rename(), 409, "ConflictException");
    expect((await rename()).name).toBe("n");
    await t.sb.admin.setFaults({
      failOperation: { operation: "GetUsagePlans", status: 500, code: "InternalFailure" },
    });
    for (let i = 0; i < 3; i++) await expectApiError(list(), 500, "InternalFailure");
  });

  it("refuses invalid fault settings", async () => {
    await expect(t.sb.admin.setFaults({ failOperation: { operation: "Nope", status: 500 } })).rejects.toThrow(
      /Unknown operation: Nope/,
    );
    await expect(t.sb.admin.setFaults({ errorRate: { "500": 2 } })).rejects.toThrow(/400/);
    await expect(startSandbox({ dynamo: false, faults: { latencyMs: -1 } })).rejects.toThrow(
      /fault configuration/,
    );
  });

  it("faults given at start apply from the first request", async () => {
    const failing = await startTestSandbox({ faults: { errorRate: { "500": 1 } } });
    try {
      await expectApiError(failing.client.send(new GetUsagePlansCommand({})), 500, "InternalFailure");
    } finally {
      await stopTestSandbox(failing);
    }
  });
});

describe("counters and admin", () => {
  it("counts requests per SDK operation plus total; admin calls do not count", async () => {
    await t.sb.admin.resetCounters();
    await list();
    await list();
    await t.client.send(new CreateUsagePlanCommand({ name: "counted" }));
    await fetch(`${t.sb.apigatewayEndpoint}/no/such/route`);
    await t.sb.admin.status();
    await t.sb.admin.identity();
    expect(await t.sb.admin.counters()).toEqual({ GetUsagePlans: 2, CreateUsagePlan: 1, total: 4 });
    await t.sb.admin.resetCounters();
    expect(await t.sb.admin.counters()).toEqual({ total: 0 });
  });

  it("GET /_sandbox/identity answers the caller identity", async () => {
    expect(await t.sb.admin.identity()).toEqual({
      arn: "arn:aws:iam::123456789012:user/sandbox",
      account: "123456789012",
    });
    const other = await startTestSandbox({ accountId: "210987654321" });
    try {
      expect((await other.sb.admin.identity()).account).toBe("210987654321");
    } finally {
      await stopTestSandbox(other);
    }
  });

  it("reset wipes all API Gateway state; setLimits adjusts the quotas", async () => {
    const fresh = await startTestSandbox();
    try {
      await fresh.client.send(new CreateUsagePlanCommand({ name: "wiped" }));
      await fresh.sb.admin.reset();
      expect((await fresh.client.send(new GetUsagePlansCommand({}))).items).toEqual([]);
      await fresh.sb.admin.setLimits({ usagePlans: 1 });
      expect((await fresh.sb.admin.status()).limits.usagePlans).toBe(1);
      await fresh.client.send(new CreateUsagePlanCommand({ name: "one" }));
      await expectApiError(
        fresh.client.send(new CreateUsagePlanCommand({ name: "two" })),
        429,
        "LimitExceededException",
      );
    } finally {
      await stopTestSandbox(fresh);
    }
  });

  it("unknown admin paths and bad admin bodies answer AWS-style JSON errors", async () => {
    const res = await fetch(`${t.sb.apigatewayEndpoint}/_sandbox/nope`);
    expect(res.status).toBe(404);
    expect(res.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
    const bad = await fetch(`${t.sb.apigatewayEndpoint}/_sandbox/usage`, { method: "POST", body: "{" });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toHaveProperty("message");
  });

  it("admin.status reports throttling, time scale, faults and limits", async () => {
    const client = clientFor(t.sb);
    await t.sb.admin.setFaults({ latencyMs: 5 });
    expect(await t.sb.admin.status()).toMatchObject({
      region: "us-east-1",
      accountId: "123456789012",
      timeScale: 1,
      throttling: false,
      faults: { latencyMs: 5 },
      limits: {
        usagePlans: 300,
        usagePlansPerKey: 10,
        apiKeys: 10_000,
        stagesPerApi: 10,
        tagsPerResource: 50,
      },
    });
    client.destroy();
  });
});
