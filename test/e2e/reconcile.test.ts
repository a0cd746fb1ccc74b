import {
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, pause, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const BASIC = `plan_id: basic
name: Basic
tier: Basic
rate_limit: 100
burst_limit: 200
quota_limit: 10000
quota_period: MONTH
stages:
  - api_name: weather-api
    stage: prod
    method_throttles:
      "/forecast/GET": { rate_limit: 50, burst_limit: 100 }
keys: [globex-mobile]
tags: { team: weather }
`;

const FREE = `plan_id: free
name: Free
rate_limit: 5
burst_limit: 10
stages: [{ api_name: weather-api, stage: dev }]
`;

async function applied(p: Awaited<ReturnType<E2E["project"]>>) {
  const init = await p.upg(["init"]);
  expect(init.code, init.stderr).toBe(0);
  expect(init.stdout).toContain(`Created table ${p.tables.metadata}.`);
  const again = await p.upg(["init"]);
  expect(again.stdout).toContain(`Table ${p.tables.metadata} already existed.`);
  expect(again.stdout).toContain(
    `point in time recovery: not supported by this backend (requested; see -o json for what it answered) (${p.tables.metadata}, ${p.tables.audit}).`,
  );
  const r = await p.upg(["apply", "--auto-approve"]);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return r;
}

describe("create, update, no-op", () => {
  it("creates plans with stages, method throttles, keys and tags, writes records and audit rows; a second plan is empty", async () => {
    const p = await e2e.project();
    p.writePlan("basic.yaml", BASIC);
    p.writePlan("free.yaml", FREE);
    const out = await applied(p);
    expect(out.stdout).toContain("✓ create basic");
    expect(out.stdout).toContain("✓ attach key globex-mobile → basic");
    expect(out.stdout).toContain("Apply complete: 3 changes applied.");

    const basic = await e2e.planByName("Basic");
    expect(basic.throttle).toEqual({ rateLimit: 100, burstLimit: 200 });
    expect(basic.quota).toEqual({ limit: 10000, period: "MONTH", offset: 0 });
    expect(basic.apiStages).toEqual([
      {
        apiId: p.seed.restApiId,
        stage: "prod",
        throttle: { "/forecast/GET": { rateLimit: 50, burstLimit: 100 } },
      },
    ]);
    expect(basic.tags).toEqual({ team: "weather", "upg:plan-id": "basic" });
    const globex = p.seed.apiKeys.find((k) => k.name === "globex-mobile")!.id;
    expect(await e2e.planKeys(basic.id!)).toEqual([globex]);

    const store = p.store();
    const rec = await store.getRecord("basic");
    expect(rec).toMatchObject({
      plan_id: "basic",
      api_gateway_id: basic.id,
      rate_limit: 100,
      keys: [globex],
      keys_declared: true,
      // Two conditional writes per change (the journal's intent, then the outcome): create and attach.
      version: 4,
    });
    expect(rec!.pending).toBeUndefined();
    expect(rec!.updated_by).toContain("arn:aws:iam::123456789012");
    const audit = await store.listAudit();
    expect(audit.map((a) => a.change_id)).toEqual([
      "create:basic",
      "create:free",
      "attach-key:basic:" + globex,
    ]);
    expect((await store.verifyAudit()).ok).toBe(true);

    const again = await p.upg(["plan", "--detailed-exitcode"]);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No changes.");
  });

  it("a plan file edit becomes one in-place update", async () => {
    const p = await e2e.project();
    p.writePlan("basic.yaml", BASIC);
    await applied(p);
    const before = await e2e.planByName("Basic");
    p.writePlan(
      "basic.yaml",
      BASIC.replace("rate_limit: 100", "rate_limit: 150").replace("stage: prod", "stage: dev"),
    );
    const plan = await p.upg(["plan"]);
    expect(plan.stdout).toContain("# basic (" + before.id + ") will be updated in place — plan file changed");
    expect(plan.stdout).toContain("~ throttle.rateLimit: 100 → 150");
    expect(plan.stdout).toContain(`- stage ${p.seed.restApiId}:prod`);
    expect(plan.stdout).toContain(`+ stage ${p.seed.restApiId}:dev`);
    await e2e.sb.admin.resetCounters();
    const r = await p.upg(["apply", "--auto-approve"]);
    expect(r.code, r.stderr).toBe(0);
    const counters = await e2e.sb.admin.counters();
    expect(counters.UpdateUsagePlan).toBe(1); // every change of the plan in one PATCH
    const after = await e2e.planByName("Basic");
    expect(after.id).toBe(before.id);
    expect(after.throttle?.rateLimit).toBe(150);
    expect(after.apiStages?.map((s) => s.stage)).toEqual(["dev"]);
  });
});

describe("drift", () => {
  it("a limit raised in the console is HIGH drift, exit 2 with --detailed-exitcode, and apply restores it", async () => {
    const p = await e2e.project();
    p.writePlan("basic.yaml", BASIC);
    await applied(p);
    const live = await e2e.planByName("Basic");
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: live.id,
        patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "500" }],
      }),
    );
    const json = await p.upg(["plan", "-o", "json"]);
    const plan = JSON.parse(json.stdout);
    expect(plan.format_version).toBe(2);
    expect(plan.violations).toEqual([
      expect.objectContaining({
        violation_type: "rate_limit_changed",
        plan_id: "basic",
        plan_name: "Basic",
        api_gateway_id: live.id,
        should_be: 100,
        actually_is: 500,
        severity: "HIGH",
        auto_fixable: true,
      }),
    ]);
    expect(plan.changes.map((c: { id: string }) => c.id)).toEqual(["update:basic"]);
    const human = await p.upg(["plan", "--detailed-exitcode"]);
    expect(human.code).toBe(2);
    expect(human.stdout).toContain("changed outside upg: restore the declared settings");
    expect(human.stdout).toContain(
      "HIGH     basic (" + live.id + "): rate_limit_changed throttle.rateLimit: should be 100, is 500",
    );
    await pause();
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    expect((await e2e.planByName("Basic")).throttle?.rateLimit).toBe(100);
  });

  it("a key joining a Deprecated plan is drift and is detached; an unmanaged plan is reported and never touched", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE.replace("rate_limit: 5", "rate_limit: 5\nlifecycle_state: Deprecated"));
    await applied(p);
    const free = await e2e.planByName("Free");
    const acme = p.seed.apiKeys.find((k) => k.name === "acme-dashboard")!.id;
    await e2e.sdk.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: free.id, keyId: acme, keyType: "API_KEY" }),
    );
    const hand = await e2e.sdk.send(new CreateUsagePlanCommand({ name: "Hand made" }));
    const plan = JSON.parse((await p.upg(["plan", "-o", "json"])).stdout);
    const types = plan.violations.map((v: { violation_type: string }) => v.violation_type).sort();
    expect(types).toEqual(["key_joined_deprecated_plan", "unmanaged_plan_found"]);
    expect(plan.changes.map((c: { id: string }) => c.id)).toEqual([`detach-key:free:${acme}`]);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    expect(await e2e.planKeys(free.id!)).toEqual([]);
    expect((await e2e.planByName("Hand made")).id).toBe(hand.id);
  });
});

