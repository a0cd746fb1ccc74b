// The append-only audit log: one hash-chained sequence ("chain") in the audit table, and its head
// (stream "head", seq 0: { last_seq, last_hash, updated_at }) in a partition of its own.
//
// An append reads the head (GetItem; skipped when this store moved the head itself last), puts row head+1 with attribute_not_exists (PutItem), then moves the
// head over it conditionally on last_seq (UpdateItem). When row head+1 already exists and chains from the
// head, another writer (or an append interrupted between its row and its head) got there: the head is moved
// over that row and the append retried. So an interrupted append heals on the next one.

import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  BatchWriteCommand,
  type BatchWriteCommandInput,
  GetCommand,
  PutCommand,
  paginateQuery,
  QueryCommand,
  UpdateCommand,
} from "@aws-sdk/lib-dynamodb";
import { UserError } from "../errors.js";
import type { AuditRecord } from "../model/record.js";
import {
  AUDIT_STREAM,
  auditHash,
  chainsFrom,
  GENESIS_HASH,
  HEAD_STREAM,
  malformation,
  parseHead,
  successorProblem,
  verifyChain,
} from "./chain.js";
import { attempt, conditionalWrite, type StoreContext } from "./client.js";
import type { AuditEntry, AuditHead, AuditHeadRepair, AuditVerification } from "./types.js";

export { AUDIT_STREAM, auditHash, GENESIS_HASH, HEAD_STREAM, verifyChain } from "./chain.js";
export const MAX_APPEND_ATTEMPTS = 25;
/** Give up after finding a row that does not chain from the head this many times in a row. */
const BLOCKED_ATTEMPTS = 3;
/** How many rows findAudit looks through, newest first, unless told otherwise. */
export const FIND_AUDIT_MAX_ROWS = 2000;
/** repairAuditHead moves the head over at most this many rows in one call. */
const MAX_REPAIR_ROWS = 1000;

const HEAD_KEY = { stream: HEAD_STREAM, seq: 0 };

const CHAIN_KEY = {
  KeyConditionExpression: "#s = :s",
  ExpressionAttributeNames: { "#s": "stream" } as Record<string, string>,
  ExpressionAttributeValues: { ":s": AUDIT_STREAM } as Record<string, unknown>,
};

/** A head to append after: as stored, or (stored false) derived from the chain when no head item exists. */
interface HeadState {
  seq: number;
  hash: string;
  stored: boolean;
}

async function readLast(ctx: StoreContext): Promise<AuditRecord | undefined> {
  const table = ctx.tables.audit;
  const out = await attempt(ctx, "Query", table, () =>
    ctx.doc.send(
      new QueryCommand({
        TableName: table,
        ...CHAIN_KEY,
        ScanIndexForward: false,
        Limit: 1,
        ConsistentRead: true,
      }),
    ),
  );
  return out.Items?.[0] as AuditRecord | undefined;
}

async function getItem(ctx: StoreContext, key: Record<string, unknown>): Promise<unknown> {
  const table = ctx.tables.audit;
  const out = await attempt(ctx, "GetItem", table, () =>
    ctx.doc.send(new GetCommand({ TableName: table, Key: key, ConsistentRead: true })),
  );
  return out.Item;
}

function getRow(ctx: StoreContext, seq: number): Promise<unknown> {
  return getItem(ctx, { stream: AUDIT_STREAM, seq });
}

async function readStoredHead(ctx: StoreContext): Promise<AuditHead | undefined> {
  const parsed = parseHead(await getItem(ctx, HEAD_KEY));
  if (typeof parsed === "string") {
    throw new UserError(`The audit log in ${ctx.tables.audit} is damaged: ${parsed}.`, {
      hint: "Run `upg audit verify` to see the state of the chain.",
    });
  }
  return parsed;
}

/** The stored head; without one, the last row of a chain written before heads existed, or genesis. */
async function currentHead(ctx: StoreContext): Promise<HeadState> {
  const head = await readStoredHead(ctx);
  if (head) return { seq: head.seq, hash: head.hash, stored: true };
  const last = await readLast(ctx);
  return last
    ? { seq: last.seq, hash: last.hash, stored: false }
    : { seq: 0, hash: GENESIS_HASH, stored: false };
}

