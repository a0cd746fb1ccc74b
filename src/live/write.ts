// The writes of a LiveGateway. Each is one paced call (deletePlan: a stage detach, then the delete);
// "already done" answers (NotFound on deletes, an existing identical membership) count as success.

import {
  type ApiStage,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  type CreateUsagePlanRequest,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeyCommand,
  GetUsagePlansCommand,
  TagResourceCommand,
  UntagResourceCommand,
  UpdateUsagePlanCommand,
  type UsagePlan,
} from "@aws-sdk/client-api-gateway";
import { awsErrorName } from "../aws/errors.js";
import { UserError } from "../errors.js";
import type { ThrottleSettings } from "../model/spec.js";
import { type PlanSettings, type StageBinding, stageKey } from "../model/state.js";
import {
  call,
  callOrNotFound,
  collectPages,
  describeCallError,
  type GatewayContext,
  rawCall,
  usagePlanArn,
} from "./client.js";
import type { PatchOperation } from "./types.js";

const planLabel = (id: string): string => `usage plan ${id}`;

/** Only the members that are set, as AWS omits unset ones (a throttle is never sent as `{}`). */
function throttleRequest(t: ThrottleSettings | undefined): ThrottleSettings | undefined {
  if (!t) return undefined;
  const out: ThrottleSettings = {};
  if (t.rateLimit !== undefined) out.rateLimit = t.rateLimit;
  if (t.burstLimit !== undefined) out.burstLimit = t.burstLimit;
  return Object.keys(out).length > 0 ? out : undefined;
}

function stageRequest(s: StageBinding): ApiStage {
  const throttle: Record<string, ThrottleSettings> = {};
  for (const [method, t] of Object.entries(s.throttle)) {
    const sent = throttleRequest(t);
    if (sent) throttle[method] = sent;
  }
  return { apiId: s.apiId, stage: s.stage, ...(Object.keys(throttle).length > 0 ? { throttle } : {}) };
}

/** The CreateUsagePlan request for `settings`: every member that is set, and nothing else. */
export function createRequest(settings: PlanSettings, tags: Record<string, string>): CreateUsagePlanRequest {
  const allTags = { ...settings.tags, ...tags };
  const throttle = throttleRequest(settings.throttle);
  return {
    name: settings.name,
    ...(settings.description ? { description: settings.description } : {}),
    ...(throttle ? { throttle } : {}),
    ...(settings.quota ? { quota: { ...settings.quota } } : {}),
    apiStages: settings.stages.map(stageRequest),
    ...(Object.keys(allTags).length > 0 ? { tags: allTags } : {}),
  };
}

export async function createPlan(
  ctx: GatewayContext,
  settings: PlanSettings,
  tags: Record<string, string>,
): Promise<string> {
  const created = await call(ctx, "CreateUsagePlan", `usage plan "${settings.name}"`, (c) =>
    c.send(new CreateUsagePlanCommand(createRequest(settings, tags))),
  );
  if (!created.id)
    throw new UserError(`API Gateway created usage plan "${settings.name}" but returned no id.`);
  return created.id;
}

export async function updatePlan(ctx: GatewayContext, id: string, ops: PatchOperation[]): Promise<void> {
  if (ops.length === 0) return;
  await call(ctx, "UpdateUsagePlan", planLabel(id), (c) =>
    c.send(new UpdateUsagePlanCommand({ usagePlanId: id, patchOperations: ops })),
  );
}

const GONE = Symbol("gone");

function detachStages(ctx: GatewayContext, id: string, stageKeys: readonly string[]) {
  const patchOperations = stageKeys.map((value) => ({ op: "remove" as const, path: "/apiStages", value }));
  return callOrNotFound(
    ctx,
    "UpdateUsagePlan",
    planLabel(id),
    (c) => c.send(new UpdateUsagePlanCommand({ usagePlanId: id, patchOperations })),
    GONE,
  );
}

/** The plan's current stage keys, or GONE. */
async function currentStageKeys(ctx: GatewayContext, id: string): Promise<string[] | typeof GONE> {
  const plan = await callOrNotFound(
    ctx,
    "GetUsagePlan",
    planLabel(id),
    (c) => c.send(new GetUsagePlanCommand({ usagePlanId: id })),
    GONE,
  );
  return plan === GONE ? GONE : stageKeysOf(plan);
}

function stageKeysOf(plan: UsagePlan): string[] {
  return (plan.apiStages ?? []).flatMap((s) =>
    s.apiId && s.stage ? [stageKey({ apiId: s.apiId, stage: s.stage })] : [],
  );
}

/**
 * Detach the given stages in one UpdateUsagePlan, then delete. A 404 on the detach means the plan is gone,
 * the stage list was stale, or a stage dangles (the whole patch was then rejected): the plan is re-read
 * and its actual stages detached before the delete. NotFound on the delete means already gone.
 */
