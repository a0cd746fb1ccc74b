// The cleanup planner, scope by scope, and what it refuses or keeps. Pure: states from builders.

import { describe, expect, it } from "vitest";
import { type CleanupInput, type CleanupScope, cleanupTotals, planCleanup } from "../../src/cleanup/plan.js";
import { recordAfterStep } from "../../src/diff/records.js";
import { planRecovery } from "../../src/diff/recover.js";
import type { MasterRecord } from "../../src/model/record.js";
import { PROJECT_TAG_KEY } from "../../src/model/spec.js";
import {
  desired,
  keys,
  livePlan,
  liveState,
  NOW,
  OWNER_TAG,
  recordOf,
  settings,
  stage,
} from "../helpers/builders.js";

const NONE: CleanupScope = {
  orphans: false,
  archived: false,
  records: false,
  namePrefixes: [],
  tags: {},
  ids: [],
  stages: [],
};

const bare = (name: string, tags: Record<string, string> = {}) => settings({ name, stages: [], tags });

function run(scope: Partial<CleanupScope>, rest: Partial<CleanupInput> = {}) {
  const out = planCleanup({
    scope: { ...NONE, ...scope },
    live: liveState({}),
    records: [],
    desired: [],
    ownershipTagKey: OWNER_TAG,
    allowKeyLoss: false,
    now: NOW,
    ...rest,
  });
  if (!out.ok) throw new Error(out.message);
  return out.cleanup;
}

const archivedRecord = (planId: string, extra: Partial<MasterRecord> = {}): MasterRecord => ({
  ...recordOf(desired(planId, bare(planId), { lifecycle: "Archived" }), undefined),
  ...extra,
});

