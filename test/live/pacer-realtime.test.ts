// The pacer against the sandbox at AWS's real limits (time scale 1: 10 requests/s, burst 40): as many calls
// as upg will make at once, through upg's own API Gateway client, must meet no 429. The sandbox counts every
// request that reached it, throttled ones included; a 429 would make the pacer send the call again, so
// "requests the sandbox saw" = "calls made" means none was throttled.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { GetUsagePlanCommand, GetUsagePlansCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, createContext } from "../../src/live/client.js";
import { filePaceMemory, paceKey } from "../../src/live/pace-memory.js";
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

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A fresh place to remember the budget between "runs" (contexts). */
function memoryDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "upg-pace-test-"));
  dirs.push(dir);
  return dir;
}

/** Full throttle buckets, one usage plan, counters at zero. */
async function freshSandbox(): Promise<string> {
  await sb.admin.reset();
  const { id } = await fetch(`${sb.apigatewayEndpoint}/usageplans`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ name: "paced" }),
  }).then((r) => r.json() as Promise<{ id: string }>);
  await sb.admin.resetCounters();
  return id;
}

/**
 * `count` calls at once through one gateway context (one "run"); the wall time in ms, the calls the sandbox
 * saw and the attempts upg made. The budget is remembered in `paceDir` (default: a fresh one).
 */
async function burst(pacing: PacingLimits, count: number, id?: string, paceDir = memoryDir()) {
  id ??= await freshSandbox();
  const before = (await sb.admin.counters()).total ?? 0;
  const target = { region: sb.region, endpoint: sb.apigatewayEndpoint, credentials: sb.credentials };
  const memory = filePaceMemory(paceKey({ endpoint: target.endpoint, region: target.region }), paceDir);
  const ctx = createContext(target, pacing, undefined, { memory });
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
    ctx.pacer.flush(); // what the process does when it exits
    ctx.client.destroy();
  }
  const ms = performance.now() - started;
  return {
    ms,
    seen: ((await sb.admin.counters()).total ?? 0) - before,
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

  it("a run started right after another starts from the budget the first one left: no 429", async () => {
    const id = await freshSandbox();
    const dir = memoryDir();
    const first = await burst(DEFAULT_CONFIG.pacing, 30, id, dir);
    const second = await burst(DEFAULT_CONFIG.pacing, 30, id, dir);
    expect([first.seen, second.seen]).toEqual([30, 30]);
    // Control: the same two runs, the second one not told what the first spent, meet 429s.
    const id2 = await freshSandbox();
    await burst(DEFAULT_CONFIG.pacing, 30, id2);
    const blind = await burst(DEFAULT_CONFIG.pacing, 30, id2);
    expect(blind.seen).toBeGreaterThan(30);
  }, 15_000);
});
