// The heart of upg: (desired plans, master records, live state) -> Plan. Pure: no SDK, no I/O,
// no clock (the time comes in as an argument).
//
// Changes compare the plan files with live API Gateway (what apply must do).
// Violations compare the master record with live API Gateway (what changed outside upg).

import { createHash } from "node:crypto";
import type { Change, FieldChange, Plan, PlanProblem, Violation } from "../model/plan.js";
import { PLAN_FORMAT_VERSION } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import { PROJECT_TAG_KEY } from "../model/spec.js";
import { type DesiredPlan, type LivePlan, type LiveState, stageKey } from "../model/state.js";
import { compareSettings, missingFrom, sameValue } from "./compare.js";
import { recordSettings, sortedUnique } from "./normalise.js";
import { orderChanges } from "./order.js";
import { quotaProblems } from "./quotas.js";
import { type OtherProjectPlan, otherProjectPlans, partitionRecords, projectLabel } from "./scope.js";
import { fieldViolations, type ViolationSubject, violation } from "./violations.js";

export interface PlanInput {
  desired: readonly DesiredPlan[];
  /** Problems found while resolving the plan files (unknown API names, missing stages, …). */
  problems?: readonly PlanProblem[];
  records: readonly MasterRecord[];
  live: LiveState;
  ownershipTagKey: string;
  /** ISO timestamp, used for detected_at and created_at. */
  now: string;
  /** Narrow the plan to these plan_ids (empty: everything). */
  targets?: readonly string[];
  /**
   * Bring live plans upg does not manage under upg when a plan file declares their name (`--adopt`): an
   * `adopt` change tags the plan and writes its master record. Without it such a name is a problem.
   */
  adopt?: boolean;
  /** Delete plans that still have API keys attached (`--allow-key-loss`); without it that is a problem. */
  allowKeyLoss?: boolean;
  /**
   * The project the run belongs to (src/diff/scope.ts). Records and live plans of other projects are never
   * planned; `otherRecords` are records the caller already set aside as another project's (kept for the
   * checks that a plan file does not take their plan_id or name). Absent: a run without a project.
   */
  scope?: { project?: string; otherRecords?: readonly MasterRecord[] };
}

interface PlanContext {
  input: PlanInput;
  /** The config's project (undefined: none). */
  project?: string;
  changes: Change[];
  violations: Violation[];
  problems: PlanProblem[];
  keyNames: Map<string, string | undefined>;
}

interface Subject {
  planId: string;
  d?: DesiredPlan;
  r?: MasterRecord;
  l?: LivePlan;
  /** The live plan is an unmanaged one this plan adopts (matched by name, with --adopt). */
  adopting?: boolean;
}

function keyChange(
  ctx: PlanContext,
  s: Subject,
  action: "attach" | "detach",
  keyId: string,
  reason: string,
): Change {
  const name = ctx.keyNames.get(keyId);
  return {
    id: `${action}-key:${s.planId}:${keyId}`,
    action,
    resource: "key",
    planId: s.planId,
    ...(s.l ? { apiGatewayId: s.l.id } : {}),
    keyId,
    ...(name !== undefined ? { keyName: name } : {}),
    reason,
  };
}

/**
 * The keys a Deprecated plan may keep: those it had when it was deprecated. While the record is not
 * Deprecated yet (this apply deprecates it), every key attached now is one of them.
 */
function keysAtDeprecation(s: Subject): readonly string[] | undefined {
  if (s.d?.lifecycleState !== "Deprecated") return undefined;
  return s.r?.lifecycle_state === "Deprecated" ? s.r.keys : (s.l?.keys ?? s.r?.keys ?? []);
}

/** The keys the record should hold after apply. */
function expectedKeys(s: Subject): string[] {
  if (s.d?.lifecycleState === "Archived") return [];
  if (s.d?.keys) return s.d.keys;
  if (s.l?.unread?.includes("keys")) return s.r?.keys ?? [];
  if (s.l) {
    // Observed keys an earlier apply still owes the plan (a restore that failed or was cut short) stay
    // recorded until they are attached: a crash never makes upg forget a key.
    const keys = sortedUnique([...s.l.keys, ...(s.r?.pending_keys ?? [])]);
    const allowed = keysAtDeprecation(s);
    return allowed ? keys.filter((k) => allowed.includes(k)) : keys;
  }
  return s.r?.keys ?? [];
}

