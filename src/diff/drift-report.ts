// The drift report: live API Gateway against the master records (what upg last applied). Pure.
//
// The planner's violations are the core; this adds the stage-centric checks of the original system (a managed
// stage now also covered by a plan upg does not manage; a recorded stage whose API or stage was deleted or
// recreated), sorts by severity, says where each drifted value is declared (for SARIF and annotations), keeps
// plan-file edits not applied yet apart as `pending`, and lists everything the read could not see in
// `not_checked` — a partial read is never a clean report.

import {
  type DeclaredAt,
  DRIFT_FORMAT_VERSION,
  type DriftReport,
  type DriftViolation,
  type PendingEdit,
} from "../model/drift.js";
import type { Plan, Severity, Violation } from "../model/plan.js";
import { SEVERITY_ORDER } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import type { PlanSpec, SourceLocation } from "../model/spec.js";
import { type LiveState, stageKey } from "../model/state.js";
import { sameValue } from "./compare.js";
import { recordSettings } from "./normalise.js";
import type { OtherProjectPlan } from "./scope.js";
import { type ViolationSubject, violation } from "./violations.js";

export interface DriftInput {
  plan: Plan;
  specs: readonly PlanSpec[];
  records: readonly MasterRecord[];
  live: LiveState;
  now: string;
  /** Live plans other projects own (src/diff/scope.ts): never drift here, listed for information. */
  otherPlans?: readonly OtherProjectPlan[];
}

/** The plan-file field each violation type is about. */
const FIELD_OF: Partial<Record<Violation["violation_type"], string>> = {
  rate_limit_changed: "rate_limit",
  burst_limit_changed: "burst_limit",
  quota_limit_changed: "quota_limit",
  quota_period_changed: "quota_period",
  quota_offset_changed: "quota_offset",
  name_changed: "name",
  description_changed: "description",
  tags_changed: "tags",
  key_added: "keys",
  key_removed: "keys",
  key_joined_deprecated_plan: "lifecycle_state",
  archived_plan_present: "lifecycle_state",
};

function at(loc: SourceLocation | undefined): DeclaredAt | undefined {
  return loc ? { file: loc.file, line: loc.line, col: loc.col } : undefined;
}

/** Where the plan file declares the value a violation is about (the plan's first line when nothing closer). */
function declaredAt(v: Violation, spec: PlanSpec | undefined, live: LiveState): DeclaredAt | undefined {
  if (!spec) return undefined;
  const stageOf = (subject: string | undefined) =>
    spec.stages.find((st) => {
      if (!subject) return false;
      if (st.ref.kind === "id") return `${st.ref.apiId}:${st.ref.stage}` === subject.split(" ")[0];
      const api = live.restApis.find((a) => a.name === (st.ref as { apiName: string }).apiName);
      return api !== undefined && `${api.id}:${st.ref.stage}` === subject.split(" ")[0];
    });
  switch (v.violation_type) {
    case "stage_added":
    case "stage_removed":
    case "stage_missing":
    case "method_throttle_changed":
      return at(stageOf(v.subject)?.source ?? spec.fieldSources?.stages ?? spec.source);
    case "key_added":
    case "key_removed": {
      const i = spec.keys?.findIndex(
        (k) => k === v.subject || live.apiKeys.find((a) => a.id === v.subject)?.name === k,
      );
      return at(
        (i !== undefined && i >= 0 ? spec.keySources?.[i] : undefined) ??
          spec.fieldSources?.keys ??
          spec.source,
      );
    }
    default: {
      const field = FIELD_OF[v.violation_type];
      return at((field ? spec.fieldSources?.[field] : undefined) ?? spec.source);
    }
  }
}

function subjectOf(r: MasterRecord, now: string): ViolationSubject {
  return {
    plan_id: r.plan_id,
    plan_name: r.name,
    ...(r.api_gateway_id ? { api_gateway_id: r.api_gateway_id } : {}),
    detected_at: now,
  };
}

/** Recorded stages whose REST API or stage no longer exists (or whose API was recreated under a new id). */
function lostStages(input: DriftInput, already: ReadonlySet<string>): Violation[] {
  const out: Violation[] = [];
  const existing = new Set(input.live.existingStages);
  const unread = new Set(input.live.unreadApis ?? []);
  for (const r of input.records) {
    if (r.lifecycle_state === "Archived" || !r.api_gateway_id) continue;
    if (!input.live.plans.some((p) => p.id === r.api_gateway_id)) continue; // plan_deleted says it
    for (const st of r.stages) {
      const key = `${st.api_id}:${st.stage}`;
      if (existing.has(key) || unread.has(st.api_id) || already.has(`${r.plan_id}|stage_missing|${key}`))
        continue;
      const api = input.live.restApis.find((a) => a.id === st.api_id);
      const spec = input.specs.find((s) => s.planId === r.plan_id);
      const byName = spec?.stages.find((s) => s.ref.kind === "name" && s.ref.stage === st.stage);
      const recreated =
        !api && byName?.ref.kind === "name"
          ? input.live.restApis.find((a) => a.name === (byName.ref as { apiName: string }).apiName)
          : undefined;
      const actually = recreated
        ? `REST API recreated as ${recreated.id}: the plan's link to ${key} is lost`
        : api
          ? `stage ${st.stage} of ${api.name} (${api.id}) no longer exists`
          : `REST API ${st.api_id} no longer exists`;
      out.push(
        violation(subjectOf(r, input.now), "stage_missing", "HIGH", "exists", actually, {
          subject: key,
          auto_fixable: recreated !== undefined,
        }),
      );
    }
  }
  return out;
}

