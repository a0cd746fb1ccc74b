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
import type { LiveReadScope, TargetedPlanKeys } from "./types.js";

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

/** A key attached to a plan as GetUsagePlanKeys lists it: its id and name (its value is never kept). */
interface AttachedKey {
  id: string;
  name?: string;
}

async function listPlanKeys(ctx: GatewayContext, planId: string): Promise<AttachedKey[]> {
  const keys = await collectPages<UsagePlanKey>((position) =>
    call(ctx, "GetUsagePlanKeys", `usage plan ${planId}`, (c) =>
      c.send(new GetUsagePlanKeysCommand({ usagePlanId: planId, limit: ctx.pageSize, position })),
    ),
  );
  return keys
    .flatMap((k) => (k.id ? [{ id: k.id, ...(k.name ? { name: k.name } : {}) }] : []))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
}

function liveKey(k: ApiKey): LiveApiKey[] {
  return k.id ? [{ id: k.id, ...(k.name ? { name: k.name } : {}), enabled: k.enabled === true }] : [];
}

/** Never `includeValues`: upg does not read or print key values. */
async function listApiKeys(ctx: GatewayContext): Promise<LiveApiKey[]> {
  const keys = await collectPages<ApiKey>((position) =>
    call(ctx, "GetApiKeys", undefined, (c) =>
      c.send(new GetApiKeysCommand({ limit: ctx.pageSize, position, includeValues: false })),
    ),
  );
  return keys.flatMap(liveKey);
}

/** The API keys named exactly `name` (GetApiKeys `name` is a case-sensitive prefix match). */
async function apiKeysNamed(ctx: GatewayContext, name: string): Promise<LiveApiKey[]> {
  const keys = await collectPages<ApiKey>((position) =>
    call(ctx, "GetApiKeys", `API key "${name}"`, (c) =>
      c.send(new GetApiKeysCommand({ nameQuery: name, limit: ctx.pageSize, position, includeValues: false })),
    ),
  );
  return keys.filter((k) => k.name === name).flatMap(liveKey);
}

