// Every API Gateway call goes through one pacer: at most `concurrency` calls in flight, a token bucket
// (`requests_per_second`, `burst`) for all calls, and a minimum gap between UpdateUsagePlan calls
// (AWS: one every 20 s per account). A throttling error that still escapes the SDK's own retries is
// waited out (Retry-After, else exponential backoff) and retried a bounded number of times.

import { setTimeout as sleepFor } from "node:timers/promises";
import { CallNotSent } from "../abort.js";
import { isThrottlingError } from "../aws/errors.js";
import type { PacingLimits } from "../model/spec.js";

export interface PacerClock {
  now(): number;
  /** With a signal, an abort ends the sleep early (rejecting) and clears its timer, so the process can exit. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms, signal) => sleepFor(Math.max(0, ms), undefined, signal ? { signal } : {}),
};

export interface PacerOptions {
  clock?: PacerClock;
  /** Retries after a throttling error escaped the SDK (default 5). */
  maxThrottleRetries?: number;
  /** Backoff before retry n (0-based) when the error carries no Retry-After. */
  backoffMs?: (retry: number) => number;
  /** Told about every wait of a second or more, before it starts (for "next in 14 s" progress). */
  onWait?: (wait: PacerWait) => void;
  /**
   * Aborted: a call still waiting for its turn is not sent (it fails with CallNotSent), and no new call starts.
   * A call already sent is left to finish.
   */
  signal?: AbortSignal;
}

export interface PacerWait {
  operation: string;
  ms: number;
  /** Why: "interval" (UpdateUsagePlan's one-per-interval rule), "rate" (the request budget), "throttled". */
  reason: "interval" | "rate" | "throttled";
}

/** Waits shorter than this are not worth telling anyone about. */
export const REPORTED_WAIT_MS = 1000;

export interface Pacer {
  /** Runs `fn` (one SDK call of `operation`) under the pacing limits. */
  run<T>(operation: string, fn: () => Promise<T>): Promise<T>;
}

export const UPDATE_USAGE_PLAN = "UpdateUsagePlan";

function headerValue(err: unknown, name: string): unknown {
  if (typeof err !== "object" || err === null) return undefined;
  const headers = (err as { $response?: { headers?: Record<string, unknown> } }).$response?.headers;
  return headers?.[name] ?? headers?.[name.toLowerCase()];
}

/** Milliseconds to wait, from the exception's `retryAfterSeconds`, else the raw `Retry-After` header. */
export function retryAfterMs(err: unknown): number | undefined {
  const fromShape =
    typeof err === "object" && err !== null
      ? (err as { retryAfterSeconds?: unknown }).retryAfterSeconds
      : undefined;
  for (const raw of [fromShape, headerValue(err, "Retry-After")]) {
    const seconds = typeof raw === "number" ? raw : typeof raw === "string" ? Number(raw) : Number.NaN;
    if (raw !== "" && Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  }
  return undefined;
}

const defaultBackoff = (retry: number): number => Math.min(20_000, 250 * 2 ** retry);

/** FIFO semaphore. */
class Slots {
  private free: number;
  private readonly waiting: Array<() => void> = [];

  constructor(size: number) {
    this.free = Math.max(1, size);
  }

  async acquire(): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.free++;
  }
}

/** Token bucket with reservations: a caller takes its token now and waits until the bucket covers it. */
class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerMs: number,
    private readonly capacity: number,
    private readonly clock: PacerClock,
  ) {
    this.tokens = capacity;
    this.updatedAt = clock.now();
  }

  /** Milliseconds the caller must wait before its call. */
  reserve(): number {
    const now = this.clock.now();
    this.tokens = Math.min(this.capacity, this.tokens + (now - this.updatedAt) * this.ratePerMs);
    this.updatedAt = now;
    this.tokens -= 1;
    return this.tokens >= 0 ? 0 : -this.tokens / this.ratePerMs;
  }
}

/**
 * UpdateUsagePlan calls run one after another, each starting at least `intervalMs` after the previous
 * one *finished*: the server saw it no later than that, so the gap it measures is never shorter.
 */
class SerialGap {
  private tail: Promise<void> = Promise.resolve();
  private lastEnd = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly intervalMs: number,
    private readonly clock: PacerClock,
    private readonly onWait?: (ms: number) => void,
    private readonly pause: (ms: number, operation: string) => Promise<void> = (ms) => clock.sleep(ms),
  ) {}

  run<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.tail.then(async () => {
      const wait = this.lastEnd + this.intervalMs - this.clock.now();
      if (wait >= REPORTED_WAIT_MS) this.onWait?.(wait);
      await this.pause(wait, UPDATE_USAGE_PLAN);
      try {
        return await fn();
      } finally {
        this.lastEnd = this.clock.now();
      }
    });
    this.tail = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }
}

export function createPacer(limits: PacingLimits, opts: PacerOptions = {}): Pacer {
  const clock = opts.clock ?? systemClock;
  const maxRetries = opts.maxThrottleRetries ?? 5;
  const backoff = opts.backoffMs ?? defaultBackoff;
  const slots = new Slots(limits.concurrency);
  const bucket = new TokenBucket(limits.requests_per_second / 1000, Math.max(1, limits.burst), clock);
  const tell = (operation: string, ms: number, reason: PacerWait["reason"]) => {
    if (ms >= REPORTED_WAIT_MS) opts.onWait?.({ operation, ms, reason });
  };
  /** A wait that ends early, with CallNotSent, when the run is told to stop. */
  const pause = (ms: number, operation: string): Promise<void> => {
    const signal = opts.signal;
    if (!signal) return clock.sleep(ms);
    if (signal.aborted) return Promise.reject(new CallNotSent(operation));
    return new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(new CallNotSent(operation));
      signal.addEventListener("abort", onAbort, { once: true });
      clock.sleep(ms, signal).then(
        () => {
          signal.removeEventListener("abort", onAbort);
          if (signal.aborted) reject(new CallNotSent(operation));
          else resolve();
        },
        () => {
          signal.removeEventListener("abort", onAbort);
          reject(new CallNotSent(operation));
        },
      );
    });
  };
  const updates = new SerialGap(
    limits.update_usage_plan_interval_ms,
    clock,
    (ms) => tell(UPDATE_USAGE_PLAN, ms, "interval"),
    pause,
  );

  async function once<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    await slots.acquire();
    try {
      const wait = bucket.reserve();
      tell(operation, wait, "rate");
      await pause(wait, operation);
      return await fn();
    } finally {
      slots.release();
    }
  }

  async function withRetries<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    for (let retry = 0; ; retry++) {
      try {
        return await once(operation, fn);
      } catch (err) {
        if (!isThrottlingError(err, "API Gateway") || retry >= maxRetries) throw err;
        const floor = operation === UPDATE_USAGE_PLAN ? limits.update_usage_plan_interval_ms : 0;
        const wait = Math.max(floor, retryAfterMs(err) ?? backoff(retry));
        tell(operation, wait, "throttled");
        await pause(wait, operation);
      }
    }
  }

  return {
    run: (operation, fn) =>
      operation === UPDATE_USAGE_PLAN
        ? updates.run(() => withRetries(operation, fn))
        : withRetries(operation, fn),
  };
}
