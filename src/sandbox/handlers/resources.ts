/** Resources, methods and integrations: just enough of a REST API to deploy it to real stages. */
import { fail } from "../errors.js";
import { ID_LENGTH, newId } from "../ids.js";
import { listBody, paginate } from "../pagination.js";
import { accepted, created, noContent, ok, type RequestContext, type Route } from "../router.js";
import type { Integration, Method, Resource, RestApi, SandboxState } from "../state.js";
import { type JsonObject, optBoolean, optString, reqString } from "../validate.js";

const HTTP_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "ANY"];
const AUTHORIZATION_TYPES = ["NONE", "AWS_IAM", "CUSTOM", "COGNITO_USER_POOLS"];
const INTEGRATION_TYPES = ["HTTP", "HTTP_PROXY", "AWS", "AWS_PROXY", "MOCK"];
const PATH_PART_RE = /^(\{[A-Za-z0-9._-]+\+?\}|[A-Za-z0-9._~:@!$&'()*+,;=-]+)$/;

export function requireResource(api: RestApi, id: string): Resource {
  return api.resources.get(id) ?? fail("NotFoundException", "Invalid Resource identifier specified");
}

export function requireMethod(resource: Resource, httpMethod: string): Method {
  return resource.methods.get(httpMethod) ?? fail("NotFoundException", "Invalid Method identifier specified");
}

function checkHttpMethod(m: string): string {
  if (!HTTP_METHODS.includes(m)) {
    fail("BadRequestException", `Invalid HttpMethod specified. Valid options are ${HTTP_METHODS.join(",")}`);
  }
  return m;
}

export function createResourceRecord(
  state: SandboxState,
  api: RestApi,
  parentId: string,
  pathPart: string,
): Resource {
  const parent = requireResource(api, parentId);
  if (!PATH_PART_RE.test(pathPart))
    fail("BadRequestException", `Invalid resource path part specified: ${pathPart}`);
  for (const r of api.resources.values()) {
    if (r.parentId === parentId && r.pathPart === pathPart) {
      fail("ConflictException", `Another resource with the same parent already has this name: ${pathPart}`);
    }
  }
  const id = newId(ID_LENGTH.resource, (x) => api.resources.has(x));
  const path = parent.path === "/" ? `/${pathPart}` : `${parent.path}/${pathPart}`;
  const resource: Resource = { seq: state.nextSeq(), id, parentId, pathPart, path, methods: new Map() };
  api.resources.set(id, resource);
  return resource;
}

export function putMethodRecord(resource: Resource, httpMethod: string, body: JsonObject): Method {
  checkHttpMethod(httpMethod);
  if (resource.methods.has(httpMethod)) fail("ConflictException", "Method already exists for this resource");
  const authorizationType = reqString(body, "authorizationType");
  if (!AUTHORIZATION_TYPES.includes(authorizationType)) {
    fail("BadRequestException", `Invalid authorization type specified: ${authorizationType}`);
  }
  const method: Method = {
    httpMethod,
    authorizationType,
    apiKeyRequired: optBoolean(body, "apiKeyRequired") ?? false,
    operationName: optString(body, "operationName"),
  };
  resource.methods.set(httpMethod, method);
  return method;
}

export function putIntegrationRecord(method: Method, body: JsonObject): Integration {
  const type = reqString(body, "type");
  if (!INTEGRATION_TYPES.includes(type))
    fail("BadRequestException", `Invalid integration type specified: ${type}`);
  const uri = optString(body, "uri");
  const httpMethod = optString(body, "httpMethod"); // the wire name of integrationHttpMethod
  if (type !== "MOCK" && (!uri || !httpMethod)) {
    fail("BadRequestException", "Integrations of this type require a uri and an integration HTTP method");
  }
  const integration: Integration = { type, uri, httpMethod: httpMethod && checkHttpMethod(httpMethod) };
  method.integration = integration;
  return integration;
}

const renderIntegration = (i: Integration) => ({ type: i.type, httpMethod: i.httpMethod, uri: i.uri });

function renderMethod(m: Method) {
  return {
    httpMethod: m.httpMethod,
    authorizationType: m.authorizationType,
    apiKeyRequired: m.apiKeyRequired,
    operationName: m.operationName,
    methodIntegration: m.integration && renderIntegration(m.integration),
  };
}

/** Without `embed=methods` the method map lists names only (`{"GET": {}}`), as AWS does. */
function renderResource(r: Resource, embedMethods: boolean) {
  const methods = [...r.methods.values()].map(
    (m) => [m.httpMethod, embedMethods ? renderMethod(m) : {}] as const,
  );
  return {
    id: r.id,
    parentId: r.parentId,
    pathPart: r.pathPart,
    path: r.path,
    resourceMethods: methods.length > 0 ? Object.fromEntries(methods) : undefined,
  };
}

const api = (ctx: RequestContext) => ctx.state.requireRestApi(ctx.param("restApiId"));
const resource = (ctx: RequestContext) => requireResource(api(ctx), ctx.param("resourceId"));
const method = (ctx: RequestContext) => requireMethod(resource(ctx), ctx.param("httpMethod"));
const embedsMethods = (ctx: RequestContext) => ctx.query.getAll("embed").includes("methods");

function getResources(ctx: RequestContext) {
  const page = paginate(api(ctx).resources.values(), (r) => r.seq, ctx.query);
  const embed = embedsMethods(ctx);
  return ok(listBody(page, (r) => renderResource(r, embed)));
}

function createResource(ctx: RequestContext) {
  const pathPart = reqString(ctx.json(), "pathPart");
  return created(
    renderResource(createResourceRecord(ctx.state, api(ctx), ctx.param("parentId"), pathPart), false),
  );
}

/** Deletes the resource and its whole subtree; [U] the root resource cannot be deleted (400). */
function deleteResource(ctx: RequestContext) {
  const restApi = api(ctx);
  const target = requireResource(restApi, ctx.param("resourceId"));
  if (target.id === restApi.rootResourceId) fail("BadRequestException", "Cannot delete the root resource");
  const doomed = new Set([target.id]);
  for (const r of restApi.resources.values()) {
    if (r.parentId !== undefined && doomed.has(r.parentId)) doomed.add(r.id);
  }
  for (const id of doomed) restApi.resources.delete(id);
  return accepted();
}

function putIntegration(ctx: RequestContext) {
  return created(renderIntegration(putIntegrationRecord(method(ctx), ctx.json())));
}

function getIntegration(ctx: RequestContext) {
  const integration = method(ctx).integration;
  return ok(
    renderIntegration(integration ?? fail("NotFoundException", "Invalid Integration identifier specified")),
  );
}

const METHOD_PATH = "/restapis/{restApiId}/resources/{resourceId}/methods/{httpMethod}";

export const resourceRoutes: Route[] = [
  { method: "GET", path: "/restapis/{restApiId}/resources", op: "GetResources", handler: getResources },
  {
    method: "GET",
    path: "/restapis/{restApiId}/resources/{resourceId}",
    op: "GetResource",
    handler: (ctx) => ok(renderResource(resource(ctx), embedsMethods(ctx))),
  },
  {
    method: "POST",
    path: "/restapis/{restApiId}/resources/{parentId}",
    op: "CreateResource",
    handler: createResource,
  },
  {
    method: "DELETE",
    path: "/restapis/{restApiId}/resources/{resourceId}",
    op: "DeleteResource",
    handler: deleteResource,
  },
  {
    method: "PUT",
    path: METHOD_PATH,
    op: "PutMethod",
    handler: (ctx) =>
      created(renderMethod(putMethodRecord(resource(ctx), ctx.param("httpMethod"), ctx.json()))),
  },
  { method: "GET", path: METHOD_PATH, op: "GetMethod", handler: (ctx) => ok(renderMethod(method(ctx))) },
  {
    method: "DELETE",
    path: METHOD_PATH,
    op: "DeleteMethod",
    handler: (ctx) => {
      resource(ctx).methods.delete(method(ctx).httpMethod);
      return noContent();
    },
  },
  { method: "PUT", path: `${METHOD_PATH}/integration`, op: "PutIntegration", handler: putIntegration },
  { method: "GET", path: `${METHOD_PATH}/integration`, op: "GetIntegration", handler: getIntegration },
];
