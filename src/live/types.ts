// The contract between upg's core and API Gateway. src/live is the only importer of
// @aws-sdk/client-api-gateway; everything above it sees these types.

import type { LiveState, PlanSettings } from "../model/state.js";

export interface PatchOperation {
  op: "add" | "remove" | "replace";
  path: string;
  value?: string;
}

/** What to read. Everything is read in one pass with bounded concurrency and pacing. */
export interface LiveReadScope {
  /** Tag key marking plans upg owns. */
  ownershipTagKey: string;
  /** API Gateway ids referenced by master records: read their keys even when untagged. */
  recordIds: string[];
  /** REST API ids whose stages must be listed (declared by id). */
  apiIds: string[];
  /** REST API names whose ids (and stages) must be resolved. */
  apiNames: string[];
  /**
   * Keep going when a per-plan or per-API read fails (a denied GetTags, a failed stage listing): the failure
   * is listed in `gaps` and the plan or API marked unread, instead of failing the whole read. For `drift`.
   */
  partial?: boolean;
}

export interface LiveGateway {
  readLive(scope: LiveReadScope): Promise<LiveState>;
  /** CreateUsagePlan with every setting and stage in one call; returns the new id. */
  createPlan(settings: PlanSettings, tags: Record<string, string>): Promise<string>;
  /** One UpdateUsagePlan call with all operations (paced: AWS allows one every 20 s). */
  updatePlan(id: string, ops: PatchOperation[]): Promise<void>;
  /** Detach every stage in one UpdateUsagePlan, then DeleteUsagePlan. NotFound counts as done. */
  deletePlan(id: string, stageKeys: string[]): Promise<void>;
  /** CreateUsagePlanKey. An existing identical membership counts as done. */
  attachKey(planId: string, keyId: string): Promise<void>;
  /** DeleteUsagePlanKey. A membership that is already gone counts as done. */
  detachKey(planId: string, keyId: string): Promise<void>;
  tagPlan(id: string, tags: Record<string, string>): Promise<void>;
  untagPlan(id: string, keys: string[]): Promise<void>;
  /** Who is calling (STS GetCallerIdentity ARN, or the sandbox identity). */
  callerIdentity(): Promise<string>;
  /** Per-operation call counts made through this gateway (for reports and benchmarks). */
  callCounts(): Record<string, number>;
  destroy(): void;
}
