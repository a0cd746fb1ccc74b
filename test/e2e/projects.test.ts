// Two repositories that share an account and upg's tables, through the real CLI against the sandbox: each
// `project:` applies its own plans and sees only them; neither changes, deletes or takes over the other's
// plans; their applies run at once (one lock per project, one audit chain); and a project-less install moves
// into a project plan by plan.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetTagsCommand, UpdateUsagePlanCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type CliRun, runCli } from "../helpers/cli.js";
import { type E2E, type Project, pause, startE2E } from "./harness.js";

let e2e: E2E;
const dirs: string[] = [];
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Repo {
  dir: string;
  upg(args: string[]): Promise<CliRun>;
  write(name: string, yaml: string): void;
  remove(name: string): void;
}

function repoOf(dir: string): Repo {
  const env = { ...e2e.sb.env(), AWS_PROFILE: undefined, CI: "1" };
  return {
    dir,
    upg: (args) => runCli(args, { cwd: dir, env }),
    write: (name, yaml) => writeFileSync(join(dir, "plans", name), yaml),
    remove: (name) => rmSync(join(dir, "plans", name)),
  };
}

/** Project A (the harness's project, `project: team-a`) and project B: another directory, same tables. */
async function twoProjects(): Promise<{ p: Project; a: Repo; b: Repo }> {
  const p = await e2e.project({ config: "project: team-a" });
  const dir = mkdtempSync(join(tmpdir(), "upg-e2e-b-"));
  dirs.push(dir);
  mkdirSync(join(dir, "plans"));
  const config = readFileSync(join(p.dir, "upg.config.yaml"), "utf8").replace(
    "project: team-a",
    "project: team-b",
  );
  writeFileSync(join(dir, "upg.config.yaml"), config);
  return { p, a: repoOf(p.dir), b: repoOf(dir) };
}

const planFile = (planId: string, name: string, rate = 10) =>
  `plan_id: ${planId}\nname: ${name}\nrate_limit: ${rate}\nburst_limit: ${rate * 2}\nstages:\n  - { api_name: weather-api, stage: prod }\n`;

async function tagsOf(id: string): Promise<Record<string, string>> {
  const arn = `arn:aws:apigateway:${e2e.sb.region}::/usageplans/${id}`;
  return (await e2e.sdk.send(new GetTagsCommand({ resourceArn: arn }))).tags ?? {};
}

const writes = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(
    Object.keys(after)
      .filter((op) => /^(Create|Update|Delete|Tag|Untag)/.test(op) && (after[op] ?? 0) !== (before[op] ?? 0))
      .map((op) => [op, (after[op] ?? 0) - (before[op] ?? 0)]),
  );

const ok = (r: CliRun) => [r.code, r.stdout + r.stderr] as const;

