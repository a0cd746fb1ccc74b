// Runs a Plan through API Gateway (src/live) and DynamoDB (src/store), with the master record of each
// change's plan as its journal:
//
//   1. fence      this run still holds the apply lock (else: stop, write nothing more); the lock is a lease
//                 renewed in the background (src/apply/lease.ts), so a fence is a DynamoDB call only when
//                 the last renewal is too old
//   2. intent     the record gets `pending` (the change, what the plan must end with), conditionally
//   3. the call   API Gateway (nothing for a record-only change)
//   4. fence
//   5. audit      one row, with the ids AWS returned (rows of changes finishing together go in one batch)
//   6. complete   the record moves forward (src/diff/records.ts) and `pending` is cleared, conditionally
//
// A plan's consecutive key changes are one group: one intent naming them all, the calls, their rows, one
// completion. Phases of the order table run one after another; within a phase, the plans' changes run side by
// side (src/apply/schedule.ts), each plan's in order, so each record is only ever written by one change at a
// time. A run stopped between any two steps leaves `pending` behind; the next run rolls it forward from live
// state (src/diff/recover.ts) before it plans. Every change ends ok, failed or skipped; a signal lets the
// changes in flight finish and starts no other.

import { CallNotSent } from "../abort.js";
import { nextRecord, type RecordStep, recordAfterStep } from "../diff/records.js";
import { pendingFor } from "../diff/recover.js";
import { errorMessage } from "../errors.js";
import { buildPatchOps } from "../live/patch.js";
import type { LiveGateway } from "../live/types.js";
import type { ApplyResult, Change, ChangeResult, Plan } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import { PROJECT_TAG_KEY } from "../model/spec.js";
import { type DesiredPlan, stageKey } from "../model/state.js";
import type { AuditEntry, Store } from "../store/index.js";
import { AuditQueue, inPool, phaseLanes } from "./schedule.js";

export type RunEvent =
  | { type: "change-started"; change: Change }
  | { type: "change-done"; change: Change; result: ChangeResult }
  | { type: "stopping"; reason: string };

export interface ApplyDeps {
  live: LiveGateway;
  store: Store;
  clock: () => Date;
  actor: string;
  runId: string;
  ownershipTagKey: string;
  /** Progress, as it happens (the CLI prints it; logic never does). */
  onEvent?: (event: RunEvent) => void;
  /** Fencing: throws when this run no longer holds the apply lock. Called before every write. */
  fence?: () => Promise<void>;
  /** Aborted: start no new change (the one in flight finishes and is recorded). */
  signal?: AbortSignal;
  /** Written on every audit row of the run when set, e.g. `auto-fix`. */
  trigger?: string;
  /** How many plans' changes run at once within one phase of the order table (default 8). */
  concurrency?: number;
}

export const DEFAULT_CONCURRENCY = 8;

interface RunState {
  /** API Gateway id per plan_id, as it is after the changes run so far. */
  ids: Map<string, string | undefined>;
  /** Keys attached per plan_id, as they are after the changes run so far. */
  keys: Map<string, Set<string>>;
  /** plan_ids whose plan-level change failed, and which change it was. */
  planFailures: Map<string, Change["action"]>;
  /** Keys whose detach failed: attaching them elsewhere would conflict on a shared stage. */
  stuckKeys: Set<string>;
  /** Master records as written so far (the version each next write is conditional on). */
  records: Map<string, MasterRecord>;
}

function tagDelta(change: Change): { set: Record<string, string>; remove: string[] } {
  const set: Record<string, string> = {};
  const remove: string[] = [];
  for (const f of change.fields ?? []) {
    const m = /^tags\[(.+)\]$/.exec(f.field);
    if (!m) continue;
    if (f.after === undefined) remove.push(m[1]!);
    else set[m[1]!] = String(f.after);
  }
  return { set, remove };
}

/**
 * Changes of upg cleanup that act on the live plan they name (not on the plan_id's current plan) and leave the
 * master record's settings alone: the record is their journal, and one the intent had to create goes with it.
 */
export function journalOnly(c: Pick<Change, "action" | "resource">): boolean {
  return (c.resource === "plan" && c.action === "remove") || c.resource === "stage";
}

