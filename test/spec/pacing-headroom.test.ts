// `pacing.headroom` in upg.config.yaml: a fraction 0 ≤ headroom < 1 (default 0.1), located errors with a hint.

import { describe, expect, it } from "vitest";
import { pacedLimits } from "../../src/live/pacer.js";
import { DEFAULT_CONFIG, loadConfig } from "../../src/spec/config.js";
import { tmpTrees } from "../helpers/tmp.js";

const tree = tmpTrees();

function load(yaml: string) {
  const t = tree({ "upg.config.yaml": yaml });
  return loadConfig(t.path("upg.config.yaml"));
}

describe("pacing.headroom", () => {
  it("defaults to 0.1: 9 requests/s and a burst of 36 under AWS's 10 and 40", () => {
    expect(DEFAULT_CONFIG.pacing.headroom).toBe(0.1);
    const r = load("regions: [us-east-1]\n");
    expect(r.diagnostics).toEqual([]);
    expect(pacedLimits(r.config.pacing)).toEqual({ requestsPerSecond: 9, burst: 36 });
  });

  it("takes 0 (pace at the limits) and fractions below 1, keeping the other pacing defaults", () => {
    const none = load("pacing: { headroom: 0 }\n");
    expect(none.diagnostics).toEqual([]);
    expect(none.config.pacing).toEqual({ ...DEFAULT_CONFIG.pacing, headroom: 0 });
    const quarter = load("pacing: { headroom: 0.25 }\n");
    expect(pacedLimits(quarter.config.pacing)).toEqual({ requestsPerSecond: 7.5, burst: 30 });
  });

  it.each([
    ["pacing: { headroom: 1 }\n", /less than 1/],
    ["pacing: { headroom: -0.1 }\n", /0 or more/],
    ["pacing: { headroom: 10% }\n", /number/i],
  ])("%j is one located error with a hint", (yaml, message) => {
    const { diagnostics } = load(yaml);
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({ path: "pacing.headroom", line: 1 });
    expect(diagnostics[0]!.message).toMatch(message);
    expect(diagnostics[0]!.hint).toMatch(/fraction from 0 up to \(not including\) 1/);
  });
});
