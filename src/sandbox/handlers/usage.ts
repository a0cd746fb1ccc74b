/** GetUsage / UpdateUsage (reference §3.16–3.17) and the admin call that records usage. */
import { dayOf, formatDay, parseDay, periodStart } from "../calendar.js";
import { fail } from "../errors.js";
import { paginate } from "../pagination.js";
import { invalidPatchPath, parsePatchOperations } from "../patch.js";
import { ok, type RequestContext, type Route } from "../router.js";
import { type SandboxState, type UsagePlan, usageKey } from "../state.js";
import type { UsageRecord } from "../types.js";
import { checkNonNegativeInt, parseIntString } from "../validate.js";

/** [U] AWS's maximum GetUsage range is undocumented; we accept up to 366 days. */
const MAX_RANGE_DAYS = 366;

function requireMember(state: SandboxState, plan: UsagePlan, keyId: string): void {
  if (!state.isMember(plan.id, keyId)) fail("NotFoundException", "Invalid API Key identifier specified");
}

function extensionKey(planId: string, keyId: string, start: number): string {
  return `${usageKey(planId, keyId)} ${start}`;
}

function usedBetween(counters: ReadonlyMap<number, number> | undefined, from: number, to: number): number {
  let sum = 0;
  for (let day = from; day <= to; day++) sum += counters?.get(day) ?? 0;
  return sum;
}

/**
 * One `[used, remaining]` pair per day, oldest first, both ends inclusive. `remaining` is the quota of the
 * period containing that day (plus any UpdateUsage extension) minus what was used in it up to that day,
 * never below 0. [U] For a plan without a quota, `remaining` is reported as 0.
 */
function dailyUsage(
  state: SandboxState,
  plan: UsagePlan,
  keyId: string,
  start: number,
  end: number,
): number[][] {
  const counters = state.usage.get(usageKey(plan.id, keyId));
  const out: number[][] = [];
  let period = Number.NaN;
  let used = 0;
  for (let day = start; day <= end; day++) {
    const today = counters?.get(day) ?? 0;
    if (!plan.quota) {
      out.push([today, 0]);
      continue;
    }
    const p = periodStart(day, plan.quota);
    if (p !== period) [period, used] = [p, usedBetween(counters, p, day - 1)];
    used += today;
    const allowance = plan.quota.limit + (state.extensions.get(extensionKey(plan.id, keyId, p)) ?? 0);
    out.push([today, Math.max(0, allowance - used)]);
  }
  return out;
}

function usageBody(
  state: SandboxState,
  plan: UsagePlan,
  keyIds: readonly string[],
  start: number,
  end: number,
) {
  return {
    usagePlanId: plan.id,
    startDate: formatDay(start),
    endDate: formatDay(end),
    values: Object.fromEntries(keyIds.map((k) => [k, dailyUsage(state, plan, k, start, end)])),
  };
}

/** Pages over the plan's keys; [U] every member key is listed (zero-filled), and an unknown keyId gives `{}`. */
function getUsage(ctx: RequestContext) {
  const plan = ctx.state.requirePlan(ctx.param("usagePlanId"));
  const start = parseDay(ctx.query.get("startDate"), "start date");
  const end = parseDay(ctx.query.get("endDate"), "end date");
  if (end < start) fail("BadRequestException", "The end date must not be before the start date");
  if (end - start >= MAX_RANGE_DAYS)
    fail("BadRequestException", `The date range exceeds ${MAX_RANGE_DAYS} days`);
  const keyId = ctx.query.get("keyId");
  const members = [...(ctx.state.planKeys.get(plan.id) ?? [])].filter(([k]) => !keyId || k === keyId);
  const page = paginate(members, ([, seq]) => seq, ctx.query);
  const keyIds = page.items.map(([k]) => k);
  return ok({ ...usageBody(ctx.state, plan, keyIds, start, end), position: page.position });
}

/**
 * Op `replace` on `/remaining` (and, [U] leniently, `/keys/{keyId}/remaining` naming the same key) sets the key's
 * remaining quota for the current period. [U] A plan without a quota is a 400; the response covers the
 * current period up to today.
 */
function updateUsage(ctx: RequestContext) {
  const { state } = ctx;
  const plan = state.requirePlan(ctx.param("usagePlanId"));
  const keyId = ctx.param("keyId");
  requireMember(state, plan, keyId);
  const today = dayOf(ctx.now());
  for (const op of parsePatchOperations(ctx.json())) {
    const valid = op.op === "replace" && (op.path === "/remaining" || op.path === `/keys/${keyId}/remaining`);
    if (!valid) invalidPatchPath(op, op.op === "replace" ? ["/remaining"] : []);
    const quota = plan.quota ?? fail("BadRequestException", `Usage Plan ${plan.id} has no quota`);
    const remaining = parseIntString(op.value ?? "", "remaining");
    const start = periodStart(today, quota);
    const used = usedBetween(state.usage.get(usageKey(plan.id, keyId)), start, today);
    state.extensions.set(extensionKey(plan.id, keyId, start), remaining - quota.limit + used);
  }
  const start = plan.quota ? periodStart(today, plan.quota) : today;
  return ok(usageBody(state, plan, [keyId], start, today));
}

/** Admin: add `count` requests for a member key on a day. */
export function recordUsage(state: SandboxState, rec: UsageRecord): void {
  const plan = state.requirePlan(rec.usagePlanId);
  state.requireKey(rec.keyId);
  requireMember(state, plan, rec.keyId);
  const day = parseDay(rec.date, "date");
  checkNonNegativeInt(rec.count, "count");
  const key = usageKey(plan.id, rec.keyId);
  const counters = state.usage.get(key) ?? new Map<number, number>();
  counters.set(day, (counters.get(day) ?? 0) + rec.count);
  state.usage.set(key, counters);
}

export const usageRoutes: Route[] = [
  { method: "GET", path: "/usageplans/{usagePlanId}/usage", op: "GetUsage", handler: getUsage },
  {
    method: "PATCH",
    path: "/usageplans/{usagePlanId}/keys/{keyId}/usage",
    op: "UpdateUsage",
    handler: updateUsage,
  },
];
