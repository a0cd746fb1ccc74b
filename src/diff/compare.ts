// Field-by-field comparison of two PlanSettings. Stages and tags are compared as sets keyed by
// identity; a field that is absent on one side is `undefined`, never 0.

import type { FieldChange } from "../model/plan.js";
import type { ThrottleSettings } from "../model/spec.js";
import { type PlanSettings, type StageBinding, stageKey } from "../model/state.js";

export function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function push(out: FieldChange[], field: string, before: unknown, after: unknown): void {
  if (!sameValue(before, after))
    out.push({
      field,
      ...(before !== undefined ? { before } : {}),
      ...(after !== undefined ? { after } : {}),
    });
}

function compareThrottle(
  out: FieldChange[],
  prefix: string,
  a: ThrottleSettings | undefined,
  b: ThrottleSettings | undefined,
): void {
  push(out, `${prefix}.rateLimit`, a?.rateLimit, b?.rateLimit);
  push(out, `${prefix}.burstLimit`, a?.burstLimit, b?.burstLimit);
}

function compareStages(out: FieldChange[], a: readonly StageBinding[], b: readonly StageBinding[]): void {
  const before = new Map(a.map((s) => [stageKey(s), s]));
  const after = new Map(b.map((s) => [stageKey(s), s]));
  const keys = [...new Set([...before.keys(), ...after.keys()])].sort();
  for (const k of keys) {
    const x = before.get(k);
    const y = after.get(k);
    if (!x || !y) {
      push(out, `stages[${k}]`, x ? k : undefined, y ? k : undefined);
    }
    const methods = [
      ...new Set([...Object.keys(x?.throttle ?? {}), ...Object.keys(y?.throttle ?? {})]),
    ].sort();
    for (const m of methods)
      compareThrottle(out, `stages[${k}].throttle[${m}]`, x?.throttle[m], y?.throttle[m]);
  }
}

/** Every difference between `before` and `after`, in a stable order. */
export function compareSettings(before: PlanSettings, after: PlanSettings): FieldChange[] {
  const out: FieldChange[] = [];
  push(out, "name", before.name, after.name);
  push(out, "description", before.description, after.description);
  compareThrottle(out, "throttle", before.throttle, after.throttle);
  push(out, "quota.limit", before.quota?.limit, after.quota?.limit);
  push(out, "quota.period", before.quota?.period, after.quota?.period);
  push(out, "quota.offset", before.quota?.offset, after.quota?.offset);
  compareStages(out, before.stages, after.stages);
  const tagKeys = [...new Set([...Object.keys(before.tags), ...Object.keys(after.tags)])].sort();
  for (const k of tagKeys) push(out, `tags[${k}]`, before.tags[k], after.tags[k]);
  return out;
}

/** Set difference helpers for key ids. */
export function missingFrom(want: readonly string[], have: readonly string[]): string[] {
  const h = new Set(have);
  return want.filter((k) => !h.has(k));
}
