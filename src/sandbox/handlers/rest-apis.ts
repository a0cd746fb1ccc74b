/** CreateRestApi / GetRestApi / GetRestApis / DeleteRestApi (reference §3.18–3.19). */
import { fail } from "../errors.js";
import { ID_LENGTH, newId } from "../ids.js";
import { listBody, paginate } from "../pagination.js";
import { accepted, created, ok, type RequestContext, type Route } from "../router.js";
import { epochSeconds, type RestApi, type SandboxState, type Tags } from "../state.js";
import { type JsonObject, optBoolean, optObject, optString, reqString } from "../validate.js";
import { bodyTags, renderTags } from "./tags.js";

const API_KEY_SOURCES = ["HEADER", "AUTHORIZER"];
const ENDPOINT_TYPES = ["EDGE", "REGIONAL", "PRIVATE"];

export interface RestApiInput {
  name: string;
  description?: string;
  version?: string;
  apiKeySource?: string;
  endpointTypes?: string[];
  disableExecuteApiEndpoint?: boolean;
  tags?: Tags;
}

function parseEndpointTypes(body: JsonObject): string[] | undefined {
  const types = optObject(body, "endpointConfiguration")?.types;
  if (types === undefined) return undefined;
  const ok = Array.isArray(types) && types.length === 1 && ENDPOINT_TYPES.includes(String(types[0]));
  return ok ? [String(types[0])] : fail("BadRequestException", "Invalid endpoint configuration specified");
}

/** Which CreateRestApi throttle applies: edge-optimized (the default) or regional/private. */
export function isEdgeRequest(body: JsonObject): boolean {
  const types = optObject(body, "endpointConfiguration")?.types;
  return !Array.isArray(types) || types.includes("EDGE");
}

function parseRestApiInput(state: SandboxState, body: JsonObject): RestApiInput {
  const apiKeySource = optString(body, "apiKeySource");
  if (apiKeySource !== undefined && !API_KEY_SOURCES.includes(apiKeySource)) {
    fail("BadRequestException", `Invalid API key source specified: ${apiKeySource}`);
  }
  return {
    name: reqString(body, "name"),
    description: optString(body, "description"),
    version: optString(body, "version"),
    apiKeySource,
    endpointTypes: parseEndpointTypes(body),
    disableExecuteApiEndpoint: optBoolean(body, "disableExecuteApiEndpoint"),
    tags: bodyTags(state, body),
  };
}

/** Create a REST API with its root resource "/". Defaults mirror AWS (HEADER key source, EDGE endpoint). */
export function createRestApiRecord(state: SandboxState, input: RestApiInput, nowMs: number): RestApi {
  const id = newId(ID_LENGTH.restApi, (x) => state.restApis.has(x));
  const rootResourceId = newId(ID_LENGTH.resource, () => false);
  const api: RestApi = {
    seq: state.nextSeq(),
    id,
    name: input.name,
    description: input.description || undefined,
    version: input.version || undefined,
    createdDate: epochSeconds(nowMs),
    apiKeySource: input.apiKeySource ?? "HEADER",
    endpointTypes: input.endpointTypes ?? ["EDGE"],
    disableExecuteApiEndpoint: input.disableExecuteApiEndpoint ?? false,
    rootResourceId,
    resources: new Map([
      [rootResourceId, { seq: state.nextSeq(), id: rootResourceId, path: "/", methods: new Map() }],
    ]),
    deployments: new Map(),
    stages: new Map(),
    tags: input.tags ?? new Map(),
  };
  state.restApis.set(id, api);
  return api;
}

/** [U] `tags` is shown when the API has any (create, get and list alike). */
export function renderRestApi(api: RestApi) {
  return {
    id: api.id,
    name: api.name,
    description: api.description,
    version: api.version,
    createdDate: api.createdDate,
    apiKeySource: api.apiKeySource,
    endpointConfiguration: { types: api.endpointTypes },
    disableExecuteApiEndpoint: api.disableExecuteApiEndpoint,
    rootResourceId: api.rootResourceId,
    tags: renderTags(api.tags, "nonEmpty"),
  };
}

function createRestApi(ctx: RequestContext) {
  const input = parseRestApiInput(ctx.state, ctx.json());
  return created(renderRestApi(createRestApiRecord(ctx.state, input, ctx.now())));
}

function getRestApi(ctx: RequestContext) {
  return ok(renderRestApi(ctx.state.requireRestApi(ctx.param("restApiId"))));
}

function getRestApis(ctx: RequestContext) {
  return ok(
    listBody(
      paginate(ctx.state.restApis.values(), (a) => a.seq, ctx.query),
      renderRestApi,
    ),
  );
}

/** [U] Usage plans that reference the deleted API keep their (now dangling) apiStages entries (reference §4.5). */
function deleteRestApi(ctx: RequestContext) {
  const api = ctx.state.requireRestApi(ctx.param("restApiId"));
  ctx.state.restApis.delete(api.id);
  return accepted();
}

function createRestApiThrottleKey(ctx: RequestContext): string {
  return isEdgeRequest(ctx.json()) ? "CreateRestApi:EDGE" : "CreateRestApi:REGIONAL";
}

export const restApiRoutes: Route[] = [
  {
    method: "POST",
    path: "/restapis",
    op: "CreateRestApi",
    handler: createRestApi,
    throttleKey: createRestApiThrottleKey,
  },
  { method: "GET", path: "/restapis", op: "GetRestApis", handler: getRestApis },
  { method: "GET", path: "/restapis/{restApiId}", op: "GetRestApi", handler: getRestApi },
  { method: "DELETE", path: "/restapis/{restApiId}", op: "DeleteRestApi", handler: deleteRestApi },
];
