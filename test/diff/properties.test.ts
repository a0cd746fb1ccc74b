import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/diff/build-plan.js";
import { compareSettings } from "../../src/diff/compare.js";
import { nextRecord } from "../../src/diff/records.js";
import type { Change, Plan } from "../../src/model/plan.js";
import type { MasterRecord } from "../../src/model/record.js";
import type { DesiredPlan, LivePlan, LiveState, PlanSettings } from "../../src/model/state.js";
import { desired, NOW, OWNER_TAG, settings, stage } from "../helpers/builders.js";

const STAGES = ["api1:prod", "api1:dev", "api2:prod"];
const KEYS = ["k1", "k2", "k3", "k4"];

const throttleArb = fc.option(
  fc
    .record({
      rateLimit: fc.option(fc.integer({ min: 0, max: 1000 }), { nil: undefined }),
      burstLimit: fc.option(fc.integer({ min: 0, max: 2000 }), { nil: undefined }),
    })
    .map((t) => {
      const out: { rateLimit?: number; burstLimit?: number } = {};
      if (t.rateLimit !== undefined) out.rateLimit = t.rateLimit;
      if (t.burstLimit !== undefined) out.burstLimit = t.burstLimit;
      return out;
    }),
  { nil: undefined },
);

const settingsArb: fc.Arbitrary<PlanSettings> = fc
  .record({
    name: fc.constantFrom("A", "B", "C"),
    description: fc.option(fc.constantFrom("x", "y"), { nil: undefined }),
    throttle: throttleArb,
    quota: fc.option(
      fc.record({
        limit: fc.integer({ min: 0, max: 100 }),
        period: fc.constantFrom("DAY" as const, "WEEK" as const, "MONTH" as const),
        offset: fc.constant(0),
      }),
      { nil: undefined },
    ),
    stages: fc.subarray(STAGES),
    method: fc.option(fc.integer({ min: 1, max: 9 }), { nil: undefined }),
    tags: fc.dictionary(fc.constantFrom("team", "env"), fc.constantFrom("a", "b")),
  })
  .map((r) =>
    settings({
      name: r.name,
      ...(r.description !== undefined ? { description: r.description } : {}),
      ...(r.throttle && Object.keys(r.throttle).length > 0 ? { throttle: r.throttle } : {}),
      ...(r.quota ? { quota: r.quota } : {}),
      stages: r.stages.map((s, i) =>
        stage(s, i === 0 && r.method ? { "/pets/GET": { rateLimit: r.method } } : {}),
      ),
      tags: r.tags,
    }),
  );

/** A project: a few plans, each with settings, maybe declared keys (keys never shared across plans). */
const desiredArb: fc.Arbitrary<DesiredPlan[]> = fc
  .uniqueArray(fc.constantFrom("p1", "p2", "p3"), { maxLength: 3 })
  .chain((ids) =>
    fc.tuple(
      ...ids.map((id, i) =>
        fc
          .record({
            s: settingsArb,
            declare: fc.boolean(),
            lifecycle: fc.constantFrom("Active" as const, "Active" as const, "Archived" as const),
          })
          .map(({ s, declare, lifecycle }) =>
            desired(
              id,
              { ...s, name: `${s.name}-${id}` },
              { lifecycle, ...(declare && lifecycle !== "Archived" ? { keys: [KEYS[i]!] } : {}) },
            ),
          ),
      ),
    ),
  );

const liveArb = (ids: readonly string[]): fc.Arbitrary<LivePlan[]> =>
  fc
    .tuple(
      ...ids.map((id, i) =>
        fc
          .record({
            present: fc.boolean(),
            s: settingsArb,
            keys: fc.subarray([KEYS[i]!, "k4"]),
            tagged: fc.boolean(),
          })
          .map(({ present, s, keys, tagged }) =>
            present ? [{ id: `live-${id}`, settings: s, keys, ...(tagged ? { ownerPlanId: id } : {}) }] : [],
          ),
      ),
    )
    .map((xs) => xs.flat());

function liveStateOf(plans: LivePlan[]): LiveState {
  return {
    region: "us-east-1",
    plans,
    apiKeys: KEYS.map((id) => ({ id, name: id, enabled: true })),
    restApis: [],
    existingStages: STAGES,
  };
}

