// Building the one normalised PlanSettings shape from plan files and from master records.

import type { MasterRecord, StageRecord } from "../model/record.js";
import type { ThrottleSettings } from "../model/spec.js";
import { type PlanSettings, type QuotaSettings, type StageBinding, stageKey } from "../model/state.js";

export function sortedRecord<T>(obj: Record<string, T> | undefined): Record<string, T> {
  const out: Record<string, T> = {};
  for (const k of Object.keys(obj ?? {}).sort()) out[k] = obj![k]!;
  return out;
}

export function sortedUnique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

export function throttleOf(
  rateLimit: number | undefined,
  burstLimit: number | undefined,
): ThrottleSettings | undefined {
  if (rateLimit === undefined && burstLimit === undefined) return undefined;
  const t: ThrottleSettings = {};
  if (rateLimit !== undefined) t.rateLimit = rateLimit;
  if (burstLimit !== undefined) t.burstLimit = burstLimit;
  return t;
}

export function sortStages(stages: StageBinding[]): StageBinding[] {
  return stages
    .map((s) => ({ apiId: s.apiId, stage: s.stage, throttle: sortedRecord(s.throttle) }))
    .sort((a, b) => stageKey(a).localeCompare(stageKey(b)));
}

/** Assemble settings, leaving absent fields absent. */
export function makeSettings(parts: {
  name: string;
  description?: string;
  throttle?: ThrottleSettings;
  quota?: QuotaSettings;
  stages: StageBinding[];
  tags?: Record<string, string>;
}): PlanSettings {
  const s: PlanSettings = {
    name: parts.name,
    stages: sortStages(parts.stages),
    tags: sortedRecord(parts.tags),
  };
  if (parts.description !== undefined && parts.description !== "") s.description = parts.description;
  if (parts.throttle !== undefined) s.throttle = parts.throttle;
  if (parts.quota !== undefined) s.quota = parts.quota;
  return s;
}

function stageFromRecord(s: StageRecord): StageBinding {
  return { apiId: s.api_id, stage: s.stage, throttle: s.throttle ?? {} };
}

export function stageToRecord(s: StageBinding): StageRecord {
  const r: StageRecord = { api_id: s.apiId, stage: s.stage };
  if (Object.keys(s.throttle).length > 0) r.throttle = s.throttle;
  return r;
}

/** The settings a master record declares. */
export function recordSettings(r: MasterRecord): PlanSettings {
  const quota: QuotaSettings | undefined =
    r.quota_limit !== undefined && r.quota_period !== undefined
      ? { limit: r.quota_limit, period: r.quota_period, offset: r.quota_offset ?? 0 }
      : undefined;
  return makeSettings({
    name: r.name,
    ...(r.description !== undefined ? { description: r.description } : {}),
    ...(throttleOf(r.rate_limit, r.burst_limit) ? { throttle: throttleOf(r.rate_limit, r.burst_limit) } : {}),
    ...(quota ? { quota } : {}),
    stages: r.stages.map(stageFromRecord),
    tags: r.tags ?? {},
  });
}
