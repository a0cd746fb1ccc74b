// Master records in the metadata table: consistent reads, version-conditional writes.

import { DeleteCommand, GetCommand, PutCommand, paginateScan } from "@aws-sdk/lib-dynamodb";
import { StaleRecordError } from "../errors.js";
import type { MasterRecord } from "../model/record.js";
import { attempt, conditionalWrite, type StoreContext } from "./client.js";

export { LOCK_ITEM_KEY, lockItemKey } from "./client.js";

/** Every key upg keeps for itself in the metadata table (the lock, open-violation state) starts with this. */
export const RESERVED_KEY_PREFIX = "__upg_";

function byPlanId(a: MasterRecord, b: MasterRecord): number {
  if (a.plan_id === b.plan_id) return 0;
  return a.plan_id < b.plan_id ? -1 : 1;
}

/**
 * Items written by other tools (the original system's schema) may lack upg's fields: fill them so the
 * planner never meets an undefined list, and treat a missing version as 0.
 */
export function normaliseRecord(item: Record<string, unknown>): MasterRecord {
  const r = item as unknown as MasterRecord;
  return {
    ...r,
    name: typeof r.name === "string" ? r.name : r.plan_id,
    lifecycle_state: r.lifecycle_state ?? "Active",
    stages: Array.isArray(r.stages) ? r.stages : [],
    keys: Array.isArray(r.keys) ? r.keys : [],
    keys_declared: r.keys_declared === true,
    lineage: Array.isArray(r.lineage) ? r.lineage : [],
    version: typeof r.version === "number" ? r.version : 0,
  };
}

export async function listRecords(ctx: StoreContext): Promise<MasterRecord[]> {
  const table = ctx.tables.metadata;
  const records: MasterRecord[] = [];
  await attempt(ctx, "Scan", table, async () => {
    for await (const page of paginateScan({ client: ctx.doc }, { TableName: table, ConsistentRead: true })) {
      for (const item of page.Items ?? []) {
        if (!String(item.plan_id).startsWith(RESERVED_KEY_PREFIX)) records.push(normaliseRecord(item));
      }
    }
  });
  return records.sort(byPlanId);
}

export async function getRecord(ctx: StoreContext, planId: string): Promise<MasterRecord | undefined> {
  if (planId.startsWith(RESERVED_KEY_PREFIX)) return undefined;
  const table = ctx.tables.metadata;
  const out = await attempt(ctx, "GetItem", table, () =>
    ctx.doc.send(new GetCommand({ TableName: table, Key: { plan_id: planId }, ConsistentRead: true })),
  );
  return out.Item ? normaliseRecord(out.Item) : undefined;
}

function versionCondition(expectedVersion: number) {
  if (expectedVersion === 0) {
    // New, or an item another tool wrote without a version.
    return {
      ConditionExpression: "attribute_not_exists(plan_id) OR attribute_not_exists(#v)",
      ExpressionAttributeNames: { "#v": "version" },
    };
  }
  return {
    ConditionExpression: "#v = :expected",
    ExpressionAttributeNames: { "#v": "version" },
    ExpressionAttributeValues: { ":expected": expectedVersion },
  };
}

export async function putRecord(
  ctx: StoreContext,
  record: MasterRecord,
  expectedVersion: number,
): Promise<MasterRecord> {
  if (record.plan_id.startsWith(RESERVED_KEY_PREFIX))
    throw new Error(
      `${record.plan_id} is reserved (keys starting ${RESERVED_KEY_PREFIX} are upg's own items)`,
    );
  if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) {
    throw new Error(`expectedVersion must be a non-negative integer, got ${expectedVersion}`);
  }
  const table = ctx.tables.metadata;
  const stored: MasterRecord = { ...record, version: expectedVersion + 1 };
  const written = await conditionalWrite(ctx, "PutItem", table, () =>
    ctx.doc.send(new PutCommand({ TableName: table, Item: stored, ...versionCondition(expectedVersion) })),
  );
  if (!written) throw new StaleRecordError(record.plan_id, expectedVersion);
  return stored;
}

/** Conditional delete (on version): only for a record an apply journal created and nothing else used. */
export async function deleteRecord(
  ctx: StoreContext,
  planId: string,
  expectedVersion: number,
): Promise<void> {
  if (planId.startsWith(RESERVED_KEY_PREFIX))
    throw new Error(`${planId} is reserved (keys starting ${RESERVED_KEY_PREFIX} are upg's own items)`);
  const table = ctx.tables.metadata;
  const deleted = await conditionalWrite(ctx, "DeleteItem", table, () =>
    ctx.doc.send(
      new DeleteCommand({
        TableName: table,
        Key: { plan_id: planId },
        ConditionExpression: "#v = :expected",
        ExpressionAttributeNames: { "#v": "version" },
        ExpressionAttributeValues: { ":expected": expectedVersion },
      }),
    ),
  );
  if (!deleted) throw new StaleRecordError(planId, expectedVersion);
}
