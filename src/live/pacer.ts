// Every API Gateway call goes through one pacer, and so does every retry of it: at most `concurrency`
// calls in flight, a token bucket for all calls, and a minimum gap between UpdateUsagePlan calls (AWS: one
// every 20 s per account and region). The SDK makes one attempt per call; the pacer retries what is worth
// retrying, each attempt taking a token like any other call.
//
// The bucket runs `headroom` (default 10%) under AWS's limits (10 requests/s, burst 40 → 9/s, burst 36), so
// the jitter of a real network cannot push a run over AWS's own bucket. A 429 that still comes (another tool
// spending the same budget, a run that started right after another) is absorbed by the whole bucket: it is
// drained, so the next call waits about one token's interval, and the rate drops for a few seconds and
// recovers. A Retry-After header pauses the whole bucket until then. There are no per-call exponential
// sleeps for throttling; 5xx answers, timeouts and reset connections back off per call (full jitter).
// AWS's bucket is the account-region's, not the process's: the level is remembered between runs
// (pace-memory.ts), so a run started right after another does not spend a burst AWS no longer has.

import { setTimeout as sleepFor } from "node:timers/promises";
import { CallNotSent } from "../abort.js";
import { DEFAULT_MAX_ATTEMPTS, TIMEOUT_ATTEMPTS } from "../aws/client-config.js";
import { type RetryKind, retryKind } from "../aws/errors.js";
import type { PacingLimits } from "../model/spec.js";
import { flushOnExit, type PaceMemory, type SavedPace } from "./pace-memory.js";

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
  /**
   * Attempts of a call that fails with a 5xx answer or a reset connection, the first one included (default
   * DEFAULT_MAX_ATTEMPTS). Throttled attempts do not count: they have their own `maxThrottleRetries`.
   */
  maxAttempts?: number;
  /** Attempts of a call whose attempts time out, the first one included (default TIMEOUT_ATTEMPTS). */
  timeoutAttempts?: number;
  /** Retries after throttling answers (default 6). */
  maxThrottleRetries?: number;
  /** Backoff before retry n (0-based) after a 5xx, a timeout or a reset (default: full jitter, 100 ms × 2^n, ≤ 20 s). */
  backoffMs?: (retry: number) => number;
  /** Told about every wait of a second or more, before it starts (for "next in 14 s" progress). */
  onWait?: (wait: PacerWait) => void;
  /**
   * Aborted: a call still waiting for its turn is not sent (it fails with CallNotSent), and no new call starts.
   * A call already sent is left to finish.
   */
  signal?: AbortSignal;
  /** Told about every throttling answer (429) an attempt received. */
  onThrottled?: (operation: string) => void;
  /**
   * Where the bucket's level is kept between runs (the budget is the account's, not the process's): read
   * when the pacer is created, written when the process exits or flush() is called. Needs the system clock.
   */
  memory?: PaceMemory;
}

export interface PacerWait {
  operation: string;
  ms: number;
  /** Why: "interval" (UpdateUsagePlan's one-per-interval rule), "rate" (the request budget), "throttled". */
  reason: "interval" | "rate" | "throttled";
}

/** Waits shorter than this are not worth telling anyone about. */
export const REPORTED_WAIT_MS = 1000;

/** Default share of AWS's request rate and burst that the pacer leaves unused. */
export const DEFAULT_HEADROOM = 0.1;

/** A Retry-After longer than this is taken as this (a run should not sit silent for minutes on one header). */
export const MAX_RETRY_AFTER_MS = 60_000;

/** After a 429 the rate drops to this share of what it was… */
export const THROTTLED_RATE_FACTOR = 0.7;
/** …never below this share of the paced rate… */
export const MIN_RATE_FACTOR = 0.25;
/** …and climbs back to the full paced rate over this long, linearly. */
export const RATE_RECOVERY_MS = 5000;
/** 429s closer together than this are one event (the calls in flight at that moment all hear about it). */
const THROTTLE_EVENT_MS = 1000;

export interface Pacer {
  /** Runs `fn` (one SDK call of `operation`, called once per attempt) under the pacing limits. */
  run<T>(operation: string, fn: () => Promise<T>): Promise<T>;
  /** The pace in effect now: requests per second (lower for a while after a 429), burst, tokens, pause. */
  pace(): { requestsPerSecond: number; burst: number; tokens: number; pausedForMs: number };
  /** Writes the bucket's level to `memory` now (it is also written when the process exits). */
  flush(): void;
}

export const UPDATE_USAGE_PLAN = "UpdateUsagePlan";

