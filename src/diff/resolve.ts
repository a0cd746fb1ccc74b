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

function resolveApiId(
  ref: StageRef,
  live: LiveState,
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
  const matches = live.restApis.filter((a) => a.name === ref.apiName);
  if (matches.length === 1) return { id: matches[0]!.id };
  if (matches.length === 0) {
    return {
      error: { code: "api_name_unknown", message: `No REST API named "${ref.apiName}" in ${live.region}.` },
    };
  }
  const ids = matches.map((m) => m.id).join(", ");
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
  problems: PlanProblem[],
): StageBinding[] {
  const out: StageBinding[] = [];
  for (const st of spec.stages) {
    const api = resolveApiId(st.ref, live);
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

function resolveKeys(spec: PlanSpec, live: LiveState, problems: PlanProblem[]): string[] | undefined {
  if (spec.keys === undefined) return undefined;
  const ids: string[] = [];
  for (const [i, ref] of spec.keys.entries()) {
    const at = spec.keySources?.[i] ?? spec.source;
    const byId = live.apiKeys.find((k) => k.id === ref);
    if (byId) {
      ids.push(byId.id);
      continue;
    }
    const byName = live.apiKeys.filter((k) => k.name === ref);
    if (byName.length === 1) ids.push(byName[0]!.id);
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
          `${byName.length} API keys are named "${ref}" (${byName.map((k) => k.id).join(", ")}); list the key by id.`,
          at,
        ),
      );
    }
  }
  return sortedUnique(ids);
}

export function resolveDesired(specs: readonly PlanSpec[], live: LiveState): Resolution {
  const existing = new Set(live.existingStages);
  const problems: PlanProblem[] = [];
  const desired = specs.map((spec): DesiredPlan => {
    const stages = resolveStages(spec, live, existing, problems);
    const keys = resolveKeys(spec, live, problems);
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
