// The audit chain's pure rules: how a row is hashed, when a row is well-formed, when it chains from the
// head, and verifyChain, which checks a whole chain against its head. No I/O here.

import type { AuditRecord } from "../model/record.js";
import { canonicalJson, sha256Hex } from "./canonical.js";
import type { AuditHead, AuditProblem, AuditProblemKind, AuditVerification } from "./types.js";

/** Partition of the chain's rows. */
export const AUDIT_STREAM = "chain";
/** Partition of the chain head item (sort key 0). */
export const HEAD_STREAM = "head";
/** prev_hash of the first row. */
export const GENESIS_HASH = "0".repeat(64);

/** sha256 over the canonical JSON of every field except `hash` (entry fields, stream, seq, prev_hash). */
export function auditHash(record: Omit<AuditRecord, "hash"> & { hash?: string }): string {
  const { hash: _ignored, ...content } = record;
  return sha256Hex(canonicalJson(content));
}

const HASH = /^[0-9a-f]{64}$/;
const REQUIRED_TEXT = ["stream", "at", "actor", "run_id", "plan_id", "action", "change_id"] as const;
const OPTIONAL_TEXT = ["error", "api_gateway_id", "previous_api_gateway_id", "key_id"] as const;

function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "list";
  return typeof v;
}

/** Why a stored row is not a well-formed audit row, or undefined when it is one. Never throws. */
export function malformation(row: unknown): string | undefined {
  if (row === null || typeof row !== "object" || Array.isArray(row))
    return `malformed row: the row is a ${typeName(row)}`;
  const r = row as Record<string, unknown>;
  const bad: string[] = [];
  if (r.seq === undefined) bad.push("`seq` is missing");
  else if (typeof r.seq !== "number") bad.push(`\`seq\` is a ${typeName(r.seq)}, not a number`);
  else if (!Number.isSafeInteger(r.seq) || r.seq < 1) bad.push(`\`seq\` ${r.seq} is not a positive integer`);
  for (const f of ["hash", "prev_hash"] as const) {
    if (r[f] === undefined) bad.push(`\`${f}\` is missing`);
    else if (typeof r[f] !== "string" || !HASH.test(r[f])) bad.push(`\`${f}\` is not a sha256 hex digest`);
  }
  for (const f of REQUIRED_TEXT) {
    if (r[f] === undefined) bad.push(`\`${f}\` is missing`);
    else if (typeof r[f] !== "string") bad.push(`\`${f}\` is a ${typeName(r[f])}, not a string`);
  }
  if (r.outcome === undefined) bad.push("`outcome` is missing");
  else if (r.outcome !== "ok" && r.outcome !== "failed") bad.push('`outcome` is not "ok" or "failed"');
  for (const f of OPTIONAL_TEXT) {
    if (r[f] !== undefined && typeof r[f] !== "string")
      bad.push(`\`${f}\` is a ${typeName(r[f])}, not a string`);
  }
  return bad.length === 0 ? undefined : `malformed row: ${bad.join("; ")}`;
}

/** The head item as stored, parsed; undefined when absent; a string saying why when malformed. */
export function parseHead(item: unknown): AuditHead | string | undefined {
  if (item === undefined || item === null) return undefined;
  if (typeof item !== "object" || Array.isArray(item)) return `the chain head item is a ${typeName(item)}`;
  const h = item as Record<string, unknown>;
  const bad: string[] = [];
  if (typeof h.last_seq !== "number" || !Number.isSafeInteger(h.last_seq) || h.last_seq < 0)
    bad.push("`last_seq` is not a non-negative integer");
  if (typeof h.last_hash !== "string" || !HASH.test(h.last_hash))
    bad.push("`last_hash` is not a sha256 hex digest");
  if (bad.length > 0) return `the chain head item is malformed: ${bad.join("; ")}`;
  const head: AuditHead = { seq: h.last_seq as number, hash: h.last_hash as string };
  if (typeof h.updated_at === "string") head.updated_at = h.updated_at;
  return head;
}

/** True when `row` is the correctly sealed successor of `head` (what an interrupted append leaves). */
export function chainsFrom(row: unknown, head: { seq: number; hash: string }): row is AuditRecord {
  if (malformation(row) !== undefined) return false;
  const r = row as AuditRecord;
  return r.seq === head.seq + 1 && r.prev_hash === head.hash && r.hash === auditHash(r);
}

/** Why `row` is not the successor of `head` (for a row that does not chain from it). */
export function successorProblem(row: unknown, head: { seq: number; hash: string }): AuditProblem {
  const seq = head.seq + 1;
  const m = malformation(row);
  if (m !== undefined) return { seq, kind: "malformed", reason: m };
  const r = row as AuditRecord;
  if (r.hash !== auditHash(r))
    return { seq, kind: "edited", reason: "hash does not match the row's content (the row was changed)" };
  const of = head.seq === 0 ? "the genesis hash" : `the hash of seq ${head.seq} (the chain head)`;
  return { seq, kind: "unlinked", reason: `prev_hash does not match ${of}` };
}

