/** In-memory, Map-based store of one account/region's API Gateway resources. */
import { fail } from "./errors.js";
import type { AccountLimits } from "./types.js";

export const DEFAULT_LIMITS: Readonly<AccountLimits> = {
  usagePlans: 300,
  usagePlansPerKey: 10,
  apiKeys: 10_000,
  stagesPerApi: 10,
  tagsPerResource: 50,
};

export type Tags = Map<string, string>;
export type QuotaPeriod = "DAY" | "WEEK" | "MONTH";

export interface ThrottleSettings {
  burstLimit?: number;
  rateLimit?: number;
}

export interface QuotaSettings {
  limit: number;
  offset: number;
  period: QuotaPeriod;
}

export interface ApiStage {
  apiId: string;
  stage: string;
  /** "{resourcePath}/{METHOD}" → override, e.g. "/pets/GET". */
  throttle: Map<string, ThrottleSettings>;
}

export interface UsagePlan {
  seq: number;
  id: string;
  name: string;
  description?: string;
  apiStages: ApiStage[];
  throttle?: ThrottleSettings;
  quota?: QuotaSettings;
  productCode?: string;
  tags: Tags;
}

export interface ApiKey {
  seq: number;
  id: string;
  value: string;
  name?: string;
  description?: string;
  customerId?: string;
  enabled: boolean;
  createdDate: number;
  lastUpdatedDate: number;
  stageKeys: string[];
  tags: Tags;
}

export interface Integration {
  type: string;
  httpMethod?: string;
  uri?: string;
}

export interface Method {
  httpMethod: string;
  authorizationType: string;
  apiKeyRequired: boolean;
  operationName?: string;
  integration?: Integration;
}

export interface Resource {
  seq: number;
  id: string;
  parentId?: string;
  pathPart?: string;
  path: string;
  methods: Map<string, Method>;
}

export interface Deployment {
  seq: number;
  id: string;
  description?: string;
  createdDate: number;
}

export interface Stage {
  stageName: string;
  deploymentId: string;
  description?: string;
  variables: Map<string, string>;
  createdDate: number;
  lastUpdatedDate: number;
  tags: Tags;
}

export interface RestApi {
  seq: number;
  id: string;
  name: string;
  description?: string;
  version?: string;
  createdDate: number;
  apiKeySource: string;
  endpointTypes: string[];
  disableExecuteApiEndpoint: boolean;
  rootResourceId: string;
  resources: Map<string, Resource>;
  deployments: Map<string, Deployment>;
  stages: Map<string, Stage>;
  tags: Tags;
}

export interface AccountConfig {
  accountId: string;
  region: string;
  /**
   * [U] Whether GetUsagePlans list items carry `tags` is not known: "nonEmpty" (default) includes them for
   * tagged plans, "never" leaves them out, so clients' fallback (GetTags per plan) can be tested.
   */
  listTags?: "nonEmpty" | "never";
}

/** Usage counters: "{planId} {keyId}" → epoch day → requests. */
type UsageCounters = Map<string, Map<number, number>>;

export class SandboxState {
  readonly plans = new Map<string, UsagePlan>();
  readonly keys = new Map<string, ApiKey>();
  readonly keyIdByValue = new Map<string, string>();
  /** planId → (keyId → membership seq), in membership order. */
  readonly planKeys = new Map<string, Map<string, number>>();
  /** keyId → ids of the plans it belongs to. */
  readonly keyPlans = new Map<string, Set<string>>();
  readonly restApis = new Map<string, RestApi>();
  readonly usage: UsageCounters = new Map();
  /** Quota extensions granted by UpdateUsage: "{planId} {keyId} {periodStartDay}" → delta. */
  readonly extensions = new Map<string, number>();
  limits: AccountLimits;
  private seq = 0;

  constructor(
    readonly config: AccountConfig,
    limits: Partial<AccountLimits> = {},
  ) {
    this.limits = { ...DEFAULT_LIMITS, ...limits };
  }

  /** Monotonic sequence number: orders every list and backs the pagination tokens. */
  nextSeq(): number {
    this.seq += 1;
    return this.seq;
  }

  /** The last sequence number handed out (saved with the state, so a restart continues after it). */
  get lastSeq(): number {
    return this.seq;
  }

  /** Continue the sequence after `seq` (never moves it backwards). */
  continueSeqAfter(seq: number): void {
    this.seq = Math.max(this.seq, seq);
  }

  requirePlan(id: string): UsagePlan {
    return this.plans.get(id) ?? fail("NotFoundException", "Invalid Usage Plan ID specified");
  }

  requireKey(id: string): ApiKey {
    return this.keys.get(id) ?? fail("NotFoundException", "Invalid API Key identifier specified");
  }

  requireRestApi(id: string): RestApi {
    return (
      this.restApis.get(id) ??
      fail("NotFoundException", `Invalid API identifier specified ${this.config.accountId}:${id}`)
    );
  }

  requireStage(api: RestApi, name: string): Stage {
    return api.stages.get(name) ?? fail("NotFoundException", "Invalid stage identifier specified");
  }

  plansOfKey(keyId: string): ReadonlySet<string> {
    return this.keyPlans.get(keyId) ?? new Set();
  }

  isMember(planId: string, keyId: string): boolean {
    return this.planKeys.get(planId)?.has(keyId) ?? false;
  }

  addMembership(planId: string, keyId: string): void {
    let keys = this.planKeys.get(planId);
    if (!keys) {
      keys = new Map();
      this.planKeys.set(planId, keys);
    }
    keys.set(keyId, this.nextSeq());
    let plans = this.keyPlans.get(keyId);
    if (!plans) {
      plans = new Set();
      this.keyPlans.set(keyId, plans);
    }
    plans.add(planId);
  }

  removeMembership(planId: string, keyId: string): void {
    this.planKeys.get(planId)?.delete(keyId);
    this.keyPlans.get(keyId)?.delete(planId);
    this.usage.delete(usageKey(planId, keyId));
  }

  /** Deleting a plan removes its usage-plan keys and usage data (invariant 4). */
  deletePlan(planId: string): void {
    for (const keyId of [...(this.planKeys.get(planId)?.keys() ?? [])]) this.removeMembership(planId, keyId);
    this.planKeys.delete(planId);
    this.plans.delete(planId);
  }

  /** Deleting an API key removes it from every plan (invariant 4). */
  deleteKey(keyId: string): void {
    for (const planId of [...this.plansOfKey(keyId)]) this.removeMembership(planId, keyId);
    this.keyPlans.delete(keyId);
    const key = this.keys.get(keyId);
    if (key) this.keyIdByValue.delete(key.value);
    this.keys.delete(keyId);
  }

  reset(): void {
    for (const m of [this.plans, this.keys, this.keyIdByValue, this.planKeys, this.keyPlans, this.restApis]) {
      m.clear();
    }
    this.usage.clear();
    this.extensions.clear();
  }
}

export function usageKey(planId: string, keyId: string): string {
  return `${planId} ${keyId}`;
}

/** Epoch seconds, the rest-json timestamp format. */
export function epochSeconds(ms: number): number {
  return Math.floor(ms / 1000);
}

/** A Map rendered as a JSON object (own properties even for keys such as "__proto__"). */
export function mapToObject<V>(m: ReadonlyMap<string, V>): Record<string, V> {
  return Object.fromEntries(m);
}
