// upg's DynamoDB store: master records, the apply lock and the audit chain.
// This folder is the only place in upg that imports the DynamoDB SDK.

import {
  appendAudit,
  appendAuditBatch,
  auditHead,
  findAudit,
  listAudit,
  repairAuditHead,
  verifyAudit,
} from "./audit.js";
import { createContext } from "./client.js";
import { acquireLock, checkLock, forceUnlock, getLock, releaseLock, renewLock } from "./lock.js";
import { deleteRecord, getRecord, listRecords, putRecord } from "./records.js";
import { deleteRotation, listRotations, putRotation } from "./rotations.js";
import { checkTables, initTables } from "./tables.js";
import type { Store, StoreOptions } from "./types.js";
import { listOpenViolations, saveViolationState } from "./violations.js";

export { AUDIT_STREAM, auditHash, GENESIS_HASH, HEAD_STREAM, verifyChain } from "./audit.js";
export { canonicalJson } from "./canonical.js";
export { type DynamoErrorContext, describeDynamoError } from "./errors.js";
export { lockIdOf } from "./lock.js";
export { LOCK_ITEM_KEY, lockItemKey } from "./records.js";
export type * from "./types.js";
export { VIOLATION_KEY_PREFIX } from "./violations.js";

export function createStore(opts: StoreOptions): Store {
  const ctx = createContext(opts);
  return {
    init: () => initTables(ctx),
    checkTables: () => checkTables(ctx),
    listRecords: () => listRecords(ctx),
    getRecord: (planId) => getRecord(ctx, planId),
    putRecord: (record, expectedVersion) => putRecord(ctx, record, expectedVersion),
    deleteRecord: (planId, expectedVersion) => deleteRecord(ctx, planId, expectedVersion),
    appendAudit: (entry) => appendAudit(ctx, entry),
    appendAuditBatch: (entries) => appendAuditBatch(ctx, entries),
    listAudit: (opts) => listAudit(ctx, opts),
    verifyAudit: () => verifyAudit(ctx),
    auditHead: () => auditHead(ctx),
    repairAuditHead: () => repairAuditHead(ctx),
    findAudit: (runId, changeId, opts) => findAudit(ctx, runId, changeId, opts),
    acquireLock: (req) => acquireLock(ctx, req),
    releaseLock: (runId) => releaseLock(ctx, runId),
    renewLock: (runId, ttlSeconds) => renewLock(ctx, runId, ttlSeconds),
    checkLock: (runId) => checkLock(ctx, runId),
    getLock: () => getLock(ctx),
    forceUnlock: (reason, by, lockId) => forceUnlock(ctx, reason, by, lockId),
    listOpenViolations: () => listOpenViolations(ctx),
    saveViolationState: (updates) => saveViolationState(ctx, updates),
    listRotations: () => listRotations(ctx),
    putRotation: (r) => putRotation(ctx, r),
    deleteRotation: (oldKeyId) => deleteRotation(ctx, oldKeyId),
    destroy: () => ctx.client.destroy(),
  };
}