function range(from: number, to: number): string {
  return from === to ? `seq ${from}` : `seq ${from}–${to}`;
}

interface Walked {
  problems: AuditProblem[];
  /** seq → stored hash (when the row has a usable hash). */
  hashes: Map<number, string | undefined>;
  lastSeq: number;
}

function walk(rows: readonly unknown[]): Walked {
  const problems: AuditProblem[] = [];
  const hashes = new Map<number, string | undefined>();
  const add = (seq: number, kind: AuditProblemKind, reason: string) => problems.push({ seq, kind, reason });
  let prev: { seq: number; hash: string | undefined } | undefined;
  for (const row of rows) {
    const expected = prev ? prev.seq + 1 : 1;
    const r = (row !== null && typeof row === "object" ? row : {}) as Record<string, unknown>;
    const seq = typeof r.seq === "number" && Number.isSafeInteger(r.seq) ? r.seq : expected;
    const hash = typeof r.hash === "string" ? r.hash : undefined;
    const m = malformation(row);
    if (m !== undefined) {
      add(seq, "malformed", m);
    } else if (seq > expected) {
      add(seq, "gap", `gap: ${range(expected, seq - 1)} missing before seq ${seq}`);
    } else if (seq < expected) {
      add(seq, "unlinked", `out of order: seq ${seq} after seq ${prev?.seq}`);
    } else if (prev === undefined || prev.hash !== undefined) {
      const want = prev ? prev.hash : GENESIS_HASH;
      if (r.prev_hash !== want) {
        const of = prev ? `the hash of seq ${prev.seq}` : "the genesis hash";
        add(seq, "unlinked", `prev_hash does not match ${of}`);
      }
    }
    if (m === undefined && r.hash !== auditHash(row as AuditRecord)) {
      add(seq, "edited", "hash does not match the row's content (the row was changed)");
    }
    hashes.set(seq, hash);
    prev = { seq, hash };
  }
  return { problems, hashes, lastSeq: prev?.seq ?? 0 };
}

/**
 * Checks a chain (its rows in seq order, exactly as stored) against its head item (as stored, or
 * undefined). Pure; never throws, whatever the rows hold. Finds, each naming the row:
 * - a malformed row (missing or ill-typed fields);
 * - an edited row (its hash does not match its content);
 * - a deleted row in the middle (a gap in seq);
 * - an inserted or replaced row (its prev_hash does not link to its predecessor);
 * - deleted newest rows (the head points past the last row), a head whose hash is not its row's;
 * - rows past the head. When they chain correctly this is either an append interrupted between writing its
 *   row and moving the head (the next apply completes it) or rows added outside upg; both fail verification,
 *   with that wording, since the chain alone cannot tell them apart;
 * - rows without any head item.
 */
export function verifyChain(rows: readonly unknown[], headItem: unknown): AuditVerification {
  const { problems, hashes, lastSeq } = walk(rows);
  const parsed = parseHead(headItem);
  const head = typeof parsed === "object" ? parsed : null;
  if (typeof parsed === "string") {
    problems.push({ seq: lastSeq, kind: "head_mismatch", reason: parsed });
  } else if (parsed === undefined) {
    if (rows.length > 0)
      problems.push({
        seq: lastSeq,
        kind: "no_head",
        reason:
          "no chain head item: deleting the newest rows cannot be detected (a log written before upg kept a head gets one with the next apply; otherwise the head item was deleted)",
      });
  } else if (parsed.seq > lastSeq) {
    const what =
      parsed.seq === lastSeq + 1 ? `seq ${parsed.seq} (the newest row)` : range(lastSeq + 1, parsed.seq);
    problems.push({
      seq: lastSeq + 1,
      kind: "missing_newest",
      reason: `the chain head is at seq ${parsed.seq} but the last row is seq ${lastSeq}: ${what} deleted`,
    });
  } else {
    if (parsed.seq > 0 && hashes.has(parsed.seq) && hashes.get(parsed.seq) !== parsed.hash)
      problems.push({
        seq: parsed.seq,
        kind: "head_mismatch",
        reason: `the chain head's hash is not the hash of seq ${parsed.seq} (the row or the head was changed)`,
      });
    if (lastSeq > parsed.seq) {
      const first = parsed.seq + 1;
      const troubled = problems.some((p) => p.seq > parsed.seq);
      problems.push({
        seq: first,
        kind: "past_head",
        reason: troubled
          ? `${range(first, lastSeq)} past the chain head (seq ${parsed.seq}), not chained correctly: rows added outside upg`
          : `${range(first, lastSeq)} past the chain head (seq ${parsed.seq}): an interrupted append (the next apply completes it) or rows added outside upg`,
      });
    }
  }
  problems.sort((a, b) => a.seq - b.seq);
  return { ok: problems.length === 0, count: rows.length, problems, head };
}