export async function deletePlan(ctx: GatewayContext, id: string, stageKeys: string[]): Promise<void> {
  if (stageKeys.length > 0 && (await detachStages(ctx, id, stageKeys)) === GONE) {
    const actual = await currentStageKeys(ctx, id);
    if (actual === GONE) return;
    // Only GetUsagePlan's 404 means the plan is gone. A 404 on the detach can also be one dangling
    // stage (its API or stage deleted since): detach the stages one at a time, skipping those, and let
    // DeleteUsagePlan report whatever is still attached.
    if (actual.length > 0 && (await detachStages(ctx, id, actual)) === GONE) {
      for (const key of actual) await detachStages(ctx, id, [key]);
    }
  }
  await callOrNotFound(
    ctx,
    "DeleteUsagePlan",
    planLabel(id),
    (c) => c.send(new DeleteUsagePlanCommand({ usagePlanId: id })),
    undefined,
  );
}

async function isMember(ctx: GatewayContext, planId: string, keyId: string): Promise<boolean> {
  const key = await callOrNotFound(
    ctx,
    "GetUsagePlanKey",
    `API key ${keyId} in ${planLabel(planId)}`,
    (c) => c.send(new GetUsagePlanKeyCommand({ usagePlanId: planId, keyId })),
    undefined,
  );
  return key !== undefined;
}

function describePlan(plan: UsagePlan): string {
  return plan.name ? `${plan.id} (${plan.name})` : (plan.id ?? "?");
}

/** Best effort: the other plan of `keyId` that shares a stage with `planId`, for the error message. */
async function conflictingPlan(
  ctx: GatewayContext,
  planId: string,
  keyId: string,
): Promise<string | undefined> {
  try {
    const target = await rawCall(ctx, "GetUsagePlan", (c) =>
      c.send(new GetUsagePlanCommand({ usagePlanId: planId })),
    );
    const wanted = new Set(stageKeysOf(target));
    const plans = await collectPages<UsagePlan>((position) =>
      rawCall(ctx, "GetUsagePlans", (c) =>
        c.send(new GetUsagePlansCommand({ keyId, position, limit: ctx.pageSize })),
      ),
    );
    const other = plans.find((p) => p.id !== planId && stageKeysOf(p).some((k) => wanted.has(k)));
    if (!other) return undefined;
    const shared = stageKeysOf(other).filter((k) => wanted.has(k));
    return `usage plan ${describePlan(other)}, which also covers ${shared.join(", ")}`;
  } catch {
    return undefined;
  }
}

async function keyConflictError(ctx: GatewayContext, planId: string, keyId: string, err: unknown) {
  const other =
    (await conflictingPlan(ctx, planId, keyId)) ?? "another usage plan covering one of its API stages";
  const said = err instanceof Error ? err.message : String(err);
  return new UserError(`API key ${keyId} cannot join usage plan ${planId}: it is already in ${other}.`, {
    hint:
      "AWS does not allow one API key in two usage plans that cover the same API stage. Detach it from " +
      `the other plan first (or remove it from this plan's keys). AWS said: ${said}`,
    cause: err,
  });
}

/**
 * CreateUsagePlanKey. A Conflict (or 400, reference §3.6) means either the key is already in this plan —
 * done — or in another plan on one of the same stages, which is reported as a UserError naming both.
 */
export async function attachKey(ctx: GatewayContext, planId: string, keyId: string): Promise<void> {
  try {
    await rawCall(ctx, "CreateUsagePlanKey", (c) =>
      c.send(new CreateUsagePlanKeyCommand({ usagePlanId: planId, keyId, keyType: "API_KEY" })),
    );
  } catch (err) {
    const name = awsErrorName(err);
    if (name !== "ConflictException" && name !== "BadRequestException") {
      throw describeCallError(ctx, "CreateUsagePlanKey", err, `API key ${keyId} in ${planLabel(planId)}`);
    }
    if (await isMember(ctx, planId, keyId)) return;
    throw await keyConflictError(ctx, planId, keyId, err);
  }
}

export async function detachKey(ctx: GatewayContext, planId: string, keyId: string): Promise<void> {
  await callOrNotFound(
    ctx,
    "DeleteUsagePlanKey",
    `API key ${keyId} in ${planLabel(planId)}`,
    (c) => c.send(new DeleteUsagePlanKeyCommand({ usagePlanId: planId, keyId })),
    undefined,
  );
}

export async function tagPlan(ctx: GatewayContext, id: string, tags: Record<string, string>): Promise<void> {
  if (Object.keys(tags).length === 0) return;
  const resourceArn = usagePlanArn(ctx.target.region, id);
  await call(ctx, "TagResource", planLabel(id), (c) => c.send(new TagResourceCommand({ resourceArn, tags })));
}

export async function untagPlan(ctx: GatewayContext, id: string, keys: string[]): Promise<void> {
  if (keys.length === 0) return;
  const resourceArn = usagePlanArn(ctx.target.region, id);
  await call(ctx, "UntagResource", planLabel(id), (c) =>
    c.send(new UntagResourceCommand({ resourceArn, tagKeys: keys })),
  );
}
