// Batch appends: the head moves first and carries the rows, then one BatchWriteItem writes them. The chain
// stays whole when a batch stops between the two, and no writer's row is ever written over.

import { GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/model/record.js";
import {
  AUDIT_STREAM,
  type AuditEntry,
  auditHash,
  HEAD_STREAM,
  type TableNames,
} from "../../src/store/index.js";
import { type Sandbox, sampleEntry, startSandbox } from "./helpers.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.stop());

const entries = (from: number, n: number, plan = "p"): AuditEntry[] =>
  Array.from({ length: n }, (_, i) => sampleEntry(plan, from + i));

function delta(before: Record<string, number>): Record<string, number> {
  const now = sandbox.calls();
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(now)) if (v - (before[k] ?? 0) > 0) out[k] = v - (before[k] ?? 0);
  return out;
}

function sealAfter(prev: { seq: number; hash: string }, entry: AuditEntry): AuditRecord {
  const row = { ...entry, stream: AUDIT_STREAM, seq: prev.seq + 1, prev_hash: prev.hash } as AuditRecord;
  row.hash = auditHash(row);
  return row;
}

async function rawHead(tables: TableNames): Promise<Record<string, unknown> | undefined> {
  const out = await sandbox
    .raw()
    .send(new GetCommand({ TableName: tables.audit, Key: { stream: HEAD_STREAM, seq: 0 } }));
  return out.Item;
}

describe("batch appends", () => {
  it("write a chained run of rows: 25 rows are a GetItem, an UpdateItem and a BatchWriteItem", async () => {
    const { store } = await sandbox.initialisedStore();
    const first = await store.appendAudit(sampleEntry("p", 1));
    const before = sandbox.calls();
    const rows = await store.appendAuditBatch(entries(2, 25));
    expect(delta(before)).toEqual({ GetItem: 1, UpdateItem: 1, BatchWriteItem: 1 });
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: 25 }, (_, i) => i + 2));
    expect(rows[0]!.prev_hash).toBe(first.hash);
    const more = await store.appendAuditBatch(entries(27, 30));
    expect(more.map((r) => r.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 27));
    expect(await store.auditHead()).toMatchObject({ seq: 56, hash: more.at(-1)!.hash });
    const v = await store.verifyAudit();
    expect(v).toMatchObject({ ok: true, count: 56, problems: [] });
    expect((await store.listAudit()).map((r) => r.change_id)).toEqual(
      Array.from({ length: 56 }, (_, i) => `change-${i + 1}`),
    );
  });

  it("a batch stopped after its head move is whole: verify counts its rows, the next append writes them", async () => {
    const { store, tables } = await sandbox.initialisedStore();
    const r1 = await store.appendAudit(sampleEntry("p", 1));
    // What a batch leaves when it stops after claiming seqs 2–4 and before writing them.
    const r2 = sealAfter(r1, sampleEntry("p", 2));
    const r3 = sealAfter(r2, sampleEntry("p", 3));
    const r4 = sealAfter(r3, sampleEntry("p", 4));
    await sandbox.raw().send(
      new PutCommand({
        TableName: tables.audit,
        Item: { stream: HEAD_STREAM, seq: 0, last_seq: 4, last_hash: r4.hash, pending_rows: [r2, r3, r4] },
      }),
    );
    expect(await store.verifyAudit()).toMatchObject({ ok: true, count: 4, problems: [] });
    const other = sandbox.store(tables);
    const r5 = await other.appendAudit(sampleEntry("p", 5));
    expect(r5.seq).toBe(5);
    expect(r5.prev_hash).toBe(r4.hash);
    expect((await store.listAudit()).map((r) => r.hash)).toEqual([r1, r2, r3, r4, r5].map((r) => r.hash));
    expect(await store.verifyAudit()).toMatchObject({ ok: true, count: 5, problems: [] });
  });

  it("repairAuditHead writes the rows a stopped batch claimed, and says which", async () => {
    const { store, tables } = await sandbox.initialisedStore();
    const r1 = await store.appendAudit(sampleEntry("p", 1));
    const r2 = sealAfter(r1, sampleEntry("p", 2));
    const r3 = sealAfter(r2, sampleEntry("p", 3));
    await sandbox.raw().send(
      new PutCommand({
        TableName: tables.audit,
        Item: { stream: HEAD_STREAM, seq: 0, last_seq: 3, last_hash: r3.hash, pending_rows: [r2, r3] },
      }),
    );
    const report = await sandbox.store(tables).repairAuditHead();
    expect(report.written).toEqual([2, 3]);
    expect(report.after).toMatchObject({ seq: 3, hash: r3.hash });
    expect((await store.findAudit("run-1", "change-3"))?.hash).toBe(r3.hash);
    expect(await rawHead(tables)).toMatchObject({ last_seq: 3 });
  });

  it("never writes over a row after the head: completes one that chains, refuses one that does not", async () => {
    const { store, tables } = await sandbox.initialisedStore();
    const r1 = await store.appendAudit(sampleEntry("p", 1));
    const orphan = sealAfter(r1, sampleEntry("q", 2)); // a row-first append stopped before its head move
    await sandbox.raw().send(new PutCommand({ TableName: tables.audit, Item: orphan }));
    const rows = await store.appendAuditBatch(entries(3, 3));
    expect(rows.map((r) => r.seq)).toEqual([3, 4, 5]);
    expect(rows[0]!.prev_hash).toBe(orphan.hash);
    expect(await store.verifyAudit()).toMatchObject({ ok: true, count: 5 });

    const foreign = { ...sealAfter(rows[2]!, sampleEntry("x", 6)), prev_hash: "e".repeat(64) };
    foreign.hash = auditHash(foreign);
    await sandbox.raw().send(new PutCommand({ TableName: tables.audit, Item: foreign }));
    await expect(store.appendAuditBatch(entries(7, 2))).rejects.toThrow(
      /row after the chain head does not chain from it \(prev_hash does not match/,
    );
  });

  it("batches and single appends from several writers at once: every row written exactly once, chain whole", async () => {
    const { store, tables } = await sandbox.initialisedStore();
    const a = sandbox.store(tables);
    const b = sandbox.store(tables);
    const c = sandbox.store(tables);
    const batches = async (s: typeof a, plan: string) => {
      for (let i = 0; i < 6; i++) await s.appendAuditBatch(entries(i * 7, 7, plan));
    };
    const singles = async (s: typeof a, plan: string) => {
      for (let i = 0; i < 25; i++) await s.appendAudit(sampleEntry(plan, i));
    };
    await Promise.all([batches(a, "a"), batches(b, "b"), singles(c, "c")]);
    const v = await store.verifyAudit();
    expect(v).toMatchObject({ ok: true, count: 42 + 42 + 25, problems: [] });
    const rows = await store.listAudit();
    const ids = rows.map((r) => `${r.plan_id}/${r.change_id}`);
    expect(new Set(ids).size).toBe(ids.length);
    for (const plan of ["a", "b"]) {
      // Each writer's rows keep their order.
      const mine = rows.filter((r) => r.plan_id === plan).map((r) => r.change_id);
      expect(mine).toEqual(Array.from({ length: 42 }, (_, i) => `change-${i}`));
    }
    expect(rows.filter((r) => r.plan_id === "c")).toHaveLength(25);
  }, 30_000);
});
