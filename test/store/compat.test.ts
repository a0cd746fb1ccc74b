import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { type Sandbox, sampleRecord, startSandbox } from "./helpers.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.stop());

describe("records written by other tools", () => {
  it("an item in the original system's schema reads with upg's fields filled, and can be taken over", async () => {
    const { store, tables } = await sandbox.initialisedStore();
    await sandbox.raw().send(
      new PutCommand({
        TableName: tables.metadata,
        Item: {
          plan_id: "premium-weather",
          name: "Premium Weather API",
          tier: "Premium",
          rate_limit: 200,
          lifecycle_state: "Active",
          deleted: false,
        },
      }),
    );
    const rec = await store.getRecord("premium-weather");
    expect(rec).toMatchObject({
      plan_id: "premium-weather",
      rate_limit: 200,
      stages: [],
      keys: [],
      keys_declared: false,
      lineage: [],
      version: 0,
    });
    expect((await store.listRecords())[0]).toEqual(rec);
    const written = await store.putRecord(sampleRecord("premium-weather"), 0);
    expect(written.version).toBe(1);
  });
});

describe("lock renewal", () => {
  it("extends our own lock and fails clearly once another run holds it", async () => {
    const { store } = await sandbox.initialisedStore();
    const lock = await store.acquireLock({ owner: "a", runId: "r1", ttlSeconds: 1 });
    await store.renewLock("r1", 600);
    const renewed = await store.getLock();
    expect(renewed!.expires_at).toBeGreaterThan(lock.expires_at + 500_000);
    await store.forceUnlock("test", "ops");
    await store.acquireLock({ owner: "b", runId: "r2", ttlSeconds: 600 });
    const err = await store.renewLock("r1", 600).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain("no longer holds the apply lock");
    expect((await store.getLock())!.run_id).toBe("r2");
  });
});