describe("projects that share an account and upg's tables", () => {
  it("each project applies and sees only its own plans; neither deletes, takes over or reports the other's", async () => {
    const { p, a, b } = await twoProjects();
    expect((await a.upg(["init"])).code).toBe(0);
    a.write("a-basic.yaml", planFile("a-basic", "A Basic"));
    a.write("a-gold.yaml", planFile("a-gold", "A Gold", 50));
    a.write("a-keep.yaml", planFile("a-keep", "A Keep", 5));
    b.write("b-basic.yaml", planFile("b-basic", "B Basic", 20));
    b.write("b-gold.yaml", planFile("b-gold", "B Gold", 70));

    // Both applies at once: one lock per project, so neither waits for (or fails on) the other's.
    const [ra, rb] = await Promise.all([
      a.upg(["apply", "--auto-approve"]),
      b.upg(["apply", "--auto-approve"]),
    ]);
    expect(ra.code, ra.stdout + ra.stderr).toBe(0);
    expect(rb.code, rb.stdout + rb.stderr).toBe(0);
    expect(ra.stdout).toContain("Plan: 3 to create");
    expect(rb.stdout).toContain("Plan: 2 to create");
    expect(rb.stdout).not.toMatch(/a-basic|a-gold|a-keep/);

    // Tags and records carry the project.
    const live = await e2e.plans();
    expect(live.length).toBe(5);
    const bBasic = await e2e.planByName("B Basic");
    expect(await tagsOf(bBasic.id!)).toEqual({ "upg:plan-id": "b-basic", "upg:project": "team-b" });
    expect(await tagsOf((await e2e.planByName("A Gold")).id!)).toEqual({
      "upg:plan-id": "a-gold",
      "upg:project": "team-a",
    });
    const records = await p.store().listRecords();
    expect(Object.fromEntries(records.map((r) => [r.plan_id, r.project]))).toEqual({
      "a-basic": "team-a",
      "a-gold": "team-a",
      "a-keep": "team-a",
      "b-basic": "team-b",
      "b-gold": "team-b",
    });

    // Each plan is clean and never lists the other's plans (as removed, unmanaged or at all).
    for (const repo of [a, b]) {
      const plan = await repo.upg(["plan", "--detailed-exitcode"]);
      expect(...ok(plan)).toBe(0);
      expect(plan.stdout).toContain("No changes.");
      expect(plan.stdout).not.toMatch(repo === a ? /b-basic|b-gold|B Basic/ : /a-basic|a-gold|A Basic/);
    }
    // status lists the other project's plans for information only.
    const status = await a.upg(["status"]);
    expect(...ok(status)).toBe(0);
    expect(status.stdout).toMatch(/b-basic.*owned by project team-b/s);
    const show = await a.upg(["show", "b-basic"]);
    expect(show.code).toBe(1);
    expect(show.stderr).toContain("b-basic is owned by project team-b, not by project team-a.");
    // Keys commands act only on the project's own plans: no key is created for B's plan from A.
    const keysBefore = await e2e.sb.admin.counters();
    const key = await a.upg([
      "keys",
      "create",
      "intruder",
      "--plan",
      "b-basic",
      "--value-file",
      join(a.dir, "k"),
    ]);
    expect(key.code).toBe(1);
    expect(key.stderr).toContain("Plan b-basic is owned by project team-b, not by project team-a.");
    expect(writes(keysBefore, await e2e.sb.admin.counters())).toEqual({});
    expect(status.stdout).toContain(
      "3 plans: 3 in sync, 0 with pending changes, 0 drifted; 2 owned by other projects",
    );

    // Drift in B's plan is B's business: A's drift does not report it, B's does.
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: bBasic.id!,
        patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "999" }],
      }),
    );
    const driftA = await a.upg(["drift", "-o", "json"]);
    expect(...ok(driftA)).toBe(0);
    const reportA = JSON.parse(driftA.stdout) as { violations: unknown[]; other_projects?: unknown[] };
    expect(reportA.violations).toEqual([]);
    // B's plans are listed for information only.
    expect(reportA.other_projects).toHaveLength(2);
    expect(reportA.other_projects).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ plan_id: "b-basic", plan_name: "B Basic", project: "team-b" }),
        expect.objectContaining({ plan_id: "b-gold", plan_name: "B Gold", project: "team-b" }),
      ]),
    );
    const driftB = await b.upg(["drift", "-o", "json"]);
    expect(driftB.code).toBe(2);
    expect(JSON.parse(driftB.stdout).violations).toEqual([
      expect.objectContaining({ violation_type: "rate_limit_changed", plan_id: "b-basic" }),
    ]);

    // Removing A's plan files deletes only A's plans (upg refuses to run with no plan file at all, so one stays).
    a.remove("a-basic.yaml");
    a.remove("a-gold.yaml");
    const del = await a.upg(["apply", "--auto-approve"]);
    expect(...ok(del)).toBe(0);
    expect(del.stdout).toContain("Plan: 0 to create, 0 to update, 0 to recreate, 2 to delete");
    expect((await e2e.plans()).map((x) => x.name).sort()).toEqual(["A Keep", "B Basic", "B Gold"]);
    const bPlan = await b.upg(["plan", "--detailed-exitcode"]);
    expect(bPlan.code, bPlan.stdout).toBe(2); // only B's own drift (rate 999) is left to repair
    expect(bPlan.stdout).toContain("# b-basic");
    expect(bPlan.stdout).not.toMatch(/a-basic|a-gold|to delete [1-9]|[1-9] to delete/);

    // A plan file in A that takes B's plan: a problem at plan time, and apply writes nothing.
    a.write("b-basic.yaml", planFile("b-basic", "B Basic", 1));
    const taken = await a.upg(["plan"]);
    expect(taken.code).toBe(1);
    expect(taken.stdout).toMatch(
      /b-basic\.yaml:1:1: b-basic: the plan_id b-basic is owned by project team-b \(usage plan \w+ "B Basic"\)/,
    );
    expect(taken.stdout).toContain("Give this plan a plan_id and name of its own");
    const bRecord = (await p.store().getRecord("b-basic"))!;
    const before = await e2e.sb.admin.counters();
    const refused = await a.upg(["apply", "--auto-approve"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("nothing was applied");
    expect(writes(before, await e2e.sb.admin.counters())).toEqual({});
    expect((await p.store().getRecord("b-basic"))!.version).toBe(bRecord.version);
    expect((await e2e.planByName("B Basic")).throttle?.rateLimit).toBe(999);
    a.remove("b-basic.yaml");

    // B repairs its own drift; one audit chain for both projects, and it verifies.
    expect(...ok(await b.upg(["apply", "--auto-approve"]))).toBe(0);
    expect(...ok(await a.upg(["audit", "verify"]))).toBe(0);
    const audit = await p.store().listAudit();
    expect(new Set(audit.map((r) => r.plan_id))).toEqual(
      new Set(["a-basic", "a-gold", "a-keep", "b-basic", "b-gold"]),
    );
  }, 150_000);

  it("a project-less install moves into a project: declared plans are claimed (tag + record), the rest is left alone", async () => {
    const p = await e2e.project();
    const repo = repoOf(p.dir);
    expect((await repo.upg(["init"])).code).toBe(0);
    repo.write("basic.yaml", planFile("basic", "Basic"));
    repo.write("legacy.yaml", planFile("legacy", "Legacy", 3));
    expect(...ok(await repo.upg(["apply", "--auto-approve"]))).toBe(0);
    const legacyBefore = (await p.store().getRecord("legacy"))!;

    // The config names a project now; legacy's file moved to another repository (still without a project).
    const cfg = join(p.dir, "upg.config.yaml");
    writeFileSync(cfg, `${readFileSync(cfg, "utf8")}\nproject: team-a\n`);
    repo.remove("legacy.yaml");
    const plan = await repo.upg(["plan", "--detailed-exitcode"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(2);
    expect(plan.stdout).toContain("move into project team-a");
    expect(plan.stdout).toContain('+ tags[upg:project] = "team-a"');
    expect(plan.stdout).toContain("Plan: 0 to create, 1 to update, 0 to recreate, 0 to delete");
    expect(plan.stdout).not.toContain("legacy");

    const before = await e2e.sb.admin.counters();
    const r = await repo.upg(["apply", "--auto-approve"]);
    expect(...ok(r)).toBe(0);
    // Only a tag: no setting changes, nothing created or deleted.
    expect(writes(before, await e2e.sb.admin.counters())).toEqual({ TagResource: 1 });
    const basic = await e2e.planByName("Basic");
    expect(await tagsOf(basic.id!)).toEqual({ "upg:plan-id": "basic", "upg:project": "team-a" });
    expect((await p.store().getRecord("basic"))!.project).toBe("team-a");
    // legacy: no plan file here and no project: out of scope, untouched.
    expect(await p.store().getRecord("legacy")).toEqual(legacyBefore);
    expect((await e2e.planByName("Legacy")).id).toBe(legacyBefore.api_gateway_id);

    expect(...ok(await repo.upg(["plan", "--detailed-exitcode"]))).toBe(0);
    const status = await repo.upg(["status"]);
    expect(status.stdout).toMatch(/legacy.*owned outside any project/s);
    expect(...ok(await repo.upg(["audit", "verify"]))).toBe(0);
    const history = await p.store().listAudit();
    expect(history.at(-1)).toMatchObject({ plan_id: "basic", action: "update-plan", outcome: "ok" });
  }, 90_000);

  it("a project name a tag cannot carry is a located error with a hint, before anything is read", async () => {
    const p = await e2e.project({ config: 'project: "team a!"' });
    const r = await runCli(["plan"], { cwd: p.dir, env: { ...e2e.sb.env(), AWS_PROFILE: undefined } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/upg\.config\.yaml:5:10: error: .*project "team a!" contains " "/);
    expect(r.stderr).toContain("letters, digits and _ . : / = + - @");
  });
});
