import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildPatchOps, methodThrottleJson } from "../../src/live/patch.js";
import type { PatchOperation } from "../../src/live/types.js";
import { QUOTA_PERIODS, type QuotaPeriod, type ThrottleSettings } from "../../src/model/spec.js";
import { type PlanSettings, type QuotaSettings, type StageBinding, stageKey } from "../../src/model/state.js";

function plan(overrides: Partial<PlanSettings> = {}): PlanSettings {
  return { name: "Gold", stages: [], tags: {}, ...overrides };
}

function stage(apiId: string, name: string, throttle: Record<string, ThrottleSettings> = {}): StageBinding {
  return { apiId, stage: name, throttle };
}

// A small pure reference applier of the §3.4 patch paths, independent of buildPatchOps.
type Draft = Omit<PlanSettings, "quota"> & { quota?: Partial<QuotaSettings> };

function findStage(d: Draft, key: string): StageBinding {
  const found = d.stages.find((s) => stageKey(s) === key);
  if (!found) throw new Error(`stage ${key} not in plan`);
  return found;
}

function applyOne(d: Draft, op: PatchOperation): void {
  const value = op.value ?? "";
  const stageThrottle = /^\/apiStages\/([^/]+)\/throttle$/.exec(op.path);
  const field = op.path.split("/")[2] as string;
  if (stageThrottle?.[1]) {
    findStage(d, stageThrottle[1]).throttle = op.op === "remove" ? {} : JSON.parse(value);
  } else if (op.path === "/apiStages" && op.op === "add") {
    const [apiId = "", name = ""] = value.split(":");
    if (!d.stages.some((s) => stageKey(s) === value)) d.stages.push(stage(apiId, name));
  } else if (op.path === "/apiStages" && op.op === "remove") {
    d.stages.splice(d.stages.indexOf(findStage(d, value)), 1);
  } else if (op.op === "remove" && op.path === "/throttle") delete d.throttle;
  else if (op.op === "remove" && op.path === "/quota") delete d.quota;
  else if (op.op === "replace" && op.path.startsWith("/throttle/"))
    d.throttle = { ...d.throttle, [field]: Number(value) };
  else if (op.op === "replace" && op.path === "/quota/period")
    d.quota = { offset: 0, ...d.quota, period: value as QuotaPeriod };
  else if (op.op === "replace" && op.path.startsWith("/quota/"))
    d.quota = { offset: 0, ...d.quota, [field]: Number(value) };
  else if (op.op === "replace" && op.path === "/name") d.name = value;
  else if (op.op === "replace" && op.path === "/description") {
    if (value === "") delete d.description;
    else d.description = value;
  } else throw new Error(`unsupported patch ${op.op} ${op.path}`);
}

function applyOps(before: PlanSettings, ops: PatchOperation[]): PlanSettings {
  const d: Draft = structuredClone(before);
  for (const op of ops) applyOne(d, op);
  const { quota, ...rest } = d;
  const out: PlanSettings = {
    ...rest,
    stages: [...d.stages].sort((a, b) => (stageKey(a) < stageKey(b) ? -1 : 1)),
  };
  if (quota) {
    if (quota.limit === undefined || quota.period === undefined) throw new Error("incomplete quota");
    out.quota = { limit: quota.limit, period: quota.period, offset: quota.offset ?? 0 };
  }
  return out;
}

