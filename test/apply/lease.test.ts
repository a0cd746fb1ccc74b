// The apply lock as a lease: writes skip the DynamoDB call while the last renewal is recent, renew first when
// it is not, and never pass once a renewal found the lock taken.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Lease } from "../../src/apply/lease.js";
import { LockLostError } from "../../src/errors.js";
import type { Store } from "../../src/store/index.js";
import { type Sandbox, startSandbox } from "../store/helpers.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.stop());

/** A store whose renewLock calls are counted. */
async function counted(): Promise<{ store: Store; other: () => Store; renewals: () => number }> {
  const { store, tables } = await sandbox.initialisedStore();
  let n = 0;
  const renewLock = store.renewLock.bind(store);
  store.renewLock = (runId, ttl) => {
    n++;
    return renewLock(runId, ttl);
  };
  return { store, other: () => sandbox.store(tables), renewals: () => n };
}

describe("the apply lease", () => {
  it("fences without a DynamoDB call while the last renewal is within ttl − ttl/2, and renews first after", async () => {
    const { store, renewals } = await counted();
    let now = Date.now();
    await store.acquireLock({ owner: "a", runId: "r1", ttlSeconds: 60, now: () => now });
    const lease = new Lease({ store, runId: "r1", ttlSeconds: 60, since: now, now: () => now });
    for (let i = 0; i < 100; i++) await lease.fence();
    expect(renewals()).toBe(0);
    now += 29_000;
    await lease.fence();
    expect(renewals()).toBe(0);
    now += 1_000; // 30 s: half the ttl is the margin
    await lease.fence();
    expect(renewals()).toBe(1);
    await lease.fence();
    expect(renewals()).toBe(1);
  });

  it("renews in the background every ttl/3 and stops on stop()", async () => {
    const { store, renewals } = await counted();
    const lock = await store.acquireLock({ owner: "a", runId: "r2", ttlSeconds: 0.06 });
    const lease = new Lease({ store, runId: "r2", ttlSeconds: 0.06, since: Date.now() }).start();
    await new Promise((r) => setTimeout(r, 150));
    await lease.stop();
    const made = renewals();
    expect(made).toBeGreaterThanOrEqual(2);
    expect((await store.getLock())!.expires_at).toBeGreaterThan(lock.expires_at);
    await new Promise((r) => setTimeout(r, 80));
    expect(renewals()).toBe(made);
  });

  it("once a renewal finds the lock taken, every fence throws without another call", async () => {
    const { store, other, renewals } = await counted();
    let now = Date.now();
    await store.acquireLock({ owner: "a", runId: "r3", ttlSeconds: 1, now: () => now });
    const lease = new Lease({ store, runId: "r3", ttlSeconds: 1, since: now, now: () => now });
    // The lock expired (by the other run's clock) and another run took it.
    await other().acquireLock({ owner: "b", runId: "thief", ttlSeconds: 60, now: () => now + 2_000 });
    now += 600;
    await expect(lease.fence()).rejects.toBeInstanceOf(LockLostError);
    expect(lease.lost).toBe(true);
    expect(renewals()).toBe(1);
    now -= 600; // even a fence that would have been local now fails
    await expect(lease.fence()).rejects.toBeInstanceOf(LockLostError);
    expect(renewals()).toBe(1);
    expect((await store.getLock())?.run_id).toBe("thief");
  });

  it("a renewal that fails for another reason stops that write but does not mark the lock lost", async () => {
    let fail = true;
    const store = {
      renewLock: async () => {
        if (fail) throw new Error("DynamoDB unreachable");
      },
    };
    let now = 0;
    const lease = new Lease({ store, runId: "r4", ttlSeconds: 1, since: now, now: () => now });
    now = 700;
    await expect(lease.fence()).rejects.toThrow("DynamoDB unreachable");
    expect(lease.lost).toBe(false);
    fail = false;
    await lease.fence();
    expect(lease.valid()).toBe(true);
  });
});
