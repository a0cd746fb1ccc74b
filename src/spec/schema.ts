// The shape of plan files and of upg.config.yaml, in zod (strict: unknown fields are errors).
// Rules that span fields or files live in rules.ts; this file is only shape and ranges.

import { z } from "zod";
import { VIOLATION_TYPES, type ViolationType } from "../model/plan.js";
import { DURATION_FORMAT, describeMs, durationMs, TIMEOUT_BOUNDS } from "./duration.js";
import { parseStageObject, parseStageString, STAGE_REF_FORMATS } from "./stage-ref.js";

/**
 * What to write instead, for fields whose problems need more than the generic advice ("write a number").
 * zod-issues.ts looks a field's hint up here; it does not show in the JSON Schema.
 */
export const fieldHints = z.registry<{ hint: string }>();

function withHint<T extends z.ZodType>(schema: T, hint: string): T {
  fieldHints.add(schema, { hint });
  return schema;
}

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

/** AWS stores these as 32-bit integers. */
export const MAX_INT32 = 2147483647;
/**
 * The smallest non-zero rate (requests per second) a plan may declare. API Gateway takes any double, but
 * DynamoDB numbers stop at 1e-130 (a rate of 1e-300 is created in API Gateway and then fails every record
 * write), and a rate below one request in 1000 s throttles nothing a quota would not.
 */
export const MIN_RATE = 0.001;
export const MAX_RATE = MAX_INT32;

const RATE_HINT = `Use 0 (block all requests) or a rate between ${MIN_RATE} and ${MAX_RATE} requests per second.`;

/** A request rate: 0, or between MIN_RATE and MAX_RATE (a double, stored as a DynamoDB number). */
const rate = (what: string) =>
  withHint(z.number(), RATE_HINT)
    .min(0, { message: `${what} must be 0 or more` })
    .max(MAX_RATE, { message: `${what} must be at most ${MAX_RATE}` })
    .superRefine((v, ctx) => {
      if (v > 0 && v < MIN_RATE) {
        ctx.addIssue({
          code: "custom",
          message: `${what} ${v} is too small: a non-zero rate must be at least ${MIN_RATE} requests per second`,
          params: {
            code: "out_of_range",
            hint: `${RATE_HINT} Much smaller numbers cannot be stored in DynamoDB (magnitude 1e-130 and up).`,
          },
        });
      }
    });

/** Range checks first: 1e200 is "at most 2147483647", not "not a whole number". */
const nonNegativeInt = (what: string, hint = `Use a whole number from 0 to ${MAX_INT32}.`) =>
  withHint(
    z
      .number()
      .min(0, { message: `${what} must be 0 or more` })
      .max(MAX_INT32, { message: `${what} must be at most ${MAX_INT32}` })
      .int({ message: `${what} must be a whole number` }),
    hint,
  );

