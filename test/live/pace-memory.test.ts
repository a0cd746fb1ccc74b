import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { filePaceMemory, paceKey, type SavedPace } from "../../src/live/pace-memory.js";
import { createPacer, type PacerClock } from "../../src/live/pacer.js";

const LIMITS = {
  requests_per_second: 10,
  burst: 40,
  update_usage_plan_interval_ms: 20_000,
  concurrency: 100,
};
const clock: PacerClock = {
  now: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms))),
};

let dirs: string[] = [];
afterEach(() => {
  vi.useRealTimers();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs = [];
});

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), "upg-pace-memory-"));
  dirs.push(d);
  return d;
}

describe("pace memory", () => {
  it("round-trips through a file; a missing or damaged file means no memory", () => {
    const d = dir();
    const memory = filePaceMemory("abc", d);
    expect(memory.load()).toBeUndefined();
    memory.save({ at: 1000, tokens: 3.5 });
    expect(memory.load()).toEqual({ at: 1000, tokens: 3.5 });
    writeFileSync(join(d, "abc.json"), "{not json");
    expect(memory.load()).toBeUndefined();
    writeFileSync(join(d, "abc.json"), JSON.stringify({ at: "soon", tokens: 1 }));
    expect(memory.load()).toBeUndefined();
    // An unwritable place is skipped, not an error.
    expect(() => filePaceMemory("x", join(d, "abc.json", "sub")).save({ at: 0, tokens: 0 })).not.toThrow();
  });

  it("keys by endpoint, region and credentials identity", () => {
    const base = { endpoint: "https://apigateway.us-east-1.amazonaws.com", region: "us-east-1" };
    const keys = new Set([
      paceKey(base),
      paceKey({ ...base, region: "eu-west-1" }),
      paceKey({ ...base, profile: "prod" }),
      paceKey({ ...base, accessKeyId: "AKIA1" }),
    ]);
    expect(keys.size).toBe(4);
    expect(paceKey(base)).toBe(paceKey({ ...base }));
  });

  it("a pacer starts from what the last run left, refilled for the time since; flush() saves its level", async () => {
    vi.useFakeTimers({ now: 10_000 });
    let saved: SavedPace | undefined = { at: 9_500, tokens: 2 };
    const memory = { load: () => saved, save: (p: SavedPace) => (saved = p) };
    const pacer = createPacer(LIMITS, { clock, memory });
    // 2 left 500 ms ago + 5 refilled since = 7 at once, then one every 100 ms.
    expect(pacer.pace().tokens).toBeCloseTo(7);
    const starts: number[] = [];
    const all = Promise.all(
      Array.from({ length: 9 }, () => pacer.run("GetUsagePlan", async () => starts.push(Date.now()))),
    );
    await vi.runAllTimersAsync();
    await all;
    expect(starts.map((t) => t - 10_000)).toEqual([0, 0, 0, 0, 0, 0, 0, 100, 200]);
    pacer.flush();
    expect(saved).toEqual({ at: 10_200, tokens: 0 });
  });

  it("a run that ended paused (Retry-After) leaves the next one paused until then", async () => {
    vi.useFakeTimers({ now: 10_000 });
    const memory = { load: () => ({ at: 11_000, tokens: 1 }), save: () => {} };
    const pacer = createPacer(LIMITS, { clock, memory });
    expect(pacer.pace().pausedForMs).toBe(1000);
    const starts: number[] = [];
    const p = pacer.run("GetUsagePlans", async () => starts.push(Date.now()));
    await vi.runAllTimersAsync();
    await p;
    expect(starts).toEqual([11_000]);
  });
});
