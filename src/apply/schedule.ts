// How apply runs changes at once without breaking their order or the audit chain:
//
// - phaseLanes: the plan's changes cut where the phase of the order table (src/diff/order.ts) changes, and
//   each such run cut into lanes, one per plan, in plan order. A phase finishes before the next one starts
//   (a key leaves one plan before it joins another; a plan exists before keys join it); a lane runs its
//   changes one after another; lanes of one phase run side by side.
// - inPool: lanes with at most `limit` in flight. Every API call still takes a pacer token, and the pacer
//   keeps UpdateUsagePlan to one per interval, whatever runs at once.
// - AuditQueue: the audit rows of changes finishing at once go to the chain as one batch, one batch at a
//   time, each caller waiting until its own rows are written (the chain's head is never raced for).

import { phaseOf } from "../diff/order.js";
import type { Change } from "../model/plan.js";
import type { AuditEntry, Store } from "../store/index.js";

/** Indices into `changes`: consecutive runs of one phase, each split into lanes by plan_id (in order). */
export function phaseLanes(changes: readonly Change[]): number[][][] {
  const phases: number[][][] = [];
  let lanes = new Map<string, number[]>();
  let phase: number | undefined;
  changes.forEach((c, i) => {
    const p = phaseOf(c);
    if (p !== phase) {
      if (lanes.size > 0) phases.push([...lanes.values()]);
      lanes = new Map();
      phase = p;
    }
    const lane = lanes.get(c.planId);
    if (lane) lane.push(i);
    else lanes.set(c.planId, [i]);
  });
  if (lanes.size > 0) phases.push([...lanes.values()]);
  return phases;
}

/**
 * `work` on every item, at most `limit` at once, started in order. Waits for every item; the first error
 * (work is not expected to throw) is rethrown once all have settled.
 */
export async function inPool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>) {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        errors.push(err);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

interface Waiting {
  entries: readonly AuditEntry[];
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Audit appends of one run, one batch at a time: what arrives while a batch is being written goes into the
 * next one (group commit). A batch that fails fails every caller in it; rows it wrote before failing are
 * found by the next run, which writes only the missing ones.
 */
export class AuditQueue {
  private waiting: Waiting[] = [];
  private writing = false;
  /** Batches written (one appendAudit or appendAuditBatch call each). */
  batches = 0;

  constructor(private readonly store: Pick<Store, "appendAudit" | "appendAuditBatch">) {}

  append(entries: readonly AuditEntry[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ entries, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) {
        const batch = this.waiting;
        this.waiting = [];
        try {
          this.batches++;
          const entries = batch.flatMap((w) => w.entries);
          if (entries.length === 1) await this.store.appendAudit(entries[0]!);
          else await this.store.appendAuditBatch(entries);
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
