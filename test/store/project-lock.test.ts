// Projects that share upg's tables: one apply lock per project (never waiting for each other), one audit chain
// that stays whole when both append at once.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LockHeldError } from "../../src/errors.js";
import {
  createStore,
  LOCK_ITEM_KEY,
  lockItemKey,
  type Store,
  type TableNames,
} from "../../src/store/index.js";
import { type Sandbox, startSandbox } from "./helpers.js";

let sandbox: Sandbox;
const opened: Store[] = [];
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(async () => {
  for (const s of opened) s.destroy();
  await sandbox.stop();
});

function storeOf(tables: TableNames, project?: string): Store {
  const s = createStore({
    target: {
      region: "us-east-1",
      endpoint: sandbox.endpoint,
      credentials: { accessKeyId: "x", secretAccessKey: "x" },
      maxAttempts: 1,
    },
    tables,
    ...(project !== undefined ? { project } : {}),
  });
  opened.push(s);
  return s;
}

describe("projects on the same tables", () => {
  it("each project has its own lock item; runs of one project still exclude each other", async () => {
    const { tables } = await sandbox.initialisedStore();
    const a = storeOf(tables, "team-a");
    const b = storeOf(tables, "team-b");
    const none = storeOf(tables);
    const la = await a.acquireLock({ owner: "alice", runId: "ra", ttlSeconds: 60 });
    const lb = await b.acquireLock({ owner: "bob", runId: "rb", ttlSeconds: 60 });
    const ln = await none.acquireLock({ owner: "carol", runId: "rn", ttlSeconds: 60 });
    expect([la.plan_id, lb.plan_id, ln.plan_id]).toEqual([
      "__upg_lock__#team-a",
      "__upg_lock__#team-b",
      LOCK_ITEM_KEY,
    ]);
    expect(lockItemKey("team-a")).toBe("__upg_lock__#team-a");
    const second = storeOf(tables, "team-a");
    await expect(second.acquireLock({ owner: "dave", runId: "rd", ttlSeconds: 60 })).rejects.toBeInstanceOf(
      LockHeldError,
    );
    // Fencing and release act on the project's own lock only.
    await a.renewLock("ra", 60);
    await expect(b.renewLock("ra", 60)).rejects.toThrow();
    await a.releaseLock("ra");
    expect(await a.getLock()).toBeUndefined();
    expect((await b.getLock())?.run_id).toBe("rb");
    // Lock items are never listed as master records.
    expect(await a.listRecords()).toEqual([]);
  });

  it("two projects appending at once keep one whole audit chain", async () => {
    const { tables } = await sandbox.initialisedStore();
    const a = storeOf(tables, "team-a");
    const b = storeOf(tables, "team-b");
    const entry = (store: string, i: number) => ({
      at: new Date().toISOString(),
      actor: store,
      run_id: `run-${store}`,
      plan_id: `${store}-${i}`,
      action: "create-plan",
      change_id: `create:${store}-${i}`,
      outcome: "ok" as const,
    });
    await Promise.all([
      ...Array.from({ length: 8 }, (_, i) => a.appendAudit(entry("a", i))),
      ...Array.from({ length: 8 }, (_, i) => b.appendAudit(entry("b", i))),
    ]);
    const rows = await a.listAudit();
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 16 }, (_, i) => i + 1));
    expect(new Set(rows.map((r) => r.plan_id)).size).toBe(16);
    const verified = await b.verifyAudit();
    expect(verified.ok).toBe(true);
    expect((await a.auditHead())?.seq).toBe(16);
  });
});