function recordIsCurrent(s: Subject): boolean {
  const { d, r, l } = s;
  if (!r || !d) return false;
  const wantId = d.lifecycleState === "Archived" ? undefined : l?.id;
  return (
    sameValue(recordSettings(r), d.settings) &&
    sameValue(r.keys, expectedKeys(s)) &&
    r.keys_declared === (d.keys !== undefined) &&
    (r.pending_keys ?? []).length === 0 &&
    r.api_gateway_id === wantId &&
    r.lifecycle_state === d.lifecycleState &&
    r.tier === d.tier &&
    r.successor === d.successor &&
    r.project === d.project
  );
}

function detectDrift(ctx: PlanContext, s: Subject, subject: ViolationSubject): void {
  const { r, l } = s;
  if (!r) return;
  if (r.lifecycle_state === "Archived") {
    if (l) ctx.violations.push(violation(subject, "archived_plan_present", "MEDIUM", "absent", "present"));
    return;
  }
  if (!l) {
    // Archiving a plan, or removing its file, asks for it to be gone.
    const beingArchived = s.d === undefined || s.d.lifecycleState === "Archived";
    // A plan whose tags could not be read may be this one: not known to be deleted (drift lists the gap).
    const unknownOwner = ctx.input.live.plans.some((p) => p.unread?.includes("tags"));
    if (r.api_gateway_id && !beingArchived && !unknownOwner) {
      ctx.violations.push(violation(subject, "plan_deleted", "CRITICAL", "present", "deleted"));
    }
    return;
  }
  ctx.violations.push(...fieldViolations(subject, compareSettings(recordSettings(r), l.settings)));
  if (l.unread?.includes("keys")) return;
  const added = missingFrom(l.keys, r.keys);
  const removed = missingFrom(r.keys, l.keys);
  const deprecated = r.lifecycle_state === "Deprecated";
  for (const k of added) {
    const type = deprecated ? "key_joined_deprecated_plan" : "key_added";
    if (deprecated || r.keys_declared) {
      ctx.violations.push(violation(subject, type, deprecated ? "HIGH" : "MEDIUM", null, k, { subject: k }));
    }
  }
  if (r.keys_declared) {
    for (const k of removed)
      ctx.violations.push(violation(subject, "key_removed", "MEDIUM", k, null, { subject: k }));
  }
}

function planCreate(ctx: PlanContext, s: Subject, d: DesiredPlan): void {
  const recreate = s.r?.api_gateway_id !== undefined;
  ctx.changes.push({
    id: `${recreate ? "recreate" : "create"}:${s.planId}`,
    action: recreate ? "recreate" : "create",
    resource: "plan",
    planId: s.planId,
    desired: d,
    ...(s.r ? { record: s.r } : {}),
    reason: recreate
      ? `deleted outside upg (was ${s.r!.api_gateway_id}); recreate from the master record`
      : "new plan",
  });
  const keys = d.keys ?? s.r?.keys ?? [];
  const why = d.keys ? "declared in the plan file" : "restore the keys last recorded";
  for (const k of keys) ctx.changes.push(keyChange(ctx, s, "attach", k, why));
}

function ownershipField(ctx: PlanContext, s: Subject, l: LivePlan): FieldChange[] {
  if (s.adopting) return [];
  const out: FieldChange[] = [];
  if (l.ownerPlanId !== s.planId) {
    out.push({
      field: `tags[${ctx.input.ownershipTagKey}]`,
      ...(l.ownerPlanId ? { before: l.ownerPlanId } : {}),
      after: s.planId,
    });
  }
  // The project tag (a plan a project-less install made, claimed by this project's plan files).
  if (ctx.project !== undefined && l.project !== ctx.project) {
    out.push({
      field: `tags[${PROJECT_TAG_KEY}]`,
      ...(l.project ? { before: l.project } : {}),
      after: ctx.project,
    });
  }
  return out;
}