describe("recovery of deleted plans", () => {
  it("recreates a deleted plan from the master record with its stages, declared and observed keys, and records the lineage", async () => {
    const p = await e2e.project();
    p.writePlan("basic.yaml", BASIC);
    p.writePlan("free.yaml", FREE);
    await applied(p);
    const free = await e2e.planByName("Free");
    const initech = p.seed.apiKeys.find((k) => k.name === "initech-batch")!.id;
    await e2e.sdk.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: free.id, keyId: initech, keyType: "API_KEY" }),
    );
    expect((await p.upg(["apply", "--auto-approve"])).stdout).toContain("✓ sync free");

    for (const name of ["Free", "Basic"]) {
      const plan = await e2e.planByName(name);
      await pause();
      await e2e.sdk.send(
        new UpdateUsagePlanCommand({
          usagePlanId: plan.id,
          patchOperations: (plan.apiStages ?? []).map((s) => ({
            op: "remove",
            path: "/apiStages",
            value: `${s.apiId}:${s.stage}`,
          })),
        }),
      );
      await e2e.sdk.send(new DeleteUsagePlanCommand({ usagePlanId: plan.id }));
    }
    const planOut = await p.upg(["plan"]);
    expect(planOut.stdout).toContain(`# free will be recreated — deleted outside upg (was ${free.id})`);
    expect(planOut.stdout).toContain("CRITICAL free (" + free.id + "): plan_deleted");
    expect(planOut.stdout).toContain(
      `+ key initech-batch (${initech}) → free — restore the keys last recorded`,
    );

    const r = await p.upg(["apply", "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const newFree = await e2e.planByName("Free");
    expect(newFree.id).not.toBe(free.id);
    expect(r.stdout).toContain(`✓ recreate free (${free.id} → ${newFree.id})`);
    expect(newFree.apiStages?.map((s) => `${s.apiId}:${s.stage}`)).toEqual([`${p.seed.restApiId}:dev`]);
    expect(newFree.throttle).toEqual({ rateLimit: 5, burstLimit: 10 });
    expect(await e2e.planKeys(newFree.id!)).toEqual([initech]);
    const newBasic = await e2e.planByName("Basic");
    expect(newBasic.apiStages?.[0]?.throttle).toEqual({
      "/forecast/GET": { rateLimit: 50, burstLimit: 100 },
    });
    expect(await e2e.planKeys(newBasic.id!)).toEqual([
      p.seed.apiKeys.find((k) => k.name === "globex-mobile")!.id,
    ]);

    const rec = await p.store().getRecord("free");
    expect(rec).toMatchObject({ api_gateway_id: newFree.id, recreated_from: free.id, deleted: false });
    expect(rec!.recreated_at).toBeDefined();
    expect(rec!.lineage).toEqual([
      expect.objectContaining({ api_gateway_id: free.id, deleted: true, recreated_as: newFree.id }),
    ]);
    const show = await p.upg(["show", "free"]);
    expect(show.stdout).toContain(`${free.id}: deleted`);
    expect(show.stdout).toContain(`recreated as ${newFree.id}`);
    expect((await p.upg(["plan", "--detailed-exitcode"])).code).toBe(0);
  });
});

