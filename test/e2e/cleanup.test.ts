// `upg cleanup` through the real CLI against the sandbox: every scope as a dry run (the sandbox's counters
// show no write, the master records and the audit log are unchanged) and confirmed; keys losing access need
// --allow-key-loss; deletion_protection and declared plans are kept; another project's plans are never
// touched; a Ctrl-C mid-run stops before the next removal and the same cleanup finishes the rest; a user
// without write permission gets nothing half-removed and an output that says so.

import { CreateUsagePlanCommand, CreateUsagePlanKeyCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli } from "../helpers/cli.js";
import { type E2E, type Project, startE2E, TIME_SCALE } from "./harness.js";

const ALLOW_ALL = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ iamPolicy: ALLOW_ALL } as unknown as Parameters<typeof startE2E>[0]);
});
afterAll(async () => {
  await e2e?.stop();
});

async function handMade(
  p: Project,
  name: string,
  opts: { stages?: string[]; keys?: string[]; tags?: Record<string, string> } = {},
): Promise<string> {
  const made = await e2e.sdk.send(
    new CreateUsagePlanCommand({
      name,
      ...(opts.stages ? { apiStages: opts.stages.map((stage) => ({ apiId: p.seed.restApiId, stage })) } : {}),
      ...(opts.tags ? { tags: opts.tags } : {}),
    }),
  );
  for (const k of opts.keys ?? []) {
    const keyId = p.seed.apiKeys.find((x) => x.name === k)!.id;
    await e2e.sdk.send(new CreateUsagePlanKeyCommand({ usagePlanId: made.id!, keyId, keyType: "API_KEY" }));
  }
  return made.id!;
}

const names = async () => (await e2e.plans()).map((x) => x.name!).sort();

async function writesDuring(p: Project, work: () => Promise<void>): Promise<void> {
  const store = p.store();
  const records = await store.listRecords();
  const audit = await store.listAudit();
  await e2e.sb.admin.resetCounters();
  await work();
  const counters = await e2e.sb.admin.counters();
  const writes = Object.entries(counters).filter(
    ([op, n]) => /^(Create|Update|Delete|Tag|Untag|Import)/.test(op) && n > 0,
  );
  expect(writes).toEqual([]);
  expect(await store.listRecords()).toEqual(records);
  expect(await store.listAudit()).toEqual(audit);
}

const GOLD = `plan_id: gold
name: Gold
rate_limit: 50
burst_limit: 100
stages: [{ api_name: weather-api, stage: prod }]
`;
const OLD = "plan_id: old\nname: Old\nrate_limit: 5\nburst_limit: 10\n";
const RETIRED = "plan_id: retired\nname: Retired\nrate_limit: 5\nburst_limit: 10\n";

/**
 * An account with a bit of everything: managed gold (declared), old (Archived, with a tagged leftover still
 * live), retired (file removed and applied: its record is Archived and nothing else is left), unmanaged
 * plans with and without stages and keys, and a plan of another project.
 */
async function estate() {
  const p = await e2e.project();
  e2e.sb.setIamPolicy(ALLOW_ALL);
  p.writePlan("gold.yaml", GOLD);
  p.writePlan("old.yaml", OLD);
  p.writePlan("retired.yaml", RETIRED);
  expect((await p.upg(["init"])).code).toBe(0);
  const first = await p.upg(["apply", "--auto-approve"]);
  expect(first.code, first.stdout + first.stderr).toBe(0);
  p.writePlan("old.yaml", `${OLD}lifecycle_state: Archived\n`);
  p.removePlan("retired.yaml");
  const second = await p.upg(["apply", "--auto-approve"]);
  expect(second.code, second.stdout + second.stderr).toBe(0);
  const ids = {
    leftover: await handMade(p, "Old again", { tags: { "upg:plan-id": "old" } }),
    orphan: await handMade(p, "Orphan"),
    testA: await handMade(p, "test-a", { stages: ["dev"], keys: ["acme-dashboard"] }),
    testB: await handMade(p, "test-b", { tags: { env: "test" } }),
    shared: await handMade(p, "Shared", { stages: ["dev", "prod"] }),
    theirs: await handMade(p, "test-billing", { tags: { "upg:project": "billing" } }),
  };
  return { p, ids };
}

