// The pacer against the sandbox at AWS's real limits (time scale 1: 10 requests/s, burst 40): as many calls
// as upg will make at once, through upg's own API Gateway client, must meet no 429. The sandbox counts every
// request that reached it, throttled ones included; a 429 would make the pacer send the call again, so
// "requests the sandbox saw" = "calls made" means none was throttled.

import { GetUsagePlanCommand, GetUsagePlansCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createContext } from "../../src/live/client.js";
import { pacedLimits } from "../../src/live/pacer.js";
import type { PacingLimits } from "../../src/model/spec.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { DEFAULT_CONFIG } from "../../src/spec/config.js";

let sb: Sandbox;

beforeAll(async () => {
  sb = await startSandbox({ timeScale: 1, dynamo: false });
  expect((await sb.admin.status()).throttling).toBe(true);
});
afterAll(() => sb.stop());

/** `count` calls at once through one gateway context; the wall time in ms and the calls the sandbox saw. */
async function burst(pacing: PacingLimits, count: number) {
  await sb.admin.reset(); // full throttle buckets
  const { id } = await fetch(`${sb.apigatewayEndpoint}/usageplans`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "paced" }),
  }).then((r) => r.json() as Promise<{ id: string }>);
  await sb.admin.resetCounters();
  const ctx = createContext(
    { region: sb.region, endpoint: sb.apigatewayEndpoint, credentials: sb.credentials },
    pacing,
  );
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        i % 2
          ? call(ctx, "GetUsagePlans", undefined, (c) => c.send(new GetUsagePlansCommand({})))
          : call(ctx, "GetUsagePlan", id, (c) => c.send(new GetUsagePlanCommand({ usagePlanId: id }))),
      ),
    );
  } finally {
    ctx.client.destroy();
  }
  const ms = performance.now() - started;
  return {
    ms,
    seen: (await sb.admin.counters()).total,
    attempts: [...ctx.counts.values()].reduce((a, b) => a + b),
  };
}

describe("pacing at AWS's real limits (sandbox time scale 1)", () => {
  it("70 calls at full speed with the default pacing: no 429, in about the time the paced rate allows", async () => {
    const pacing = DEFAULT_CONFIG.pacing;
    expect(pacedLimits(pacing)).toEqual({ requestsPerSecond: 9, burst: 36 });
    const { ms, seen, attempts } = await burst(pacing, 70);
    expect(seen).toBe(70);
    expect(attempts).toBe(70);
    // 36 at once, then 34 more at 9 per second: ≈ 3.8 s.
    expect(ms).toBeGreaterThan(3_500);
    expect(ms).toBeLessThan(6_500);
  }, 15_000);

  it("control: pacing above the limit does meet 429s, which the pacer absorbs and retries", async () => {
    const { ms, seen, attempts } = await burst({ ...DEFAULT_CONFIG.pacing, burst: 60, headroom: 0 }, 50);
    expect(seen).toBeGreaterThan(50);
    expect(attempts).toBe(seen);
    // The sandbox's Retry-After (1 s, whole seconds like AWS) pauses the bucket once; no multi-second stalls.
    expect(ms).toBeLessThan(4_500);
  }, 15_000);
});
