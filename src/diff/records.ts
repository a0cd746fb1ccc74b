// What a master record should say after apply. Pure: the caller passes the time and the actor.

import type { LineageEntry, MasterRecord } from "../model/record.js";
import type { DesiredPlan } from "../model/state.js";
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
    delete rec.deleted;
    delete rec.deleted_at;
  }
  return rec;
}