describe("scopes", () => {
  it("no scope is an error with a hint; --stage does not combine with --orphans", () => {
    const none = planCleanup({
      scope: NONE,
      live: liveState({}),
      records: [],
      desired: [],
      ownershipTagKey: OWNER_TAG,
      allowKeyLoss: false,
      now: NOW,
    });
    expect(none.ok).toBe(false);
    if (!none.ok) expect(none.hint).toContain("--orphans");
    expect(() => run({ stages: ["api1:dev"], orphans: true })).toThrow(/does not combine/);
  });

  it("--orphans: only unmanaged plans with no stages and no keys; a remove change journalled under unmanaged/ID", () => {
    const live = liveState({
      plans: [
        livePlan("o1", bare("Old")),
        livePlan("o2", settings({ name: "Staged" })),
        livePlan("o3", bare("Keyed"), ["k1"]),
        livePlan("m1", bare("Managed"), [], "gold"),
      ],
      apiKeys: keys("k1"),
    });
    const c = run({ orphans: true }, { live });
    expect(c.items.map((i) => [i.apiGatewayId, i.status])).toEqual([["o1", "remove"]]);
    expect(c.plan.changes).toHaveLength(1);
    expect(c.plan.changes[0]).toMatchObject({
      id: "remove:unmanaged/o1:o1",
      action: "remove",
      resource: "plan",
      planId: "unmanaged/o1",
      apiGatewayId: "o1",
    });
    // The journal record it brings carries the config's project.
    const withProject = run({ orphans: true }, { live, project: "edge" });
    expect(withProject.plan.changes[0]!.record?.project).toBe("edge");
  });

  it("--name-prefix / --tag / --id choose plans, managed or not; tags must all match; --orphans is narrowed by them", () => {
    const live = liveState({
      plans: [
        livePlan("a", bare("test-a", { env: "test", team: "x" })),
        livePlan("b", bare("test-b", { env: "test" })),
        livePlan("c", bare("prod-c", { env: "prod" })),
      ],
    });
    expect(run({ namePrefixes: ["test-"] }, { live }).items.map((i) => i.apiGatewayId)).toEqual(["a", "b"]);
    expect(run({ tags: { env: "test", team: "x" } }, { live }).items.map((i) => i.apiGatewayId)).toEqual([
      "a",
    ]);
    expect(run({ ids: ["c", "b"] }, { live }).items.map((i) => i.apiGatewayId)).toEqual(["b", "c"]);
    expect(
      run({ orphans: true, namePrefixes: ["prod-"] }, { live }).items.map((i) => i.apiGatewayId),
    ).toEqual(["c"]);
  });

  it("--stage API:STAGE (by name or id) detaches the stage from every plan that has it and leaves the plans", () => {
    const live = liveState({
      plans: [
        livePlan("u1", settings({ name: "U", stages: [stage("api1:dev"), stage("api1:prod")] })),
        livePlan("u2", settings({ name: "V", stages: [stage("api1:prod")] })),
      ],
    });
    const byName = run({ stages: ["weather-api:dev"] }, { live });
    expect(byName.plan.changes.map((c) => [c.action, c.resource, c.apiGatewayId, c.stage])).toEqual([
      ["detach", "stage", "u1", "api1:dev"],
    ]);
    expect(run({ stages: ["api1:prod"] }, { live }).plan.changes.map((c) => c.apiGatewayId)).toEqual([
      "u1",
      "u2",
    ]);
  });

  it("--stage that matches nothing: an error when neither API nor stage exists; a notice when no plan covers it", () => {
    const live = liveState({
      plans: [livePlan("u1", settings({ name: "U", stages: [stage("api1:prod")] }))],
    });
    const bad = planCleanup({
      scope: { ...NONE, stages: ["nope:dev"] },
      live,
      records: [],
      desired: [],
      ownershipTagKey: OWNER_TAG,
      allowKeyLoss: false,
      now: NOW,
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.message).toContain('no REST API has the id or name "nope"');
    const noStage = planCleanup({
      scope: { ...NONE, stages: ["weather-api:qa"] },
      live,
      records: [],
      desired: [],
      ownershipTagKey: OWNER_TAG,
      allowKeyLoss: false,
      now: NOW,
    });
    expect(noStage.ok).toBe(false);
    if (!noStage.ok) expect(noStage.message).toContain("REST API api1 has no stage qa");
    const quiet = run({ stages: ["weather-api:dev"] }, { live });
    expect(quiet.plan.changes).toEqual([]);
    expect(quiet.notices).toEqual(["No usage plan covers api1:dev: nothing to detach."]);
  });

  it("--archived: live plans still present for an Archived record; the record's own plan is a delete, others a remove", () => {
    const rec = archivedRecord("old", { api_gateway_id: "p1" });
    const live = liveState({
      plans: [livePlan("p1", bare("Old"), [], "old"), livePlan("p2", bare("Old copy"), [], "old")],
    });
    const c = run({ archived: true }, { live, records: [rec] });
    expect(c.plan.changes.map((x) => [x.id, x.action])).toEqual([
      ["delete:old", "delete"],
      ["remove:old:p2", "remove"],
    ]);
  });

  it("--records: Archived records with no live plan and no plan file; others are kept with the reason", () => {
    const gone = archivedRecord("gone");
    const stillLive = archivedRecord("half");
    const declared = archivedRecord("filed");
    const active = recordOf(desired("live", bare("Live")), undefined);
    const live = liveState({ plans: [livePlan("h1", bare("half"), [], "half")] });
    const c = run(
      { records: true },
      {
        live,
        records: [active, declared, gone, stillLive],
        desired: [desired("filed", bare("filed"), { lifecycle: "Archived" })],
      },
    );
    expect(c.items.map((i) => [i.planId, i.status])).toEqual([
      ["filed", "keep"],
      ["gone", "remove"],
      ["half", "keep"],
    ]);
    expect(c.plan.changes.map((x) => [x.id, x.action, x.resource])).toEqual([
      ["purge:gone", "purge", "record"],
    ]);
    expect(cleanupTotals(c.items)).toMatchObject({ records: 1, kept: 2 });
  });
});

describe("what cleanup refuses or keeps", () => {
  it("keys losing access need --allow-key-loss: a problem, with key names and count", () => {
    const live = liveState({
      plans: [livePlan("a", bare("test-a"), ["k1", "k2"])],
      apiKeys: keys("k1", "k2"),
    });
    const refused = run({ ids: ["a"] }, { live });
    expect(refused.items[0]).toMatchObject({ status: "refused" });
    expect(refused.plan.changes).toEqual([]);
    expect(refused.plan.problems[0]?.message).toContain("2 API keys lose access: name-k1, name-k2");
    const allowed = run({ ids: ["a"] }, { live, allowKeyLoss: true });
    expect(allowed.plan.problems).toEqual([]);
    expect(allowed.plan.changes[0]?.lostKeys).toEqual([
      { id: "k1", name: "name-k1" },
      { id: "k2", name: "name-k2" },
    ]);
  });

  it("deletion_protection: true is never removed, even with --allow-key-loss", () => {
    const rec = { ...recordOf(desired("keep", bare("Keep")), "p1"), deletion_protection: true };
    const live = liveState({ plans: [livePlan("p1", bare("Keep"), [], "keep")] });
    const c = run({ ids: ["p1"] }, { live, records: [rec], allowKeyLoss: true });
    expect(c.items[0]).toMatchObject({ status: "keep", why: "deletion_protection: true: never deleted" });
    expect(c.plan.changes).toEqual([]);
  });

  it("a managed plan a plan file still declares is kept, with what to do instead", () => {
    const d = { ...desired("gold", bare("Gold")), source: { file: "plans/gold.yaml", line: 1, col: 1 } };
    const live = liveState({ plans: [livePlan("p1", bare("Gold"), [], "gold")] });
    const c = run({ namePrefixes: ["G"] }, { live, records: [recordOf(d, "p1")], desired: [d] });
    expect(c.items[0]?.status).toBe("keep");
    expect(c.items[0]?.why).toContain("declared in plans/gold.yaml");
    expect(c.items[0]?.why).toContain("upg lifecycle archive gold");
  });

  it("a stage the plan file declares is kept; one it does not (added outside upg) is detached", () => {
    const d = desired("gold", settings({ name: "Gold", stages: [stage("api1:prod")] }));
    const live = liveState({
      plans: [
        livePlan(
          "p1",
          settings({ name: "Gold", stages: [stage("api1:dev"), stage("api1:prod")] }),
          [],
          "gold",
        ),
      ],
    });
    const records = [recordOf(d, "p1")];
    expect(run({ stages: ["api1:prod"] }, { live, records, desired: [d] }).items[0]?.status).toBe("keep");
    const dev = run({ stages: ["api1:dev"] }, { live, records, desired: [d] });
    expect(dev.plan.changes.map((c) => c.id)).toEqual(["detach-stage:gold:p1:api1:dev"]);
  });

  it("another project's plans and records are kept: never touched", () => {
    const live = liveState({
      plans: [
        livePlan("x", bare("Theirs", { [PROJECT_TAG_KEY]: "billing" })),
        livePlan("y", bare("Theirs too", { [PROJECT_TAG_KEY]: "billing" }), [], "their-plan"),
      ],
    });
    const c = run({ orphans: true, namePrefixes: ["Theirs"] }, { live });
    expect(c.items.map((i) => [i.apiGatewayId, i.status, i.why])).toEqual([
      ["x", "keep", "owned by project billing: never touched here"],
    ]);
    const chosen = run({ namePrefixes: ["Theirs"] }, { live, project: "edge" });
    expect(chosen.items.map((i) => i.status)).toEqual(["keep", "keep"]);
    expect(chosen.plan.changes).toEqual([]);
    const theirRecord = { ...archivedRecord("their-old"), project: "billing" };
    const recs = run({ records: true }, { records: [theirRecord] });
    expect(recs.items[0]).toMatchObject({
      status: "keep",
      why: "owned by project billing: never touched here",
    });
  });
});

describe("the journal of cleanup changes", () => {
  it("a remove or stage detach never moves the record; a purge ends with none; recovery drops journal-only records", () => {
    const rec = archivedRecord("old");
    expect(
      recordAfterStep(rec, {
        planId: "old",
        action: "remove",
        resource: "plan",
        ok: true,
        now: NOW,
        actor: "t",
      }),
    ).toBe(rec);
    expect(
      recordAfterStep(rec, {
        planId: "old",
        action: "purge",
        resource: "record",
        ok: true,
        now: NOW,
        actor: "t",
      }),
    ).toBeUndefined();
    const gold = recordOf(
      desired("gold", settings({ name: "Gold", stages: [stage("api1:dev"), stage("api1:prod")] })),
      "p1",
    );
    const after = recordAfterStep(gold, {
      planId: "gold",
      action: "detach",
      resource: "stage",
      stage: "api1:dev",
      apiGatewayId: "p1",
      ok: true,
      now: NOW,
      actor: "t",
    });
    expect(after?.stages.map((s) => `${s.api_id}:${s.stage}`)).toEqual(["api1:prod"]);

    // A stopped run left intents: a remove of an unmanaged plan (done), a purge (its audit row written).
    const stub: MasterRecord = {
      ...archivedRecord("unmanaged/o1"),
      pending: {
        run_id: "r1",
        change_id: "remove:unmanaged/o1:o1",
        action: "remove",
        resource: "plan",
        actor: "t",
        started_at: NOW,
        api_gateway_id: "o1",
        fresh: true,
      },
    };
    const purging: MasterRecord = {
      ...archivedRecord("gone"),
      pending: {
        run_id: "r1",
        change_id: "purge:gone",
        action: "purge",
        resource: "record",
        actor: "t",
        started_at: NOW,
      },
    };
    const row = { outcome: "ok" } as never;
    const rec2 = planRecovery({
      records: [stub, purging],
      live: liveState({}),
      audited: new Map([["r1|purge:gone", row]]),
      now: NOW,
      runId: "r2",
      actor: "t",
    });
    expect(rec2.records).toEqual([]);
    expect(
      rec2.recoveries.map((r) => [r.planId, r.executed, r.record === undefined, r.audit?.action]),
    ).toEqual([
      ["unmanaged/o1", true, true, "remove-plan"],
      ["gone", true, true, undefined],
    ]);
  });
});
