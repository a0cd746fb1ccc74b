// A real `kill -9` of the CLI at a few moments of an apply: right after a change's line streamed out, while a
// call is at AWS (it lands after the kill), and between a change's intent and its call (held by pacing).
// Then, as a user would: the next apply is refused for the lock and names its id, `upg unlock ID` frees it,
// and apply converges — no duplicate plan, every key where it belongs, one audit row per executed change,
// and an audit chain that verifies.

// Projects here apply one change at a time (`apply: { concurrency: 1 }`), so each kill point is one change's;
// test/apply/kill-points.test.ts kills concurrent runs at every step.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type LiveCli, spawnCli } from "../helpers/cli.js";
import { type E2E, type Project, pause, startE2E, TIME_SCALE } from "./harness.js";

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
const FREE =
  "plan_id: free\nname: Free\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n";

const slowCalls = (ms: number) => e2e.sb.admin.setFaults({ latencyMs: ms / TIME_SCALE });
const keyId = (p: Project, name: string) => p.seed.apiKeys.find((k) => k.name === name)!.id;

async function threePlans(): Promise<Project> {
  const p = await e2e.project({ config: ONE_AT_A_TIME });
  p.writePlan("a.yaml", planYaml("a", "dev", "acme-dashboard"));
  p.writePlan("b.yaml", planYaml("b", "prod", "globex-mobile"));
  p.writePlan("c.yaml", planYaml("c", "dev", "initech-batch"));
  expect((await p.upg(["init"])).code).toBe(0);
  return p;
}

function start(p: Project, args: string[]): LiveCli {
  return spawnCli(args, { cwd: p.dir, env: { ...e2e.sb.env(), AWS_PROFILE: undefined, CI: "1" } });
}

async function liveState(p: Project): Promise<Record<string, string[]>> {
  const names = new Map(p.seed.apiKeys.map((k) => [k.id, k.name]));
  const out: Record<string, string[]> = {};
  for (const plan of await e2e.plans()) {
    if (out[plan.name!]) throw new Error(`duplicate live plan ${plan.name}`);
    out[plan.name!] = (await e2e.planKeys(plan.id!)).map((id) => names.get(id) ?? id).sort();
  }
  return out;
}

async function auditedChanges(p: Project): Promise<string[]> {
  const rows = await p.store().listAudit();
  return rows
    .filter((r) => /-(plan|key|record)$/.test(r.action))
    .sort((x, y) => x.seq - y.seq)
    .map((r) => r.change_id);
}

/** kill -9 once `pattern` has streamed out (after `delayMs`); the run leaves its lock behind. */
async function killAt(run: LiveCli, pattern: string, delayMs = 0) {
  await run.waitFor(pattern);
  if (delayMs > 0) await sleep(delayMs);
  run.kill("SIGKILL");
  const r = await run.done;
  expect(r.signal).toBe("SIGKILL");
  return r;
}

/** What a user does after a killed apply: apply (refused, names the lock), unlock that id, apply again. */
async function recoverAsAUser(p: Project) {
  const held = await p.upg(["apply", "--auto-approve"]);
  expect(held.code, held.stdout + held.stderr).toBe(1);
  const lockId = /holds the apply lock \(lock id (\w+)\)/.exec(held.stderr)?.[1];
  expect(lockId, held.stderr).toBeDefined();
  expect(held.stderr).toContain(`upg unlock ${lockId}`);
  const unlock = await p.upg(["unlock", lockId!, "--reason", "the CI job was killed mid-apply"]);
  expect(unlock.code, unlock.stdout + unlock.stderr).toBe(0);

  const next = await p.upg(["apply", "--auto-approve"]);
  expect(next.code, next.stdout + next.stderr).toBe(0);
  expect(next.stderr).not.toContain("holds the apply lock");
  const plan = await p.upg(["plan", "--detailed-exitcode"]);
  expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  expect(plan.stdout + plan.stderr).not.toMatch(/CRITICAL|HIGH/);
  const verify = await p.upg(["audit", "verify"]);
  expect(verify.code, verify.stdout + verify.stderr).toBe(0);
  expect((await p.store().listRecords()).filter((r) => r.pending)).toEqual([]);
  return next;
}

/** Every change audited exactly once. */
function onceEach(changes: string[], expected: (string | RegExp)[]) {
  expect(changes).toHaveLength(expected.length);
  expect(new Set(changes).size).toBe(changes.length);
  for (const e of expected)
    expect(
      changes.some((c) => (typeof e === "string" ? c === e : e.test(c))),
      `${e} in ${changes}`,
    ).toBe(true);
}

const CREATED_ALL = [
  "create:a",
  "create:b",
  "create:c",
  /^attach-key:a:/,
  /^attach-key:b:/,
  /^attach-key:c:/,
];
const CONVERGED = {
  "Plan-a": ["acme-dashboard"],
  "Plan-b": ["globex-mobile"],
  "Plan-c": ["initech-batch"],
};

