// Stage references in plan files: the full ARN, the short API_ID:STAGE, or a REST API name.

import type { StageRef } from "../model/spec.js";

export const STAGE_REF_FORMATS = [
  "arn:aws:apigateway:REGION::/restapis/API_ID/stages/STAGE",
  "API_ID:STAGE",
  "{ api_name: NAME, stage: STAGE }",
];

const ARN_RE =
  /^arn:(aws|aws-cn|aws-us-gov):apigateway:([a-z]{2}(?:-[a-z]+)+-\d+)::\/restapis\/([A-Za-z0-9]+)\/stages\/([A-Za-z0-9_-]+)$/;
const SHORT_RE = /^([A-Za-z0-9]+):([A-Za-z0-9_-]+)$/;
const STAGE_NAME_RE = /^[A-Za-z0-9_-]+$/;
const API_ID_RE = /^[A-Za-z0-9]+$/;

export type StageRefResult = { ok: true; ref: StageRef } | { ok: false; message: string };

function invalid(value: string): StageRefResult {
  return {
    ok: false,
    message: `Invalid stage ARN format: "${value}". Expected one of: ${STAGE_REF_FORMATS.join(", ")}`,
  };
}

/** Parse a string stage reference (ARN or API_ID:STAGE). */
export function parseStageString(value: string): StageRefResult {
  const arn = ARN_RE.exec(value);
  if (arn) return { ok: true, ref: { kind: "id", region: arn[2]!, apiId: arn[3]!, stage: arn[4]! } };
  const short = SHORT_RE.exec(value);
  if (short) return { ok: true, ref: { kind: "id", apiId: short[1]!, stage: short[2]! } };
  return invalid(value);
}

/** Parse the object form after the schema checked its shape. */
export function parseStageObject(o: {
  arn?: string;
  api_id?: string;
  api_name?: string;
  stage?: string;
}): StageRefResult {
  const given = [o.arn, o.api_id, o.api_name].filter((v) => v !== undefined).length;
  if (given !== 1) {
    return {
      ok: false,
      message: "A stage needs exactly one of `arn`, `api_id` or `api_name`.",
    };
  }
  if (o.arn !== undefined) {
    if (o.stage !== undefined) return { ok: false, message: "`stage` is part of the ARN; remove it." };
    return parseStageString(o.arn);
  }
  if (o.stage === undefined)
    return { ok: false, message: "`stage` is required with `api_id` or `api_name`." };
  if (!STAGE_NAME_RE.test(o.stage)) {
    return { ok: false, message: `Invalid stage name "${o.stage}": use letters, digits, '-' and '_'.` };
  }
  if (o.api_id !== undefined) {
    if (!API_ID_RE.test(o.api_id)) return { ok: false, message: `Invalid REST API id "${o.api_id}".` };
    return { ok: true, ref: { kind: "id", apiId: o.api_id, stage: o.stage } };
  }
  return { ok: true, ref: { kind: "name", apiName: o.api_name!, stage: o.stage } };
}

/** A stable identity for a reference, used to compare declarations before resolution. */
export function stageRefKey(ref: StageRef): string {
  return ref.kind === "id" ? `${ref.apiId}:${ref.stage}` : `name=${ref.apiName}:${ref.stage}`;
}

export function describeStageRef(ref: StageRef): string {
  return ref.kind === "id" ? `${ref.apiId}:${ref.stage}` : `${ref.apiName} (by name):${ref.stage}`;
}

// Per-method throttle keys: "/resource/path/METHOD"; the root resource is "//GET".
const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY", "*"];
const METHOD_KEY_RE = /^\/((?:[A-Za-z0-9._~{}+*-]+)(?:\/[A-Za-z0-9._~{}+*-]+)*)?\/([A-Z*]+)$/;

export function checkMethodKey(key: string): string | undefined {
  const m = METHOD_KEY_RE.exec(key);
  if (!m || !METHODS.includes(m[2]!)) {
    return `Invalid method throttle key "${key}": expected "/resource/path/METHOD" (e.g. "/pets/GET", "//GET" for the root resource), METHOD one of ${METHODS.join(", ")}.`;
  }
  return undefined;
}
