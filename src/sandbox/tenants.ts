/**
 * The sandbox's account-regions: one API Gateway state (plans, keys, REST APIs, usage) and one set of
 * counters per (account, region), as on AWS where each account's resources and limits are regional. The
 * default one (the sandbox's `accountId` and `region`) exists from the start; any other is created the first
 * time a request names it, seeded like the default one when the sandbox seeds new account-regions.
 */
import { Counters } from "./faults.js";
import { SandboxState } from "./state.js";
import type { AccountLimits } from "./types.js";

export interface Tenant {
  /** "ACCOUNT/REGION": also the scope of its throttle buckets. */
  key: string;
  accountId: string;
  region: string;
  state: SandboxState;
  counters: Counters;
}

export function tenantKey(accountId: string, region: string): string {
  return `${accountId}/${region}`;
}

const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

export function isRegionName(region: string): boolean {
  return REGION_RE.test(region);
}

export interface TenantOptions {
  accountId: string;
  region: string;
  listTags?: "nonEmpty" | "never";
  limits?: Partial<AccountLimits>;
  /** Serve only these regions (default: every region). */
  regions?: readonly string[];
  /** Called once for every account-region created on demand (not for the default one or restored ones). */
  onCreate?: (t: Tenant) => void;
}

export class Tenants {
  private readonly byKey = new Map<string, Tenant>();
  /**
   * The regions served; undefined = every region. A sandbox limited to one region answers a request signed for
   * another as a regional AWS endpoint does (403 InvalidSignatureException).
   */
  servedRegions: string[] | undefined;
  /** How many account-regions were created on demand (a change to save, even when made by a read). */
  createdOnDemand = 0;
  readonly defaultTenant: Tenant;

  constructor(private readonly opts: TenantOptions) {
    this.defaultTenant = this.create(opts.accountId, opts.region);
    this.servedRegions = opts.regions ? [...opts.regions] : undefined;
  }

  serves(region: string): boolean {
    return isRegionName(region) && (this.servedRegions?.includes(region) ?? true);
  }

  /** The account-region, created (and seeded when the sandbox seeds new ones) on first use. */
  get(accountId: string, region: string): Tenant {
    const found = this.byKey.get(tenantKey(accountId, region));
    if (found) return found;
    const t = this.create(accountId, region);
    this.createdOnDemand += 1;
    this.opts.onCreate?.(t);
    return t;
  }

  /** The account-region if it exists, else undefined (admin reads do not create one). */
  find(accountId: string, region: string): Tenant | undefined {
    return this.byKey.get(tenantKey(accountId, region));
  }

  /** Created without the on-demand seeding (a restored account-region). */
  create(accountId: string, region: string): Tenant {
    const key = tenantKey(accountId, region);
    const existing = this.byKey.get(key);
    if (existing) return existing;
    const { listTags, limits } = this.opts;
    const state = new SandboxState({ accountId, region, ...(listTags ? { listTags } : {}) }, limits);
    const t: Tenant = { key, accountId, region, state, counters: new Counters() };
    this.byKey.set(key, t);
    return t;
  }

  all(): Tenant[] {
    return [...this.byKey.values()];
  }
}
