// The sandbox's throttle is AWS's: token buckets (10 requests/s with a burst of 40 for all operations,
// UpdateUsagePlan one per 20 s), periods multiplied by the time scale, burst sizes never scaled.

import { describe, expect, it } from "vitest";
import { GLOBAL_BUCKET, OPERATION_BUCKETS, Throttler } from "../../src/sandbox/throttle.js";

function throttler(timeScale: number) {
  let now = 1_000;
  const t = new Throttler(timeScale, true, () => now);
  return {
    t,
    advance: (ms: number) => {
      now += ms;
    },
    /** How many of `n` immediate requests of `op` pass. */
    passing: (n: number, op = "GetUsagePlans") =>
      Array.from({ length: n }, () => t.take(op)).filter((w) => w === undefined).length,
  };
}

describe("sandbox throttle", () => {
  it("matches AWS's published limits", () => {
    expect(GLOBAL_BUCKET).toEqual({ capacity: 40, refillMs: 100 });
    expect(OPERATION_BUCKETS.UpdateUsagePlan).toEqual({ capacity: 1, refillMs: 20_000 });
  });

  it("time scale 1: a burst of 40, then one request per 100 ms; a refused request takes nothing", () => {
    const { t, advance, passing } = throttler(1);
    expect(passing(40)).toBe(40);
    expect(t.take("GetUsagePlans")).toBeCloseTo(100);
    advance(50);
    expect(t.take("GetUsagePlan")).toBeCloseTo(50);
    advance(50);
    expect(passing(2)).toBe(1);
    advance(1_000);
    expect(passing(11)).toBe(10);
    advance(60_000);
    expect(passing(41)).toBe(40);
  });

  it("9 requests per second after the burst never meet a refusal; 11 per second do", () => {
    const paced = throttler(1);
    expect(paced.passing(36)).toBe(36);
    for (let i = 0; i < 90; i++) {
      paced.advance(1000 / 9);
      expect(paced.t.take("GetUsagePlan")).toBeUndefined();
    }
    const fast = throttler(1);
    expect(fast.passing(40)).toBe(40);
    let refused = 0;
    for (let i = 0; i < 90; i++) {
      fast.advance(1000 / 11);
      if (fast.t.take("GetUsagePlan") !== undefined) refused++;
    }
    expect(refused).toBeGreaterThan(0);
  });

  it("time scale 0.01: periods shrink a hundredfold, the burst stays 40 tokens", () => {
    const { t, advance, passing } = throttler(0.01);
    expect(passing(41)).toBe(40);
    expect(t.take("GetUsagePlans")).toBeCloseTo(1);
    advance(1);
    expect(passing(2)).toBe(1);
    advance(1_000);
    expect(passing(41)).toBe(40);
  });

  it("UpdateUsagePlan: one per 20 s (scaled); a refusal there takes no token from the global bucket", () => {
    const { t, advance, passing } = throttler(0.01);
    expect(t.take("UpdateUsagePlan")).toBeUndefined();
    expect(t.take("UpdateUsagePlan")).toBeCloseTo(200);
    expect(passing(39)).toBe(39);
    advance(200);
    expect(t.take("UpdateUsagePlan")).toBeUndefined();
  });

  it("off: nothing is refused; reset refills every bucket", () => {
    const off = new Throttler(1, false, () => 0);
    expect(Array.from({ length: 100 }, () => off.take("UpdateUsagePlan")).every((w) => w === undefined)).toBe(
      true,
    );
    const { t, passing } = throttler(1);
    expect(passing(40)).toBe(40);
    t.reset();
    expect(passing(40)).toBe(40);
  });
});
