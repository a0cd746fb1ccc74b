// The LiveGateway over the real SDK: one API Gateway client, one pacer, call counters.

import type { AwsTarget } from "../aws/client-config.js";
import type { PacingLimits } from "../model/spec.js";
import { createContext } from "./client.js";
import { resolveCallerIdentity } from "./identity.js";
import {
  createApiKey,
  deleteApiKey,
  getUsage,
  importApiKeys,
  listApiKeyInfo,
  setApiKeyEnabled,
  setRemaining,
} from "./keys.js";
import type { PacerWait } from "./pacer.js";
import { readLive } from "./read.js";
import type { LiveGateway } from "./types.js";
import { attachKey, createPlan, deletePlan, detachKey, tagPlan, untagPlan, updatePlan } from "./write.js";

export interface LiveGatewayOptions {
  target: AwsTarget;
  pacing: PacingLimits;
  /** `limit` of paginated list calls (default and maximum 500); tests use small pages. */
  pageSize?: number;
  /** Told about every long pacing wait (progress output). */
  onWait?: (wait: PacerWait) => void;
  /** Aborted: calls still waiting for their turn are not sent (CallNotSent). */
  signal?: AbortSignal;
}

export function createLiveGateway(opts: LiveGatewayOptions): LiveGateway {
  const ctx = createContext(opts.target, opts.pacing, opts.pageSize, {
    ...(opts.onWait ? { onWait: opts.onWait } : {}),
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  let identity: Promise<string> | undefined;
  return {
    readLive: (scope) => readLive(ctx, scope, opts.pacing),
    createPlan: (settings, tags) => createPlan(ctx, settings, tags),
    updatePlan: (id, ops) => updatePlan(ctx, id, ops),
    deletePlan: (id, stageKeys) => deletePlan(ctx, id, stageKeys),
    attachKey: (planId, keyId) => attachKey(ctx, planId, keyId),
    detachKey: (planId, keyId) => detachKey(ctx, planId, keyId),
    tagPlan: (id, tags) => tagPlan(ctx, id, tags),
    untagPlan: (id, keys) => untagPlan(ctx, id, keys),
    listApiKeys: () => listApiKeyInfo(ctx),
    createApiKey: (req) => createApiKey(ctx, req),
    setApiKeyEnabled: (id, enabled) => setApiKeyEnabled(ctx, id, enabled),
    deleteApiKey: (id) => deleteApiKey(ctx, id),
    importApiKeys: (csv) => importApiKeys(ctx, csv),
    getUsage: (planId, from, to, keyId) => getUsage(ctx, planId, from, to, keyId),
    setRemaining: (planId, keyId, remaining) => setRemaining(ctx, planId, keyId, remaining),
    callerIdentity: () => {
      identity ??= resolveCallerIdentity(opts.target);
      return identity;
    },
    callCounts: () => Object.fromEntries([...ctx.counts].sort(([a], [b]) => (a < b ? -1 : 1))),
    destroy: () => ctx.client.destroy(),
  };
}