/** The `upg:project` tag of a plan a project's run creates or adopts. */
function projectTag(d: DesiredPlan | undefined): Record<string, string> {
  return d?.project !== undefined ? { [PROJECT_TAG_KEY]: d.project } : {};
}

async function runPlanChange(c: Change, deps: ApplyDeps, st: RunState): Promise<string | undefined> {
  const id = st.ids.get(c.planId) ?? c.apiGatewayId;
  switch (c.action) {
    case "remove":
      // One UpdateUsagePlan detaching every stage, then DeleteUsagePlan (AWS refuses while stages are attached).
      await deps.live.deletePlan(c.apiGatewayId!, (c.live?.stages ?? []).map(stageKey));
      return undefined;
    case "create":
    case "recreate": {
      const d = c.desired!;
      const newId = await deps.live.createPlan(d.settings, {
        ...d.settings.tags,
        [deps.ownershipTagKey]: c.planId,
        ...projectTag(d),
      });
      st.ids.set(c.planId, newId);
      st.keys.set(c.planId, new Set());
      return newId;
    }
    case "adopt":
      // Only the ownership tag: adopting changes no setting (an update after it does, when the file asks).
      await deps.live.tagPlan(id!, { [deps.ownershipTagKey]: c.planId, ...projectTag(c.desired) });
      return id;
    case "update": {
      await deps.live.updatePlan(id!, buildPatchOps(c.live!, c.desired!.settings));
      const tags = tagDelta(c);
      if (Object.keys(tags.set).length > 0) await deps.live.tagPlan(id!, tags.set);
      if (tags.remove.length > 0) await deps.live.untagPlan(id!, tags.remove);
      return id;
    }
    case "delete": {
      await deps.live.deletePlan(id!, (c.live?.stages ?? []).map(stageKey));
      st.ids.set(c.planId, undefined);
      st.keys.set(c.planId, new Set());
      return undefined;
    }
    default:
      return id;
  }
}

async function runKeyChange(c: Change, id: string, deps: ApplyDeps, st: RunState): Promise<void> {
  if (c.action === "attach") await deps.live.attachKey(id, c.keyId!);
  else await deps.live.detachKey(id, c.keyId!);
  const keys = st.keys.get(c.planId) ?? new Set();
  if (c.action === "attach") keys.add(c.keyId!);
  else keys.delete(c.keyId!);
  st.keys.set(c.planId, keys);
}

function resultBase(c: Change) {
  return { changeId: c.id, action: c.action, resource: c.resource, planId: c.planId };
}

/** Why a change cannot run at all (an earlier change it depends on failed), or undefined. */
function blockedBy(c: Change, st: RunState): string | undefined {
  if (c.resource !== "key") return undefined;
  const id = st.ids.get(c.planId) ?? c.apiGatewayId;
  if (!id) return "skipped: an earlier change it depends on failed";
  if (c.action === "attach" && st.stuckKeys.has(c.keyId!))
    return "skipped: its detach from another plan failed (AWS allows a key in one plan per stage)";
  return undefined;
}

/**
 * A delete detaches the plan's stages (one UpdateUsagePlan) before DeleteUsagePlan: when DeleteUsagePlan itself
 * failed (every call error names its operation), the stages are gone already and the plan is still there.
 */
function halfDone(c: Change, err: unknown): string {
  if (c.resource !== "plan" || (c.action !== "delete" && c.action !== "remove")) return "";
  const stages = (c.live?.stages ?? []).map(stageKey);
  if (stages.length === 0 || !/\bDeleteUsagePlan\b/.test(errorMessage(err))) return "";
  return ` (its ${stages.length === 1 ? "stage" : "stages"} ${stages.join(", ")} ${stages.length === 1 ? "was" : "were"} detached first; the plan itself is still there)`;
}

