// The apply lock: one item in the metadata table, taken with a conditional put that succeeds when
// no lock exists or the existing one expired (expiry is a timestamp compared in the condition; no TTL).

import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { LockHeldError, UserError } from "../errors.js";
import type { LockRecord } from "../model/record.js";
import { appendAudit } from "./audit.js";
import { attempt, conditionalWrite, type StoreContext } from "./client.js";
import { LOCK_ITEM_KEY } from "./records.js";
import type { LockRequest } from "./types.js";

export const LOCK_POLL_MS = 250;

function newLock(req: LockRequest, now: number): LockRecord {
  const lock: LockRecord = {
    plan_id: LOCK_ITEM_KEY,
    owner: req.owner,
    run_id: req.runId,
    acquired_at: new Date(now).toISOString(),
    expires_at: now + req.ttlSeconds * 1000,
  };
  if (req.reason !== undefined) lock.reason = req.reason;
  return lock;
}

async function tryAcquire(ctx: StoreContext, lock: LockRecord, now: number): Promise<boolean> {
  const table = ctx.tables.metadata;
  const put = new PutCommand({
    TableName: table,
    Item: lock,
    ConditionExpression: "attribute_not_exists(#pk) OR #exp < :now",
    ExpressionAttributeNames: { "#pk": "plan_id", "#exp": "expires_at" },
    ExpressionAttributeValues: { ":now": now },
  });
  return conditionalWrite(ctx, "PutItem", table, () => ctx.doc.send(put));
}

export async function getLock(ctx: StoreContext): Promise<LockRecord | undefined> {
  const table = ctx.tables.metadata;
  const out = await attempt(ctx, "GetItem", table, () =>
    ctx.doc.send(new GetCommand({ TableName: table, Key: { plan_id: LOCK_ITEM_KEY }, ConsistentRead: true })),
  );
  return out.Item as LockRecord | undefined;
}

export async function acquireLock(ctx: StoreContext, req: LockRequest): Promise<LockRecord> {
  const clock = req.now ?? Date.now;
  const deadline = Date.now() + (req.waitMs ?? 0);
  for (;;) {
    const now = clock();
    const lock = newLock(req, now);
    if (await tryAcquire(ctx, lock, now)) return lock;
    const holder = await getLock(ctx);
    if (!holder) continue; // released between our put and our read: try again at once
    const remaining = deadline - Date.now();
    if (remaining <= 0)
      throw new LockHeldError(holder.owner, holder.acquired_at, holder.expires_at, holder.reason);
    await sleep(Math.min(LOCK_POLL_MS, remaining));
  }
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
    Key: { plan_id: LOCK_ITEM_KEY },
    UpdateExpression: "SET expires_at = :exp",
    ConditionExpression: "run_id = :r",
    ExpressionAttributeValues: { ":r": runId, ":exp": now + ttlSeconds * 1000 },
  });
  const renewed = await conditionalWrite(ctx, "UpdateItem", table, () => ctx.doc.send(update));
  if (!renewed) {
    throw new UserError(
      "This run no longer holds the apply lock (it expired and another run took it, or `upg unlock` removed it).",
      {
        hint: "Stopped before the next change. Run `upg plan` to see the current state, then apply again.",
      },
    );
  }
}

export async function releaseLock(ctx: StoreContext, runId: string): Promise<void> {
  const table = ctx.tables.metadata;
  const del = new DeleteCommand({
    TableName: table,
    Key: { plan_id: LOCK_ITEM_KEY },
    ConditionExpression: "run_id = :r",
    ExpressionAttributeValues: { ":r": runId },
  });
  // A failed condition means the lock is gone or another run took it over after ours expired: leave it.
  await conditionalWrite(ctx, "DeleteItem", table, () => ctx.doc.send(del));
}

export async function forceUnlock(
  ctx: StoreContext,
  reason: string,
  by: string,
): Promise<LockRecord | undefined> {
  const table = ctx.tables.metadata;
  const out = await attempt(ctx, "DeleteItem", table, () =>
    ctx.doc.send(
      new DeleteCommand({ TableName: table, Key: { plan_id: LOCK_ITEM_KEY }, ReturnValues: "ALL_OLD" }),
    ),
  );
  const removed = out.Attributes as LockRecord | undefined;
  if (removed) {
    await appendAudit(ctx, {
      at: new Date().toISOString(),
      actor: by,
      run_id: randomUUID(),
      plan_id: LOCK_ITEM_KEY,
      action: "force_unlock",
      change_id: `force_unlock:${removed.run_id}`,
      outcome: "ok",
      before: removed,
      after: { reason },
    });
  }
  return removed;
}
