/** Deployments and stages (reference §3.20–3.21). */
import { fail } from "../errors.js";
import { ID_LENGTH, newId } from "../ids.js";
import { listBody, paginate } from "../pagination.js";
import {
  allowedPaths,
  invalidPatchPath,
  type PatchOp,
  parsePatchOperations,
  requireValue,
} from "../patch.js";
import { accepted, created, ok, type RequestContext, type Route } from "../router.js";
import {
  type Deployment,
  epochSeconds,
  mapToObject,
  type RestApi,
  type SandboxState,
  type Stage,
  type Tags,
} from "../state.js";
import { type JsonObject, optString, optStringMap, reqString } from "../validate.js";
import { bodyTags, renderTags } from "./tags.js";

/** Stage names: letters, digits, hyphens and underscores, at most 128 characters (CloudFormation's rule). */
const STAGE_NAME_RE = /^[A-Za-z0-9_-]{1,128}$/;

export interface DeploymentInput {
  stageName?: string;
  stageDescription?: string;
  description?: string;
  variables?: Map<string, string>;
}

export function requireDeployment(api: RestApi, id: string): Deployment {
  return api.deployments.get(id) ?? fail("NotFoundException", "Invalid Deployment identifier specified");
}

function checkStageName(name: string): string {
  if (!STAGE_NAME_RE.test(name)) {
    fail("BadRequestException", "Stage name only allows a-zA-Z0-9_- and must be 1 to 128 characters");
  }
  return name;
}

/** An API with no methods, or with a method lacking an integration, cannot be deployed (as on AWS). */
function checkDeployable(api: RestApi): void {
  const methods = [...api.resources.values()].flatMap((r) => [...r.methods.values()]);
  if (methods.length === 0) fail("BadRequestException", "The REST API doesn't contain any methods");
  if (methods.some((m) => !m.integration)) fail("BadRequestException", "No integration defined for method");
}

interface StageInput {
  stageName: string;
  deploymentId: string;
  description?: string;
  variables?: Map<string, string>;
  tags?: Tags;
}

/** [U] Over the stages-per-API quota (10): LimitExceededException, like the other account quotas. */
function addStage(state: SandboxState, api: RestApi, input: StageInput, nowMs: number): Stage {
  if (api.stages.has(input.stageName)) fail("ConflictException", "Stage already exists");
  if (api.stages.size >= state.limits.stagesPerApi) {
    fail(
      "LimitExceededException",
      `Maximum number of stages (${state.limits.stagesPerApi}) reached for this API`,
    );
  }
  const now = epochSeconds(nowMs);
  const stage: Stage = {
    stageName: input.stageName,
    deploymentId: input.deploymentId,
    description: input.description || undefined,
    variables: input.variables ?? new Map(),
    createdDate: now,
    lastUpdatedDate: now,
    tags: input.tags ?? new Map(),
  };
  api.stages.set(stage.stageName, stage);
  return stage;
}

/** With `stageName`: creates the stage if missing, otherwise repoints it to the new deployment. */
export function createDeploymentRecord(
  state: SandboxState,
  api: RestApi,
  input: DeploymentInput,
  nowMs: number,
): Deployment {
  checkDeployable(api);
  if (input.stageName !== undefined) checkStageName(input.stageName);
  const deployment: Deployment = {
    seq: state.nextSeq(),
    id: newId(ID_LENGTH.deployment, (x) => api.deployments.has(x)),
    description: input.description || undefined,
    createdDate: epochSeconds(nowMs),
  };
  const existing = input.stageName === undefined ? undefined : api.stages.get(input.stageName);
  if (existing) {
    existing.deploymentId = deployment.id;
    existing.lastUpdatedDate = epochSeconds(nowMs);
  } else if (input.stageName !== undefined) {
    const { stageName, stageDescription: description, variables } = input;
    addStage(state, api, { stageName, deploymentId: deployment.id, description, variables }, nowMs);
  }
  api.deployments.set(deployment.id, deployment);
  return deployment;
}

function renderDeployment(d: Deployment) {
  return { id: d.id, description: d.description, createdDate: d.createdDate };
}

function renderStage(s: Stage) {
  return {
    deploymentId: s.deploymentId,
    stageName: s.stageName,
    description: s.description,
    cacheClusterEnabled: false,
    cacheClusterStatus: "NOT_AVAILABLE",
    methodSettings: {},
    variables: s.variables.size > 0 ? mapToObject(s.variables) : undefined,
    tracingEnabled: false,
    tags: renderTags(s.tags, "nonEmpty"),
    createdDate: s.createdDate,
    lastUpdatedDate: s.lastUpdatedDate,
  };
}

const api = (ctx: RequestContext) => ctx.state.requireRestApi(ctx.param("restApiId"));
const stage = (ctx: RequestContext) => ctx.state.requireStage(api(ctx), ctx.param("stageName"));

function deploymentInput(body: JsonObject): DeploymentInput {
  return {
    stageName: optString(body, "stageName") || undefined,
    stageDescription: optString(body, "stageDescription"),
    description: optString(body, "description"),
    variables: optStringMap(body, "variables"),
  };
}