/** Annotate each changed field: did the plan file change, or did someone change API Gateway? */
function updateReason(s: Subject, declaredFields: readonly FieldChange[]): string {
  let fields = declaredFields;
  if (s.adopting) return "adopted: the plan file's settings differ from the live plan";
  const projectTag = `tags[${PROJECT_TAG_KEY}]`;
  if (fields.length === 1 && fields[0]!.field === projectTag)
    return `move into project ${String(fields[0]!.after)}: tag it ${PROJECT_TAG_KEY}=${String(fields[0]!.after)} and write the project into its master record; no setting changes`;
  if (!s.r) return "bring the existing plan under upg";
  const rec = recordSettings(s.r);
  const drifted = compareSettings(rec, s.l!.settings).map((f) => f.field);
  fields = fields.filter((f) => f.field !== projectTag);
  const fromDrift = fields.filter((f) => drifted.includes(f.field)).length;
  if (fromDrift === fields.length) return "changed outside upg: restore the declared settings";
  if (fromDrift === 0) return "plan file changed";
  return "plan file changed, and changed outside upg";
}

function planKeys(ctx: PlanContext, s: Subject, d: DesiredPlan, l: LivePlan): void {
  if (l.unread?.includes("keys")) return;
  const allowed = keysAtDeprecation(s);
  if (d.keys) {
    for (const k of missingFrom(d.keys, l.keys)) {
      if (allowed && !allowed.includes(k)) {
        ctx.problems.push({
          code: "key_joins_deprecated",
          planId: s.planId,
          message: `API key ${ctx.keyNames.get(k) ?? k} cannot join ${s.planId}: the plan is Deprecated (no new key may join${d.successor ? `; use ${d.successor}` : ""}).`,
          ...(d.source ? { file: d.source.file, line: d.source.line, col: d.source.col } : {}),
        });
        continue;
      }
      ctx.changes.push(keyChange(ctx, s, "attach", k, "declared in the plan file"));
    }
    for (const k of missingFrom(l.keys, d.keys))
      ctx.changes.push(keyChange(ctx, s, "detach", k, "not declared in the plan file"));
    return;
  }
  for (const k of missingFrom(l.keys, allowed ?? l.keys)) {
    ctx.changes.push(keyChange(ctx, s, "detach", k, "joined a Deprecated plan; no new key may join"));
  }
  for (const k of missingFrom(s.r?.pending_keys ?? [], l.keys)) {
    ctx.changes.push(keyChange(ctx, s, "attach", k, "restore: an earlier apply could not attach it"));
  }
}

/** Remove a live plan from API Gateway; its master record stays (Archived). */
function deleteChange(ctx: PlanContext, s: Subject, l: LivePlan, reason: string): Change {
  const lost = l.keys.map((id) => {
    const name = ctx.keyNames.get(id);
    return name !== undefined ? { id, name } : { id };
  });
  return {
    id: `delete:${s.planId}`,
    action: "delete",
    resource: "plan",
    planId: s.planId,
    apiGatewayId: l.id,
    live: l.settings,
    ...(s.d ? { desired: s.d } : {}),
    ...(s.r ? { record: s.r } : {}),
    ...(lost.length > 0 ? { lostKeys: lost } : {}),
    reason,
  };
}

/**
 * Delete protection: a plan declared `deletion_protection: true` is never deleted; one with API keys attached
 * only with --allow-key-loss or `deletion_protection: false`. Returns false when the delete must not run.
 */
function deletionAllowed(ctx: PlanContext, s: Subject, l: LivePlan, how: string): boolean {
  const protection = s.d?.deletionProtection ?? s.r?.deletion_protection;
  const src = s.d?.source;
  const where = src ? { file: src.file, line: src.line, col: src.col } : {};
  if (protection === true) {
    ctx.problems.push({
      code: "deletion_protected",
      planId: s.planId,
      subject: l.id,
      ...where,
      message: `${s.planId} (${l.id}) has deletion_protection: true, so upg does not delete it (${how}). Set deletion_protection: false in its plan file and apply that first, or restore the plan file.`,
    });
    return false;
  }
  const unread = l.unread?.includes("keys") === true;
  if ((l.keys.length === 0 && !unread) || protection === false || ctx.input.allowKeyLoss) return true;
  const names = l.keys.map((k) => ctx.keyNames.get(k) ?? k);
  ctx.problems.push({
    code: "delete_would_drop_keys",
    planId: s.planId,
    subject: l.id,
    ...where,
    message: unread
      ? `${s.planId} (${l.id}) would be deleted (${how}), but its API keys could not be read; pass --allow-key-loss to delete it anyway.`
      : `${s.planId} (${l.id}) would be deleted (${how}) and ${names.length === 1 ? "1 API key loses" : `${names.length} API keys lose`} access: ${names.join(", ")}. Move the keys to another plan first, or pass --allow-key-loss (or set deletion_protection: false in the plan file).`,
  });
  return true;
}

