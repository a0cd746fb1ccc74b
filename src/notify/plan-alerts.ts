// Which alerts a drift run sends, and the violation state it leaves: pure (no I/O, the time is an argument).
//
// One alert when a violation appears, one when it is resolved, and a reminder when it is still open after the
// quiet period. A violation is the same one across runs when (plan_id, violation_type, subject) is. A run that
// could not read a plan (not_checked) resolves nothing of that plan: unknown is not fixed.

import type { DriftReport, DriftViolation } from "../model/drift.js";
import { SEVERITY_ORDER, type Severity } from "../model/plan.js";
import type { ViolationStateRecord } from "../store/types.js";
import type {
  Alert,
  AlertEvent,
  AlertPlanResult,
  AlertViolation,
  DeliveryResult,
  PlanAlertsInput,
  ViolationStateUpdate,
} from "./types.js";

/** The identity of a violation across runs: `plan_id#violation_type#subject`, each part URI-encoded. */
export function violationKey(v: Pick<DriftViolation, "plan_id" | "violation_type" | "subject">): string {
  return [v.plan_id ?? "", v.violation_type, v.subject ?? ""].map(encodeURIComponent).join("#");
}

export function maxSeverity(severities: readonly Severity[], fallback: Severity = "LOW"): Severity {
  let best = -1;
  for (const s of severities) best = Math.max(best, SEVERITY_ORDER.indexOf(s));
  return best < 0 ? fallback : SEVERITY_ORDER[best]!;
}

function bySeverity(a: AlertViolation, b: AlertViolation): number {
  return SEVERITY_ORDER.indexOf(b.severity) - SEVERITY_ORDER.indexOf(a.severity);
}

/** Plans the report could not read, and whether it could not read something not tied to one plan. */
function unread(report: DriftReport): { plans: Set<string>; all: boolean } {
  const plans = new Set<string>();
  let all = false;
  for (const n of report.not_checked) {
    if (n.plan_id === undefined) all = true;
    else plans.add(n.plan_id);
  }
  return { plans, all };
}

function isoOf(now: Date | number): string {
  return new Date(now).toISOString();
}

interface Pending {
  event: Exclude<AlertEvent, "lifecycle" | "recovered">;
  violation: AlertViolation;
  update: ViolationStateUpdate;
}

function stateOf(r: ViolationStateRecord): Omit<ViolationStateRecord, "version"> {
  const { version: _, ...rest } = r;
  return rest;
}

/** What to alert for a violation seen in this run, and the state to write for it. */
function planSeen(
  v: DriftViolation,
  key: string,
  stored: ViolationStateRecord | undefined,
  at: string,
  nowMs: number,
  quietPeriodMs: number,
): Pending | ViolationStateUpdate {
  if (!stored) {
    const state = { key, violation: v, first_seen: at, last_seen: at, last_alerted: at };
    const { last_alerted: _, ...undelivered } = state;
    return {
      event: "opened",
      violation: { ...v, first_seen: at },
      update: { action: "open", expected_version: 0, state, if_undelivered: undelivered },
    };
  }
  const base = { ...stateOf(stored), violation: v, last_seen: at };
  const refresh = { action: "refresh" as const, expected_version: stored.version };
  const last = stored.last_alerted === undefined ? Number.NaN : Date.parse(stored.last_alerted);
  const event = Number.isNaN(last) ? "opened" : nowMs - last >= quietPeriodMs ? "reminder" : undefined;
  if (!event) return { ...refresh, state: base };
  return {
    event,
    violation: { ...v, first_seen: stored.first_seen },
    update: { ...refresh, state: { ...base, last_alerted: at }, if_undelivered: base },
  };
}

/**
 * The alerts of one drift run (at most one per event: opened, reminder, resolved, in that order) and the
 * conditional writes that record them. Write them with `store.saveViolationState(updatesAfterDelivery(…))`
 * after sending, so an alert that reached no target is sent again on the next run.
 */
export function planAlerts(input: PlanAlertsInput): AlertPlanResult {
  const { report, quietPeriodMs } = input;
  const at = isoOf(input.now);
  const nowMs = Date.parse(at);
  const open = new Map(input.open.filter((r) => r.resolved_at === undefined).map((r) => [r.key, r]));
  const pending: Pending[] = [];
  const quiet: ViolationStateUpdate[] = [];
  const seen = new Set<string>();
  for (const v of report.violations) {
    const key = violationKey(v);
    if (seen.has(key)) continue; // the report is most severe first: the first of a key wins
    seen.add(key);
    const planned = planSeen(v, key, open.get(key), at, nowMs, quietPeriodMs);
    if ("event" in planned) pending.push(planned);
    else quiet.push(planned);
  }
  const skip = unread(report);
  for (const [key, stored] of open) {
    if (seen.has(key)) continue;
    const planId = stored.violation.plan_id;
    if (skip.all || (planId !== undefined && skip.plans.has(planId))) continue; // not read: not resolved
    const state = { ...stateOf(stored), resolved_at: at };
    const resolve = { action: "resolve" as const, expected_version: stored.version };
    if (stored.last_alerted === undefined) {
      // Never announced (its alert was not delivered): close it without telling anyone it is over.
      quiet.push({ ...resolve, state });
      continue;
    }
    pending.push({
      event: "resolved",
      violation: { ...stored.violation, first_seen: stored.first_seen, resolved_at: at },
      update: { ...resolve, state: { ...state, last_alerted: at } },
    });
  }
  const alerts: Alert[] = [];
  const updates: ViolationStateUpdate[] = [...quiet];
  for (const event of ["opened", "reminder", "resolved"] as const) {
    const group = pending.filter((p) => p.event === event);
    if (group.length === 0) continue;
    const violations = group.map((p) => p.violation).sort(bySeverity);
    const index = alerts.length;
    alerts.push({
      event,
      severity: maxSeverity(violations.map((v) => v.severity)),
      region: report.region,
      ...(input.account !== undefined ? { account: input.account } : {}),
      at,
      violations,
    });
    for (const p of group) updates.push({ ...p.update, alert_index: index });
  }
  return { alerts, updates };
}

/** True when some target accepted alert `index`, or when there were no targets to send it to. */
export function alertDelivered(index: number, results: readonly DeliveryResult[]): boolean {
  return results.length === 0 || results.some((r) => r.delivered.includes(index));
}

/**
 * The writes to make after sending: an update whose alert reached no target is replaced by its
 * `if_undelivered` state (or dropped), so the next run alerts it again instead of counting it as sent.
 */
export function updatesAfterDelivery(
  updates: readonly ViolationStateUpdate[],
  results: readonly DeliveryResult[],
): ViolationStateUpdate[] {
  const out: ViolationStateUpdate[] = [];
  for (const u of updates) {
    if (u.alert_index === undefined || alertDelivered(u.alert_index, results)) out.push(u);
    else if (u.if_undelivered)
      out.push({ action: u.action, expected_version: u.expected_version, state: u.if_undelivered });
  }
  return out;
}
