// planAlerts is pure: the open-violation state in, the alerts and the conditional writes out. These tests carry
// the state from run to run the way the store would (applying the writes), with no AWS.
import { describe, expect, it } from "vitest";
import {
  type DeliveryResult,
  planAlerts,
  updatesAfterDelivery,
  type ViolationStateUpdate,
  violationKey,
} from "../../src/notify/index.js";
import type { ViolationStateRecord } from "../../src/store/types.js";
import { HOUR, report, violation } from "./builders.js";

/** What the store holds after the writes (the same conditions as store/violations.ts). */
function apply(state: Map<string, ViolationStateRecord>, updates: readonly ViolationStateUpdate[]) {
  for (const u of updates) {
    const cur = state.get(u.state.key);
    const open = cur !== undefined && cur.resolved_at === undefined;
    if (u.action === "open" ? open : !open || cur.version !== u.expected_version) {
      throw new Error(`condition failed for ${u.state.key}`);
    }
    state.set(u.state.key, { ...u.state, version: (cur?.version ?? 0) + 1 });
  }
}

const openOf = (state: Map<string, ViolationStateRecord>) =>
  [...state.values()].filter((r) => r.resolved_at === undefined);

const T0 = Date.parse("2026-01-15T14:30:00.000Z");
const QUIET = 24 * HOUR;
const ok = (delivered: number[]): DeliveryResult[] => [
  { target: { type: "stdout" }, label: "stdout", ok: true, delivered },
];