function planDeclared(ctx: PlanContext, s: Subject, d: DesiredPlan): void {
  const { l } = s;
  if (d.lifecycleState === "Archived") {
    if (l && deletionAllowed(ctx, s, l, "its plan file says Archived"))
      ctx.changes.push(
        deleteChange(ctx, s, l, "lifecycle_state is Archived: remove from API Gateway, keep the record"),
      );
    return;
  }
  if (!l) {
    planCreate(ctx, s, d);
    return;
  }
  if (s.adopting) {
    ctx.changes.push({
      id: `adopt:${s.planId}`,
      action: "adopt",
      resource: "plan",
      planId: s.planId,
      apiGatewayId: l.id,
      live: l.settings,
      desired: d,
      keys: [...l.keys],
      fields: ownershipField(ctx, { ...s, adopting: false }, l),
      reason: `bring the live plan ${JSON.stringify(l.settings.name)} under upg: tag it and write its master record; no setting changes`,
    });
  }
  const fields = [...compareSettings(l.settings, d.settings), ...ownershipField(ctx, s, l)];
  if (fields.length > 0) {
    ctx.changes.push({
      id: `update:${s.planId}`,
      action: "update",
      resource: "plan",
      planId: s.planId,
      apiGatewayId: l.id,
      fields,
      live: l.settings,
      desired: d,
      ...(s.r ? { record: s.r } : {}),
      reason: updateReason(s, fields),
    });
  }
  planKeys(ctx, s, d, l);
}

function planUndeclared(ctx: PlanContext, s: Subject): void {
  const { r, l } = s;
  if (!r || r.lifecycle_state === "Archived") return;
  if (l) {
    if (deletionAllowed(ctx, s, l, "no plan file declares it any more"))
      ctx.changes.push(deleteChange(ctx, s, l, "no plan file declares it any more"));
    return;
  }
  // Gone from API Gateway and from the plan files: record it as deleted (Archived), or it would be reported
  // as deleted on every run.
  ctx.changes.push({
    id: `sync:${s.planId}`,
    action: "sync",
    resource: "record",
    planId: s.planId,
    record: r,
    keys: [],
    reason: "no plan file declares it and it is gone from API Gateway: record it as archived",
  });
}

function planRecordSync(ctx: PlanContext, s: Subject): void {
  if (!s.d || recordIsCurrent(s)) return;
  // A protected plan whose file says Archived stays as it is, record included, until the problem is fixed.
  if (ctx.problems.some((p) => p.planId === s.planId && p.code === "deletion_protected")) return;
  if (ctx.changes.some((c) => c.planId === s.planId)) return; // apply writes the record anyway
  ctx.changes.push({
    id: `sync:${s.planId}`,
    action: "sync",
    resource: "record",
    planId: s.planId,
    ...(s.l ? { apiGatewayId: s.l.id } : {}),
    desired: s.d,
    ...(s.r ? { record: s.r } : {}),
    keys: expectedKeys(s),
    reason: s.r ? "master record out of date" : "no master record yet",
  });
}

function stageMissingViolations(ctx: PlanContext): void {
  for (const p of ctx.problems) {
    if (p.code !== "stage_missing") continue;
    const d = ctx.input.desired.find((x) => x.planId === p.planId);
    const subject: ViolationSubject = {
      plan_id: p.planId,
      detected_at: ctx.input.now,
      ...(d ? { plan_name: d.settings.name } : {}),
    };
    ctx.violations.push(
      violation(subject, "stage_missing", "HIGH", "exists", "missing", {
        ...(p.subject ? { subject: p.subject } : {}),
        auto_fixable: false,
      }),
    );
  }
}