/** A pure model of what apply does to API Gateway and the records, to check "apply then plan is empty". */
function simulateApply(
  plan: Plan,
  live: LiveState,
  records: MasterRecord[],
): { live: LiveState; records: MasterRecord[] } {
  const plans = new Map(live.plans.map((p) => [p.id, { ...p, keys: [...p.keys] }]));
  const recs = new Map(records.map((r) => [r.plan_id, r]));
  const idOf = new Map<string, string>();
  for (const r of records)
    if (r.api_gateway_id && plans.has(r.api_gateway_id)) idOf.set(r.plan_id, r.api_gateway_id);
  for (const p of live.plans) if (p.ownerPlanId && !idOf.has(p.ownerPlanId)) idOf.set(p.ownerPlanId, p.id);
  let n = 0;
  const touched = new Set<string>();
  const run = (c: Change) => {
    touched.add(c.planId);
    const id = c.apiGatewayId ?? idOf.get(c.planId);
    if (c.resource === "plan" && (c.action === "create" || c.action === "recreate")) {
      const nid = `new${n++}`;
      plans.set(nid, { id: nid, settings: c.desired!.settings, keys: [], ownerPlanId: c.planId });
      idOf.set(c.planId, nid);
    } else if (c.resource === "plan" && c.action === "update") {
      plans.set(id!, { ...plans.get(id!)!, settings: c.desired!.settings, ownerPlanId: c.planId });
    } else if (c.resource === "plan" && c.action === "delete") {
      plans.delete(id!);
      idOf.delete(c.planId);
    } else if (c.resource === "key") {
      const p = plans.get(idOf.get(c.planId)!)!;
      p.keys =
        c.action === "attach"
          ? [...new Set([...p.keys, c.keyId!])].sort()
          : p.keys.filter((k) => k !== c.keyId);
    }
  };
  plan.changes.forEach(run);
  for (const planId of touched) {
    const d = plan.desired.find((x) => x.planId === planId);
    const sync = plan.changes.find((c) => c.planId === planId && c.action === "sync");
    const id = idOf.get(planId);
    const keys = sync?.keys ?? (id ? plans.get(id)!.keys : []);
    const prev = recs.get(planId);
    recs.set(planId, {
      ...nextRecord({
        planId,
        ...(d ? { desired: d } : {}),
        ...(prev ? { prev } : {}),
        keys,
        now: NOW,
        actor: "t",
        ...(id ? { apiGatewayId: id } : {}),
      }),
      version: (prev?.version ?? 0) + 1,
    });
  }
  return { live: { ...live, plans: [...plans.values()] }, records: [...recs.values()] };
}

function plan(d: readonly DesiredPlan[], records: readonly MasterRecord[], live: LiveState): Plan {
  return buildPlan({ desired: d, records, live, ownershipTagKey: OWNER_TAG, now: NOW });
}

describe("diff properties", () => {
  it("comparing settings with themselves finds nothing", () => {
    fc.assert(fc.property(settingsArb, (s) => compareSettings(s, s).length === 0));
  });

  it("buildPlan never throws, and every change id is unique", () => {
    fc.assert(
      fc.property(
        desiredArb.chain((d) => fc.tuple(fc.constant(d), liveArb(["p1", "p2", "p3"]), fc.boolean())),
        ([d, livePlans, withRecords]) => {
          const live = liveStateOf(livePlans);
          const records = withRecords
            ? d.map((x) => ({
                ...nextRecord({
                  planId: x.planId,
                  desired: x,
                  keys: [],
                  now: NOW,
                  actor: "t",
                  apiGatewayId: `live-${x.planId}`,
                }),
                version: 1,
              }))
            : [];
          const p = plan(d, records, live);
          expect(new Set(p.changes.map((c) => c.id)).size).toBe(p.changes.length);
        },
      ),
    );
  });

  it("apply then plan is empty (no changes, no drift), for random desired and live states", () => {
    fc.assert(
      fc.property(
        desiredArb.chain((d) => fc.tuple(fc.constant(d), liveArb(d.map((x) => x.planId)))),
        ([d, livePlans]) => {
          const live = liveStateOf(livePlans);
          const first = plan(d, [], live);
          const after = simulateApply(first, live, []);
          const second = plan(d, after.records, after.live);
          expect(second.changes.map((c) => c.id)).toEqual([]);
          expect(second.violations.filter((v) => v.violation_type !== "unmanaged_plan_found")).toEqual([]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("a plan of a state with itself is empty", () => {
    fc.assert(
      fc.property(desiredArb, (d) => {
        const active = d.filter((x) => x.lifecycleState !== "Archived");
        const live = liveStateOf(
          active.map((x) => ({
            id: `live-${x.planId}`,
            settings: x.settings,
            keys: x.keys ?? [],
            ownerPlanId: x.planId,
          })),
        );
        const records = d.map((x) => ({
          ...nextRecord({
            planId: x.planId,
            desired: x,
            keys: x.keys ?? [],
            now: NOW,
            actor: "t",
            ...(x.lifecycleState !== "Archived" ? { apiGatewayId: `live-${x.planId}` } : {}),
          }),
          version: 1,
        }));
        const p = plan(d, records, live);
        expect(p.changes).toEqual([]);
        expect(p.violations).toEqual([]);
      }),
    );
  });
});