/** The rate and burst the pacer keeps to: `headroom` under the configured limits (burst at least 1). */
export function pacedLimits(limits: PacingLimits): { requestsPerSecond: number; burst: number } {
  const headroom = limits.headroom ?? 0;
  return {
    requestsPerSecond: limits.requests_per_second * (1 - headroom),
    burst: Math.max(1, Math.floor(limits.burst * (1 - headroom) + 1e-9)),
  };
}

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

/** The SDK's standard backoff: a random wait up to 100 ms × 2^retry, at most 20 s ("full jitter"). */
export const jitteredBackoff = (retry: number): number => Math.random() * Math.min(20_000, 100 * 2 ** retry);

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

/**
 * The shared token bucket. A caller asks for a token when it is about to send, and is told how long to wait
 * when there is none; it asks again after that wait, so a pause that began meanwhile (a 429 with Retry-After)
 * holds back callers that were already waiting too.
 */
class TokenBucket {
  private tokens: number;
  /** Tokens are counted up to this moment; a paused bucket has it in the future. */
  private countedTo: number;
  private throttledAt = Number.NEGATIVE_INFINITY;
  private lowFactor = 1;

  constructor(
    private readonly ratePerMs: number,
    readonly capacity: number,
    private readonly clock: PacerClock,
    saved?: SavedPace,
  ) {
    this.tokens = capacity;
    this.countedTo = clock.now();
    if (saved) {
      // What an earlier run left, refilled for the time since (and still paused if it was).
      this.tokens = Math.min(capacity, Math.max(0, saved.tokens));
      this.countedTo = Math.min(saved.at, this.countedTo + MAX_RETRY_AFTER_MS);
      this.refill(clock.now());
    }
  }

  /** The level now (a paused bucket: the level when the pause ends). */
  snapshot(): SavedPace {
    this.refill(this.clock.now());
    return { at: this.countedTo, tokens: this.tokens };
  }

  /** The share of the paced rate in effect at `t`: reduced after a 429, recovering linearly. */
  factor(t: number): number {
    const since = t - this.throttledAt;
    if (since >= RATE_RECOVERY_MS) return 1;
    return Math.min(1, this.lowFactor + ((1 - this.lowFactor) * Math.max(0, since)) / RATE_RECOVERY_MS);
  }

  rateAt(t: number): number {
    return this.ratePerMs * this.factor(t);
  }

  private refill(now: number): void {
    if (now <= this.countedTo) return;
    // The rate at the start of the span: the lower one while it recovers.
    const added = (now - this.countedTo) * this.rateAt(this.countedTo);
    this.tokens = Math.min(this.capacity, this.tokens + added);
    this.countedTo = now;
  }

  /** Takes a token and answers 0, or answers the milliseconds until one may be there (and takes nothing). */
  take(): number {
    const now = this.clock.now();
    if (now < this.countedTo) return Math.ceil(this.countedTo - now);
    this.refill(now);
    if (this.tokens >= 1 - 1e-9) {
      this.tokens = Math.max(0, this.tokens - 1);
      return 0;
    }
    // Whole milliseconds, at least one: timers do not fire sooner, and a shorter wait would only spin.
    return Math.max(1, Math.ceil((1 - this.tokens) / this.rateAt(now)));
  }

  /**
   * A 429: no tokens left (the next call waits about one interval), the rate reduced for a while, and with
   * a Retry-After, nothing at all until then (one token ready at that moment).
   */
  throttled(retryAfter: number | undefined): void {
    const now = this.clock.now();
    this.refill(now);
    if (now - this.throttledAt >= THROTTLE_EVENT_MS) {
      this.lowFactor = Math.max(MIN_RATE_FACTOR, this.factor(now) * THROTTLED_RATE_FACTOR);
      this.throttledAt = now;
    }
    this.tokens = 0;
    if (retryAfter !== undefined && retryAfter > 0) {
      const until = now + retryAfter;
      if (until > this.countedTo) {
        this.countedTo = until;
        this.tokens = 1;
      }
    }
  }

