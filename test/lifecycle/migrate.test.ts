// The migrate and lifecycle planners: refusals, ordering, follow-ups. Pure; builders, no AWS.

import { describe, expect, it } from "vitest";
import { transitionError } from "../../src/lifecycle/lifecycle.js";
import { followUpChanges, migrateChanges, planMigration } from "../../src/lifecycle/migrate.js";
import type { DesiredPlan, LiveState } from "../../src/model/state.js";

const stage = (s: string) => ({ apiId: "api", stage: s, throttle: {} });
const desired = (planId: string, stages: string[], extra: Partial<DesiredPlan> = {}): DesiredPlan => ({
  planId,
  lifecycleState: "Active",
  settings: { name: planId, stages: stages.map(stage), tags: {} },
  ...extra,
});
const live = (plans: Array<{ id: string; owner: string; stages: string[]; keys: string[] }>): LiveState => ({
  region: "us-east-1",
  plans: plans.map((p) => ({
    id: p.id,
    ownerPlanId: p.owner,
    keys: p.keys,
    settings: { name: p.owner, stages: p.stages.map(stage), tags: {} },
  })),
  apiKeys: [
    { id: "k1", name: "acme", enabled: true },
    { id: "k2", name: "initech", enabled: true },
  ],
  restApis: [],
  existingStages: [],
});

const DESIRED = [
  desired("free", ["prod"], { lifecycleState: "Deprecated", successor: "basic" }),
  desired("basic", ["prod", "dev"]),
  desired("dev-only", ["dev"]),
  desired("old", ["prod"], { lifecycleState: "Deprecated" }),
];
const LIVE = live([
  { id: "F", owner: "free", stages: ["prod"], keys: ["k1", "k2"] },
  { id: "B", owner: "basic", stages: ["prod", "dev"], keys: ["k2"] },
  { id: "D", owner: "dev-only", stages: ["dev"], keys: [] },
  { id: "O", owner: "old", stages: ["prod"], keys: [] },
]);

describe("planMigration", () => {
  it("defaults to the successor; detach first on a shared stage; a key already on TO is only detached", () => {
    const r = planMigration({ from: "free", keys: [] }, DESIRED, [], LIVE);
    if (!r.ok) throw new Error(r.message);
    expect(r.migration.to).toBe("basic");
    expect(migrateChanges(r.migration).map((c) => c.id)).toEqual([
      "detach-key:free:k1",
      "attach-key:basic:k1",
      "detach-key:free:k2",
    ]);
  });

  it("refuses unknown plans and keys, an inactive TO, and a TO that does not cover FROM's stages", () => {
    const msg = (req: Parameters<typeof planMigration>[0]) => {
      const r = planMigration(req, DESIRED, [], LIVE);
      return r.ok ? "ok" : r.message;
    };
    expect(msg({ from: "nope", to: "basic", keys: [] })).toContain("Unknown plan nope");
    expect(msg({ from: "free", to: "nope", keys: [] })).toContain("Unknown plan nope");
    expect(msg({ from: "free", keys: ["nobody"] })).toContain("Unknown API key nobody");
    expect(msg({ from: "free", to: "old", keys: [] })).toContain("is Deprecated");
    expect(msg({ from: "free", to: "dev-only", keys: [] })).toContain("does not cover stage api:prod");
    expect(msg({ from: "basic", to: "free", keys: [] })).toContain("is Deprecated");
  });

  it("--batch takes the first N keys and counts the rest", () => {
    const r = planMigration({ from: "free", keys: [], batch: 1 }, DESIRED, [], LIVE);
    if (!r.ok) throw new Error(r.message);
    expect(r.migration.moves.map((k) => k.name)).toEqual(["acme"]);
    expect(r.migration.remaining).toBe(1);
  });

  it("follow-up: re-attach a key that left FROM but could not join TO", () => {
    const r = planMigration({ from: "free", keys: ["acme"] }, DESIRED, [], LIVE);
    if (!r.ok) throw new Error(r.message);
    const f = followUpChanges(
      r.migration,
      new Map([
        ["detach-key:free:k1", "ok"],
        ["attach-key:basic:k1", "failed"],
      ]),
    );
    expect(f.changes.map((c) => c.id)).toEqual(["attach-key:free:k1"]);
    expect(f.reattached.map((k) => k.id)).toEqual(["k1"]);
  });
});

describe("transitionError", () => {
  it("Active → Deprecated → Archived, activate back", () => {
    expect(transitionError("Active", "deprecate")).toBeUndefined();
    expect(transitionError("Deprecated", "archive")).toBeUndefined();
    expect(transitionError("Archived", "activate")).toBeUndefined();
    expect(transitionError("Deprecated", "activate")).toBeUndefined();
    expect(transitionError("Active", "archive")).toContain("deprecated before it is archived");
    expect(transitionError("Archived", "deprecate")).toContain("Active again");
  });
});
