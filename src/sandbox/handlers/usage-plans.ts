/** CreateUsagePlan / GetUsagePlan / GetUsagePlans / UpdateUsagePlan / DeleteUsagePlan (reference §3.1–3.5). */
import { fail } from "../errors.js";
import { ID_LENGTH, newId } from "../ids.js";
import { checkAddedStages } from "../membership.js";
import { filtered, listBody, paginate } from "../pagination.js";
import { parsePatchOperations } from "../patch.js";
import {
  checkApiStageExists,
  checkPlanDescription,
  checkPlanName,
  parseMethodThrottleMap,
  parsePlanThrottle,
  parseQuota,
  renderPlanThrottle,
  renderThrottle,
} from "../plan-settings.js";
import { accepted, created, ok, type RequestContext, type Route } from "../router.js";
import type { ApiStage, SandboxState, UsagePlan } from "../state.js";
import { type JsonObject, optObject, optObjectArray, optString } from "../validate.js";
import { bodyTags, renderTags, type TagsMode } from "./tags.js";
import { applyPlanPatches } from "./usage-plan-patch.js";

/** AWS really answers with this un-interpolated template for an empty apiId/stage (reference §3.1, [R S21]). */
const EMPTY_API_STAGE = "Invalid API Stage {api: %s, stage: %s} specified for usageplan %s";

/**
 * A stage without method overrides has no `throttle` member. [U] An override sent with neither member
 * (`"/pets/GET": {}`) is kept and shown as sent: it was set, unlike an absent one.
 */
function renderApiStage(s: ApiStage) {
  const throttle = [...s.throttle].map(([k, t]) => [k, renderThrottle(t)] as const);
  return {
    apiId: s.apiId,
    stage: s.stage,
    throttle: throttle.length > 0 ? Object.fromEntries(throttle) : undefined,
  };
}

/**
 * `apiStages` is always present; unset optionals are omitted (a throttle without members too, never `{}`). Tags: Create echoes them only when sent,
 * Get/Update always include them, and [U] list items include them only when non-empty.
 */
export function renderPlan(p: UsagePlan, tags: TagsMode) {
  return {
    id: p.id,
    name: p.name,
    description: p.description,
    apiStages: p.apiStages.map(renderApiStage),
    throttle: renderPlanThrottle(p.throttle),
    quota: p.quota && { limit: p.quota.limit, offset: p.quota.offset, period: p.quota.period },
    productCode: p.productCode,
    tags: renderTags(p.tags, tags),
  };
}

/** [U] A stage listed twice in one create request is kept once. */
function parseApiStages(state: SandboxState, body: JsonObject): ApiStage[] {
  const out: ApiStage[] = [];
  for (const o of optObjectArray(body, "apiStages") ?? []) {
    const apiId = optString(o, "apiId") ?? "";
    const stage = optString(o, "stage") ?? "";
    if (apiId === "" || stage === "") fail("BadRequestException", EMPTY_API_STAGE);
    checkApiStageExists(state, apiId, stage);
    if (out.some((s) => s.apiId === apiId && s.stage === stage)) continue;
    const throttle = optObject(o, "throttle");
    out.push({ apiId, stage, throttle: throttle ? parseMethodThrottleMap(throttle) : new Map() });
  }
  return out;
}

/** [U] Over the plans-per-account quota (300): LimitExceededException 429, the only modelled candidate. */
function checkPlanQuota(state: SandboxState): void {
  if (state.plans.size >= state.limits.usagePlans) {
    fail(
      "LimitExceededException",
      `Maximum number of usage plans (${state.limits.usagePlans}) reached for this account`,
    );
  }
}

function createUsagePlan(ctx: RequestContext) {
  const { state } = ctx;
  const body = ctx.json();
  const name = optString(body, "name");
  if (!name) fail("BadRequestException", "Invalid usage plan name specified: 'name' is required");
  checkPlanName(name);
  const description = optString(body, "description");
  if (description) checkPlanDescription(description);
  const throttle = optObject(body, "throttle");
  const quota = optObject(body, "quota");
  const tags = bodyTags(state, body);
  const plan: UsagePlan = {
    seq: state.nextSeq(),
    id: newId(ID_LENGTH.usagePlan, (x) => state.plans.has(x)),
    name,
    description: description || undefined,
    apiStages: parseApiStages(state, body),
    throttle: parsePlanThrottle(throttle),
    quota: quota && parseQuota(quota),
    tags: tags ?? new Map(),
  };
  checkPlanQuota(state);
  state.plans.set(plan.id, plan);
  return created(renderPlan(plan, tags ? "always" : "never"));
}

/** [U] GetUsagePlans?keyId= with an unknown key answers an empty list. */
function getUsagePlans(ctx: RequestContext) {
  const keyId = ctx.query.get("keyId");
  const member = keyId ? ctx.state.plansOfKey(keyId) : undefined;
  const plans = member
    ? filtered(ctx.state.plans.values(), (p) => member.has(p.id))
    : ctx.state.plans.values();
  return ok(
    listBody(
      paginate(plans, (p) => p.seq, ctx.query),
      (p) => renderPlan(p, ctx.state.config.listTags ?? "nonEmpty"),
    ),
  );
}

function updateUsagePlan(ctx: RequestContext) {
  const { state } = ctx;
  const plan = state.requirePlan(ctx.param("usagePlanId"));
  const next = applyPlanPatches(state, plan, parsePatchOperations(ctx.json()));
  checkAddedStages(state, next, plan.apiStages);
  state.plans.set(next.id, next);
  return ok(renderPlan(next, "always"));
}

/** A plan with API stages cannot be deleted (invariant 3); its keys do not block deletion. */
function deleteUsagePlan(ctx: RequestContext) {
  const plan = ctx.state.requirePlan(ctx.param("usagePlanId"));
  const first = plan.apiStages[0];
  if (first) {
    fail(
      "BadRequestException",
      `Cannot delete Usage Plan ${plan.id} because there are API Stages associated with it, including ` +
        `${first.apiId}:${first.stage}`,
    );
  }
  ctx.state.deletePlan(plan.id);
  return accepted();
}

const PLAN_PATH = "/usageplans/{usagePlanId}";

export const usagePlanRoutes: Route[] = [
  { method: "POST", path: "/usageplans", op: "CreateUsagePlan", handler: createUsagePlan },
  { method: "GET", path: "/usageplans", op: "GetUsagePlans", handler: getUsagePlans },
  {
    method: "GET",
    path: PLAN_PATH,
    op: "GetUsagePlan",
    handler: (ctx) => ok(renderPlan(ctx.state.requirePlan(ctx.param("usagePlanId")), "always")),
  },
  { method: "PATCH", path: PLAN_PATH, op: "UpdateUsagePlan", handler: updateUsagePlan },
  { method: "DELETE", path: PLAN_PATH, op: "DeleteUsagePlan", handler: deleteUsagePlan },
];