/** After the planned changes, no API key may be in two plans that cover the same stage. */
function keyStageConflicts(ctx: PlanContext, subjects: readonly Subject[], live: LiveState): void {
  const finalKeys = new Map<string, Set<string>>();
  const finalStages = new Map<string, string[]>();
  const byPlanId = new Map(subjects.map((s) => [s.planId, s]));
  const ref = (planId: string, liveId?: string) => liveId ?? `new:${planId}`;
  for (const lp of live.plans) {
    finalKeys.set(lp.id, new Set(lp.keys));
    finalStages.set(lp.id, lp.settings.stages.map(stageKey));
  }
  for (const c of ctx.changes) {
    const s = byPlanId.get(c.planId);
    const id = ref(c.planId, s?.l?.id);
    if (c.resource === "plan" && c.action === "delete") {
      finalKeys.delete(id);
      finalStages.delete(id);
    } else if (c.resource === "plan" && c.desired) {
      finalStages.set(id, c.desired.settings.stages.map(stageKey));
      if (!finalKeys.has(id)) finalKeys.set(id, new Set());
    } else if (c.resource === "key" && c.keyId) {
      const set = finalKeys.get(id) ?? new Set<string>();
      if (c.action === "attach") set.add(c.keyId);
      else set.delete(c.keyId);
      finalKeys.set(id, set);
    }
  }
  // Every key of every plan this plan changes (new keys, and old keys on newly added stages).
  const reported = new Set<string>();
  const changed = [...new Set(ctx.changes.filter((c) => c.action !== "delete").map((c) => c.planId))];
  for (const planId of changed) {
    const id = ref(planId, byPlanId.get(planId)?.l?.id);
    for (const keyId of finalKeys.get(id) ?? []) {
      for (const st of finalStages.get(id) ?? []) {
        for (const [otherId, keys] of finalKeys) {
          if (otherId === id || !keys.has(keyId) || !(finalStages.get(otherId) ?? []).includes(st)) continue;
          const tag = [keyId, st, ...[id, otherId].sort()].join("|");
          if (reported.has(tag)) continue;
          reported.add(tag);
          const other = live.plans.find((p) => p.id === otherId);
          const otherName = other?.ownerPlanId ?? (otherId.startsWith("new:") ? otherId.slice(4) : otherId);
          const src = byPlanId.get(planId)?.d?.source;
          ctx.problems.push({
            code: "key_stage_conflict",
            planId,
            ...(src ? { file: src.file, line: src.line, col: src.col } : {}),
            message: `API key ${ctx.keyNames.get(keyId) ?? keyId} would be in ${planId} and in plan ${otherName}${other ? ` (${other.settings.name})` : ""}, which both cover stage ${st}; AWS allows a key in one plan per stage. Remove the key or the stage from one of them.`,
          });
        }
      }
    }
  }
}

function hash(value: unknown): string {
  return createHash("sha256").update(JSON.stringify(value)).digest("hex");
}

function liveFingerprint(subjects: readonly Subject[], live: LiveState): string {
  const plans = subjects
    .filter((s) => s.l)
    .map((s) => ({ planId: s.planId, id: s.l!.id, settings: s.l!.settings, keys: s.l!.keys }));
  return hash({ plans, stages: live.existingStages });
}

/**
 * The live plan of a plan_id: the one its record names, else one carrying its ownership tag (never by name or
 * position). `skip` excludes plans already matched to another plan_id.
 */
export function findLivePlan(
  plans: readonly LivePlan[],
  planId: string,
  recordId: string | undefined,
  skip: ReadonlySet<string> = new Set(),
  byId: ReadonlyMap<string, LivePlan> = new Map(plans.map((p) => [p.id, p])),
): LivePlan | undefined {
  const byRecord = recordId ? byId.get(recordId) : undefined;
  return byRecord ?? plans.find((p) => p.ownerPlanId === planId && !skip.has(p.id));
}

/**
 * A declared plan with no live plan of its own, whose name a live plan upg does not manage carries: with
 * --adopt that plan becomes its live plan (one only); otherwise the name collision is a problem, never a
 * silent second plan with the same name.
 */
