/**
 * Control-plane throttling (reference §5.2): token buckets per account-region (AWS's limits are per account
 * and region) — a global bucket (10 requests/s, burst 40) plus one per rate-limited operation. Every period is multiplied by the time scale.
 * A refused request takes no token from any bucket.
 */

export interface BucketSpec {
  /** Burst: tokens the bucket holds when full. */
  capacity: number;
  /** Milliseconds to refill one token at time scale 1. */
  refillMs: number;
}

export const GLOBAL_BUCKET: BucketSpec = { capacity: 40, refillMs: 100 };

/** Keyed by SDK operation name (CreateRestApi by endpoint type); every other operation has only the global limit. */
export const OPERATION_BUCKETS: Readonly<Record<string, BucketSpec>> = {
  UpdateUsagePlan: { capacity: 1, refillMs: 20_000 },
  CreateApiKey: { capacity: 5, refillMs: 200 },
  DeleteApiKey: { capacity: 5, refillMs: 200 },
  CreateDeployment: { capacity: 1, refillMs: 5_000 },
  "CreateRestApi:REGIONAL": { capacity: 1, refillMs: 3_000 },
  "CreateRestApi:EDGE": { capacity: 1, refillMs: 30_000 },
  DeleteRestApi: { capacity: 1, refillMs: 30_000 },
  GetResources: { capacity: 5, refillMs: 400 },
  UpdateAccount: { capacity: 1, refillMs: 20_000 },
};

interface Bucket {
  tokens: number;
  at: number;
}

export class Throttler {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly timeScale: number,
    public enabled: boolean,
    private readonly clock: () => number = () => performance.now(),
  ) {}

  /**
   * Take a token from the global bucket and from `bucketKey`'s, both of `scope` (an account-region). Returns undefined when allowed, otherwise the
   * scaled milliseconds until a token is available (and takes nothing).
   */
  take(bucketKey: string, scope = ""): number | undefined {
    if (!this.enabled) return undefined;
    const now = this.clock();
    const op = OPERATION_BUCKETS[bucketKey];
    const specs: Array<[string, BucketSpec]> = op
      ? [
          [`${scope} *`, GLOBAL_BUCKET],
          [`${scope} ${bucketKey}`, op],
        ]
      : [[`${scope} *`, GLOBAL_BUCKET]];
    const filled = specs.map(([key, spec]) => ({ spec, bucket: this.refill(key, spec, now) }));
    const wait = Math.max(
      ...filled.map(({ spec, bucket }) => (1 - Math.min(1, bucket.tokens)) * this.period(spec)),
    );
    if (wait > 0) return wait;
    for (const { bucket } of filled) bucket.tokens -= 1;
    return undefined;
  }

  /** Refill every bucket (admin reset), or only the buckets of one scope (an account-region). */
  reset(scope?: string): void {
    if (scope === undefined) {
      this.buckets.clear();
      return;
    }
    for (const key of [...this.buckets.keys()]) if (key.startsWith(`${scope} `)) this.buckets.delete(key);
  }

  private period(spec: BucketSpec): number {
    return spec.refillMs * this.timeScale;
  }

  private refill(key: string, spec: BucketSpec, now: number): Bucket {
    const bucket = this.buckets.get(key) ?? { tokens: spec.capacity, at: now };
    bucket.tokens = Math.min(spec.capacity, bucket.tokens + (now - bucket.at) / this.period(spec));
    bucket.at = now;
    this.buckets.set(key, bucket);
    return bucket;
  }
}
