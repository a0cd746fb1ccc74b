import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LockHeldError } from "../../src/errors.js";
import { LOCK_ITEM_KEY, type Store } from "../../src/store/index.js";
import { type Sandbox, startSandbox } from "./helpers.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.stop());

async function fresh(): Promise<Store> {
  return (await sandbox.initialisedStore()).store;
}

const T0 = Date.parse("2026-03-01T12:00:00.000Z");

describe("apply lock", () => {
  it("is taken once; a second run gets LockHeldError naming the holder", async () => {
    const store = await fresh();
    const lock = await store.acquireLock({
      owner: "alice",
      runId: "r1",
      ttlSeconds: 600,
      reason: "apply",
      now: () => T0,
    });
    expect(lock).toEqual({
      plan_id: LOCK_ITEM_KEY,
      owner: "alice",
      run_id: "r1",
      acquired_at: "2026-03-01T12:00:00.000Z",
      expires_at: T0 + 600_000,
      reason: "apply",
    });
    expect(await store.getLock()).toEqual(lock);

    const err = await store
      .acquireLock({ owner: "bob", runId: "r2", ttlSeconds: 600, now: () => T0 + 1000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).owner).toBe("alice");
    expect((err as LockHeldError).expiresAt).toBe(T0 + 600_000);
    expect((err as LockHeldError).reason).toBe("apply");
  });

  it("lets exactly one of several simultaneous runs take it", async () => {
    const store = await fresh();
    const runs = Array.from({ length: 5 }, (_, i) =>
      store.acquireLock({ owner: `o${i}`, runId: `r${i}`, ttlSeconds: 60 }),
    );
    const results = await Promise.allSettled(runs);
    expect(results.filter((r) => r.status === "fulfilled")).toHaveLength(1);
    const rejected = results.filter((r) => r.status === "rejected");
    expect(rejected.every((r) => r.reason instanceof LockHeldError)).toBe(true);
  });

  it("can be taken over once expired", async () => {
    const store = await fresh();
    await store.acquireLock({ owner: "crashed", runId: "r1", ttlSeconds: 1, now: () => T0 });
    const taken = await store.acquireLock({
      owner: "next",
      runId: "r2",
      ttlSeconds: 60,
      now: () => T0 + 1001,
    });
    expect(taken.owner).toBe("next");
    expect((await store.getLock())?.run_id).toBe("r2");
  });

  it("is released only by its own run, and releasing twice is fine", async () => {
    const store = await fresh();
    await store.acquireLock({ owner: "alice", runId: "r1", ttlSeconds: 60 });
    await store.releaseLock("someone-else");
    expect((await store.getLock())?.run_id).toBe("r1");
    await store.releaseLock("r1");
    expect(await store.getLock()).toBeUndefined();
    await expect(store.releaseLock("r1")).resolves.toBeUndefined();
  });

  it("with waitMs, waits and succeeds when the holder releases meanwhile", async () => {
    const store = await fresh();
    await store.acquireLock({ owner: "alice", runId: "r1", ttlSeconds: 60 });
    const started = Date.now();
    const waiting = store.acquireLock({ owner: "bob", runId: "r2", ttlSeconds: 60, waitMs: 5000 });
    setTimeout(() => void store.releaseLock("r1"), 400);
    const lock = await waiting;
    const waited = Date.now() - started;
    expect(lock.owner).toBe("bob");
    expect(waited).toBeGreaterThanOrEqual(350);
    expect(waited).toBeLessThan(3000);
  });

  it("with waitMs, gives up with LockHeldError once the time is over", async () => {
    const store = await fresh();
    await store.acquireLock({ owner: "alice", runId: "r1", ttlSeconds: 60 });
    const started = Date.now();
    await expect(
      store.acquireLock({ owner: "bob", runId: "r2", ttlSeconds: 60, waitMs: 600 }),
    ).rejects.toBeInstanceOf(LockHeldError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(600);
  });

  it("forceUnlock removes whatever lock exists, returns it and records it in the audit log", async () => {
    const store = await fresh();
    expect(await store.forceUnlock("nothing there", "ops")).toBeUndefined();
    const lock = await store.acquireLock({ owner: "crashed", runId: "r1", ttlSeconds: 3600 });

    expect(await store.forceUnlock("run crashed", "ops")).toEqual(lock);
    expect(await store.getLock()).toBeUndefined();
    const audit = await store.listAudit();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: "ops",
      action: "force_unlock",
      plan_id: LOCK_ITEM_KEY,
      before: lock,
      after: { reason: "run crashed" },
    });
    expect((await store.acquireLock({ owner: "next", runId: "r2", ttlSeconds: 60 })).owner).toBe("next");
  });
});
