// Projects that share an account: which records and live plans a run sees (src/diff/scope.ts), and what
// buildPlan does with the rest.

import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/diff/build-plan.js";
import { nextRecord } from "../../src/diff/records.js";
import { otherProjectPlans, partitionRecords, projectLabel, recordInScope } from "../../src/diff/scope.js";
import type { MasterRecord } from "../../src/model/record.js";
import type { DesiredPlan, LivePlan } from "../../src/model/state.js";
import { desired, livePlan, liveState, NOW, OWNER_TAG, recordOf, settings } from "../helpers/builders.js";

const inProject = (r: MasterRecord, project?: string): MasterRecord =>
  project === undefined ? r : { ...r, project };
const tagged = (p: LivePlan, project?: string): LivePlan => (project === undefined ? p : { ...p, project });

const basic = desired("basic", settings({ name: "Basic" }));
const gold = desired("gold", settings({ name: "Gold" }));

describe("recordInScope / partitionRecords", () => {
  const none = recordOf(basic, "b1");
  const a = inProject(recordOf(gold, "g1"), "team-a");
  const b = inProject(recordOf(desired("silver", settings({ name: "Silver" })), "s1"), "team-b");

  it("a run without a project sees only records without one", () => {
    const { mine, others } = partitionRecords([none, a, b], { declared: new Set(["basic", "gold"]) });
    expect(mine.map((r) => r.plan_id)).toEqual(["basic"]);
    expect(others.map((r) => r.plan_id)).toEqual(["gold", "silver"]);
  });

  it("a project sees its records, and the project-less ones its plan files declare (claimed)", () => {
    const scope = { project: "team-a", declared: new Set(["gold"]) };
    expect(partitionRecords([none, a, b], scope).mine.map((r) => r.plan_id)).toEqual(["gold"]);
    const claiming = { project: "team-a", declared: new Set(["basic"]) };
    expect(recordInScope(none, claiming)).toBe(true);
    expect(recordInScope(b, { project: "team-a", declared: new Set(["silver"]) })).toBe(false);
  });
});

describe("otherProjectPlans", () => {
  it("names the owner of every live plan that belongs to another project", () => {
    const plans = [
      tagged(livePlan("a1", settings({ name: "A" }), [], "a"), "team-a"),
      tagged(livePlan("b1", settings({ name: "B" }), [], "b"), "team-b"),
      livePlan("n1", settings({ name: "N" }), [], "n"),
      livePlan("u1", settings({ name: "Unmanaged" })),
      livePlan("r1", settings({ name: "Untagged B" })),
    ];
    const bRecord = inProject(recordOf(desired("rb", settings({ name: "Untagged B" })), "r1"), "team-b");
    const others = otherProjectPlans(plans, { project: "team-a", declared: new Set(["a"]) }, [], [bRecord]);
    expect(others).toEqual([
      { id: "b1", planId: "b", name: "B", project: "team-b" },
      { id: "n1", planId: "n", name: "N", project: null },
      { id: "r1", planId: "rb", name: "Untagged B", project: "team-b" },
    ]);
    // Declared by this project: a project-less plan is claimed, not another's.
    const claimed = otherProjectPlans(plans, { project: "team-a", declared: new Set(["a", "n"]) }, [], []);
    expect(claimed.map((p) => p.id)).toEqual(["b1"]);
    // Seen from a run without a project, every project's plan is another's.
    expect(otherProjectPlans(plans, { declared: new Set() }, [], []).map((p) => p.id)).toEqual(["a1", "b1"]);
  });

  it("labels owners", () => {
    expect(projectLabel("team-b")).toBe("project team-b");
    expect(projectLabel(null)).toBe("no project");
  });
});

function plan(opts: {
  desired: DesiredPlan[];
  records?: MasterRecord[];
  plans?: LivePlan[];
  project?: string;
}) {
  return buildPlan({
    desired: opts.desired,
    records: opts.records ?? [],
    live: liveState({ plans: opts.plans ?? [] }),
    ownershipTagKey: OWNER_TAG,
    now: NOW,
    ...(opts.project !== undefined ? { scope: { project: opts.project } } : {}),
  });
}