describe("keys and stages", () => {
  it("moves a key between two plans that share a stage (detach before attach)", async () => {
    const p = await e2e.project();
    const plan = (id: string, keys: string) =>
      `plan_id: ${id}\nname: ${id}\nstages: [{ api_name: weather-api, stage: prod }]\nkeys: [${keys}]\n`;
    p.writePlan("gold.yaml", plan("gold", "acme-dashboard"));
    p.writePlan("silver.yaml", plan("silver", ""));
    await applied(p);
    p.writePlan("gold.yaml", plan("gold", ""));
    p.writePlan("silver.yaml", plan("silver", "acme-dashboard"));
    const r = await p.upg(["apply", "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const order = r.stdout
      .split("\n")
      .filter((l) => l.includes("✓"))
      .map((l) => l.replace(/ \d+(\.\d)? m?s$/, ""));
    expect(order).toEqual(["  ✓ detach key acme-dashboard → gold", "  ✓ attach key acme-dashboard → silver"]);
    const acme = p.seed.apiKeys.find((k) => k.name === "acme-dashboard")!.id;
    expect(await e2e.planKeys((await e2e.planByName("silver")).id!)).toEqual([acme]);
    expect(await e2e.planKeys((await e2e.planByName("gold")).id!)).toEqual([]);
  });

  it("a stage that does not exist is an error before anything is written", async () => {
    const p = await e2e.project();
    p.writePlan("basic.yaml", BASIC.replace("stage: prod", "stage: staging"));
    expect((await p.upg(["init"])).code).toBe(0);
    const plan = await p.upg(["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain(`Stage ${p.seed.restApiId}:staging does not exist (API "weather-api")`);
    expect(plan.stdout).toContain("plans/basic.yaml:9:5");
    await e2e.sb.admin.resetCounters();
    const apply = await p.upg(["apply", "--auto-approve"]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toContain("nothing was applied");
    const counters = await e2e.sb.admin.counters();
    expect(counters.CreateUsagePlan ?? 0).toBe(0);
    expect(await p.store().listRecords()).toEqual([]);
  });

  it("an unknown REST API name or key name is an error before anything is written", async () => {
    const p = await e2e.project();
    p.writePlan(
      "basic.yaml",
      BASIC.replace("api_name: weather-api", "api_name: nope-api").replace("globex-mobile", "ghost"),
    );
    expect((await p.upg(["init"])).code).toBe(0);
    const plan = await p.upg(["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain('No REST API named "nope-api" in us-east-1.');
    expect(plan.stdout).toContain('plans/basic.yaml:13:8: basic: No API key with id or name "ghost"');
  });
});

describe("saved plans, locks and output formats", () => {
  it("applies a saved plan exactly, and refuses it once live state moved", async () => {
    const p = await e2e.project();
    p.writePlan("basic.yaml", BASIC);
    expect((await p.upg(["init"])).code).toBe(0);
    const saved = await p.upg(["plan", "--out", "plan.json"]);
    expect(saved.stdout).toContain("Saved the plan to plan.json");
    expect((await p.upg(["apply", "plan.json"])).code).toBe(0);
    expect((await e2e.plans()).map((x) => x.name)).toEqual(["Basic"]);

    p.writePlan("basic.yaml", BASIC.replace("rate_limit: 100", "rate_limit: 120"));
    await p.upg(["plan", "--out", "plan2.json"]);
    const live = await e2e.planByName("Basic");
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: live.id,
        patchOperations: [{ op: "replace", path: "/name", value: "Renamed" }],
      }),
    );
    const stale = await p.upg(["apply", "plan2.json"]);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain(
      "The saved plan plan2.json is stale: live API Gateway state changed since it was made.",
    );
    expect((await e2e.planByName("Renamed")).throttle?.rateLimit).toBe(100);
    const bogus = await p.upg(["apply", "upg.config.yaml"]);
    expect(bogus.code).toBe(1);
    expect(bogus.stderr).toContain("Cannot read the saved plan");
  });

  it("a held lock stops apply with a clear message; --lock-timeout waits; unlock releases it", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    const store = p.store();
    const lock = await store.acquireLock({ owner: "ci-job-17", runId: "other-run", ttlSeconds: 600 });
    const r = await p.upg(["apply", "--auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Another upg run holds the apply lock (lock id ${lock.lock_id}): ci-job-17`);
    expect(r.stderr).toContain(`upg unlock ${lock.lock_id} --reason`);
    const waited = await p.upg(["apply", "--auto-approve", "--lock-timeout", "1s"]);
    expect(waited.code).toBe(1);
    expect(await e2e.plans()).toEqual([]);
    const unlock = await p.upg(["unlock", lock.lock_id, "--reason", "ci-job-17 was killed"]);
    expect(unlock.stdout).toContain("Released the lock held by ci-job-17");
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    expect(await store.getLock()).toBeUndefined();
    const audit = await store.listAudit();
    expect(audit[0]).toMatchObject({ action: "force_unlock" });
  });

  it("markdown for PR comments, JSON that is pure JSON, --target, and no apply without confirmation", async () => {
    const p = await e2e.project();
    p.writePlan("basic.yaml", BASIC);
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    const md = await p.upg(["plan", "-o", "markdown"]);
    expect(md.stdout).toContain("### upg plan");
    expect(md.stdout).toContain("| create | `basic` | new plan |");
    expect(md.stdout).toContain("<details><summary>Full plan</summary>");
    const json = await p.upg(["plan", "-o", "json", "--target", "free"]);
    const doc = JSON.parse(json.stdout);
    expect(doc.targets).toEqual(["free"]);
    expect(doc.changes.map((c: { id: string }) => c.id)).toEqual(["create:free"]);
    const refused = await p.upg(["apply"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("Refusing to apply without confirmation");
    expect(await e2e.plans()).toEqual([]);
    const unknownTarget = await p.upg(["plan", "--target", "nope"]);
    expect(unknownTarget.code).toBe(1);
    expect(unknownTarget.stderr).toContain("--target names no declared plan: nope");
    const status = await p.upg(["status", "-o", "json"]);
    expect(
      JSON.parse(status.stdout).map((r: { planId: string; state: string }) => `${r.planId}:${r.state}`),
    ).toEqual(["basic:pending", "free:pending"]);
  });
});

describe("failures", () => {
  it("a failure injected mid-apply is reported per change; the next apply converges without duplicates", async () => {
    const p = await e2e.project();
    p.writePlan("basic.yaml", BASIC);
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    await e2e.sb.admin.setFaults({
      failOperation: { operation: "CreateUsagePlanKey", status: 400, code: "BadRequestException", count: 1 },
    });
    const first = await p.upg(["apply", "--auto-approve"]);
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("✓ create basic");
    expect(first.stdout).toContain("✓ create free");
    expect(first.stdout).toMatch(/✗ attach key globex-mobile → basic: /);
    expect(first.stdout).toContain("Apply incomplete: 2 applied, 1 failed, 0 skipped.");
    await e2e.sb.admin.resetFaults();
    const plan = await p.upg(["plan", "-o", "json"]);
    expect(JSON.parse(plan.stdout).changes.map((c: { id: string }) => c.id)).toEqual([
      expect.stringMatching(/^attach-key:basic:/),
    ]);
    const second = await p.upg(["apply", "--auto-approve"]);
    expect(second.code, second.stdout).toBe(0);
    const names = (await e2e.plans()).map((x) => x.name).sort();
    expect(names).toEqual(["Basic", "Free"]);
    expect((await p.upg(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("a create that failed after the plan was made is not duplicated: the ownership tag finds it", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    // A run that created the plan but died before writing its record leaves a tagged plan behind.
    await e2e.sdk.send(
      new CreateUsagePlanCommand({
        name: "Free",
        throttle: { rateLimit: 5, burstLimit: 10 },
        apiStages: [{ apiId: p.seed.restApiId, stage: "dev" }],
        tags: { "upg:plan-id": "free" },
      }),
    );
    const r = await p.upg(["apply", "--auto-approve"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("↻ record free — no master record yet");
    expect((await e2e.plans()).length).toBe(1);
  });
});
