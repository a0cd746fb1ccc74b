// Signals and progress, through the real CLI: SIGINT/SIGTERM mid-apply stop before the next change, finish
// and record the one in flight, release the lock and exit 130/143; a second signal exits at once and the
// next run finishes the work; Ctrl-C at the prompt and under a live spinner (in a pseudo-terminal); each
// change's line streams out as it completes; -o json keeps stdout pure JSON.

// Projects here apply one change at a time (`apply: { concurrency: 1 }`), so that "the change in flight" is one
// change; test/e2e/apply-concurrency.test.ts covers signals with several plans in flight.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LiveCli, spawnCli } from "../helpers/cli.js";
import { type E2E, type Project, startE2E, TIME_SCALE } from "./harness.js";

const ONE_AT_A_TIME = "apply: { concurrency: 1 }";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once the sandbox has received `op` `times` times (counted as the request arrives, before any latency). */
async function untilReceived(op: string, times: number) {
  for (let i = 0; i < 1000; i++) {
    if (((await e2e.sb.admin.counters())[op] ?? 0) >= times) return;
    await sleep(10);
  }
  throw new Error(`the sandbox never received ${op} ×${times}`);
}

const planYaml = (id: string, stage: string, key: string, rate = 5) =>
  `plan_id: ${id}\nname: Plan-${id}\nrate_limit: ${rate}\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: ${stage} }]\nkeys: [${key}]\n`;

/** Plans a, b, c, each with one declared key: 3 creates, then 3 attaches. */
async function threePlans(): Promise<Project> {
  const p = await e2e.project({ config: ONE_AT_A_TIME });
  p.writePlan("a.yaml", planYaml("a", "dev", "acme-dashboard"));
  p.writePlan("b.yaml", planYaml("b", "prod", "globex-mobile"));
  p.writePlan("c.yaml", planYaml("c", "dev", "initech-batch"));
  expect((await p.upg(["init"])).code).toBe(0);
  return p;
}

/** Each API Gateway call takes about `ms` (the sandbox scales injected latency by its time scale). */
const slowCalls = (ms: number) => e2e.sb.admin.setFaults({ latencyMs: ms / TIME_SCALE });

function start(
  p: Project,
  args: string[],
  opts: { tty?: boolean; env?: Record<string, string | undefined> } = {},
): LiveCli {
  return spawnCli(args, {
    cwd: p.dir,
    env: { ...e2e.sb.env(), AWS_PROFILE: undefined, CI: "1", ...opts.env },
    ...(opts.tty ? { tty: true } : {}),
  });
}

/** Live usage plans by name, with the names of their keys; throws on a duplicate name. */
async function liveState(p: Project): Promise<Record<string, string[]>> {
  const names = new Map(p.seed.apiKeys.map((k) => [k.id, k.name]));
  const out: Record<string, string[]> = {};
  for (const plan of await e2e.plans()) {
    if (out[plan.name!]) throw new Error(`duplicate live plan ${plan.name}`);
    out[plan.name!] = (await e2e.planKeys(plan.id!)).map((id) => names.get(id) ?? id).sort();
  }
  return out;
}

/** change_id of every audit row for a change (lock takeovers and unlocks left out), oldest first. */
async function auditedChanges(p: Project): Promise<string[]> {
  const rows = await p.store().listAudit();
  return rows
    .filter((r) => /-(plan|key|record)$/.test(r.action))
    .sort((x, y) => x.seq - y.seq)
    .map((r) => r.change_id);
}

/** The next apply is not refused for the lock, finishes the work, and leaves nothing to do. */
async function convergesNext(p: Project) {
  const next = await p.upg(["apply", "--auto-approve"]);
  expect(next.stderr).not.toContain("holds the apply lock");
  expect(next.code, next.stdout + next.stderr).toBe(0);
  const again = await p.upg(["plan", "--detailed-exitcode"]);
  expect(again.code, again.stdout + again.stderr).toBe(0);
  const verify = await p.upg(["audit", "verify"]);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  return next;
}

const ALL_CHANGES = [
  "create:a",
  "create:b",
  "create:c",
  expect.stringMatching(/^attach-key:a:/),
  expect.stringMatching(/^attach-key:b:/),
  expect.stringMatching(/^attach-key:c:/),
];
const CONVERGED = {
  "Plan-a": ["acme-dashboard"],
  "Plan-b": ["globex-mobile"],
  "Plan-c": ["initech-batch"],
};