describe("buildPlan with a project", () => {
  it("a new plan carries the project (the create's desired plan, and so its tag and record)", () => {
    const p = plan({ desired: [basic], project: "team-a" });
    const create = p.changes.find((c) => c.id === "create:basic");
    expect(create?.desired?.project).toBe("team-a");
    expect(p.desired[0]?.project).toBe("team-a");
    const rec = nextRecord({ planId: "basic", desired: create!.desired!, keys: [], now: NOW, actor: "t" });
    expect(rec.project).toBe("team-a");
  });

  it("adopting an unmanaged plan into a project tags it with the ownership and the project tag", () => {
    const live = livePlan("u1", settings({ name: "Basic" }));
    const p = buildPlan({
      desired: [basic],
      records: [],
      live: liveState({ plans: [live] }),
      ownershipTagKey: OWNER_TAG,
      now: NOW,
      adopt: true,
      scope: { project: "team-a" },
    });
    const adopt = p.changes.find((c) => c.action === "adopt");
    expect(adopt?.fields).toEqual([
      { field: "tags[upg:plan-id]", after: "basic" },
      { field: "tags[upg:project]", after: "team-a" },
    ]);
    expect(adopt?.desired?.project).toBe("team-a");
    expect(p.changes.map((c) => c.id)).toEqual(["adopt:basic"]);
  });

  it("an applied plan of the project is in sync; another project's identical plan_id is never matched", () => {
    const mine = inProject(recordOf({ ...basic, project: "team-a" }, "a1"), "team-a");
    const theirs = tagged(livePlan("b1", settings({ name: "Basic B" }), [], "basic"), "team-b");
    const ours = tagged(livePlan("a1", settings({ name: "Basic" }), [], "basic"), "team-a");
    const p = plan({ desired: [basic], records: [mine], plans: [theirs, ours], project: "team-a" });
    expect(p.changes).toEqual([]);
    expect(p.violations).toEqual([]);
  });

  it("another project's records are never deleted, archived or recreated, and its plans never unmanaged", () => {
    const theirs = inProject(recordOf({ ...gold, project: "team-b" }, "g1"), "team-b");
    const gone = inProject(
      recordOf({ ...desired("old", settings({ name: "Old" })), project: "team-b" }, "o1"),
      "team-b",
    );
    const live = tagged(livePlan("g1", settings({ name: "Gold" }), [], "gold"), "team-b");
    const p = plan({ desired: [], records: [theirs, gone], plans: [live], project: "team-a" });
    expect(p.changes).toEqual([]);
    expect(p.violations).toEqual([]);
    expect(p.fingerprint.records).toEqual({});
  });

  it("a project-less record moves into the project only by its own update (the project tag)", () => {
    const legacy = recordOf(basic, "a1");
    const live = livePlan("a1", settings({ name: "Basic" }), [], "basic");
    const p = plan({ desired: [basic], records: [legacy], plans: [live], project: "team-a" });
    expect(p.changes.map((c) => c.id)).toEqual(["update:basic"]);
    expect(p.changes[0]?.fields).toEqual([{ field: "tags[upg:project]", after: "team-a" }]);
    expect(p.changes[0]?.reason).toMatch(/^move into project team-a/);
    // Once tagged and recorded, nothing is left to do.
    const after = plan({
      desired: [basic],
      records: [{ ...legacy, project: "team-a" }],
      plans: [tagged(live, "team-a")],
      project: "team-a",
    });
    expect(after.changes).toEqual([]);
  });

  it("a plan file taking another project's plan_id or name is a problem, with nothing planned for it", () => {
    const theirs = inProject(recordOf({ ...gold, project: "team-b" }, "g1"), "team-b");
    const live = tagged(livePlan("g1", settings({ name: "Gold" }), [], "gold"), "team-b");
    const byId = plan({ desired: [gold], records: [theirs], plans: [live], project: "team-a" });
    expect(byId.changes).toEqual([]);
    expect(byId.problems).toEqual([
      expect.objectContaining({
        code: "owned_by_other_project",
        planId: "gold",
        subject: "g1",
        message: expect.stringMatching(
          /^the plan_id gold is owned by project team-b \(usage plan g1 "Gold"\)/,
        ),
      }),
    ]);
    const byName = plan({
      desired: [desired("gold-a", settings({ name: "Gold" }))],
      records: [theirs],
      plans: [live],
      project: "team-a",
    });
    expect(byName.changes).toEqual([]);
    expect(byName.problems.map((x) => [x.code, x.message.slice(0, 40)])).toEqual([
      ["owned_by_other_project", 'the name "Gold" is owned by project team'],
    ]);
  });
});
