// What a master record should say after apply. Pure: the caller passes the time and the actor.

import type { ChangeAction, ChangeResource } from "../model/plan.js";
import type { LineageEntry, MasterRecord } from "../model/record.js";
import type { DesiredPlan, PlanSettings } from "../model/state.js";
import { sortedUnique, stageToRecord } from "./normalise.js";

export interface NextRecordInput {
  planId: string;
  /** Undefined when no plan file declares the plan any more. */
  desired?: DesiredPlan;
  prev?: MasterRecord;
  /** API Gateway id after apply; undefined when the plan was removed from API Gateway. */
  apiGatewayId?: string;
  /** Keys attached after apply (declared, or observed), including pending ones. */
  keys: readonly string[];
  /** Observed keys that should be attached but are not yet (a failed restore). */
  pendingKeys?: readonly string[];
  now: string;
  actor: string;
  /** Set when this apply recreated a deleted plan: its previous id. */
  recreatedFrom?: string;
}

function settingsFields(d: DesiredPlan): Partial<MasterRecord> {
  const s = d.settings;
  const out: Partial<MasterRecord> = {
    name: s.name,
    lifecycle_state: d.lifecycleState,
    stages: s.stages.map(stageToRecord),
    tags: s.tags,
    keys_declared: d.keys !== undefined,
  };
  if (s.description !== undefined) out.description = s.description;
  if (d.tier !== undefined) out.tier = d.tier;
  if (d.successor !== undefined) out.successor = d.successor;
  if (d.deletionProtection !== undefined) out.deletion_protection = d.deletionProtection;
  if (d.project !== undefined) out.project = d.project;
  if (s.throttle?.rateLimit !== undefined) out.rate_limit = s.throttle.rateLimit;
  if (s.throttle?.burstLimit !== undefined) out.burst_limit = s.throttle.burstLimit;
  if (s.quota) {
    out.quota_limit = s.quota.limit;
    out.quota_period = s.quota.period;
    out.quota_offset = s.quota.offset;
  }
  return out;
}

const SETTINGS_KEYS: ReadonlyArray<keyof MasterRecord> = [
  "description",
  "tier",
  "successor",
  "deletion_protection",
  "rate_limit",
  "burst_limit",
  "quota_limit",
  "quota_period",
  "quota_offset",
];

export function nextRecord(input: NextRecordInput): MasterRecord {
  const { prev, desired, now } = input;
  const base: MasterRecord = {
    plan_id: input.planId,
    name: prev?.name ?? input.planId,
    lifecycle_state: prev?.lifecycle_state ?? "Active",
    stages: prev?.stages ?? [],
    keys: [],
    keys_declared: prev?.keys_declared ?? false,
    created_at: prev?.created_at ?? now,
    updated_at: now,
    updated_by: input.actor,
    version: prev?.version ?? 0,
    lineage: [...(prev?.lineage ?? [])],
  };
  const rec: MasterRecord = { ...prev, ...base };
  if (desired) {
    for (const k of SETTINGS_KEYS) delete rec[k];
    Object.assign(rec, settingsFields(desired));
  } else {
    rec.lifecycle_state = "Archived";
  }
  rec.keys = sortedUnique(input.keys);
  if (input.pendingKeys && input.pendingKeys.length > 0) rec.pending_keys = sortedUnique(input.pendingKeys);
  else delete rec.pending_keys;
  const oldId = prev?.api_gateway_id;
  if (input.apiGatewayId) rec.api_gateway_id = input.apiGatewayId;
  else delete rec.api_gateway_id;

  if (input.recreatedFrom) {
    const entry: LineageEntry = {
      api_gateway_id: input.recreatedFrom,
      deleted: true,
      deleted_at: prev?.deleted_at ?? now,
      ...(input.apiGatewayId ? { recreated_as: input.apiGatewayId } : {}),
    };
    rec.lineage.push(entry);
    rec.recreated_from = input.recreatedFrom;
    rec.recreated_at = now;
    rec.deleted = false;
    delete rec.deleted_at;
    delete rec.recreated_as;
  } else if (oldId && !input.apiGatewayId) {
    rec.lineage.push({ api_gateway_id: oldId, deleted: true, deleted_at: now });
    rec.deleted = true;
    rec.deleted_at = now;
  } else if (input.apiGatewayId) {
    // Present in API Gateway (e.g. an archived plan made Active again): not deleted.
    if (rec.deleted !== undefined) rec.deleted = false;
    delete rec.deleted_at;
  }
  return rec;
}