export const methodThrottleSchema = z
  .strictObject({
    rate_limit: rate("rate_limit").optional().describe("Steady requests per second for this method."),
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

/** An AWS region name, e.g. us-east-1. */
const PLAN_REGION_RE = /^[a-z]{2}(?:-[a-z]+)+-\d+$/;

export const PLAN_ID_RE = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;

export const planFileSchema = z
  .strictObject({
    plan_id: withHint(
      z.string().regex(PLAN_ID_RE, {
        message: "plan_id must be a slug: lower-case letters, digits and '-', 1-64 characters",
      }),
      "Use a slug such as premium-weather; it names the plan forever, so pick it with care.",
    ).describe("Stable slug naming the plan forever, e.g. premium-weather."),
    name: withHint(
      z.string().min(1).max(1024),
      "Give the display name, e.g. `name: Premium Weather` (1-1024 characters).",
    ).describe("Display name in API Gateway."),
    description: z.string().max(125000).optional().describe("Free text shown in API Gateway."),
    tier: z.string().min(1).optional().describe("Business tier: Free, Basic, Premium, Enterprise, ..."),
    rate_limit: rate("rate_limit").optional().describe("Steady requests per second (may be fractional)."),
    burst_limit: nonNegativeInt("burst_limit").optional().describe("Token bucket size (requests)."),
    quota_limit: nonNegativeInt("quota_limit").optional().describe("Requests allowed per quota_period."),
    quota_period: z.enum(["DAY", "WEEK", "MONTH"]).optional().describe("DAY, WEEK or MONTH."),
    quota_offset: nonNegativeInt("quota_offset", "Use 0 for DAY, 0-6 for WEEK, 0-27 for MONTH.")
      .optional()
      .describe("Days into the period the quota resets: DAY 0, WEEK 0-6, MONTH 0-27."),
    stages: z.array(stageSchema).optional().describe("API stages the plan covers."),
    keys: z
      .array(withHint(z.string().min(1), "Name each API key by its name or id, e.g. `keys: [partner-a]`."))
      .optional()
      .describe("Exact set of API keys (names or ids). Omit to observe whatever keys are attached."),
    lifecycle_state: z
      .enum(["Active", "Deprecated", "Archived"])
      .optional()
      .describe("Active (default), Deprecated (no new keys) or Archived (removed from API Gateway)."),
    successor: z.string().optional().describe("plan_id customers of a deprecated plan move to."),
    deletion_protection: z
      .boolean()
      .optional()
      .describe(
        "true: upg never deletes the plan (removing its file or archiving it is a problem). false: it is deleted even with API keys attached. Absent: deleting a plan with keys needs --allow-key-loss.",
      ),
    tags: z
      .record(
        z.string(),
        withHint(z.string(), 'Tag values are text: quote numbers and booleans, e.g. `team: "42"`.'),
      )
      .optional()
      .describe("Extra tags on the API Gateway plan."),
    regions: z
      .array(
        withHint(
          z.string().regex(PLAN_REGION_RE, { message: "not an AWS region name (e.g. us-east-1)" }),
          "Use AWS region names from upg.config.yaml, e.g. `regions: [us-east-1]`.",
        ),
      )
      .min(1, { message: "regions must name at least one region" })
      .optional()
      .describe(
        "Regions this plan lives in (default: every region of upg.config.yaml); in the project's other regions it is not declared.",
      ),
  })
  .describe("One upg usage plan.");

export type PlanFileDoc = z.infer<typeof planFileSchema>;

const severitySchema = z.enum(["LOW", "MEDIUM", "HIGH", "CRITICAL"]);
const REGION_RE = PLAN_REGION_RE;

const alertTargetSchema = z.discriminatedUnion("type", [
  z.strictObject({
    type: z.literal("sns"),
    topic_arn: withHint(
      z.string().startsWith("arn:"),
      "Use the SNS topic's ARN, e.g. arn:aws:sns:us-east-1:123456789012:upg-alerts.",
    ),
  }),
  z.strictObject({
    type: z.literal("webhook"),
    url: withHint(z.url(), "Write a full URL, e.g. https://hooks.example.com/upg."),
    format: withHint(
      z.enum(["json", "slack"]),
      "Use json (upg's alert document, the default) or slack (a Slack incoming webhook: { text }).",
    )
      .optional()
      .describe("json (default): upg's alert document; slack: a Slack-compatible { text } payload."),
  }),
  z.strictObject({
    type: z.literal("file"),
    path: withHint(z.string().min(1), "Name the file alerts are appended to, e.g. drift-alerts.jsonl."),
  }),
  z.strictObject({ type: z.literal("stdout") }),
]);

const positive = (what: string) => z.number().positive({ message: `${what} must be more than 0` });

/** DynamoDB table names: 3-255 characters of letters, digits, '_', '.' and '-'. */
export const TABLE_NAME_RE = /^[A-Za-z0-9_.-]{3,255}$/;
const tableName = withHint(
  z.string().regex(TABLE_NAME_RE, {
    message: "not a DynamoDB table name: 3-255 characters of letters, digits, '_', '.' and '-'",
  }),
  "Use 3-255 characters of letters, digits, '_', '.' and '-', e.g. usage-plans-metadata.",
);

/** AWS reserves tag keys starting with `aws:` (any case); keys are 1-128 characters. */
export function reservedTagKey(key: string): boolean {
  return key.toLowerCase().startsWith("aws:");
}

const ownershipTagKey = withHint(
  z.string(),
  "Use a tag key of your own, 1-128 characters, e.g. upg:plan-id (the default).",
)
  .min(1, { message: "ownership_tag_key must not be empty" })
  .max(128, { message: "ownership_tag_key must be at most 128 characters (AWS's limit for tag keys)" })
  .superRefine((v, ctx) => {
    if (reservedTagKey(v)) {
      ctx.addIssue({
        code: "custom",
        message: `ownership_tag_key \`${v}\` uses the prefix aws:, which AWS reserves for its own tags`,
        params: { code: "reserved_tag_key", hint: "Use a key of your own, e.g. upg:plan-id (the default)." },
      });
    }
  });

/**
 * A project name (`project:` in upg.config.yaml). It is written as the value of the `upg:project` tag and is
 * part of the lock item's key, so upg keeps to a conservative subset of what AWS allows in a tag value
 * (AWS: 0-256 characters of letters, digits, spaces and `_ . : / = + - @`): 1-63 characters, starting with a
 * letter or digit, then letters, digits and `_ . : / = + - @` (no spaces), and not `aws:` (AWS reserves that
 * prefix for tag keys and values).
 */
export const PROJECT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.:/=+@-]{0,62}$/;

const projectName = withHint(
  z.string(),
  "Use 1-63 characters: a letter or digit first, then letters, digits and _ . : / = + - @ (e.g. payments-team).",
).superRefine((v, ctx) => {
  if (PROJECT_NAME_RE.test(v) && !reservedTagKey(v)) return;
  const why =
    v.length === 0
      ? "must not be empty"
      : v.length > 63
        ? `is ${v.length} characters; upg allows at most 63`
        : reservedTagKey(v)
          ? "starts with aws:, which AWS reserves"
          : !/^[A-Za-z0-9]/.test(v)
            ? "must start with a letter or digit"
            : `contains ${JSON.stringify([...v].find((c) => !/[A-Za-z0-9_.:/=+@-]/.test(c)))}, which the upg:project tag cannot carry`;
  ctx.addIssue({
    code: "custom",
    message: `project ${JSON.stringify(v)} ${why}`,
    params: {
      code: "invalid_project",
      hint: "Use 1-63 characters: a letter or digit first, then letters, digits and _ . : / = + - @ (e.g. payments-team).",
    },
  });
});

/** A duration field: "3s", "500ms", "2m", or a number of seconds, within `bounds` (ms). */
const duration = (what: string, bounds: { min: number; max: number }) =>
  withHint(z.union([z.string(), z.number()]), `Write ${DURATION_FORMAT}.`).superRefine((v, ctx) => {
    const ms = durationMs(v);
    if (ms === undefined) {
      ctx.addIssue({
        code: "custom",
        message: `${what} must be ${DURATION_FORMAT}; got ${JSON.stringify(v)}`,
        params: { code: "invalid_duration", hint: `Write e.g. ${what}: 10s.` },
      });
    } else if (ms < bounds.min || ms > bounds.max) {
      ctx.addIssue({
        code: "custom",
        message: `${what} ${describeMs(ms)} is out of range (${describeMs(bounds.min)} to ${describeMs(bounds.max)})`,
        params: {
          code: "out_of_range",
          hint: `Use a duration between ${describeMs(bounds.min)} and ${describeMs(bounds.max)}.`,
        },
      });
    }
  });

/** quiet_period bounds (ms): a reminder at most every minute, at least every 30 days. */
export const QUIET_PERIOD_BOUNDS = { min: 60_000, max: 30 * 24 * 3_600_000 } as const;

/** Lock TTL bounds in seconds: long enough to cover a slow apply step, short enough that a crash heals. */
export const LOCK_TTL_BOUNDS = { min: 10, max: 86_400 } as const;

/** An IAM role ARN (`arn:aws:iam::123456789012:role/path/name`, also in the aws-cn and aws-us-gov partitions). */
export const ROLE_ARN_RE = /^arn:aws(?:-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;

/** An account's name in upg.config.yaml: what `--account` and every report line call it. */
export const ACCOUNT_NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/;

const regionName = withHint(
  z.string().regex(REGION_RE, { message: "not an AWS region name (e.g. us-east-1)" }),
  "Use AWS region names, e.g. `regions: [us-east-1, eu-west-1]`.",
);

/** How many things run at once: a whole number from 1 to 64 (`pacing`, `apply` and `fleet` each have one). */
const concurrency = (defaults: string) =>
  withHint(z.number(), `Use a whole number from 1 to 64 (${defaults}).`)
    .min(1, { message: "concurrency must be at least 1" })
    .max(64, { message: "concurrency must be at most 64" })
    .int({ message: "concurrency must be a whole number" });

const accountSchema = z.strictObject({
  name: withHint(
    z.string().regex(ACCOUNT_NAME_RE, { message: "not a valid account name" }),
    "Use 1-63 characters: a letter or digit first, then letters, digits, _ . - (e.g. payments-prod).",
  ).describe("The account's name in reports and for `--account NAME`."),
  role_arn: withHint(
    z.string().regex(ROLE_ARN_RE, { message: "not an IAM role ARN" }),
    "Write the role's full ARN, e.g. arn:aws:iam::123456789012:role/upg-deployer.",
  ).describe("The role upg assumes (STS AssumeRole) to work in this account."),
  external_id: withHint(
    z.string().min(2).max(1224),
    "Use the external id the role's trust policy requires (2-1224 characters).",
  )
    .optional()
    .describe("ExternalId passed to AssumeRole, when the role's trust policy requires one."),
  session_name: withHint(
    z.string().regex(/^[\w+=,.@-]{2,64}$/, { message: "not a valid role session name" }),
    "Use 2-64 characters: letters, digits and _ + = , . @ - (default upg-<user>).",
  )
    .optional()
    .describe("RoleSessionName (default upg-<user>); it shows in CloudTrail."),
  regions: z
    .array(regionName)
    .min(1)
    .optional()
    .describe("Regions of this account (default: the top-level `regions`)."),
});

export const configFileSchema = z
  .strictObject({
    regions: z
      .array(regionName)
      .min(1)
      .optional()
      .describe("Regions this project manages: plan, apply, drift and status cover each of them."),
    accounts: z
      .array(accountSchema)
      .min(1)
      .superRefine((list, ctx) => {
        const seen = new Map<string, number>();
        list.forEach((a, i) => {
          const first = seen.get(a.name);
          if (first === undefined) {
            seen.set(a.name, i);
            return;
          }
          ctx.addIssue({
            code: "custom",
            path: [i, "name"],
            message: `account name \`${a.name}\` is already used by accounts[${first}]`,
            params: { code: "duplicate_account", hint: "Give every account its own name." },
          });
        });
      })
      .optional()
      .describe(
        "Accounts one run covers, each through a role upg assumes (STS AssumeRole); absent: the current credentials' account.",
      ),
    tables: z
      .strictObject({
        metadata: tableName.optional().describe("Master records table (default usage-plans-metadata)."),
        audit: tableName.optional().describe("Audit log table (default usage-plans-audit)."),
      })
      .optional()
      .describe("DynamoDB table names."),
    ownership_tag_key: ownershipTagKey
      .optional()
      .describe("Tag key upg writes on plans it owns (value: the plan_id)."),
    project: projectName
      .optional()
      .describe(
        "The project this repository manages when several share an account and upg's tables: plans upg creates or adopts carry it as the upg:project tag, records carry it, and a run sees only its project's plans (default: none).",
      ),
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
      .strictObject({
        targets: z.array(alertTargetSchema).optional(),
        quiet_period: duration("quiet_period", QUIET_PERIOD_BOUNDS)
          .optional()
          .describe("How long a still-open violation stays quiet before it is alerted again (default 24h)."),
      })
      .optional()
      .describe("Where drift alerts go, and how often a violation that stays open is repeated."),
    auto_fix: z
      .strictObject({
        enabled: z.boolean().optional(),
        max_severity: severitySchema.optional(),
        violation_types: withHint(
          z.array(z.enum(VIOLATION_TYPES as [ViolationType, ...ViolationType[]])),
          `List violation types, e.g. [rate_limit_changed, plan_deleted]; one of: ${VIOLATION_TYPES.join(", ")}.`,
        )
          .optional()
          .describe("Only these violation types are repaired (default: every auto-fixable type)."),
      })
      .optional()
      .describe("Which drift `upg drift --fix` may repair without asking."),
    pacing: z
      .strictObject({
        requests_per_second: withHint(z.number(), "Use 0.01-100000 (AWS allows 10 per second per account).")
          .min(0.01, { message: "requests_per_second must be at least 0.01" })
          .max(100_000, { message: "requests_per_second must be at most 100000" })
          .optional(),
        burst: withHint(z.number(), "Use 1-100000 (AWS allows a burst of 40).")
          .min(1, { message: "burst must be at least 1" })
          .max(100_000, { message: "burst must be at most 100000" })
          .optional(),
        update_usage_plan_interval_ms: withHint(
          z.number(),
          "Use a whole number of milliseconds, 0-3600000 (AWS: one UpdateUsagePlan every 20000 ms).",
        )
          .min(0, { message: "update_usage_plan_interval_ms must be 0 or more" })
          .max(3_600_000, { message: "update_usage_plan_interval_ms must be at most 3600000 (one hour)" })
          .int({ message: "update_usage_plan_interval_ms must be a whole number of milliseconds" })
          .optional(),
        concurrency: concurrency("default 4").optional(),
        headroom: withHint(
          z.number(),
          "Use a fraction from 0 up to (not including) 1, e.g. 0.1 to pace at 90% of the limits (default 0.1).",
        )
          .min(0, { message: "headroom must be 0 or more" })
          .lt(1, { message: "headroom must be less than 1" })
          .optional()
          .describe(
            "Share of requests_per_second and burst left unused, so that network jitter or another tool does not " +
              "provoke a 429 (default 0.1: 9 requests/s, burst 36). The UpdateUsagePlan interval is kept as is.",
          ),
      })
      .optional()
      .describe("Control-plane pacing; defaults are AWS's published limits, paced 10% under them."),
    apply: z
      .strictObject({
        concurrency: concurrency("default 8; 1 runs one change at a time")
          .optional()
          .describe(
            "How many plans' changes `upg apply` runs at once within one step of its order (default 8); each plan's own changes stay in order, and every call is paced.",
          ),
      })
      .optional()
      .describe("How apply runs its changes."),
    fleet: z
      .strictObject({
        concurrency: concurrency("default 8")
          .optional()
          .describe(
            "Account-regions a run works on side by side (default 8); each is paced on its own, so a fleet takes about as long as its slowest account-region when this covers all of them.",
          ),
      })
      .optional()
      .describe("Runs over several account-regions."),
    lock: z
      .strictObject({
        ttl_seconds: withHint(
          z.number(),
          `Use a whole number of seconds from ${LOCK_TTL_BOUNDS.min} to ${LOCK_TTL_BOUNDS.max} (default 900).`,
        )
          .min(LOCK_TTL_BOUNDS.min, { message: `ttl_seconds must be at least ${LOCK_TTL_BOUNDS.min}` })
          .max(LOCK_TTL_BOUNDS.max, {
            message: `ttl_seconds must be at most ${LOCK_TTL_BOUNDS.max} (24 hours)`,
          })
          .int({ message: "ttl_seconds must be a whole number of seconds" })
          .optional()
          .describe("How long an apply's lock lives without renewal (seconds, default 900)."),
      })
      .optional()
      .describe("The lock that keeps two applies apart."),
    timeouts: z
      .strictObject({
        connect: duration("connect", TIMEOUT_BOUNDS.connect)
          .optional()
          .describe("How long to wait for a connection to AWS (default 3s)."),
        request: duration("request", TIMEOUT_BOUNDS.request)
          .optional()
          .describe(
            "How long one attempt of an AWS call may take in all (default 10s; --timeout overrides).",
          ),
      })
      .optional()
      .describe("Timeouts of every API Gateway, DynamoDB and STS call, e.g. { connect: 3s, request: 10s }."),
  })
  .superRefine((doc, ctx) => sameAccountTwice(doc, ctx))
  .describe("upg project file (upg.config.yaml).");

export type ConfigFileDoc = z.infer<typeof configFileSchema>;

/**
 * Two `accounts:` entries for one AWS account (the account id in their role ARNs) in a shared region would plan and
 * apply that account-region twice, each run locking out the other: refused at the second entry.
 */
function sameAccountTwice(
  doc: {
    regions?: string[] | undefined;
    accounts?: Array<{ name: string; role_arn: string; regions?: string[] | undefined }> | undefined;
  },
  ctx: z.RefinementCtx,
): void {
  const accounts = doc.accounts ?? [];
  const idOf = (arn: string) => /:iam::(\d{12}):/.exec(arn)?.[1];
  const regionsOf = (a: { regions?: string[] | undefined }) => a.regions ?? doc.regions ?? ["us-east-1"];
  accounts.forEach((a, j) => {
    const id = idOf(a.role_arn);
    if (!id) return;
    const i = accounts.findIndex(
      (b, k) => k < j && idOf(b.role_arn) === id && regionsOf(b).some((r) => regionsOf(a).includes(r)),
    );
    if (i < 0) return;
    const shared = regionsOf(a).filter((r) => regionsOf(accounts[i]!).includes(r));
    ctx.addIssue({
      code: "custom",
      path: ["accounts", j, "role_arn"],
      message: `account ${a.name} is AWS account ${id}, as ${accounts[i]!.name} (accounts[${i}]) is, in ${shared.join(", ")}: one run would plan and apply it twice`,
      params: {
        code: "duplicate_account_id",
        hint: "Keep one entry per AWS account and region: merge the two, or give each its own `regions:`.",
      },
    });
  });
}
