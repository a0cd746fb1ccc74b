/** Validation of usage-plan settings shared by CreateUsagePlan and UpdateUsagePlan (reference §7). */
import { fail } from "./errors.js";
import type { QuotaPeriod, QuotaSettings, SandboxState, ThrottleSettings } from "./state.js";
import {
  checkLength,
  checkNonNegativeInt,
  checkNonNegativeNumber,
  isJsonObject,
  type JsonObject,
  optNumber,
  optString,
} from "./validate.js";

const MAX_OFFSET: Readonly<Record<QuotaPeriod, number>> = { DAY: 0, WEEK: 6, MONTH: 27 };
const THROTTLE_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY", "*"];

/**
 * [U] AWS documents no length limit for a usage plan's name or description, and none was recorded. Without one,
 * a 10 MB name would make every GetUsagePlans page tens of MB. We use the limits AWS enforces on the API key's
 * name and description (1024 and 125,000 characters, recorded on AWS); upg does not rely on either.
 */
export const PLAN_NAME_MAX = 1024;
export const PLAN_DESCRIPTION_MAX = 125_000;

export function checkPlanName(name: string): string {
  return checkLength(
    name,
    PLAN_NAME_MAX,
    `Invalid Usage Plan name, can be at most ${PLAN_NAME_MAX} characters.`,
  );
}

export function checkPlanDescription(d: string): string {
  return checkLength(
    d,
    PLAN_DESCRIPTION_MAX,
    `Invalid Usage Plan description, can be at most ${PLAN_DESCRIPTION_MAX} characters.`,
  );
}

export function checkPeriod(p: string): QuotaPeriod {
  if (p !== "DAY" && p !== "WEEK" && p !== "MONTH") {
    fail("BadRequestException", `Invalid quota period specified: '${p}'. Must be one of: DAY, WEEK, MONTH`);
  }
  return p;
}

/**
 * A complete quota. [U] AWS's rules for partial quotas are undocumented: we require `limit` and `period`,
 * default `offset` to 0 (as AWS materialises it), and enforce offset 0 for DAY, 0–6 for WEEK, 0–27 for MONTH.
 */
export function finalizeQuota(q: Partial<QuotaSettings>): QuotaSettings {
  if (q.limit === undefined) fail("BadRequestException", "Invalid quota specified: 'limit' is required");
  if (q.period === undefined) fail("BadRequestException", "Invalid quota specified: 'period' is required");
  const offset = q.offset ?? 0;
  if (offset > MAX_OFFSET[q.period]) {
    fail(
      "BadRequestException",
      `Invalid quota offset specified: ${offset}. Must be between 0 and ${MAX_OFFSET[q.period]} for period ${q.period}`,
    );
  }
  return { limit: q.limit, offset, period: q.period };
}

export function parseQuota(o: JsonObject): QuotaSettings {
  const limit = optNumber(o, "limit");
  const offset = optNumber(o, "offset");
  const period = optString(o, "period");
  return finalizeQuota({
    limit: limit === undefined ? undefined : checkNonNegativeInt(limit, "quota limit"),
    offset: offset === undefined ? undefined : checkNonNegativeInt(offset, "quota offset"),
    period: period === undefined ? undefined : checkPeriod(period),
  });
}

export function parseThrottle(o: JsonObject): ThrottleSettings {
  const burst = optNumber(o, "burstLimit");
  const rate = optNumber(o, "rateLimit");
  return {
    burstLimit: burst === undefined ? undefined : checkNonNegativeInt(burst, "burstLimit"),
    rateLimit: rate === undefined ? undefined : checkNonNegativeNumber(rate, "rateLimit"),
  };
}

/** A throttle that sets neither member is no throttle: it is not stored, so responses omit it (as AWS does). */
export function parsePlanThrottle(o: JsonObject | undefined): ThrottleSettings | undefined {
  const t = o && parseThrottle(o);
  return t && (t.burstLimit !== undefined || t.rateLimit !== undefined) ? t : undefined;
}

/**
 * Canonical method-throttle key "{resourcePath}/{METHOD}" with a leading "/": "pets/GET" → "/pets/GET",
 * "/GET" and "//GET" → "//GET" (the root resource).
 */
export function normaliseMethodKey(raw: string): string {
  const cut = raw.lastIndexOf("/");
  const method = raw.slice(cut + 1);
  let resourcePath = cut < 0 ? "" : raw.slice(0, cut);
  if (!resourcePath.startsWith("/")) resourcePath = `/${resourcePath}`;
  const validPath = resourcePath === "/" || !resourcePath.endsWith("/");
  if (cut < 0 || !THROTTLE_METHODS.includes(method) || !validPath) {
    fail("BadRequestException", `Invalid method throttle key '${raw}': expected {resourcePath}/{httpMethod}`);
  }
  return `${resourcePath}/${method}`;
}

/** A per-stage method-throttle map `{ "/pets/GET": {burstLimit, rateLimit} }`. */
export function parseMethodThrottleMap(o: JsonObject): Map<string, ThrottleSettings> {
  const out = new Map<string, ThrottleSettings>();
  for (const [k, v] of Object.entries(o)) {
    if (!isJsonObject(v))
      fail("BadRequestException", `Invalid throttle settings for '${k}': expected an object`);
    out.set(normaliseMethodKey(k), parseThrottle(v));
  }
  return out;
}

/** "apiId:stage" as used by patch values and per-stage patch paths. */
export function parseStageRef(value: string | undefined): { apiId: string; stage: string } {
  const cut = value?.indexOf(":") ?? -1;
  const apiId = value?.slice(0, cut) ?? "";
  const stage = value?.slice(cut + 1) ?? "";
  if (cut <= 0 || stage === "") fail("BadRequestException", "Invalid API Stage specified");
  return { apiId, stage };
}

/**
 * A stage must exist before it is attached (invariant 1): unknown API → 404
 * `Invalid API identifier specified {account}:{apiId}`; unknown stage → 404 `API Stage not found: {apiId}:{stage}`.
 */
export function checkApiStageExists(state: SandboxState, apiId: string, stage: string): void {
  const api = state.requireRestApi(apiId);
  if (!api.stages.has(stage)) fail("NotFoundException", `API Stage not found: ${apiId}:${stage}`);
}

/** Unset members are omitted; a throttle with no member at all is omitted by the caller (`renderPlanThrottle`). */
export function renderThrottle(t: ThrottleSettings) {
  return { burstLimit: t.burstLimit, rateLimit: t.rateLimit };
}

/** The plan's `throttle` member: absent when unset or when it has no member (never `{}`). */
export function renderPlanThrottle(t: ThrottleSettings | undefined) {
  return t && (t.burstLimit !== undefined || t.rateLimit !== undefined) ? renderThrottle(t) : undefined;
}