/** A stage of a managed plan that a plan upg does not manage now also covers. */
function sharedWithUnmanaged(input: DriftInput): Violation[] {
  const out: Violation[] = [];
  const managedIds = new Set([
    ...input.records.flatMap((r) => (r.api_gateway_id ? [r.api_gateway_id] : [])),
    ...(input.otherPlans ?? []).map((p) => p.id),
  ]);
  const unmanaged = input.live.plans.filter(
    (p) => !managedIds.has(p.id) && p.ownerPlanId === undefined && !p.unread?.includes("tags"),
  );
  for (const r of input.records) {
    if (r.lifecycle_state === "Archived" || !r.api_gateway_id) continue;
    if (!input.live.plans.some((p) => p.id === r.api_gateway_id)) continue; // plan_deleted says it
    for (const st of r.stages) {
      const key = `${st.api_id}:${st.stage}`;
      for (const u of unmanaged) {
        if (!u.settings.stages.some((s) => stageKey(s) === key)) continue;
        out.push(
          violation(
            subjectOf(r, input.now),
            "stage_shared_with_unmanaged_plan",
            "MEDIUM",
            null,
            `${u.id} (${u.settings.name})`,
            {
              subject: key,
              auto_fixable: false,
            },
          ),
        );
      }
    }
  }
  return out;
}

/** True when the plan files ask for something other than what the record says upg applied. */
function edited(planId: string, input: DriftInput): boolean {
  const r = input.records.find((x) => x.plan_id === planId);
  const d = input.plan.desired.find((x) => x.planId === planId);
  if (!r || !d) return true; // a new plan, or a plan file removed
  return (
    !sameValue(recordSettings(r), d.settings) ||
    r.lifecycle_state !== d.lifecycleState ||
    r.tier !== d.tier ||
    r.successor !== d.successor ||
    (d.keys !== undefined && !sameValue(r.keys, d.keys)) ||
    r.keys_declared !== (d.keys !== undefined)
  );
}

/** plan_ids whose plan files ask for something upg has not applied yet. */
export function pendingPlanIds(plan: Plan, records: readonly MasterRecord[]): Set<string> {
  const input = { plan, records } as DriftInput;
  return new Set(plan.changes.filter((c) => edited(c.planId, input)).map((c) => c.planId));
}

function pendingEdits(input: DriftInput): PendingEdit[] {
  return input.plan.changes
    .filter((c) => edited(c.planId, input))
    .map((c) => ({
      plan_id: c.planId,
      change_id: c.id,
      action: c.action,
      resource: c.resource,
      ...(c.reason ? { reason: c.reason } : {}),
    }));
}

const rank = (s: Severity) => SEVERITY_ORDER.indexOf(s);

/** True when `severity` is `threshold` or more severe (the --fail-on test). */
export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return rank(severity) >= rank(threshold);
}

export function buildDriftReport(input: DriftInput): DriftReport {
  const identity = (v: Violation) => `${v.plan_id ?? ""}|${v.violation_type}|${v.subject ?? ""}`;
  const base = [...input.plan.violations];
  const seen = new Set(base.map(identity));
  // A targeted drift check (--target) reads and reports only the targeted plans.
  const targets = new Set(input.plan.targets);
  const inScope = (v: Violation) => targets.size === 0 || (v.plan_id !== undefined && targets.has(v.plan_id));
  for (const v of [...lostStages(input, seen), ...sharedWithUnmanaged(input)]) {
    if (inScope(v) && !seen.has(identity(v))) {
      seen.add(identity(v));
      base.push(v);
    }
  }
  const violations: DriftViolation[] = base
    .map((v) => {
      const where = declaredAt(
        v,
        input.specs.find((s) => s.planId === v.plan_id),
        input.live,
      );
      return where ? { ...v, declared_at: where } : v;
    })
    .sort(
      (a, b) =>
        rank(b.severity) - rank(a.severity) ||
        (a.plan_id ?? "").localeCompare(b.plan_id ?? "") ||
        a.violation_type.localeCompare(b.violation_type) ||
        (a.subject ?? "").localeCompare(b.subject ?? ""),
    );
  const planOf = (id: string | undefined) =>
    id
      ? (input.live.plans.find((p) => p.id === id)?.ownerPlanId ??
        input.records.find((r) => r.api_gateway_id === id)?.plan_id)
      : undefined;
  const notChecked = (input.live.gaps ?? []).map((g) => {
    const planId = planOf(g.planId);
    return { what: g.what, ...(planId ? { plan_id: planId } : {}), reason: g.reason };
  });
  const pending = pendingEdits(input);
  const bySeverity = Object.fromEntries(
    SEVERITY_ORDER.map((s) => [s, violations.filter((v) => v.severity === s).length]),
  ) as Record<Severity, number>;
  return {
    kind: "upg-drift-report",
    format_version: DRIFT_FORMAT_VERSION,
    generated_at: input.now,
    region: input.live.region,
    violations,
    pending,
    not_checked: notChecked,
    summary: {
      violations: violations.length,
      by_severity: bySeverity,
      pending: pending.length,
      not_checked: notChecked.length,
    },
    ...(input.otherPlans && input.otherPlans.length > 0
      ? {
          other_projects: input.otherPlans.map((p) => ({
            api_gateway_id: p.id,
            ...(p.planId ? { plan_id: p.planId } : {}),
            plan_name: p.name,
            project: p.project,
          })),
        }
      : {}),
  };
}

/** The exit code: 2 drift at or above `failOn` (or pending edits with `failOnPending`), 1 a partial read, 0 clean. */
export function driftExitCode(report: DriftReport, failOn: Severity, failOnPending: boolean): number {
  if (report.violations.some((v) => atOrAbove(v.severity, failOn))) return 2;
  if (report.not_checked.length > 0) return 1;
  if (failOnPending && report.pending.length > 0) return 2;
  return 0;
}
