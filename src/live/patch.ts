// Pure: the minimal UpdateUsagePlan operations that turn one plan's settings into another's, using only
// the patch paths of the control-plane reference §3.4. Tags are not part of UpdateUsagePlan (TagResource /
// UntagResource handle them), so they are ignored here.

import type { ThrottleSettings } from "../model/spec.js";
import { type PlanSettings, type QuotaSettings, type StageBinding, stageKey } from "../model/state.js";
import type { PatchOperation } from "./types.js";

const THROTTLE_FIELDS = ["rateLimit", "burstLimit"] as const;

function replace(path: string, value: string): PatchOperation {
  return { op: "replace", path, value };
}

function byKey(stages: readonly StageBinding[]): Map<string, StageBinding> {
  return new Map(stages.map((s) => [stageKey(s), s]));
}

/** A throttle with no member is the same as no throttle (it cannot be written through a patch either). */
function presentThrottle(t: ThrottleSettings | undefined): ThrottleSettings | undefined {
  return t && (t.rateLimit !== undefined || t.burstLimit !== undefined) ? t : undefined;
}

function stageMembershipOps(before: PlanSettings, after: PlanSettings): PatchOperation[] {
  const was = byKey(before.stages);
  const will = byKey(after.stages);
  const removes = [...was.keys()].filter((k) => !will.has(k));
  const adds = [...will.keys()].filter((k) => !was.has(k));
  return [
    ...removes.map((value): PatchOperation => ({ op: "remove", path: "/apiStages", value })),
    ...adds.map((value): PatchOperation => ({ op: "add", path: "/apiStages", value })),
  ];
}

/**
 * There is no patch path that removes one throttle member, so dropping a member means
 * `remove /throttle` and writing back the members that stay. An absent member never becomes 0.
 */
function throttleOps(
  before: ThrottleSettings | undefined,
  after: ThrottleSettings | undefined,
): PatchOperation[] {
  const was = presentThrottle(before);
  const will = presentThrottle(after);
  if (!will) return was ? [{ op: "remove", path: "/throttle" }] : [];
  const dropsMember =
    was !== undefined && THROTTLE_FIELDS.some((f) => was[f] !== undefined && will[f] === undefined);
  const base = dropsMember ? undefined : was;
  const ops: PatchOperation[] = dropsMember ? [{ op: "remove", path: "/throttle" }] : [];
  for (const f of THROTTLE_FIELDS) {
    const v = will[f];
    if (v !== undefined && v !== base?.[f]) ops.push(replace(`/throttle/${f}`, String(v)));
  }
  return ops;
}

/**
 * Creating a quota sets limit and period (offset defaults to 0). When both period and offset change, the
 * order keeps every intermediate state valid: a smaller offset fits the old period, a larger one the new.
 */
function quotaOps(before: QuotaSettings | undefined, after: QuotaSettings | undefined): PatchOperation[] {
  if (!after) return before ? [{ op: "remove", path: "/quota" }] : [];
  const ops: PatchOperation[] = [];
  if (after.limit !== before?.limit) ops.push(replace("/quota/limit", String(after.limit)));
  const period = after.period !== before?.period ? [replace("/quota/period", after.period)] : [];
  const offset =
    after.offset !== (before?.offset ?? 0) ? [replace("/quota/offset", String(after.offset))] : [];
  const offsetFirst = before !== undefined && after.offset < before.offset;
  return [...ops, ...(offsetFirst ? [...offset, ...period] : [...period, ...offset])];
}

function textOps(before: PlanSettings, after: PlanSettings): PatchOperation[] {
  const ops: PatchOperation[] = [];
  if (after.name !== before.name) ops.push(replace("/name", after.name));
  if ((after.description ?? "") !== (before.description ?? "")) {
    ops.push(replace("/description", after.description ?? ""));
  }
  return ops;
}

/** The per-method throttle map as the JSON object string `replace /apiStages/{key}/throttle` takes. */
export function methodThrottleJson(throttle: Record<string, ThrottleSettings>): string {
  const entries = Object.keys(throttle)
    .sort()
    .map((k): [string, ThrottleSettings] => {
      const t = throttle[k] ?? {};
      const out: ThrottleSettings = {};
      if (t.rateLimit !== undefined) out.rateLimit = t.rateLimit;
      if (t.burstLimit !== undefined) out.burstLimit = t.burstLimit;
      return [k, out];
    });
  return JSON.stringify(Object.fromEntries(entries));
}

function methodThrottleOps(before: PlanSettings, after: PlanSettings): PatchOperation[] {
  const was = byKey(before.stages);
  const ops: PatchOperation[] = [];
  for (const stage of after.stages) {
    const key = stageKey(stage);
    const old = methodThrottleJson(was.get(key)?.throttle ?? {});
    const now = methodThrottleJson(stage.throttle);
    if (old === now) continue;
    const path = `/apiStages/${key}/throttle`;
    ops.push(
      Object.keys(stage.throttle).length === 0 ? { op: "remove", path, value: "" } : replace(path, now),
    );
  }
  return ops;
}

/**
 * The minimal operations for one UpdateUsagePlan call turning `before` into `after` (tags excepted).
 * Order: stage removes, stage adds, plan throttle, quota, name and description, then method throttles.
 */
export function buildPatchOps(before: PlanSettings, after: PlanSettings): PatchOperation[] {
  return [
    ...stageMembershipOps(before, after),
    ...throttleOps(before.throttle, after.throttle),
    ...quotaOps(before.quota, after.quota),
    ...textOps(before, after),
    ...methodThrottleOps(before, after),
  ];
}
