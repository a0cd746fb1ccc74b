// Open-violation state for drift alerts: one item per violation identity in the metadata table, under the
// reserved key prefix `__upg_violation__#` (plan_ids are [a-z0-9-], so no plan can collide; listRecords skips
// every `__upg_` key). The metadata table rather than the audit table: the audit table is keyed by a numeric
// seq and its rows are append-only, while this state is one small mutable item per identity, read in one
// filtered Scan of a table that holds only plans anyway.

import { paginateScan, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { attempt, conditionalWrite, type StoreContext } from "./client.js";
import type { ViolationStateRecord, ViolationStateSaveResult, ViolationStateWrite } from "./types.js";

export const VIOLATION_KEY_PREFIX = "__upg_violation__#";

function itemKey(key: string): { plan_id: string } {
  return { plan_id: `${VIOLATION_KEY_PREFIX}${key}` };
}

function parseState(item: Record<string, unknown>): ViolationStateRecord | undefined {
  const { key, violation, first_seen, last_seen, last_alerted, resolved_at, version } = item;
  if (typeof key !== "string" || typeof violation !== "object" || violation === null) return undefined;
  if (typeof first_seen !== "string" || typeof last_seen !== "string") return undefined;
  return {
    key,
    violation: violation as ViolationStateRecord["violation"],
    first_seen,
    last_seen,
    ...(typeof last_alerted === "string" ? { last_alerted } : {}),
    ...(typeof resolved_at === "string" ? { resolved_at } : {}),
    version: typeof version === "number" ? version : 0,
  };
}

export async function listOpenViolations(ctx: StoreContext): Promise<ViolationStateRecord[]> {
  const table = ctx.tables.metadata;
  const out: ViolationStateRecord[] = [];
  await attempt(ctx, "Scan", table, async () => {
    const pages = paginateScan(
      { client: ctx.doc },
      {
        TableName: table,
        ConsistentRead: true,
        FilterExpression: "begins_with(plan_id, :prefix) AND attribute_not_exists(resolved_at)",
        ExpressionAttributeValues: { ":prefix": VIOLATION_KEY_PREFIX },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        const state = parseState(item);
        if (state) out.push(state);
      }
    }
  });
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** The UpdateItem of one write: every field set (or removed when absent), the version moved by one. */
function updateOf(table: string, w: ViolationStateWrite) {
  const names: Record<string, string> = { "#v": "version", "#r": "resolved_at" };
  const values: Record<string, unknown> = { ":one": 1 };
  const sets: string[] = [];
  const removes: string[] = [];
  const fields: Record<string, unknown> = {
    key: w.state.key,
    violation: w.state.violation,
    first_seen: w.state.first_seen,
    last_seen: w.state.last_seen,
    last_alerted: w.state.last_alerted,
    resolved_at: w.state.resolved_at,
  };
  Object.entries(fields).forEach(([field, value], i) => {
    const name = field === "resolved_at" ? "#r" : `#f${i}`;
    names[name] = field;
    if (value === undefined) removes.push(name);
    else {
      values[`:f${i}`] = value;
      sets.push(`${name} = :f${i}`);
    }
  });
  let condition: string;
  if (w.action === "open") {
    condition = "attribute_not_exists(plan_id) OR attribute_exists(#r)";
    values[":zero"] = 0;
    sets.push("#v = if_not_exists(#v, :zero) + :one");
  } else {
    condition = "#v = :expected AND attribute_not_exists(#r)";
    values[":expected"] = w.expected_version;
    sets.push("#v = #v + :one");
  }
  return new UpdateCommand({
    TableName: table,
    Key: itemKey(w.state.key),
    UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
    ConditionExpression: condition,
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
  });
}

export async function saveViolationState(
  ctx: StoreContext,
  updates: readonly ViolationStateWrite[],
): Promise<ViolationStateSaveResult> {
  const table = ctx.tables.metadata;
  const result: ViolationStateSaveResult = { written: [], conflicts: [] };
  for (const w of updates) {
    const ok = await conditionalWrite(ctx, "UpdateItem", table, () => ctx.doc.send(updateOf(table, w)));
    (ok ? result.written : result.conflicts).push(w.state.key);
  }
  return result;
}
