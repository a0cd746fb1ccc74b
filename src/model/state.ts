// One normalised shape for both sides of a diff: what the plan files ask for (after stage and key
// references are resolved) and what API Gateway has. Sets are sorted, numbers are numbers, absent
// fields stay absent (never 0), AWS-owned ids are kept apart from settings.

import type { LifecycleState, QuotaPeriod, SourceLocation, ThrottleSettings } from "./spec.js";

export interface QuotaSettings {
  limit: number;
  period: QuotaPeriod;
  offset: number;
}

/** One API stage in a plan. Identity is `${apiId}:${stage}`. */
export interface StageBinding {
  apiId: string;
  stage: string;
  /** Per-method throttles keyed "/resource/path/METHOD", keys sorted. */
  throttle: Record<string, ThrottleSettings>;
}

/** The settings of a usage plan that upg governs. */
export interface PlanSettings {
  name: string;
  description?: string;
  throttle?: ThrottleSettings;
  quota?: QuotaSettings;
  /** Sorted by stageKey. */
  stages: StageBinding[];
  /** User tags only; the ownership tag is kept apart. Keys sorted. */
  tags: Record<string, string>;
}

/** A plan as the plan files declare it, with every reference resolved to ids. */
export interface DesiredPlan {
  planId: string;
  tier?: string;
  lifecycleState: LifecycleState;
  successor?: string;
  settings: PlanSettings;
  /** Declared API key ids (sorted); undefined when keys are observed, not declared. */
  keys?: string[];
  /** `deletion_protection` of the plan file: true never deleted; false deleted even with keys attached. */
  deletionProtection?: boolean;
  /** The config's `project`: written as the `upg:project` tag on create/adopt and into the master record. */
  project?: string;
  source?: SourceLocation;
}

export interface LivePlan {
  id: string;
  settings: PlanSettings;
  /** API key ids attached to the plan, sorted. */
  keys: string[];
  /** Value of the ownership tag (the plan_id) when upg owns the plan. */
  ownerPlanId?: string;
  /** Value of the `upg:project` tag (the project that owns the plan); kept out of `settings.tags`. */
  project?: string;
  /** What could not be read for this plan (a partial read: `upg drift` only); its checks are skipped. */
  unread?: Array<"tags" | "keys">;
}

/** Something a partial read could not read, and why. */
export interface LiveReadGap {
  /** The call and what it was about, e.g. `GetTags usage plan ab12cd`. */
  what: string;
  /** The usage plan (API Gateway id) or REST API it was about. */
  planId?: string;
  apiId?: string;
  reason: string;
}

export interface LiveApiKey {
  id: string;
  name?: string;
  enabled: boolean;
}

export interface LiveRestApi {
  id: string;
  name: string;
}

/** Everything upg read from API Gateway in one pass. */
export interface LiveState {
  region: string;
  plans: LivePlan[];
  apiKeys: LiveApiKey[];
  restApis: LiveRestApi[];
  /** `${apiId}:${stage}` of every stage that exists among the ones upg looked at. */
  existingStages: string[];
  /** REST APIs whose stages could not be listed (partial read): their stages are neither present nor missing. */
  unreadApis?: string[];
  /** Everything a partial read could not read. Absent or empty: the read was complete. */
  gaps?: LiveReadGap[];
}

export function stageKey(s: { apiId: string; stage: string }): string {
  return `${s.apiId}:${s.stage}`;
}
