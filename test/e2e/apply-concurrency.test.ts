// The CLI with `apply: { concurrency: N }` in upg.config.yaml: plans' creates overlap at AWS, one progress line per change, the audit
// chain verifies; SIGINT lets the creates in flight finish and be recorded and starts no other, and the next
// run converges.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli } from "../helpers/cli.js";
import { type E2E, type Project, startE2E, TIME_SCALE } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const CONCURRENCY = 4;
const PLANS = 10;

async function untilReceived(op: string, times: number) {
  for (let i = 0; i < 1000; i++) {
    if (((await e2e.sb.admin.counters())[op] ?? 0) >= times) return;
    await sleep(10);
  }
  throw new Error(`the sandbox never received ${op} ×${times}`);
}

async function tenPlans(): Promise<Project> {
  const p = await e2e.project({ config: `apply: { concurrency: ${CONCURRENCY} }` });
  for (let i = 0; i < PLANS; i++) {
    p.writePlan(
      `p${i}.yaml`,
      `plan_id: p${i}\nname: Plan-${i}\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n`,
    );
  }
  expect((await p.upg(["init"])).code).toBe(0);
  return p;
}

const env = () => ({
  ...e2e.sb.env(),
  AWS_PROFILE: undefined,
  CI: "1",
});

describe("apply with apply.concurrency", { timeout: 60_000 }, () => {
  it("creates overlap at AWS; each change has its line and its audit row; the chain verifies", async () => {
    const p = await tenPlans();
    await e2e.sb.admin.setFaults({ latencyMs: 300 / TIME_SCALE });
    const creates = (await e2e.sb.admin.counters()).CreateUsagePlan ?? 0;
    const run = spawnCli(["apply", "--auto-approve"], { cwd: p.dir, env: env() });
    // The first creates are all at AWS (held 300 ms each) before any of them has answered.
    await untilReceived("CreateUsagePlan", creates + CONCURRENCY);
    expect(run.stdout()).not.toMatch(/✓ create/);
    const r = await run.done;
    await e2e.sb.admin.resetFaults();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout.match(/^ {2}✓ create p\d \(\w+\) \d/gm)).toHaveLength(PLANS);
    expect(r.stdout).toContain(`Apply complete: ${PLANS} changes applied.`);
    const rows = await p.store().listAudit();
    expect(rows.map((x) => x.change_id).sort()).toEqual(
      Array.from({ length: PLANS }, (_, i) => `create:p${i}`).sort(),
    );
    const verify = await p.upg(["audit", "verify"]);
    expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    expect((await e2e.plans()).length).toBe(PLANS);
  });

  it("SIGINT: the creates in flight finish and are recorded, no other starts, exit 130; the next run converges", async () => {
    const p = await tenPlans();
    await e2e.sb.admin.setFaults({ latencyMs: 400 / TIME_SCALE });
    const creates = (await e2e.sb.admin.counters()).CreateUsagePlan ?? 0;
    const run = spawnCli(["apply", "--auto-approve"], { cwd: p.dir, env: env() });
    await untilReceived("CreateUsagePlan", creates + CONCURRENCY);
    run.kill("SIGINT");
    const r = await run.done;
    await e2e.sb.admin.resetFaults();
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stdout.match(/^ {2}✓ create p\d \(\w+\) \d/gm)).toHaveLength(CONCURRENCY);
    expect(r.stdout).toContain("Stopped: interrupted by SIGINT");
    expect(r.stdout).toContain(
      `Apply incomplete: ${CONCURRENCY} applied, 0 failed, ${PLANS - CONCURRENCY} skipped.`,
    );
    expect((await e2e.sb.admin.counters()).CreateUsagePlan).toBe(creates + CONCURRENCY);
    const store = p.store();
    expect(await store.getLock()).toBeUndefined();
    const records = await store.listRecords();
    expect(records.filter((x) => x.pending)).toEqual([]);
    expect(records).toHaveLength(CONCURRENCY);
    expect((await store.listAudit()).map((x) => x.change_id).sort()).toEqual(
      records.map((x) => `create:${x.plan_id}`).sort(),
    );
    expect((await p.upg(["audit", "verify"])).code).toBe(0);

    const next = await p.upg(["apply", "--auto-approve"], { env: env() });
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stdout).toContain(`Apply complete: ${PLANS - CONCURRENCY} changes applied.`);
    expect((await p.upg(["plan", "--detailed-exitcode"])).code).toBe(0);
    expect((await p.upg(["audit", "verify"])).code).toBe(0);
    expect((await e2e.plans()).length).toBe(PLANS);
  });
});