/** One executed (or attempted) change, as the record fold needs it. */
export interface RecordStep {
  planId: string;
  action: ChangeAction;
  resource: ChangeResource;
  ok: boolean;
  /** Key changes: the API key id. */
  keyId?: string;
  /** The plan's API Gateway id after the step (a create/recreate: the new id). */
  apiGatewayId?: string;
  /** What the plan files declare (undefined: no file declares the plan any more). */
  desired?: DesiredPlan;
  /** An update: the settings API Gateway holds after it (default: the declared ones). */
  settings?: PlanSettings;
  /** A create/recreate: the keys its attach changes restore afterwards. */
  restoreKeys?: readonly string[];
  /** A record sync: the keys the record must hold. */
  keys?: readonly string[];
  /** A stage change: `apiId:stage`. */
  stage?: string;
  now: string;
  actor: string;
}

function withKeys(rec: MasterRecord, keys: Iterable<string>, pending: Iterable<string>): MasterRecord {
  const out: MasterRecord = { ...rec, keys: sortedUnique(keys) };
  const p = sortedUnique(pending);
  if (p.length > 0) out.pending_keys = p;
  else delete out.pending_keys;
  return out;
}

/**
 * The master record after one step of an apply, from the record before it. Pure. The observed key set only
 * grows here when a step restores keys; it shrinks only through an executed detach or a delete. A step that
 * failed leaves the record as it was, except that a failed restore of an observed key is remembered. A purge
 * (upg cleanup --records) ends with no record: undefined.
 */
export function recordAfterStep(prev: MasterRecord | undefined, step: RecordStep): MasterRecord | undefined {
  const observed = step.desired ? step.desired.keys === undefined : !(prev?.keys_declared ?? false);
  const stamp = (r: MasterRecord): MasterRecord => ({ ...r, updated_at: step.now, updated_by: step.actor });
  if (!step.ok) {
    if (prev && step.resource === "key" && step.action === "attach" && observed && step.keyId) {
      return stamp(withKeys(prev, [...prev.keys, step.keyId], [...(prev.pending_keys ?? []), step.keyId]));
    }
    return prev;
  }
  const base = { planId: step.planId, now: step.now, actor: step.actor, ...(prev ? { prev } : {}) };
  if (step.resource === "stage") {
    // A stage detached from the plan the record names leaves the record's stages; from another plan: nothing.
    if (
      !prev ||
      !step.stage ||
      prev.api_gateway_id === undefined ||
      prev.api_gateway_id !== step.apiGatewayId
    )
      return prev;
    const stages = prev.stages.filter((s) => `${s.api_id}:${s.stage}` !== step.stage);
    return stages.length === prev.stages.length ? prev : stamp({ ...prev, stages });
  }
  if (step.resource === "record" && step.action === "purge") return undefined;
  if (step.resource === "plan" && step.action === "remove") return prev;
  if (step.resource === "key") {
    if (!prev || !step.keyId) return prev;
    const pending = (prev.pending_keys ?? []).filter((k) => k !== step.keyId);
    const keys =
      step.action === "attach" ? [...prev.keys, step.keyId] : prev.keys.filter((k) => k !== step.keyId);
    return stamp(withKeys(prev, keys, pending));
  }
  if (step.resource === "record") {
    return nextRecord({
      ...base,
      ...(step.desired ? { desired: step.desired } : {}),
      ...(step.apiGatewayId ? { apiGatewayId: step.apiGatewayId } : {}),
      keys: step.keys ?? prev?.keys ?? [],
      pendingKeys: step.desired?.keys ? [] : (prev?.pending_keys ?? []),
    });
  }
  switch (step.action) {
    case "create":
    case "recreate": {
      const restore = step.restoreKeys ?? [];
      const from = step.action === "recreate" ? prev?.api_gateway_id : undefined;
      return nextRecord({
        ...base,
        ...(step.desired ? { desired: step.desired } : {}),
        ...(step.apiGatewayId ? { apiGatewayId: step.apiGatewayId } : {}),
        keys: observed ? [...(prev?.keys ?? []), ...restore] : [],
        pendingKeys: observed ? restore : [],
        ...(from && from !== step.apiGatewayId ? { recreatedFrom: from } : {}),
      });
    }
    case "adopt":
      // The live plan, now tagged: its record from the plan file, the live id and the keys it has.
      return nextRecord({
        ...base,
        ...(step.desired ? { desired: step.desired } : {}),
        ...(step.apiGatewayId ? { apiGatewayId: step.apiGatewayId } : {}),
        keys: step.keys ?? prev?.keys ?? [],
        pendingKeys: [],
      });
    case "update": {
      const desired =
        step.desired && step.settings ? { ...step.desired, settings: step.settings } : step.desired;
      return nextRecord({
        ...base,
        ...(desired ? { desired } : {}),
        ...(step.apiGatewayId ? { apiGatewayId: step.apiGatewayId } : {}),
        keys: prev?.keys ?? [],
        pendingKeys: prev?.pending_keys ?? [],
      });
    }
    case "delete":
      return nextRecord({ ...base, ...(step.desired ? { desired: step.desired } : {}), keys: [] });
    default:
      return prev;
  }
}
