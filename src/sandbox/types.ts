/** Public types of the local AWS sandbox (API Gateway v1 control-plane emulator + dynalite + SNS). */

import type { SnsMessage } from "./sns/state.js";
import type { RoleRule } from "./sts.js";

export type { SnsMessage, SnsMessageAttribute } from "./sns/state.js";
export type { RoleRule } from "./sts.js";

export interface ErrorRates {
  "429"?: number;
  "500"?: number;
  "503"?: number;
}

export interface FailOperation {
  /** SDK operation name, e.g. "UpdateUsagePlan". */
  operation: string;
  status: number;
  /** Error code sent in `x-amzn-ErrorType`; derived from the status when absent. */
  code?: string;
  /** How many requests to fail; unlimited when absent. */
  count?: number;
}

export interface FaultConfig {
  /** Added to every API request (multiplied by the time scale). */
  latencyMs?: number;
  /** Fraction (0..1) of API requests answered with each status. */
  errorRate?: ErrorRates;
  /** Serve N more API requests, then destroy the socket of every request after them. */
  dropAfter?: number;
  failOperation?: FailOperation;
}

/** Per-account resource quotas (AWS defaults; the adjustable ones may be raised, e.g. for benchmarks). */
export interface AccountLimits {
  usagePlans: number;
  usagePlansPerKey: number;
  apiKeys: number;
  stagesPerApi: number;
  tagsPerResource: number;
}

export interface SandboxOptions {
  /** API Gateway port; 0 = free port (default 0). */
  port?: number;
  /** Default port+1 when port given, else a free port. */
  dynamoPort?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Default "us-east-1". */
  region?: string;
  /** Default "123456789012". */
  accountId?: string;
  /** Default 1; multiplies every throttle period and injected latency. */
  timeScale?: number;
  /** Default true. */
  throttling?: boolean;
  /** Default false for startSandbox(); `upg sandbox` seeds. */
  seed?: boolean;
  /**
   * Seed every account-region created on demand (a request signed for another region, or made with credentials
   * of another account) with the same sample data (weather-api, three API keys, the `upg-alerts` topic).
   * Default: `seed`.
   */
  seedAccountRegions?: boolean;
  /**
   * Serve only these regions (default: every region): a request signed for another one is refused with 403
   * InvalidSignatureException, as a regional AWS endpoint refuses it. Also settable while running.
   */
  regions?: string[];
  /** How STS treats roles when they are assumed (also settable while running: `Sandbox.sts.setRole`). */
  roles?: RoleRule[];
  /**
   * Keep everything in this directory (created when missing): dynalite's tables, and the API Gateway state and
   * SNS topics in `apigateway-state.json`, saved before each change is answered. Restarting with the same
   * directory shows the same account. In memory when absent.
   */
  dataDir?: string;
  faults?: FaultConfig;
  /** Default true: also start dynalite. */
  dynamo?: boolean;
  /** [U] Whether GetUsagePlans list items carry tags: "nonEmpty" (default) or "never". */
  listTags?: "nonEmpty" | "never";
  /** Override account quotas (extension to the contract; defaults are AWS's). */
  limits?: Partial<AccountLimits>;
  /**
   * An IAM policy document (parsed JSON): every API Gateway, DynamoDB and SNS call is checked against it and
   * refused with AccessDeniedException as AWS refuses it. Absent: everything is allowed.
   */
  iamPolicy?: unknown;
}

export interface UsageRecord {
  usagePlanId: string;
  keyId: string;
  /** YYYY-MM-DD (UTC). */
  date: string;
  count: number;
}

export interface CallerIdentity {
  arn: string;
  account: string;
}

export interface SandboxStatus {
  region: string;
  accountId: string;
  timeScale: number;
  throttling: boolean;
  faults: FaultConfig;
  limits: AccountLimits;
  /** Present when the sandbox serves only these regions (`regions`, `setRegions`). */
  servedRegions?: string[];
  /** Every account-region the sandbox holds, the default one first. */
  accountRegions: Array<{ accountId: string; region: string }>;
}

export interface SeededApiKey {
  id: string;
  name: string;
  value: string;
}

export interface SeedResult {
  restApiId: string;
  restApiName: string;
  rootResourceId: string;
  /** Resource path → resource id. */
  resources: Record<string, string>;
  /** e.g. "GET /forecast". */
  methods: string[];
  /** Stage name → deployment id. */
  stages: Record<string, string>;
  apiKeys: SeededApiKey[];
}

export interface SandboxAdmin {
  setFaults(f: Partial<FaultConfig>): Promise<void>;
  resetFaults(): Promise<void>;
  counters(): Promise<Record<string, number>>;
  resetCounters(): Promise<void>;
  recordUsage(u: UsageRecord): Promise<void>;
  setThrottling(on: boolean): Promise<void>;
  /** Serve only these regions (null: every region again); whole sandbox. */
  setRegions(regions: string[] | null): Promise<void>;
  /** Wipe all API Gateway state (and refill the throttle buckets); with `dataDir` the empty account is saved. */
  reset(): Promise<void>;
  identity(): Promise<CallerIdentity>;
  status(): Promise<SandboxStatus>;
  setLimits(l: Partial<AccountLimits>): Promise<void>;
  /** Seed the sample weather-api directly in the store (no throttling, faults or counters). */
  seed(): Promise<SeedResult>;
  /**
   * The same endpoints for another account-region (created on demand); `counters()` then counts only its
   * requests. Either field may be left out (the default's).
   */
  at(where: { account?: string; region?: string }): SandboxAdmin;
}

/** STS in the sandbox (query protocol, on the API Gateway port under /sts). */
export interface SandboxSts {
  /** AWS_ENDPOINT_URL_STS. */
  endpoint: string;
  /** How a role is treated by AssumeRole from now on (refused, or requiring an ExternalId). */
  setRole(rule: RoleRule): Promise<void>;
  roles(): Promise<RoleRule[]>;
  /** Every role assumable again, without an ExternalId. */
  resetRoles(): Promise<void>;
}

/** SNS in the sandbox (query protocol, on the API Gateway port under /sns). */
export interface SandboxSns {
  /** AWS_ENDPOINT_URL_SNS. */
  endpoint: string;
  /** The seeded topic `upg-alerts` in the sandbox's region. */
  topicArn: string;
  /** Every Publish accepted so far, oldest first. */
  messages(): Promise<SnsMessage[]>;
  clearMessages(): Promise<void>;
  /** Only the seeded topic, no messages. */
  reset(): Promise<void>;
}

/** Where a sandbox started with `dataDir` keeps its state. */
export interface SandboxDataInfo {
  dir: string;
  /** The API Gateway + SNS state file. */
  stateFile: string;
  /** True when a saved state was loaded at start (false: a new data directory). */
  restored: boolean;
  /** What the sandbox held when it started (every account-region together). */
  loaded: { usagePlans: number; apiKeys: number; restApis: number; accountRegions: number };
}

export interface Sandbox {
  apigatewayEndpoint: string;
  dynamodbEndpoint?: string;
  region: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** Present when started with `dataDir`. */
  data?: SandboxDataInfo;
  admin: SandboxAdmin;
  sns: SandboxSns;
  sts: SandboxSts;
  env(): Record<string, string>;
  /** Replace the IAM policy (only on a sandbox started with `iamPolicy`). */
  setIamPolicy(doc: unknown): void;
  stop(): Promise<void>;
}