function matchUnmanagedByName(
  ctx: PlanContext,
  d: DesiredPlan,
  used: ReadonlySet<string>,
  recordIds: ReadonlySet<string>,
): LivePlan | undefined {
  if (d.lifecycleState === "Archived") return undefined;
  const same = ctx.input.live.plans.filter(
    (p) =>
      p.settings.name === d.settings.name &&
      p.ownerPlanId === undefined &&
      !p.unread?.includes("tags") &&
      !used.has(p.id) &&
      !recordIds.has(p.id),
  );
  if (same.length === 0) return undefined;
  if (ctx.input.adopt && same.length === 1) return same[0];
  const ids = same.map((p) => p.id).join(", ");
  const src = d.source;
  ctx.problems.push({
    code: "name_matches_unmanaged_plan",
    planId: d.planId,
    subject: ids,
    ...(src ? { file: src.file, line: src.line, col: src.col } : {}),
    message:
      same.length === 1
        ? `the name ${JSON.stringify(d.settings.name)} is already used by live plan ${ids}, which upg does not manage; applying would create a second plan with that name. Adopt it (\`upg plan --adopt\`, \`upg apply --adopt\`: tag it and write its record, no setting changes), or write its plan file with \`upg import --id ${ids}\`, or rename this plan.`
        : `the name ${JSON.stringify(d.settings.name)} is used by ${same.length} live plans upg does not manage (${ids}); upg cannot tell which to adopt. Rename or remove all but one in API Gateway, then adopt it (\`--adopt\`) or import it (\`upg import --id ID\`); or rename this plan.`,
  });
  return undefined;
}

/**
 * A declared plan whose plan_id or name another project owns (a record, or a live plan tagged for it): a
 * problem, and the plan is not planned at all (never a second plan, never a takeover).
 */
function otherProjectProblem(
  ctx: PlanContext,
  d: DesiredPlan,
  others: readonly MasterRecord[],
  otherPlans: readonly OtherProjectPlan[],
): boolean {
  const record = others.find((r) => r.plan_id === d.planId);
  const byId = otherPlans.find((p) => p.planId === d.planId);
  const byName = otherPlans.find((p) => p.name === d.settings.name);
  if (!record && !byId && !byName) return false;
  const owner = record ? (record.project ?? null) : (byId ?? byName)!.project;
  const live = byId ?? byName;
  const what = record || byId ? `plan_id ${d.planId}` : `name ${JSON.stringify(d.settings.name)}`;
  const where = live ? ` (usage plan ${live.id}${live.name ? ` ${JSON.stringify(live.name)}` : ""})` : "";
  const src = d.source;
  ctx.problems.push({
    code: "owned_by_other_project",
    planId: d.planId,
    ...(live ? { subject: live.id } : {}),
    ...(src ? { file: src.file, line: src.line, col: src.col } : {}),
    message: `the ${what} is owned by ${projectLabel(owner)}${where}; upg never changes, deletes or duplicates another project's plans. Give this plan a plan_id and name of its own, or remove its file.`,
  });
  return true;
}

