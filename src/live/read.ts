// readLive: everything upg needs from API Gateway in one pass. Lists are read in pages of 500; the
// per-plan key lists and per-API stage lists run with bounded concurrency through the pacer.

import {
  type ApiKey,
  GetApiKeysCommand,
  GetRestApisCommand,
  GetStagesCommand,
  GetTagsCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  type RestApi,
  type UsagePlan,
  type UsagePlanKey,
} from "@aws-sdk/client-api-gateway";
import type { PacingLimits } from "../model/spec.js";
import type { LiveApiKey, LivePlan, LiveRestApi, LiveState } from "../model/state.js";
import { call, callOrNotFound, collectPages, type GatewayContext, mapLimit, usagePlanArn } from "./client.js";
import { type LivePlanSettings, normaliseUsagePlan } from "./normalise.js";
import type { LiveReadScope } from "./types.js";

function sortStrings(values: Iterable<string>): string[] {
  return [...values].sort();
}

function listUsagePlans(ctx: GatewayContext): Promise<UsagePlan[]> {
  return collectPages((position) =>
    call(ctx, "GetUsagePlans", undefined, (c) =>
      c.send(new GetUsagePlansCommand({ limit: ctx.pageSize, position })),
    ),
  );
}

/**
 * [U] Whether GetUsagePlans list items carry tags is not known (an untagged plan's item had none). upg uses
 * list tags when any item has a `tags` member; when none has, the backend evidently leaves them out and each
 * plan's tags are read with GetTags (ownership must never be missed).
 */
export function listOmitsTags(plans: readonly { tags?: unknown }[]): boolean {
  return plans.length > 0 && plans.every((p) => p.tags === undefined);
}

async function withTags(ctx: GatewayContext, plan: UsagePlan): Promise<UsagePlan> {
  if (!plan.id) return plan;
  const resourceArn = usagePlanArn(ctx.target.region, plan.id);
  const out = await callOrNotFound(
    ctx,
    "GetTags",
    `usage plan ${plan.id}`,
    (c) => c.send(new GetTagsCommand({ resourceArn })),
    undefined,
  );
  return { ...plan, tags: out?.tags ?? {} };
}

async function listPlanKeys(ctx: GatewayContext, planId: string): Promise<string[]> {
  const keys = await collectPages<UsagePlanKey>((position) =>
    call(ctx, "GetUsagePlanKeys", `usage plan ${planId}`, (c) =>
      c.send(new GetUsagePlanKeysCommand({ usagePlanId: planId, limit: ctx.pageSize, position })),
    ),
  );
  return sortStrings(keys.flatMap((k) => (k.id ? [k.id] : [])));
}

/** Never `includeValues`: upg does not read or print key values. */
async function listApiKeys(ctx: GatewayContext): Promise<LiveApiKey[]> {
  const keys = await collectPages<ApiKey>((position) =>
    call(ctx, "GetApiKeys", undefined, (c) =>
      c.send(new GetApiKeysCommand({ limit: ctx.pageSize, position, includeValues: false })),
    ),
  );
  return keys.flatMap((k) =>
    k.id ? [{ id: k.id, ...(k.name ? { name: k.name } : {}), enabled: k.enabled === true }] : [],
  );
}

async function listRestApis(ctx: GatewayContext): Promise<LiveRestApi[]> {
  const apis = await collectPages<RestApi>((position) =>
    call(ctx, "GetRestApis", undefined, (c) =>
      c.send(new GetRestApisCommand({ limit: ctx.pageSize, position })),
    ),
  );
  return apis.flatMap((a) => (a.id ? [{ id: a.id, name: a.name ?? "" }] : []));
}

/** Stage keys of one REST API; an API that no longer exists has none. */
async function listStageKeys(ctx: GatewayContext, apiId: string): Promise<string[]> {
  const out = await callOrNotFound(
    ctx,
    "GetStages",
    `REST API ${apiId}`,
    (c) => c.send(new GetStagesCommand({ restApiId: apiId })),
    undefined,
  );
  return (out?.item ?? []).flatMap((s) => (s.stageName ? [`${apiId}:${s.stageName}`] : []));
}

/**
 * Managed plans (owned by tag, or referenced by a master record) get their key lists read; unmanaged plans
 * are reported with `keys: []` because upg never touches them.
 */
async function readPlans(
  ctx: GatewayContext,
  scope: LiveReadScope,
  concurrency: number,
): Promise<LivePlan[]> {
  const records = new Set(scope.recordIds);
  const listed = await listUsagePlans(ctx);
  const tagged = listOmitsTags(listed)
    ? await mapLimit(listed, concurrency, (p) => withTags(ctx, p))
    : listed;
  const plans = tagged.map((p) => normaliseUsagePlan(p, scope.ownershipTagKey));
  const isManaged = (p: LivePlanSettings) => p.ownerPlanId !== undefined || records.has(p.id);
  const keys = await mapLimit(plans, concurrency, async (p) => (isManaged(p) ? listPlanKeys(ctx, p.id) : []));
  return plans.map((p, i) => ({ ...p, keys: keys[i] ?? [] })).sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function readStages(
  ctx: GatewayContext,
  scope: LiveReadScope,
  restApis: LiveRestApi[],
  concurrency: number,
): Promise<string[]> {
  const names = new Set(scope.apiNames);
  const ids = new Set([...scope.apiIds, ...restApis.filter((a) => names.has(a.name)).map((a) => a.id)]);
  const stages = await mapLimit(sortStrings(ids), concurrency, (id) => listStageKeys(ctx, id));
  return sortStrings(new Set(stages.flat()));
}

export async function readLive(
  ctx: GatewayContext,
  scope: LiveReadScope,
  pacing: PacingLimits,
): Promise<LiveState> {
  const [plans, apiKeys, restApis] = await Promise.all([
    readPlans(ctx, scope, pacing.concurrency),
    listApiKeys(ctx),
    listRestApis(ctx),
  ]);
  const existingStages = await readStages(ctx, scope, restApis, pacing.concurrency);
  return {
    region: ctx.target.region,
    plans,
    apiKeys: apiKeys.sort((a, b) => (a.id < b.id ? -1 : 1)),
    restApis: restApis.sort((a, b) => (a.id < b.id ? -1 : 1)),
    existingStages,
  };
}
