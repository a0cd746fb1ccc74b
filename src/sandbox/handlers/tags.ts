/** TagResource / GetTags / UntagResource on ARNs sent as ONE percent-encoded path segment (reference §3.22). */
import { fail } from "../errors.js";
import { noContent, ok, type RequestContext, type Route } from "../router.js";
import { mapToObject, type SandboxState, type Tags } from "../state.js";
import { type JsonObject, optStringMap } from "../validate.js";

const TAG_KEY_MAX = 128;
const TAG_VALUE_MAX = 256;
const ARN_RE = /^arn:aws(?:-[a-z-]+)?:apigateway:([a-z0-9-]+):(\d{12})?:(\/.+)$/;

/** Tag rules: ≤ limit tags, key 1–128 chars without the reserved `aws:` prefix, value ≤ 256 chars. */
export function checkTags(tags: Tags, max: number): Tags {
  if (tags.size > max) fail("BadRequestException", `Too many tags: a resource can have at most ${max} tags`);
  for (const [k, v] of tags) {
    if (k.length === 0 || k.length > TAG_KEY_MAX) {
      fail("BadRequestException", `Invalid tag key '${k}': must be 1 to ${TAG_KEY_MAX} characters`);
    }
    if (k.toLowerCase().startsWith("aws:")) {
      fail("BadRequestException", `Invalid tag key '${k}': the 'aws:' prefix is reserved`);
    }
    if (v.length > TAG_VALUE_MAX) {
      fail("BadRequestException", `Invalid tag value for key '${k}': at most ${TAG_VALUE_MAX} characters`);
    }
  }
  return tags;
}

/** When a response shows tags: always (`{}` when none), only when non-empty, or never. */
export type TagsMode = "always" | "nonEmpty" | "never";

export function renderTags(tags: Tags, mode: TagsMode): Record<string, string> | undefined {
  return mode === "always" || (mode === "nonEmpty" && tags.size > 0) ? mapToObject(tags) : undefined;
}

/** The optional `tags` member of a create request, validated. */
export function bodyTags(state: SandboxState, body: JsonObject): Tags | undefined {
  const tags = optStringMap(body, "tags");
  return tags && checkTags(tags, state.limits.tagsPerResource);
}

/**
 * The tag map of the resource an ARN names: usage plan, API key, REST API or stage
 * (`arn:aws:apigateway:{region}::/usageplans/{id}` ...).
 * [U] A malformed ARN is a 400; a well-formed ARN for another region, an unsupported resource type or a missing
 * resource is a 404 NotFoundException.
 */
function resolveTags(state: SandboxState, arn: string): Tags {
  const m = ARN_RE.exec(arn);
  if (!m) fail("BadRequestException", `Invalid ARN specified: ${arn}`);
  const [, region, , resourcePath = ""] = m;
  const parts = resourcePath.split("/").slice(1);
  if (region !== state.config.region || parts.some((p) => p === "")) {
    fail("NotFoundException", "Invalid resource identifier specified");
  }
  const [kind, id = "", sub, name = ""] = parts;
  if (kind === "usageplans" && parts.length === 2) return state.requirePlan(id).tags;
  if (kind === "apikeys" && parts.length === 2) return state.requireKey(id).tags;
  if (kind === "restapis" && parts.length === 2) return state.requireRestApi(id).tags;
  if (kind === "restapis" && sub === "stages" && parts.length === 4) {
    return state.requireStage(state.requireRestApi(id), name).tags;
  }
  return fail("NotFoundException", "Invalid resource identifier specified");
}

function tagResource(ctx: RequestContext) {
  const target = resolveTags(ctx.state, ctx.param("resourceArn"));
  const incoming = optStringMap(ctx.json(), "tags") ?? fail("BadRequestException", "'tags' is required");
  const merged = checkTags(new Map([...target, ...incoming]), ctx.state.limits.tagsPerResource);
  target.clear();
  for (const [k, v] of merged) target.set(k, v);
  return noContent();
}

function getTags(ctx: RequestContext) {
  return ok({ tags: mapToObject(resolveTags(ctx.state, ctx.param("resourceArn"))) });
}

function untagResource(ctx: RequestContext) {
  const target = resolveTags(ctx.state, ctx.param("resourceArn"));
  const keys = ctx.query.getAll("tagKeys");
  if (keys.length === 0) fail("BadRequestException", "'tagKeys' is required");
  for (const k of keys) target.delete(k);
  return noContent();
}

export const tagRoutes: Route[] = [
  { method: "PUT", path: "/tags/{resourceArn}", op: "TagResource", handler: tagResource },
  { method: "GET", path: "/tags/{resourceArn}", op: "GetTags", handler: getTags },
  { method: "DELETE", path: "/tags/{resourceArn}", op: "UntagResource", handler: untagResource },
];
