/**
 * UpdateUsagePlan patch operations, exactly the paths of reference §3.4; anything else is a 400
 * "Invalid patch path". All operations apply to a draft that is validated as a whole before it replaces
 * the stored plan, so a failing request changes nothing.
 */
import { fail } from "../errors.js";
import { allowedPaths, decodePointer, invalidPatchPath, type PatchOp, requireValue } from "../patch.js";
import {
  checkApiStageExists,
  checkPeriod,
  checkPlanDescription,
  checkPlanName,
  finalizeQuota,
  normaliseMethodKey,
  parseMethodThrottleMap,
  parseStageRef,
} from "../plan-settings.js";
import type { ApiStage, QuotaSettings, SandboxState, ThrottleSettings, UsagePlan } from "../state.js";
import { isJsonObject, type JsonObject, parseIntString, parseNumberString } from "../validate.js";

type Draft = Omit<UsagePlan, "quota"> & { quota?: Partial<QuotaSettings> };

interface PatchEnv {
  state: SandboxState;
  planId: string;
}

type PlanPatch = (d: Draft, op: PatchOp, env: PatchEnv) => void;

const STAGE_THROTTLE = "/apiStages/{apiId}:{stage}/throttle";
const METHOD_THROTTLE = `${STAGE_THROTTLE}/{resourcePath}/{httpMethod}`;
const STAGE_PATHS: Readonly<Record<string, readonly string[]>> = {
  replace: [STAGE_THROTTLE, `${METHOD_THROTTLE}/rateLimit`, `${METHOD_THROTTLE}/burstLimit`],
  remove: [METHOD_THROTTLE, STAGE_THROTTLE],
};
const STAGE_PATH_RE = /^\/apiStages\/([^/]+)\/throttle(\/.*)?$/;
const METHOD_FIELD_RE = /^\/(.+)\/(rateLimit|burstLimit)$/;

function stageNotInPlan(apiId: string, stage: string, planId: string): never {
  return fail(
    "NotFoundException",
    `Invalid API Stage {api: ${apiId}, stage: ${stage}} specified for usageplan ${planId}`,
  );
}

const setThrottle =
  (field: keyof ThrottleSettings): PlanPatch =>
  (d, op) => {
    const raw = requireValue(op);
    const v = field === "rateLimit" ? parseNumberString(raw, op.path) : parseIntString(raw, op.path);
    d.throttle = { ...d.throttle, [field]: v };
  };

/** Setting any quota member creates the quota, with offset 0 (as AWS materialises it). */
const setQuota =
  (field: keyof QuotaSettings): PlanPatch =>
  (d, op) => {
    const raw = requireValue(op);
    const v = field === "period" ? checkPeriod(raw) : parseIntString(raw, op.path);
    d.quota = { offset: 0, ...d.quota, [field]: v };
  };

/** [U] Setting description or productCode to "" clears it (the member is then omitted). */
const setProductCode: PlanPatch = (d, op) => {
  d.productCode = requireValue(op) || undefined;
};

/** [U] Adding a stage that is already in the plan is an idempotent no-op. */
const addApiStage: PlanPatch = (d, op, env) => {
  const { apiId, stage } = parseStageRef(op.value);
  checkApiStageExists(env.state, apiId, stage);
  if (!d.apiStages.some((s) => s.apiId === apiId && s.stage === stage)) {
    d.apiStages.push({ apiId, stage, throttle: new Map() });
  }
};

/**
 * [U] Removing a stage that exists but is not in this plan gives the same 404 as a non-existent one. A dangling
 * entry (its stage or API deleted since) stays in the plan and cannot be removed either: AWS answers 404 for a
 * stage that does not exist (reference §3.4, recorded), and §4.5 asks the emulator to do the same here.
 */
const removeApiStage: PlanPatch = (d, op, env) => {
  const { apiId, stage } = parseStageRef(op.value);
  const i = d.apiStages.findIndex((s) => s.apiId === apiId && s.stage === stage);
  if (i < 0 || !env.state.restApis.get(apiId)?.stages.has(stage)) stageNotInPlan(apiId, stage, env.planId);
  d.apiStages.splice(i, 1);
};