describe("kill -9 of the CLI mid-apply, then apply again", { timeout: 60_000 }, () => {
  it("right after the first change's line streamed out", async () => {
    const p = await threePlans();
    await slowCalls(400);
    const r = await killAt(start(p, ["apply", "--auto-approve"]), "✓ create a");
    expect(r.stdout).toMatch(/^ {2}✓ create a \(\w+\) \d/m);
    await sleep(500); // a call sent just before the kill lands
    await e2e.sb.admin.resetFaults();
    expect((await liveState(p))["Plan-a"]).toEqual([]);

    await recoverAsAUser(p);
    expect(await liveState(p)).toEqual(CONVERGED);
    onceEach(await auditedChanges(p), CREATED_ALL);
  });

  it("while a CreateUsagePlan is at AWS: it lands after the kill and is adopted, not made twice", async () => {
    const p = await threePlans();
    await slowCalls(1000);
    const creates = (await e2e.sb.admin.counters()).CreateUsagePlan ?? 0;
    const run = start(p, ["apply", "--auto-approve"]);
    await run.waitFor("✓ create a");
    // create b's request reached AWS (the sandbox answers it 1 s later): kill before the answer is read.
    await untilReceived("CreateUsagePlan", creates + 2);
    const r = await killAt(run, "✓ create a");
    expect(r.stdout).not.toContain("✓ create b");
    await sleep(1000);
    await e2e.sb.admin.resetFaults();
    expect(await liveState(p)).toEqual({ "Plan-a": [], "Plan-b": [] });
    expect((await p.store().getRecord("b"))?.pending).toBeDefined();

    const next = await recoverAsAUser(p);
    expect(next.stderr).toContain("Finishing what an earlier run left unfinished");
    expect(next.stdout).not.toMatch(/✓ create [ab]\b/);
    expect(await liveState(p)).toEqual(CONVERGED);
    onceEach(await auditedChanges(p), CREATED_ALL);
  });

  it("between an update's intent and its call (held by UpdateUsagePlan pacing)", async () => {
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
        "update_usage_plan_interval_ms: 3000",
      ),
    );
    p.writePlan("a.yaml", planYaml("a", "dev", "acme-dashboard", 6));
    p.writePlan("b.yaml", planYaml("b", "prod", "globex-mobile", 7));
    const before = (await auditedChanges(p)).length;
    // The pacing line is printed once update b's intent is written and its call waits.
    const r = await killAt(start(p, ["apply", "--auto-approve"]), "… UpdateUsagePlan");
    expect(r.stdout).toContain("✓ update a");
    expect(r.stdout).not.toContain("✓ update b");
    expect((await p.store().getRecord("b"))?.pending).toBeDefined();
    expect((await e2e.planByName("Plan-b")).throttle?.rateLimit).toBe(5);

    await recoverAsAUser(p);
    expect((await e2e.planByName("Plan-a")).throttle?.rateLimit).toBe(6);
    expect((await e2e.planByName("Plan-b")).throttle?.rateLimit).toBe(7);
    expect(await liveState(p)).toEqual({ "Plan-a": ["acme-dashboard"], "Plan-b": ["globex-mobile"] });
    onceEach((await auditedChanges(p)).slice(before), ["update:a", "update:b"]);
  });

  it.each([
    ["after the recreate", "✓ recreate free"],
    ["after the first key's restore", "✓ attach key"],
  ])(
    "a deleted plan's recorded (observed) keys are restored when the recreate is killed %s",
    async (_, at) => {
      const p = await e2e.project({ config: ONE_AT_A_TIME });
      p.writePlan("free.yaml", FREE);
      expect((await p.upg(["init"])).code).toBe(0);
      expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
      const free = await e2e.planByName("Free");
      for (const k of ["acme-dashboard", "globex-mobile"]) {
        await e2e.sdk.send(
          new CreateUsagePlanKeyCommand({ usagePlanId: free.id, keyId: keyId(p, k), keyType: "API_KEY" }),
        );
      }
      // upg records the keys attached in the console (the plan file has no `keys:`).
      expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
      expect((await p.store().getRecord("free"))?.keys).toEqual(
        [keyId(p, "acme-dashboard"), keyId(p, "globex-mobile")].sort(),
      );
      // Someone deletes the plan in the console.
      await pause();
      await e2e.sdk.send(
        new UpdateUsagePlanCommand({
          usagePlanId: free.id,
          patchOperations: [{ op: "remove", path: "/apiStages", value: `${p.seed.restApiId}:dev` }],
        }),
      );
      await e2e.sdk.send(new DeleteUsagePlanCommand({ usagePlanId: free.id }));

      await slowCalls(400);
      const r = await killAt(start(p, ["apply", "--auto-approve"]), at);
      expect(r.stdout).toContain(at);
      await sleep(500);
      await e2e.sb.admin.resetFaults();

      await recoverAsAUser(p);
      const state = await liveState(p);
      expect(state).toEqual({ Free: ["acme-dashboard", "globex-mobile"] });
      expect((await e2e.planByName("Free")).id).not.toBe(free.id);
      const rec = await p.store().getRecord("free");
      expect(rec?.keys).toEqual([keyId(p, "acme-dashboard"), keyId(p, "globex-mobile")].sort());
      expect(rec?.pending_keys ?? []).toEqual([]);
      const changes = await auditedChanges(p);
      expect(changes.filter((c) => c.startsWith("recreate:free"))).toHaveLength(1);
      expect(changes.filter((c) => c.startsWith("attach-key:free:"))).toHaveLength(2);
      expect(new Set(changes).size).toBe(changes.length);
    },
  );
});
