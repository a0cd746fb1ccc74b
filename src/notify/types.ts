// Alerts: what `upg drift --notify`, apply and `drift --fix` send, and what came of sending them.
// Types only; the pure planner and message builders, and the senders, live beside this file.

import type { DeclaredAt, DriftReport, DriftViolation } from "../model/drift.js";
import type { Severity } from "../model/plan.js";
import type { AlertTarget, LifecycleState } from "../model/spec.js";
import type { ViolationStateRecord, ViolationStateWrite } from "../store/types.js";

export const ALERT_FORMAT_VERSION = 1;

/**
 * - `opened`: violations seen for the first time (or whose first alert was never delivered);
 * - `reminder`: violations still open after the quiet period;
 * - `resolved`: violations alerted before and gone now;
 * - `lifecycle`: a plan was deprecated / archived / made active again (sent by apply);
 * - `recovered`: a plan deleted outside upg was recreated under a new id (sent by apply / drift --fix).
 */
export type AlertEvent = "opened" | "reminder" | "resolved" | "lifecycle" | "recovered";

/** A violation in an alert: the drift report's violation plus when it was first seen (and resolved). */
export type AlertViolation = DriftViolation & { first_seen?: string; resolved_at?: string };

/** What a lifecycle or recovery alert is about. */
export interface AlertPlan {
  plan_id: string;
  plan_name?: string;
  lifecycle_state?: LifecycleState;
  successor?: string;
  /** Recovery: the API Gateway id that was deleted, and the id of the plan recreated in its place. */
  old_api_gateway_id?: string;
  new_api_gateway_id?: string;
  /** Recovery: how many stages and API keys were attached again. */
  restored_stages?: number;
  restored_keys?: number;
  declared_at?: DeclaredAt;
}

/** One alert: every sink renders it its own way (SNS subject + text, JSON, Slack text, a JSON line). */
export interface Alert {
  event: AlertEvent;
  /** The most severe violation's severity (drift), CRITICAL for a recovery, LOW/MEDIUM for lifecycle. */
  severity: Severity;
  region: string;
  account?: string;
  /** ISO time of the run that raised it. */
  at: string;
  /** Most severe first; empty for lifecycle and recovery alerts. */
  violations: AlertViolation[];
  plan?: AlertPlan;
  /** Who did it (apply / drift --fix alerts): the actor recorded in the audit log. */
  actor?: string;
}

/** A violation-state write planned together with an alert (see updatesAfterDelivery). */
export interface ViolationStateUpdate extends ViolationStateWrite {
  /** Index in `AlertPlan.alerts` of the alert this write records as delivered. */
  alert_index?: number;
  /**
   * What to write instead when that alert reached no target: the state without the delivery, so the next run
   * alerts it again. Absent: write nothing (a resolution that was not delivered stays open).
   */
  if_undelivered?: Omit<ViolationStateRecord, "version">;
}

export interface AlertPlanResult {
  alerts: Alert[];
  updates: ViolationStateUpdate[];
}

export interface PlanAlertsInput {
  report: DriftReport;
  /** The stored open violations (store.listOpenViolations()). */
  open: readonly ViolationStateRecord[];
  now: Date | number;
  quietPeriodMs: number;
  account?: string;
}

/** The outcome of one alert target. */
export interface DeliveryResult {
  target: AlertTarget;
  /** How to name the target to a person: no secrets (a webhook shows its origin only). */
  label: string;
  ok: boolean;
  /** Why it failed, in words that say what to do. */
  error?: string;
  /** Indexes of the alerts this target accepted. */
  delivered: number[];
}