/** Keyed "op path"; the remove entries are in the order AWS lists them in its error message. */
const PLAN_PATCHES: Readonly<Record<string, PlanPatch>> = {
  "replace /name": (d, op) => {
    d.name = checkPlanName(
      requireValue(op) || fail("BadRequestException", "Invalid usage plan name specified"),
    );
  },
  "replace /description": (d, op) => {
    d.description = checkPlanDescription(op.value ?? "") || undefined;
  },
  "replace /productCode": setProductCode,
  "replace /throttle/rateLimit": setThrottle("rateLimit"),
  "replace /throttle/burstLimit": setThrottle("burstLimit"),
  "replace /quota/limit": setQuota("limit"),
  "replace /quota/period": setQuota("period"),
  "replace /quota/offset": setQuota("offset"),
  "add /apiStages": addApiStage,
  "add /productCode": setProductCode,
  "add /throttle/rateLimit": setThrottle("rateLimit"),
  "add /throttle/burstLimit": setThrottle("burstLimit"),
  "add /quota/limit": setQuota("limit"),
  "add /quota/period": setQuota("period"),
  "add /quota/offset": setQuota("offset"),
  "remove /apiStages": removeApiStage,
  "remove /quota": (d) => {
    d.quota = undefined;
  },
  "remove /throttle": (d) => {
    d.throttle = undefined;
  },
  "remove /productCode": (d) => {
    d.productCode = undefined;
  },
};

function invalidPath(op: PatchOp): never {
  return invalidPatchPath(op, allowedPaths(PLAN_PATCHES, op.op, STAGE_PATHS[op.op] ?? []));
}

function draftStage(d: Draft, stageRef: string, env: PatchEnv): ApiStage {
  const { apiId, stage } = parseStageRef(stageRef);
  return (
    d.apiStages.find((s) => s.apiId === apiId && s.stage === stage) ??
    stageNotInPlan(apiId, stage, env.planId)
  );
}

/** The value of `replace …/throttle`: a JSON object string `{"/pets/GET":{"rateLimit":1.0,"burstLimit":1}}`. */
function jsonObjectValue(op: PatchOp): JsonObject {
  let parsed: unknown;
  try {
    parsed = JSON.parse(requireValue(op));
  } catch {
    parsed = undefined;
  }
  return isJsonObject(parsed)
    ? parsed
    : fail("BadRequestException", `Invalid value for '${op.path}': expected a JSON object`);
}

function setMethodField(target: ApiStage, op: PatchOp, rawKey: string, field: keyof ThrottleSettings): void {
  const key = normaliseMethodKey(decodePointer(rawKey));
  const raw = requireValue(op);
  const v = field === "rateLimit" ? parseNumberString(raw, op.path) : parseIntString(raw, op.path);
  target.throttle.set(key, { ...target.throttle.get(key), [field]: v });
}

/**
 * The per-stage paths: `/apiStages/{apiId}:{stage}/throttle[/{resourcePath}/{METHOD}[/rateLimit|/burstLimit]]`.
 * [U] The stage must be in the plan (else the 404 of remove /apiStages); the resource and method are not checked
 * against the API; an override set with only one field keeps only that field (no burstLimit is filled in);
 * removing an override that does not exist is a no-op.
 */
function applyStagePatch(d: Draft, op: PatchOp, env: PatchEnv, stageRef: string, rest: string): void {
  const field = METHOD_FIELD_RE.exec(rest);
  if (op.op === "replace" && rest === "") {
    draftStage(d, stageRef, env).throttle = parseMethodThrottleMap(jsonObjectValue(op));
  } else if (op.op === "replace" && field) {
    const name = field[2] === "rateLimit" ? "rateLimit" : "burstLimit";
    setMethodField(draftStage(d, stageRef, env), op, field[1] ?? "", name);
  } else if (op.op === "remove") {
    const target = draftStage(d, stageRef, env);
    if (rest === "") target.throttle.clear();
    else target.throttle.delete(normaliseMethodKey(decodePointer(rest.slice(1))));
  } else invalidPath(op);
}

function applyPlanPatch(d: Draft, op: PatchOp, env: PatchEnv): void {
  const stagePath = STAGE_PATH_RE.exec(op.path);
  if (stagePath?.[1]) {
    applyStagePatch(d, op, env, stagePath[1], stagePath[2] ?? "");
    return;
  }
  const patch = PLAN_PATCHES[`${op.op} ${op.path}`] ?? invalidPath(op);
  patch(d, op, env);
}

function cloneStage(s: ApiStage): ApiStage {
  return { ...s, throttle: new Map([...s.throttle].map(([k, t]) => [k, { ...t }])) };
}

/** Apply all operations to a copy of `plan` and return the validated result (the stored plan is untouched). */
export function applyPlanPatches(state: SandboxState, plan: UsagePlan, ops: readonly PatchOp[]): UsagePlan {
  const draft: Draft = {
    ...plan,
    apiStages: plan.apiStages.map(cloneStage),
    throttle: plan.throttle && { ...plan.throttle },
    quota: plan.quota && { ...plan.quota },
  };
  const env = { state, planId: plan.id };
  for (const op of ops) applyPlanPatch(draft, op, env);
  return { ...draft, quota: draft.quota && finalizeQuota(draft.quota) };
}
