// The DynamoDB clients of one store and the wrappers every call goes through, so that SDK errors
// always leave this folder as UserErrors (or as a plain "condition failed" answer).

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { limitTimeoutRetries, sdkClientConfig, timeoutsOf } from "../aws/client-config.js";
import { serviceEndpoint } from "../aws/errors.js";
import { type DynamoErrorContext, describeDynamoError, dynamoErrorName } from "./errors.js";
import type { StoreOptions, TableNames } from "./types.js";

/** The reserved plan_id of the apply lock item; never a valid plan_id (those are [a-z0-9-]). */
export const LOCK_ITEM_KEY = "__upg_lock__";

/** The lock item of a project's runs: `__upg_lock__#PROJECT`; without a project, `__upg_lock__`. */
export function lockItemKey(project?: string): string {
  return project === undefined ? LOCK_ITEM_KEY : `${LOCK_ITEM_KEY}#${project}`;
}

export interface StoreContext {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  tables: TableNames;
  /** The key of this run's apply lock item (one per project). */
  lockKey: string;
  where: Omit<DynamoErrorContext, "action" | "table">;
  /**
   * The audit chain head this store last wrote (seq and hash): the next append starts from it instead of
   * reading the head again. Only a hint: every append is conditional, and a stale hint is read afresh.
   */
  auditHead?: { seq: number; hash: string };
  /**
   * The append in progress through this store, if any: appends through one store run one after another, so
   * that concurrent callers (apply runs changes of different plans at once) never race on `auditHead`.
   */
  auditTail?: Promise<unknown>;
}

/** The clients of one store: connect and request timeouts that fail the call, as for API Gateway. */
export function createContext(opts: StoreOptions): StoreContext {
  const client = limitTimeoutRetries(new DynamoDBClient(sdkClientConfig(opts.target)));
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  const where: StoreContext["where"] = {
    endpoint: serviceEndpoint("DynamoDB", opts.target),
    region: opts.target.region,
    timeouts: timeoutsOf(opts.target),
  };
  if (opts.target.profile) where.profile = opts.target.profile;
  return { client, doc, tables: opts.tables, lockKey: lockItemKey(opts.project), where };
}

export function errorContext(ctx: StoreContext, action: string, table?: string): DynamoErrorContext {
  return table === undefined ? { ...ctx.where, action } : { ...ctx.where, action, table };
}

/** Runs one DynamoDB call; any failure becomes a UserError naming the action and table. */
export async function attempt<T>(
  ctx: StoreContext,
  action: string,
  table: string,
  fn: () => Promise<T>,
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw describeDynamoError(err, errorContext(ctx, action, table));
  }
}

export function isConditionFailure(err: unknown): boolean {
  return dynamoErrorName(err) === "ConditionalCheckFailedException";
}

/** Runs a conditional write: true when written, false when its condition did not hold. */
export async function conditionalWrite(
  ctx: StoreContext,
  action: string,
  table: string,
  fn: () => Promise<unknown>,
): Promise<boolean> {
  try {
    await fn();
    return true;
  } catch (err) {
    if (isConditionFailure(err)) return false;
    throw describeDynamoError(err, errorContext(ctx, action, table));
  }
}
