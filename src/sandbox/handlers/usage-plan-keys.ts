/** CreateUsagePlanKey / GetUsagePlanKey / GetUsagePlanKeys / DeleteUsagePlanKey (reference §3.6–3.9). */
import { fail } from "../errors.js";
import { addKeyToPlan } from "../membership.js";
import { filtered, listBody, paginate } from "../pagination.js";
import { accepted, created, ok, type RequestContext, type Route } from "../router.js";
import type { ApiKey } from "../state.js";
import { reqString } from "../validate.js";

/** The id is the API key's id; the value is always included. */
function renderPlanKey(k: ApiKey) {
  return { id: k.id, type: "API_KEY", name: k.name, value: k.value };
}

function memberKey(ctx: RequestContext): ApiKey {
  const plan = ctx.state.requirePlan(ctx.param("usagePlanId"));
  const keyId = ctx.param("keyId");
  const key = ctx.state.isMember(plan.id, keyId) ? ctx.state.keys.get(keyId) : undefined;
  return key ?? fail("NotFoundException", "Invalid API Key identifier specified");
}

function createUsagePlanKey(ctx: RequestContext) {
  const plan = ctx.state.requirePlan(ctx.param("usagePlanId"));
  const body = ctx.json();
  const keyId = reqString(body, "keyId");
  const keyType = reqString(body, "keyType");
  if (keyType !== "API_KEY")
    fail("BadRequestException", `Invalid key type specified: ${keyType}. Must be API_KEY`);
  const key = ctx.state.requireKey(keyId);
  addKeyToPlan(ctx.state, plan, key.id);
  return created(renderPlanKey(key));
}

/**
 * An unknown plan answers 200 with an empty list (recorded on AWS). `name` is a case-sensitive prefix
 * filter on the key name. [U] Order: membership order.
 */
function getUsagePlanKeys(ctx: RequestContext) {
  const { state } = ctx;
  const prefix = ctx.query.get("name");
  const members = state.planKeys.get(ctx.param("usagePlanId")) ?? new Map<string, number>();
  const rows = filtered(members, ([keyId]) => {
    const key = state.keys.get(keyId);
    return key !== undefined && (!prefix || (key.name ?? "").startsWith(prefix));
  });
  const page = paginate(rows, ([, seq]) => seq, ctx.query);
  return ok(listBody(page, ([keyId]) => renderPlanKey(state.requireKey(keyId))));
}

/** Removes the membership only; the API key itself stays. */
function deleteUsagePlanKey(ctx: RequestContext) {
  const key = memberKey(ctx);
  ctx.state.removeMembership(ctx.param("usagePlanId"), key.id);
  return accepted();
}

const KEYS_PATH = "/usageplans/{usagePlanId}/keys";

export const usagePlanKeyRoutes: Route[] = [
  { method: "POST", path: KEYS_PATH, op: "CreateUsagePlanKey", handler: createUsagePlanKey },
  { method: "GET", path: KEYS_PATH, op: "GetUsagePlanKeys", handler: getUsagePlanKeys },
  {
    method: "GET",
    path: `${KEYS_PATH}/{keyId}`,
    op: "GetUsagePlanKey",
    handler: (ctx) => ok(renderPlanKey(memberKey(ctx))),
  },
  { method: "DELETE", path: `${KEYS_PATH}/{keyId}`, op: "DeleteUsagePlanKey", handler: deleteUsagePlanKey },
];
