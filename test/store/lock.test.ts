import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LockHeldError, LockIdMismatchError, LockLostError, UserError } from "../../src/errors.js";
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
      lock_id: expect.stringMatching(/^[0-9a-f]{8}$/),
    });
    expect(lock.replaced).toBeUndefined();
    expect(await store.getLock()).toEqual(lock);

    const err = await store
      .acquireLock({ owner: "bob", runId: "r2", ttlSeconds: 600, now: () => T0 + 1000 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockHeldError);
    expect((err as LockHeldError).owner).toBe("alice");
    expect((err as LockHeldError).expiresAt).toBe(T0 + 600_000);
    expect((err as LockHeldError).reason).toBe("apply");
    expect((err as LockHeldError).lockId).toBe(lock.lock_id);
    expect((err as LockHeldError).message).toBe(
      `Another upg run holds the apply lock (lock id ${lock.lock_id}): alice since 2026-03-01T12:00:00.000Z (expires 2026-03-01T12:10:00.000Z).`,
    );
    expect((err as LockHeldError).hint).toContain(`upg unlock ${lock.lock_id} --reason`);
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

  it("taking over an expired lock returns the old holder and writes a lock_takeover audit row", async () => {
    const store = await fresh();
    const old = await store.acquireLock({ owner: "crashed", runId: "r1", ttlSeconds: 1, now: () => T0 });
    const taken = await store.acquireLock({
      owner: "next",
      runId: "r2",
      ttlSeconds: 60,
      now: () => T0 + 1001,
    });
    const { replaced, ...held } = taken;
    expect(replaced).toEqual(old);
    expect(await store.getLock()).toEqual(held);
    const audit = await store.listAudit();
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actor: "next",
      run_id: "r2",
      plan_id: LOCK_ITEM_KEY,
      action: "lock_takeover",
      change_id: `lock_takeover:${old.lock_id}`,
      outcome: "ok",
      before: old,
      after: held,
    });
    expect((await store.verifyAudit()).ok).toBe(true);
  });

  it("a lock taken when none was held replaces nothing and writes no audit row", async () => {
    const store = await fresh();
    await store.acquireLock({ owner: "a", runId: "r1", ttlSeconds: 60 });
    await store.releaseLock("r1");
    const again = await store.acquireLock({ owner: "b", runId: "r2", ttlSeconds: 60 });
    expect(again.replaced).toBeUndefined();
    expect(await store.listAudit()).toEqual([]);
  });

  it("each lock gets its own id", async () => {
    const store = await fresh();
    const a = await store.acquireLock({ owner: "a", runId: "r1", ttlSeconds: 60 });
    await store.releaseLock("r1");
    const b = await store.acquireLock({ owner: "b", runId: "r2", ttlSeconds: 60 });
    expect(a.lock_id).not.toBe(b.lock_id);
  });

  it("forceUnlock with a lock id removes only the lock with that id", async () => {
    const store = await fresh();
    const lock = await store.acquireLock({ owner: "ci-job-17", runId: "r1", ttlSeconds: 3600 });
    const err = await store.forceUnlock("wrong one", "ops", "deadbeef").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockIdMismatchError);
    expect((err as Error).message).toBe(
      `Lock id deadbeef is not the current apply lock: that is lock id ${lock.lock_id}, held by ci-job-17 since ${lock.acquired_at}. Nothing was released.`,
    );
    expect(await store.getLock()).toEqual(lock);
    expect(await store.listAudit()).toEqual([]);

    expect(await store.forceUnlock("job crashed", "ops", lock.lock_id)).toEqual(lock);
    expect(await store.getLock()).toBeUndefined();
    expect(await store.listAudit()).toMatchObject([{ action: "force_unlock", before: lock }]);
    expect(await store.forceUnlock("again", "ops", lock.lock_id)).toBeUndefined();
  });

  it("a lock written before lock ids existed is unlocked by its run_id", async () => {
    const { store, tables } = await sandbox.initialisedStore();
    const legacy = {
      plan_id: LOCK_ITEM_KEY,
      owner: "old-upg",
      run_id: "0b9e3c9a-legacy",
      acquired_at: "2026-01-01T00:00:00.000Z",
      expires_at: Date.now() + 3_600_000,
    };
    await sandbox.raw().send(new PutCommand({ TableName: tables.metadata, Item: legacy }));
    const err = await store
      .acquireLock({ owner: "me", runId: "r9", ttlSeconds: 60 })
      .catch((e: unknown) => e);
    expect((err as LockHeldError).lockId).toBe(legacy.run_id);
    expect(await store.forceUnlock("old run crashed", "ops", legacy.run_id)).toEqual(legacy);
  });
});

describe("fencing", () => {
  it("checkLock bumps the fence while this run holds the lock", async () => {
    const store = await fresh();
    await store.acquireLock({ owner: "a", runId: "r1", ttlSeconds: 60 });
    expect(await store.checkLock("r1")).toBe(1);
    expect(await store.checkLock("r1")).toBe(2);
    expect((await store.getLock())?.fence).toBe(2);
  });

  it("checkLock fails with LockLostError once another run took the lock over", async () => {
    const store = await fresh();
    await store.acquireLock({ owner: "a", runId: "r1", ttlSeconds: 1, now: () => T0 });
    const b = await store.acquireLock({ owner: "b", runId: "r2", ttlSeconds: 600 });
    const err = await store.checkLock("r1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LockLostError);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `This run no longer holds the apply lock: it expired and b took it over at ${b.acquired_at} (lock id ${b.lock_id}).`,
    );
    expect((await store.getLock())?.fence).toBeUndefined();
    expect(await store.checkLock("r2")).toBe(1);
  });

  it("checkLock fails once the lock expired, even if nobody took it yet, and when it is gone", async () => {
    const store = await fresh();
    await store.acquireLock({ owner: "a", runId: "r1", ttlSeconds: 1, now: () => T0 });
    await expect(store.checkLock("r1")).rejects.toThrow(
      "This run no longer holds the apply lock: it expired at 2026-03-01T12:00:01.000Z.",
    );
    await store.forceUnlock("gone", "ops");
    await expect(store.checkLock("r1")).rejects.toBeInstanceOf(LockLostError);
  });

  it("renewLock throws LockLostError too", async () => {
    const store = await fresh();
    await store.acquireLock({ owner: "a", runId: "r1", ttlSeconds: 60 });
    await expect(store.renewLock("r2", 60)).rejects.toBeInstanceOf(LockLostError);
  });
});
