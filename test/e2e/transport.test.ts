// The real CLI against endpoints that accept connections and never answer, answer with an HTML page, or
// serve another region: exit 1 (within the timeout bound), one paragraph naming the endpoint, no stack trace.

import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startBlackhole, startHtmlErrorServer, type TestServer } from "../helpers/blackhole.js";
import { type E2E, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

let servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers) await s.close();
  servers = [];
});

const FREE =
  "plan_id: free\nname: Free\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n";
const NO_STACK = /\n\s+at .+\(.+:\d+:\d+\)/;
/** Generous: two 1 s attempts, process start-up and a loaded machine; the old behaviour hung for minutes. */
const BOUND_MS = 20_000;

async function timed<T>(fn: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = Date.now();
  const result = await fn();
  return { result, ms: Date.now() - started };
}

describe("timeouts: a dead endpoint fails the run instead of hanging", () => {
  it("API Gateway that never answers: plan --timeout 1s exits 1 within the bound, naming endpoint and call", async () => {
    const hole = await startBlackhole();
    servers.push(hole);
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    const { result: r, ms } = await timed(() =>
      p.upg(["plan", "--timeout", "1s"], { env: { AWS_ENDPOINT_URL_API_GATEWAY: hole.url } }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      new RegExp(`Error: API Gateway at ${hole.url} did not answer Get\\w+ within 1 s \\(2 attempts\\)\\.`),
    );
    expect(r.stderr).toContain("allow more time with --timeout");
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(hole.connections()).toBeGreaterThan(0);
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it("DynamoDB that never answers: the timeout comes from upg.config.yaml", async () => {
    const hole = await startBlackhole();
    servers.push(hole);
    const p = await e2e.project({ config: "timeouts: { connect: 1s, request: 1s }" });
    p.writePlan("free.yaml", FREE);
    const { result: r, ms } = await timed(() =>
      p.upg(["plan"], { env: { AWS_ENDPOINT_URL_DYNAMODB: hole.url } }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Error: DynamoDB at ${hole.url} did not answer DescribeTable on table ${p.tables.metadata} within 1 s (2 attempts).`,
    );
    expect(r.stderr).toContain("AWS_ENDPOINT_URL_DYNAMODB");
    expect(r.stderr).not.toMatch(NO_STACK);
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(ms).toBeLessThan(BOUND_MS);
  });

  it("--timeout overrides the project file; a bad --timeout is refused before any AWS call", async () => {
    const hole = await startBlackhole();
    servers.push(hole);
    const p = await e2e.project({ config: "timeouts: { request: 5m }" });
    p.writePlan("free.yaml", FREE);
    const { result: r, ms } = await timed(() =>
      p.upg(["plan", "--timeout", "500ms"], { env: { AWS_ENDPOINT_URL_DYNAMODB: hole.url } }),
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("within 0.5 s");
    expect(ms).toBeLessThan(BOUND_MS);
    const bad = await p.upg(["plan", "--timeout", "soon"], { env: { AWS_ENDPOINT_URL_DYNAMODB: hole.url } });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Error: Invalid --timeout "soon".');
    expect(bad.stderr).toContain("500ms, 10s or 2m");
  });
});

describe("an HTML error page instead of an AWS reply", () => {
  it("is reported with its HTTP status for API Gateway and for DynamoDB", async () => {
    const html = await startHtmlErrorServer(500);
    servers.push(html);
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    for (const variable of ["AWS_ENDPOINT_URL_API_GATEWAY", "AWS_ENDPOINT_URL_DYNAMODB"]) {
      const r = await p.upg(["plan"], { env: { [variable]: html.url } });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(
        `failed at ${html.url}: the endpoint answered HTTP 500 with a text/html page`,
      );
      expect(r.stderr).not.toMatch(/SyntaxError|\$response|Deserialization error/);
      expect(r.stderr).toContain(variable);
      expect(r.stderr).not.toMatch(NO_STACK);
    }
  });
});

describe("a request signed for another region", () => {
  it("says the region is wrong and where it comes from, not 'refresh your credentials'", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    // The sandbox serves every region unless told to be one region's endpoint, as each AWS endpoint is.
    await e2e.sb.admin.setRegions([e2e.sb.region]);
    let r: Awaited<ReturnType<typeof p.upg>>;
    try {
      r = await p.upg(["plan", "--region", "eu-west-1"]);
    } finally {
      await e2e.sb.admin.setRegions(null);
    }
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /Error: API Gateway at \S+ refused Get\w+: the request was signed for region eu-west-1, which is not the region of that endpoint\./,
    );
    expect(r.stderr).toContain("--region");
    expect(r.stderr).toContain("AWS_REGION");
    expect(r.stderr).toContain("`regions:` in upg.config.yaml");
    expect(r.stderr).not.toMatch(/refresh|sso login/i);
    expect(r.stderr).not.toMatch(NO_STACK);
  });
});
