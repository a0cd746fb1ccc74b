// Kill points: for every kind of change, apply is killed right before each of its writes (API Gateway
// calls and DynamoDB writes) and right after the last one; the next apply must converge with nothing lost:
// no duplicate plan, every declared and recorded key attached, no drift, no pending journal entry, one
// audit row per executed change, and an audit chain that verifies.

import {
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  GetUsagePlanCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type KillProject, type KillSwitch, startWorld, TIME_SCALE, type World } from "./journal-harness.js";

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

const pause = () => new Promise((r) => setTimeout(r, 20000 * TIME_SCALE + 20));

const FREE =
  "plan_id: free\nname: Free\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n";
const SILVER =
  "plan_id: silver\nname: Silver\nrate_limit: 20\nburst_limit: 40\nstages: [{ api_name: weather-api, stage: prod }]\n";
const gold = (keys: string) =>
  `plan_id: gold\nname: Gold\nrate_limit: 50\nburst_limit: 100\nstages: [{ api_name: weather-api, stage: prod }]\nkeys: [${keys}]\n`;

async function attachInConsole(p: KillProject, planName: string, keyNames: string[]) {
  const plan = (await p.livePlans()).find((x) => x.name === planName)!;
  for (const k of keyNames) {
    await world.sdk.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: p.key(k), keyType: "API_KEY" }),
    );
  }
}

async function deleteInConsole(p: KillProject, planName: string) {
  const plan = (await p.livePlans()).find((x) => x.name === planName)!;
  const live = await world.sdk.send(new GetUsagePlanCommand({ usagePlanId: plan.id }));
  await pause();
  await world.sdk.send(
    new UpdateUsagePlanCommand({
      usagePlanId: plan.id,
      patchOperations: (live.apiStages ?? []).map((s) => ({
        op: "remove",
        path: "/apiStages",
        value: `${s.apiId}:${s.stage}`,
      })),
    }),
  );
  await world.sdk.send(new DeleteUsagePlanCommand({ usagePlanId: plan.id }));
}

async function applied(p: KillProject) {
  const r = await p.apply();
  expect(r.killed).toBe(false);
  if (r.outcome?.kind === "applied")
    expect(r.outcome.result.results.filter((x) => x.outcome !== "ok")).toEqual([]);
}

interface Scenario {
  kind: string;
  /** Initial state, applied without a kill. */
  setup(p: KillProject): Promise<void>;
  /** What the killed apply has to do. */
  change(p: KillProject): Promise<void>;
  /** Live plans by name, with their keys by name, after convergence. */
  expect: Record<string, string[]>;
}

const SCENARIOS: Scenario[] = [
  {
    kind: "create (with declared keys)",
    setup: async () => {},
    change: async (p) => p.writePlan("gold.yaml", gold("acme-dashboard, globex-mobile")),
    expect: { Gold: ["acme-dashboard", "globex-mobile"] },
  },
  {
    kind: "update (settings and tags)",
    setup: async (p) => {
      p.writePlan("free.yaml", FREE);
      await applied(p);
      await pause();
    },
    change: async (p) =>
      p.writePlan("free.yaml", FREE.replace("rate_limit: 5", "rate_limit: 7\ntags: { team: edge }")),
    expect: { Free: [] },
  },
  {
    kind: "recreate (observed keys restored)",
    setup: async (p) => {
      p.writePlan("free.yaml", FREE);
      await applied(p);
      await attachInConsole(p, "Free", ["acme-dashboard", "globex-mobile"]);
      await applied(p);
    },
    change: (p) => deleteInConsole(p, "Free"),
    expect: { Free: ["acme-dashboard", "globex-mobile"] },
  },
  {
    kind: "delete (file removed)",
    setup: async (p) => {
      p.writePlan("free.yaml", FREE);
      p.writePlan("silver.yaml", SILVER);
      await applied(p);
    },
    change: async (p) => p.removePlan("free.yaml"),
    expect: { Silver: [] },
  },
  {
    kind: "archive (lifecycle_state: Archived)",
    setup: async (p) => {
      p.writePlan("free.yaml", FREE);
      await applied(p);
    },
    change: async (p) => p.writePlan("free.yaml", `${FREE}lifecycle_state: Archived\n`),
    expect: {},
  },
  {
    kind: "adopt (an unmanaged plan the plan file names, with its key)",
    setup: async (p) => {
      const made = await world.sdk.send(
        new CreateUsagePlanCommand({
          name: "Free",
          throttle: { rateLimit: 5, burstLimit: 10 },
          apiStages: [{ apiId: p.seed.restApiId, stage: "dev" }],
        }),
      );
      await world.sdk.send(
        new CreateUsagePlanKeyCommand({
          usagePlanId: made.id!,
          keyId: p.key("acme-dashboard"),
          keyType: "API_KEY",
        }),
      );
      p.options.adopt = true;
    },
    change: async (p) => p.writePlan("free.yaml", FREE),
    expect: { Free: ["acme-dashboard"] },
  },
  {
    // Two plans' changes run side by side: the kill lands with both plans' journals in any state.
    kind: "creates of two plans at once, each with a group of keys",
    setup: async () => {},
    change: async (p) => {
      p.writePlan("gold.yaml", gold("acme-dashboard, globex-mobile"));
      p.writePlan("free.yaml", FREE.replace("stages:", "keys: [globex-mobile, initech-batch]\nstages:"));
    },
    expect: { Free: ["globex-mobile", "initech-batch"], Gold: ["acme-dashboard", "globex-mobile"] },
  },
  {
    kind: "attach key",
    setup: async (p) => {
      p.writePlan("gold.yaml", gold("acme-dashboard"));
      await applied(p);
    },
    change: async (p) => p.writePlan("gold.yaml", gold("acme-dashboard, globex-mobile")),
    expect: { Gold: ["acme-dashboard", "globex-mobile"] },
  },
  {
    kind: "detach key",
    setup: async (p) => {
      p.writePlan("gold.yaml", gold("acme-dashboard, globex-mobile"));
      await applied(p);
    },
    change: async (p) => p.writePlan("gold.yaml", gold("acme-dashboard")),
    expect: { Gold: ["acme-dashboard"] },
  },
  {
    kind: "record sync (a key attached in the console to an observed plan)",
    setup: async (p) => {
      p.writePlan("free.yaml", FREE);
      await applied(p);
    },
    change: (p) => attachInConsole(p, "Free", ["initech-batch"]),
    expect: { Free: ["initech-batch"] },
  },
];

