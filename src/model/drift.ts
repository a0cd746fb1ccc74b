// The drift report: what `upg drift` prints (-o json), what alerts, SARIF, markdown and GitHub annotations are
// made from. A versioned document; a partial read is listed in `not_checked`, never reported as clean.

import type { Severity, Violation } from "./plan.js";

export const DRIFT_FORMAT_VERSION = 1;

/** A plan-file edit not applied yet: not drift, listed apart. */
export interface PendingEdit {
  plan_id: string;
  change_id: string;
  action: string;
  resource: string;
  reason?: string;
}

/** Something drift could not read; the report is partial and says so. */
export interface NotChecked {
  /** What was not read, e.g. `GetTags usageplan abc123`, `stages of REST API x1y2z3`. */
  what: string;
  plan_id?: string;
  reason: string;
}

/** Where a plan file declares the drifted value (for SARIF and GitHub annotations). */
export interface DeclaredAt {
  file: string;
  line: number;
  col: number;
}

/** A violation as drift reports it: the diff's violation plus where the plan file declares it. */
export type DriftViolation = Violation & { declared_at?: DeclaredAt };

export interface DriftSummary {
  violations: number;
  by_severity: Record<Severity, number>;
  pending: number;
  not_checked: number;
}

export interface DriftReport {
  kind: "upg-drift-report";
  format_version: number;
  generated_at: string;
  region: string;
  /**
   * The account's name from `accounts:` in upg.config.yaml (absent without it). In a fleet report it is null
   * for the current credentials' account, and every item carries `account` and `region` too.
   */
  account?: string | null;
  /** Most severe first. */
  violations: DriftViolation[];
  pending: PendingEdit[];
  not_checked: NotChecked[];
  summary: DriftSummary;
  /**
   * Live plans another project owns (`project:` in upg.config.yaml): listed for information, never checked or
   * reported as drift here. Absent when there are none.
   */
  other_projects?: Array<{
    api_gateway_id: string;
    plan_id?: string;
    plan_name: string;
    project: string | null;
  }>;
  /** `upg drift --fix`: what was repaired, and what the auto_fix policy left alone. */
  fix?: {
    outcome: "applied" | "empty" | "cancelled";
    result?: unknown;
    not_fixed: Array<Violation & { why: string }>;
    audit_head?: { seq: number; hash: string };
  };
}
