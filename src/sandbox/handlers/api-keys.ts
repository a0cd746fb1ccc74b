/** CreateApiKey / GetApiKey / GetApiKeys / UpdateApiKey / DeleteApiKey (reference §3.10–3.14). */
import { fail } from "../errors.js";
import { ID_LENGTH, newId, newKeyValue } from "../ids.js";
import { filtered, listBody, paginate } from "../pagination.js";
import {
  allowedPaths,
  invalidPatchPath,
  type PatchOp,
  parsePatchOperations,
  requireValue,
} from "../patch.js";
import { accepted, created, ok, type RequestContext, type Route } from "../router.js";
import { type ApiKey, epochSeconds, type SandboxState, type Tags } from "../state.js";
import {
  checkLength,
  type JsonObject,
  optBoolean,
  optObjectArray,
  optString,
  reqString,
} from "../validate.js";
import { bodyTags, renderTags, type TagsMode } from "./tags.js";

export interface ApiKeyInput {
  name?: string;
  description?: string;
  enabled?: boolean;
  value?: string;
  customerId?: string;
  stageKeys?: string[];
  tags?: Tags;
}

export const checkKeyName = (name: string) =>
  checkLength(name, 1024, "Invalid API Key name, can be at most 1024 characters.");

export const checkKeyDescription = (d: string) =>
  checkLength(d, 125_000, "Invalid API Key description specified.");

/**
 * AWS's rule: 20–128 characters (both messages recorded on AWS), letters and digits only (documented).
 * [U] AWS's message for a value with another character is not known; ours follows the style of the other two.
 * The length is checked first, so a value that is both too short and not alphanumeric gets AWS's known message.
 */
export function checkKeyValue(v: string): string {
  if (v.length < 20) fail("BadRequestException", "API Key value should be at least 20 characters");
  checkLength(v, 128, "API Key value exceeds maximum size of 128 characters");
  if (!/^[A-Za-z0-9]+$/.test(v)) {
    fail("BadRequestException", "API Key value should contain only alphanumeric characters (A-Z, a-z, 0-9)");
  }
  return v;
}

/** API keys per account: 10,000, not adjustable on AWS. */
export function checkKeyQuota(state: SandboxState, adding: number): void {
  if (state.keys.size + adding > state.limits.apiKeys) {
    fail(
      "LimitExceededException",
      `Maximum number of API keys (${state.limits.apiKeys}) reached for this account`,
    );
  }
}

/** Legacy `stageKeys` ("{restApiId}/{stageName}"); the stage must exist. */
function parseStageKeys(state: SandboxState, body: JsonObject): string[] | undefined {
  return optObjectArray(body, "stageKeys")?.map((o) => {
    const api = state.requireRestApi(reqString(o, "restApiId"));
    return `${api.id}/${state.requireStage(api, reqString(o, "stageName")).stageName}`;
  });
}

function parseApiKeyInput(state: SandboxState, body: JsonObject): ApiKeyInput {
  return {
    name: optString(body, "name"),
    description: optString(body, "description"),
    enabled: optBoolean(body, "enabled"),
    value: optString(body, "value"),
    customerId: optString(body, "customerId"),
    stageKeys: parseStageKeys(state, body),
    tags: bodyTags(state, body),
  };
}

/** Values are unique per account: a duplicate is 409 "API Key already exists". `""` means "generate one". */
export function createApiKeyRecord(state: SandboxState, input: ApiKeyInput, nowMs: number): ApiKey {
  const value = input.value ? checkKeyValue(input.value) : newKeyValue();
  if (input.name) checkKeyName(input.name);
  if (input.description) checkKeyDescription(input.description);
  checkKeyQuota(state, 1);
  if (state.keyIdByValue.has(value)) fail("ConflictException", "API Key already exists");
  const now = epochSeconds(nowMs);
  const key: ApiKey = {
    seq: state.nextSeq(),
    id: newId(ID_LENGTH.apiKey, (x) => state.keys.has(x)),
    value,
    name: input.name || undefined,
    description: input.description || undefined,
    customerId: input.customerId || undefined,
    enabled: input.enabled ?? false,
    createdDate: now,
    lastUpdatedDate: now,
    stageKeys: input.stageKeys ?? [],
    tags: input.tags ?? new Map(),
  };
  state.keys.set(key.id, key);
  state.keyIdByValue.set(value, key.id);
  return key;
}