function createDeployment(ctx: RequestContext) {
  const d = createDeploymentRecord(ctx.state, api(ctx), deploymentInput(ctx.json()), ctx.now());
  return created(renderDeployment(d));
}

function getDeployments(ctx: RequestContext) {
  return ok(
    listBody(
      paginate(api(ctx).deployments.values(), (d) => d.seq, ctx.query),
      renderDeployment,
    ),
  );
}

function deleteDeployment(ctx: RequestContext) {
  const restApi = api(ctx);
  const d = requireDeployment(restApi, ctx.param("deploymentId"));
  if ([...restApi.stages.values()].some((s) => s.deploymentId === d.id)) {
    fail("BadRequestException", "Active stages pointing to this deployment must be moved or deleted");
  }
  restApi.deployments.delete(d.id);
  return accepted();
}

function createStage(ctx: RequestContext) {
  const restApi = api(ctx);
  const body = ctx.json();
  const deploymentId = requireDeployment(restApi, reqString(body, "deploymentId")).id;
  const input: StageInput = {
    stageName: checkStageName(reqString(body, "stageName")),
    deploymentId,
    description: optString(body, "description"),
    variables: optStringMap(body, "variables"),
    tags: bodyTags(ctx.state, body),
  };
  return created(renderStage(addStage(ctx.state, restApi, input, ctx.now())));
}

function getStages(ctx: RequestContext) {
  const deploymentId = ctx.query.get("deploymentId");
  const stages = [...api(ctx).stages.values()].filter(
    (s) => !deploymentId || s.deploymentId === deploymentId,
  );
  return ok({ item: stages.map(renderStage) });
}

/** [U] Usage plans that reference a deleted stage keep the dangling apiStages entry (reference §4.5). */
function deleteStage(ctx: RequestContext) {
  const restApi = api(ctx);
  restApi.stages.delete(stage(ctx).stageName);
  return accepted();
}

type StagePatch = (s: Stage, op: PatchOp, restApi: RestApi) => void;

const STAGE_PATCHES: Record<string, StagePatch> = {
  "replace /description": (s, op) => {
    s.description = op.value || undefined;
  },
  "replace /deploymentId": (s, op, restApi) => {
    s.deploymentId = requireDeployment(restApi, requireValue(op)).id;
  },
};

/** Variables: add/replace/remove `/variables/{name}`; otherwise only the paths in STAGE_PATCHES. */
function applyStagePatch(s: Stage, op: PatchOp, restApi: RestApi): void {
  const variable = /^\/variables\/(.+)$/.exec(op.path)?.[1];
  if (variable !== undefined && (op.op === "add" || op.op === "replace"))
    s.variables.set(variable, requireValue(op));
  else if (variable !== undefined && op.op === "remove") s.variables.delete(variable);
  else {
    const patch = STAGE_PATCHES[`${op.op} ${op.path}`];
    if (!patch) invalidPatchPath(op, allowedPaths(STAGE_PATCHES, op.op, ["/variables/{name}"]));
    patch(s, op, restApi);
  }
}

function updateStage(ctx: RequestContext) {
  const restApi = api(ctx);
  const s = stage(ctx);
  const ops = parsePatchOperations(ctx.json());
  const draft: Stage = { ...s, variables: new Map(s.variables) };
  for (const op of ops) applyStagePatch(draft, op, restApi);
  draft.lastUpdatedDate = epochSeconds(ctx.now());
  restApi.stages.set(draft.stageName, draft);
  return ok(renderStage(draft));
}

const STAGE_PATH = "/restapis/{restApiId}/stages/{stageName}";
const DEPLOYMENT_PATH = "/restapis/{restApiId}/deployments/{deploymentId}";

export const stageRoutes: Route[] = [
  {
    method: "POST",
    path: "/restapis/{restApiId}/deployments",
    op: "CreateDeployment",
    handler: createDeployment,
  },
  { method: "GET", path: "/restapis/{restApiId}/deployments", op: "GetDeployments", handler: getDeployments },
  {
    method: "GET",
    path: DEPLOYMENT_PATH,
    op: "GetDeployment",
    handler: (ctx) => ok(renderDeployment(requireDeployment(api(ctx), ctx.param("deploymentId")))),
  },
  { method: "DELETE", path: DEPLOYMENT_PATH, op: "DeleteDeployment", handler: deleteDeployment },
  { method: "POST", path: "/restapis/{restApiId}/stages", op: "CreateStage", handler: createStage },
  { method: "GET", path: "/restapis/{restApiId}/stages", op: "GetStages", handler: getStages },
  { method: "GET", path: STAGE_PATH, op: "GetStage", handler: (ctx) => ok(renderStage(stage(ctx))) },
  { method: "PATCH", path: STAGE_PATH, op: "UpdateStage", handler: updateStage },
  { method: "DELETE", path: STAGE_PATH, op: "DeleteStage", handler: deleteStage },
];