describe("a signal mid-apply stops before the next change", { timeout: 60_000 }, () => {
  it.each([
    ["SIGINT", 130],
    ["SIGTERM", 143],
  ] as const)(
    "%s: the change in flight finishes and is recorded, the rest is not run, exit %i",
    async (sig, code) => {
      const p = await threePlans();
      await slowCalls(400);
      const creates = (await e2e.sb.admin.counters()).CreateUsagePlan ?? 0;
      const run = start(p, ["apply", "--auto-approve"]);
      await run.waitFor("✓ create a", { stream: "stdout" });
      // Create b's call is at AWS (the sandbox holds it 400 ms): it is in flight when the signal comes.
      await untilReceived("CreateUsagePlan", creates + 2);
      run.kill(sig);
      const r = await run.done;
      await e2e.sb.admin.resetFaults();

      expect(r.code, r.stdout + r.stderr).toBe(code);
      expect(r.stderr).toContain(`${sig} received: stopping after the changes in flight`);
      // What ran is listed (create b was in flight when the signal came), then why it stopped and what did not run.
      expect(r.stdout).toMatch(/^ {2}✓ create a \(\w+\) \d/m);
      expect(r.stdout).toMatch(/^ {2}✓ create b \(\w+\) \d/m);
      expect(r.stdout).not.toMatch(/create c \(|attach key/);
      expect(r.stdout).toContain(`Stopped: interrupted by ${sig}`);
      expect(r.stdout).toContain("Apply incomplete: 2 applied, 0 failed, 4 skipped.");
      expect(r.stdout).toMatch(/Not run: create:c, attach-key:a:\w+, attach-key:b:\w+, attach-key:c:\w+\./);
      expect(r.stdout).toMatch(/Audit log head: seq 2, sha256 [0-9a-f]{64}/);

      // The sandbox: only what was reported as applied happened.
      expect(await liveState(p)).toEqual({ "Plan-a": [], "Plan-b": [] });
      expect(await auditedChanges(p)).toEqual(["create:a", "create:b"]);
      expect(await p.store().getLock()).toBeUndefined();
      const recs = await p.store().listRecords();
      expect(recs.filter((x) => x.pending)).toEqual([]);

      const next = await convergesNext(p);
      expect(next.stdout).toContain("✓ create c");
      expect(next.stdout).not.toMatch(/create [ab]\b/);
      expect(await liveState(p)).toEqual(CONVERGED);
      expect(await auditedChanges(p)).toEqual(ALL_CHANGES);
    },
  );

  it("a second SIGINT exits at once; the next run finishes the change that was in flight", async () => {
    const p = await threePlans();
    await slowCalls(1500);
    const creates = (await e2e.sb.admin.counters()).CreateUsagePlan ?? 0;
    const run = start(p, ["apply", "--auto-approve"]);
    await run.waitFor("✓ create a", { stream: "stdout" });
    // Past create b's intent: its call is at AWS (the sandbox holds it 1.5 s before it answers).
    await untilReceived("CreateUsagePlan", creates + 2);
    run.kill("SIGINT");
    await run.waitFor("SIGINT received", { stream: "stderr" });
    const second = Date.now();
    run.kill("SIGINT");
    const r = await run.done;
    // Did not wait for create b (1.5 s per call).
    expect(Date.now() - second).toBeLessThan(1000);
    expect(r.code, r.stdout + r.stderr).toBe(130);
    expect(r.stderr).toContain(
      "SIGINT again: exiting now. The next `upg apply` finishes what this run started.",
    );
    expect(r.stdout).not.toContain("✓ create b");
    const lockId = /upg unlock (\w+) --reason/.exec(r.stderr)?.[1];
    expect(lockId, r.stderr).toBeDefined();

    // AWS had create b's request: it lands although nobody reads the answer. The lock, left to expire,
    // covers that; a user who takes it sooner waits for the call as we do here.
    await sleep(1800);
    await e2e.sb.admin.resetFaults();
    expect(await liveState(p)).toEqual({ "Plan-a": [], "Plan-b": [] });
    const b = await p.store().getRecord("b");
    expect(b?.pending).toBeDefined();

    const held = await p.upg(["apply", "--auto-approve"]);
    expect(held.code).toBe(1);
    expect(held.stderr).toContain(`holds the apply lock (lock id ${lockId})`);
    const unlock = await p.upg(["unlock", lockId!, "--reason", "second Ctrl-C in a test"]);
    expect(unlock.code, unlock.stdout + unlock.stderr).toBe(0);

    const next = await convergesNext(p);
    expect(next.stderr).toContain("Finishing what an earlier run left unfinished");
    expect(next.stdout).not.toMatch(/✓ create [ab]\b/);
    expect(await liveState(p)).toEqual(CONVERGED);
    expect(await auditedChanges(p)).toEqual(ALL_CHANGES);
  });

  it("-o json: a stopped run still prints one JSON document on stdout, with why it stopped", async () => {
    const p = await threePlans();
    await slowCalls(400);
    const creates = (await e2e.sb.admin.counters()).CreateUsagePlan ?? 0;
    const run = start(p, ["apply", "--auto-approve", "-o", "json"]);
    await run.waitFor("✓ create a", { stream: "stderr" });
    await untilReceived("CreateUsagePlan", creates + 2);
    run.kill("SIGINT");
    const r = await run.done;
    await e2e.sb.admin.resetFaults();
    expect(r.code, r.stderr).toBe(130);
    const doc = JSON.parse(r.stdout);
    expect(doc.stopped).toBe("interrupted by SIGINT");
    expect(doc.results.map((x: { outcome: string }) => x.outcome)).toEqual([
      "ok",
      "ok",
      "skipped",
      "skipped",
      "skipped",
      "skipped",
    ]);
    expect(doc.audit_head.seq).toBe(2);
    await convergesNext(p);
  });
});

describe("Ctrl-C typed at a terminal", { timeout: 60_000 }, () => {
  it("at the confirmation prompt: cancelled, nothing changed, exit 130, lock released", async () => {
    const p = await threePlans();
    const run = start(p, ["apply"], { tty: true });
    await run.waitFor("Enter a value:");
    run.child.stdin.write("\x03");
    const r = await run.done;
    run.child.stdin.end();
    expect(r.code, r.stdout).toBe(130);
    expect(r.stdout).toContain("SIGINT received: cancelling.");
    expect(r.stdout).toContain("Apply cancelled. Nothing was changed.");
    expect(await e2e.plans()).toEqual([]);
    expect(await auditedChanges(p)).toEqual([]);
    expect(await p.store().getLock()).toBeUndefined();
    await convergesNext(p);
    expect(await liveState(p)).toEqual(CONVERGED);
  });

  it("while the spinner runs: Ctrl-C reaches upg as SIGINT and stops it before the next change", async () => {
    const p = await threePlans();
    await slowCalls(400);
    // Not CI: a real spinner on a terminal of 120 columns.
    const creates = (await e2e.sb.admin.counters()).CreateUsagePlan ?? 0;
    const run = start(p, ["apply", "--auto-approve"], { tty: true, env: { CI: undefined } });
    await run.waitFor("✓ create a");
    await untilReceived("CreateUsagePlan", creates + 2);
    run.child.stdin.write("\x03");
    const r = await run.done;
    run.child.stdin.end();
    await e2e.sb.admin.resetFaults();
    expect(r.code, r.stdout).toBe(130);
    expect(r.stdout).toContain("SIGINT received: stopping after the changes in flight");
    expect(r.stdout).toContain("Stopped: interrupted by SIGINT");
    // The spinner was really drawn (ora hid the cursor and drew frames), and NO_COLOR kept it colourless.
    expect(r.stdout).toContain("\x1b[?25l");
    expect(r.stdout).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] create b…/);
    expect(r.stdout).not.toMatch(new RegExp(`${String.fromCharCode(27)}\\[\\d+m`)); // no SGR (colour) codes
    expect(r.stdout).not.toMatch(/create c \(|attach key/);
    expect(await liveState(p)).toEqual({ "Plan-a": [], "Plan-b": [] });
    expect(await p.store().getLock()).toBeUndefined();
    await convergesNext(p);
    expect(await liveState(p)).toEqual(CONVERGED);
  });
});

