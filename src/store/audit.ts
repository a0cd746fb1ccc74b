// The append-only audit log: one hash-chained sequence ("chain") in the audit table, and its head
// (stream "head", seq 0: { last_seq, last_hash, updated_at }) in a partition of its own.
//
// An append reads the head (GetItem; skipped when this store moved the head itself last), puts row head+1 with attribute_not_exists (PutItem), then moves the
// head over it conditionally on last_seq (UpdateItem). When row head+1 already exists and chains from the
// head, another writer (or an append interrupted between its row and its head) got there: the head is moved
// over that row and the append retried. So an interrupted append heals on the next one.

import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { GetCommand, PutCommand, paginateQuery, QueryCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { UserError } from "../errors.js";
import type { AuditRecord } from "../model/record.js";
import {
  AUDIT_STREAM,
  auditHash,
  chainsFrom,
  GENESIS_HASH,
  HEAD_STREAM,
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
function moveHead(ctx: StoreContext, from: HeadState, to: { seq: number; hash: string }): Promise<boolean> {
  const table = ctx.tables.audit;
  const update = new UpdateCommand({
    TableName: table,
    Key: HEAD_KEY,
    UpdateExpression: "SET #ls = :n, #lh = :h, #u = :t",
    ConditionExpression: from.stored ? "#ls = :prev" : "attribute_not_exists(#s)",
    ExpressionAttributeNames: {
      "#ls": "last_seq",
      "#lh": "last_hash",
      "#u": "updated_at",
      ...(from.stored ? {} : { "#s": "stream" }),
    },
    ExpressionAttributeValues: {
      ":n": to.seq,
      ":h": to.hash,
      ":t": new Date().toISOString(),
      ...(from.stored ? { ":prev": from.seq } : {}),
    },
  });
  return conditionalWrite(ctx, "UpdateItem", table, () => ctx.doc.send(update));
}

function seal(entry: AuditEntry, head: HeadState): AuditRecord {
  const unsealed = { ...entry, stream: AUDIT_STREAM, seq: head.seq + 1, prev_hash: head.hash };
  return { ...unsealed, hash: auditHash(unsealed) };
}

/** Plain JSON data only, so that what is hashed is exactly what DynamoDB gives back. */
function normalise(entry: AuditEntry): AuditEntry {
  return JSON.parse(JSON.stringify(entry)) as AuditEntry;
}

export async function appendAudit(ctx: StoreContext, entry: AuditEntry): Promise<AuditRecord> {
  const table = ctx.tables.audit;
  const plain = normalise(entry);
  let blocked: string | undefined;
  let blockedStreak = 0;
  for (let i = 0; i < MAX_APPEND_ATTEMPTS && blockedStreak < BLOCKED_ATTEMPTS; i++) {
    // The head this store moved last, if it did: one GetItem fewer per append. A stale one (another writer
    // appended since) fails the conditional put below, and the loop reads the head afresh.
    const head: HeadState = ctx.auditHead ? { ...ctx.auditHead, stored: true } : await currentHead(ctx);
    ctx.auditHead = undefined;
    const record = seal(plain, head);
    const put = new PutCommand({
      TableName: table,
      Item: record,
      ConditionExpression: "attribute_not_exists(#seq)",
      ExpressionAttributeNames: { "#seq": "seq" },
    });
    if (await conditionalWrite(ctx, "PutItem", table, () => ctx.doc.send(put))) {
      // The row is the record of the change. If moving the head fails, the next append (or
      // repairAuditHead) moves it over this row; the append itself succeeded.
      if (await moveHead(ctx, head, record).catch(() => false)) {
        ctx.auditHead = { seq: record.seq, hash: record.hash };
      }
      return record;
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
  if (blocked !== undefined) {
    throw new UserError(
      `Could not append to the audit log in ${table}: the row after the chain head does not chain from it (${blocked}).`,
      { hint: "The audit log was changed outside upg. Run `upg audit verify` to see where." },
    );
  }
  throw new UserError(
    `Could not append to the audit log in ${table}: other runs took the next sequence number ${MAX_APPEND_ATTEMPTS} times.`,
    { hint: "Another upg run is writing heavily; retry when it has finished." },
  );
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
  const stored = await readStoredHead(ctx);
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
  const head = parseHead(headItem);
  if (
    typeof last?.seq === "number" &&
    (head === undefined || (typeof head === "object" && last.seq > head.seq))
  )
    headItem = await getItem(ctx, HEAD_KEY);
  return verifyChain(rows, headItem);
}
