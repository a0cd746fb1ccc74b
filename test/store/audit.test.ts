import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/model/record.js";
import { AUDIT_STREAM, auditHash, GENESIS_HASH, type Store, type TableNames } from "../../src/store/index.js";
import { type Sandbox, sampleEntry, startSandbox } from "./helpers.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.stop());

async function withChain(n: number): Promise<{ store: Store; tables: TableNames; rows: AuditRecord[] }> {
  const { store, tables } = await sandbox.initialisedStore();
  const rows: AuditRecord[] = [];
  for (let i = 1; i <= n; i++)
    rows.push(await store.appendAudit(sampleEntry(i % 2 === 0 ? "even" : "odd", i)));
  return { store, tables, rows };
}

function expectLinked(rows: AuditRecord[]): void {
  rows.forEach((row, i) => {
    expect(row.seq).toBe(i + 1);
    expect(row.prev_hash).toBe(i === 0 ? GENESIS_HASH : rows[i - 1]?.hash);
    expect(row.hash).toBe(auditHash(row));
  });
}

describe("audit chain", () => {
  it("appends hash-linked rows from seq 1 and verifies them", async () => {
    const { store, rows } = await withChain(3);
    expect(rows[0]?.prev_hash).toBe("0".repeat(64));
    expect(rows.every((r) => r.stream === AUDIT_STREAM && /^[0-9a-f]{64}$/.test(r.hash))).toBe(true);
    expectLinked(rows);
    expect(await store.listAudit()).toEqual(rows);
    expect(await store.verifyAudit()).toEqual({
      ok: true,
      count: 3,
      problems: [],
      head: { seq: 3, hash: rows[2]!.hash, updated_at: expect.any(String) },
    });
  });

  it("lists by plan and returns the latest entries for a limit, in seq order", async () => {
    const { store } = await withChain(7);
    expect((await store.listAudit({ planId: "even" })).map((r) => r.seq)).toEqual([2, 4, 6]);
    expect((await store.listAudit({ limit: 3 })).map((r) => r.seq)).toEqual([5, 6, 7]);
    expect((await store.listAudit({ planId: "odd", limit: 2 })).map((r) => r.seq)).toEqual([5, 7]);
    expect(await store.listAudit({ limit: 0 })).toEqual([]);
  });

  it("stores plain JSON so odd inputs (dates, undefined members) still verify", async () => {
    const { store } = await sandbox.initialisedStore();
    const row = await store.appendAudit({
      ...sampleEntry("p", 1),
      error: undefined,
      after: { when: new Date("2026-01-01T00:00:00Z"), list: [1, undefined, 3], gone: undefined },
    });
    expect(row.after).toEqual({ when: "2026-01-01T00:00:00.000Z", list: [1, null, 3] });
    expect(await store.listAudit()).toEqual([row]);
    expect((await store.verifyAudit()).ok).toBe(true);
  });

  it("reports the seq of a row whose content was changed behind upg's back", async () => {
    const { store, tables } = await withChain(4);
    const raw = sandbox.raw();
    const key = { stream: AUDIT_STREAM, seq: 2 };
    const item = (await raw.send(new GetCommand({ TableName: tables.audit, Key: key }))).Item;
    await raw.send(
      new PutCommand({ TableName: tables.audit, Item: { ...item, after: { rate_limit: 100000 } } }),
    );

    const result = await store.verifyAudit();
    expect(result.ok).toBe(false);
    expect(result.count).toBe(4);
    expect(result.problems).toEqual([
      { seq: 2, kind: "edited", reason: expect.stringMatching(/hash does not match/) },
    ]);
  });

  it("reports a gap when a row was deleted", async () => {
    const { store, tables } = await withChain(4);
    await sandbox
      .raw()
      .send(new DeleteCommand({ TableName: tables.audit, Key: { stream: AUDIT_STREAM, seq: 2 } }));

    const result = await store.verifyAudit();
    expect(result.ok).toBe(false);
    expect(result.count).toBe(3);
    expect(result.problems).toEqual([{ seq: 3, kind: "gap", reason: "gap: seq 2 missing before seq 3" }]);
  });

  it("reports a re-hashed row whose prev_hash no longer links to its predecessor", async () => {
    const { store, tables, rows } = await withChain(3);
    const forged = { ...rows[2], prev_hash: "f".repeat(64) } as AuditRecord;
    forged.hash = auditHash(forged);
    await sandbox.raw().send(new PutCommand({ TableName: tables.audit, Item: forged }));

    expect((await store.verifyAudit()).problems).toEqual([
      { seq: 3, kind: "unlinked", reason: "prev_hash does not match the hash of seq 2" },
      {
        seq: 3,
        kind: "head_mismatch",
        reason: "the chain head's hash is not the hash of seq 3 (the row or the head was changed)",
      },
    ]);
  });

  it("gives concurrent appends distinct consecutive seq numbers and a valid chain", async () => {
    const { store } = await sandbox.initialisedStore();
    const appended = await Promise.all(
      Array.from({ length: 10 }, (_, i) => store.appendAudit(sampleEntry("p", i))),
    );
    expect(appended.map((r) => r.seq).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const rows = await store.listAudit();
    expectLinked(rows);
    expect(rows.map((r) => r.change_id).sort()).toEqual(appended.map((r) => r.change_id).sort());
    expect(await store.verifyAudit()).toMatchObject({ ok: true, count: 10, problems: [] });
    expect(await store.auditHead()).toMatchObject({ seq: 10, hash: rows[9]!.hash });
  });
});
