import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const FREE =
  "plan_id: free\nname: Free\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n";
const NO_STACK = /\n\s+at .+\(.+:\d+:\d+\)/;

describe("bad input and AWS errors: one clear paragraph, exit 1, nothing written", () => {
  it("tables missing: says to run upg init", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    const r = await p.upg(["plan"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: Table ${p.tables.metadata} does not exist.`);
    expect(r.stderr).toContain("Run `upg init` first.");
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it("unreachable API Gateway endpoint", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    const r = await p.upg(["plan"], { env: { AWS_ENDPOINT_URL_API_GATEWAY: "http://127.0.0.1:9" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Cannot reach API Gateway at http://127.0.0.1:9");
    expect(r.stderr).toContain("AWS_ENDPOINT_URL_API_GATEWAY");
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it("unreachable DynamoDB endpoint", async () => {
    const p = await e2e.project();
    const r = await p.upg(["init"], { env: { AWS_ENDPOINT_URL_DYNAMODB: "http://127.0.0.1:9" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Cannot reach DynamoDB at http://127.0.0.1:9");
  });

  it("no credentials anywhere", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    const r = await p.upg(["plan"], {
      env: {
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_SESSION_TOKEN: undefined,
        AWS_PROFILE: undefined,
        AWS_CONFIG_FILE: "/nonexistent/config",
        AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/credentials",
        AWS_EC2_METADATA_DISABLED: "true",
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
      },
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No AWS credentials found");
    expect(r.stderr).toContain("--profile");
  });

  it("access denied names the action and points at the IAM permissions", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    await e2e.sb.admin.setFaults({
      failOperation: { operation: "GetUsagePlans", status: 403, code: "AccessDeniedException" },
    });
    const r = await p.upg(["plan"]);
    await e2e.sb.admin.resetFaults();
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Access denied: apigateway:GET/);
    expect(r.stderr).toContain("IAM");
  });

  it("plan --out to an unwritable path is a clear error", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    const r = await p.upg(["plan", "--out", "/nonexistent/dir/plan.json"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Error: Cannot write the plan to /nonexistent/dir/plan.json");
    expect(r.stderr).not.toMatch(NO_STACK);
  });

  it("apply -o json keeps stdout pure JSON: the plan and its problems go to stderr", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    const ok = await p.upg(["apply", "-o", "json", "--auto-approve"]);
    expect(ok.code).toBe(0);
    expect(
      JSON.parse(ok.stdout).results.map(
        (r: { changeId: string; outcome: string }) => `${r.changeId}:${r.outcome}`,
      ),
    ).toEqual(["create:free:ok"]);
    expect(ok.stderr).toContain("# free will be created");
    p.writePlan("free.yaml", FREE.replace("stage: dev", "stage: nope"));
    const bad = await p.upg(["apply", "-o", "json", "--auto-approve"]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toBe("");
    expect(bad.stderr).toContain("does not exist");
    expect(bad.stderr).toContain("nothing was applied");
  });

  it("a saved plan cannot be narrowed with --target, and a bad --lock-timeout fails before any AWS call", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    await p.upg(["plan", "--out", "plan.json"]);
    const t = await p.upg(["apply", "plan.json", "--target", "free"]);
    expect(t.code).toBe(1);
    expect(t.stderr).toContain("--target does not apply to a saved plan");
    await e2e.sb.admin.resetCounters();
    const l = await p.upg(["apply", "--auto-approve", "--lock-timeout", "soon"]);
    expect(l.code).toBe(1);
    expect(l.stderr).toContain('Invalid duration "soon"');
    expect((await e2e.sb.admin.counters()).total ?? 0).toBe(0);
  });

  it("a plan file that fails validation stops plan and apply before any AWS call", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", `${FREE}rate_limt: 3\n`);
    await e2e.sb.admin.resetCounters();
    const r = await p.upg(["apply", "--auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("plans/free.yaml:6:1: error: Unknown field `rate_limt`.");
    expect(r.stderr).toContain("The plan files have errors; nothing was read or written.");
    expect((await e2e.sb.admin.counters()).total ?? 0).toBe(0);
  });

  it("API Gateway 5xx that outlast the SDK's retries fail the change, not the run", async () => {
    // One change at a time, so that the injected failures all land on the first create.
    const p = await e2e.project({ config: "apply: { concurrency: 1 }" });
    p.writePlan("free.yaml", FREE);
    p.writePlan("gold.yaml", FREE.replace(/free/g, "gold").replace("Free", "Gold"));
    expect((await p.upg(["init"])).code).toBe(0);
    await e2e.sb.admin.setFaults({ failOperation: { operation: "CreateUsagePlan", status: 503, count: 5 } });
    const r = await p.upg(["apply", "--auto-approve"]);
    await e2e.sb.admin.resetFaults();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ create free: /);
    expect(r.stdout).toContain("Apply incomplete");
    expect(r.stdout).toContain("The changes marked ✓ were applied; the others were not.");
    const again = await p.upg(["apply", "--auto-approve"]);
    expect(again.code, again.stdout).toBe(0);
    expect((await e2e.plans()).map((x) => x.name).sort()).toEqual(["Free", "Gold"]);
  });
});
