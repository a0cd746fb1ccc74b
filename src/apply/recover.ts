// Writes what src/diff/recover.ts worked out: under the apply lock, before the run plans, each change a
// stopped run left unfinished gets its audit row (when it ran and none was written) and then its record
// (pending cleared). Audit first: a stop between the two is found again, and the row is not written twice.

import type { RecoveryPlan } from "../diff/recover.js";
import type { MasterRecord } from "../model/record.js";
import type { Store } from "../store/index.js";

export async function writeRecovery(
  store: Store,
  recovery: RecoveryPlan,
  fence?: () => Promise<void>,
): Promise<MasterRecord[]> {
  const records = new Map(recovery.records.map((r) => [r.plan_id, r]));
  for (const r of recovery.recoveries) {
    await fence?.();
    if (r.audit) await store.appendAudit(r.audit);
    if (r.audits) await store.appendAuditBatch(r.audits);
    if (r.record) {
      records.set(r.planId, await store.putRecord(r.record, r.expectedVersion));
    } else {
      await store.deleteRecord(r.planId, r.expectedVersion);
      records.delete(r.planId);
    }
  }
  return [...records.values()].sort((a, b) => (a.plan_id < b.plan_id ? -1 : a.plan_id > b.plan_id ? 1 : 0));
}