describe("upg cleanup: dry runs write nothing", () => {
  let p: Project;
  let ids: Awaited<ReturnType<typeof estate>>["ids"];
  beforeAll(async () => {
    ({ p, ids } = await estate());
  });

  it("--orphans: unmanaged plans without stages or keys; another project's plan is kept", async () => {
    await writesDuring(p, async () => {
      const orphans = await p.upg(["cleanup", "--orphans"]);
      expect(orphans.code, orphans.stderr).toBe(0);
      expect(orphans.stdout).toContain("Region us-east-1:");
      expect(orphans.stdout).toMatch(
        new RegExp(`remove\\s+│ plan \\(unmanaged\\)\\s+│ Orphan\\s+│ ${ids.orphan}`),
      );
      expect(orphans.stdout).toContain("test-billing");
      expect(orphans.stdout).toContain("owned by project billing: never touched here");
      expect(orphans.stdout).toContain("To remove: 2 plans, 0 stage attachments, 0 master records (1 kept).");
      expect(orphans.stdout).toContain("Dry run: nothing was changed. Run again with --confirm");
      const json = await p.upg(["cleanup", "--tag", "env=test", "-o", "json"]);
      expect(json.code, json.stderr).toBe(0);
      const doc = JSON.parse(json.stdout);
      expect(doc.dry_run).toBe(true);
      expect(doc.regions[0].items.map((i: { api_gateway_id: string }) => i.api_gateway_id)).toEqual([
        ids.testB,
      ]);
    });
  });

  it("--name-prefix / --id: keys losing access are refused without --allow-key-loss", async () => {
    await writesDuring(p, async () => {
      const prefix = await p.upg(["cleanup", "--name-prefix", "test-"]);
      expect(prefix.code).toBe(1);
      expect(prefix.stdout).toMatch(/refused\s+│ plan \(unmanaged\)\s+│ test-a/);
      expect(prefix.stdout).toContain("1 API key loses access: pass --allow-key-loss");
      expect(prefix.stdout).toContain("1 API key loses access: acme-dashboard.");
      const allowed = await p.upg(["cleanup", "--name-prefix", "test-", "--allow-key-loss"]);
      expect(allowed.code, allowed.stderr).toBe(0);
      expect(allowed.stdout).toContain(
        "To remove: 2 plans, 1 stage attachment, 0 master records; 1 API key loses access (1 kept).",
      );
      const id = await p.upg(["cleanup", "--id", ids.shared]);
      expect(id.stdout).toMatch(/remove\s+│ plan \(unmanaged\)\s+│ Shared/);
    });
  });

  it("--stage, --archived, --records", async () => {
    await writesDuring(p, async () => {
      const stage = await p.upg(["cleanup", "--stage", "weather-api:dev"]);
      expect(stage.code).toBe(1); // test-a has a key on dev
      expect(stage.stdout).toMatch(/detach\s+│ stage\s+│ Shared/);
      expect(stage.stdout).toContain(`${p.seed.restApiId}:dev`);

      const archived = await p.upg(["cleanup", "--archived"]);
      expect(archived.code, archived.stderr).toBe(0);
      expect(archived.stdout).toMatch(new RegExp(`remove\\s+│ plan\\s+│ old\\s+│ ${ids.leftover}`));
      expect(archived.stdout).toContain("old is Archived, but this plan is");

      const records = await p.upg(["cleanup", "--records"]);
      expect(records.code, records.stderr).toBe(0);
      expect(records.stdout).toMatch(/remove\s+│ master record\s+│ retired/);
      expect(records.stdout).toMatch(/kept\s+│ master record\s+│ old/);
      expect(records.stdout).toContain("a live plan of it remains: remove it");
    });
  });

  it("--region is repeatable: each region in turn, a failing one reported with its name", async () => {
    await writesDuring(p, async () => {
      // The sandbox answers only us-east-1.
      const regions = await p.upg(["cleanup", "--orphans", "--region", "us-east-1", "--region", "eu-west-1"]);
      expect(regions.code).toBe(1);
      expect(regions.stdout).toContain("Region us-east-1:");
      expect(regions.stderr).toContain("Region eu-west-1: Error:");
    });
  });
});

describe("upg cleanup: bad input", () => {
  it("bad input: no scope, a --stage that matches nothing, --confirm without a terminal or --auto-approve", async () => {
    const p = await e2e.project();
    e2e.sb.setIamPolicy(ALLOW_ALL);
    expect((await p.upg(["init"])).code).toBe(0);
    await handMade(p, "Orphan");
    await writesDuring(p, async () => {
      const none = await p.upg(["cleanup"]);
      expect(none.code).toBe(1);
      expect(none.stderr).toContain("upg cleanup needs a scope");
      expect(none.stderr).toContain("--orphans, --archived, --records, --stage API:STAGE");
      const nothing = await p.upg(["cleanup", "--stage", "weather-api:qa"]);
      expect(nothing.code).toBe(1);
      expect(nothing.stderr).toContain("--stage weather-api:qa matches nothing");
      const unknown = await p.upg(["cleanup", "--stage", "no-such-api:dev"]);
      expect(unknown.stderr).toContain('no REST API has the id or name "no-such-api"');
      const noTty = await p.upg(["cleanup", "--orphans", "--confirm"]);
      expect(noTty.code).toBe(1);
      expect(noTty.stderr).toContain("pass --auto-approve");
    });
  });
});