/** Conditional on the head still being `from` (or still absent); false when someone moved it first. */
function moveHead(
  ctx: StoreContext,
  from: HeadState,
  to: { seq: number; hash: string },
  rows?: readonly AuditRecord[],
): Promise<boolean> {
  const table = ctx.tables.audit;
  const update = new UpdateCommand({
    TableName: table,
    Key: HEAD_KEY,
    UpdateExpression: rows
      ? "SET #ls = :n, #lh = :h, #u = :t, #p = :rows"
      : "SET #ls = :n, #lh = :h, #u = :t REMOVE #p",
    ConditionExpression: from.stored ? "#ls = :prev" : "attribute_not_exists(#s)",
    ExpressionAttributeNames: {
      "#ls": "last_seq",
      "#lh": "last_hash",
      "#u": "updated_at",
      "#p": "pending_rows",
      ...(from.stored ? {} : { "#s": "stream" }),
    },
    ExpressionAttributeValues: {
      ":n": to.seq,
      ":h": to.hash,
      ":t": new Date().toISOString(),
      ...(rows ? { ":rows": rows } : {}),
      ...(from.stored ? { ":prev": from.seq } : {}),
    },
  });
  return conditionalWrite(ctx, "UpdateItem", table, () => ctx.doc.send(update));
}

function seal(entry: AuditEntry, head: { seq: number; hash: string }): AuditRecord {
  const unsealed = { ...entry, stream: AUDIT_STREAM, seq: head.seq + 1, prev_hash: head.hash };
  return { ...unsealed, hash: auditHash(unsealed) };
}

/** Plain JSON data only, so that what is hashed is exactly what DynamoDB gives back. */
function normalise(entry: AuditEntry): AuditEntry {
  return JSON.parse(JSON.stringify(entry)) as AuditEntry;
}

/** At most this many rows per head move: one BatchWriteItem call takes 25 items. */
export const MAX_BATCH_ROWS = 25;
/** The rows a head move carries stay well under DynamoDB's 400 KB item limit. */
const MAX_BATCH_BYTES = 256 * 1024;

/** Writes rows whose seqs the head already covers (their content is in the head's pending_rows). */
async function writeRows(ctx: StoreContext, rows: readonly AuditRecord[]): Promise<void> {
  const table = ctx.tables.audit;
  if (rows.length === 1) {
    await attempt(ctx, "PutItem", table, () =>
      ctx.doc.send(new PutCommand({ TableName: table, Item: rows[0] })),
    );
    return;
  }
  let items: NonNullable<BatchWriteCommandInput["RequestItems"]>[string] = rows.map((r) => ({
    PutRequest: { Item: r },
  }));
  for (let i = 0; items.length > 0; i++) {
    const request = new BatchWriteCommand({ RequestItems: { [table]: items } });
    const out = await attempt(ctx, "BatchWriteItem", table, () => ctx.doc.send(request));
    items = out.UnprocessedItems?.[table] ?? [];
    if (items.length > 0) await sleep(Math.min(1000, 10 * 2 ** i));
  }
}

/** The head item's pending_rows, when they are well-formed rows that end at the head. */
function pendingRows(item: unknown, head: AuditHead): AuditRecord[] {
  const rows = (item as { pending_rows?: unknown } | undefined)?.pending_rows;
  if (!Array.isArray(rows) || rows.length === 0) return [];
  const last = rows.at(-1) as AuditRecord;
  if (last?.seq !== head.seq || last.hash !== head.hash) return [];
  return rows.filter((r) => malformation(r) === undefined && r.hash === auditHash(r)) as AuditRecord[];
}

/**
 * The head to append after, read afresh (or derived from the chain when there is no head item). Rows a batch
 * claimed but did not write (a stop between its head move and its rows) are written first, from the head
 * item's own copy.
 */
async function freshHead(ctx: StoreContext): Promise<HeadState> {
  const item = await getItem(ctx, HEAD_KEY);
  const parsed = parseHead(item);
  if (typeof parsed === "string") {
    throw new UserError(`The audit log in ${ctx.tables.audit} is damaged: ${parsed}.`, {
      hint: "Run `upg audit verify` to see the state of the chain.",
    });
  }
  if (!parsed) return currentHead(ctx);
  const owed = pendingRows(item, parsed);
  if (owed.length > 0) await writeRows(ctx, owed);
  return { seq: parsed.seq, hash: parsed.hash, stored: true };
}

function blockedError(table: string, reason: string): UserError {
  return new UserError(
    `Could not append to the audit log in ${table}: the row after the chain head does not chain from it (${reason}).`,
    { hint: "The audit log was changed outside upg. Run `upg audit verify` to see where." },
  );
}

