// The apply lock held as a lease: renewed in the background every ttl/3, so that a write does not need a
// DynamoDB call of its own to know that this run still holds the lock.
//
// A renewal sets expires_at = (the time it was sent) + ttl. Another run can take the lock over only once that
// moment has passed on its clock. So before each write, `fence()` checks locally that the last successful
// renewal was sent less than ttl − margin ago (margin = ttl/2: room for the write to land and for clocks
// that disagree); only then it skips the DynamoDB call. Otherwise (the timer fell behind: a stalled event
// loop, a slow or failing DynamoDB) it renews synchronously first. A renewal that finds the lock taken
// marks the lease lost for good: every later fence throws, so the run writes nothing more of any kind.

import { LockLostError } from "../errors.js";
import type { Store } from "../store/index.js";

export interface LeaseOptions {
  store: Pick<Store, "renewLock">;
  runId: string;
  ttlSeconds: number;
  /** When the lock was acquired (or last renewed), in ms since the epoch. */
  since: number;
  now?: () => number;
}

export class Lease {
  private readonly ttlMs: number;
  private readonly marginMs: number;
  private readonly now: () => number;
  private renewedAt: number;
  private lostError: unknown;
  private inflight: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** DynamoDB renewals made (the timer's and the synchronous ones). */
  renewals = 0;

  constructor(private readonly opts: LeaseOptions) {
    this.ttlMs = opts.ttlSeconds * 1000;
    this.marginMs = this.ttlMs / 2;
    this.now = opts.now ?? Date.now;
    this.renewedAt = opts.since;
  }

  /** Renew every ttl/3 in the background until stop(). The timer does not keep the process alive. */
  start(): this {
    if (this.timer || this.lostError) return this;
    const every = Math.max(1, Math.floor(this.ttlMs / 3));
    this.timer = setInterval(() => {
      void this.renew().catch(() => undefined);
    }, every);
    this.timer.unref();
    return this;
  }

  /** Stops the timer; resolves once a renewal in flight has settled (so nothing renews after the release). */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.inflight?.catch(() => undefined);
  }

  /** True once a renewal found the lock held by another run (or gone). */
  get lost(): boolean {
    return this.lostError !== undefined;
  }

  /** Still safely ours by the local clock: the last renewal was sent less than ttl − margin ago. */
  valid(): boolean {
    return !this.lost && this.now() < this.renewedAt + this.ttlMs - this.marginMs;
  }

  /** Call before every write: returns when the lease is valid, throws when the lock is lost or cannot be renewed. */
  async fence(): Promise<void> {
    if (this.lostError) throw this.lostError;
    if (this.valid()) return;
    await this.renew();
    if (this.lostError) throw this.lostError;
  }

  /** One renewal at a time: a fence that finds one in flight waits for it. */
  private renew(): Promise<void> {
    if (this.lostError) return Promise.reject(this.lostError);
    if (this.inflight) return this.inflight;
    const sent = this.now();
    this.renewals++;
    const p = this.opts.store
      .renewLock(this.opts.runId, this.opts.ttlSeconds)
      .then(
        () => {
          if (!this.lostError) this.renewedAt = Math.max(this.renewedAt, sent);
        },
        (err: unknown) => {
          if (err instanceof LockLostError) {
            this.lostError = err;
            if (this.timer) clearInterval(this.timer);
            this.timer = undefined;
          }
          throw err;
        },
      )
      .finally(() => {
        if (this.inflight === p) this.inflight = undefined;
      });
    this.inflight = p;
    return p;
  }
}