async function converged(
  p: KillProject,
  sc: Scenario,
  killed: { runId: string; ks: KillSwitch },
  label: string,
) {
  const again = await p.apply();
  expect(again.killed, label).toBe(false);
  if (again.outcome?.kind === "applied") {
    expect(
      again.outcome.result.results.filter((r) => r.outcome !== "ok"),
      label,
    ).toEqual([]);
  }
  // Converged: nothing left to do, nothing drifted, nothing stuck.
  const plan = await p.plan();
  expect(
    plan.changes.map((c) => c.id),
    label,
  ).toEqual([]);
  expect(
    plan.violations.filter((v) => v.violation_type !== "unmanaged_plan_found"),
    label,
  ).toEqual([]);
  expect(plan.problems, label).toEqual([]);
  // No duplicate plan; every key where it belongs.
  const live = await p.livePlans();
  const byName = Object.fromEntries(live.map((l) => [l.name, l.keys]));
  expect(live.map((l) => l.name).sort(), label).toEqual(Object.keys(sc.expect).sort());
  for (const [name, keys] of Object.entries(sc.expect)) {
    expect(byName[name], `${label}: keys of ${name}`).toEqual(keys.map((k) => p.key(k)).sort());
  }
  const store = p.store();
  const records = await store.listRecords();
  expect(
    records.filter((r) => r.pending).map((r) => r.plan_id),
    label,
  ).toEqual([]);
  for (const [name, keys] of Object.entries(sc.expect)) {
    const rec = records.find((r) => r.name === name)!;
    expect(rec.keys, `${label}: recorded keys of ${name}`).toEqual(keys.map((k) => p.key(k)).sort());
  }
  // One audit row per executed change; the chain verifies.
  const rows = (await store.listAudit()).filter((r) => r.action !== "lock_takeover");
  const seen = new Map<string, number>();
  for (const r of rows)
    seen.set(`${r.run_id}|${r.change_id}`, (seen.get(`${r.run_id}|${r.change_id}`) ?? 0) + 1);
  expect(
    [...seen].filter(([, n]) => n > 1),
    `${label}: duplicate audit rows`,
  ).toEqual([]);
  const executed = new Set(
    killed.ks.log.filter((e) => e.done && e.change && /Plan|Key/.test(e.call)).map((e) => e.change!),
  );
  for (const change of executed) {
    const mine = rows.filter((r) => r.run_id === killed.runId && r.change_id === change);
    expect(
      mine.map((r) => r.outcome),
      `${label}: audit row of executed ${change}`,
    ).toEqual(["ok"]);
  }
  for (const r of rows.filter((x) => x.run_id === killed.runId && x.outcome === "ok")) {
    if (r.action === "sync-record") continue;
    expect(executed.has(r.change_id), `${label}: audit row ${r.change_id} without its call`).toBe(true);
  }
  const verify = await store.verifyAudit();
  expect(verify.problems, label).toEqual([]);
}

describe("apply killed at every step converges on the next run", { timeout: 180_000 }, () => {
  for (const sc of SCENARIOS) {
    it(`${sc.kind}`, async () => {
      // A full run first, to count the steps the change takes.
      const probe = await world.project();
      await sc.setup(probe);
      await sc.change(probe);
      const count: KillSwitch = { steps: 0, dead: false, log: [] };
      const full = await probe.apply(count);
      expect(full.killed).toBe(false);
      expect(full.outcome?.kind).toBe("applied");
      const steps = count.steps;
      expect(steps).toBeGreaterThan(2);
      for (let at = 1; at <= steps; at++) {
        const p = await world.project();
        await sc.setup(p);
        await sc.change(p);
        const ks: KillSwitch = { at, steps: 0, dead: false, log: [] };
        const killed = await p.apply(ks);
        const label = `${sc.kind}: killed before step ${at} of ${steps} (${count.log[at - 1]?.call} during ${count.log[at - 1]?.change ?? "-"})`;
        expect(killed.killed, label).toBe(true);
        await converged(p, sc, { runId: killed.runId, ks }, label);
      }
    });
  }
});