/** The operation a change sends first (every gateway write method starts with a write of its own). */
function firstOperation(c: Change): string {
  if (c.resource === "stage") return "UpdateUsagePlan";
  switch (c.action) {
    case "create":
    case "recreate":
      return "CreateUsagePlan";
    case "adopt":
      return "TagResource";
    case "delete":
    case "remove":
      return (c.live?.stages ?? []).length > 0 ? "UpdateUsagePlan" : "DeleteUsagePlan";
    case "attach":
      return "CreateUsagePlanKey";
    case "detach":
      return "DeleteUsagePlanKey";
    default:
      return "UpdateUsagePlan";
  }
}

/** The gateway as one change sees it: how many of its methods the change has called so far. */
function counted(live: LiveGateway): { live: LiveGateway; calls: () => number } {
  let n = 0;
  const wrapped = new Proxy(live, {
    get(obj, prop, recv) {
      const value = Reflect.get(obj, prop, recv);
      if (typeof value !== "function" || prop === "callCounts") return value;
      return (...args: unknown[]) => {
        n++;
        return value.apply(obj, args);
      };
    },
  });
  return { live: wrapped, calls: () => n };
}

/** The API call(s) of one change. Never throws: a failure is the result. */
async function runChange(c: Change, runDeps: ApplyDeps, st: RunState): Promise<ChangeResult> {
  const base = resultBase(c);
  if (c.resource === "record") return { ...base, outcome: "ok" };
  // Other changes run at the same time, so the gateway's own call counters cannot tell whether this change
  // sent anything: the change counts its own calls. The pacer throws CallNotSent only when nothing of that
  // operation was sent (a stop after a 5xx or a timeout rethrows that error instead).
  const own = counted(runDeps.live);
  const deps = { ...runDeps, live: own.live };
  try {
    if (c.resource === "stage") {
      await deps.live.updatePlan(c.apiGatewayId!, [{ op: "remove", path: "/apiStages", value: c.stage! }]);
      return { ...base, outcome: "ok", apiGatewayId: c.apiGatewayId! };
    }
    if (c.resource === "key") {
      const id = (st.ids.get(c.planId) ?? c.apiGatewayId)!;
      await runKeyChange(c, id, deps, st);
      return { ...base, outcome: "ok", apiGatewayId: id };
    }
    const newId = await runPlanChange(c, deps, st);
    return {
      ...base,
      outcome: "ok",
      ...(newId ? { apiGatewayId: newId } : {}),
      ...(c.action === "recreate" && c.record?.api_gateway_id
        ? { previousApiGatewayId: c.record.api_gateway_id }
        : {}),
    };
  } catch (err) {
    // Stopped before its first call was sent: the change did not happen at all.
    if (err instanceof CallNotSent && own.calls() === 1 && err.operation === firstOperation(c))
      return { ...base, outcome: "skipped", error: `not run: ${err.message}` };
    if (c.resource === "plan") st.planFailures.set(c.planId, c.action);
    if (c.resource === "key" && c.action === "detach") st.stuckKeys.add(c.keyId!);
    return { ...base, outcome: "failed", error: errorMessage(err) + halfDone(c, err) };
  }
}

function auditBody(c: Change): { before: unknown; after: unknown } {
  if (c.resource === "key") return { before: null, after: { key_id: c.keyId, action: c.action } };
  if (c.resource === "stage") return { before: c.live ?? null, after: { stage: c.stage, action: c.action } };
  // The record removed, as it was: its history stays in the audit log.
  if (c.action === "purge") return { before: c.record ? withoutPending(c.record) : null, after: null };
  return { before: c.live ?? null, after: c.desired?.settings ?? null };
}

function auditEntry(deps: ApplyDeps, c: Change, r: ChangeResult): AuditEntry {
  return {
    at: deps.clock().toISOString(),
    actor: deps.actor,
    run_id: deps.runId,
    plan_id: c.planId,
    action: `${c.action}-${c.resource}`,
    change_id: c.id,
    outcome: r.outcome === "ok" ? "ok" : "failed",
    ...auditBody(c),
    ...(r.error ? { error: r.error } : {}),
    ...(r.apiGatewayId
      ? { api_gateway_id: r.apiGatewayId }
      : c.apiGatewayId
        ? { api_gateway_id: c.apiGatewayId }
        : {}),
    ...(r.previousApiGatewayId ? { previous_api_gateway_id: r.previousApiGatewayId } : {}),
    ...(c.keyId ? { key_id: c.keyId } : {}),
    ...(deps.trigger ? { trigger: deps.trigger } : {}),
  };
}

