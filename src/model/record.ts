// DynamoDB items. Field names follow the original system's schema (snake_case).

import type { ChangeAction, ChangeResource } from "./plan.js";
import type { LifecycleState, QuotaPeriod, ThrottleSettings } from "./spec.js";
import type { DesiredPlan, PlanSettings } from "./state.js";

export interface StageRecord {
  api_id: string;
  stage: string;
  throttle?: Record<string, ThrottleSettings>;
}

/** One earlier API Gateway identity of a plan. */
export interface LineageEntry {
  api_gateway_id: string;
  created_at?: string;
  deleted: boolean;
  deleted_at?: string;
  recreated_as?: string;
}

/** The master record of one plan_id in `usage-plans-metadata`. */
export interface MasterRecord {
  plan_id: string;
  name: string;
  description?: string;
  tier?: string;
  rate_limit?: number;
  burst_limit?: number;
  quota_limit?: number;
  quota_period?: QuotaPeriod;
  quota_offset?: number;
  lifecycle_state: LifecycleState;
  successor?: string;
  /** The plan file's `deletion_protection`, kept so a plan whose file was removed is still protected. */
  deletion_protection?: boolean;
  stages: StageRecord[];
  tags?: Record<string, string>;
  /** The project that owns the plan (the config's `project`); absent for plans outside any project. */
  project?: string;
  /** Keys last observed on (or declared for) the plan: API key ids, sorted. */
  keys: string[];
  /** True when the plan file declares its keys (the exact set); false when keys are observed. */
  keys_declared: boolean;
  /** Observed keys an apply could not re-attach (e.g. after a recreate); the next apply retries them. */
  pending_keys?: string[];
  /** Current API Gateway id; absent for an Archived plan. */
  api_gateway_id?: string;
  created_at: string;
  updated_at: string;
  updated_by: string;
  /** Optimistic concurrency: every write is conditional on the version it read. */
  version: number;
  /** Set when the plan was found deleted from API Gateway and not (yet) recreated. */
  deleted?: boolean;
  deleted_at?: string;
  recreated_as?: string;
  recreated_from?: string;
  recreated_at?: string;
  lineage: LineageEntry[];
  /**
   * The apply journal: the change a run was executing on this plan when the record was last written.
   * Written (conditionally) before the change's first API call and cleared after its audit row; a run
   * that finds it set rolls the change forward from live state (src/diff/recover.ts).
   */
  pending?: PendingChange;
}

/** One change in flight, as written to its plan's master record before the change's first API call. */
export interface PendingChange {
  run_id: string;
  change_id: string;
  action: ChangeAction;
  resource: ChangeResource;
  actor: string;
  started_at: string;
  /** API Gateway id the change acts on (absent for a create). */
  api_gateway_id?: string;
  /** API key id of a key change. */
  key_id?: string;
  /** `apiId:stage` of a stage change (upg cleanup --stage). */
  stage?: string;
  /** Live settings before an update or delete. */
  before?: PlanSettings;
  /** What the plan files declare for the plan (absent when no file declares it any more). */
  desired?: DesiredPlan;
  /** For a create/recreate: the keys its attach changes restore afterwards (never forgotten on a crash). */
  keys?: string[];
  /** The intent created the record (a brand-new plan): undone by deleting the record when nothing ran. */
  fresh?: boolean;
  /**
   * A group of key changes of this plan journalled by one intent (this entry is the first of them): every
   * change of the group in order, each as it would be pending alone. Recovery rolls each one forward.
   */
  group?: PendingChange[];
}

/** One executed change in `usage-plans-audit`; append-only, hash-chained. */
export interface AuditRecord {
  /** Partition key: always "chain" so the log is one ordered sequence. */
  stream: string;
  /** Sort key: 1, 2, 3, … ; written with attribute_not_exists so no two runs take one number. */
  seq: number;
  at: string;
  actor: string;
  run_id: string;
  plan_id: string;
  action: string;
  change_id: string;
  outcome: "ok" | "failed";
  before?: unknown;
  after?: unknown;
  error?: string;
  /** The API Gateway id the change acted on or created (filled by the apply journal). */
  api_gateway_id?: string;
  /** The earlier API Gateway id a recreate replaced. */
  previous_api_gateway_id?: string;
  /** The API key id of a key attach/detach (an id, never a key value). */
  key_id?: string;
  /** Set when a later run wrote the row for a change whose own run was stopped before it could. */
  recovered_by?: string;
  /** What made the change when it was not a plain `upg apply`: `auto-fix` (upg drift --fix). */
  trigger?: string;
  prev_hash: string;
  hash: string;
}

/**
 * The chain head: one item in the audit table, in its own partition (stream "head", seq 0) so that
 * reading the chain (stream "chain") never sees it. Moved forward with a conditional update after each append.
 */
export interface AuditHeadRecord {
  stream: "head";
  seq: 0;
  /** seq of the newest row of the chain (0: empty chain). */
  last_seq: number;
  /** hash of that row (the genesis hash for an empty chain). */
  last_hash: string;
  updated_at: string;
}

/** The apply lock (an item in the metadata table with a reserved key). */
export interface LockRecord {
  plan_id: string;
  owner: string;
  run_id: string;
  acquired_at: string;
  /** Epoch milliseconds after which another run may take the lock. */
  expires_at: number;
  reason?: string;
  /**
   * Short id shown in the "lock held" message and required by `upg unlock LOCK_ID`. Absent on locks
   * written before lock ids existed: their id is their run_id.
   */
  lock_id?: string;
  /** Bumped by every fencing check (checkLock) of the holding run. */
  fence?: number;
}