/** The ids of the usage plans that hold an API key (GetUsagePlans `keyId`). */
async function plansHoldingKey(ctx: GatewayContext, keyId: string): Promise<string[]> {
  const plans = await collectPages<UsagePlan>((position) =>
    call(ctx, "GetUsagePlans", `API key ${keyId}`, (c) =>
      c.send(new GetUsagePlansCommand({ keyId, limit: ctx.pageSize, position })),
    ),
  );
  return plans.flatMap((p) => (p.id ? [p.id] : []));
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
 * this to the targeted plans; a plan sharing a stage with them is not read whole (see `TargetedRead.keys`).
 */
function keysWanted(scope: LiveReadScope): {
  managed: (p: Listed) => boolean;
  targeted: (p: Listed) => boolean;
  wanted: (p: Listed) => boolean;
} {
  const records = new Set(scope.recordIds);
  const named = new Set(scope.keysOfNames ?? []);
  const managed = (p: Listed) =>
    scope.allKeys === true ||
    p.ownerPlanId !== undefined ||
    records.has(p.id) ||
    p.unread !== undefined ||
    named.has(p.settings.name);
  const only = scope.only;
  if (!only) return { managed, targeted: managed, wanted: managed };
  const planIds = new Set(only.planIds);
  const ids = new Set(only.ids);
  const targeted = (p: Listed) =>
    (p.ownerPlanId !== undefined && planIds.has(p.ownerPlanId)) ||
    ids.has(p.id) ||
    p.unread !== undefined ||
    named.has(p.settings.name);
  return { managed, targeted, wanted: (p) => managed(p) && targeted(p) };
}

async function readPlanKeys(
  ctx: GatewayContext,
  plans: readonly Listed[],
  wanted: (p: Listed) => boolean,
  concurrency: number,
  gaps: LiveReadGap[] | undefined,
): Promise<{ plans: LivePlan[]; attached: AttachedKey[] }> {
  const keys = await mapLimit([...plans], concurrency, (p) =>
    wanted(p)
      ? orGap(
          gaps,
          { what: `GetUsagePlanKeys usage plan ${p.id}`, planId: p.id },
          () => listPlanKeys(ctx, p.id),
          [],
        )
      : Promise.resolve({ value: [] as AttachedKey[], ok: true }),
  );
  const live = plans
    .map((p, i): LivePlan => {
      const k = keys[i]!;
      const unread = [...(p.unread ?? []), ...(k.ok ? [] : ["keys" as const])];
      return { ...p, keys: sortStrings(k.value.map((a) => a.id)), ...(unread.length > 0 ? { unread } : {}) };
    })
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  return { plans: live, attached: keys.flatMap((k) => k.value) };
}

/** Declared key names looked up one by one (GetApiKeys `name`); more than this read the whole key list. */
export const KEY_NAME_LOOKUPS = 10;

/**
 * The API keys a targeted read needs: those attached to the targeted plans (from their key lists), and the
 * declared references that are not among them. GetUsagePlanKeys does not say whether a key is enabled; such a
 * key is given `enabled: true` (the state of a key in use). Nothing that plans, applies or reports drift reads
 * `enabled` (`upg keys` reads keys with its own listing), and a key that is also listed keeps its real value.
 */
async function resolveTargetedKeys(
  ctx: GatewayContext,
  targets: readonly TargetedPlanKeys[],
  attached: readonly AttachedKey[],
  concurrency: number,
): Promise<LiveApiKey[]> {
  const known = new Map<string, LiveApiKey>();
  for (const a of attached) known.set(a.id, { ...a, enabled: true });
  const names = new Set([...known.values()].flatMap((k) => (k.name !== undefined ? [k.name] : [])));
  // A reference the resolver finds among the attached keys (by id or name) needs no call. Note: a name that
  // is attached is not looked up again, so another key elsewhere with the same name goes unseen here.
  const open = [
    ...new Set(targets.flatMap((t) => t.refs ?? []).filter((ref) => !known.has(ref) && !names.has(ref))),
  ].sort();
  if (open.length === 0) return [...known.values()];
  let all = open.length > KEY_NAME_LOOKUPS;
  if (!all) {
    const found = await mapLimit(open, concurrency, (name) => apiKeysNamed(ctx, name));
    // Not found by name: an id, or a key that does not exist; only the whole list tells them apart.
    all = found.some((f) => f.length === 0);
    for (const k of found.flat()) known.set(k.id, k);
  }
  if (all) for (const k of await listApiKeys(ctx)) known.set(k.id, k);
  return [...known.values()];
}

/** The key ids a reference stands for, as the resolver (src/diff/resolve.ts) will read it: by id, then by a unique name. */
function resolvedIds(refs: readonly string[], keys: readonly LiveApiKey[]): string[] {
  const ids = new Set(keys.map((k) => k.id));
  return refs.flatMap((ref) => {
    if (ids.has(ref)) return [ref];
    const byName = keys.filter((k) => k.name === ref);
    return byName.length === 1 ? [byName[0]!.id] : [];
  });
}

/**
 * The keys the targeted plans would newly bring onto a stage: keys they would attach, and — for a plan that
 * gains a stage — every key it would keep. A key already on a plan's stages is known to clash with no plan there
 * (AWS refuses such an attachment).
 */
function keysToLookUp(
  targets: readonly TargetedPlanKeys[],
  plans: readonly LivePlan[],
  apiKeys: readonly LiveApiKey[],
  restApis: readonly LiveRestApi[],
): string[] {
  const out = new Set<string>();
  for (const t of targets) {
    const ids = new Set(t.ids);
    const lps = plans.filter((p) => p.ownerPlanId === t.planId || ids.has(p.id));
    const declared = t.refs === undefined ? undefined : resolvedIds(t.refs, apiKeys);
    if (lps.length === 0) for (const k of [...(declared ?? []), ...t.keyIds]) out.add(k);
    for (const lp of lps) {
      const final = declared ?? [...lp.keys, ...t.keyIds];
      const has = new Set(lp.settings.stages.map((b) => `${b.apiId}:${b.stage}`));
      const gains = t.stages.some((st) => {
        const apiIds = st.apiId ? [st.apiId] : restApis.filter((a) => a.name === st.apiName).map((a) => a.id);
        return apiIds.some((id) => !has.has(`${id}:${st.stage}`));
      });
      for (const k of final) if (gains || !lp.keys.includes(k)) out.add(k);
    }
  }
  return sortStrings(out);
}

/**
 * Looks up which plans hold each key in `keyIds` and adds the key to the key lists of the managed plans whose
 * keys were not read (a partial list; a full read would list them whole).
 */
async function addHolders(
  ctx: GatewayContext,
  plans: LivePlan[],
  keyIds: readonly string[],
  addTo: (p: LivePlan) => boolean,
  concurrency: number,
  gaps: LiveReadGap[] | undefined,
): Promise<LivePlan[]> {
  const holders = await mapLimit([...keyIds], concurrency, (id) =>
    orGap(gaps, { what: `GetUsagePlans keyId ${id}` }, () => plansHoldingKey(ctx, id), []),
  );
  const extra = new Map<string, string[]>();
  holders.forEach((h, i) => {
    for (const planId of h.value) extra.set(planId, [...(extra.get(planId) ?? []), keyIds[i]!]);
  });
  return plans.map((p) => {
    const add = extra.get(p.id);
    return add && addTo(p) ? { ...p, keys: sortStrings(new Set([...p.keys, ...add])) } : p;
  });
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
  const want = keysWanted(scope);
  const targets = scope.only?.keys;
  const [read, listedKeys, restApis] = await Promise.all([
    listPlans(ctx, scope, pacing.concurrency, gaps).then(async (listed) => {
      const read = await readPlanKeys(ctx, listed, want.wanted, pacing.concurrency, gaps);
      if (!targets) return { plans: read.plans };
      // A targeted read resolves its keys from what its plans hold, then looks up who holds the keys it
      // would bring onto a stage (it needs the REST API names of its stages for that).
      const keys = await resolveTargetedKeys(ctx, targets, read.attached, pacing.concurrency);
      const lookUp = keysToLookUp(targets, read.plans, keys, await apisListed);
      const unread = new Set(listed.filter((p) => !want.wanted(p)).map((p) => p.id));
      const managed = new Set(listed.filter(want.managed).map((p) => p.id));
      const withHolders = await addHolders(
        ctx,
        read.plans,
        lookUp,
        (p) => unread.has(p.id) && managed.has(p.id),
        pacing.concurrency,
        gaps,
      );
      return { plans: withHolders, apiKeys: keys };
    }),
    targets || scope.listKeys === false ? Promise.resolve([]) : listApiKeys(ctx),
    apisListed,
  ]);
  const plans = read.plans;
  const apiKeys = read.apiKeys ?? listedKeys;
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
