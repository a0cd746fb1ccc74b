// The append-only audit log: one hash-chained sequence ("chain") in the audit table.
// Appends take the next seq with a conditional put and retry when another writer got there first.

import { randomInt } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { PutCommand, paginateQuery, QueryCommand } from "@aws-sdk/lib-dynamodb";
import { UserError } from "../errors.js";
import type { AuditRecord } from "../model/record.js";
import { canonicalJson, sha256Hex } from "./canonical.js";
import { attempt, conditionalWrite, type StoreContext } from "./client.js";
import type { AuditEntry, AuditProblem, AuditVerification } from "./types.js";

export const AUDIT_STREAM = "chain";
/** prev_hash of the first row. */
export const GENESIS_HASH = "0".repeat(64);
export const MAX_APPEND_ATTEMPTS = 10;

/** sha256 over the canonical JSON of every field except `hash` (entry fields, stream, seq, prev_hash). */
export function auditHash(record: Omit<AuditRecord, "hash"> & { hash?: string }): string {
  const { hash: _ignored, ...content } = record;
  return sha256Hex(canonicalJson(content));
}

const CHAIN_KEY = {
  KeyConditionExpression: "#s = :s",
  ExpressionAttributeNames: { "#s": "stream" } as Record<string, string>,
  ExpressionAttributeValues: { ":s": AUDIT_STREAM } as Record<string, unknown>,
};

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

function seal(entry: AuditEntry, last: AuditRecord | undefined): AuditRecord {
  const unsealed = {
    ...entry,
    stream: AUDIT_STREAM,
    seq: last ? last.seq + 1 : 1,
    prev_hash: last ? last.hash : GENESIS_HASH,
  };
  return { ...unsealed, hash: auditHash(unsealed) };
}

/** Plain JSON data only, so that what is hashed is exactly what DynamoDB gives back. */
function normalise(entry: AuditEntry): AuditEntry {
  return JSON.parse(JSON.stringify(entry)) as AuditEntry;
}

export async function appendAudit(ctx: StoreContext, entry: AuditEntry): Promise<AuditRecord> {
  const table = ctx.tables.audit;
  const plain = normalise(entry);
  for (let i = 0; i < MAX_APPEND_ATTEMPTS; i++) {
    const record = seal(plain, await readLast(ctx));
    const put = new PutCommand({
      TableName: table,
      Item: record,
      ConditionExpression: "attribute_not_exists(#seq)",
      ExpressionAttributeNames: { "#seq": "seq" },
    });
    if (await conditionalWrite(ctx, "PutItem", table, () => ctx.doc.send(put))) return record;
    await sleep(randomInt(5, 30 + 20 * i));
  }
  throw new UserError(
    `Could not append to the audit log in ${table}: other runs took the next sequence number ${MAX_APPEND_ATTEMPTS} times.`,
    { hint: "Another upg run is writing heavily; retry when it has finished." },
  );
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

function rowProblems(row: AuditRecord, prev: AuditRecord | undefined): AuditProblem[] {
  const problems: AuditProblem[] = [];
  const expectedSeq = prev ? prev.seq + 1 : 1;
  if (row.seq !== expectedSeq) {
    const missing = row.seq - 1 === expectedSeq ? `${expectedSeq}` : `${expectedSeq}–${row.seq - 1}`;
    problems.push({ seq: row.seq, reason: `gap: seq ${missing} missing before seq ${row.seq}` });
  } else if (row.prev_hash !== (prev ? prev.hash : GENESIS_HASH)) {
    const of = prev ? `the hash of seq ${prev.seq}` : "the genesis hash";
    problems.push({ seq: row.seq, reason: `prev_hash does not match ${of}` });
  }
  if (row.hash !== auditHash(row)) {
    problems.push({ seq: row.seq, reason: "hash does not match the row's content (the row was changed)" });
  }
  return problems;
}

/**
 * Walks the chain in seq order. A row after a gap is only reported for the gap (its prev_hash
 * necessarily points at the missing row). Removing the newest rows cannot be detected from the chain alone.
 */
export async function verifyAudit(ctx: StoreContext): Promise<AuditVerification> {
  const rows = await readChain(ctx, {});
  const problems = rows.flatMap((row, i) => rowProblems(row, i === 0 ? undefined : rows[i - 1]));
  return { ok: problems.length === 0, count: rows.length, problems };
}
