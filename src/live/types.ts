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
  /** Also read the keys of unmanaged plans with these names (to adopt them). */
  keysOfNames?: string[];
  /** Read the keys of every plan, managed or not (`upg import`). */
  allKeys?: boolean;
  /**
   * A targeted read (`--target`, `show`, `status PLAN`): read the keys of only these plans, and the stages of
   * only the REST APIs in `apiIds`/`apiNames`. The plan list is still read whole (one call per 500 plans): new plans, name
   * collisions and ownership tags need it. Plans outside the target come back with `keys: []`, or with only
   * the keys `keys` looked up (a partial list).
   * Absent: the keys of every managed plan.
   */
  only?: TargetedRead;
  /** List the account's API keys (GetApiKeys pages): default true; a targeted read that names no keys skips it. */
  listKeys?: boolean;
  /** List the account's REST APIs (GetRestApis pages): default true; skipped when no stage names an API. */
  listApis?: boolean;
}

export interface TargetedRead {
  /** plan_ids: plans whose ownership tag is one of these. */
  planIds: string[];
  /** API Gateway ids (the master records' ids of the targeted plans). */
  ids: string[];
  /**
   * Stages the targeted plans declare or record. Plans sharing them are not read for it: a key the targeted
   * plans would attach is looked up by id instead (`keys`).
   */
  stages: Array<{ apiId?: string; apiName?: string; stage: string }>;
  /**
   * The keys each targeted plan will hold. When present, the read resolves API keys itself instead of
   * listing them all (`listKeys` is then not used): names of keys already attached to a targeted plan come
   * with its key list; other declared names are looked up one by one (GetApiKeys `name`, a prefix match: only
   * exact names are kept), or the whole list is read when there are many or one is not found by name (an id,
   * or a key that does not exist). Every key a targeted plan would attach (or carry onto a stage it gains) is
   * looked up with GetUsagePlans `keyId`, and added to the key lists of the managed plans holding it, so a key
   * clash on a shared stage is still seen. Absent: API keys are listed as `listKeys` says.
   */
  keys?: TargetedPlanKeys[];
}

/** What one targeted plan will hold after apply (see `TargetedRead.keys`). */
export interface TargetedPlanKeys {
  planId: string;
  /** The API Gateway ids of its master record (current and pending). */
  ids: string[];
  /** Declared key references (ids or names), as in its plan file; absent when it declares none (keys observed). */
  refs?: string[];
  /**
   * Recorded key ids an apply may attach when `refs` is absent (the record's keys and pending keys): never
   * resolved, only looked up.
   */
  keyIds: string[];
  /** Its declared stages: a stage it gains brings its attached keys onto that stage. */
  stages: Array<{ apiId?: string; apiName?: string; stage: string }>;
}

/** One API key as `upg keys` shows it: never its value. Dates are ISO strings. */
export interface ApiKeyInfo {
  id: string;
  name?: string;
  enabled: boolean;
  customerId?: string;
  description?: string;
  createdDate?: string;
  lastUpdatedDate?: string;
}

/** A key just created: the only shape that carries a value, for delivery to the user who asked for it. */
export interface CreatedApiKey extends ApiKeyInfo {
  value: string;
}

export interface ImportResult {
  ids: string[];
  warnings: string[];
  /** Set when ImportApiKeys answered 409 ConflictException (a value that exists already): its message. */
  conflict?: string;
}

/** GetUsage of one plan over all pages: `[used, remaining]` per day (oldest first) per API key id. */
export interface UsagePage {
  planId: string;
  startDate: string;
  endDate: string;
  values: Record<string, number[][]>;
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
  /** Every API key, without values. */
  listApiKeys(): Promise<ApiKeyInfo[]>;
  /** CreateApiKey (enabled); the result carries the generated value. */
  createApiKey(req: { name: string; description?: string; customerId?: string }): Promise<CreatedApiKey>;
  /** UpdateApiKey replace /enabled. */
  setApiKeyEnabled(id: string, enabled: boolean): Promise<void>;
  /** DeleteApiKey; NotFound counts as done. */
  deleteApiKey(id: string): Promise<void>;
  /** ImportApiKeys (CSV, failOnWarnings). */
  importApiKeys(csv: string): Promise<ImportResult>;
  /** GetUsage, every page. Dates YYYY-MM-DD, both inclusive. */
  getUsage(planId: string, startDate: string, endDate: string, keyId?: string): Promise<UsagePage>;
  /** UpdateUsage replace /remaining for the current quota period. */
  setRemaining(planId: string, keyId: string, remaining: number): Promise<void>;
  /** Who is calling (STS GetCallerIdentity ARN, or the sandbox identity). */
  callerIdentity(): Promise<string>;
  /** Per-operation call counts made through this gateway (for reports and benchmarks). */
  callCounts(): Record<string, number>;
  destroy(): void;
}
