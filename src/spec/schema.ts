// The shape of plan files and of upg.config.yaml, in zod (strict: unknown fields are errors).
// Rules that span fields or files live in rules.ts; this file is only shape and ranges.

import { z } from "zod";
import { parseStageObject, parseStageString, STAGE_REF_FORMATS } from "./stage-ref.js";

/** Stage references are checked inside the schema so their errors come with every other one. */
function stageRefIssue(res: { ok: boolean; message?: string }, ctx: z.RefinementCtx): void {
  if (!res.ok) {
    ctx.addIssue({
      code: "custom",
      message: res.message ?? "Invalid stage reference",
      params: { code: "invalid_stage", hint: `Expected formats: ${STAGE_REF_FORMATS.join(" | ")}` },
    });
  }
}

const nonNegative = (what: string) => z.number().min(0, { message: `${what} must be 0 or more` });
/** AWS stores these as 32-bit integers. */
export const MAX_INT32 = 2147483647;

const nonNegativeInt = (what: string) =>
  z
    .number()
    .int({ message: `${what} must be a whole number` })
    .min(0, { message: `${what} must be 0 or more` })
    .max(MAX_INT32, { message: `${what} must be at most ${MAX_INT32}` });

export const methodThrottleSchema = z
  .strictObject({
    rate_limit: nonNegative("rate_limit").optional().describe("Steady requests per second for this method."),
    burst_limit: nonNegativeInt("burst_limit").optional().describe("Bucket size for this method."),
  })
  .describe("Throttle for one method of the stage.");

export const stageObjectSchema = z
  .strictObject({
    arn: z.string().optional().describe("arn:aws:apigateway:REGION::/restapis/API_ID/stages/STAGE"),
    api_id: z.string().min(1).optional().describe("REST API id (differs between accounts)."),
    api_name: z.string().min(1).optional().describe("REST API name, resolved against live API Gateway."),
    stage: z.string().min(1).optional().describe("Stage name, e.g. prod."),
    method_throttles: z
      .record(z.string(), methodThrottleSchema)
      .optional()
      .describe('Per-method throttles keyed "/resource/path/METHOD", e.g. "/forecast/GET".'),
  })
  .describe("A stage with per-method throttles, or referenced by REST API name.")
  .superRefine((o, ctx) => stageRefIssue(parseStageObject(o), ctx));

export const stageSchema = z
  .union([
    z
      .string()
      .describe("arn:aws:apigateway:REGION::/restapis/API_ID/stages/STAGE or API_ID:STAGE")
      .superRefine((v, ctx) => stageRefIssue(parseStageString(v), ctx)),
    stageObjectSchema,
  ])
  .describe("An API stage the plan covers.");

export const PLAN_ID_RE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export const planFileSchema = z
  .strictObject({
    plan_id: z
      .string()
      .regex(PLAN_ID_RE, {
        message: "plan_id must be a slug: lower-case letters, digits and '-', 1-64 characters",
      })
      .describe("Stable slug naming the plan forever, e.g. premium-weather."),
    name: z.string().min(1).max(1024).describe("Display name in API Gateway."),
    description: z.string().max(125000).optional().describe("Free text shown in API Gateway."),
    tier: z.string().min(1).optional().describe("Business tier: Free, Basic, Premium, Enterprise, ..."),
    rate_limit: nonNegative("rate_limit")
      .optional()
      .describe("Steady requests per second (may be fractional)."),
    burst_limit: nonNegativeInt("burst_limit").optional().describe("Token bucket size (requests)."),
    quota_limit: nonNegativeInt("quota_limit").optional().describe("Requests allowed per quota_period."),
    quota_period: z.enum(["DAY", "WEEK", "MONTH"]).optional().describe("DAY, WEEK or MONTH."),
    quota_offset: nonNegativeInt("quota_offset")
      .optional()
      .describe("Days into the period the quota resets: DAY 0, WEEK 0-6, MONTH 0-27."),
    stages: z.array(stageSchema).optional().describe("API stages the plan covers."),
    keys: z
      .array(z.string().min(1))
      .optional()
      .describe("Exact set of API keys (names or ids). Omit to observe whatever keys are attached."),
    lifecycle_state: z
      .enum(["Active", "Deprecated", "Archived"])
      .optional()
      .describe("Active (default), Deprecated (no new keys) or Archived (removed from API Gateway)."),
    successor: z.string().optional().describe("plan_id customers of a deprecated plan move to."),
    tags: z.record(z.string(), z.string()).optional().describe("Extra tags on the API Gateway plan."),
  })
  .describe("One upg usage plan.");

export type PlanFileDoc = z.infer<typeof planFileSchema>;

const severitySchema = z.enum(["LOW", "MEDIUM", "HIGH", "CRITICAL"]);
const REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

const alertTargetSchema = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("sns"), topic_arn: z.string().startsWith("arn:") }),
  z.strictObject({ type: z.literal("webhook"), url: z.url() }),
  z.strictObject({ type: z.literal("file"), path: z.string().min(1) }),
  z.strictObject({ type: z.literal("stdout") }),
]);

const positive = (what: string) => z.number().positive({ message: `${what} must be more than 0` });

export const configFileSchema = z
  .strictObject({
    regions: z
      .array(z.string().regex(REGION_RE, { message: "not an AWS region name (e.g. us-east-1)" }))
      .min(1)
      .optional()
      .describe("Regions this project manages; the first is the default."),
    tables: z
      .strictObject({
        metadata: z.string().min(3).max(255).optional(),
        audit: z.string().min(3).max(255).optional(),
      })
      .optional()
      .describe("DynamoDB table names."),
    ownership_tag_key: z
      .string()
      .min(1)
      .max(128)
      .optional()
      .describe("Tag key upg writes on plans it owns (value: the plan_id)."),
    policy: z
      .strictObject({
        max_rate_limit: positive("max_rate_limit").optional(),
        max_burst_limit: positive("max_burst_limit").optional(),
        max_quota_limit: positive("max_quota_limit").optional(),
        require_quota: z.boolean().optional(),
      })
      .optional()
      .describe("Limits every plan must respect."),
    alerts: z
      .strictObject({ targets: z.array(alertTargetSchema).optional() })
      .optional()
      .describe("Where drift alerts go."),
    auto_fix: z
      .strictObject({ enabled: z.boolean().optional(), max_severity: severitySchema.optional() })
      .optional()
      .describe("Which drift `upg drift --fix` may repair without asking."),
    pacing: z
      .strictObject({
        requests_per_second: positive("requests_per_second").optional(),
        burst: positive("burst").optional(),
        update_usage_plan_interval_ms: z.number().min(0).optional(),
        concurrency: z.number().int().min(1).max(64).optional(),
      })
      .optional()
      .describe("Control-plane pacing; defaults are AWS's published limits."),
    lock: z.strictObject({ ttl_seconds: positive("ttl_seconds").optional() }).optional(),
  })
  .describe("upg project file (upg.config.yaml).");

export type ConfigFileDoc = z.infer<typeof configFileSchema>;
