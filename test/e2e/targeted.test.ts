// Targeted commands read only what they need: `plan --target`, `apply --target`, `drift --target`,
// `status PLAN` and `show PLAN` on an account with many managed plans make a handful of API Gateway calls
// (sandbox counters), not one GetUsagePlanKeys per managed plan — and still see what matters: a key the
// targeted plan would share on a stage with another plan, and drift on the targeted plan.

import { CreateUsagePlanKeyCommand, UpdateUsagePlanCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, type Project, pause, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const READS = [
  "GetUsagePlans",
  "GetUsagePlan",
  "GetUsagePlanKeys",
  "GetApiKeys",
  "GetRestApis",
  "GetStages",
  "GetTags",
];

/** API Gateway calls a CLI run made, by operation (only the ones that happened). */
async function callsOf(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const before = await e2e.sb.admin.counters();
  await run();
  const after = await e2e.sb.admin.counters();
  return Object.fromEntries(
    Object.keys(after)
      .filter((op) => (after[op] ?? 0) !== (before[op] ?? 0))
      .map((op) => [op, (after[op] ?? 0) - (before[op] ?? 0)]),
  );
}

const total = (calls: Record<string, number>) =>
  Object.entries(calls)
    .filter(([op]) => READS.includes(op))
    .reduce((a, [, n]) => a + n, 0);

const MANY = 25;
const KEYS_EACH = 3;
const keyName = (plan: number, k: number) => `k${String(plan).padStart(2, "0")}-${k}`;
const GOLD = (keys: string[], stages = ["prod"]) =>
  `plan_id: gold\nname: Gold\nrate_limit: 50\nburst_limit: 100\nstages: [${stages.map((st) => `{ api_name: weather-api, stage: ${st} }`).join(", ")}]\nkeys: [${keys.join(", ")}]\n`;

/** The 25 plans' file; `observed` plans do not declare their keys (they keep the ones they have). */
function manyYaml(observed: readonly number[] = []): string {
  let yaml = "";
  for (let i = 0; i < MANY; i++) {
    const keys = Array.from({ length: KEYS_EACH }, (_, k) => keyName(i, k));
    yaml += `---\nplan_id: p${String(i).padStart(2, "0")}\nname: P${i}\nrate_limit: 10\nburst_limit: 20\nstages: [{ api_name: weather-api, stage: prod }]\n`;
    if (!observed.includes(i)) yaml += `keys: [${keys.join(", ")}]\n`;
  }
  return yaml;
}

/**
 * 25 plans and Gold, all on weather-api prod (the usual case: every plan covers the same stage), each of the
 * 25 with 3 API keys of its own, Gold with gold-1.
 */
async function manyPlans(): Promise<Project> {
  const p = await e2e.project();
  for (let i = 0; i < MANY; i++) for (let k = 0; k < KEYS_EACH; k++) await e2e.createKey(keyName(i, k));
  await e2e.createKey("gold-1");
  await e2e.createKey("gold-2");
  p.writePlan("many.yaml", manyYaml());
  p.writePlan("gold.yaml", GOLD(["gold-1"]));
  expect((await p.upg(["init"])).code).toBe(0);
  const a = await p.upg(["apply", "--auto-approve"]);
  expect(a.code, a.stdout + a.stderr).toBe(0);
  return p;
}

const problemsOf = (text: string) =>
  (JSON.parse(text) as { problems: Array<{ code: string; planId: string; message: string }> }).problems
    .filter((x) => x.planId === "gold")
    .map((x) => `${x.code}: ${x.message}`);
const changesOf = (text: string) =>
  (JSON.parse(text) as { changes: Array<{ planId: string; action: string; resource: string }> }).changes
    .filter((c) => c.planId === "gold")
    .map((c) => `${c.action} ${c.resource}`);

describe("targeted commands read only the targeted plans", () => {
  it("plan/apply/status/show/drift on one plan of 26: a few calls, not one per plan", async () => {
    const p = await manyPlans();

    // A full plan reads every managed plan's keys.
    const full = await callsOf(async () => expect((await p.upg(["plan"])).code).toBe(0));
    expect(full.GetUsagePlanKeys).toBe(MANY + 1);
    expect(full.GetApiKeys).toBeGreaterThan(0);

    let out = "";
    const plan = await callsOf(async () => {
      const r = await p.upg(["plan", "--target", "gold", "--detailed-exitcode"]);
      out = r.stdout + r.stderr;
      expect(r.code, out).toBe(0);
    });
    expect(plan.GetUsagePlanKeys, JSON.stringify(plan)).toBe(1);
    expect(plan.GetApiKeys ?? 0).toBe(0);
    expect(total(plan), JSON.stringify(plan)).toBeLessThanOrEqual(6);

    for (const args of [
      ["status", "gold"],
      ["show", "gold"],
      ["drift", "--target", "gold"],
    ]) {
      const calls = await callsOf(async () => {
        const r = await p.upg(args);
        expect(r.code, `${args.join(" ")}: ${r.stdout}${r.stderr}`).toBe(0);
        if (args[0] !== "drift") expect(r.stdout).toContain("gold");
      });
      expect(calls.GetUsagePlanKeys ?? 0, `${args.join(" ")}: ${JSON.stringify(calls)}`).toBeLessThanOrEqual(
        1,
      );
      expect(total(calls), `${args.join(" ")}: ${JSON.stringify(calls)}`).toBeLessThanOrEqual(6);
    }

    // Drift on the targeted plan is still seen, and repaired by a targeted apply.
    const gold = await e2e.planByName("Gold");
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: gold.id!,
        patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "999" }],
      }),
    );
    const drift = await p.upg(["drift", "--target", "gold"]);
    expect(drift.code, drift.stdout).toBe(2);
    expect(drift.stdout).toContain("gold");
    const fix = await callsOf(async () => {
      const r = await p.upg(["apply", "--target", "gold", "--auto-approve"]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain("rate_limit");
    });
    expect(fix.UpdateUsagePlan).toBe(1);
    expect(fix.GetUsagePlanKeys ?? 0).toBeLessThanOrEqual(2);
    expect((await e2e.planByName("Gold")).throttle?.rateLimit).toBe(50);
  });

  it("a key the targeted plan would share on a stage with another plan is still found", async () => {
    const p = await manyPlans();
    // Silver (on weather-api prod, keys observed) was given acme-dashboard in the console; then Gold, also
    // on prod, declares it: only reading Silver's keys shows the clash.
    p.writePlan(
      "silver.yaml",
      "plan_id: silver\nname: Silver\nstages: [{ api_name: weather-api, stage: prod }]\n",
    );
    const first = await p.upg(["apply", "--target", "silver", "--auto-approve"]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const keyId = p.seed.apiKeys.find((k) => k.name === "acme-dashboard")!.id;
    await e2e.sdk.send(
      new CreateUsagePlanKeyCommand({
        usagePlanId: (await e2e.planByName("Silver")).id!,
        keyId,
        keyType: "API_KEY",
      }),
    );
    p.writePlan("gold.yaml", GOLD(["gold-1", "acme-dashboard"]));
    const full = await p.upg(["plan", "-o", "json"]);
    const targeted = await p.upg(["plan", "--target", "gold", "-o", "json"]);
    expect(targeted.code).toBe(full.code);
    expect(problemsOf(targeted.stdout)).toEqual(problemsOf(full.stdout));
    expect(changesOf(targeted.stdout)).toEqual(changesOf(full.stdout));
    expect(problemsOf(full.stdout).length + changesOf(full.stdout).length).toBeGreaterThan(0);
  });

  it("a key clash with a stage-sharing plan is still found, in a few calls", async () => {
    const p = await manyPlans();
    // P3 (also on prod) holds k03-1 without declaring it (its keys are observed); Gold now declares k03-1:
    // AWS would refuse the attachment. (Two files declaring one key on a stage fail validation already.)
    p.writePlan("many.yaml", manyYaml([3]));
    p.writePlan("gold.yaml", GOLD(["gold-1", keyName(3, 1)]));
    const full = await p.upg(["plan", "-o", "json"]);
    let targeted = { code: 0, stdout: "" };
    const calls = await callsOf(async () => {
      targeted = await p.upg(["plan", "--target", "gold", "-o", "json"]);
    });
    expect(targeted.code).toBe(full.code);
    expect(problemsOf(targeted.stdout)).toEqual(problemsOf(full.stdout));
    expect(problemsOf(full.stdout).join("\n")).toContain("key_stage_conflict");
    expect(problemsOf(full.stdout).join("\n")).toContain("p03");
    expect(changesOf(targeted.stdout)).toEqual(changesOf(full.stdout));
    // The declared name is looked up by name (one call, not every key page), and who holds it by key id.
    expect(calls.GetUsagePlanKeys, JSON.stringify(calls)).toBe(1);
    expect(calls.GetApiKeys, JSON.stringify(calls)).toBe(1);
    expect(total(calls), JSON.stringify(calls)).toBeLessThanOrEqual(6);

    // A key nobody else holds: no problem, one attach, as many calls.
    p.writePlan("gold.yaml", GOLD(["gold-1", "gold-2"]));
    const free = await callsOf(async () => {
      targeted = await p.upg(["plan", "--target", "gold", "-o", "json"]);
    });
    expect(targeted.code, targeted.stdout).toBe(0);
    expect(problemsOf(targeted.stdout)).toEqual([]);
    expect(changesOf(targeted.stdout)).toEqual(["attach key"]);
    expect(total(free), JSON.stringify(free)).toBeLessThanOrEqual(6);
    expect(free.GetApiKeys, JSON.stringify(free)).toBe(1);
  });

  it("a key a targeted plan keeps clashes on a stage it gains", async () => {
    const p = await manyPlans();
    // Dev (on weather-api dev, keys observed) was given gold-1 in the console; Gold now adds the dev stage:
    // gold-1 would be in both.
    p.writePlan("dev.yaml", "plan_id: devplan\nname: Dev\nstages: [{ api_name: weather-api, stage: dev }]\n");
    const first = await p.upg(["apply", "--target", "devplan", "--auto-approve"]);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    await e2e.sdk.send(
      new CreateUsagePlanKeyCommand({
        usagePlanId: (await e2e.planByName("Dev")).id!,
        keyId: (await e2e.planKeys((await e2e.planByName("Gold")).id!))[0]!,
        keyType: "API_KEY",
      }),
    );
    // Dev's record learns the observed key (so the full plan has nothing else to do for Dev).
    const sync = await p.upg(["apply", "--target", "devplan", "--auto-approve"]);
    expect(sync.code, sync.stdout + sync.stderr).toBe(0);
    p.writePlan("gold.yaml", GOLD(["gold-1"], ["prod", "dev"]));
    const full = await p.upg(["plan", "-o", "json"]);
    const targeted = await p.upg(["plan", "--target", "gold", "-o", "json"]);
    expect(targeted.code).toBe(full.code);
    expect(problemsOf(full.stdout).join("\n")).toContain("key_stage_conflict");
    expect(problemsOf(targeted.stdout)).toEqual(problemsOf(full.stdout));
    expect(changesOf(targeted.stdout)).toEqual(changesOf(full.stdout));
  });
});
