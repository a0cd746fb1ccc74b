// Fencing: a run that lost the apply lock (it expired and another run took it over) stops before its next
// change and makes no further write of any kind; the next run finishes what it had in flight.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Store } from "../../src/store/index.js";
import { ACTOR, startWorld, type World } from "./journal-harness.js";

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

const gold = (keys: string) =>
  `plan_id: gold\nname: Gold\nrate_limit: 50\nburst_limit: 100\nstages: [{ api_name: weather-api, stage: prod }]\nkeys: [${keys}]\n`;

describe("a run that lost its lock", () => {
  it("stops at its next write, writes nothing more, and the next run converges", async () => {
    const p = await world.project();
    p.writePlan("gold.yaml", gold("acme-dashboard, globex-mobile, initech-batch"));
    const writes: string[] = [];
    let thief: Store | undefined;
    let theft: Promise<void> | undefined;
    // After the first change's audit row, the run stalls (as a paused process would) and its renewals are held
    // up until the lock has expired and another run took it over.
    const wrapStore = (s: Store): Store =>
      new Proxy(s, {
        get(obj, prop, recv) {
          const v = Reflect.get(obj, prop, recv);
          if (typeof v !== "function") return v;
          const name = String(prop);
          return async (...args: unknown[]) => {
            if (name === "renewLock" && theft) await theft;
            if (["putRecord", "appendAudit", "appendAuditBatch", "deleteRecord"].includes(name))
              writes.push(name);
            const out = await v.apply(obj, args);
            if (name === "appendAudit" && !theft) {
              theft = (async () => {
                thief = p.store();
                await new Promise((r) => setTimeout(r, 80)); // past the 50 ms TTL of the harness
                await thief.acquireLock({ owner: "other", runId: "thief-run", ttlSeconds: 60 });
              })();
              await theft;
            }
            return out;
          };
        },
      });
    const run = await p.apply(undefined, { wrapStore });
    expect(run.outcome?.kind).toBe("applied");
    if (run.outcome?.kind !== "applied") return;
    const { result } = run.outcome;
    // The fence before create:gold's outcome found its lease too old, renewed, and found the lock taken.
    expect(result.stopped).toContain("no longer holds the apply lock");
    expect(result.results.map((r) => r.outcome)).toEqual(["ok", "skipped", "skipped", "skipped"]);
    expect(result.results[0]!.error).toContain("the next run completes it");
    // create:gold's intent and audit row; then no write of any kind.
    expect(writes).toEqual(["putRecord", "appendAudit"]);
    expect((await p.store().getRecord("gold"))?.pending?.change_id).toBe("create:gold");
    const lock = await p.store().getLock();
    expect(lock?.run_id).toBe("thief-run");
    await thief!.releaseLock("thief-run");
    const again = await p.apply();
    expect(again.outcome?.kind).toBe("applied");
    const plan = await p.plan();
    expect(plan.changes).toEqual([]);
    const keys = (await p.livePlans()).find((l) => l.name === "Gold")!.keys;
    expect(keys).toEqual(["acme-dashboard", "globex-mobile", "initech-batch"].map((k) => p.key(k)).sort());
    const store = p.store();
    expect((await store.verifyAudit()).problems).toEqual([]);
    // The create's row is not written twice by the run that finished it.
    const rows = (await store.listAudit()).filter((r) => r.change_id === "create:gold");
    expect(rows.map((r) => r.run_id)).toEqual([run.runId]);
    expect((await store.getRecord("gold"))?.pending).toBeUndefined();
    expect(ACTOR).toContain("arn:aws:iam::");
  });
});
