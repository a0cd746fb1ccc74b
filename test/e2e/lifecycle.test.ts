// `upg lifecycle` and `upg migrate` through the real CLI against the sandbox: the plan file keeps its
// comments, archive is refused while keys are on the plan, status, located errors with nothing written,
// migrate dry run writes nothing, --confirm moves keys (detach before attach on a shared stage, audited),
// a failed attach re-attaches the key to FROM, and no output ever holds a key value.

import { readFileSync } from "node:fs";
import { join } from "node:path";
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

const FREE = `# The free tier: a comment that must survive every edit.
plan_id: free
name: Free
rate_limit: 5 # five per second
burst_limit: 10
stages: [{ api_name: weather-api, stage: prod }]
keys:
  - acme-dashboard # Acme's dashboard
  - initech-batch
`;
const BASIC = `plan_id: basic
name: Basic
rate_limit: 100
burst_limit: 200
stages: [{ api_name: weather-api, stage: prod }]
`;
const DEV = `plan_id: dev-only
name: Dev only
rate_limit: 10
burst_limit: 20
stages: [{ api_name: weather-api, stage: dev }]
`;

async function applied(): Promise<Project> {
  const p = await e2e.project();
  p.writePlan("free.yaml", FREE);
  p.writePlan("basic.yaml", BASIC);
  p.writePlan("dev.yaml", DEV);
  expect((await p.upg(["init"])).code).toBe(0);
  const r = await p.upg(["apply", "--auto-approve"]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return p;
}

const planFile = (p: Project, name: string) => readFileSync(join(p.dir, "plans", name), "utf8");

function noKeyValues(p: Project, text: string): void {
  for (const k of p.seed.apiKeys) expect(text).not.toContain(k.value);
}

async function liveKeys(name: string): Promise<string[]> {
  return e2e.planKeys((await e2e.planByName(name)).id!);
}

const WRITES = /^(Create|Update|Delete|Tag|Untag|Import)/;

describe("upg lifecycle", () => {
  it("deprecate keeps comments and shows the plan; archive is refused with the keys; status; activate", async () => {
    const p = await applied();
    const r = await p.upg(["lifecycle", "deprecate", "free", "--successor", "basic"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("Edited plans/free.yaml: free Active → Deprecated (successor basic)");
    expect(r.stdout).toContain("upg apply");
    const text = planFile(p, "free.yaml");
    expect(text).toContain("# The free tier: a comment that must survive every edit.");
    expect(text).toContain("rate_limit: 5 # five per second");
    expect(text).toContain("- acme-dashboard # Acme's dashboard");
    expect(text).toContain("lifecycle_state: Deprecated");
    expect(text).toContain("successor: basic");

    const archive = await p.upg(["lifecycle", "archive", "free"]);
    expect(archive.code).toBe(1);
    expect(archive.stderr).toContain("acme-dashboard");
    expect(archive.stderr).toContain("initech-batch");
    expect(archive.stderr).toContain("upg migrate free --to basic");
    expect(planFile(p, "free.yaml")).toBe(text);

    const skip = await p.upg(["lifecycle", "archive", "basic"]);
    expect(skip.code).toBe(1);
    expect(skip.stderr).toContain("deprecated before it is archived");

    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    const st = await p.upg(["lifecycle", "status", "free", "-o", "json"]);
    expect(st.code, st.stderr).toBe(0);
    const [row] = JSON.parse(st.stdout) as Array<{
      declared_state: string;
      applied_state: string;
      successor: string;
      since: { at: string } | null;
      keys: Array<{ name: string }>;
      joined_after_deprecation: unknown[];
    }>;
    expect(row!.declared_state).toBe("Deprecated");
    expect(row!.applied_state).toBe("Deprecated");
    expect(row!.successor).toBe("basic");
    expect(row!.since?.at).toMatch(/^\d{4}-/);
    expect(row!.keys.map((k) => k.name).sort()).toEqual(["acme-dashboard", "initech-batch"]);
    expect(row!.joined_after_deprecation).toEqual([]);
    const human = await p.upg(["lifecycle", "status"]);
    expect(human.stdout).toContain("free: Deprecated");
    expect(human.stdout).toContain("successor: basic");
    expect(human.stdout).toContain("joined after deprecation: none");
    noKeyValues(p, st.stdout + human.stdout + r.stdout + archive.stderr);

    const act = await p.upg(["lifecycle", "activate", "free"]);
    expect(act.code, act.stderr).toBe(0);
    expect(planFile(p, "free.yaml")).toContain("lifecycle_state: Active");
    expect(planFile(p, "free.yaml")).toContain("# Acme's dashboard");
  });

  it("a malformed plan file or an unknown successor is a located error and nothing is written; an unknown plan is refused", async () => {
    const p = await e2e.project();
    const bad = FREE.replace("burst_limit: 10", "burst_limit: 10\nburst_limit: 11");
    p.writePlan("free.yaml", bad);
    p.writePlan("basic.yaml", BASIC);
    const r = await p.upg(["lifecycle", "deprecate", "free"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/free\.yaml:\d+:\d+/);
    expect(planFile(p, "free.yaml")).toBe(bad);
    p.writePlan("free.yaml", FREE);
    const succ = await p.upg(["lifecycle", "deprecate", "free", "--successor", "nope"]);
    expect(succ.code).toBe(1);
    expect(succ.stderr).toMatch(/plans\/free\.yaml:\d+:\d+: error: successor `nope` is not a plan_id/);
    expect(planFile(p, "free.yaml")).toBe(FREE);
    const u = await p.upg(["lifecycle", "deprecate", "nope"]);
    expect(u.code).toBe(1);
    expect(u.stderr).toContain("Unknown plan nope");
  });
});

describe("upg migrate", () => {
  it("dry run writes nothing; --confirm moves keys, detach before attach, audited; files edited", async () => {
    const p = await applied();
    expect((await p.upg(["lifecycle", "deprecate", "free", "--successor", "basic"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    const freeText = planFile(p, "free.yaml");

    // Usage this period is shown per key (free has no quota: since the 1st of the month).
    const freeId = (await e2e.planByName("Free")).id!;
    const today = new Date().toISOString().slice(0, 10);
    const acmeId = p.seed.apiKeys.find((k) => k.name === "acme-dashboard")!.id;
    await e2e.sb.admin.recordUsage({ usagePlanId: freeId, keyId: acmeId, date: today, count: 37 });

    const before = await e2e.sb.admin.counters();
    const dry = await p.upg(["migrate", "free"]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain("Would move 2 API keys from free to basic");
    expect(dry.stdout).toMatch(/ used \d{4}-\d\d-01\.\.\d{4}-\d\d-\d\d /);
    expect(dry.stdout).toMatch(
      new RegExp(`acme-dashboard +${acmeId} +37 +detach from free, then attach to basic`),
    );
    expect(dry.stdout).toContain("Dry run: nothing was changed");
    const after = await e2e.sb.admin.counters();
    expect(Object.keys(after).filter((op) => WRITES.test(op) && after[op] !== before[op])).toEqual([]);
    expect(planFile(p, "free.yaml")).toBe(freeText);

    const refusals = await Promise.all([
      p.upg(["migrate", "nope", "--to", "basic"]),
      p.upg(["migrate", "free", "--key", "nobody"]),
      p.upg(["migrate", "free", "--to", "dev-only"]),
    ]);
    expect(refusals.map((x) => x.code)).toEqual([1, 1, 1]);
    expect(refusals[0]!.stderr).toContain("Unknown plan nope");
    expect(refusals[1]!.stderr).toContain("Unknown API key nobody");
    expect(refusals[2]!.stderr).toContain("does not cover stage");

    const r = await p.upg(["migrate", "free", "--confirm"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("Moved 2 of 2 API keys from free to basic");
    noKeyValues(p, dry.stdout + dry.stderr + r.stdout + r.stderr);
    const ids = p.seed.apiKeys.filter((k) => k.name !== "globex-mobile").map((k) => k.id);
    expect(await liveKeys("Free")).toEqual([]);
    expect(await liveKeys("Basic")).toEqual([...ids].sort());
    expect(planFile(p, "free.yaml")).toContain("# The free tier");
    expect(planFile(p, "free.yaml")).not.toContain("initech-batch");

    const rows = await p.store().listAudit({});
    for (const id of ids) {
      const detach = rows.find((x) => x.change_id === `detach-key:free:${id}`);
      const attach = rows.find((x) => x.change_id === `attach-key:basic:${id}`);
      expect(detach?.outcome).toBe("ok");
      expect(attach?.outcome).toBe("ok");
      expect(detach!.seq).toBeLessThan(attach!.seq);
      expect(attach!.trigger).toBe("migrate");
    }
    const plan = await p.upg(["plan", "--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    const arch = await p.upg(["lifecycle", "archive", "free"]);
    expect(arch.code, arch.stderr).toBe(0);
  });

  it("a key that cannot join TO is attached back to FROM", async () => {
    const p = await applied();
    expect((await p.upg(["lifecycle", "deprecate", "free", "--successor", "basic"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    await e2e.sb.admin.setFaults({
      failOperation: { operation: "CreateUsagePlanKey", status: 400, count: 1 },
    });
    const r = await p.upg(["migrate", "free", "--key", "initech-batch", "--confirm"]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toContain("Attached back to free: initech-batch");
    noKeyValues(p, r.stdout + r.stderr);
    const initech = p.seed.apiKeys.find((k) => k.name === "initech-batch")!.id;
    expect(await liveKeys("Free")).toContain(initech);
    expect(await liveKeys("Basic")).not.toContain(initech);
    expect(planFile(p, "free.yaml")).toContain("initech-batch");
    const rows = await p.store().listAudit({});
    expect(
      rows
        .filter((x) => x.change_id === `attach-key:free:${initech}` && x.trigger === "migrate")
        .map((x) => x.outcome),
    ).toEqual(["ok"]);
    const plan = await p.upg(["plan", "-o", "json"]);
    const doc = JSON.parse(plan.stdout) as { changes: Array<{ resource: string }>; problems: unknown[] };
    expect(doc.changes.filter((c) => c.resource === "key")).toEqual([]);
    expect(doc.problems).toEqual([]);

    // Attach and attach-back both fail: the key is in no plan; the next migrate finds it and attaches it to TO.
    await e2e.sb.admin.setFaults({
      failOperation: { operation: "CreateUsagePlanKey", status: 400, count: 2 },
    });
    const lost = await p.upg(["migrate", "free", "--key", "initech-batch", "--confirm"]);
    expect(lost.code).toBe(1);
    expect(lost.stdout).toContain("In no plan now");
    expect(await liveKeys("Free")).not.toContain(initech);
    const dry = await p.upg(["migrate", "free"]);
    expect(dry.stdout).toMatch(
      /initech-batch .* left free in a stopped run, in no plan now: attach to basic/,
    );
    const resumed = await p.upg(["migrate", "free", "--confirm"]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(await liveKeys("Basic")).toContain(initech);
    expect(await liveKeys("Free")).toEqual([]);
    noKeyValues(p, lost.stdout + lost.stderr + dry.stdout + resumed.stdout + resumed.stderr);
  });

  it("kill -9 between a detach and its attach: unlock, migrate again, and no customer is lost", async () => {
    const p = await applied();
    expect((await p.upg(["lifecycle", "deprecate", "free", "--successor", "basic"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    await e2e.sb.admin.setFaults({ latencyMs: 300 / TIME_SCALE });
    const run = spawnCli(["migrate", "free", "--confirm"], {
      cwd: p.dir,
      env: { ...e2e.sb.env(), AWS_PROFILE: undefined, CI: "1" },
    });
    await run.waitFor("✓ detach key acme-dashboard", { timeoutMs: 30_000 });
    run.kill("SIGKILL");
    await run.done;
    await e2e.sb.admin.resetFaults();
    await new Promise((r) => setTimeout(r, 500)); // a call in flight lands
    const held = await p.upg(["migrate", "free", "--confirm"]);
    expect(held.code).toBe(1);
    const lockId = /upg unlock (\w+)/.exec(held.stderr)?.[1];
    expect(lockId, held.stderr).toBeTruthy();
    expect((await p.upg(["unlock", lockId!, "--reason", "killed mid-migrate"])).code).toBe(0);
    const resumed = await p.upg(["migrate", "free", "--confirm"]);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    const ids = p.seed.apiKeys.filter((k) => k.name !== "globex-mobile").map((k) => k.id);
    expect(await liveKeys("Basic")).toEqual([...ids].sort());
    expect(await liveKeys("Free")).toEqual([]);
    const plan = await p.upg(["plan", "-o", "json"]);
    const doc = JSON.parse(plan.stdout) as { changes: Array<{ resource: string }>; problems: unknown[] };
    expect(doc.changes.filter((c) => c.resource === "key")).toEqual([]);
    expect(doc.problems).toEqual([]);
    expect((await p.upg(["audit", "verify"])).code).toBe(0);
  });
});
