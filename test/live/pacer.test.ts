import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { CallNotSent } from "../../src/abort.js";
import {
  createPacer,
  MAX_RETRY_AFTER_MS,
  MIN_RATE_FACTOR,
  type PacerClock,
  pacedLimits,
  RATE_RECOVERY_MS,
  retryAfterMs,
} from "../../src/live/pacer.js";
import type { PacingLimits } from "../../src/model/spec.js";

// Virtual time: vitest's fake timers drive Date.now and setTimeout, so the real clock code is under test.
const clock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

const LIMITS: PacingLimits = {
  requests_per_second: 10,
  burst: 4,
  update_usage_plan_interval_ms: 20_000,
  concurrency: 3,
};

function throttled(extra: Record<string, unknown> = {}): Error {
  return Object.assign(new Error("Too Many Requests"), {
    name: "TooManyRequestsException",
    $metadata: { httpStatusCode: 429 },
    ...extra,
  });
}

/** Runs all timers until the promises settle. */
async function settle<T>(promises: Promise<T>[]): Promise<PromiseSettledResult<T>[]> {
  const all = Promise.allSettled(promises);
  await vi.runAllTimersAsync();
  return all;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe("pacer", () => {
  it("lets a burst through at once, then spaces calls at the steady rate", async () => {
    const pacer = createPacer({ ...LIMITS, concurrency: 100 }, { clock });
    const starts: number[] = [];
    await settle(
      Array.from({ length: 7 }, () => pacer.run("GetApiKeys", async () => starts.push(Date.now()))),
    );
    expect(starts).toEqual([0, 0, 0, 0, 100, 200, 300]);
  });

  it("keeps at most `concurrency` calls in flight", async () => {
    const pacer = createPacer({ ...LIMITS, requests_per_second: 1000, burst: 1000 }, { clock });
    let inFlight = 0;
    let peak = 0;
    const work = async () => {
      peak = Math.max(peak, ++inFlight);
      await clock.sleep(50);
      inFlight--;
    };
    await settle(Array.from({ length: 10 }, () => pacer.run("GetStages", work)));
    expect(peak).toBe(3);
    expect(Date.now()).toBe(200);
  });

  it("spaces UpdateUsagePlan calls by the interval after the previous one finished", async () => {
    const pacer = createPacer(LIMITS, { clock });
    const starts: number[] = [];
    const update = async () => {
      starts.push(Date.now());
      await clock.sleep(500);
    };
    const other: number[] = [];
    await settle([
      pacer.run("UpdateUsagePlan", update),
      pacer.run("UpdateUsagePlan", update),
      pacer.run("GetUsagePlans", async () => {
        other.push(Date.now());
      }),
      pacer.run("UpdateUsagePlan", update),
    ]);
    expect(starts).toEqual([0, 20_500, 41_000]);
    expect(other).toEqual([0]);
  });

  it("waits out an escaped 429 using Retry-After, then succeeds", async () => {
    const pacer = createPacer(LIMITS, { clock });
    const attempts: number[] = [];
    const fn = async () => {
      attempts.push(Date.now());
      if (attempts.length === 1) throw throttled({ retryAfterSeconds: "3" });
      if (attempts.length === 2) throw throttled({ $response: { headers: { "retry-after": "2" } } });
      return "ok";
    };
    const [result] = await settle([pacer.run("GetUsagePlans", fn)]);
    expect(result).toEqual({ status: "fulfilled", value: "ok" });
    expect(attempts).toEqual([0, 3000, 5000]);
  });

  it("gives up on throttling after the bounded retries, each retry about one token interval later", async () => {
    const pacer = createPacer({ ...LIMITS, burst: 1 }, { clock, maxThrottleRetries: 2 });
    const attempts: number[] = [];
    const [result] = await settle([
      pacer.run("CreateUsagePlanKey", async () => {
        attempts.push(Date.now());
        throw throttled();
      }),
    ]);
    expect(result).toMatchObject({ status: "rejected", reason: { name: "TooManyRequestsException" } });
    expect(attempts).toHaveLength(3);
    // No exponential per-call sleeps: each retry waits for the (drained, slowed) bucket's next token.
    for (let i = 1; i < attempts.length; i++) {
      const gap = (attempts[i] ?? 0) - (attempts[i - 1] ?? 0);
      expect(gap).toBeGreaterThanOrEqual(100);
      expect(gap).toBeLessThan(400);
    }
  });

  it("waits at least the update interval before retrying a throttled UpdateUsagePlan", async () => {
    const pacer = createPacer(LIMITS, { clock });
    const attempts: number[] = [];
    await settle([
      pacer.run("UpdateUsagePlan", async () => {
        attempts.push(Date.now());
        if (attempts.length === 1) throw throttled({ retryAfterSeconds: "1" });
      }),
    ]);
    expect(attempts).toEqual([0, 20_000]);
  });

  it("does not retry other errors, nor LimitExceededException (an account quota)", async () => {
    const pacer = createPacer(LIMITS, { clock });
    let calls = 0;
    const fail = (err: Error) => async () => {
      calls++;
      throw err;
    };
    const quota = Object.assign(new Error("quota"), {
      name: "LimitExceededException",
      $metadata: { httpStatusCode: 429 },
    });
    const results = await settle([
      pacer.run("CreateUsagePlan", fail(quota)),
      pacer.run("GetUsagePlan", fail(Object.assign(new Error("nf"), { name: "NotFoundException" }))),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(2);
  });
});

function serverError(status = 503): Error {
  return Object.assign(new Error("Service Unavailable"), {
    name: "ServiceUnavailableException",
    $metadata: { httpStatusCode: status },
  });
}

describe("pacer: headroom", () => {
  it("paces 10% under AWS's limits by default in the config (9 requests/s, burst 36)", () => {
    expect(pacedLimits({ ...LIMITS, requests_per_second: 10, burst: 40, headroom: 0.1 })).toEqual({
      requestsPerSecond: 9,
      burst: 36,
    });
    expect(pacedLimits({ ...LIMITS, requests_per_second: 10, burst: 40 })).toEqual({
      requestsPerSecond: 10,
      burst: 40,
    });
    expect(pacedLimits({ ...LIMITS, burst: 1, headroom: 0.5 }).burst).toBe(1);
  });

  it("lets 36 calls through at once, then one every 1/9 s", async () => {
    const pacer = createPacer(
      { ...LIMITS, requests_per_second: 10, burst: 40, headroom: 0.1, concurrency: 100 },
      { clock },
    );
    const starts: number[] = [];
    await settle(
      Array.from({ length: 39 }, () => pacer.run("GetUsagePlan", async () => starts.push(Date.now()))),
    );
    expect(starts.slice(0, 36).every((t) => t === 0)).toBe(true);
    expect(starts.slice(36).map((t) => Math.round(t))).toEqual([112, 223, 334]);
  });

  it("keeps the UpdateUsagePlan interval as configured (no headroom there)", async () => {
    const pacer = createPacer({ ...LIMITS, headroom: 0.5 }, { clock });
    const starts: number[] = [];
    const update = async () => {
      starts.push(Date.now());
    };
    await settle([pacer.run("UpdateUsagePlan", update), pacer.run("UpdateUsagePlan", update)]);
    expect(starts).toEqual([0, 20_000]);
  });
});

describe("pacer: retries", () => {
  it("every retry takes a token like any other call", async () => {
    const pacer = createPacer({ ...LIMITS, burst: 1 }, { clock, backoffMs: () => 0 });
    const attempts: number[] = [];
    const [result] = await settle([
      pacer.run("GetUsagePlans", async () => {
        attempts.push(Date.now());
        if (attempts.length < 4) throw serverError();
        return "ok";
      }),
    ]);
    expect(result).toEqual({ status: "fulfilled", value: "ok" });
    // burst 1, 10 per second: one token every 100 ms, and each attempt waited for its own.
    expect(attempts).toEqual([0, 100, 200, 300]);
  });

  it("other calls share the bucket with the retries", async () => {
    const pacer = createPacer({ ...LIMITS, burst: 1 }, { clock, backoffMs: () => 0 });
    const log: string[] = [];
    let failures = 1;
    await settle([
      pacer.run("GetUsagePlans", async () => {
        log.push(`plans@${Date.now()}`);
        if (failures-- > 0) throw serverError(500);
      }),
      pacer.run("GetApiKeys", async () => {
        log.push(`keys@${Date.now()}`);
      }),
    ]);
    expect(log).toEqual(["plans@0", "keys@100", "plans@200"]);
  });

  it("retries 5xx answers up to maxAttempts with jittered backoff, and says how many attempts were made", async () => {
    const pacer = createPacer(LIMITS, { clock, maxAttempts: 3 });
    let calls = 0;
    const [result] = await settle([
      pacer.run("GetUsagePlans", async () => {
        calls++;
        throw serverError(502);
      }),
    ]);
    expect(calls).toBe(3);
    expect(result).toMatchObject({ status: "rejected", reason: { $metadata: { attempts: 3 } } });
  });

  it("retries a timeout once (timeoutAttempts) and a reset connection like a 5xx", async () => {
    const pacer = createPacer(LIMITS, { clock, maxAttempts: 5, timeoutAttempts: 2 });
    let timeouts = 0;
    let resets = 0;
    const timeout = Object.assign(new Error("configured 10000 ms requestTimeout"), {
      name: "TimeoutError",
      code: "ETIMEDOUT",
    });
    const reset = Object.assign(new Error("socket hang up"), { code: "ECONNRESET" });
    const results = await settle([
      pacer.run("GetUsagePlans", async () => {
        timeouts++;
        throw timeout;
      }),
      pacer.run("GetApiKeys", async () => {
        if (++resets < 3) throw reset;
        return "ok";
      }),
    ]);
    expect(timeouts).toBe(2);
    expect(results[0]).toMatchObject({ status: "rejected", reason: { $metadata: { attempts: 2 } } });
    expect(results[1]).toEqual({ status: "fulfilled", value: "ok" });
    expect(resets).toBe(3);
  });

  it("does not retry 4xx answers or a refused connection", async () => {
    const pacer = createPacer(LIMITS, { clock });
    let calls = 0;
    const fail = (err: Error) => async () => {
      calls++;
      throw err;
    };
    const results = await settle([
      pacer.run(
        "CreateUsagePlan",
        fail(
          Object.assign(new Error("bad"), {
            name: "BadRequestException",
            $metadata: { httpStatusCode: 400 },
          }),
        ),
      ),
      pacer.run("GetUsagePlans", fail(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }))),
    ]);
    expect(results.map((r) => r.status)).toEqual(["rejected", "rejected"]);
    expect(calls).toBe(2);
  });
});

describe("pacer: a 429 that still comes", () => {
  it("is absorbed in about one token interval, not seconds, and slows the bucket for a while", async () => {
    const pacer = createPacer({ ...LIMITS, burst: 40, concurrency: 100 }, { clock });
    const attempts: number[] = [];
    let first = true;
    const [result] = await settle([
      pacer.run("GetUsagePlan", async () => {
        attempts.push(Date.now());
        if (first) {
          first = false;
          throw throttled();
        }
        return "ok";
      }),
    ]);
    expect(result).toEqual({ status: "fulfilled", value: "ok" });
    // Drained: the retry waits for the next token at the reduced rate (10/s × 0.7 → ~143 ms).
    expect(attempts[0]).toBe(0);
    expect(attempts[1]).toBeGreaterThanOrEqual(100);
    expect(attempts[1]).toBeLessThan(200);
    expect(pacer.pace().requestsPerSecond).toBeLessThan(10);
    await vi.advanceTimersByTimeAsync(RATE_RECOVERY_MS);
    expect(pacer.pace().requestsPerSecond).toBe(10);
  });

  it("calls in flight together that all hear 429 slow the rate once; repeated 429s never below the floor", async () => {
    const pacer = createPacer({ ...LIMITS, burst: 40, concurrency: 100 }, { clock });
    const seen = new Set<number>();
    const calls = Array.from({ length: 4 }, (_, i) =>
      pacer.run("GetUsagePlan", async () => {
        if (!seen.has(i)) {
          seen.add(i);
          throw throttled();
        }
      }),
    );
    await vi.advanceTimersByTimeAsync(0);
    expect(seen.size).toBe(4);
    expect(pacer.pace().requestsPerSecond).toBeCloseTo(7);
    await settle(calls);

    const throttles: number[] = [];
    const again = createPacer(
      { ...LIMITS, burst: 40 },
      { clock, onThrottled: () => throttles.push(Date.now()) },
    );
    let n = 0;
    const slow = again.run("GetUsagePlan", async () => {
      if (n++ < 6) throw throttled({ retryAfterSeconds: "1" });
    });
    await vi.advanceTimersByTimeAsync(5500);
    expect(throttles).toHaveLength(6);
    expect(again.pace().requestsPerSecond).toBeGreaterThanOrEqual(10 * MIN_RATE_FACTOR);
    expect(again.pace().requestsPerSecond).toBeLessThan(5);
    await settle([slow]);
  });

  it("a Retry-After pauses the whole bucket, not just the call that heard it", async () => {
    const pacer = createPacer({ ...LIMITS, burst: 40, concurrency: 100 }, { clock });
    const starts: Array<[string, number]> = [];
    let first = true;
    const throttledCall = pacer.run("GetUsagePlans", async () => {
      starts.push(["throttled", Date.now()]);
      if (first) {
        first = false;
        throw throttled({ retryAfterSeconds: "2" });
      }
    });
    await vi.advanceTimersByTimeAsync(10);
    const others = Array.from({ length: 3 }, (_, i) =>
      pacer.run("GetApiKeys", async () => {
        starts.push([`other${i}`, Date.now()]);
      }),
    );
    await settle([throttledCall, ...others]);
    const after = starts.slice(1);
    expect(after).toHaveLength(4);
    expect(after.every(([, t]) => t >= 2000)).toBe(true);
    expect(Math.min(...after.map(([, t]) => t))).toBe(2000);
    expect(pacer.pace().pausedForMs).toBe(0);
  });

  it("a Retry-After longer than a minute is taken as a minute", async () => {
    const pacer = createPacer(LIMITS, { clock });
    const attempts: number[] = [];
    await settle([
      pacer.run("GetUsagePlans", async () => {
        attempts.push(Date.now());
        if (attempts.length === 1) throw throttled({ retryAfterSeconds: "3600" });
      }),
    ]);
    expect(attempts).toEqual([0, MAX_RETRY_AFTER_MS]);
  });

  it("a throttled UpdateUsagePlan waits in its own lane; other calls go on", async () => {
    const pacer = createPacer({ ...LIMITS, update_usage_plan_interval_ms: 1000 }, { clock });
    const log: Array<[string, number]> = [];
    let first = true;
    const update = pacer.run("UpdateUsagePlan", async () => {
      log.push(["update", Date.now()]);
      if (first) {
        first = false;
        throw throttled({ retryAfterSeconds: "5" });
      }
    });
    await vi.advanceTimersByTimeAsync(10);
    const read = pacer.run("GetUsagePlan", async () => {
      log.push(["read", Date.now()]);
    });
    await settle([update, read]);
    expect(log).toEqual([
      ["update", 0],
      ["read", 10],
      ["update", 5000],
    ]);
  });
});

describe("retryAfterMs", () => {
  it("reads retryAfterSeconds, then the header, else nothing", () => {
    expect(retryAfterMs({ retryAfterSeconds: "19" })).toBe(19_000);
    expect(retryAfterMs({ $response: { headers: { "retry-after": "0.5" } } })).toBe(500);
    expect(retryAfterMs({ retryAfterSeconds: "soon" })).toBeUndefined();
    expect(retryAfterMs(new Error("x"))).toBeUndefined();
  });
});

describe("pacer: stopping", () => {
  it("a call waiting for a token is not sent once the run is told to stop", async () => {
    const stop = new AbortController();
    const pacer = createPacer({ ...LIMITS, burst: 1 }, { clock, signal: stop.signal });
    const sent: string[] = [];
    const first = pacer.run("GetUsagePlans", async () => sent.push("first"));
    const second = pacer.run("GetUsagePlans", async () => sent.push("second"));
    await vi.advanceTimersByTimeAsync(50);
    stop.abort();
    await expect(second).rejects.toBeInstanceOf(CallNotSent);
    await expect(first).resolves.toBe(1);
    expect(sent).toEqual(["first"]);
  });

  it("a retry waiting after a 429 is not sent (CallNotSent: nothing happened)", async () => {
    const stop = new AbortController();
    const pacer = createPacer(LIMITS, { clock, signal: stop.signal });
    let calls = 0;
    const call = pacer.run("CreateUsagePlanKey", async () => {
      calls++;
      throw throttled({ retryAfterSeconds: "2" });
    });
    await vi.advanceTimersByTimeAsync(500);
    stop.abort();
    await expect(call).rejects.toBeInstanceOf(CallNotSent);
    expect(calls).toBe(1);
  });

  it("a retry waiting after a 5xx is not sent, and the caller hears the 5xx (the outcome is open)", async () => {
    const stop = new AbortController();
    const pacer = createPacer({ ...LIMITS, burst: 1 }, { clock, signal: stop.signal, backoffMs: () => 1000 });
    let calls = 0;
    const call = pacer.run("CreateUsagePlan", async () => {
      calls++;
      throw serverError(500);
    });
    await vi.advanceTimersByTimeAsync(500);
    stop.abort();
    await expect(call).rejects.toMatchObject({ name: "ServiceUnavailableException" });
    expect(calls).toBe(1);
  });

  it("a call waiting for its UpdateUsagePlan turn is not sent once the run is told to stop; one in flight finishes", async () => {
    const stop = new AbortController();
    const waits: number[] = [];
    const pacer = createPacer(LIMITS, { clock, signal: stop.signal, onWait: (w) => waits.push(w.ms) });
    const sent: string[] = [];
    const first = pacer.run("UpdateUsagePlan", async () => {
      sent.push("first");
      await new Promise((r) => setTimeout(r, 500));
      return "first done";
    });
    const second = pacer.run("UpdateUsagePlan", async () => {
      sent.push("second");
      return "second done";
    });
    await vi.advanceTimersByTimeAsync(1_000); // the first is in flight and done; the second waits ~19.5 s
    expect(waits).toHaveLength(1);
    stop.abort();
    // Rejected at once: no timer is advanced, the ~19 s wait is not waited out.
    const reason = await second.catch((e: unknown) => e);
    expect(reason).toMatchObject({ name: "CallNotSent", operation: "UpdateUsagePlan" });
    expect(Date.now()).toBe(1_000);
    await expect(first).resolves.toBe("first done");
    expect(sent).toEqual(["first"]);
    await expect(pacer.run("GetApiKeys", async () => "x")).rejects.toMatchObject({ name: "CallNotSent" });
  });
});
