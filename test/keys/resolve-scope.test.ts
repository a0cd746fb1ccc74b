// Keys and usage commands act only on their project's plans: resolvePlan refuses another project's plan.

import { describe, expect, it } from "vitest";
import { resolvePlan } from "../../src/keys/resolve.js";
import type { LivePlan } from "../../src/model/state.js";
import { desired, livePlan, recordOf, settings } from "../helpers/builders.js";

const tagged = (p: LivePlan, project: string): LivePlan => ({ ...p, project });
const plans = [
  tagged(livePlan("a1", settings({ name: "A" }), [], "a"), "team-a"),
  tagged(livePlan("b1", settings({ name: "B" }), [], "b"), "team-b"),
  livePlan("n1", settings({ name: "N" }), [], "n"),
];
const untaggedB = { ...recordOf(desired("rb", settings({ name: "RB" })), "r1"), project: "team-b" };
const all = [...plans, livePlan("r1", settings({ name: "RB" }))];

describe("resolvePlan with a project scope", () => {
  it("finds the project's own plans, and plans without a project (a project may claim them)", () => {
    expect(resolvePlan(plans, [], "a", { project: "team-a" }).plan.id).toBe("a1");
    expect(resolvePlan(plans, [], "n", { project: "team-a" }).plan.id).toBe("n1");
    expect(resolvePlan(plans, [], "n", {}).plan.id).toBe("n1");
    // Without a scope (callers that predate projects), nothing is refused.
    expect(resolvePlan(plans, [], "b").plan.id).toBe("b1");
  });

  it("refuses another project's plan, by its tag or by its record, naming the owner", () => {
    expect(() => resolvePlan(plans, [], "b", { project: "team-a" })).toThrow(
      "Plan b is owned by project team-b, not by project team-a.",
    );
    expect(() => resolvePlan(all, [untaggedB], "rb", { project: "team-a" })).toThrow(
      /owned by project team-b/,
    );
    expect(() => resolvePlan(plans, [], "a", {})).toThrow(
      "Plan a is owned by project team-a, not by this repository (no project).",
    );
  });
});
