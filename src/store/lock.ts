// The apply lock: one item in the metadata table, taken with a conditional put that succeeds when
// no lock exists or the existing one expired (expiry is a timestamp compared in the condition; no TTL).

import { randomBytes, randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { LockHeldError, LockIdMismatchError, LockLostError } from "../errors.js";
import type { LockRecord } from "../model/record.js";
import { appendAudit } from "./audit.js";
import { attempt, conditionalWrite, type StoreContext } from "./client.js";
import type { AcquiredLock, LockRequest } from "./types.js";

export const LOCK_POLL_MS = 250;

/** The id `upg unlock` takes: lock_id, or for a lock written before lock ids existed, its run_id. */
export function lockIdOf(lock: Pick<LockRecord, "lock_id" | "run_id">): string {
  return lock.lock_id ?? lock.run_id;
}

function newLock(key: string, req: LockRequest, now: number): AcquiredLock {
  const lock: AcquiredLock = {
    plan_id: key,
    owner: req.owner,
    run_id: req.runId,
    lock_id: randomBytes(4).toString("hex"),
    acquired_at: new Date(now).toISOString(),
    expires_at: now + req.ttlSeconds * 1000,
  };
  if (req.reason !== undefined) lock.reason = req.reason;
  return lock;
}

/** false: held by someone else; otherwise the lock it replaced (an expired one), or null when there was none. */
async function tryAcquire(
  ctx: StoreContext,
  lock: LockRecord,
  now: number,
): Promise<LockRecord | null | false> {
  const table = ctx.tables.metadata;
  const put = new PutCommand({
    TableName: table,
    Item: lock,
    ConditionExpression: "attribute_not_exists(#pk) OR #exp < :now",
    ExpressionAttributeNames: { "#pk": "plan_id", "#exp": "expires_at" },
    ExpressionAttributeValues: { ":now": now },
    ReturnValues: "ALL_OLD",
  });
  let old: LockRecord | undefined;
  const ok = await conditionalWrite(ctx, "PutItem", table, async () => {
    old = (await ctx.doc.send(put)).Attributes as LockRecord | undefined;
  });
  if (!ok) return false;
  return old ?? null;
}

export async function getLock(ctx: StoreContext): Promise<LockRecord | undefined> {
  const table = ctx.tables.metadata;
  const out = await attempt(ctx, "GetItem", table, () =>
    ctx.doc.send(new GetCommand({ TableName: table, Key: { plan_id: ctx.lockKey }, ConsistentRead: true })),
  );
  return out.Item as LockRecord | undefined;
}

/** Record a takeover in the audit log; if that fails, give the lock back and fail (nothing unaudited). */
async function auditTakeover(ctx: StoreContext, lock: AcquiredLock, old: LockRecord): Promise<void> {
  try {
    await appendAudit(ctx, {
      at: lock.acquired_at,
      actor: lock.owner,
      run_id: lock.run_id,
      plan_id: ctx.lockKey,
      action: "lock_takeover",
      change_id: `lock_takeover:${lockIdOf(old)}`,
      outcome: "ok",
      before: old,
      after: lock,
    });
  } catch (err) {
    await releaseLock(ctx, lock.run_id).catch(() => undefined);
    throw err;
  }
}

export async function acquireLock(ctx: StoreContext, req: LockRequest): Promise<AcquiredLock> {
  const clock = req.now ?? Date.now;
  const deadline = Date.now() + (req.waitMs ?? 0);
  for (;;) {
    const now = clock();
    const lock = newLock(ctx.lockKey, req, now);
    const replaced = await tryAcquire(ctx, lock, now);
    if (replaced === null) return lock;
    if (replaced) {
      await auditTakeover(ctx, lock, replaced);
      return { ...lock, replaced };
    }
    const holder = await getLock(ctx);
    if (!holder) continue; // released between our put and our read: try again at once
    const remaining = deadline - Date.now();
    if (remaining <= 0)
      throw new LockHeldError(
        holder.owner,
        holder.acquired_at,
        holder.expires_at,
        holder.reason,
        lockIdOf(holder),
      );
    // Stopped while waiting (Ctrl-C): end the wait now, with the signal's reason.
    if (req.signal?.aborted) throw req.signal.reason;
    await sleep(Math.min(LOCK_POLL_MS, remaining), undefined, req.signal ? { signal: req.signal } : {}).catch(
      (err: unknown) => {
        throw req.signal?.aborted ? req.signal.reason : err;
      },
    );
  }
}

/** Why `runId` does not hold the lock (for LockLostError), read after a failed conditional write. */
async function lostReason(ctx: StoreContext, runId: string, now: number): Promise<string> {
  const lock = await getLock(ctx);
  if (!lock) return "the lock is gone (`upg unlock` removed it, or it expired and its next holder finished)";
  if (lock.run_id !== runId)
    return `it expired and ${lock.owner} took it over at ${lock.acquired_at} (lock id ${lockIdOf(lock)})`;
  if (lock.expires_at <= now) return `it expired at ${new Date(lock.expires_at).toISOString()}`;
  return "its condition did not hold";
}

/**
 * Push the expiry of our own lock forward (conditional on run_id). A long apply calls this before each
 * change, so the lock cannot lapse under it; when another run has taken it over, the caller must stop.
 */
export async function renewLock(
  ctx: StoreContext,
  runId: string,
  ttlSeconds: number,
  now = Date.now(),
): Promise<void> {
  const table = ctx.tables.metadata;
  const update = new UpdateCommand({
    TableName: table,
    Key: { plan_id: ctx.lockKey },
    UpdateExpression: "SET expires_at = :exp",
    ConditionExpression: "run_id = :r",
    ExpressionAttributeValues: { ":r": runId, ":exp": now + ttlSeconds * 1000 },
  });
  const renewed = await conditionalWrite(ctx, "UpdateItem", table, () => ctx.doc.send(update));
  if (!renewed) throw new LockLostError(runId, await lostReason(ctx, runId, now));
}

/**
 * Fencing: a conditional write on the lock item that succeeds only while `runId` holds it and it has not
 * expired, bumping its `fence` counter. Returns the new fence value; throws LockLostError otherwise.
 */
export async function checkLock(ctx: StoreContext, runId: string, now = Date.now()): Promise<number> {
  const table = ctx.tables.metadata;
  const update = new UpdateCommand({
    TableName: table,
    Key: { plan_id: ctx.lockKey },
    UpdateExpression: "SET #f = if_not_exists(#f, :zero) + :one",
    ConditionExpression: "#r = :r AND #exp > :now",
    ExpressionAttributeNames: { "#f": "fence", "#r": "run_id", "#exp": "expires_at" },
    ExpressionAttributeValues: { ":r": runId, ":now": now, ":zero": 0, ":one": 1 },
    ReturnValues: "UPDATED_NEW",
  });
  let fence = 0;
  const held = await conditionalWrite(ctx, "UpdateItem", table, async () => {
    fence = Number((await ctx.doc.send(update)).Attributes?.fence ?? 0);
  });
  if (!held) throw new LockLostError(runId, await lostReason(ctx, runId, now));
  return fence;
}

export async function releaseLock(ctx: StoreContext, runId: string): Promise<void> {
  const table = ctx.tables.metadata;
  const del = new DeleteCommand({
    TableName: table,
    Key: { plan_id: ctx.lockKey },
    ConditionExpression: "run_id = :r",
    ExpressionAttributeValues: { ":r": runId },
  });
  // A failed condition means the lock is gone or another run took it over after ours expired: leave it.
  await conditionalWrite(ctx, "DeleteItem", table, () => ctx.doc.send(del));
}

/**
 * Removes the lock (with lockId: only the lock with that id) and records it in the audit log. Returns the
 * removed lock, or undefined when there was none. A different lock throws LockIdMismatchError.
 */
export async function forceUnlock(
  ctx: StoreContext,
  reason: string,
  by: string,
  lockId?: string,
): Promise<LockRecord | undefined> {
  const table = ctx.tables.metadata;
  const condition =
    lockId === undefined
      ? {}
      : {
          ConditionExpression: "#l = :id OR (attribute_not_exists(#l) AND #r = :id)",
          ExpressionAttributeNames: { "#l": "lock_id", "#r": "run_id" },
          ExpressionAttributeValues: { ":id": lockId },
        };
  let removed: LockRecord | undefined;
  const ok = await conditionalWrite(ctx, "DeleteItem", table, async () => {
    const out = await ctx.doc.send(
      new DeleteCommand({
        TableName: table,
        Key: { plan_id: ctx.lockKey },
        ReturnValues: "ALL_OLD",
        ...condition,
      }),
    );
    removed = out.Attributes as LockRecord | undefined;
  });
  if (!ok) {
    const current = await getLock(ctx);
    if (!current) return undefined; // it went away meanwhile: nothing to release
    throw new LockIdMismatchError(lockId ?? "", {
      lockId: lockIdOf(current),
      owner: current.owner,
      acquiredAt: current.acquired_at,
    });
  }
  if (removed) {
    await appendAudit(ctx, {
      at: new Date().toISOString(),
      actor: by,
      run_id: randomUUID(),
      plan_id: ctx.lockKey,
      action: "force_unlock",
      change_id: `force_unlock:${removed.run_id}`,
      outcome: "ok",
      before: removed,
      after: { reason },
    });
  }
  return removed;
}
