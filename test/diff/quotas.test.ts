import { describe, expect, it } from "vitest";
import { type AccountQuotas, AWS_QUOTAS, quotaProblems } from "../../src/diff/quotas.js";
import type { MasterRecord } from "../../src/model/record.js";
import type { DesiredPlan, LivePlan, LiveState } from "../../src/model/state.js";

const desired = (
  planId: string,
  keys?: string[],
  lifecycleState: DesiredPlan["lifecycleState"] = "Active",
): DesiredPlan => ({
  planId,
  lifecycleState,
  settings: { name: planId, stages: [], tags: {} },
  ...(keys ? { keys } : {}),
  source: { file: `plans/${planId}.yaml`, line: 1, col: 1 },
});
const livePlan = (id: string, keys: string[], ownerPlanId?: string): LivePlan => ({
  id,
  settings: { name: id, stages: [], tags: {} },
  keys,
  ...(ownerPlanId ? { ownerPlanId } : {}),
});
const live = (plans: LivePlan[], keyCount = 0): LiveState => ({
  region: "us-east-1",
  plans,
  apiKeys: Array.from({ length: keyCount }, (_, i) => ({ id: `k${i}`, name: `key-${i}`, enabled: true })),
  restApis: [],
  existingStages: [],
});
const small: AccountQuotas = { plansPerRegion: 3, plansPerKey: 2, keysPerRegion: 5 };

describe("quotaProblems", () => {
  it("nothing when everything fits", () => {
    expect(
      quotaProblems({ desired: [desired("a"), desired("b")], records: [], live: live([], 3) }, small),
    ).toEqual([]);
  });

  it("plans per region: declared (not archived) plus unmanaged live plans, located at the first plan over", () => {
    const ds = ["a", "b", "c", "d"].map((id) => desired(id));
    const [p] = quotaProblems(
      {
        desired: [...ds, desired("z", undefined, "Archived")],
        records: [],
        live: live([livePlan("xx1", [])]),
      },
      small,
    );
    expect(p).toMatchObject({
      code: "quota_plans_per_region",
      planId: "c",
      file: "plans/c.yaml",
      message:
        "The plan files need 5 usage plans in us-east-1 (4 declared and not archived, 1 not managed by upg); AWS allows 3 per account and region.",
    });
  });

  it("plans per key: declared keys, observed keys of managed plans and unmanaged memberships count", () => {
    const records = [{ plan_id: "b", api_gateway_id: "bbb111" } as MasterRecord];
    const problems = quotaProblems(
      {
        desired: [desired("a", ["k1"]), desired("b"), desired("c", ["k1", "k2"])],
        records,
        live: live([livePlan("bbb111", ["k1"]), livePlan("zzz999", ["k2"])], 3),
      },
      { ...small, plansPerRegion: 10 },
    );
    expect(problems).toEqual([
      expect.objectContaining({
        code: "quota_plans_per_key",
        subject: "k1",
        planId: "c",
        message: "API key key-1 (k1) would be in 3 usage plans (a, b, c); AWS allows 2 per key.",
      }),
    ]);
  });

  it("keys per region", () => {
    const [p] = quotaProblems({ desired: [desired("a")], records: [], live: live([], 6) }, small);
    expect(p).toMatchObject({
      code: "quota_keys_per_region",
      message: expect.stringContaining("6 API keys in us-east-1"),
    });
  });

  it("AWS's defaults: 300 plans, 10 plans per key, 10,000 keys", () => {
    expect(AWS_QUOTAS).toEqual({ plansPerRegion: 300, plansPerKey: 10, keysPerRegion: 10_000 });
    const many = Array.from({ length: 301 }, (_, i) => desired(`p${String(i).padStart(3, "0")}`));
    expect(quotaProblems({ desired: many, records: [], live: live([]) })[0]).toMatchObject({
      code: "quota_plans_per_region",
      planId: "p300",
    });
    const keyed = Array.from({ length: 11 }, (_, i) => desired(`q${String(i).padStart(2, "0")}`, ["k0"]));
    expect(quotaProblems({ desired: keyed, records: [], live: live([], 1) })[0]).toMatchObject({
      code: "quota_plans_per_key",
      planId: "q10",
      message: expect.stringContaining("would be in 11 usage plans"),
    });
  });
});
