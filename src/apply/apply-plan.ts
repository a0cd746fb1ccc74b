// Runs a Plan through API Gateway (src/live) and DynamoDB (src/store). Every change ends ok, failed
// or skipped; one audit row is written per executed change; each plan's master record is written
// (conditionally on the version the plan was made from) once its plan-level change succeeded.

import { nextRecord } from "../diff/records.js";
import { errorMessage } from "../errors.js";
import { buildPatchOps } from "../live/patch.js";
import type { LiveGateway } from "../live/types.js";
import type { ApplyResult, Change, ChangeResult, Plan } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import { type DesiredPlan, stageKey } from "../model/state.js";
import type { Store } from "../store/index.js";

export interface ApplyDeps {
  live: LiveGateway;
  store: Store;
  clock: () => Date;
  actor: string;
  runId: string;
  ownershipTagKey: string;
  /** Called before and after each change (spinners live in the CLI). */
  onProgress?: (event: { change: Change; phase: "start" | "done"; result?: ChangeResult }) => void;
  /** Runs before each change (the CLI renews the apply lock); when it throws, the rest is not run. */
  beforeChange?: () => Promise<void>;
}

interface RunState {
  /** API Gateway id per plan_id, as it is after the changes run so far. */
  ids: Map<string, string | undefined>;
  /** Keys attached per plan_id, as they are after the changes run so far. */
  keys: Map<string, Set<string>>;
  /** plan_ids whose plan-level change failed, and which change it was. */
  planFailures: Map<string, Change["action"]>;
  /** Keys whose detach failed: attaching them elsewhere would conflict on a shared stage. */
  stuckKeys: Set<string>;
  recreatedFrom: Map<string, string>;
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

async function runPlanChange(c: Change, deps: ApplyDeps, st: RunState): Promise<string | undefined> {
  const id = st.ids.get(c.planId) ?? c.apiGatewayId;
  switch (c.action) {
    case "create":
    case "recreate": {
      const d = c.desired!;
      const newId = await deps.live.createPlan(d.settings, {
        ...d.settings.tags,
        [deps.ownershipTagKey]: c.planId,
      });
      st.ids.set(c.planId, newId);
      st.keys.set(c.planId, new Set());
      if (c.action === "recreate" && c.record?.api_gateway_id)
        st.recreatedFrom.set(c.planId, c.record.api_gateway_id);
      return newId;
    }
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

async function runKeyChange(c: Change, deps: ApplyDeps, st: RunState): Promise<"ok" | "skipped"> {
  const id = st.ids.get(c.planId) ?? c.apiGatewayId;
  if (!id || (c.action === "attach" && st.stuckKeys.has(c.keyId!))) return "skipped";
  if (c.action === "attach") await deps.live.attachKey(id, c.keyId!);
  else await deps.live.detachKey(id, c.keyId!);
  const keys = st.keys.get(c.planId) ?? new Set();
  if (c.action === "attach") keys.add(c.keyId!);
  else keys.delete(c.keyId!);
  st.keys.set(c.planId, keys);
  return "ok";
}

/** Append the audit row; a failure to write it is reported on the result, never lost. */
async function audit(deps: ApplyDeps, c: Change, r: ChangeResult): Promise<ChangeResult> {
  try {
    await appendAudit(deps, c, r);
    return r;
  } catch (err) {
    return { ...r, auditError: errorMessage(err) };
  }
}

async function appendAudit(deps: ApplyDeps, c: Change, r: ChangeResult): Promise<void> {
  await deps.store.appendAudit({
    at: deps.clock().toISOString(),
    actor: deps.actor,
    run_id: deps.runId,
    plan_id: c.planId,
    action: `${c.action}-${c.resource}`,
    change_id: c.id,
    outcome: r.outcome === "ok" ? "ok" : "failed",
    before: c.resource === "key" ? null : (c.live ?? null),
    after: c.resource === "key" ? { key_id: c.keyId, action: c.action } : (c.desired?.settings ?? null),
    ...(r.error ? { error: r.error } : {}),
  });
}

async function runChange(c: Change, deps: ApplyDeps, st: RunState): Promise<ChangeResult> {
  const base = { changeId: c.id, action: c.action, resource: c.resource, planId: c.planId };
  if (c.resource === "record") return { ...base, outcome: "ok" };
  try {
    if (c.resource === "key") {
      const outcome = await runKeyChange(c, deps, st);
      return outcome === "skipped"
        ? { ...base, outcome, error: "skipped: an earlier change it depends on failed" }
        : { ...base, outcome };
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
    if (c.resource === "plan") st.planFailures.set(c.planId, c.action);
    if (c.resource === "key" && c.action === "detach") st.stuckKeys.add(c.keyId!);
    return { ...base, outcome: "failed", error: errorMessage(err) };
  }
}

/**
 * The keys the record should hold: what is attached now, plus attaches that did not happen (returned as
 * pending too), minus detaches that did not happen. A failed restore of an observed key must not make
 * upg forget it.
 */
function intendedKeys(
  planId: string,
  plan: Plan,
  st: RunState,
  results: readonly ChangeResult[],
): { keys: string[]; pending: string[] } {
  const keys = new Set(st.keys.get(planId) ?? []);
  const pending: string[] = [];
  for (const c of plan.changes) {
    if (c.planId !== planId || c.resource !== "key" || !c.keyId) continue;
    if (results.find((r) => r.changeId === c.id)?.outcome === "ok") continue;
    if (c.action === "attach") {
      keys.add(c.keyId);
      pending.push(c.keyId);
    } else {
      keys.delete(c.keyId);
    }
  }
  return { keys: [...keys], pending };
}

async function writeRecord(
  planId: string,
  plan: Plan,
  deps: ApplyDeps,
  st: RunState,
  results: readonly ChangeResult[],
  prev: MasterRecord | undefined,
): Promise<ChangeResult | undefined> {
  const base = { changeId: `record:${planId}`, action: "sync" as const, resource: "record" as const, planId };
  const failed = st.planFailures.get(planId);
  // A plan that could not be created or deleted keeps its record as it was; a failed update keeps the
  // record's settings (API Gateway still has the old ones) but records the key changes that ran.
  if (failed && failed !== "update") return undefined;
  if (failed === "update" && !prev) return undefined;
  const desired: DesiredPlan | undefined = plan.desired.find((d) => d.planId === planId);
  const sync = plan.changes.find((c) => c.planId === planId && c.action === "sync");
  const id = st.ids.get(planId);
  const intended = intendedKeys(planId, plan, st, results);
  const keys = sync?.keys ?? intended.keys;
  // Declared keys need no memory of failed attaches: the plan file asks for them again.
  const pendingKeys = desired?.keys ? [] : intended.pending;
  const from = st.recreatedFrom.get(planId);
  const now = deps.clock().toISOString();
  const rec =
    failed === "update" && prev
      ? {
          ...prev,
          keys: [...keys].sort(),
          ...(pendingKeys.length > 0 ? { pending_keys: pendingKeys.sort() } : {}),
          updated_at: now,
          updated_by: deps.actor,
        }
      : nextRecord({
          planId,
          ...(desired ? { desired } : {}),
          ...(prev ? { prev } : {}),
          ...(id ? { apiGatewayId: id } : {}),
          keys,
          pendingKeys,
          now,
          actor: deps.actor,
          ...(from ? { recreatedFrom: from } : {}),
        });
  try {
    await deps.store.putRecord(rec, plan.fingerprint.records[planId] ?? 0);
    return { ...base, outcome: "ok", ...(id ? { apiGatewayId: id } : {}) };
  } catch (err) {
    return { ...base, outcome: "failed", error: errorMessage(err) };
  }
}

/** Execute every change of the plan in order. Never throws for a failed change; the result says. */
export async function applyPlan(
  plan: Plan,
  records: readonly MasterRecord[],
  deps: ApplyDeps,
): Promise<ApplyResult> {
  const started = deps.clock().toISOString();
  const recordById = new Map(records.map((r) => [r.plan_id, r]));
  const st: RunState = {
    ids: new Map(),
    keys: new Map(),
    planFailures: new Map(),
    stuckKeys: new Set(),
    recreatedFrom: new Map(),
  };
  for (const c of plan.changes) {
    // Only the live id the plan saw counts; a record's id may point at a plan that is gone.
    if (!st.ids.has(c.planId)) st.ids.set(c.planId, c.apiGatewayId);
    if (!st.keys.has(c.planId)) st.keys.set(c.planId, new Set(plan.live_keys[c.planId] ?? []));
  }
  const results: ChangeResult[] = [];
  let stopped: string | undefined;
  for (const c of plan.changes) {
    if (!stopped && deps.beforeChange) {
      try {
        await deps.beforeChange();
      } catch (err) {
        stopped = errorMessage(err);
      }
    }
    if (stopped) {
      const base = { changeId: c.id, action: c.action, resource: c.resource, planId: c.planId };
      results.push({ ...base, outcome: "skipped", error: `not run: ${stopped}` });
      continue;
    }
    deps.onProgress?.({ change: c, phase: "start" });
    const ran = await runChange(c, deps, st);
    const r = ran.outcome !== "skipped" && c.resource !== "record" ? await audit(deps, c, ran) : ran;
    results.push(r);
    deps.onProgress?.({ change: c, phase: "done", result: r });
  }
  for (const planId of [...new Set(plan.changes.map((c) => c.planId))]) {
    if (
      plan.changes.every(
        (c) => c.planId !== planId || results.find((r) => r.changeId === c.id)?.outcome === "skipped",
      )
    ) {
      continue; // nothing of this plan ran
    }
    const written = await writeRecord(planId, plan, deps, st, results, recordById.get(planId));
    if (!written) continue;
    const sync = plan.changes.find((c) => c.planId === planId && c.action === "sync");
    if (sync) {
      const r = await audit(deps, sync, written);
      const i = results.findIndex((x) => x.changeId === sync.id);
      results[i] = { ...r, changeId: sync.id };
    } else if (written.outcome === "failed") {
      results.push(written);
    }
  }
  return { run_id: deps.runId, started_at: started, finished_at: deps.clock().toISOString(), results };
}
