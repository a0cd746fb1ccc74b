// The store's public contract: what the rest of upg may ask of DynamoDB.

import type { AwsTarget } from "../aws/client-config.js";
import type { DriftViolation } from "../model/drift.js";
import type { AuditRecord, LockRecord, MasterRecord } from "../model/record.js";

export interface TableNames {
  metadata: string;
  audit: string;
}

export interface StoreOptions {
  target: AwsTarget;
  tables: TableNames;
  /**
   * The config's project: runs of different projects on the same tables take different apply locks
   * (`__upg_lock__#PROJECT`; none: `__upg_lock__`), so they never wait for each other. The audit chain is shared.
   */
  project?: string;
}

export type TableFeature = "point_in_time_recovery" | "encryption" | "deletion_protection";

export interface FeatureReport {
  table: string;
  feature: TableFeature;
  status: "enabled" | "already_enabled" | "unsupported" | "failed";
  detail?: string;
}

export interface InitReport {
  tables: Array<{ name: string; status: "created" | "existed" }>;
  /** Features requested on each table: point-in-time recovery, server-side encryption, deletion protection. */
  features: FeatureReport[];
}

/** What appendAudit takes: the store assigns stream, seq, prev_hash and hash. */
export type AuditEntry = Omit<AuditRecord, "stream" | "seq" | "prev_hash" | "hash">;

/** What is wrong with a row (or with the chain head). */
export type AuditProblemKind =
  /** A row with missing or ill-typed fields. */
  | "malformed"
  /** The row's hash does not match its content: it was edited. */
  | "edited"
  /** seq numbers missing between two rows: a row was deleted. */
  | "gap"
  /** The row's prev_hash does not link to its predecessor: inserted, replaced, or its predecessor re-hashed. */
  | "unlinked"
  /** The head points past the last row: the newest row(s) were deleted. */
  | "missing_newest"
  /** The head's hash is not the hash of the row it points at. */
  | "head_mismatch"
  /** Rows after the head that chain correctly: an interrupted append, or rows added outside upg. */
  | "past_head"
  /** Rows exist but no chain head item does. */
  | "no_head";

export interface AuditProblem {
  /** The row the problem is about (for missing rows: the first missing seq). */
  seq: number;
  reason: string;
  kind: AuditProblemKind;
}

/** The chain head as stored: the seq and hash of the newest row (0 and the genesis hash when empty). */
export interface AuditHead {
  seq: number;
  hash: string;
  updated_at?: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Rows read. */
  count: number;
  /** In seq order; the first one is the first bad row. */
  problems: AuditProblem[];
  /** The stored head, or null when there is none. */
  head: AuditHead | null;
}

/** What repairAuditHead did. */
export interface AuditHeadRepair {
  /** The head before (null: there was none). */
  before: AuditHead | null;
  after: AuditHead;
  /** seq of each row the head was moved over (rows an interrupted append left). */
  moved: number[];
  /** seq of each row a batch append claimed but did not write, written now from the head item's copy. */
  written?: number[];
  /** True when the head item had to be created (a chain written before heads existed, or an empty one). */
  created: boolean;
  /** A row right after the head that does not chain from it (tampering): the head was not moved over it. */
  blocked?: AuditProblem;
}

/** What acquireLock returns: the lock now held, and the expired lock it replaced, if any. */
export interface AcquiredLock extends LockRecord {
  lock_id: string;
  /**
   * Set when this run took over an EXPIRED lock of another run (the takeover is written to the audit log as
   * `lock_takeover`). Callers should say so: "Took over an expired lock held by OWNER since ACQUIRED_AT".
   */
  replaced?: LockRecord;
}

export interface LockRequest {
  owner: string;
  runId: string;
  ttlSeconds: number;
  reason?: string;
  /** How long to keep polling while another run holds the lock; 0 (default) fails at once. */
  waitMs?: number;
  /** Ends the wait for another run's lock early (the signal's reason is thrown). */
  signal?: AbortSignal;
  /** Clock for acquired_at / expires_at (epoch ms). Waiting itself always uses the real clock. */
  now?: () => number;
}

/**
 * The alert state of one violation identity `(plan_id, violation_type, subject)`: when it was first and last
 * seen, when an alert about it last went out, and when it was resolved (absent: still open). Kept in the
 * metadata table under a reserved key (`__upg_violation__#…`) that listRecords skips.
 */
export interface ViolationStateRecord {
  /** The identity, `plan_id#violation_type#subject` with each part URI-encoded. */
  key: string;
  /** The violation as last seen (its plan_id, type, subject, severity, values). */
  violation: DriftViolation;
  first_seen: string;
  last_seen: string;
  /** Absent: no alert about it has been delivered yet (the next run alerts it). */
  last_alerted?: string;
  /** Absent: still open. */
  resolved_at?: string;
  version: number;
}

/**
 * One conditional write of violation state. `open` succeeds only when no open item exists for the key (a
 * resolved one is reopened); `refresh` and `resolve` only while the open item still has `expected_version`.
 */
