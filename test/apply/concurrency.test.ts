// apply runs the changes of different plans in one phase side by side: against the sandbox with injected
// latency, creates overlap (counted by a gateway wrapper, not by timing), the order table still holds (every
// call of a phase ends before any call of a later phase starts), the audit chain verifies, and a stop
// (a signal) lets the changes in flight finish and be recorded, starts no other, and the next run converges.

import { CreateApiKeyCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../src/apply/apply-plan.js";
import { DEFAULT_CONCURRENCY } from "../../src/apply/apply-plan.js";
import type { LiveGateway } from "../../src/live/types.js";
import { type KillProject, startWorld, type World } from "./journal-harness.js";

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

/** The phase of the order table (src/diff/order.ts) each gateway write belongs to. */
const PHASE: Record<string, number> = {
  tagPlan: 0,
  detachKey: 1,
  updatePlan: 2,
  deletePlan: 3,
  createPlan: 4,
  attachKey: 5,
};

interface Call {
  name: string;
  /** Positions in one sequence of call starts and ends. */
  start: number;
  end: number;
}

/** Gateway writes as they start and end, and the most of each kind in flight at once. */
function recorder() {
  const calls: Call[] = [];
  const inFlight = new Map<string, number>();
  const most = new Map<string, number>();
  let tick = 0;
  const wrap = (live: LiveGateway): LiveGateway =>
    new Proxy(live, {
      get(obj, prop, recv) {
        const value = Reflect.get(obj, prop, recv);
        const name = String(prop);
        if (typeof value !== "function" || !(name in PHASE)) return value;
        return async (...args: unknown[]) => {
          const call: Call = { name, start: ++tick, end: Number.POSITIVE_INFINITY };
          calls.push(call);
          const n = (inFlight.get(name) ?? 0) + 1;
          inFlight.set(name, n);
          most.set(name, Math.max(most.get(name) ?? 0, n));
          try {
            return await value.apply(obj, args);
          } finally {
            inFlight.set(name, inFlight.get(name)! - 1);
            call.end = ++tick;
          }
        };
      },
    });
  return { calls, most, wrap };
}

const plan = (id: string, stage: string, keys: string[], rate = 5) =>
  `plan_id: ${id}\nname: Plan-${id}\nrate_limit: ${rate}\nburst_limit: 10\n` +
  `stages: [{ api_name: weather-api, stage: ${stage} }]\nkeys: [${keys.join(", ")}]\n`;

async function makeKeys(n: number): Promise<string[]> {
  const names: string[] = [];
  for (let i = 1; i <= n; i++) {
    const name = `k${i}`;
    await world.sdk.send(new CreateApiKeyCommand({ name, enabled: true }));
    names.push(name);
  }
  return names;
}

async function convergedAndVerified(p: KillProject) {
  const again = await p.apply();
  expect(again.killed).toBe(false);
  if (again.outcome?.kind === "applied")
    expect(again.outcome.result.results.filter((r) => r.outcome !== "ok")).toEqual([]);
  expect((await p.plan()).changes.map((c) => c.id)).toEqual([]);
  const store = p.store();
  expect((await store.listRecords()).filter((r) => r.pending).map((r) => r.plan_id)).toEqual([]);
  expect((await store.verifyAudit()).problems).toEqual([]);
}

describe("apply runs independent changes at once, inside the order table", { timeout: 60_000 }, () => {
  it("creates of independent plans overlap; every phase ends before the next starts; the chain verifies", async () => {
    const p = await world.project();
    const keys = await makeKeys(10);
    // Before: a holds acme-dashboard and globex-mobile on dev; b and d exist.
    p.writePlan("a.yaml", plan("a", "dev", ["acme-dashboard", "globex-mobile"]));
    p.writePlan("b.yaml", plan("b", "prod", []));
    p.writePlan("d.yaml", plan("d", "prod", []));
    expect((await p.apply()).outcome?.kind).toBe("applied");

    // globex-mobile moves from a to the new plan c on the same stage (detach before attach); b is updated, d
    // deleted, and five new plans come with two keys each.
    p.writePlan("a.yaml", plan("a", "dev", ["acme-dashboard"]));
    p.writePlan("c.yaml", plan("c", "dev", ["globex-mobile"]));
    p.writePlan("b.yaml", plan("b", "prod", [], 6));
    p.removePlan("d.yaml");
    for (let i = 0; i < 5; i++)
      p.writePlan(`n${i}.yaml`, plan(`n${i}`, "prod", keys.slice(2 * i, 2 * i + 2)));
    await world.sb.admin.setFaults({ latencyMs: 3000 }); // 30 ms per call at the harness's time scale
    const rec = recorder();
    const events: RunEvent[] = [];
    const run = await p.apply(undefined, { wrapLive: rec.wrap, onEvent: (e) => events.push(e) });
    await world.sb.admin.resetFaults();
    expect(run.outcome?.kind).toBe("applied");
    if (run.outcome?.kind !== "applied") return;
    const results = run.outcome.result.results;
    expect(results.filter((r) => r.outcome !== "ok")).toEqual([]);
    // Results in plan order, one progress line per change.
    expect(results.map((r) => r.changeId)).toEqual(run.outcome.plan.changes.map((c) => c.id));
    const done = events.filter((e) => e.type === "change-done").map((e) => e.change.id);
    expect(done.slice().sort()).toEqual(results.map((r) => r.changeId).sort());

    // Six creates, up to DEFAULT_CONCURRENCY at once: they overlapped.
    expect(rec.calls.filter((c) => c.name === "createPlan")).toHaveLength(6);
    expect(rec.most.get("createPlan")).toBeGreaterThan(1);
    expect(rec.most.get("createPlan")).toBeLessThanOrEqual(DEFAULT_CONCURRENCY);
    expect(rec.most.get("attachKey")).toBeGreaterThan(1);
    // The order table: every call of a phase ended before any call of a later phase started.
    for (const x of rec.calls)
      for (const y of rec.calls)
        if (PHASE[x.name]! < PHASE[y.name]!)
          expect(x.end, `${x.name} ends before ${y.name} starts`).toBeLessThan(y.start);
    expect(rec.calls.map((c) => c.name)).toContain("detachKey");
    expect(rec.calls.map((c) => c.name)).toContain("deletePlan");
    expect(rec.calls.map((c) => c.name)).toContain("updatePlan");

    const live = await p.livePlans();
    expect(live.map((l) => l.name)).toEqual([
      "Plan-a",
      "Plan-b",
      "Plan-c",
      "Plan-n0",
      "Plan-n1",
      "Plan-n2",
      "Plan-n3",
      "Plan-n4",
    ]);
    expect(live.find((l) => l.name === "Plan-c")?.keys).toEqual([p.key("globex-mobile")]);
    // One audit row per change of the run; the chain verifies.
    const rows = (await p.store().listAudit()).filter((r) => r.run_id === run.runId);
    expect(rows.map((r) => r.change_id).sort()).toEqual(results.map((r) => r.changeId).sort());
    await convergedAndVerified(p);
  });

  it("a signal mid-run: the changes in flight finish and are recorded, no other starts, the next run converges", async () => {
    const p = await world.project();
    const keys = await makeKeys(12);
    const n = DEFAULT_CONCURRENCY + 4;
    for (let i = 0; i < n; i++) p.writePlan(`p${i}.yaml`, plan(`p${i}`, "prod", [keys[i]!]));
    await world.sb.admin.setFaults({ latencyMs: 3000 });
    const ctl = new AbortController();
    const rec = recorder();
    const run = await p.apply(undefined, {
      wrapLive: rec.wrap,
      signal: ctl.signal,
      onEvent: (e) => {
        if (e.type === "change-done" && e.result.outcome === "ok") ctl.abort("interrupted by the test");
      },
    });
    await world.sb.admin.resetFaults();
    expect(run.outcome?.kind).toBe("applied");
    if (run.outcome?.kind !== "applied") return;
    const { results, stopped } = run.outcome.result;
    expect(stopped).toBe("interrupted by the test");
    const creates = results.filter((r) => r.action === "create");
    const ok = creates.filter((r) => r.outcome === "ok");
    // The first lanes were all in flight when the signal came: they finished. The others never started.
    expect(ok).toHaveLength(DEFAULT_CONCURRENCY);
    expect(creates.filter((r) => r.outcome === "skipped")).toHaveLength(n - DEFAULT_CONCURRENCY);
    expect(results.filter((r) => r.action === "attach").map((r) => r.outcome)).toEqual(
      Array.from({ length: n }, () => "skipped"),
    );
    expect(rec.calls.filter((c) => c.name === "createPlan")).toHaveLength(DEFAULT_CONCURRENCY);
    expect(rec.calls.filter((c) => c.name === "attachKey")).toEqual([]);
    // What ran is recorded: a record without pending and an audit row each; nothing else was written.
    const store = p.store();
    const records = await store.listRecords();
    expect(records.filter((r) => r.pending)).toEqual([]);
    expect(records.map((r) => r.plan_id).sort()).toEqual(ok.map((r) => r.planId).sort());
    const rows = (await store.listAudit()).filter((r) => r.run_id === run.runId);
    expect(rows.map((r) => r.change_id).sort()).toEqual(ok.map((r) => r.changeId).sort());
    expect((await store.verifyAudit()).problems).toEqual([]);
    expect((await p.livePlans()).map((l) => l.name).sort()).toEqual(ok.map((r) => `Plan-${r.planId}`).sort());
    await convergedAndVerified(p);
    expect((await p.livePlans()).map((l) => l.keys.length)).toEqual(Array.from({ length: n }, () => 1));
  });
});
