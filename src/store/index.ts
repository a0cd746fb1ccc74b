// upg's DynamoDB store: master records, the apply lock and the audit chain.
// This folder is the only place in upg that imports the DynamoDB SDK.

import { appendAudit, listAudit, verifyAudit } from "./audit.js";
import { createContext } from "./client.js";
import { acquireLock, forceUnlock, getLock, releaseLock, renewLock } from "./lock.js";
import { getRecord, listRecords, putRecord } from "./records.js";
import { checkTables, initTables } from "./tables.js";
import type { Store, StoreOptions } from "./types.js";

export { AUDIT_STREAM, auditHash, GENESIS_HASH } from "./audit.js";
export { canonicalJson } from "./canonical.js";
export { type DynamoErrorContext, describeDynamoError } from "./errors.js";
export { LOCK_ITEM_KEY } from "./records.js";
export type * from "./types.js";

export function createStore(opts: StoreOptions): Store {
  const ctx = createContext(opts);
  return {
    init: () => initTables(ctx),
    checkTables: () => checkTables(ctx),
    listRecords: () => listRecords(ctx),
    getRecord: (planId) => getRecord(ctx, planId),
    putRecord: (record, expectedVersion) => putRecord(ctx, record, expectedVersion),
    appendAudit: (entry) => appendAudit(ctx, entry),
    listAudit: (opts) => listAudit(ctx, opts),
    verifyAudit: () => verifyAudit(ctx),
    acquireLock: (req) => acquireLock(ctx, req),
    releaseLock: (runId) => releaseLock(ctx, runId),
    renewLock: (runId, ttlSeconds) => renewLock(ctx, runId, ttlSeconds),
    getLock: () => getLock(ctx),
    forceUnlock: (reason, by) => forceUnlock(ctx, reason, by),
    destroy: () => ctx.client.destroy(),
  };
}