describe("upg cleanup --confirm", () => {
  it("removes each scope's plans, stages and records, one audit row each (trigger cleanup)", async () => {
    const { p, ids } = await estate();
    const store = p.store();
    const run = async (args: string[]) => {
      const r = await p.upg(["cleanup", ...args, "--confirm", "--auto-approve"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      return r;
    };

    const orphans = await run(["--orphans"]);
    expect(orphans.stdout).toContain(`✓ remove unmanaged/${ids.orphan}`);
    expect(orphans.stdout).toContain("Cleanup complete: 2 removals done.");
    expect(await names()).not.toContain("Orphan");
    expect(await names()).toContain("test-billing");

    const stage = await run(["--stage", `${p.seed.restApiId}:dev`, "--id", ids.shared]);
    expect(stage.stdout).toContain(`✓ detach stage ${p.seed.restApiId}:dev from unmanaged/${ids.shared}`);
    const shared = (await e2e.plans()).find((x) => x.id === ids.shared)!;
    expect(shared.apiStages?.map((s) => s.stage)).toEqual(["prod"]);

    await run(["--name-prefix", "test-", "--allow-key-loss"]);
    expect(await names()).toEqual(["Gold", "Old again", "Shared", "test-billing"]);

    await run(["--archived"]);
    expect(await names()).toEqual(["Gold", "Shared", "test-billing"]);
    expect((await store.getRecord("old"))?.lifecycle_state).toBe("Archived");

    const recs = await run(["--records"]);
    expect(recs.stdout).toContain("✓ purge retired");
    expect(await store.getRecord("retired")).toBeUndefined();
    expect(await store.getRecord("old")).toBeDefined(); // old.yaml still declares it

    // Journal records of unmanaged plans are gone; one audit row per removal, each marked cleanup.
    expect((await store.listRecords()).map((r) => r.plan_id)).toEqual(["gold", "old"]);
    const rows = (await store.listAudit()).filter((r) => r.trigger === "cleanup");
    expect(rows.map((r) => r.action).sort()).toEqual([
      "detach-stage",
      "purge-record",
      "remove-plan",
      "remove-plan",
      "remove-plan",
      "remove-plan",
    ]);
    const purge = rows.find((r) => r.action === "purge-record")!;
    expect(purge.plan_id).toBe("retired");
    expect((purge.before as { plan_id: string }).plan_id).toBe("retired");
    expect((await p.upg(["audit", "verify"])).code).toBe(0);
    // Nothing left in these scopes: a second run is a no-op.
    const again = await p.upg([
      "cleanup",
      "--orphans",
      "--archived",
      "--records",
      "--confirm",
      "--auto-approve",
    ]);
    expect(again.code, again.stderr).toBe(0);
  }, 60_000); // 13 CLI runs, one after another

  it("keeps deletion_protection: true and declared plans, even when chosen with --allow-key-loss", async () => {
    const p = await e2e.project();
    e2e.sb.setIamPolicy(ALLOW_ALL);
    p.writePlan("gold.yaml", GOLD);
    p.writePlan("keep.yaml", "plan_id: keep\nname: Keep\ndeletion_protection: true\n");
    expect((await p.upg(["init"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    p.removePlan("keep.yaml"); // the record still says deletion_protection: true
    const r = await p.upg([
      "cleanup",
      "--name-prefix",
      "Gold",
      "--name-prefix",
      "Keep",
      "--allow-key-loss",
      "--confirm",
      "--auto-approve",
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("deletion_protection: true: never deleted");
    expect(r.stdout).toContain("declared in plans/gold.yaml: remove the file");
    expect(await names()).toEqual(["Gold", "Keep"]);
  });

  it("a managed plan whose file is gone: keys losing access refused, then deleted with --allow-key-loss; its record is Archived", async () => {
    const p = await e2e.project();
    e2e.sb.setIamPolicy(ALLOW_ALL);
    p.writePlan("gold.yaml", `${GOLD}keys: [acme-dashboard]\n`);
    expect((await p.upg(["init"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    p.removePlan("gold.yaml");
    await writesDuring(p, async () => {
      const refused = await p.upg(["cleanup", "--name-prefix", "Gold", "--confirm", "--auto-approve"]);
      expect(refused.code).toBe(1);
      expect(refused.stdout).toContain("gold (");
      expect(refused.stdout).toContain("1 API key loses access: acme-dashboard");
      expect(refused.stderr).toContain("nothing was applied");
    });
    const ok = await p.upg([
      "cleanup",
      "--name-prefix",
      "Gold",
      "--allow-key-loss",
      "--confirm",
      "--auto-approve",
    ]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain("✓ delete gold");
    expect(await names()).toEqual([]);
    const rec = await p.store().getRecord("gold");
    expect(rec).toMatchObject({ lifecycle_state: "Archived", deleted: true });
    expect(rec?.api_gateway_id).toBeUndefined();
    // and now it is a record gone for good
    const purge = await p.upg(["cleanup", "--records", "--confirm", "--auto-approve"]);
    expect(purge.code, purge.stderr).toBe(0);
    expect(await p.store().getRecord("gold")).toBeUndefined();
  });
});

describe("upg cleanup, interrupted and denied", () => {
  it("SIGINT mid-run stops before the next removal (exit 130, lock released); the same cleanup finishes it", async () => {
    // One removal at a time, so that some are still to do when the signal comes.
    const p = await e2e.project({ config: "apply: { concurrency: 1 }" });
    e2e.sb.setIamPolicy(ALLOW_ALL);
    expect((await p.upg(["init"])).code).toBe(0);
    for (const n of [1, 2, 3, 4]) await handMade(p, `scratch-${n}`);
    await e2e.sb.admin.setFaults({ latencyMs: 150 / TIME_SCALE });
    const child = spawnCli(["cleanup", "--name-prefix", "scratch-", "--confirm", "--auto-approve"], {
      cwd: p.dir,
      env: { ...e2e.sb.env(), AWS_PROFILE: undefined, CI: "1" },
    });
    await child.waitFor("✓ remove unmanaged/");
    child.kill("SIGINT");
    const done = await child.done;
    await e2e.sb.admin.resetFaults();
    expect(done.code, done.stdout + done.stderr).toBe(130);
    expect(done.stderr).toContain("Run the same `upg cleanup --confirm` again to finish.");
    const left = (await names()).length;
    expect(left).toBeGreaterThan(0);
    expect(left).toBeLessThan(4);
    expect(await p.store().getLock()).toBeUndefined();

    const again = await p.upg(["cleanup", "--name-prefix", "scratch-", "--confirm", "--auto-approve"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(await names()).toEqual([]);
    const rows = (await p.store().listAudit()).filter((r) => r.action === "remove-plan");
    expect(rows.length).toBe(4);
    expect(new Set(rows.map((r) => r.api_gateway_id)).size).toBe(4);
    expect(await p.store().listRecords()).toEqual([]);
  });

  it("without write permission nothing is half-removed, and the output says what was and was not done", async () => {
    const p = await e2e.project();
    e2e.sb.setIamPolicy(ALLOW_ALL);
    expect((await p.upg(["init"])).code).toBe(0);
    const orphan = await handMade(p, "Orphan");
    const staged = await handMade(p, "Staged", { stages: ["dev"] });
    const readOnly = JSON.parse((await p.upg(["iam-policy", "--read-only", "-o", "json"])).stdout);
    const full = JSON.parse((await p.upg(["iam-policy", "-o", "json"])).stdout) as { Statement: unknown[] };
    e2e.sb.setIamPolicy(readOnly);
    await writesDuring(p, async () => {
      const dry = await p.upg(["cleanup", "--orphans"]);
      expect(dry.code, dry.stderr).toBe(0);
      const r = await p.upg(["cleanup", "--orphans", "--confirm", "--auto-approve"]);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/Access denied: dynamodb:PutItem/);
    });
    expect(await names()).toEqual(["Orphan", "Staged"]);

    // Allowed to detach stages but not to delete plans: the one removal fails and says how far it got.
    e2e.sb.setIamPolicy({
      ...full,
      Statement: [...full.Statement, { Effect: "Deny", Action: "apigateway:DELETE", Resource: "*" }],
    });
    const denied = await p.upg(["cleanup", "--id", staged, "--id", orphan, "--confirm", "--auto-approve"]);
    expect(denied.code).toBe(1);
    const out = denied.stdout + denied.stderr;
    expect(out).toMatch(/✗ remove unmanaged\/\w+: Access denied: apigateway:DELETE/);
    expect(out).toContain(
      `(its stage ${p.seed.restApiId}:dev was detached first; the plan itself is still there)`,
    );
    expect(out).toContain("Cleanup incomplete: 0 done, 2 failed, 0 not run.");
    expect(out).toMatch(/FAILED\s+│ plan \(unmanaged\)\s+│ Staged/);
    expect(await names()).toEqual(["Orphan", "Staged"]);
    expect(await p.store().listRecords()).toEqual([]); // no journal left behind
    const failed = (await p.store().listAudit()).filter((r) => r.trigger === "cleanup");
    expect(failed.map((r) => r.outcome)).toEqual(["failed", "failed"]);
    e2e.sb.setIamPolicy(ALLOW_ALL);
  });
});
