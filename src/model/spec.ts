// What a team declares: plan files and the project file, after validation.
// Types only; the zod schema that produces them lives in src/spec/.

import type { ViolationType } from "./plan.js";

export type QuotaPeriod = "DAY" | "WEEK" | "MONTH";
export const QUOTA_PERIODS: readonly QuotaPeriod[] = ["DAY", "WEEK", "MONTH"];

export type LifecycleState = "Active" | "Deprecated" | "Archived";
export const LIFECYCLE_STATES: readonly LifecycleState[] = ["Active", "Deprecated", "Archived"];

/** Where something was written: 1-based line and column. */
export interface SourceLocation {
  file: string;
  line: number;
  col: number;
}

export interface ThrottleSettings {
  rateLimit?: number;
  burstLimit?: number;
}

/**
 * A stage reference as declared. `id` references are already normalised from either the
 * full ARN or the short `API_ID:STAGE`; `name` references are resolved against live API Gateway
 * at plan time (REST API ids differ between accounts, names usually don't).
 */
export type StageRef =
  | { kind: "id"; apiId: string; stage: string; region?: string }
  | { kind: "name"; apiName: string; stage: string };

export interface StageSpec {
  ref: StageRef;
  /** Per-method throttles keyed "/resource/path/METHOD". */
  methodThrottles: Record<string, ThrottleSettings>;
  /** Position in the file's `stages` list. */
  index: number;
  source: SourceLocation;
}

export interface PlanSpec {
  planId: string;
  name: string;
  description?: string;
  tier?: string;
  rateLimit?: number;
  burstLimit?: number;
  quotaLimit?: number;
  quotaPeriod?: QuotaPeriod;
  quotaOffset?: number;
  stages: StageSpec[];
  /** Exact set of API keys (names or ids). Undefined: keys are observed, not declared. */
  keys?: string[];
  /** Where each entry of `keys` was written (same order). */
  keySources?: SourceLocation[];
  lifecycleState: LifecycleState;
  successor?: string;
  /** true: never deleted (removed file or Archived is a problem); false: deleted even with keys attached. */
  deletionProtection?: boolean;
  /** Regions the plan lives in (`regions:`); absent: every region of the project. */
  regions?: string[];
  tags: Record<string, string>;
  source: SourceLocation;
  /** Where each top-level field of the plan document was written (`rate_limit`, `tags`, …). */
  fieldSources?: Record<string, SourceLocation>;
}

export type AlertTarget =
  | { type: "sns"; topic_arn: string }
  | { type: "webhook"; url: string; format?: "json" | "slack" }
  | { type: "file"; path: string }
  | { type: "stdout" };

export interface PolicyLimits {
  max_rate_limit: number;
  max_burst_limit?: number;
  max_quota_limit?: number;
  /** When true, every plan must declare a quota. */
  require_quota: boolean;
}

export interface PacingLimits {
  /** Steady control-plane requests per second (AWS: 10). */
  requests_per_second: number;
  /** Token bucket size for all control-plane calls (AWS: 40). */
  burst: number;
  /** Minimum gap between UpdateUsagePlan calls in ms (AWS: 20000). */
  update_usage_plan_interval_ms: number;
  /** Maximum calls in flight at once. */
  concurrency: number;
  /**
   * Share of `requests_per_second` and `burst` left unused, 0 ≤ headroom < 1 (config default 0.1: 9 per
   * second, burst 36). Absent: 0. The UpdateUsagePlan interval is kept as it is.
   */
  headroom?: number;
}

/** An account a run covers through a role it assumes (`accounts:` in upg.config.yaml). */
export interface AccountConfig {
  name: string;
  role_arn: string;
  external_id?: string;
  session_name?: string;
  /** This account's regions (absent in the file: the top-level `regions`, filled in on load). */
  regions: string[];
}

export interface UpgConfig {
  /** Regions this project manages: every run covers each of them (`--region` narrows). */
  regions: string[];
  /** Accounts a run covers (absent: the current credentials' account only). */
  accounts?: AccountConfig[];
  tables: { metadata: string; audit: string };
  /** Tag key upg writes on every plan it owns; its value is the plan_id. */
  ownership_tag_key: string;
  policy: PolicyLimits;
  /** Where drift alerts go; a violation still open is alerted again once `quiet_period_ms` has passed. */
  alerts: { targets: AlertTarget[]; quiet_period_ms: number };
  auto_fix: {
    enabled: boolean;
    max_severity: "LOW" | "MEDIUM" | "HIGH" | "CRITICAL";
    /** Only these violation types (absent: every auto-fixable type). */
    violation_types?: ViolationType[];
  };
  pacing: PacingLimits;
  lock: { ttl_seconds: number };
  /** Plans whose changes apply runs at once within one step of its order. */
  apply: { concurrency: number };
  /** Account-regions a fleet run works on at once. */
  fleet: { concurrency: number };
  /** Per-attempt timeouts of every AWS call (connect, and the whole request). */
  timeouts: { connect_ms: number; request_ms: number };
  /**
   * The project this repository manages (`project:` in upg.config.yaml). Plans upg creates or adopts carry
   * it as the `upg:project` tag and records carry it; a run sees only its project's plans and records.
   * Absent: no project (plans and records without one).
   */
  project?: string;
  /** Where the config came from, when it came from a file. */
  source?: string;
}

/** Every region the config names: the top-level `regions` and each account's. */
export function configRegions(config: Pick<UpgConfig, "regions" | "accounts">): string[] {
  return [...new Set([...config.regions, ...(config.accounts ?? []).flatMap((a) => a.regions)])];
}

/** Whether a plan lives in a region: its `regions:`, or every region when it names none. */
export function livesIn(spec: Pick<PlanSpec, "regions">, region: string): boolean {
  return spec.regions === undefined || spec.regions.includes(region);
}

/** Tag key naming the project that owns a plan (its value is the config's `project`). */
export const PROJECT_TAG_KEY = "upg:project";
