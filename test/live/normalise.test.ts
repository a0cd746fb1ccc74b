import { describe, expect, it } from "vitest";
import { normaliseUsagePlan, toNumber, type UsagePlanLike } from "../../src/live/normalise.js";

const OWNER = "upg:plan-id";

describe("normaliseUsagePlan", () => {
  it("normalises a full plan: sorted stages and maps, ownership tag kept apart", () => {
    const plan: UsagePlanLike = {
      id: "ab12cd",
      name: "Gold",
      description: "for partners",
      throttle: { burstLimit: 100, rateLimit: 50 },
      quota: { limit: 5000, period: "MONTH", offset: 2 },
      apiStages: [
        { apiId: "b", stage: "prod", throttle: { "/z/GET": { rateLimit: 1 }, "/a/POST": { burstLimit: 2 } } },
        { apiId: "a", stage: "prod" },
      ],
      tags: { team: "x", [OWNER]: "gold", env: "prod" },
    };
    const live = normaliseUsagePlan(plan, OWNER);
    expect(live).toEqual({
      id: "ab12cd",
      ownerPlanId: "gold",
      settings: {
        name: "Gold",
        description: "for partners",
        throttle: { rateLimit: 50, burstLimit: 100 },
        quota: { limit: 5000, period: "MONTH", offset: 2 },
        stages: [
          { apiId: "a", stage: "prod", throttle: {} },
          {
            apiId: "b",
            stage: "prod",
            throttle: { "/a/POST": { burstLimit: 2 }, "/z/GET": { rateLimit: 1 } },
          },
        ],
        tags: { env: "prod", team: "x" },
      },
    });
    expect(Object.keys(live.settings.tags)).toEqual(["env", "team"]);
    expect(Object.keys(live.settings.stages[1]?.throttle ?? {})).toEqual(["/a/POST", "/z/GET"]);
  });

  it("keeps absent members absent and never invents 0", () => {
    const live = normaliseUsagePlan({ id: "p1", name: "Bare", description: "", apiStages: [] }, OWNER);
    expect(live).toEqual({ id: "p1", settings: { name: "Bare", stages: [], tags: {} } });
    const burstOnly = normaliseUsagePlan({ id: "p2", name: "B", throttle: { burstLimit: 7 } }, OWNER);
    expect(burstOnly.settings.throttle).toEqual({ burstLimit: 7 });
    expect(normaliseUsagePlan({ id: "p3", throttle: {} }, OWNER).settings.throttle).toBeUndefined();
  });

  it("fills a missing quota offset with 0 and drops quotas without limit or known period", () => {
    expect(
      normaliseUsagePlan({ id: "p", quota: { limit: 10, period: "DAY" } }, OWNER).settings.quota,
    ).toEqual({
      limit: 10,
      period: "DAY",
      offset: 0,
    });
    expect(normaliseUsagePlan({ id: "p", quota: { period: "DAY" } }, OWNER).settings.quota).toBeUndefined();
    expect(
      normaliseUsagePlan({ id: "p", quota: { limit: 1, period: "YEAR" } }, OWNER).settings.quota,
    ).toBeUndefined();
  });

  it("coerces numeric strings from a sloppy backend", () => {
    const live = normaliseUsagePlan(
      {
        id: "p",
        name: "S",
        throttle: { rateLimit: "2.5", burstLimit: "10" },
        quota: { limit: "500", period: "WEEK", offset: "3" },
        apiStages: [{ apiId: "a", stage: "s", throttle: { "//GET": { rateLimit: "1.0", burstLimit: "x" } } }],
      },
      OWNER,
    );
    expect(live.settings.throttle).toEqual({ rateLimit: 2.5, burstLimit: 10 });
    expect(live.settings.quota).toEqual({ limit: 500, period: "WEEK", offset: 3 });
    expect(live.settings.stages[0]?.throttle).toEqual({ "//GET": { rateLimit: 1 } });
  });

  it("drops malformed and duplicate stages, and rejects a plan without id", () => {
    const live = normaliseUsagePlan(
      {
        id: "p",
        apiStages: [
          { apiId: "a", stage: "s" },
          { apiId: "a", stage: "s" },
          { apiId: "", stage: "x" },
        ],
      },
      OWNER,
    );
    expect(live.settings.stages).toEqual([{ apiId: "a", stage: "s", throttle: {} }]);
    expect(() => normaliseUsagePlan({ name: "x" }, OWNER)).toThrow(/without an id/);
  });

  it("treats an empty ownership tag as not owned", () => {
    expect(normaliseUsagePlan({ id: "p", tags: { [OWNER]: "" } }, OWNER).ownerPlanId).toBeUndefined();
  });
});

describe("toNumber", () => {
  it("accepts finite numbers and numeric strings only", () => {
    expect([toNumber(3), toNumber("4.5"), toNumber(" 6 "), toNumber("")]).toEqual([3, 4.5, 6, undefined]);
    expect([toNumber("abc"), toNumber(null), toNumber(undefined), toNumber(Number.NaN)]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
  });
});