export function buildPlan(input: PlanInput): Plan {
  const targets = input.targets ?? [];
  const inScope = (id: string) => targets.length === 0 || targets.includes(id);
  const project = input.scope?.project;
  const ctx: PlanContext = {
    input,
    ...(project !== undefined ? { project } : {}),
    changes: [],
    violations: [],
    problems: (input.problems ?? []).filter((p) => inScope(p.planId)),
    keyNames: new Map(input.live.apiKeys.map((k) => [k.id, k.name])),
  };
  // The run's project: the records and live plans it may plan (src/diff/scope.ts).
  const desiredPlans =
    project === undefined ? input.desired : input.desired.map((d): DesiredPlan => ({ ...d, project }));
  const declared = new Set(desiredPlans.map((d) => d.planId));
  const allRecords = [...input.records, ...(input.scope?.otherRecords ?? [])];
  const { mine, others } = partitionRecords(allRecords, {
    ...(project !== undefined ? { project } : {}),
    declared,
  });
  const otherPlans = otherProjectPlans(
    input.live.plans,
    { ...(project !== undefined ? { project } : {}), declared },
    mine,
    others,
  );
  const otherIds = new Set(otherPlans.map((p) => p.id));
  const ownPlans = input.live.plans.filter((p) => !otherIds.has(p.id));
  const liveById = new Map(ownPlans.map((p) => [p.id, p]));
  const desiredById = new Map(desiredPlans.map((d) => [d.planId, d]));
  const recordById = new Map(mine.map((r) => [r.plan_id, r]));
  const planIds = sortedUnique([...desiredById.keys(), ...recordById.keys()]).filter(inScope);
  const used = new Set<string>();
  const recordIds = new Set(allRecords.flatMap((r) => (r.api_gateway_id ? [r.api_gateway_id] : [])));
  const subjects: Subject[] = [];
  for (const planId of planIds) {
    const d = desiredById.get(planId);
    const r = recordById.get(planId);
    if (d && !r && otherProjectProblem(ctx, d, others, otherPlans)) continue;
    const own = findLivePlan(ownPlans, planId, r?.api_gateway_id, used, liveById);
    const adopted = !own && d ? matchUnmanagedByName(ctx, d, used, recordIds) : undefined;
    const l = own ?? adopted;
    if (l) used.add(l.id);
    const s: Subject = {
      planId,
      ...(d ? { d } : {}),
      ...(r ? { r } : {}),
      ...(l ? { l } : {}),
      ...(adopted ? { adopting: true } : {}),
    };
    subjects.push(s);
    const subject: ViolationSubject = {
      plan_id: planId,
      detected_at: input.now,
      ...(d || r ? { plan_name: d?.settings.name ?? r!.name } : {}),
      ...((l?.id ?? r?.api_gateway_id) ? { api_gateway_id: l?.id ?? r!.api_gateway_id! } : {}),
    };
    detectDrift(ctx, s, subject);
    if (d && !l && ctx.problems.some((p) => p.planId === planId && p.code === "name_matches_unmanaged_plan"))
      continue; // never a second plan with the same name
    if (d) planDeclared(ctx, s, d);
    else planUndeclared(ctx, s);
    planRecordSync(ctx, s);
  }
  if (targets.length === 0) {
    for (const p of input.live.plans) {
      if (used.has(p.id) || otherIds.has(p.id) || p.unread?.includes("tags")) continue;
      const subject: ViolationSubject = {
        detected_at: input.now,
        plan_name: p.settings.name,
        api_gateway_id: p.id,
        ...(p.ownerPlanId ? { plan_id: p.ownerPlanId } : {}),
      };
      const why = p.ownerPlanId
        ? `tagged for ${p.ownerPlanId}, which no plan file or record declares`
        : "not managed by upg";
      ctx.violations.push(
        violation(subject, "unmanaged_plan_found", "LOW", null, why, { subject: p.id, auto_fixable: false }),
      );
    }
  }
  stageMissingViolations(ctx);
  keyStageConflicts(ctx, subjects, input.live);
  // Another project's plans count against the account's quotas like plans upg does not manage.
  const quotaLive = {
    ...input.live,
    plans: input.live.plans.map((p) => {
      if (!otherIds.has(p.id)) return p;
      const { ownerPlanId: _other, ...rest } = p;
      return rest;
    }),
  };
  ctx.problems.push(
    ...quotaProblems({ desired: desiredPlans, records: mine, live: quotaLive }).filter((p) =>
      inScope(p.planId),
    ),
  );
  return {
    format_version: PLAN_FORMAT_VERSION,
    created_at: input.now,
    region: input.live.region,
    targets: [...targets],
    changes: orderChanges(ctx.changes),
    desired: desiredPlans.filter((d) => ctx.changes.some((c) => c.planId === d.planId)),
    live_keys: Object.fromEntries(
      subjects
        .filter((s) => ctx.changes.some((c) => c.planId === s.planId))
        .map((s) => [s.planId, s.l?.keys ?? []]),
    ),
    violations: ctx.violations,
    problems: ctx.problems,
    fingerprint: {
      live: liveFingerprint(subjects, input.live),
      records: Object.fromEntries(planIds.map((id) => [id, recordById.get(id)?.version ?? 0])),
    },
  };
}

/** True when the plan would change nothing in API Gateway or DynamoDB. */
export function planIsEmpty(plan: Plan): boolean {
  return plan.changes.length === 0;
}