describe("buildPatchOps", () => {
  it("is empty for identical settings", () => {
    const p = plan({
      throttle: { rateLimit: 1 },
      stages: [stage("a", "prod", { "/x/GET": { burstLimit: 1 } })],
    });
    expect(buildPatchOps(p, structuredClone(p))).toEqual([]);
  });

  it("orders stage removes, adds, throttle/quota/name, then method throttles", () => {
    const before = plan({ stages: [stage("a", "dev"), stage("a", "prod")] });
    const after = plan({
      name: "Platinum",
      throttle: { rateLimit: 2.5, burstLimit: 5 },
      quota: { limit: 1000, period: "MONTH", offset: 0 },
      stages: [stage("a", "prod", { "/pets/GET": { rateLimit: 1, burstLimit: 2 } }), stage("b", "prod")],
    });
    expect(buildPatchOps(before, after)).toEqual([
      { op: "remove", path: "/apiStages", value: "a:dev" },
      { op: "add", path: "/apiStages", value: "b:prod" },
      { op: "replace", path: "/throttle/rateLimit", value: "2.5" },
      { op: "replace", path: "/throttle/burstLimit", value: "5" },
      { op: "replace", path: "/quota/limit", value: "1000" },
      { op: "replace", path: "/quota/period", value: "MONTH" },
      { op: "replace", path: "/name", value: "Platinum" },
      {
        op: "replace",
        path: "/apiStages/a:prod/throttle",
        value: '{"/pets/GET":{"rateLimit":1,"burstLimit":2}}',
      },
    ]);
  });

  it("sets only the throttle member that is present, never turning absent into 0", () => {
    expect(buildPatchOps(plan(), plan({ throttle: { burstLimit: 5 } }))).toEqual([
      { op: "replace", path: "/throttle/burstLimit", value: "5" },
    ]);
    expect(
      buildPatchOps(
        plan({ throttle: { rateLimit: 5, burstLimit: 10 } }),
        plan({ throttle: { rateLimit: 5 } }),
      ),
    ).toEqual([
      { op: "remove", path: "/throttle" },
      { op: "replace", path: "/throttle/rateLimit", value: "5" },
    ]);
    expect(buildPatchOps(plan({ throttle: { rateLimit: 5 } }), plan())).toEqual([
      { op: "remove", path: "/throttle" },
    ]);
  });

  it("removes the quota, clears the description and drops a stage's method throttles", () => {
    const before = plan({
      description: "old",
      quota: { limit: 1, period: "DAY", offset: 0 },
      stages: [stage("a", "prod", { "/x/GET": { rateLimit: 1 } })],
    });
    expect(buildPatchOps(before, plan({ stages: [stage("a", "prod")] }))).toEqual([
      { op: "remove", path: "/quota" },
      { op: "replace", path: "/description", value: "" },
      { op: "remove", path: "/apiStages/a:prod/throttle", value: "" },
    ]);
  });

  it("keeps every quota step valid when period and offset change together", () => {
    const month20 = plan({ quota: { limit: 9, period: "MONTH", offset: 20 } });
    const week3 = plan({ quota: { limit: 9, period: "WEEK", offset: 3 } });
    expect(buildPatchOps(month20, week3).map((o) => o.path)).toEqual(["/quota/offset", "/quota/period"]);
    expect(buildPatchOps(week3, month20).map((o) => o.path)).toEqual(["/quota/period", "/quota/offset"]);
  });

  it("writes method throttle maps with sorted keys and rate before burst", () => {
    expect(methodThrottleJson({ "/b/GET": { burstLimit: 2, rateLimit: 1 }, "//GET": {} })).toBe(
      '{"//GET":{},"/b/GET":{"rateLimit":1,"burstLimit":2}}',
    );
  });
});

const throttleArb: fc.Arbitrary<ThrottleSettings> = fc
  .record(
    { rateLimit: fc.integer({ min: 0, max: 4000 }).map((n) => n / 4), burstLimit: fc.nat(5000) },
    { requiredKeys: [] },
  )
  .filter((t) => t.rateLimit !== undefined || t.burstLimit !== undefined);

const quotaArb: fc.Arbitrary<QuotaSettings> = fc.constantFrom(...QUOTA_PERIODS).chain((period) =>
  fc.record({
    limit: fc.nat(100000),
    period: fc.constant(period),
    offset: fc.nat({ DAY: 0, WEEK: 6, MONTH: 27 }[period]),
  }),
);

const methodThrottlesArb = fc.dictionary(
  fc.constantFrom("/pets/GET", "//GET", "/pets/{id}/PUT"),
  fc.record({ rateLimit: fc.nat(100), burstLimit: fc.nat(100) }, { requiredKeys: [] }),
  { maxKeys: 3 },
);

const stagesArb: fc.Arbitrary<StageBinding[]> = fc
  .uniqueArray(
    fc.record({
      apiId: fc.constantFrom("a1", "b2"),
      stage: fc.constantFrom("prod", "dev", "v2"),
      throttle: methodThrottlesArb,
    }),
    { selector: stageKey, maxLength: 4 },
  )
  .map((s) => s.sort((a, b) => (stageKey(a) < stageKey(b) ? -1 : 1)));

const settingsArb: fc.Arbitrary<PlanSettings> = fc
  .record({
    name: fc.constantFrom("Gold", "Silver"),
    description: fc.option(fc.constantFrom("one", "two"), { nil: undefined }),
    throttle: fc.option(throttleArb, { nil: undefined }),
    quota: fc.option(quotaArb, { nil: undefined }),
    stages: stagesArb,
  })
  .map(({ description, throttle, quota, ...rest }) => ({
    ...rest,
    ...(description === undefined ? {} : { description }),
    ...(throttle === undefined ? {} : { throttle }),
    ...(quota === undefined ? {} : { quota }),
    tags: {},
  }));

describe("buildPatchOps properties", () => {
  it("applying the operations to before yields after", () => {
    fc.assert(
      fc.property(settingsArb, settingsArb, (before, after) => {
        expect(applyOps(before, buildPatchOps(before, after))).toEqual(after);
      }),
      { numRuns: 500 },
    );
  });

  it("buildPatchOps(x, x) is empty", () => {
    fc.assert(fc.property(settingsArb, (x) => buildPatchOps(x, structuredClone(x)).length === 0));
  });
});
