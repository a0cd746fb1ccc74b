// Rolling forward a group of key changes journalled by one intent: any prefix of the group may have run and
// any prefix of its rows may be written; each change is recorded once.

import { describe, expect, it } from "vitest";
import { auditKey, pendingChanges, planRecovery } from "../../src/diff/recover.js";
import type { AuditRecord, PendingChange } from "../../src/model/record.js";
import { desired, livePlan, liveState, NOW, recordOf, settings } from "../helpers/builders.js";

const d = desired("basic", settings({ name: "Basic" }));
const attach = (k: string): PendingChange => ({
  run_id: "run-1",
  actor: "alice",
  started_at: NOW,
  action: "attach",
  resource: "key",
  change_id: `attach-key:basic:${k}`,
  api_gateway_id: "p1",
  key_id: k,
});

describe("planRecovery of a group", () => {
  const group = ["k1", "k2", "k3", "k4"].map(attach);
  const rec = { ...recordOf(d, "p1", [], 5), pending: { ...group[0]!, group } };

  it("every change of the group is looked up in the audit log", () => {
    expect(pendingChanges([rec]).map((p) => p.key_id)).toEqual(["k1", "k2", "k3", "k4"]);
  });

  it("k1 has its row, k2 ran without one, k3 and k4 did not run: one owed row, both ran keys recorded", () => {
    const row = { run_id: "run-1", change_id: "attach-key:basic:k1", outcome: "ok" } as AuditRecord;
    const out = planRecovery({
      records: [rec],
      live: liveState({ plans: [livePlan("p1", d.settings, ["k1", "k2"], "basic")] }),
      audited: new Map([[auditKey("run-1", "attach-key:basic:k1"), row]]),
      now: NOW,
      runId: "run-2",
      actor: "bob",
    });
    const r = out.recoveries[0]!;
    expect(r.executed).toBe(true);
    expect(r.expectedVersion).toBe(5);
    expect(r.audit).toBeUndefined();
    expect(r.audits?.map((a) => [a.change_id, a.recovered_by])).toEqual([["attach-key:basic:k2", "run-2"]]);
    // Observed keys (the plan file lists none): the two that did not attach are remembered as pending.
    expect(r.record?.keys).toEqual(["k1", "k2", "k3", "k4"]);
    expect(r.record?.pending_keys).toEqual(["k3", "k4"]);
    expect(r.record?.pending).toBeUndefined();
    expect(r.record?.version).toBe(5);
    expect(r.note).toContain("2 had run");
    expect(r.note).toContain("2 did not happen");
  });

  it("nothing ran: no row is owed and every key stays pending", () => {
    const out = planRecovery({
      records: [rec],
      live: liveState({ plans: [livePlan("p1", d.settings, [], "basic")] }),
      audited: new Map(),
      now: NOW,
      runId: "run-2",
      actor: "bob",
    });
    const r = out.recoveries[0]!;
    expect(r.executed).toBe(false);
    expect(r.audits).toBeUndefined();
    expect(r.record?.pending_keys).toEqual(["k1", "k2", "k3", "k4"]);
    expect(r.record?.pending).toBeUndefined();
  });
});
