// The chain head: moved with each append, healed after an interrupted append, and what `verify` finds
// when rows are edited, deleted, inserted or malformed behind upg's back (raw writes through the SDK).

import { createServer, request, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DeleteCommand, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/model/record.js";
import {
  AUDIT_STREAM,
  auditHash,
  GENESIS_HASH,
  HEAD_STREAM,
  type Store,
  type TableNames,
} from "../../src/store/index.js";
import { type Sandbox, sampleEntry, startSandbox, storeAt } from "./helpers.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.stop());

async function withChain(n: number): Promise<{ store: Store; tables: TableNames; rows: AuditRecord[] }> {
  const { store, tables } = await sandbox.initialisedStore();
  const rows: AuditRecord[] = [];
  for (let i = 1; i <= n; i++) rows.push(await store.appendAudit(sampleEntry(i % 2 ? "odd" : "even", i)));
  return { store, tables, rows };
}

/** A correctly sealed row after `prev` (what an append writes before it moves the head). */
function sealed(prev: { seq: number; hash: string }, n: number, overrides: Partial<AuditRecord> = {}) {
  const row = {
    ...sampleEntry("sneaky", n),
    stream: AUDIT_STREAM,
    seq: prev.seq + 1,
    prev_hash: prev.hash,
    ...overrides,
  } as AuditRecord;
  row.hash = auditHash(row);
  return row;
}

async function rawPut(tables: TableNames, item: object): Promise<void> {
  await sandbox.raw().send(new PutCommand({ TableName: tables.audit, Item: item }));
}

async function rawDelete(tables: TableNames, key: Record<string, unknown>): Promise<void> {
  await sandbox.raw().send(new DeleteCommand({ TableName: tables.audit, Key: key }));
}

async function rawHead(tables: TableNames): Promise<Record<string, unknown> | undefined> {
  const out = await sandbox
    .raw()
    .send(new GetCommand({ TableName: tables.audit, Key: { stream: HEAD_STREAM, seq: 0 } }));
  return out.Item;
}

describe("chain head", () => {
  it("is absent on a fresh log, then moves with each append to the new row's seq and hash", async () => {
    const { store, tables } = await sandbox.initialisedStore();
    expect(await store.auditHead()).toBeUndefined();
    const r1 = await store.appendAudit(sampleEntry("p", 1));
    expect(await store.auditHead()).toEqual({ seq: 1, hash: r1.hash, updated_at: expect.any(String) });
    const r2 = await store.appendAudit(sampleEntry("p", 2));
    expect(await store.auditHead()).toMatchObject({ seq: 2, hash: r2.hash });
    expect(r2.prev_hash).toBe(r1.hash);
    // Stored as its own partition, so listing the chain never sees it.
    expect(await rawHead(tables)).toMatchObject({ stream: "head", seq: 0, last_seq: 2, last_hash: r2.hash });
    expect((await store.listAudit()).map((r) => r.seq)).toEqual([1, 2]);
  });

  it("an append is one GetItem, one PutItem and one UpdateItem once the head exists", async () => {
    const { store, tables } = await sandbox.initialisedStore();
    await store.appendAudit(sampleEntry("p", 1));
    const proxy = await countingProxy(sandbox.endpoint);
    const counted = storeAt(proxy.endpoint, tables);
    try {
      await counted.appendAudit(sampleEntry("p", 2));
      expect(proxy.calls).toEqual(["GetItem", "PutItem", "UpdateItem"]);
    } finally {
      counted.destroy();
      await proxy.close();
    }
    expect(await store.verifyAudit()).toMatchObject({ ok: true, count: 2 });
  });

  it("an append interrupted between its row and the head is completed by the next append", async () => {
    const { store, tables, rows } = await withChain(3);
    const orphan = sealed(rows[2]!, 4);
    await rawPut(tables, orphan); // the row was written; the process died before moving the head

    const before = await store.verifyAudit();
    expect(before.ok).toBe(false);
    expect(before.problems).toEqual([
      {
        seq: 4,
        kind: "past_head",
        reason:
          "seq 4 past the chain head (seq 3): an interrupted append (the next apply completes it) or rows added outside upg",
      },
    ]);

    const next = await store.appendAudit(sampleEntry("p", 5));
    expect(next.seq).toBe(5);
    expect(next.prev_hash).toBe(orphan.hash);
    expect(await store.auditHead()).toMatchObject({ seq: 5, hash: next.hash });
    expect(await store.verifyAudit()).toMatchObject({ ok: true, count: 5, problems: [] });
  });

  it("repairAuditHead moves the head over correctly chained trailing rows, and says so", async () => {
    const { store, tables, rows } = await withChain(2);
    const r3 = sealed(rows[1]!, 3);
    const r4 = sealed(r3, 4);
    await rawPut(tables, r3);
    await rawPut(tables, r4);

    const report = await store.repairAuditHead();
    expect(report).toEqual({
      before: { seq: 2, hash: rows[1]!.hash, updated_at: expect.any(String) },
      after: { seq: 4, hash: r4.hash, updated_at: expect.any(String) },
      moved: [3, 4],
      created: false,
    });
    expect(await store.verifyAudit()).toMatchObject({ ok: true, count: 4 });
    // Nothing left to do: a second repair is a no-op.
    expect(await store.repairAuditHead()).toMatchObject({ moved: [], created: false, after: { seq: 4 } });
  });

  it("repairAuditHead never moves the head over a row that does not chain from it", async () => {
    const { store, tables, rows } = await withChain(2);
    await rawPut(tables, sealed({ seq: 2, hash: "e".repeat(64) }, 3));
    const report = await store.repairAuditHead();
    expect(report.moved).toEqual([]);
    expect(report.after).toMatchObject({ seq: 2, hash: rows[1]!.hash });
    expect(report.blocked).toEqual({
      seq: 3,
      kind: "unlinked",
      reason: "prev_hash does not match the hash of seq 2 (the chain head)",
    });
  });

  it("a log written before heads existed gets its head from its last row, on repair or on the next append", async () => {
    const { store, tables } = await sandbox.initialisedStore();
    const r1 = sealed({ seq: 0, hash: GENESIS_HASH }, 1);
    const r2 = sealed(r1, 2);
    await rawPut(tables, r1);
    await rawPut(tables, r2);
    expect(await store.auditHead()).toBeUndefined();
    const verified = await store.verifyAudit();
    expect(verified.ok).toBe(false);
    expect(verified.problems).toEqual([
      { seq: 2, kind: "no_head", reason: expect.stringMatching(/^no chain head item/) },
    ]);

    const r3 = await store.appendAudit(sampleEntry("p", 3));
    expect(r3).toMatchObject({ seq: 3, prev_hash: r2.hash });
    expect(await store.auditHead()).toMatchObject({ seq: 3, hash: r3.hash });
    expect((await store.verifyAudit()).ok).toBe(true);

    const other = await sandbox.initialisedStore();
    await rawPut(other.tables, r1);
    expect(await other.store.repairAuditHead()).toEqual({
      before: null,
      after: { seq: 1, hash: r1.hash, updated_at: expect.any(String) },
      moved: [],
      created: true,
    });
  });

  it("repairAuditHead on an empty log creates the genesis head", async () => {
    const { store } = await sandbox.initialisedStore();
    expect(await store.repairAuditHead()).toMatchObject({
      before: null,
      after: { seq: 0, hash: GENESIS_HASH },
      created: true,
    });
    expect(await store.verifyAudit()).toMatchObject({ ok: true, count: 0, head: { seq: 0 } });
    expect((await store.appendAudit(sampleEntry("p", 1))).seq).toBe(1);
  });

  it("an append refuses to chain after a row that does not chain from the head, pointing to verify", async () => {
    const { store, tables } = await withChain(1);
    await rawPut(tables, sealed({ seq: 1, hash: "e".repeat(64) }, 2));
    await expect(store.appendAudit(sampleEntry("p", 9))).rejects.toThrow(
      /row after the chain head does not chain from it \(prev_hash does not match/,
    );
  }, 30_000);
});

describe("audit verify finds tampering, naming the first bad row", () => {
  it("an edited row", async () => {
    const { store, tables, rows } = await withChain(5);
    await rawPut(tables, { ...rows[1], actor: "someone-else" });
    await rawPut(tables, { ...rows[3], outcome: "failed" });
    const v = await store.verifyAudit();
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toEqual({
      seq: 2,
      kind: "edited",
      reason: "hash does not match the row's content (the row was changed)",
    });
    expect(v.problems.map((p) => p.seq)).toEqual([2, 4]);
  });

  it("a deleted middle row", async () => {
    const { store, tables } = await withChain(5);
    await rawDelete(tables, { stream: AUDIT_STREAM, seq: 2 });
    await rawDelete(tables, { stream: AUDIT_STREAM, seq: 3 });
    const v = await store.verifyAudit();
    expect(v.problems).toEqual([{ seq: 4, kind: "gap", reason: "gap: seq 2–3 missing before seq 4" }]);
  });

  it("a deleted newest row: the head points past the last row", async () => {
    const { store, tables } = await withChain(4);
    await rawDelete(tables, { stream: AUDIT_STREAM, seq: 4 });
    const v = await store.verifyAudit();
    expect(v).toMatchObject({ ok: false, count: 3, head: { seq: 4 } });
    expect(v.problems).toEqual([
      {
        seq: 4,
        kind: "missing_newest",
        reason: "the chain head is at seq 4 but the last row is seq 3: seq 4 (the newest row) deleted",
      },
    ]);
  });

  it("an inserted row that does not fit its place", async () => {
    const { store, tables, rows } = await withChain(3);
    // Replaced seq 2 with a new, self-consistent row: its own hash is fine, but seq 3 no longer links to it.
    await rawPut(tables, sealed(rows[0]!, 2));
    const v = await store.verifyAudit();
    expect(v.problems).toEqual([
      { seq: 3, kind: "unlinked", reason: "prev_hash does not match the hash of seq 2" },
    ]);
  });

  it("an inserted row at the end, correctly chained, is past the head", async () => {
    const { store, tables, rows } = await withChain(3);
    await rawPut(tables, sealed(rows[2]!, 4));
    await rawPut(tables, sealed({ seq: 4, hash: "a".repeat(64) }, 5));
    const v = await store.verifyAudit();
    expect(v.problems[0]).toEqual({
      seq: 4,
      kind: "past_head",
      reason: "seq 4–5 past the chain head (seq 3), not chained correctly: rows added outside upg",
    });
    expect(v.problems).toContainEqual({
      seq: 5,
      kind: "unlinked",
      reason: "prev_hash does not match the hash of seq 4",
    });
  });

  it("a malformed row, without crashing", async () => {
    const { store, tables, rows } = await withChain(3);
    const { hash: _h, ...noHash } = rows[1]!;
    await rawPut(tables, { ...noHash, outcome: 42, actor: ["x"] });
    const v = await store.verifyAudit();
    expect(v.ok).toBe(false);
    expect(v.problems[0]).toEqual({
      seq: 2,
      kind: "malformed",
      reason:
        'malformed row: `hash` is missing; `actor` is a list, not a string; `outcome` is not "ok" or "failed"',
    });
  });

  it("a garbled head item, without crashing", async () => {
    const { store, tables } = await withChain(2);
    await rawPut(tables, { stream: HEAD_STREAM, seq: 0, last_seq: "two", last_hash: 7 });
    const v = await store.verifyAudit();
    expect(v.ok).toBe(false);
    expect(v.head).toBeNull();
    expect(v.problems[0]?.reason).toMatch(/the chain head item is malformed: `last_seq`/);
  });
});

describe("findAudit", () => {
  it("finds the row of one change of one run, newest first, within its bound", async () => {
    const { store } = await sandbox.initialisedStore();
    for (let i = 1; i <= 12; i++)
      await store.appendAudit({ ...sampleEntry("p", i), run_id: i <= 6 ? "run-a" : "run-b" });
    const hit = await store.findAudit("run-a", "change-3");
    expect(hit).toMatchObject({ seq: 3, run_id: "run-a", change_id: "change-3" });
    expect(await store.findAudit("run-b", "change-3")).toBeUndefined();
    expect(await store.findAudit("run-b", "change-12", { maxRows: 1 })).toMatchObject({ seq: 12 });
    // Bounded: seq 3 is the tenth row from the newest.
    expect(await store.findAudit("run-a", "change-3", { maxRows: 5 })).toBeUndefined();
    expect(await store.findAudit("run-a", "change-3", { maxRows: 10 })).toMatchObject({ seq: 3 });
  });
});

/** An HTTP proxy in front of dynalite that records each request's DynamoDB operation. */
async function countingProxy(
  target: string,
): Promise<{ endpoint: string; calls: string[]; close(): Promise<void> }> {
  const to = new URL(target);
  const calls: string[] = [];
  const srv: Server = createServer((req, res) => {
    const op = String(req.headers["x-amz-target"] ?? "").split(".")[1];
    if (op) calls.push(op);
    const fwd = request(
      { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(fwd);
  });
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", () => r()));
  const port = (srv.address() as AddressInfo).port;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    close: () =>
      new Promise<void>((r) => {
        srv.closeAllConnections();
        srv.close(() => r());
      }),
  };
}

describe("audit head kept in memory", () => {
  it("a store that moved the head itself appends with one PutItem and one UpdateItem (no GetItem)", async () => {
    const sb = await startSandbox();
    try {
      const { store } = await sb.initialisedStore();
      await store.appendAudit(sampleEntry("a", 1));
      const before = sb.calls();
      for (let i = 2; i <= 11; i++) await store.appendAudit(sampleEntry("a", i));
      const after = sb.calls();
      const delta = (op: string) => (after[op] ?? 0) - (before[op] ?? 0);
      expect([delta("GetItem"), delta("PutItem"), delta("UpdateItem"), delta("Query")]).toEqual([
        0, 10, 10, 0,
      ]);
      expect((await store.verifyAudit()).ok).toBe(true);
    } finally {
      await sb.stop();
    }
  });

  it("two stores appending in turn: a stale head is read afresh and the chain stays whole", async () => {
    const sb = await startSandbox();
    try {
      const { store: a, tables } = await sb.initialisedStore();
      const b = sb.store(tables);
      const rows: AuditRecord[] = [];
      for (let i = 1; i <= 6; i++) rows.push(await (i % 2 === 0 ? b : a).appendAudit(sampleEntry("x", i)));
      expect(rows.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5, 6]);
      rows.forEach((r, i) => {
        if (i > 0) expect(r.prev_hash).toBe(rows[i - 1]!.hash);
      });
      const v = await a.verifyAudit();
      expect(v.ok, JSON.stringify(v.problems)).toBe(true);
      expect(v.count).toBe(6);
    } finally {
      await sb.stop();
    }
  });
});
