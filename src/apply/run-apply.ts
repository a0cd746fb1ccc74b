// One run flow for everything that writes: lock → complete an interrupted audit append → read and plan →
// finish what a stopped run left (its journal) → plan again → approve → run the changes → release.
// The CLI supplies approval and printing through hooks; tests drive the same flow in-process.

import { interruptible } from "../abort.js";
import type { Recovery } from "../diff/recover.js";
import type { ApplyResult, Plan } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import type { AcquiredLock, AuditHeadRepair } from "../store/index.js";
import type { RunEvent } from "./apply-plan.js";
import { applyPlan } from "./apply-plan.js";
import { Lease } from "./lease.js";
import { type CoreDeps, makePlan, type PlanRequest, planFrom, type Snapshot } from "./make-plan.js";
import { writeRecovery } from "./recover.js";

export interface RunApplyDeps extends CoreDeps {
  runId: string;
  actor: string;
  ownershipTagKey: string;
  lockTtlSeconds: number;
  lockWaitMs: number;
  /** Written on every audit row, e.g. `auto-fix`. */
  trigger?: string;
  /**
   * How many plans' changes run at once within a phase of the order table (`apply.concurrency` in
   * upg.config.yaml; the CLI always passes it). Unset: 1, one change at a time.
   */
  concurrency?: number;
}

export interface RunApplyHooks {
  onLock?(lock: AcquiredLock): void;
  onAuditRepair?(repair: AuditHeadRepair): void | Promise<void>;
  /** Reading can take a while: wrap it (spinner) and make it interruptible. */
  read?(work: () => Promise<Snapshot>): Promise<Snapshot>;
  onRecovered?(recoveries: readonly Recovery[]): void;
  /** The plan to run (a saved plan is checked here against `current`); false cancels. */
  approve(current: Plan, records: readonly MasterRecord[]): Promise<{ plan: Plan } | false>;
  onEvent?(event: RunEvent): void;
  signal?: AbortSignal;
}

export type RunApplyOutcome =
  | { kind: "cancelled"; plan: Plan }
  | { kind: "empty"; plan: Plan }
  | { kind: "applied"; plan: Plan; result: ApplyResult; records: readonly MasterRecord[] };

/**
 * Runs the whole flow under the apply lock, which is released however it ends (except when the process
 * dies: then the lock expires, and the journal lets the next run finish the work).
 */
export async function runApply(
  req: PlanRequest,
  deps: RunApplyDeps,
  hooks: RunApplyHooks,
): Promise<RunApplyOutcome> {
  await deps.store.checkTables();
  const acquiring = deps.store.acquireLock({
    owner: deps.actor,
    runId: deps.runId,
    ttlSeconds: deps.lockTtlSeconds,
    reason: "upg apply",
    waitMs: deps.lockWaitMs,
    ...(hooks.signal ? { signal: hooks.signal } : {}),
  });
  // Waiting for another run's lock (--lock-timeout) ends at a signal; a lock taken just after is given back.
  const lock = hooks.signal
    ? await interruptible(
        acquiring,
        hooks.signal,
        () => void deps.store.releaseLock(deps.runId).catch(() => {}),
      )
    : await acquiring;
  // Fencing: the lock is a lease renewed in the background (src/apply/lease.ts); every write first checks that
  // the lease is still safely valid, renewing it synchronously when it is not, and stops once it is lost.
  const lease = new Lease({
    store: deps.store,
    runId: deps.runId,
    ttlSeconds: deps.lockTtlSeconds,
    since: Date.parse(lock.acquired_at),
  }).start();
  try {
    hooks.onLock?.(lock);
    const fence = () => lease.fence();
    await hooks.onAuditRepair?.(await deps.store.repairAuditHead());
    const read = () => makePlan(req, { ...deps });
    const snap = await (hooks.read ? hooks.read(read) : read());
    let records: MasterRecord[] = snap.records;
    let current = snap.plan;
    if (snap.recovery.recoveries.length > 0) {
      hooks.onRecovered?.(snap.recovery.recoveries);
      records = await writeRecovery(deps.store, snap.recovery, fence);
      current = planFrom(req, snap, records, deps.clock().toISOString());
    }
    const approved = await hooks.approve(current, records);
    if (!approved) return { kind: "cancelled", plan: current };
    const plan = approved.plan;
    if (plan.changes.length === 0) return { kind: "empty", plan };
    const result = await applyPlan(plan, records, {
      live: deps.live,
      store: deps.store,
      clock: deps.clock,
      actor: deps.actor,
      runId: deps.runId,
      ownershipTagKey: deps.ownershipTagKey,
      fence,
      ...(deps.trigger ? { trigger: deps.trigger } : {}),
      concurrency: deps.concurrency ?? 1,
      ...(hooks.signal ? { signal: hooks.signal } : {}),
      ...(hooks.onEvent ? { onEvent: (e: RunEvent) => hooks.onEvent!(e) } : {}),
    });
    return { kind: "applied", plan, result, records };
  } finally {
    await lease.stop();
    await deps.store.releaseLock(deps.runId);
  }
}