export interface ViolationStateWrite {
  action: "open" | "refresh" | "resolve";
  expected_version: number;
  state: Omit<ViolationStateRecord, "version">;
}

/** Keys written, and keys another run changed first (their writes were skipped, not retried). */
export interface ViolationStateSaveResult {
  written: string[];
  conflicts: string[];
}

/**
 * A key rotation in progress (`upg keys rotate`): the old key, its successor in the same plans, and when the
 * overlap ends (then `upg keys rotate --finish` disables and deletes the old key). Ids only, never values.
 */
export interface RotationRecord {
  old_key_id: string;
  old_key_name?: string;
  new_key_id: string;
  new_key_name?: string;
  /** The plans both keys are in: API Gateway id and plan_id (when upg manages the plan). */
  plans: Array<{ api_gateway_id: string; plan_id?: string }>;
  started_at: string;
  overlap_ends_at: string;
  actor: string;
}

export interface Store {
  /** Idempotent; on-demand billing; waits until both tables are ACTIVE. */
  init(): Promise<InitReport>;
  /** Throws UserError "Table … does not exist." (hint: run `upg init`) when a table is missing. */
  checkTables(): Promise<void>;
  /** Every master record (the lock item excluded), sorted by plan_id. */
  listRecords(): Promise<MasterRecord[]>;
  getRecord(planId: string): Promise<MasterRecord | undefined>;
  /**
   * Conditional write. expectedVersion 0 means "must not exist yet". Writes version = expectedVersion + 1,
   * returns the stored record. Throws StaleRecordError when someone else wrote first.
   */
  putRecord(record: MasterRecord, expectedVersion: number): Promise<MasterRecord>;
  /** Conditional on version; throws StaleRecordError when someone else wrote first. */
  deleteRecord(planId: string, expectedVersion: number): Promise<void>;
  appendAudit(entry: AuditEntry): Promise<AuditRecord>;
  /** Appends rows in order, up to 25 per BatchWriteItem (src/store/audit.ts says how they stay safe). */
  appendAuditBatch(entries: readonly AuditEntry[]): Promise<AuditRecord[]>;
  /** Ordered by seq. With `limit`, the latest `limit` matching entries (still in ascending order). */
  listAudit(opts?: { planId?: string; limit?: number }): Promise<AuditRecord[]>;
  /** Reads the whole chain and the head and checks them (see verifyChain). Never throws on bad rows. */
  verifyAudit(): Promise<AuditVerification>;
  /** The chain head as stored (consistent read); undefined when no head item exists yet. */
  auditHead(): Promise<AuditHead | undefined>;
  /**
   * Call under the apply lock, before anything else: moves the head over correctly chained rows an
   * interrupted append left after it (and creates the head of a chain that has none). Never moves it over a
   * row that does not chain; reports that row as `blocked`.
   */
  repairAuditHead(): Promise<AuditHeadRepair>;
  /**
   * The audit row of one change of one run, searching newest first through at most `maxRows` rows
   * (default 2000): for crash recovery, to tell whether an owed row was already written.
   */
  findAudit(runId: string, changeId: string, opts?: { maxRows?: number }): Promise<AuditRecord | undefined>;
  /**
   * Throws LockHeldError (with the holder's lock id) when held and not expired (after polling up to waitMs).
   * Taking over an expired lock returns it as `replaced` and appends a `lock_takeover` audit row.
   */
  acquireLock(req: LockRequest): Promise<AcquiredLock>;
  /** Extend our own lock (conditional on run_id); throws LockLostError when this run no longer holds it. */
  renewLock(runId: string, ttlSeconds: number): Promise<void>;
  /**
   * Fencing: one conditional write on the lock item that succeeds only while this run holds an unexpired
   * lock, and bumps its `fence` counter (returned). Throws LockLostError otherwise. Call before every write.
   */
  checkLock(runId: string): Promise<number>;
  /** Conditional on run_id; silently ok when the lock is gone (or was taken over by another run). */
  releaseLock(runId: string): Promise<void>;
  getLock(): Promise<LockRecord | undefined>;
  /**
   * Removes the lock and returns it (undefined: no lock); records the removal in the audit log. With lockId,
   * only the lock with that id (a legacy lock without one: its run_id): another lock throws LockIdMismatchError.
   */
  forceUnlock(reason: string, by: string, lockId?: string): Promise<LockRecord | undefined>;
  /** Every open violation state (resolved ones excluded), sorted by key. */
  listOpenViolations(): Promise<ViolationStateRecord[]>;
  /** Conditional writes, one per update; a write whose condition fails is reported, never thrown. */
  saveViolationState(updates: readonly ViolationStateWrite[]): Promise<ViolationStateSaveResult>;
  /** Key rotations in progress, oldest first. */
  listRotations(): Promise<RotationRecord[]>;
  /** Conditional on no rotation of the same old key being recorded; false when one is. */
  putRotation(r: RotationRecord): Promise<boolean>;
  deleteRotation(oldKeyId: string): Promise<void>;
  destroy(): void;
}
