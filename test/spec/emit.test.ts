import { describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import type { LivePlan, LiveState } from "../../src/model/state.js";
import { emitPlanFiles, slugify } from "../../src/spec/emit.js";

const plan = (id: string, name: string, extra: Partial<LivePlan> = {}): LivePlan => ({
  id,
  keys: [],
  settings: { name, stages: [], tags: {} },
  ...extra,
});

function live(plans: LivePlan[]): LiveState {
  return {
    region: "us-east-1",
    plans,
    apiKeys: [
      { id: "k1", name: "acme", enabled: true },
      { id: "k2", name: "dup", enabled: true },
      { id: "k3", name: "dup", enabled: true },
    ],
    restApis: [
      { id: "a1", name: "weather-api" },
      { id: "a2", name: "twin-api" },
      { id: "a3", name: "twin-api" },
    ],
    existingStages: [],
  };
}

const base = { recordIds: [], region: "us-east-1", account: "123456789012", now: "2026-01-01T00:00:00.000Z" };

describe("emitPlanFiles", () => {
  it("slugs names into unique plan_ids; a tagged plan keeps its plan_id", () => {
    expect(slugify("Premium Weather API!")).toBe("premium-weather-api");
    expect(slugify("¡¡")).toBe("plan");
    const r = emitPlanFiles({
      ...base,
      live: live([
        plan("p1", "Gold Plan"),
        plan("p2", "gold plan"),
        plan("p3", "Mine", { ownerPlanId: "gold-plan" }),
      ]),
      selection: {},
    });
    expect(r.errors).toEqual([]);
    expect(r.files.map((f) => f.name).sort()).toEqual([
      "gold-plan-2.yaml",
      "gold-plan-3.yaml",
      "gold-plan.yaml",
    ]);
    expect(r.files.find((f) => f.name === "gold-plan.yaml")!.plans[0]!.apiGatewayId).toBe("p3");
    const beside = emitPlanFiles({
      ...base,
      live: live([plan("p1", "Gold Plan")]),
      selection: {},
      declared: [{ planId: "gold-plan", name: "Other" }],
    });
    expect(beside.files.map((f) => f.name)).toEqual(["gold-plan-2.yaml"]);
    const again = emitPlanFiles({
      ...base,
      live: live([plan("p1", "Gold Plan")]),
      selection: {},
      declared: [{ planId: "gold", name: "Gold Plan" }],
    });
    expect(again.files.map((f) => f.name)).toEqual(["gold.yaml"]);
  });

  it("stages by unique API name, else by id; keys by unique name, else id; throttles, quota, tags", () => {
    const p = plan("p1", "Gold", {
      keys: ["k1", "k2"],
      settings: {
        name: "Gold",
        throttle: { rateLimit: 1.5, burstLimit: 3 },
        quota: { limit: 100, period: "MONTH", offset: 3 },
        stages: [
          { apiId: "a1", stage: "prod", throttle: { "/x/GET": { rateLimit: 1, burstLimit: 2 } } },
          { apiId: "a2", stage: "dev", throttle: {} },
          { apiId: "a3", stage: "dev", throttle: { "/y/POST": { rateLimit: 4 } } },
        ],
        tags: { team: "edge" },
      },
    });
    const r = emitPlanFiles({ ...base, live: live([p]), selection: {} });
    const doc = parse(r.files[0]!.text);
    expect(doc).toEqual({
      plan_id: "gold",
      name: "Gold",
      rate_limit: 1.5,
      burst_limit: 3,
      quota_limit: 100,
      quota_period: "MONTH",
      quota_offset: 3,
      stages: [
        {
          api_name: "weather-api",
          stage: "prod",
          method_throttles: { "/x/GET": { rate_limit: 1, burst_limit: 2 } },
        },
        "a2:dev",
        { api_id: "a3", stage: "dev", method_throttles: { "/y/POST": { rate_limit: 4 } } },
      ],
      keys: ["acme", "k2"],
      tags: { team: "edge" },
    });
    expect(r.files[0]!.text).toMatch(
      /^# Imported by `upg import` from API Gateway us-east-1, account 123456789012 at 2026-01-01/,
    );
  });

  it("selects by id, name, tag and unmanaged; one file with --single-file", () => {
    const plans = [
      plan("p1", "A", { settings: { name: "A", stages: [], tags: { team: "x" } } }),
      plan("p2", "B", { ownerPlanId: "b" }),
      plan("p3", "C"),
    ];
    const names = (sel: Parameters<typeof emitPlanFiles>[0]["selection"], recordIds: string[] = []) =>
      emitPlanFiles({ ...base, recordIds, live: live(plans), selection: sel }).files.flatMap((f) =>
        f.plans.map((x) => x.name),
      );
    expect(names({ ids: ["p3"] })).toEqual(["C"]);
    expect(names({ names: ["A", "B"] })).toEqual(["A", "B"]);
    expect(names({ tags: { team: "x" } })).toEqual(["A"]);
    expect(names({ unmanaged: true }, ["p3"])).toEqual(["A"]);
    const one = emitPlanFiles({ ...base, live: live(plans), selection: {}, singleFile: "all.yaml" });
    expect(one.files.map((f) => f.name)).toEqual(["all.yaml"]);
    expect(parseAllDocuments(one.files[0]!.text).length).toBe(3);
  });

  it("refuses duplicate names and an empty selection", () => {
    const dup = emitPlanFiles({ ...base, live: live([plan("p1", "T"), plan("p2", "T")]), selection: {} });
    expect(dup.files).toEqual([]);
    expect(dup.errors).toEqual([expect.stringContaining('2 live plans are named "T" (p1, p2)')]);
    const none = emitPlanFiles({ ...base, live: live([plan("p1", "T")]), selection: { ids: ["zz"] } });
    expect(none.errors).toEqual([expect.stringContaining("No live usage plan matches")]);
  });
});
