// Small builders for states, instead of SDK mocks.

import { makeSettings } from "../../src/diff/normalise.js";
import { nextRecord } from "../../src/diff/records.js";
import type { MasterRecord } from "../../src/model/record.js";
import type { LifecycleState } from "../../src/model/spec.js";
import type {
  DesiredPlan,
  LiveApiKey,
  LivePlan,
  LiveState,
  PlanSettings,
  StageBinding,
} from "../../src/model/state.js";

export const NOW = "2026-01-15T14:30:00.000Z";
export const OWNER_TAG = "upg:plan-id";

export function stage(key: string, throttle: StageBinding["throttle"] = {}): StageBinding {
  const [apiId, name] = key.split(":");
  return { apiId: apiId!, stage: name!, throttle };
}

export function settings(p: Partial<PlanSettings> & { name?: string } = {}): PlanSettings {
  return makeSettings({
    name: p.name ?? "Plan",
    ...(p.description !== undefined ? { description: p.description } : {}),
    ...(p.throttle ? { throttle: p.throttle } : {}),
    ...(p.quota ? { quota: p.quota } : {}),
    stages: p.stages ?? [stage("api1:prod")],
    tags: p.tags ?? {},
  });
}

export function desired(
  planId: string,
  s: PlanSettings,
  opts: { keys?: string[]; lifecycle?: LifecycleState; successor?: string; tier?: string } = {},
): DesiredPlan {
  return {
    planId,
    lifecycleState: opts.lifecycle ?? "Active",
    settings: s,
    ...(opts.keys ? { keys: [...opts.keys].sort() } : {}),
    ...(opts.successor ? { successor: opts.successor } : {}),
    ...(opts.tier ? { tier: opts.tier } : {}),
  };
}

export function livePlan(id: string, s: PlanSettings, keys: string[] = [], owner?: string): LivePlan {
  return { id, settings: s, keys: [...keys].sort(), ...(owner ? { ownerPlanId: owner } : {}) };
}

export function liveState(p: {
  plans?: LivePlan[];
  apiKeys?: LiveApiKey[];
  stages?: string[];
  restApis?: LiveState["restApis"];
}): LiveState {
  return {
    region: "us-east-1",
    plans: p.plans ?? [],
    apiKeys: p.apiKeys ?? [],
    restApis: p.restApis ?? [{ id: "api1", name: "weather-api" }],
    existingStages: p.stages ?? ["api1:dev", "api1:prod"],
  };
}

export function keys(...ids: string[]): LiveApiKey[] {
  return ids.map((id) => ({ id, name: `name-${id}`, enabled: true }));
}

/** The record an apply of `d` would have written, with API Gateway id `id`. */
export function recordOf(
  d: DesiredPlan,
  id: string | undefined,
  keyIds: string[] = d.keys ?? [],
  version = 1,
): MasterRecord {
  return {
    ...nextRecord({
      planId: d.planId,
      desired: d,
      keys: keyIds,
      now: NOW,
      actor: "test",
      ...(id ? { apiGatewayId: id } : {}),
    }),
    version,
  };
}