describe("planAlerts", () => {
  const rate = violation();
  const deleted = violation({
    violation_type: "plan_deleted",
    plan_id: "basic",
    subject: undefined,
    severity: "CRITICAL",
    should_be: "present",
    actually_is: null,
  });

  it("alerts once when a violation appears, stays quiet while it is open, and alerts when it is resolved", () => {
    const state = new Map<string, ViolationStateRecord>();
    // Run 1: two new violations → one "opened" alert, most severe first.
    const r1 = planAlerts({
      report: report([rate, deleted]),
      open: openOf(state),
      now: T0,
      quietPeriodMs: QUIET,
    });
    expect(r1.alerts).toHaveLength(1);
    expect(r1.alerts[0]).toMatchObject({ event: "opened", severity: "CRITICAL", region: "us-east-1" });
    expect(r1.alerts[0]?.violations.map((v) => v.violation_type)).toEqual([
      "plan_deleted",
      "rate_limit_changed",
    ]);
    expect(r1.updates.map((u) => [u.action, u.expected_version, u.alert_index])).toEqual([
      ["open", 0, 0],
      ["open", 0, 0],
    ]);
    apply(state, updatesAfterDelivery(r1.updates, ok([0])));
    expect(state.get(violationKey(rate))).toMatchObject({
      first_seen: "2026-01-15T14:30:00.000Z",
      last_alerted: "2026-01-15T14:30:00.000Z",
      version: 1,
    });

    // Run 2, five minutes later: both still open → no alert, last_seen moves.
    const t2 = T0 + 5 * 60_000;
    const r2 = planAlerts({
      report: report([rate, deleted]),
      open: openOf(state),
      now: t2,
      quietPeriodMs: QUIET,
    });
    expect(r2.alerts).toEqual([]);
    expect(r2.updates.map((u) => [u.action, u.expected_version, u.alert_index])).toEqual([
      ["refresh", 1, undefined],
      ["refresh", 1, undefined],
    ]);
    apply(state, updatesAfterDelivery(r2.updates, ok([])));
    expect(state.get(violationKey(rate))).toMatchObject({
      first_seen: "2026-01-15T14:30:00.000Z",
      last_seen: new Date(t2).toISOString(),
      last_alerted: "2026-01-15T14:30:00.000Z",
    });

    // Run 3: the rate limit was put back → one "resolved" alert for it; the deleted plan stays open, quiet.
    const t3 = T0 + 10 * 60_000;
    const r3 = planAlerts({ report: report([deleted]), open: openOf(state), now: t3, quietPeriodMs: QUIET });
    expect(r3.alerts).toHaveLength(1);
    expect(r3.alerts[0]).toMatchObject({ event: "resolved", severity: "HIGH" });
    expect(r3.alerts[0]?.violations[0]).toMatchObject({
      violation_type: "rate_limit_changed",
      first_seen: "2026-01-15T14:30:00.000Z",
      resolved_at: new Date(t3).toISOString(),
    });
    apply(state, updatesAfterDelivery(r3.updates, ok([0])));
    expect(openOf(state).map((r) => r.violation.violation_type)).toEqual(["plan_deleted"]);

    // Run 4: nothing changed → nothing to say.
    const r4 = planAlerts({
      report: report([deleted]),
      open: openOf(state),
      now: t3 + 60_000,
      quietPeriodMs: QUIET,
    });
    expect(r4.alerts).toEqual([]);

    // The same violation again later is a new incident: opened again, the resolved item reopened.
    const r5 = planAlerts({
      report: report([rate, deleted]),
      open: openOf(state),
      now: t3 + HOUR,
      quietPeriodMs: QUIET,
    });
    expect(r5.alerts.map((a) => [a.event, a.violations.length])).toEqual([["opened", 1]]);
    apply(state, updatesAfterDelivery(r5.updates, ok([0])));
    expect(state.get(violationKey(rate))).toMatchObject({ first_seen: new Date(t3 + HOUR).toISOString() });
    expect(state.get(violationKey(rate))?.resolved_at).toBeUndefined();
  });

  it("reminds after the quiet period while a violation stays open, then waits a full period again", () => {
    const state = new Map<string, ViolationStateRecord>();
    apply(state, planAlerts({ report: report([rate]), open: [], now: T0, quietPeriodMs: QUIET }).updates);
    const early = planAlerts({
      report: report([rate]),
      open: openOf(state),
      now: T0 + QUIET - 1,
      quietPeriodMs: QUIET,
    });
    expect(early.alerts).toEqual([]);
    const due = planAlerts({
      report: report([rate]),
      open: openOf(state),
      now: T0 + QUIET,
      quietPeriodMs: QUIET,
    });
    expect(due.alerts.map((a) => a.event)).toEqual(["reminder"]);
    expect(due.alerts[0]?.violations[0]?.first_seen).toBe(new Date(T0).toISOString());
    apply(state, updatesAfterDelivery(due.updates, ok([0])));
    const after = planAlerts({
      report: report([rate]),
      open: openOf(state),
      now: T0 + QUIET + HOUR,
      quietPeriodMs: QUIET,
    });
    expect(after.alerts).toEqual([]);
  });

  it("sends opened, reminder and resolved as separate alerts in one run", () => {
    const state = new Map<string, ViolationStateRecord>();
    apply(
      state,
      planAlerts({ report: report([rate, deleted]), open: [], now: T0, quietPeriodMs: QUIET }).updates,
    );
    const key = violation({ violation_type: "key_added", subject: "k9", severity: "MEDIUM" });
    const r = planAlerts({
      report: report([rate, key]),
      open: openOf(state),
      now: T0 + QUIET,
      quietPeriodMs: QUIET,
    });
    expect(r.alerts.map((a) => [a.event, a.violations.map((v) => v.violation_type)])).toEqual([
      ["opened", ["key_added"]],
      ["reminder", ["rate_limit_changed"]],
      ["resolved", ["plan_deleted"]],
    ]);
    expect(r.updates.map((u) => [u.action, u.alert_index]).sort()).toEqual(
      [
        ["open", 0],
        ["refresh", 1],
        ["resolve", 2],
      ].sort(),
    );
  });

  it("keys a violation by (plan_id, violation_type, subject): another subject is another violation", () => {
    const state = new Map<string, ViolationStateRecord>();
    apply(state, planAlerts({ report: report([rate]), open: [], now: T0, quietPeriodMs: QUIET }).updates);
    const otherValue = violation({ actually_is: 900 }); // same identity, new value: still the same incident
    const otherStage = violation({ violation_type: "stage_added", subject: "api1:prod", severity: "MEDIUM" });
    const r = planAlerts({
      report: report([otherValue, otherStage]),
      open: openOf(state),
      now: T0 + 60_000,
      quietPeriodMs: QUIET,
    });
    expect(r.alerts.map((a) => [a.event, a.violations.map((v) => v.subject)])).toEqual([
      ["opened", ["api1:prod"]],
    ]);
    const refreshed = r.updates.find((u) => u.action === "refresh");
    expect(refreshed?.state.violation.actually_is).toBe(900);
    expect(violationKey({ plan_id: "a#b", violation_type: "key_added", subject: "x" })).toBe(
      "a%23b#key_added#x",
    );
  });

  it("does not resolve what this run could not read (not_checked)", () => {
    const state = new Map<string, ViolationStateRecord>();
    apply(
      state,
      planAlerts({ report: report([rate, deleted]), open: [], now: T0, quietPeriodMs: QUIET }).updates,
    );
    const partial = report([], {
      notChecked: [{ what: "GetTags usageplan ab12cd", plan_id: "premium-weather", reason: "denied" }],
    });
    const r = planAlerts({ report: partial, open: openOf(state), now: T0 + 60_000, quietPeriodMs: QUIET });
    // basic's deleted plan was read and is gone: resolved. premium-weather was not read: left open.
    expect(r.alerts.map((a) => [a.event, a.violations.map((v) => v.plan_id)])).toEqual([
      ["resolved", ["basic"]],
    ]);
    const blind = report([], { notChecked: [{ what: "GetUsagePlans", reason: "timeout" }] });
    expect(
      planAlerts({ report: blind, open: openOf(state), now: T0 + 60_000, quietPeriodMs: QUIET }),
    ).toEqual({
      alerts: [],
      updates: [],
    });
  });

  it("an alert no target accepted is sent again on the next run; a resolution never announced stays silent", () => {
    const state = new Map<string, ViolationStateRecord>();
    const failed: DeliveryResult[] = [
      {
        target: { type: "webhook", url: "http://x" },
        label: "webhook",
        ok: false,
        error: "500",
        delivered: [],
      },
    ];
    const r1 = planAlerts({ report: report([rate]), open: [], now: T0, quietPeriodMs: QUIET });
    apply(state, updatesAfterDelivery(r1.updates, failed));
    expect(state.get(violationKey(rate))?.last_alerted).toBeUndefined();
    const r2 = planAlerts({
      report: report([rate]),
      open: openOf(state),
      now: T0 + 60_000,
      quietPeriodMs: QUIET,
    });
    expect(r2.alerts.map((a) => a.event)).toEqual(["opened"]);
    expect(r2.alerts[0]?.violations[0]?.first_seen).toBe(new Date(T0).toISOString());
    // Still undelivered, then fixed: closed without a "resolved" alert about something nobody heard of.
    apply(state, updatesAfterDelivery(r2.updates, failed));
    const r3 = planAlerts({
      report: report([]),
      open: openOf(state),
      now: T0 + 120_000,
      quietPeriodMs: QUIET,
    });
    expect(r3.alerts).toEqual([]);
    expect(r3.updates.map((u) => u.action)).toEqual(["resolve"]);
    // A resolution that was not delivered is not written: the item stays open and is resolved next time.
    const s2 = new Map<string, ViolationStateRecord>();
    apply(s2, planAlerts({ report: report([rate]), open: [], now: T0, quietPeriodMs: QUIET }).updates);
    const res = planAlerts({ report: report([]), open: openOf(s2), now: T0 + 60_000, quietPeriodMs: QUIET });
    expect(updatesAfterDelivery(res.updates, failed)).toEqual([]);
    // With no targets at all, nothing is held back.
    expect(updatesAfterDelivery(res.updates, [])).toEqual(res.updates);
  });
});
