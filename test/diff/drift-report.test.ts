// The drift report's own checks, as a pure function of plan, records and live state.

import { describe, expect, it } from "vitest";
import { buildPlan } from "../../src/diff/build-plan.js";
import { buildDriftReport, driftExitCode } from "../../src/diff/drift-report.js";
import type { MasterRecord } from "../../src/model/record.js";
import type { DesiredPlan, LiveState } from "../../src/model/state.js";
import {
  desired,
  livePlan,
  liveState,
  NOW,
  OWNER_TAG,
  recordOf,
  settings,
  stage,
} from "../helpers/builders.js";

function report(records: MasterRecord[], live: LiveState, declared: DesiredPlan[] = []) {
  const plan = buildPlan({ desired: declared, records, live, ownershipTagKey: OWNER_TAG, now: NOW });
  return buildDriftReport({ plan, specs: [], records, live, now: NOW });
}

describe("buildDriftReport", () => {
  const d = desired("basic", settings({ name: "Basic", stages: [stage("api1:prod")] }));

  it("a managed stage also covered by an unmanaged plan is MEDIUM; not for a plan that is gone", () => {
    const rec = recordOf(d, "p1");
    const hand = livePlan("u1", settings({ name: "Hand made", stages: [stage("api1:prod")] }));
    const live = liveState({ plans: [livePlan("p1", d.settings, [], "basic"), hand] });
    const r = report([rec], live);
    expect(r.violations.map((v) => `${v.severity} ${v.violation_type} ${v.subject}`)).toEqual([
      "MEDIUM stage_shared_with_unmanaged_plan api1:prod",
      "LOW unmanaged_plan_found u1",
    ]);
    const gone = report([rec], liveState({ plans: [hand] }), [d]);
    expect(gone.violations.map((v) => v.violation_type)).toEqual(["plan_deleted", "unmanaged_plan_found"]);
  });

  it("a recorded stage whose REST API is gone is stage_missing (HIGH)", () => {
    const rec = recordOf(d, "p1");
    const live = liveState({ plans: [livePlan("p1", d.settings, [], "basic")], stages: [], restApis: [] });
    const r = report([rec], live);
    expect(r.violations).toEqual([
      expect.objectContaining({
        violation_type: "stage_missing",
        severity: "HIGH",
        subject: "api1:prod",
        actually_is: "REST API api1 no longer exists",
      }),
    ]);
    expect(driftExitCode(r, "HIGH", false)).toBe(2);
    expect(driftExitCode(r, "CRITICAL", false)).toBe(0);
  });

  it("a plan whose keys could not be read is not checked, never clean", () => {
    const rec = recordOf(desired("basic", d.settings, { keys: ["k1"] }), "p1");
    const live: LiveState = {
      ...liveState({ plans: [{ ...livePlan("p1", d.settings, [], "basic"), unread: ["keys"] }] }),
      gaps: [{ what: "GetUsagePlanKeys usage plan p1", planId: "p1", reason: "AccessDenied" }],
    };
    const r = report([rec], live);
    expect(r.violations).toEqual([]);
    expect(r.not_checked).toEqual([
      { what: "GetUsagePlanKeys usage plan p1", plan_id: "basic", reason: "AccessDenied" },
    ]);
    expect(driftExitCode(r, "LOW", false)).toBe(1);
  });
});
