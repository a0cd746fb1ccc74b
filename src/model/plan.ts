// The plan is data: a list of Changes and the Violations found, serialisable as JSON.

import type { MasterRecord } from "./record.js";
import type { DesiredPlan, PlanSettings } from "./state.js";

export type ChangeAction =
  | "create"
  | "adopt"
  | "update"
  | "recreate"
  | "delete"
  | "attach"
  | "detach"
  | "sync"
  | "noop"
  // upg cleanup: delete a live plan without moving its master record (an unmanaged plan, a leftover of an
  // Archived plan); the record, when the intent had to create one, was only the journal and goes with it.
  | "remove"
  // upg cleanup --records: remove a master record (its history stays in the audit log).
  | "purge";

/**
 * What a change acts on: the plan in API Gateway, one key membership, one API stage of the plan (`detach`
 * stage: upg cleanup --stage), or only the master record.
 */
export type ChangeResource = "plan" | "key" | "stage" | "record";

export interface FieldChange {
  /** Dotted path, e.g. `throttle.rateLimit`, `quota.limit`, `stages[api:prod]`, `stages[api:prod].throttle[/pets/GET]`. */
  field: string;
  before?: unknown;
  after?: unknown;
}

export interface Change {
  /** Stable, unique within a plan document, e.g. `update:premium-weather`, `attach-key:basic:k123`. */
  id: string;
  action: ChangeAction;
  resource: ChangeResource;
  planId: string;
  /** API Gateway id the change acts on (absent for a create). */
  apiGatewayId?: string;
  /** For key changes: the API key id, and its name for display. */
  keyId?: string;
  keyName?: string;
  /** Field-level differences for updates (stage attach/detach appear as `stages[...]` fields). */
  fields?: FieldChange[];
  /** Desired settings for create/recreate/update; the whole desired plan for record sync. */
  desired?: DesiredPlan;
  /** What the record looked like before (for record sync, recreate lineage). */
  record?: MasterRecord;
  /** Live settings before the change. */
  live?: PlanSettings;
  /** Keys to attach after a create/recreate; for an adopt, the keys the live plan has (its record starts with them). */
  keys?: string[];
  /** A delete: the API keys attached now, which lose access to every stage of the plan. */
  lostKeys?: Array<{ id: string; name?: string }>;
  /** A stage change: the stage `apiId:stage`. */
  stage?: string;
  /** Display-only explanation. */
  reason?: string;
}

export type ViolationType =
  | "rate_limit_changed"
  | "burst_limit_changed"
  | "quota_limit_changed"
  | "quota_period_changed"
  | "quota_offset_changed"
  | "method_throttle_changed"
  | "name_changed"
  | "description_changed"
  | "tags_changed"
  | "stage_added"
  | "stage_removed"
  | "stage_missing"
  | "stage_shared_with_unmanaged_plan"
  | "key_added"
  | "key_removed"
  | "key_joined_deprecated_plan"
  | "plan_deleted"
  | "archived_plan_present"
  | "unmanaged_plan_found";

export const VIOLATION_TYPES: readonly ViolationType[] = [
  "rate_limit_changed",
  "burst_limit_changed",
  "quota_limit_changed",
  "quota_period_changed",
  "quota_offset_changed",
  "method_throttle_changed",
  "name_changed",
  "description_changed",
  "tags_changed",
  "stage_added",
  "stage_removed",
  "stage_missing",
  "stage_shared_with_unmanaged_plan",
  "key_added",
  "key_removed",
  "key_joined_deprecated_plan",
  "plan_deleted",
  "archived_plan_present",
  "unmanaged_plan_found",
];

export type Severity = "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
export const SEVERITY_ORDER: readonly Severity[] = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];

/** One drift finding, in the drift report format. */
export interface Violation {
  violation_type: ViolationType;
  plan_id?: string;
  plan_name?: string;
  api_gateway_id?: string;
  /** Which field, stage or key (e.g. `throttle.rateLimit`, `api:prod`, a key id). */
  subject?: string;
  should_be: unknown;
  actually_is: unknown;
  detected_at: string;
  severity: Severity;
  auto_fixable: boolean;
}

/** A problem that stops planning for one plan (e.g. a stage that does not exist). */
export interface PlanProblem {
  code:
    | "stage_missing"
    | "stage_wrong_region"
    | "api_name_unknown"
    | "api_name_ambiguous"
    | "key_unknown"
    | "key_ambiguous"
    | "key_joins_deprecated"
    | "key_stage_conflict"
    | "name_matches_unmanaged_plan"
    | "owned_by_other_project"
    | "delete_would_drop_keys"
    | "deletion_protected"
    | "quota_plans_per_region"
    | "quota_plans_per_key"
    | "quota_keys_per_region";
  planId: string;
  message: string;
  /** What the problem is about, e.g. the stage `apiId:stage` of a stage_missing. */
  subject?: string;
  file?: string;
  line?: number;
  col?: number;
}

export interface PlanFingerprint {
  /** Hash of the live state of the plans in scope. */
  live: string;
  /** Master record version per plan_id at planning time (0 = no record). */
  records: Record<string, number>;
}

/**
 * Version 2 added `provenance` and `checksum`. apply refuses any other version: a saved plan made by another
 * upg is made again, never guessed at.
 */
export const PLAN_FORMAT_VERSION = 2;

/** What a saved plan was made for; apply refuses it anywhere else. */
export interface PlanProvenance {
  region: string;
  /** AWS account id of the caller that made it; null when it could not be told. */
  account: string | null;
  tables: { metadata: string; audit: string };
  /** The config's `project`, or null when it has none. */
  project: string | null;
  /** sha256 over the plan files and the config file the plan was computed from (see src/apply/saved-plan.ts). */
  inputs_hash: string;
}

export interface Plan {
  format_version: number;
  created_at: string;
  region: string;
  /** plan_ids the plan was narrowed to with --target; empty = everything. */
  targets: string[];
  changes: Change[];
  /** The declared plan of every plan_id that has a change (apply writes its master record from it). */
  desired: DesiredPlan[];
  /** Keys attached in API Gateway at planning time, per plan_id that has a change. */
  live_keys: Record<string, string[]>;
  violations: Violation[];
  problems: PlanProblem[];
  fingerprint: PlanFingerprint;
  /** Set on a saved plan (`upg plan --out`). */
  provenance?: PlanProvenance;
  /** Set on a saved plan: sha256 of the canonical JSON of the document without this field. */
  checksum?: string;
}

export type ChangeOutcome = "ok" | "failed" | "skipped";

export interface ChangeResult {
  changeId: string;
  action: ChangeAction;
  resource: ChangeResource;
  planId: string;
  outcome: ChangeOutcome;
  error?: string;
  /** New API Gateway id for create/recreate. */
  apiGatewayId?: string;
  previousApiGatewayId?: string;
  /** The change ran but its audit row could not be written. */
  auditError?: string;
  /** Milliseconds the change took. */
  ms?: number;
}

export interface ApplyResult {
  run_id: string;
  started_at: string;
  finished_at: string;
  results: ChangeResult[];
  /** Why the run stopped before its last change (a signal, a lost lock, an unwritable journal). */
  stopped?: string;
}