function busyError(table: string): UserError {
  return new UserError(
    `Could not append to the audit log in ${table}: other runs took the next sequence number ${MAX_APPEND_ATTEMPTS} times.`,
    { hint: "Another upg run is writing heavily; retry when it has finished." },
  );
}

/**
 * After a row-first append could not move the head over its row: whether the row stands. It does unless a
 * batch claimed its seq (the head's pending_rows name that seq), or the row there is no longer ours (a batch
 * that claimed it wrote its own row over it).
 */
async function rowStands(ctx: StoreContext, record: AuditRecord): Promise<boolean> {
  const item = await getItem(ctx, HEAD_KEY);
  const claimed = (item as { pending_rows?: Array<{ seq?: unknown }> } | undefined)?.pending_rows;
  if (Array.isArray(claimed) && claimed.some((r) => r?.seq === record.seq)) return false;
  const row = (await getRow(ctx, record.seq)) as { hash?: unknown } | undefined;
  return row?.hash === record.hash;
}

/**
 * One row, written before the head (PutItem with attribute_not_exists, then the conditional head move). A
 * row already at head+1 is another writer's (or one an interrupted append left): the head is moved over it
 * when it chains from the head, and the append retried.
 */
export function appendAudit(ctx: StoreContext, entry: AuditEntry): Promise<AuditRecord> {
  return serialized(ctx, () => appendOne(ctx, entry));
}

/**
 * Runs appends through one store one after another, in the order they were asked for. The chain is safe
 * either way (every append is conditional on the head), but callers of one store racing each other would
 * only make one another retry.
 */
function serialized<T>(ctx: StoreContext, work: () => Promise<T>): Promise<T> {
  const run = (ctx.auditTail ?? Promise.resolve()).then(work, work);
  const tail = run.catch(() => undefined);
  ctx.auditTail = tail;
  void tail.then(() => {
    if (ctx.auditTail === tail) ctx.auditTail = undefined;
  });
  return run;
}

async function appendOne(ctx: StoreContext, entry: AuditEntry): Promise<AuditRecord> {
  const table = ctx.tables.audit;
  const plain = normalise(entry);
  let blocked: string | undefined;
  let blockedStreak = 0;
  for (let i = 0; i < MAX_APPEND_ATTEMPTS && blockedStreak < BLOCKED_ATTEMPTS; i++) {
    // The head this store moved last, if it did: one GetItem fewer per append. A stale one (another writer
    // appended since) fails the conditional put below, and the loop reads the head afresh.
    const head: HeadState = ctx.auditHead ? { ...ctx.auditHead, stored: true } : await freshHead(ctx);
    ctx.auditHead = undefined;
    const record = seal(plain, head);
    const put = new PutCommand({
      TableName: table,
      Item: record,
      ConditionExpression: "attribute_not_exists(#seq)",
      ExpressionAttributeNames: { "#seq": "seq" },
    });
    if (await conditionalWrite(ctx, "PutItem", table, () => ctx.doc.send(put))) {
      if (await moveHead(ctx, head, record).catch(() => false)) {
        ctx.auditHead = { seq: record.seq, hash: record.hash };
        return record;
      }
      // The head moved meanwhile: over this row (another writer completing it, as below), or past it by a
      // batch that claimed this seq. Only in the first case is the append done.
      if (await rowStands(ctx, record)) return record;
      await sleep(randomInt(0, 5 + 2 * i));
      continue;
    }
    const taken = await getRow(ctx, head.seq + 1);
    if (taken !== undefined && chainsFrom(taken, head)) {
      // Another writer's row, or one an interrupted append left: complete its head move, then retry.
      await moveHead(ctx, head, taken);
      blocked = undefined;
      blockedStreak = 0;
      await sleep(randomInt(0, 5 + 2 * i));
      continue;
    }
    // No upg writer leaves a row after the head that does not chain from it: after a few looks, stop.
    blocked = taken === undefined ? undefined : successorProblem(taken, head).reason;
    blockedStreak = blocked === undefined ? 0 : blockedStreak + 1;
    await sleep(randomInt(5, 30 + 20 * Math.min(i, 10)));
  }
  if (blocked !== undefined) throw blockedError(table, blocked);
  throw busyError(table);
}

