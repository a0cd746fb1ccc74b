// The store's public contract: what the rest of upg may ask of DynamoDB.

import type { AwsTarget } from "../aws/client-config.js";
import type { AuditRecord, LockRecord, MasterRecord } from "../model/record.js";

export interface TableNames {
  metadata: string;
  audit: string;
}

export interface StoreOptions {
  target: AwsTarget;
  tables: TableNames;
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

export interface AuditProblem {
  seq: number;
  reason: string;
}

export interface AuditVerification {
  ok: boolean;
  count: number;
  problems: AuditProblem[];
}

export interface LockRequest {
  owner: string;
  runId: string;
  ttlSeconds: number;
  reason?: string;
  /** How long to keep polling while another run holds the lock; 0 (default) fails at once. */
  waitMs?: number;
  /** Clock for acquired_at / expires_at (epoch ms). Waiting itself always uses the real clock. */
  now?: () => number;
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
  appendAudit(entry: AuditEntry): Promise<AuditRecord>;
  /** Ordered by seq. With `limit`, the latest `limit` matching entries (still in ascending order). */
  listAudit(opts?: { planId?: string; limit?: number }): Promise<AuditRecord[]>;
  verifyAudit(): Promise<AuditVerification>;
  /** Throws LockHeldError when held and not expired (after polling up to waitMs). */
  acquireLock(req: LockRequest): Promise<LockRecord>;
  /** Extend our own lock (conditional on run_id); throws UserError when this run no longer holds it. */
  renewLock(runId: string, ttlSeconds: number): Promise<void>;
  /** Conditional on run_id; silently ok when the lock is gone (or was taken over by another run). */
  releaseLock(runId: string): Promise<void>;
  getLock(): Promise<LockRecord | undefined>;
  /** Removes whatever lock exists and returns it; records the removal in the audit log. */
  forceUnlock(reason: string, by: string): Promise<LockRecord | undefined>;
  destroy(): void;
}