  pausedFor(): number {
    return Math.max(0, this.countedTo - this.clock.now());
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
      if (wait > 0) await this.pause(wait, UPDATE_USAGE_PLAN);
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

/** Records on the error how many attempts the call made, for "(2 attempts)" in what the user reads. */
function noteAttempts(err: unknown, attempts: number): void {
  if (attempts < 2 || typeof err !== "object" || err === null) return;
  const e = err as { $metadata?: Record<string, unknown> };
  if (typeof e.$metadata === "object" && e.$metadata !== null) e.$metadata.attempts = attempts;
  else if (Object.isExtensible(e)) e.$metadata = { attempts };
}

export function createPacer(limits: PacingLimits, opts: PacerOptions = {}): Pacer {
  const clock = opts.clock ?? systemClock;
  const maxAttempts = Math.max(1, opts.maxAttempts ?? DEFAULT_MAX_ATTEMPTS);
  const timeoutAttempts = Math.max(1, Math.min(maxAttempts, opts.timeoutAttempts ?? TIMEOUT_ATTEMPTS));
  const maxThrottleRetries = opts.maxThrottleRetries ?? 6;
  const backoff = opts.backoffMs ?? jitteredBackoff;
  const paced = pacedLimits(limits);
  const slots = new Slots(limits.concurrency);
  const bucket = new TokenBucket(paced.requestsPerSecond / 1000, paced.burst, clock, opts.memory?.load());
  const flush = () => opts.memory?.save(bucket.snapshot());
  if (opts.memory) flushOnExit(flush);
  const tell = (operation: string, ms: number, reason: PacerWait["reason"]) => {
    if (ms >= REPORTED_WAIT_MS) opts.onWait?.({ operation, ms, reason });
  };
  const stopped = (operation: string) => {
    if (opts.signal?.aborted) throw new CallNotSent(operation);
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

  /** One attempt: a slot, then a token, then the call. */
  async function attempt<T>(operation: string, fn: () => Promise<T>, reason: PacerWait["reason"]) {
    stopped(operation);
    await slots.acquire();
    try {
      let told = false;
      for (let wait = bucket.take(); wait > 0; wait = bucket.take()) {
        if (!told) tell(operation, wait, reason);
        told = true;
        await pause(wait, operation);
      }
      stopped(operation);
      return await fn();
    } finally {
      slots.release();
    }
  }

  /** Whether the attempt that failed with `kind` gets another one, given the attempts made so far. */
  function retries(kind: RetryKind | undefined, sent: number, throttles: number): boolean {
    if (kind === "throttled") return throttles <= maxThrottleRetries;
    if (kind === "timeout") return sent - throttles < timeoutAttempts;
    if (kind === "transient") return sent - throttles < maxAttempts;
    return false;
  }

  async function withRetries<T>(operation: string, fn: () => Promise<T>): Promise<T> {
    let sent = 0;
    let throttles = 0;
    let lastError: unknown;
    let reason: PacerWait["reason"] = "rate";
    /**
     * The run is stopping before the next attempt. If every attempt so far was refused unexecuted (429),
     * nothing happened: CallNotSent. Otherwise the last answer (a 5xx, a timeout) leaves the outcome open,
     * and that is what the caller must hear.
     */
    const stopping = (stop: unknown): never => {
      if (sent === throttles || lastError === undefined) throw stop;
      noteAttempts(lastError, sent);
      throw lastError;
    };
    for (;;) {
      let result: T;
      try {
        result = await attempt(operation, fn, reason);
      } catch (err) {
        if (err instanceof CallNotSent) return stopping(err);
        sent++;
        const kind = retryKind(err, "API Gateway");
        if (kind === "throttled") {
          throttles++;
          opts.onThrottled?.(operation);
        }
        if (!retries(kind, sent, throttles)) {
          noteAttempts(err, sent);
          throw err;
        }
        lastError = err;
        const retryAfter = kind === "throttled" ? retryAfterMs(err) : undefined;
        const hinted = retryAfter === undefined ? undefined : Math.min(MAX_RETRY_AFTER_MS, retryAfter);
        let wait = 0;
        if (kind === "throttled" && operation === UPDATE_USAGE_PLAN) {
          // UpdateUsagePlan has a bucket of its own at AWS: its lane waits, the other calls go on.
          wait = Math.max(limits.update_usage_plan_interval_ms, hinted ?? 0);
        } else if (kind === "throttled") {
          bucket.throttled(hinted);
        } else {
          wait = backoff(sent - throttles - 1);
        }
        reason = kind === "throttled" ? "throttled" : "rate";
        if (wait > 0) {
          if (kind === "throttled") tell(operation, wait, "throttled");
          await pause(wait, operation).catch(stopping);
        }
        continue;
      }
      return result;
    }
  }

  return {
    run: (operation, fn) =>
      operation === UPDATE_USAGE_PLAN
        ? updates.run(() => withRetries(operation, fn))
        : withRetries(operation, fn),
    pace: () => {
      const now = clock.now();
      const { tokens } = bucket.snapshot();
      return {
        requestsPerSecond: paced.requestsPerSecond * bucket.factor(now),
        burst: paced.burst,
        tokens,
        pausedForMs: bucket.pausedFor(),
      };
    },
    flush,
  };
}
