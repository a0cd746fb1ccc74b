// The roll-forward of a stopped run's journal entry, as a pure function of records, live state and the audit
// rows already written.

import { describe, expect, it } from "vitest";
import { auditKey, planRecovery } from "../../src/diff/recover.js";
import type { AuditRecord, MasterRecord, PendingChange } from "../../src/model/record.js";
import { desired, livePlan, liveState, NOW, recordOf, settings } from "../helpers/builders.js";

const d = desired("basic", settings({ name: "Basic" }));
const pending = (
  p: Partial<PendingChange> & Pick<PendingChange, "action" | "resource" | "change_id">,
): PendingChange => ({
  run_id: "run-1",
  actor: "alice",
  started_at: NOW,
  ...p,
});
const input = (
  records: MasterRecord[],
  plans = [] as ReturnType<typeof livePlan>[],
  audited = new Map<string, AuditRecord>(),
) => ({
  records,
  live: liveState({ plans }),
  audited,
  now: NOW,
  runId: "run-2",
  actor: "bob",
});

describe("planRecovery", () => {
  it("a recreate whose CreateUsagePlan ran: new id from the ownership tag, lineage, every recorded key pending, audit row owed", () => {
    const rec = {
      ...recordOf(d, "old1", ["k1", "k2"], 7),
      pending: pending({
        action: "recreate",
        resource: "plan",
        change_id: "recreate:basic",
        api_gateway_id: "old1",
        desired: d,
        keys: ["k1", "k2"],
      }),
    };
    const out = planRecovery(input([rec], [livePlan("new2", d.settings, [], "basic")]));
    const r = out.recoveries[0]!;
    expect(r.executed).toBe(true);
    expect(r.expectedVersion).toBe(7);
    expect(r.record).toMatchObject({
      api_gateway_id: "new2",
      keys: ["k1", "k2"],
      pending_keys: ["k1", "k2"],
      recreated_from: "old1",
    });
    expect(r.record!.pending).toBeUndefined();
    expect(r.record!.lineage).toEqual([
      expect.objectContaining({ api_gateway_id: "old1", deleted: true, recreated_as: "new2" }),
    ]);
    expect(r.audit).toMatchObject({
      run_id: "run-1",
      change_id: "recreate:basic",
      actor: "alice",
      outcome: "ok",
      api_gateway_id: "new2",
      previous_api_gateway_id: "old1",
      recovered_by: "run-2",
    });
    expect(out.records).toEqual([r.record]);
  });

  it("a change whose audit row exists is completed without a second row", () => {
    const rec = {
      ...recordOf(d, "p1", [], 3),
      pending: pending({
        action: "attach",
        resource: "key",
        change_id: "attach-key:basic:k9",
        api_gateway_id: "p1",
        key_id: "k9",
      }),
    };
    const row = { run_id: "run-1", change_id: "attach-key:basic:k9", outcome: "ok" } as AuditRecord;
    const out = planRecovery(
      input(
        [rec],
        [livePlan("p1", d.settings, ["k9"], "basic")],
        new Map([[auditKey("run-1", row.change_id), row]]),
      ),
    );
    expect(out.recoveries[0]!.executed).toBe(true);
    expect(out.recoveries[0]!.audit).toBeUndefined();
    expect(out.recoveries[0]!.record!.keys).toEqual(["k9"]);
  });

  it("a create that never reached API Gateway on a record its intent made: the record is removed", () => {
    const rec = {
      ...recordOf(d, undefined, [], 1),
      pending: pending({
        action: "create",
        resource: "plan",
        change_id: "create:basic",
        desired: d,
        fresh: true,
      }),
    };
    const out = planRecovery(input([rec]));
    expect(out.recoveries[0]!.executed).toBe(false);
    expect(out.recoveries[0]!.record).toBeUndefined();
    expect(out.recoveries[0]!.audit).toBeUndefined();
    expect(out.records).toEqual([]);
  });

  it("a delete that ran is recorded (no id, lineage); one that did not is planned again", () => {
    const rec = {
      ...recordOf(d, "p1", [], 2),
      pending: pending({
        action: "delete",
        resource: "plan",
        change_id: "delete:basic",
        api_gateway_id: "p1",
      }),
    };
    const ran = planRecovery(input([rec])).recoveries[0]!;
    expect(ran.executed).toBe(true);
    expect(ran.record).toMatchObject({ lifecycle_state: "Archived", deleted: true });
    expect(ran.record!.api_gateway_id).toBeUndefined();
    const notRan = planRecovery(input([rec], [livePlan("p1", d.settings, [], "basic")])).recoveries[0]!;
    expect(notRan.executed).toBe(false);
    expect(notRan.audit).toBeUndefined();
    expect(notRan.record!.api_gateway_id).toBe("p1");
  });

  it("an update is confirmed when the settings moved away from those before it", () => {
    const before = settings({ name: "Basic", throttle: { rateLimit: 5, burstLimit: 10 } });
    const after = desired("basic", settings({ name: "Basic", throttle: { rateLimit: 7, burstLimit: 10 } }));
    const rec = {
      ...recordOf(desired("basic", before), "p1", [], 4),
      pending: pending({
        action: "update",
        resource: "plan",
        change_id: "update:basic",
        api_gateway_id: "p1",
        before,
        desired: after,
      }),
    };
    const ran = planRecovery(input([rec], [livePlan("p1", after.settings, [], "basic")])).recoveries[0]!;
    expect(ran.executed).toBe(true);
    expect(ran.record!.rate_limit).toBe(7);
    const notRan = planRecovery(input([rec], [livePlan("p1", before, [], "basic")])).recoveries[0]!;
    expect(notRan.executed).toBe(false);
    expect(notRan.record!.rate_limit).toBe(5);
  });

  it("an adopt: ran when the live plan carries the ownership tag (record from the file, the live id and keys); else its fresh record goes", () => {
    const stub = {
      ...recordOf(d, undefined, [], 1),
      pending: pending({
        action: "adopt",
        resource: "plan",
        change_id: "adopt:basic",
        api_gateway_id: "h1",
        desired: d,
        keys: ["k1"],
        fresh: true,
      }),
    };
    const ran = planRecovery(input([stub], [livePlan("h1", d.settings, ["k1"], "basic")])).recoveries[0]!;
    expect(ran.executed).toBe(true);
    expect(ran.record).toMatchObject({ api_gateway_id: "h1", keys: ["k1"], name: "Basic" });
    expect(ran.record!.pending).toBeUndefined();
    expect(ran.audit).toMatchObject({ change_id: "adopt:basic", action: "adopt-plan", api_gateway_id: "h1" });
    const notRan = planRecovery(input([stub], [livePlan("h1", d.settings, ["k1"])])).recoveries[0]!;
    expect(notRan.executed).toBe(false);
    expect(notRan.record).toBeUndefined();
    expect(notRan.audit).toBeUndefined();
  });
});