/** The plan's changes and declarations by plan_id, built once: no lookup in apply walks the whole plan. */
export interface PlanIndex {
  changes: Map<string, Change[]>;
  desired: Map<string, DesiredPlan>;
  /** The keys each plan_id's attach changes attach, in order. */
  attaches: Map<string, string[]>;
}

export function indexPlan(plan: Plan): PlanIndex {
  const changes = new Map<string, Change[]>();
  const attaches = new Map<string, string[]>();
  for (const c of plan.changes) {
    const list = changes.get(c.planId);
    if (list) list.push(c);
    else changes.set(c.planId, [c]);
    if (c.resource === "key" && c.action === "attach" && c.keyId) {
      const keys = attaches.get(c.planId);
      if (keys) keys.push(c.keyId);
      else attaches.set(c.planId, [c.keyId]);
    }
  }
  const desired = new Map<string, DesiredPlan>();
  for (const d of plan.desired) if (!desired.has(d.planId)) desired.set(d.planId, d);
  return { changes, desired, attaches };
}

/** The keys a create/recreate's attach changes restore after it. */
function restoreKeys(ix: PlanIndex, c: Change): string[] | undefined {
  if (c.action !== "create" && c.action !== "recreate") return undefined;
  return [...(ix.attaches.get(c.planId) ?? [])];
}

function stepOf(
  c: Change,
  r: ChangeResult,
  desired: DesiredPlan | undefined,
  ix: PlanIndex,
  now: string,
  actor: string,
): RecordStep {
  const keys = restoreKeys(ix, c);
  const liveId = r.apiGatewayId ?? c.apiGatewayId;
  return {
    planId: c.planId,
    action: c.action,
    resource: c.resource,
    ok: r.outcome === "ok",
    ...(c.keyId ? { keyId: c.keyId } : {}),
    ...(c.stage ? { stage: c.stage } : {}),
    ...(liveId && c.action !== "delete" && c.action !== "remove" ? { apiGatewayId: liveId } : {}),
    ...(desired ? { desired } : {}),
    ...(keys ? { restoreKeys: keys } : {}),
    ...(c.keys ? { keys: c.keys } : {}),
    now,
    actor,
  };
}

/**
 * After the last change of a plan: the record as the whole plan asks (settings, lifecycle, tier), with the
 * keys attached now, plus attaches that did not happen (observed keys stay pending until restored).
 */
function settle(
  planId: string,
  folded: MasterRecord | undefined,
  ix: PlanIndex,
  st: RunState,
  results: ReadonlyMap<string, ChangeResult>,
  now: string,
  actor: string,
): MasterRecord | undefined {
  if (st.planFailures.has(planId) || !folded) return folded;
  // Cleanup steps fold the record themselves; nothing is declared for them to settle on.
  const own = ix.changes.get(planId) ?? [];
  if (own.some((c) => journalOnly(c) || c.action === "purge")) return folded;
  const desired = ix.desired.get(planId);
  const sync = own.find((c) => c.action === "sync");
  if (sync) return folded; // the sync step itself wrote what the planner asked
  if (folded.lifecycle_state === "Archived" && !desired) return folded;
  const live = st.keys.get(planId) ?? new Set<string>();
  const keys = new Set(live);
  const pending = new Set<string>();
  for (const c of own) {
    if (c.resource !== "key" || !c.keyId) continue;
    if (results.get(c.id)?.outcome === "ok") continue;
    if (c.action === "attach") {
      keys.add(c.keyId);
      pending.add(c.keyId);
    } else keys.delete(c.keyId);
  }
  const observed = !desired?.keys;
  if (observed) {
    for (const k of folded.pending_keys ?? []) {
      if (live.has(k)) continue;
      keys.add(k);
      pending.add(k);
    }
  }
  const id = st.ids.get(planId) ?? folded.api_gateway_id;
  return nextRecord({
    planId,
    ...(desired ? { desired } : {}),
    prev: folded,
    ...(id ? { apiGatewayId: id } : {}),
    keys: [...keys],
    pendingKeys: observed ? [...pending] : [],
    now,
    actor,
  });
}

