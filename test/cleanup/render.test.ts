// The cleanup table and JSON: what each row says before and after a confirmed run; key names, never values.

import { describe, expect, it } from "vitest";
import { planCleanup } from "../../src/cleanup/plan.js";
import type { ApplyResult } from "../../src/model/plan.js";
import { cleanupJson, renderCleanupTable } from "../../src/render/cleanup.js";
import { keys, livePlan, liveState, NOW, OWNER_TAG, settings, stage } from "../helpers/builders.js";

function cleanup() {
  const out = planCleanup({
    scope: {
      orphans: false,
      archived: false,
      records: false,
      namePrefixes: ["t"],
      tags: {},
      ids: [],
      stages: [],
    },
    live: liveState({
      plans: [
        livePlan("p1", settings({ name: "t1", stages: [stage("api1:dev")] }), ["k1"]),
        livePlan("p2", settings({ name: "t2", stages: [] })),
      ],
      apiKeys: keys("k1"),
    }),
    records: [],
    desired: [],
    ownershipTagKey: OWNER_TAG,
    allowKeyLoss: true,
    now: NOW,
  });
  if (!out.ok) throw new Error(out.message);
  return out.cleanup;
}

describe("cleanup rendering", () => {
  it("the dry-run table says what goes and what it costs; after a run, each row's outcome", () => {
    const c = cleanup();
    const table = renderCleanupTable(c, "us-east-1");
    expect(table).toContain("Region us-east-1:");
    expect(table).toMatch(/remove\s+│ plan \(unmanaged\)\s+│ t1\s+│ p1\s+│ api1:dev\s+│ 1: name-k1/);
    expect(table).toContain(
      "To remove: 2 plans, 1 stage attachment, 0 master records; 1 API key loses access.",
    );
    const result: ApplyResult = {
      run_id: "r",
      started_at: NOW,
      finished_at: NOW,
      results: [
        { changeId: c.items[0]!.changeId!, action: "remove", resource: "plan", planId: "x", outcome: "ok" },
        {
          changeId: c.items[1]!.changeId!,
          action: "remove",
          resource: "plan",
          planId: "y",
          outcome: "failed",
          error: "Access denied",
        },
      ],
    };
    const after = renderCleanupTable(c, "us-east-1", undefined, result);
    expect(after).toMatch(/removed\s+│ plan \(unmanaged\)\s+│ t1/);
    expect(after).toMatch(/FAILED\s+│ plan \(unmanaged\)\s+│ t2/);
    expect(after).toContain("Access denied");
    const json = cleanupJson(c, "us-east-1", result);
    expect(json.items.map((i) => [i.api_gateway_id, i.status, i.outcome])).toEqual([
      ["p1", "remove", "ok"],
      ["p2", "remove", "failed"],
    ]);
    expect(json.items[0]!.keys).toEqual([{ id: "k1", name: "name-k1" }]);
    expect(json.totals).toMatchObject({ plans: 2, stages: 1, keys: 1, records: 0 });
  });

  it("an empty scope says so", () => {
    const out = planCleanup({
      scope: {
        orphans: true,
        archived: false,
        records: false,
        namePrefixes: [],
        tags: {},
        ids: [],
        stages: [],
      },
      live: liveState({}),
      records: [],
      desired: [],
      ownershipTagKey: OWNER_TAG,
      allowKeyLoss: false,
      now: NOW,
    });
    if (!out.ok) throw new Error(out.message);
    expect(renderCleanupTable(out.cleanup, "eu-west-1")).toContain(
      "Region eu-west-1: nothing to clean up in this scope.",
    );
  });
});
