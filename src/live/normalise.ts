// Pure: one usage plan as API Gateway returns it → upg's normalised LivePlan (without keys). Sets are
// sorted, numbers are numbers (a backend sending "500" gives 500), absent members stay absent.

import { PROJECT_TAG_KEY, QUOTA_PERIODS, type QuotaPeriod, type ThrottleSettings } from "../model/spec.js";
import {
  type LivePlan,
  type PlanSettings,
  type QuotaSettings,
  type StageBinding,
  stageKey,
} from "../model/state.js";

type NumberLike = number | string | null | undefined;

export interface ThrottleLike {
  rateLimit?: NumberLike;
  burstLimit?: NumberLike;
}

/** The JSON of a UsagePlan, loosely typed: the SDK's `UsagePlan` fits, and so does a sloppy backend. */
export interface UsagePlanLike {
  id?: string;
  name?: string;
  description?: string;
  throttle?: ThrottleLike | null;
  quota?: { limit?: NumberLike; period?: string; offset?: NumberLike } | null;
  apiStages?: Array<{
    apiId?: string;
    stage?: string;
    throttle?: Record<string, ThrottleLike> | null;
  }> | null;
  tags?: Record<string, string> | null;
}

export type LivePlanSettings = Omit<LivePlan, "keys">;

/** A finite number from a number or a numeric string; undefined otherwise. */
export function toNumber(v: NumberLike): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v !== "string" || v.trim() === "") return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

function byFirst<T>([a]: [string, T], [b]: [string, T]): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function sortedRecord<T>(entries: Iterable<[string, T]>): Record<string, T> {
  return Object.fromEntries([...entries].sort(byFirst));
}

function normaliseThrottle(t: ThrottleLike | null | undefined): ThrottleSettings {
  const out: ThrottleSettings = {};
  const rate = toNumber(t?.rateLimit);
  const burst = toNumber(t?.burstLimit);
  if (rate !== undefined) out.rateLimit = rate;
  if (burst !== undefined) out.burstLimit = burst;
  return out;
}

/** A plan throttle without any member is no throttle. */
function planThrottle(t: ThrottleLike | null | undefined): ThrottleSettings | undefined {
  const out = normaliseThrottle(t);
  return Object.keys(out).length > 0 ? out : undefined;
}

function isQuotaPeriod(p: unknown): p is QuotaPeriod {
  return QUOTA_PERIODS.includes(p as QuotaPeriod);
}

/** A quota needs a limit and a known period; a missing offset is 0 (as AWS materialises it). */
function planQuota(q: UsagePlanLike["quota"]): QuotaSettings | undefined {
  const limit = toNumber(q?.limit);
  const period = q?.period?.toUpperCase();
  if (limit === undefined || !isQuotaPeriod(period)) return undefined;
  return { limit, period, offset: toNumber(q?.offset) ?? 0 };
}

function planStages(stages: UsagePlanLike["apiStages"]): StageBinding[] {
  const byKey = new Map<string, StageBinding>();
  for (const s of stages ?? []) {
    if (!s.apiId || !s.stage) continue;
    const throttle = sortedRecord(
      Object.entries(s.throttle ?? {}).map(([k, t]) => [k, normaliseThrottle(t)]),
    );
    const binding: StageBinding = { apiId: s.apiId, stage: s.stage, throttle };
    if (!byKey.has(stageKey(binding))) byKey.set(stageKey(binding), binding);
  }
  return [...byKey].sort(byFirst).map(([, binding]) => binding);
}

/**
 * Normalises one usage plan; the ownership tag becomes `ownerPlanId` and the `upg:project` tag `project`, both
 * kept out of `tags`.
 */
export function normaliseUsagePlan(plan: UsagePlanLike, ownershipTagKey: string): LivePlanSettings {
  if (!plan.id) throw new Error("API Gateway returned a usage plan without an id");
  const tags = plan.tags ?? {};
  const throttle = planThrottle(plan.throttle);
  const quota = planQuota(plan.quota);
  const settings: PlanSettings = {
    name: plan.name ?? "",
    ...(plan.description ? { description: plan.description } : {}),
    ...(throttle ? { throttle } : {}),
    ...(quota ? { quota } : {}),
    stages: planStages(plan.apiStages),
    tags: sortedRecord(Object.entries(tags).filter(([k]) => k !== ownershipTagKey && k !== PROJECT_TAG_KEY)),
  };
  const live: LivePlanSettings = { id: plan.id, settings };
  const owner = tags[ownershipTagKey];
  if (owner) live.ownerPlanId = owner;
  const project = tags[PROJECT_TAG_KEY];
  if (project) live.project = project;
  return live;
}