/**
 * Appends rows to the chain, in order, a batch of up to 25 (and 256 KB) at a time: the head moves first, in
 * one conditional UpdateItem (on last_seq) that claims seqs head+1..head+n and carries the rows themselves
 * (pending_rows); then the rows are written with one BatchWriteItem. Three calls per batch: a GetItem that
 * makes sure no row already sits after the head, the head move, the rows. So:
 *
 * - a batch never writes over another writer's row: BatchWriteItem has no conditions, so the seqs are claimed
 *   first, and only after the look at head+1. A row-first append (appendAudit) that slips its row in between
 *   that look and the claim finds that its head move failed and the seq claimed (rowStands), and retries;
 * - a stop between the head move and the rows loses nothing: the rows are in the head item, and the next
 *   append that reads the head (or repairAuditHead) writes them, with the same content, before it goes on;
 * - appenders race on the head's condition only; the loser reads the head again and seals afresh.
 */
export function appendAuditBatch(ctx: StoreContext, entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
  return serialized(ctx, () => appendMany(ctx, entries));
}

async function appendMany(ctx: StoreContext, entries: readonly AuditEntry[]): Promise<AuditRecord[]> {
  if (entries.length === 1) return [await appendOne(ctx, entries[0]!)];
  const table = ctx.tables.audit;
  const written: AuditRecord[] = [];
  let rest = entries.map(normalise);
  let losses = 0;
  while (rest.length > 0) {
    const head: HeadState = ctx.auditHead ? { ...ctx.auditHead, stored: true } : await freshHead(ctx);
    ctx.auditHead = undefined;
    const next = await getRow(ctx, head.seq + 1);
    if (next !== undefined) {
      if (!chainsFrom(next, head)) throw blockedError(table, successorProblem(next, head).reason);
      await moveHead(ctx, head, next); // a row-first writer's row: complete it, then read the head again
      if (++losses >= MAX_APPEND_ATTEMPTS) throw busyError(table);
      continue;
    }
    const rows: AuditRecord[] = [];
    let bytes = 0;
    let at: { seq: number; hash: string } = head;
    for (const entry of rest) {
      if (rows.length === MAX_BATCH_ROWS) break;
      const row = seal(entry, at);
      const size = JSON.stringify(row).length;
      if (rows.length > 0 && bytes + size > MAX_BATCH_BYTES) break;
      rows.push(row);
      bytes += size;
      at = row;
    }
    if (!(await moveHead(ctx, head, at, rows))) {
      if (++losses >= MAX_APPEND_ATTEMPTS) throw busyError(table);
      await sleep(randomInt(0, 5 + 2 * Math.min(losses, 10)));
      continue;
    }
    // Claimed: the rows are durable in the head item from here on.
    await writeRows(ctx, rows);
    ctx.auditHead = { seq: at.seq, hash: at.hash };
    written.push(...rows);
    rest = rest.slice(rows.length);
  }
  return written;
}

/** The head as stored (consistent read); undefined when there is none yet. */
export async function auditHead(ctx: StoreContext): Promise<AuditHead | undefined> {
  return readStoredHead(ctx);
}

/**
 * Moves the head over the correctly chained rows an interrupted append left after it, creating the head
 * first when there is none. Meant to run under the apply lock, before any new append.
 */
export async function repairAuditHead(ctx: StoreContext): Promise<AuditHeadRepair> {
  const item = await getItem(ctx, HEAD_KEY);
  const stored = await readStoredHead(ctx);
  // Rows a batch claimed but did not write: written from the head's copy first.
  const owed = stored ? pendingRows(item, stored) : [];
  const missing: AuditRecord[] = [];
  for (const r of owed) if ((await getRow(ctx, r.seq)) === undefined) missing.push(r);
  if (missing.length > 0) await writeRows(ctx, missing);
  let state = await currentHead(ctx);
  let created = false;
  if (!state.stored) {
    created = await moveHead(ctx, state, state);
    state = await currentHead(ctx);
  }
  const moved: number[] = [];
  let blocked: AuditHeadRepair["blocked"];
  for (let n = 0; n < MAX_REPAIR_ROWS; n++) {
    const row = await getRow(ctx, state.seq + 1);
    if (row === undefined) break;
    if (!chainsFrom(row, state)) {
      blocked = successorProblem(row, state);
      break;
    }
    if (await moveHead(ctx, state, row)) {
      moved.push(row.seq);
      state = { seq: row.seq, hash: row.hash, stored: true };
    } else {
      state = await currentHead(ctx); // someone else moved it: go on from where it is now
    }
  }
  const head = (await readStoredHead(ctx)) ?? { seq: state.seq, hash: state.hash };
  const report: AuditHeadRepair = { before: stored ?? null, after: head, moved, created };
  if (missing.length > 0) report.written = missing.map((r) => r.seq);
  if (blocked) report.blocked = blocked;
  return report;
}

