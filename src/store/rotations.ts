// Key rotations in progress: one item per rotated (old) API key in the metadata table, under the reserved key
// prefix `__upg_rotation__#` (listRecords skips every `__upg_` key). Written when `upg keys rotate` created
// the successor key; removed by `upg keys rotate --finish` once the old key is deleted.

import { DeleteCommand, PutCommand, paginateScan } from "@aws-sdk/lib-dynamodb";
import { attempt, conditionalWrite, type StoreContext } from "./client.js";
import type { RotationRecord } from "./types.js";

export const ROTATION_KEY_PREFIX = "__upg_rotation__#";

function parseRotation(item: Record<string, unknown>): RotationRecord | undefined {
  const { old_key_id, new_key_id, plans, started_at, overlap_ends_at, actor } = item;
  if (typeof old_key_id !== "string" || typeof new_key_id !== "string") return undefined;
  if (typeof started_at !== "string" || typeof overlap_ends_at !== "string") return undefined;
  return {
    old_key_id,
    new_key_id,
    ...(typeof item.old_key_name === "string" ? { old_key_name: item.old_key_name } : {}),
    ...(typeof item.new_key_name === "string" ? { new_key_name: item.new_key_name } : {}),
    plans: Array.isArray(plans) ? (plans as RotationRecord["plans"]) : [],
    started_at,
    overlap_ends_at,
    actor: typeof actor === "string" ? actor : "",
  };
}

export async function listRotations(ctx: StoreContext): Promise<RotationRecord[]> {
  const table = ctx.tables.metadata;
  const out: RotationRecord[] = [];
  await attempt(ctx, "Scan", table, async () => {
    const pages = paginateScan(
      { client: ctx.doc },
      {
        TableName: table,
        ConsistentRead: true,
        FilterExpression: "begins_with(plan_id, :prefix)",
        ExpressionAttributeValues: { ":prefix": ROTATION_KEY_PREFIX },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const r = parseRotation(item);
        if (r) out.push(r);
      }
    }
  });
  return out.sort((a, b) => (a.started_at < b.started_at ? -1 : a.started_at > b.started_at ? 1 : 0));
}

/** Conditional: false when a rotation of the same old key is already recorded. */
export function putRotation(ctx: StoreContext, r: RotationRecord): Promise<boolean> {
  const table = ctx.tables.metadata;
  return conditionalWrite(ctx, "PutItem", table, () =>
    ctx.doc.send(
      new PutCommand({
        TableName: table,
        Item: { plan_id: `${ROTATION_KEY_PREFIX}${r.old_key_id}`, ...r },
        ConditionExpression: "attribute_not_exists(plan_id)",
      }),
    ),
  );
}

export async function deleteRotation(ctx: StoreContext, oldKeyId: string): Promise<void> {
  const table = ctx.tables.metadata;
  await attempt(ctx, "DeleteItem", table, () =>
    ctx.doc.send(
      new DeleteCommand({ TableName: table, Key: { plan_id: `${ROTATION_KEY_PREFIX}${oldKeyId}` } }),
    ),
  );
}
