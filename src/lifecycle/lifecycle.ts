// Plan lifecycle: which transitions are allowed, what stops an archive, and the status of a plan from its
// record, live state and audit rows. Pure: no fs, no SDK, no clock.

import type { Violation } from "../model/plan.js";
import type { AuditRecord, MasterRecord } from "../model/record.js";
import type { LifecycleState } from "../model/spec.js";
import type { LiveState } from "../model/state.js";

export type LifecycleAction = "deprecate" | "archive" | "activate";
export const LIFECYCLE_ACTIONS: readonly LifecycleAction[] = ["deprecate", "archive", "activate"];

export const TARGET_STATE: Readonly<Record<LifecycleAction, LifecycleState>> = {
  deprecate: "Deprecated",
  archive: "Archived",
  activate: "Active",
};

/** Why the transition is refused, or undefined when it is allowed (Active → Deprecated → Archived, activate back). */
export function transitionError(from: LifecycleState, action: LifecycleAction): string | undefined {
  const to = TARGET_STATE[action];
  if (from === to) return undefined; // nothing to change; the caller says so
  if (action === "archive" && from === "Active") {
    return "An Active plan is deprecated before it is archived (Active → Deprecated → Archived): existing customers get time to move.";
  }
  if (action === "deprecate" && from === "Archived") {
    return "An Archived plan is made Active again (upg lifecycle activate) before it can be deprecated.";
  }
  return undefined;
}

export interface KeyRef {
  id: string;
  name?: string;
}

export function keyLabel(k: KeyRef): string {
  return k.name ? `${k.name} (${k.id})` : k.id;
}

/**
 * The keys still on a plan: attached in API Gateway now, and declared in its file (names or ids as written).
 * An archive is refused while any remain.
 */
export function keysOnPlan(
  live: LiveState,
  apiGatewayId: string | undefined,
  declared: readonly string[] | undefined,
): KeyRef[] {
  const byId = new Map(live.apiKeys.map((k) => [k.id, k]));
  const out = new Map<string, KeyRef>();
  const plan = apiGatewayId ? live.plans.find((p) => p.id === apiGatewayId) : undefined;
  for (const id of plan?.keys ?? []) {
    const name = byId.get(id)?.name;
    out.set(id, name !== undefined ? { id, name } : { id });
  }
  for (const ref of declared ?? []) {
    const k = live.apiKeys.find((x) => x.id === ref || x.name === ref);
    if (k && out.has(k.id)) continue;
    if (k) out.set(k.id, k.name !== undefined ? { id: k.id, name: k.name } : { id: k.id });
    else out.set(ref, { id: ref, name: ref });
  }
  return [...out.values()].sort((a, b) => keyLabel(a).localeCompare(keyLabel(b)));
}

export interface LifecycleSince {
  at: string;
  seq: number;
  action: string;
}

export interface LifecycleStatus {
  plan_id: string;
  /** What the plan file declares. */
  declared_state: LifecycleState;
  /** What upg last applied (the master record); null when no record exists yet. */
  applied_state: LifecycleState | null;
  successor: string | null;
  /** When the applied state began, from the audit log; null when the log cannot tell. */
  since: LifecycleSince | null;
  since_note?: string;
  /** Keys attached in API Gateway now. */
  keys: KeyRef[];
  /** Keys attached now that were not on the plan when it was deprecated. */
  joined_after_deprecation: KeyRef[];
}

const LIFECYCLE_ROWS: Readonly<Record<LifecycleState, readonly string[]>> = {
  // Archiving removes the plan from API Gateway.
  Archived: ["delete-plan"],
  // Deprecating changes no API Gateway setting: the record is synced (alone, or with an update of the plan).
  Deprecated: ["sync-record", "update-plan"],
  // Active again after an archive: the plan is created again; otherwise the record sync or the first create.
  Active: ["create-plan", "recreate-plan", "sync-record", "update-plan"],
};

/**
 * When the record's lifecycle state began, from the plan's audit rows (oldest first). The rows carry the
 * settings, not the lifecycle state, so this is the latest row of a change that can set it; for an Active
 * plan never deprecated, its first create.
 */
export function lifecycleSince(
  state: LifecycleState,
  rows: readonly AuditRecord[],
): { since: LifecycleSince | null; note?: string } {
  const ok = rows.filter((r) => r.outcome === "ok" && LIFECYCLE_ROWS[state].includes(r.action));
  if (ok.length === 0) {
    return { since: null, note: "unknown: no audit row of this plan records the change" };
  }
  const created = rows.filter((r) => r.outcome === "ok" && r.action === "create-plan");
  const row =
    state === "Active" && created.length > 0 && !rows.some((r) => r.action === "delete-plan")
      ? created[0]!
      : ok[ok.length - 1]!;
  return { since: { at: row.at, seq: row.seq, action: row.action } };
}

export function lifecycleStatus(input: {
  planId: string;
  declaredState: LifecycleState;
  successor?: string;
  record?: MasterRecord;
  live: LiveState;
  audit: readonly AuditRecord[];
  violations: readonly Violation[];
}): LifecycleStatus {
  const r = input.record;
  const applied = r?.lifecycle_state ?? null;
  const live = r?.api_gateway_id ? input.live.plans.find((p) => p.id === r.api_gateway_id) : undefined;
  const names = new Map(input.live.apiKeys.map((k) => [k.id, k.name]));
  const ref = (id: string): KeyRef => {
    const name = names.get(id);
    return name !== undefined ? { id, name } : { id };
  };
  const joined = new Set(
    input.violations
      .filter((v) => v.plan_id === input.planId && v.violation_type === "key_joined_deprecated_plan")
      .map((v) => String(v.subject ?? v.actually_is)),
  );
  const since = applied ? lifecycleSince(applied, input.audit) : { since: null, note: "not applied yet" };
  return {
    plan_id: input.planId,
    declared_state: input.declaredState,
    applied_state: applied,
    successor: input.successor ?? null,
    since: since.since,
    ...(since.note ? { since_note: since.note } : {}),
    keys: (live?.keys ?? []).map(ref),
    joined_after_deprecation: [...joined].sort().map(ref),
  };
}