/** The row of one change of one run, newest first, looking through at most maxRows rows. */
export async function findAudit(
  ctx: StoreContext,
  runId: string,
  changeId: string,
  opts: { maxRows?: number } = {},
): Promise<AuditRecord | undefined> {
  const table = ctx.tables.audit;
  const maxRows = opts.maxRows ?? FIND_AUDIT_MAX_ROWS;
  if (maxRows <= 0) return undefined;
  const input = {
    TableName: table,
    ...CHAIN_KEY,
    FilterExpression: "#r = :r AND #c = :c",
    ExpressionAttributeNames: { ...CHAIN_KEY.ExpressionAttributeNames, "#r": "run_id", "#c": "change_id" },
    ExpressionAttributeValues: { ...CHAIN_KEY.ExpressionAttributeValues, ":r": runId, ":c": changeId },
    ConsistentRead: true,
    ScanIndexForward: false,
  };
  return attempt(ctx, "Query", table, async () => {
    let seen = 0;
    const pageSize = Math.min(maxRows, 200);
    for await (const page of paginateQuery({ client: ctx.doc, pageSize }, { ...input, Limit: pageSize })) {
      const hit = page.Items?.[0];
      if (hit) return hit as AuditRecord;
      seen += page.ScannedCount ?? pageSize;
      if (seen >= maxRows) return undefined;
    }
    return undefined;
  });
}

interface ChainQuery {
  planId?: string;
  /** Stop after this many matching rows (reading newest first). */
  latest?: number;
}

async function readChain(ctx: StoreContext, q: ChainQuery): Promise<AuditRecord[]> {
  const table = ctx.tables.audit;
  const filter =
    q.planId === undefined
      ? {}
      : {
          FilterExpression: "#p = :p",
          ExpressionAttributeNames: { ...CHAIN_KEY.ExpressionAttributeNames, "#p": "plan_id" },
          ExpressionAttributeValues: { ...CHAIN_KEY.ExpressionAttributeValues, ":p": q.planId },
        };
  const input = {
    TableName: table,
    ...CHAIN_KEY,
    ...filter,
    ConsistentRead: true,
    ScanIndexForward: q.latest === undefined,
  };
  const rows: AuditRecord[] = [];
  await attempt(ctx, "Query", table, async () => {
    for await (const page of paginateQuery({ client: ctx.doc }, input)) {
      rows.push(...((page.Items ?? []) as AuditRecord[]));
      if (q.latest !== undefined && rows.length >= q.latest) break;
    }
  });
  return q.latest === undefined ? rows : rows.slice(0, q.latest).reverse();
}

export async function listAudit(
  ctx: StoreContext,
  opts: { planId?: string; limit?: number } = {},
): Promise<AuditRecord[]> {
  if (opts.limit !== undefined && opts.limit <= 0) return [];
  const q: ChainQuery = {};
  if (opts.planId !== undefined) q.planId = opts.planId;
  if (opts.limit !== undefined) q.latest = opts.limit;
  return readChain(ctx, q);
}

/**
 * Reads the head, then the whole chain, and checks them with verifyChain. When rows past the head show up,
 * the head is read again: an append that finished meanwhile moved it (the head only moves forward).
 */
export async function verifyAudit(ctx: StoreContext): Promise<AuditVerification> {
  let headItem = await getItem(ctx, HEAD_KEY);
  const rows: unknown[] = await readChain(ctx, {});
  const last = rows.at(-1) as { seq?: unknown } | undefined;
  let head = parseHead(headItem);
  if (
    typeof last?.seq === "number" &&
    (head === undefined || (typeof head === "object" && last.seq > head.seq))
  ) {
    headItem = await getItem(ctx, HEAD_KEY);
    head = parseHead(headItem);
  }
  // Rows a batch claimed and carries in the head but has not written yet (or a stop left unwritten) are part
  // of the chain: the next append writes them as they are.
  if (typeof head === "object") {
    const lastSeq = typeof last?.seq === "number" ? last.seq : 0;
    rows.push(...pendingRows(headItem, head).filter((r) => r.seq > lastSeq));
  }
  return verifyChain(rows, headItem);
}
