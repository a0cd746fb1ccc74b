// Real SDK clients against servers that misbehave: an endpoint that never answers must fail the call within
// the configured timeout (retried once, not maxAttempts times), and an HTML error page must be reported with
// its HTTP status.

import { GetUsagePlansCommand } from "@aws-sdk/client-api-gateway";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AwsTarget,
  capTimeoutRetries,
  DEFAULT_TIMEOUTS,
  sdkClientConfig,
  TIMEOUT_ATTEMPTS,
} from "../../src/aws/client-config.js";
import { UserError } from "../../src/errors.js";
import { call, createContext } from "../../src/live/client.js";
import { createStore } from "../../src/store/index.js";
import { startBlackhole, startHtmlErrorServer, type TestServer } from "../helpers/blackhole.js";

const PACING = { requests_per_second: 100, burst: 100, update_usage_plan_interval_ms: 0, concurrency: 1 };
const TABLES = { metadata: "meta", audit: "audit" };

let servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

function target(endpoint: string, overrides: Partial<AwsTarget> = {}): AwsTarget {
  return {
    region: "us-east-1",
    endpoint,
    credentials: { accessKeyId: "k", secretAccessKey: "s" },
    maxAttempts: 5,
    ...overrides,
  };
}

async function failure(p: Promise<unknown>): Promise<{ err: UserError; ms: number }> {
  const started = Date.now();
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return { err: err as UserError, ms: Date.now() - started };
}

function getUsagePlans(t: AwsTarget) {
  const ctx = createContext(t, PACING);
  return {
    run: () => call(ctx, "GetUsagePlans", undefined, (c) => c.send(new GetUsagePlansCommand({}))),
    destroy: () => ctx.client.destroy(),
  };
}

describe("client settings", () => {
  it("every client gets connect and request timeouts that throw", () => {
    expect(sdkClientConfig({ region: "us-east-1" }).requestHandler).toEqual({
      connectionTimeout: DEFAULT_TIMEOUTS.connectMs,
      requestTimeout: DEFAULT_TIMEOUTS.requestMs,
      throwOnRequestTimeout: true,
    });
    const custom = sdkClientConfig({ region: "us-east-1", timeouts: { connectMs: 500, requestMs: 2000 } });
    expect(custom.requestHandler).toMatchObject({ connectionTimeout: 500, requestTimeout: 2000 });
  });

  it("the defaults end a dead endpoint's call well within a minute", () => {
    expect(TIMEOUT_ATTEMPTS * DEFAULT_TIMEOUTS.requestMs).toBeLessThanOrEqual(30_000);
  });

  it("capTimeoutRetries stops retrying timeouts only, and leaves other errors to the SDK's strategy", async () => {
    const seen: string[] = [];
    const base = {
      mode: "adaptive",
      acquireInitialRetryToken: async () => ({ getRetryCount: () => 0 }),
      refreshRetryTokenForRetry: async (token: { getRetryCount(): number }, _info: unknown) => {
        seen.push("retry");
        return { getRetryCount: () => token.getRetryCount() + 1 };
      },
      recordSuccess: () => {},
    };
    const capped = capTimeoutRetries(base, 2) as typeof base;
    expect(capped.mode).toBe("adaptive");
    const timeout = Object.assign(new Error("x ms requestTimeout"), {
      name: "TimeoutError",
      code: "ETIMEDOUT",
    });
    const first = await capped.refreshRetryTokenForRetry({ getRetryCount: () => 0 }, {
      error: timeout,
      errorType: "TRANSIENT",
    } as never);
    expect(first.getRetryCount()).toBe(1);
    await expect(
      capped.refreshRetryTokenForRetry(first, { error: timeout, errorType: "TRANSIENT" } as never),
    ).rejects.toThrow();
    const throttled = Object.assign(new Error("slow down"), { name: "TooManyRequestsException" });
    const again = await capped.refreshRetryTokenForRetry(first, {
      error: throttled,
      errorType: "THROTTLING",
    } as never);
    expect(again.getRetryCount()).toBe(2);
    expect(seen).toEqual(["retry", "retry"]);
  });
});

describe("an endpoint that accepts connections and never answers", () => {
  it("API Gateway: the call fails after TIMEOUT_ATTEMPTS attempts of the request timeout, naming the endpoint", async () => {
    const hole = await startBlackhole();
    servers.push(hole);
    const gw = getUsagePlans(target(hole.url, { timeouts: { connectMs: 1000, requestMs: 300 } }));
    try {
      const { err, ms } = await failure(gw.run());
      expect(err.message).toBe(
        `API Gateway at ${hole.url} did not answer GetUsagePlans within 0.3 s (${TIMEOUT_ATTEMPTS} attempts).`,
      );
      expect(err.hint).toMatch(/AWS_ENDPOINT_URL_API_GATEWAY.*--timeout.*timeouts\.request/);
      expect(hole.connections()).toBe(TIMEOUT_ATTEMPTS);
      expect(ms).toBeGreaterThanOrEqual(TIMEOUT_ATTEMPTS * 300 - 50);
      expect(ms).toBeLessThan(10_000);
    } finally {
      gw.destroy();
    }
  });

  it("DynamoDB: the same, through the store", async () => {
    const hole = await startBlackhole();
    servers.push(hole);
    const store = createStore({
      target: target(hole.url, { timeouts: { connectMs: 1000, requestMs: 300 } }),
      tables: TABLES,
    });
    try {
      const { err, ms } = await failure(store.checkTables());
      expect(err.message).toBe(
        `DynamoDB at ${hole.url} did not answer DescribeTable on table meta within 0.3 s (${TIMEOUT_ATTEMPTS} attempts).`,
      );
      expect(err.hint).toContain("AWS_ENDPOINT_URL_DYNAMODB");
      expect(hole.connections()).toBe(TIMEOUT_ATTEMPTS);
      expect(ms).toBeLessThan(10_000);
    } finally {
      store.destroy();
    }
  });
});

describe("an error reply that is not JSON (an HTML page from a proxy)", () => {
  it("API Gateway: reported with its HTTP status, not as a SyntaxError", async () => {
    const html = await startHtmlErrorServer(500);
    servers.push(html);
    const gw = getUsagePlans(target(html.url, { maxAttempts: 2 }));
    try {
      const { err } = await failure(gw.run());
      expect(err.message).toBe(
        `API Gateway GetUsagePlans failed at ${html.url}: the endpoint answered HTTP 500 with a text/html page, not an AWS reply.`,
      );
      expect(err.message).not.toMatch(/SyntaxError|\$response|Deserialization/);
      expect(err.hint).toMatch(/proxy.*AWS_ENDPOINT_URL_API_GATEWAY/);
    } finally {
      gw.destroy();
    }
  });

  it("DynamoDB: the same, naming the table", async () => {
    const html = await startHtmlErrorServer(502);
    servers.push(html);
    const store = createStore({ target: target(html.url, { maxAttempts: 2 }), tables: TABLES });
    try {
      const { err } = await failure(store.checkTables());
      expect(err.message).toBe(
        `DynamoDB DescribeTable on table meta failed at ${html.url}: the endpoint answered HTTP 502 with a text/html page, not an AWS reply.`,
      );
      expect(err.message).not.toMatch(/SyntaxError|\$response|Deserialization/);
      expect(err.hint).toContain("AWS_ENDPOINT_URL_DYNAMODB");
    } finally {
      store.destroy();
    }
  });
});