/** A record for a plan_id that has none yet: the intent of its first change creates it. */
function stubRecord(c: Change, now: string, actor: string): MasterRecord {
  // A cleanup change brings the journal record it needs (with the project it is written for).
  if (journalOnly(c) && c.record) return { ...c.record, updated_at: now, updated_by: actor, version: 0 };
  return nextRecord({
    planId: c.planId,
    ...(c.desired ? { desired: c.desired } : {}),
    keys: [],
    now,
    actor,
  });
}

function withoutPending(r: MasterRecord): MasterRecord {
  const { pending: _done, ...rest } = r;
  return rest;
}

/** Execute every change of the plan in order. Never throws for a failed change; the result says. */
export async function applyPlan(
  plan: Plan,
  records: readonly MasterRecord[],
  deps: ApplyDeps,
): Promise<ApplyResult> {
  const started = deps.clock().toISOString();
  const ix = indexPlan(plan);
  const st: RunState = {
    ids: new Map(),
    keys: new Map(),
    planFailures: new Map(),
    stuckKeys: new Set(),
    records: new Map(records.map((r) => [r.plan_id, r])),
  };
  const lastOf = new Map<string, number>();
  plan.changes.forEach((c, i) => {
    lastOf.set(c.planId, i);
    // Only the live id the plan saw counts; a record's id may point at a plan that is gone. Cleanup changes
    // name their own live plan, which need not be the plan_id's.
    if (!st.ids.has(c.planId) && !journalOnly(c)) st.ids.set(c.planId, c.apiGatewayId);
    if (!st.keys.has(c.planId)) st.keys.set(c.planId, new Set(plan.live_keys[c.planId] ?? []));
  });
  const byChange = new Map<string, ChangeResult>();
  let stopped: string | undefined;
  const stop = (reason: string) => {
    if (stopped) return;
    stopped = reason;
    deps.onEvent?.({ type: "stopping", reason });
  };
  const audit = new AuditQueue(deps.store);
  const finish = (c: Change, r: ChangeResult) => {
    byChange.set(c.id, r);
    deps.onEvent?.({ type: "change-done", change: c, result: r });
  };
  /** The intent could not be written (or the lease is lost): the run stops, and these changes did not run. */
  const intentFailed = (changes: readonly Change[], err: unknown, t0: number) => {
    stop(errorMessage(err));
    for (const c of changes)
      finish(c, {
        ...resultBase(c),
        outcome: "failed",
        error: `not run: ${errorMessage(err)}`,
        ms: Date.now() - t0,
      });
  };

  /**
   * A group of key changes of one plan, journalled together: one intent naming them all (pending.group), the
   * API calls one by one, their audit rows in one batch, one outcome write. A stop anywhere leaves the intent,
   * and the next run rolls each change of the group forward (src/diff/recover.ts).
   */
  const runGroup = async (changes: Change[], last: boolean): Promise<void> => {
    const planId = changes[0]!.planId;
    const runnable: Change[] = [];
    for (const c of changes) {
      const blocked = blockedBy(c, st);
      if (blocked) finish(c, { ...resultBase(c), outcome: "skipped", error: blocked });
      else runnable.push(c);
    }
    if (runnable.length === 0) return;
    const now = () => deps.clock().toISOString();
    let rec = st.records.get(planId)!;
    const t0 = Date.now();
    try {
      await deps.fence?.();
      const id = st.ids.get(planId);
      const group = runnable.map((c) =>
        pendingFor(c, {
          runId: deps.runId,
          actor: deps.actor,
          now: now(),
          ...(id ? { apiGatewayId: id } : {}),
          fresh: false,
        }),
      );
      rec = await deps.store.putRecord({ ...rec, pending: { ...group[0]!, group } }, rec.version);
      st.records.set(planId, rec);
    } catch (err) {
      intentFailed(runnable, err, t0);
      return;
    }
    const ran: Array<{ c: Change; r: ChangeResult }> = [];
    const notRun: Array<{ c: Change; r: ChangeResult }> = [];
    for (const c of runnable) {
      if (!stopped && deps.signal?.aborted) stop(String(deps.signal.reason ?? "interrupted"));
      if (stopped) {
        notRun.push({ c, r: { ...resultBase(c), outcome: "skipped", error: `not run: ${stopped}` } });
        continue;
      }
      const t1 = Date.now();
      deps.onEvent?.({ type: "change-started", change: c });
      const r = { ...(await runChange(c, deps, st)), ms: Date.now() - t1 };
      (r.outcome === "skipped" ? notRun : ran).push({ c, r });
      // Progress streams per change; a journal write that fails after it is reported by the `stopping` event
      // and in the results.
      if (r.outcome !== "skipped") deps.onEvent?.({ type: "change-done", change: c, result: r });
    }
    const done = (auditError?: string, error?: string) => {
      for (const { c, r } of ran) {
        const out = { ...r, ...(auditError ? { auditError } : {}), ...(error && !r.error ? { error } : {}) };
        byChange.set(c.id, out);
      }
      for (const { c, r } of notRun) byChange.set(c.id, r);
    };
    try {
      if (ran.length > 0) {
        await deps.fence?.();
        await audit.append(ran.map(({ c, r }) => auditEntry(deps, c, r)));
      }
    } catch (err) {
      stop(errorMessage(err));
      done(`${errorMessage(err)} (the next run records this change)`);
      return;
    }
    for (const { c, r } of ran) byChange.set(c.id, r);
    try {
      let next: MasterRecord | undefined = withoutPending(rec);
      for (const { c, r } of ran) {
        next = recordAfterStep(
          next!,
          stepOf(c, r, c.desired ?? ix.desired.get(planId), ix, now(), deps.actor),
        );
      }
      // As after the plan's last change alone: only when that change ran.
      if (last && ran.at(-1)?.c === changes.at(-1))
        next = settle(planId, next, ix, st, byChange, now(), deps.actor);
      await deps.fence?.();
      st.records.set(planId, await deps.store.putRecord(withoutPending(next ?? rec), rec.version));
    } catch (err) {
      stop(errorMessage(err));
      done(
        undefined,
        `recorded in the audit log, but the master record could not be written: ${errorMessage(err)} (the next run completes it)`,
      );
      return;
    }
    done();
  };

  /** One change on its own (not a group), journalled as in steps 1–6 above. */
  const runOne = async (c: Change, i: number): Promise<void> => {
    const blocked = blockedBy(c, st);
    if (blocked) {
      finish(c, { ...resultBase(c), outcome: "skipped", error: blocked });
      return;
    }
    const t0 = Date.now();
    deps.onEvent?.({ type: "change-started", change: c });
    const now = () => deps.clock().toISOString();
    const desired = c.desired ?? ix.desired.get(c.planId);

    // 1–2. fence, then the intent.
    let rec = st.records.get(c.planId);
    const restore = restoreKeys(ix, c);
    try {
      await deps.fence?.();
      const pending = pendingFor(c, {
        runId: deps.runId,
        actor: deps.actor,
        now: now(),
        ...(c.resource === "key" && st.ids.get(c.planId) ? { apiGatewayId: st.ids.get(c.planId)! } : {}),
        ...(restore ? { restoreKeys: restore } : {}),
        fresh: rec === undefined,
      });
      const base = rec ?? stubRecord(c, now(), deps.actor);
      rec = await deps.store.putRecord({ ...base, pending }, rec?.version ?? 0);
      st.records.set(c.planId, rec);
    } catch (err) {
      intentFailed([c], err, t0);
      return;
    }

    // 3. the call.
    const ran = { ...(await runChange(c, deps, st)), ms: Date.now() - t0 };

    // Not run after all (the run was told to stop before the call was sent): clear the intent, no audit row.
    if (ran.outcome === "skipped") {
      if (!stopped && deps.signal?.aborted) stop(String(deps.signal.reason ?? "interrupted"));
      try {
        await deps.fence?.();
        if (rec.pending?.fresh) {
          await deps.store.deleteRecord(c.planId, rec.version);
          st.records.delete(c.planId);
        } else st.records.set(c.planId, await deps.store.putRecord(withoutPending(rec), rec.version));
      } catch (err) {
        stop(errorMessage(err));
      }
      byChange.set(c.id, ran);
      return;
    }

    // 4–6. fence, audit, complete. A failure here leaves `pending` for the next run to finish.
    try {
      await deps.fence?.();
      await audit.append([auditEntry(deps, c, ran)]);
    } catch (err) {
      stop(errorMessage(err));
      finish(c, { ...ran, auditError: `${errorMessage(err)} (the next run records this change)` });
      return;
    }
    byChange.set(c.id, ran);
    try {
      const stepped = recordAfterStep(withoutPending(rec), stepOf(c, ran, desired, ix, now(), deps.actor));
      const next =
        lastOf.get(c.planId) === i ? settle(c.planId, stepped, ix, st, byChange, now(), deps.actor) : stepped;
      await deps.fence?.();
      const dropJournal =
        rec.pending?.fresh === true && (journalOnly(c) || (ran.outcome !== "ok" && c.resource === "plan"));
      if (next && !dropJournal) {
        st.records.set(c.planId, await deps.store.putRecord(withoutPending(next), rec.version));
      } else {
        // A create that failed, a cleanup change whose record was only its journal, a purged record.
        await deps.store.deleteRecord(c.planId, rec.version);
        st.records.delete(c.planId);
      }
    } catch (err) {
      stop(errorMessage(err));
      finish(c, {
        ...ran,
        error:
          ran.error ??
          `recorded in the audit log, but the master record could not be written: ${errorMessage(err)} (the next run completes it)`,
      });
      return;
    }
    finish(c, ran);
  };

  /** What a stop leaves: the change is not run. */
  const notRunNow = (c: Change) =>
    byChange.set(c.id, { ...resultBase(c), outcome: "skipped", error: `not run: ${stopped}` });

  /**
   * One plan's changes within one phase, in order: its groups of key changes, and its other changes one at a
   * time. A stop (a signal, a journal write that failed) lets the change in flight finish and starts no other.
   */
  const runLane = async (lane: readonly number[]): Promise<void> => {
    for (let k = 0; k < lane.length; ) {
      const i = lane[k]!;
      const c = plan.changes[i]!;
      if (!stopped && deps.signal?.aborted) stop(String(deps.signal.reason ?? "interrupted"));
      if (stopped) {
        for (const j of lane.slice(k)) notRunNow(plan.changes[j]!);
        return;
      }
      const size = groupSize(lane, k);
      if (size > 1) {
        const last = lane[k + size - 1]!;
        await runGroup(
          lane.slice(k, k + size).map((j) => plan.changes[j]!),
          lastOf.get(c.planId) === last,
        );
      } else await runOne(c, i);
      k += size;
    }
  };

  /** The size of the group of key changes starting at lane[k]: same plan, same action, consecutive. */
  const groupSize = (lane: readonly number[], k: number): number => {
    const c = plan.changes[lane[k]!]!;
    if (c.resource !== "key" || !st.records.has(c.planId)) return 1;
    let n = 1;
    while (k + n < lane.length) {
      const x = plan.changes[lane[k + n]!]!;
      if (x.resource !== "key" || x.action !== c.action) break;
      n++;
    }
    return n;
  };

  // The order table (src/diff/order.ts) is kept: the changes of one phase all finish before the next phase
  // starts. Within a phase, each plan's changes run in order, and up to `concurrency` plans at once.
  const limit = Math.max(1, deps.concurrency ?? DEFAULT_CONCURRENCY);
  for (const lanes of phaseLanes(plan.changes)) {
    if (!stopped && deps.signal?.aborted) stop(String(deps.signal.reason ?? "interrupted"));
    if (stopped) {
      for (const lane of lanes) for (const i of lane) notRunNow(plan.changes[i]!);
      continue;
    }
    await inPool(lanes, limit, runLane);
  }
  const results = plan.changes.flatMap((c) => {
    const r = byChange.get(c.id);
    return r ? [r] : [];
  });
  return {
    run_id: deps.runId,
    started_at: started,
    finished_at: deps.clock().toISOString(),
    results,
    ...(stopped ? { stopped } : {}),
  };
}