/** `value` only when asked for; [U] GetApiKey always includes `tags`, list items only when non-empty. */
export function renderApiKey(k: ApiKey, withValue: boolean, tags: TagsMode) {
  return {
    id: k.id,
    value: withValue ? k.value : undefined,
    name: k.name,
    customerId: k.customerId,
    description: k.description,
    enabled: k.enabled,
    createdDate: k.createdDate,
    lastUpdatedDate: k.lastUpdatedDate,
    stageKeys: k.stageKeys,
    tags: renderTags(k.tags, tags),
  };
}

function createApiKey(ctx: RequestContext) {
  const input = parseApiKeyInput(ctx.state, ctx.json());
  const key = createApiKeyRecord(ctx.state, input, ctx.now());
  return created(renderApiKey(key, true, input.tags ? "always" : "never"));
}

function getApiKey(ctx: RequestContext) {
  const key = ctx.state.requireKey(ctx.param("apiKey"));
  return ok(renderApiKey(key, ctx.query.get("includeValue") === "true", "always"));
}

/** `name` is a case-sensitive prefix filter, `customerId` an exact one. */
function getApiKeys(ctx: RequestContext) {
  const prefix = ctx.query.get("name");
  const customerId = ctx.query.get("customerId");
  const withValues = ctx.query.get("includeValues") === "true";
  const keys = filtered(
    ctx.state.keys.values(),
    (k) => (!prefix || (k.name ?? "").startsWith(prefix)) && (!customerId || k.customerId === customerId),
  );
  return ok(
    listBody(
      paginate(keys, (k) => k.seq, ctx.query),
      (k) => renderApiKey(k, withValues, "nonEmpty"),
    ),
  );
}

type KeyPatch = (k: ApiKey, op: PatchOp) => void;

/**
 * The four paths AWS lists, in its order. `/enabled`: "true" enables; any other string disables (as on AWS).
 * [U] The legacy `add`/`remove /stages` operations are not emulated (400 like any other path).
 */
const KEY_PATCHES: Readonly<Record<string, KeyPatch>> = {
  "replace /description": (k, op) => {
    k.description = checkKeyDescription(op.value ?? "") || undefined;
  },
  "replace /enabled": (k, op) => {
    k.enabled = requireValue(op) === "true";
  },
  "replace /name": (k, op) => {
    k.name = checkKeyName(op.value ?? "") || undefined;
  },
  "replace /customerId": (k, op) => {
    k.customerId = op.value || undefined;
  },
};

function updateApiKey(ctx: RequestContext) {
  const key = ctx.state.requireKey(ctx.param("apiKey"));
  const draft: ApiKey = { ...key };
  for (const op of parsePatchOperations(ctx.json())) {
    const patch =
      KEY_PATCHES[`${op.op} ${op.path}`] ?? invalidPatchPath(op, allowedPaths(KEY_PATCHES, op.op));
    patch(draft, op);
  }
  draft.lastUpdatedDate = epochSeconds(ctx.now());
  ctx.state.keys.set(key.id, draft);
  return ok(renderApiKey(draft, false, "always"));
}

/** Allowed while the key is in plans: it leaves every plan. */
function deleteApiKey(ctx: RequestContext) {
  ctx.state.deleteKey(ctx.state.requireKey(ctx.param("apiKey")).id);
  return accepted();
}

export const apiKeyRoutes: Route[] = [
  { method: "POST", path: "/apikeys", op: "CreateApiKey", handler: createApiKey },
  { method: "GET", path: "/apikeys", op: "GetApiKeys", handler: getApiKeys },
  { method: "GET", path: "/apikeys/{apiKey}", op: "GetApiKey", handler: getApiKey },
  { method: "PATCH", path: "/apikeys/{apiKey}", op: "UpdateApiKey", handler: updateApiKey },
  { method: "DELETE", path: "/apikeys/{apiKey}", op: "DeleteApiKey", handler: deleteApiKey },
];
