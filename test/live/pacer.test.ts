import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { createPacer, type PacerClock, retryAfterMs } from "../../src/live/pacer.js";
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

  it("backs off without Retry-After and gives up after the bounded retries", async () => {
    const pacer = createPacer(LIMITS, { clock, maxThrottleRetries: 2, backoffMs: (n) => 100 * 2 ** n });
    const attempts: number[] = [];
    const [result] = await settle([
      pacer.run("CreateUsagePlanKey", async () => {
        attempts.push(Date.now());
        throw throttled();
      }),
    ]);
    expect(result?.status).toBe("rejected");
    expect(attempts).toEqual([0, 100, 300]);
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

describe("retryAfterMs", () => {
  it("reads retryAfterSeconds, then the header, else nothing", () => {
    expect(retryAfterMs({ retryAfterSeconds: "19" })).toBe(19_000);
    expect(retryAfterMs({ $response: { headers: { "retry-after": "0.5" } } })).toBe(500);
    expect(retryAfterMs({ retryAfterSeconds: "soon" })).toBeUndefined();
    expect(retryAfterMs(new Error("x"))).toBeUndefined();
  });
});

describe("pacer: stopping", () => {
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
