import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { StaleRecordError } from "../../src/errors.js";
import { LOCK_ITEM_KEY, type Store } from "../../src/store/index.js";
import { type Sandbox, sampleRecord, startSandbox } from "./helpers.js";

let sandbox: Sandbox;
let store: Store;
beforeAll(async () => {
  sandbox = await startSandbox();
  ({ store } = await sandbox.initialisedStore());
});
afterAll(() => sandbox.stop());

describe("master records", () => {
  it("stores a new record at version 1 and reads it back with numbers as numbers", async () => {
    expect(await store.getRecord("alpha")).toBeUndefined();
    const stored = await store.putRecord(sampleRecord("alpha", { description: undefined }), 0);
    expect(stored.version).toBe(1);

    const read = await store.getRecord("alpha");
    expect(read).toEqual(stored);
    expect(read).not.toHaveProperty("description");
    expect(read?.rate_limit).toBe(12.5);
    expect(read?.stages[0]?.throttle?.["/weather/GET"]?.burstLimit).toBe(10);
  });

  it("updates from the version it read and refuses a stale or duplicate write", async () => {
    await store.putRecord(sampleRecord("beta"), 0);
    await expect(store.putRecord(sampleRecord("beta"), 0)).rejects.toBeInstanceOf(StaleRecordError);

    const v2 = await store.putRecord(sampleRecord("beta", { rate_limit: 50 }), 1);
    expect(v2.version).toBe(2);
    await expect(store.putRecord(sampleRecord("beta", { rate_limit: 99 }), 1)).rejects.toThrow(
      /beta changed since it was read \(expected version 1\)/,
    );
    expect((await store.getRecord("beta"))?.rate_limit).toBe(50);
  });

  it("lets exactly one of two writers from the same version win", async () => {
    await store.putRecord(sampleRecord("gamma"), 0);
    const results = await Promise.allSettled([
      store.putRecord(sampleRecord("gamma", { updated_by: "one" }), 1),
      store.putRecord(sampleRecord("gamma", { updated_by: "two" }), 1),
    ]);
    const won = results.filter((r) => r.status === "fulfilled");
    const lost = results.filter((r) => r.status === "rejected");
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(lost[0]?.status === "rejected" && lost[0].reason).toBeInstanceOf(StaleRecordError);
    const winner = won[0]?.status === "fulfilled" ? won[0].value : undefined;
    expect(await store.getRecord("gamma")).toEqual(winner);
  });

  it("refuses the reserved lock key as a plan_id", async () => {
    await expect(store.putRecord(sampleRecord(LOCK_ITEM_KEY), 0)).rejects.toThrow(/reserved/);
    expect(await store.getRecord(LOCK_ITEM_KEY)).toBeUndefined();
  });
});

describe("listRecords", () => {
  it("reads every page, skips the lock item and sorts by plan_id", async () => {
    const { store: s, tables: t } = await sandbox.initialisedStore();
    const raw = sandbox.raw();
    // ~40 KB each: 30 of them exceed one 1 MB scan page.
    const filler = "x".repeat(40_000);
    const ids = Array.from({ length: 30 }, (_, i) => `plan-${String((i * 7) % 30).padStart(2, "0")}`);
    for (const id of ids) {
      await raw.send(
        new PutCommand({ TableName: t.metadata, Item: { ...sampleRecord(id), description: filler } }),
      );
    }
    await s.acquireLock({ owner: "me", runId: "r1", ttlSeconds: 60 });

    const listed = await s.listRecords();
    expect(listed.map((r) => r.plan_id)).toEqual([...ids].sort());
    expect(listed.some((r) => r.plan_id === LOCK_ITEM_KEY)).toBe(false);
  });
});
