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
import { errorMessage } from "../errors.js";
import type { PacingLimits } from "../model/spec.js";
import type { LiveApiKey, LivePlan, LiveReadGap, LiveRestApi, LiveState } from "../model/state.js";
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

/** In a partial read, a failed per-item read becomes a gap (and `fallback`); otherwise it fails the read. */
async function orGap<T>(
  gaps: LiveReadGap[] | undefined,
  gap: Omit<LiveReadGap, "reason">,
  work: () => Promise<T>,
  fallback: T,
): Promise<{ value: T; ok: boolean }> {
  try {
    return { value: await work(), ok: true };
  } catch (err) {
    if (!gaps) throw err;
    gaps.push({ ...gap, reason: errorMessage(err) });
    return { value: fallback, ok: false };
  }
}

/** A listed plan before its keys are read. */
type Listed = LivePlanSettings & { unread?: Array<"tags" | "keys"> };

/** Every usage plan (one call per 500), with tags; a plan whose tags could not be read is marked unread. */
async function listPlans(
  ctx: GatewayContext,
  scope: LiveReadScope,
  concurrency: number,
  gaps: LiveReadGap[] | undefined,
): Promise<Listed[]> {
  const listed = await listUsagePlans(ctx);
  const untaggedList = listOmitsTags(listed);
  const tagged = untaggedList
    ? await mapLimit(listed, concurrency, (p) =>
        orGap(gaps, { what: `GetTags usage plan ${p.id}`, planId: p.id ?? "" }, () => withTags(ctx, p), p),
      )
    : listed.map((p) => ({ value: p, ok: true }));
  return tagged.map((t) => ({
    ...normaliseUsagePlan(t.value, scope.ownershipTagKey),
    ...(t.ok ? {} : { unread: ["tags" as const] }),
  }));
}

/**
 * Which plans get their key lists read. Managed plans (owned by tag, or referenced by a master record)
 * do; unmanaged plans are reported with `keys: []` because upg never touches them. A targeted read narrows
 * this to the targeted plans and the plans sharing a stage with them.
 */
function keysWanted(
  plans: ReadonlyArray<Listed>,
  scope: LiveReadScope,
  restApis: readonly LiveRestApi[],
): (p: Listed) => boolean {
  const records = new Set(scope.recordIds);
  const named = new Set(scope.keysOfNames ?? []);
  const managed = (p: Listed) =>
    scope.allKeys === true ||
    p.ownerPlanId !== undefined ||
    records.has(p.id) ||
    p.unread !== undefined ||
    named.has(p.settings.name);
  const only = scope.only;
  if (!only) return managed;
  const planIds = new Set(only.planIds);
  const ids = new Set(only.ids);
  const targeted = (p: Listed) =>
    (p.ownerPlanId !== undefined && planIds.has(p.ownerPlanId)) ||
    ids.has(p.id) ||
    p.unread !== undefined ||
    named.has(p.settings.name);
  const apiIdsByName = new Map<string, string[]>();
  for (const a of restApis) apiIdsByName.set(a.name, [...(apiIdsByName.get(a.name) ?? []), a.id]);
  const stages = new Set<string>();
  for (const st of only.stages) {
    const apiIds = st.apiId ? [st.apiId] : (apiIdsByName.get(st.apiName ?? "") ?? []);
    for (const id of apiIds) stages.add(`${id}:${st.stage}`);
  }
  for (const p of plans)
    if (targeted(p)) for (const b of p.settings.stages) stages.add(`${b.apiId}:${b.stage}`);
  const sharesStage = (p: LivePlanSettings) =>
    p.settings.stages.some((b) => stages.has(`${b.apiId}:${b.stage}`));
  return (p) => managed(p) && (targeted(p) || sharesStage(p));
}

async function readPlanKeys(
  ctx: GatewayContext,
  plans: readonly Listed[],
  wanted: (p: Listed) => boolean,
  concurrency: number,
  gaps: LiveReadGap[] | undefined,
): Promise<LivePlan[]> {
  const keys = await mapLimit([...plans], concurrency, (p) =>
    wanted(p)
      ? orGap(
          gaps,
          { what: `GetUsagePlanKeys usage plan ${p.id}`, planId: p.id },
          () => listPlanKeys(ctx, p.id),
          [],
        )
      : Promise.resolve({ value: [] as string[], ok: true }),
  );
  return plans
    .map((p, i): LivePlan => {
      const k = keys[i]!;
      const unread = [...(p.unread ?? []), ...(k.ok ? [] : ["keys" as const])];
      return { ...p, keys: k.value, ...(unread.length > 0 ? { unread } : {}) };
    })
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

async function readStages(
  ctx: GatewayContext,
  scope: LiveReadScope,
  restApis: LiveRestApi[],
  concurrency: number,
  gaps: LiveReadGap[] | undefined,
): Promise<{ stages: string[]; unreadApis: string[] }> {
  const names = new Set(scope.apiNames);
  const ids = new Set([...scope.apiIds, ...restApis.filter((a) => names.has(a.name)).map((a) => a.id)]);
  const stages = await mapLimit(sortStrings(ids), concurrency, (id) =>
    orGap(gaps, { what: `GetStages REST API ${id}`, apiId: id }, () => listStageKeys(ctx, id), []),
  );
  const unreadApis = sortStrings(ids).filter((_, i) => !stages[i]!.ok);
  return { stages: sortStrings(new Set(stages.flatMap((s) => s.value))), unreadApis };
}

export async function readLive(
  ctx: GatewayContext,
  scope: LiveReadScope,
  pacing: PacingLimits,
): Promise<LiveState> {
  const gaps: LiveReadGap[] | undefined = scope.partial ? [] : undefined;
  const apisListed = scope.listApis === false ? Promise.resolve([]) : listRestApis(ctx);
  const [plans, apiKeys, restApis] = await Promise.all([
    listPlans(ctx, scope, pacing.concurrency, gaps).then(async (listed) =>
      // A full read starts on the keys at once; a targeted one first needs the REST API names of its stages.
      readPlanKeys(
        ctx,
        listed,
        keysWanted(listed, scope, scope.only ? await apisListed : []),
        pacing.concurrency,
        gaps,
      ),
    ),
    scope.listKeys === false ? Promise.resolve([]) : listApiKeys(ctx),
    apisListed,
  ]);
  const { stages, unreadApis } = await readStages(ctx, scope, restApis, pacing.concurrency, gaps);
  return {
    region: ctx.target.region,
    plans,
    apiKeys: apiKeys.sort((a, b) => (a.id < b.id ? -1 : 1)),
    restApis: restApis.sort((a, b) => (a.id < b.id ? -1 : 1)),
    existingStages: stages,
    ...(unreadApis.length > 0 ? { unreadApis } : {}),
    ...(gaps && gaps.length > 0 ? { gaps } : {}),
  };
}
