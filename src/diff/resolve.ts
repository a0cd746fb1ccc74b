// Turning PlanSpecs into DesiredPlans: REST API names and API key names become ids, and every
// referenced stage is checked against what exists. Problems are returned, never thrown.

import type { PlanProblem } from "../model/plan.js";
import type { PlanSpec, StageRef } from "../model/spec.js";
import { type DesiredPlan, type LiveState, type StageBinding, stageKey } from "../model/state.js";
import { makeSettings, sortedUnique, throttleOf } from "./normalise.js";

export interface Resolution {
  desired: DesiredPlan[];
  problems: PlanProblem[];
}

function problem(spec: PlanSpec, code: PlanProblem["code"], message: string, at = spec.source): PlanProblem {
  return { code, planId: spec.planId, message, file: at.file, line: at.line, col: at.col };
}

/** REST API ids and names a set of specs refers to (what the live reader must look at). */
export function referencedApis(specs: readonly PlanSpec[]): { apiIds: string[]; apiNames: string[] } {
  const ids = new Set<string>();
  const names = new Set<string>();
  for (const s of specs) {
    for (const st of s.stages) {
      if (st.ref.kind === "id") ids.add(st.ref.apiId);
      else names.add(st.ref.apiName);
    }
  }
  return { apiIds: [...ids].sort(), apiNames: [...names].sort() };
}

/** Lookups built once per resolution: ids and names of keys and REST APIs (never a scan per reference). */
interface Index {
  keyIds: ReadonlySet<string>;
  keysByName: ReadonlyMap<string, string[]>;
  apisByName: ReadonlyMap<string, string[]>;
}

function groupIds<T extends { id: string; name?: string }>(items: readonly T[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const i of items) {
    if (i.name === undefined) continue;
    const ids = out.get(i.name);
    if (ids) ids.push(i.id);
    else out.set(i.name, [i.id]);
  }
  return out;
}

function indexLive(live: LiveState): Index {
  return {
    keyIds: new Set(live.apiKeys.map((k) => k.id)),
    keysByName: groupIds(live.apiKeys),
    apisByName: groupIds(live.restApis),
  };
}

function resolveApiId(
  ref: StageRef,
  live: LiveState,
  index: Index,
): { id?: string; error?: { code: PlanProblem["code"]; message: string } } {
  if (ref.kind === "id" && ref.region && ref.region !== live.region) {
    return {
      error: {
        code: "stage_wrong_region",
        message: `Stage ARN is in ${ref.region}, but this run manages ${live.region}: run with --region ${ref.region}, or keep each region's plans apart (--plans).`,
      },
    };
  }
  if (ref.kind === "id") return { id: ref.apiId };
  const matches = index.apisByName.get(ref.apiName) ?? [];
  if (matches.length === 1) return { id: matches[0]! };
  if (matches.length === 0) {
    return {
      error: { code: "api_name_unknown", message: `No REST API named "${ref.apiName}" in ${live.region}.` },
    };
  }
  const ids = matches.join(", ");
  return {
    error: {
      code: "api_name_ambiguous",
      message: `${matches.length} REST APIs are named "${ref.apiName}" in ${live.region} (${ids}); reference the stage by id instead (API_ID:STAGE).`,
    },
  };
}

function resolveStages(
  spec: PlanSpec,
  live: LiveState,
  existing: ReadonlySet<string>,
  index: Index,
  problems: PlanProblem[],
): StageBinding[] {
  const out: StageBinding[] = [];
  for (const st of spec.stages) {
    const api = resolveApiId(st.ref, live, index);
    if (!api.id) {
      problems.push(problem(spec, api.error!.code, api.error!.message, st.source));
      continue;
    }
    const binding: StageBinding = { apiId: api.id, stage: st.ref.stage, throttle: st.methodThrottles };
    // A stage of a REST API whose stages could not be listed (a partial read) is neither present nor missing.
    if (!existing.has(stageKey(binding)) && !(live.unreadApis ?? []).includes(binding.apiId)) {
      problems.push({
        ...problem(
          spec,
          "stage_missing",
          `Stage ${stageKey(binding)} does not exist${st.ref.kind === "name" ? ` (API "${st.ref.apiName}")` : ""}: deploy the stage first, or remove it from the plan.`,
          st.source,
        ),
        subject: stageKey(binding),
      });
    }
    out.push(binding);
  }
  return out;
}

function resolveKeys(
  spec: PlanSpec,
  live: LiveState,
  index: Index,
  problems: PlanProblem[],
): string[] | undefined {
  if (spec.keys === undefined) return undefined;
  const ids: string[] = [];
  for (const [i, ref] of spec.keys.entries()) {
    const at = spec.keySources?.[i] ?? spec.source;
    if (index.keyIds.has(ref)) {
      ids.push(ref);
      continue;
    }
    const byName = index.keysByName.get(ref) ?? [];
    if (byName.length === 1) ids.push(byName[0]!);
    else if (byName.length === 0) {
      problems.push(
        problem(
          spec,
          "key_unknown",
          `No API key with id or name "${ref}" in ${live.region}. Create the key first.`,
          at,
        ),
      );
    } else {
      problems.push(
        problem(
          spec,
          "key_ambiguous",
          `${byName.length} API keys are named "${ref}" (${byName.join(", ")}); list the key by id.`,
          at,
        ),
      );
    }
  }
  return sortedUnique(ids);
}

export function resolveDesired(specs: readonly PlanSpec[], live: LiveState): Resolution {
  const existing = new Set(live.existingStages);
  const index = indexLive(live);
  const problems: PlanProblem[] = [];
  const desired = specs.map((spec): DesiredPlan => {
    const stages = resolveStages(spec, live, existing, index, problems);
    const keys = resolveKeys(spec, live, index, problems);
    const throttle = throttleOf(spec.rateLimit, spec.burstLimit);
    const settings = makeSettings({
      name: spec.name,
      ...(spec.description !== undefined ? { description: spec.description } : {}),
      ...(throttle ? { throttle } : {}),
      ...(spec.quotaLimit !== undefined && spec.quotaPeriod !== undefined
        ? { quota: { limit: spec.quotaLimit, period: spec.quotaPeriod, offset: spec.quotaOffset ?? 0 } }
        : {}),
      stages,
      tags: spec.tags,
    });
    const d: DesiredPlan = {
      planId: spec.planId,
      lifecycleState: spec.lifecycleState,
      settings,
      source: spec.source,
    };
    if (spec.tier !== undefined) d.tier = spec.tier;
    if (spec.successor !== undefined) d.successor = spec.successor;
    if (spec.deletionProtection !== undefined) d.deletionProtection = spec.deletionProtection;
    if (keys !== undefined) d.keys = keys;
    return d;
  });
  return { desired, problems };
}