describe("progress streams as it happens", { timeout: 60_000 }, () => {
  it("in CI each change's line, with its duration, is on stdout the moment it completes", async () => {
    const p = await threePlans();
    await slowCalls(300);
    const run = start(p, ["apply", "--auto-approve"]);
    const r = await run.done;
    await e2e.sb.admin.resetFaults();
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^ {2}✓ create a \(\w+\) (\d+ ms|\d+\.\d s)$/m);
    expect(r.stdout).toMatch(/^ {2}✓ attach key initech-batch → c (\d+ ms|\d+\.\d s)$/m);
    const seen = (text: string) => run.chunks.find((c) => c.stream === "stdout" && c.text.includes(text))?.at;
    const times = ["✓ create a", "✓ create b", "✓ create c", "✓ attach key acme-dashboard"].map(seen);
    for (const t of times) expect(t).toBeDefined();
    // Each line arrived on its own, one call (≥ 300 ms) after the one before, and long before the end.
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBeGreaterThanOrEqual(250);
    expect(r.exitedAt - times[0]!).toBeGreaterThanOrEqual(1200);
  });

  it("a long pacing wait says what it waits for", async () => {
    const p = await e2e.project({ config: ONE_AT_A_TIME });
    p.writePlan("a.yaml", planYaml("a", "dev", "acme-dashboard"));
    p.writePlan("b.yaml", planYaml("b", "prod", "globex-mobile"));
    expect((await p.upg(["init"])).code).toBe(0);
    const setup = await p.upg(["apply", "--auto-approve"]);
    expect(setup.code, setup.stdout + setup.stderr).toBe(0);
    // One UpdateUsagePlan per 2.5 s: the second update waits.
    const config = join(p.dir, "upg.config.yaml");
    writeFileSync(
      config,
      readFileSync(config, "utf8").replace(
        "update_usage_plan_interval_ms: 200",
        "update_usage_plan_interval_ms: 2500",
      ),
    );
    p.writePlan("a.yaml", planYaml("a", "dev", "acme-dashboard", 6));
    p.writePlan("b.yaml", planYaml("b", "prod", "globex-mobile", 7));
    const run = start(p, ["apply", "--auto-approve"]);
    const r = await run.done;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /^ {2}… UpdateUsagePlan: AWS allows one every 20 s per account; next in [123] s$/m,
    );
    const seen = (text: string) => run.chunks.find((c) => c.text.includes(text))?.at;
    const [first, wait, second] = [seen("✓ update a"), seen("… UpdateUsagePlan"), seen("✓ update b")];
    expect(first! <= wait! && wait! < second!).toBe(true);
    expect(second! - wait!).toBeGreaterThanOrEqual(900);
    expect(r.stdout).toMatch(/^ {2}✓ update b \d\.\d s$/m);
  });

  it("-o json: stdout is one JSON document with audit_head; the plan and progress go to stderr", async () => {
    const p = await threePlans();
    const r = await p.upg(["apply", "--auto-approve", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.results).toHaveLength(6);
    expect(doc.results.every((x: { outcome: string }) => x.outcome === "ok")).toBe(true);
    expect(doc.stopped).toBeUndefined();
    expect(doc.audit_head).toEqual({ seq: 6, hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const head = await p.store().auditHead();
    expect(doc.audit_head.hash).toBe(head?.hash);
    expect(r.stderr).toContain("Plan: 3 to create");
    expect(r.stderr).toMatch(/^ {2}✓ create a \(\w+\)/m);
    expect(r.stdout).not.toContain("✓");
  });
});

describe("Ctrl-C while apply waits", () => {
  it("during a pacing wait: the waiting call is not sent, and apply stops at once", async () => {
    const p = await e2e.project({ config: ONE_AT_A_TIME });
    p.writePlan("a.yaml", planYaml("a", "dev", "acme-dashboard"));
    p.writePlan("b.yaml", planYaml("b", "prod", "globex-mobile"));
    expect((await p.upg(["init"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    const config = join(p.dir, "upg.config.yaml");
    writeFileSync(
      config,
      readFileSync(config, "utf8").replace(
        "update_usage_plan_interval_ms: 200",
        "update_usage_plan_interval_ms: 20000",
      ),
    );
    p.writePlan("a.yaml", planYaml("a", "dev", "acme-dashboard", 6));
    p.writePlan("b.yaml", planYaml("b", "prod", "globex-mobile", 7));
    const updatesBefore = (await e2e.sb.admin.counters()).UpdateUsagePlan ?? 0;
    const run = start(p, ["apply", "--auto-approve"]);
    await run.waitFor("… UpdateUsagePlan: AWS allows one every 20 s per account", { timeoutMs: 20_000 });
    const sentAt = Date.now();
    run.kill("SIGINT");
    const r = await run.done;
    expect(Date.now() - sentAt).toBeLessThan(5000); // not the 20 s wait
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/✓ update a/);
    expect(r.stdout).not.toMatch(/✓ update b/);
    expect(r.stderr).toContain("Stopped (interrupted by SIGINT): 1 applied, 1 not applied.");
    expect((await e2e.sb.admin.counters()).UpdateUsagePlan ?? 0).toBe(updatesBefore + 1);
    // The lock is released and nothing is left pending: the next apply makes only the update of b.
    const store = p.store();
    expect(await store.getLock()).toBeUndefined();
    expect((await store.listRecords()).filter((x) => x.pending)).toEqual([]);
    const rows = (await store.listAudit()).map((x) => x.change_id);
    expect(rows.filter((x) => x.startsWith("update:"))).toEqual(["update:a"]);
  });

  it("while waiting for another run's lock (--lock-timeout): cancelled at once, the lock untouched", async () => {
    const p = await e2e.project({ config: ONE_AT_A_TIME });
    p.writePlan("a.yaml", planYaml("a", "dev", "acme-dashboard"));
    expect((await p.upg(["init"])).code).toBe(0);
    const other = p.store();
    await other.acquireLock({ owner: "someone-else", runId: "other-run", ttlSeconds: 600 });
    const run = start(p, ["apply", "--auto-approve", "--lock-timeout", "5m"]);
    await sleep(1500);
    const sentAt = Date.now();
    run.kill("SIGINT");
    const r = await run.done;
    expect(Date.now() - sentAt).toBeLessThan(3000);
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("nothing was applied");
    expect((await other.getLock())?.run_id).toBe("other-run");
    expect(await e2e.plans()).toEqual([]);
  });
});
