// Saved plans (`upg plan --out FILE`, `upg apply FILE`) are checked, not trusted. A saved plan carries what
// it was made for (region, account, tables, project, a hash of the plan files and config it was computed
// from) and a checksum of its own content. apply reads it through a schema (a malformed plan is a clear
// error, never a crash), refuses it when it was edited, made elsewhere or made from other inputs, and
// finally when it no longer equals the plan computed now (see `staleReason`).

import { readFileSync, statSync } from "node:fs";
import { relative, resolve } from "node:path";
import { z } from "zod";
import { errorMessage, UserError } from "../errors.js";
import { PLAN_FORMAT_VERSION, type Plan, type PlanProvenance } from "../model/plan.js";
import type { PlanSpec, UpgConfig } from "../model/spec.js";
import { canonicalJson, sha256Hex } from "../store/canonical.js";
import { staleReason } from "./make-plan.js";

/** A plan as `upg plan --out` writes it: provenance and checksum always present. */
export type SavedPlan = Plan & { provenance: PlanProvenance; checksum: string };

/** A saved plan bigger than this is not one upg wrote. */
const MAX_SAVED_PLAN_BYTES = 64 * 1024 * 1024;

function makeAgain(file: string): string {
  return `Make a new one with \`upg plan --out ${file}\` and review it.`;
}

// ---------------------------------------------------------------------------------------------- provenance

/** The 12-digit account id in an IAM or STS ARN (`arn:aws:iam::123456789012:user/x`), else null. */
export function accountFromArn(arn: string | undefined): string | null {
  const m = /^arn:[^:]+:[^:]+:[^:]*:(\d{12}):/.exec(arn ?? "");
  return m ? m[1]! : null;
}

/** The config's `project` field, when the config has one. */
function projectOf(config: UpgConfig): string | null {
  const project = (config as UpgConfig & { project?: unknown }).project;
  return typeof project === "string" && project !== "" ? project : null;
}

/**
 * The files a plan over `targets` is computed from: the files declaring the plans in scope (every loaded
 * file when there are no targets) and the config file when there is one. Paths are relative to `cwd`.
 */
export function planInputFiles(
  specs: readonly PlanSpec[],
  config: UpgConfig,
  targets: readonly string[],
  cwd: string = process.cwd(),
): { path: string; role: "plan" | "config" }[] {
  const rel = (f: string) => relative(cwd, resolve(cwd, f)) || f;
  const inScope = specs.filter((s) => targets.length === 0 || targets.includes(s.planId));
  const plans = [...new Set(inScope.map((s) => rel(s.source.file)))].map((path) => ({
    path,
    role: "plan" as const,
  }));
  const files = config.source ? [...plans, { path: rel(config.source), role: "config" as const }] : plans;
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** sha256 over the files' paths, roles and contents, in path order. */
export function inputsHash(
  files: readonly { path: string; role: string }[],
  cwd: string = process.cwd(),
): string {
  const entries = files.map((f) => {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, f.path), "utf8");
    } catch (err) {
      throw new UserError(`Cannot read ${f.path} to fingerprint the plan's inputs: ${errorMessage(err)}`, {
        hint: "Check that the plan files and upg.config.yaml are readable, and run again.",
      });
    }
    return { path: f.path, role: f.role, sha256: sha256Hex(text) };
  });
  return sha256Hex(canonicalJson(entries));
}

export interface ProvenanceSource {
  region: string;
  /** The caller identity ARN (`deps.live.callerIdentity()`); anything that is not an ARN means unknown. */
  callerArn: string | undefined;
  config: UpgConfig;
  specs: readonly PlanSpec[];
  targets: readonly string[];
  cwd?: string;
}

/** What a plan computed now is made for. */
export function makeProvenance(src: ProvenanceSource): PlanProvenance {
  const cwd = src.cwd ?? process.cwd();
  return {
    region: src.region,
    account: accountFromArn(src.callerArn),
    tables: { metadata: src.config.tables.metadata, audit: src.config.tables.audit },
    project: projectOf(src.config),
    inputs_hash: inputsHash(planInputFiles(src.specs, src.config, src.targets, cwd), cwd),
  };
}

/** sha256 of the canonical JSON of a plan document without its `checksum` field. */
export function planChecksum(doc: object): string {
  return sha256Hex(canonicalJson({ ...doc, checksum: undefined }));
}

/** The plan as it is saved: with its provenance and the checksum over both. */
export function sealPlan(plan: Plan, provenance: PlanProvenance): SavedPlan {
  const { checksum: _old, ...rest } = plan;
  const doc = { ...rest, provenance };
  return { ...doc, checksum: planChecksum(doc) };
}

// ---------------------------------------------------------------------------------------------- schema

const str = z.string();
const id = z.string().min(1);
const num = z.number();
const throttleSchema = z.object({ rateLimit: num.optional(), burstLimit: num.optional() });
const settingsSchema = z.object({
  name: str,
  description: str.optional(),
  throttle: throttleSchema.optional(),
  quota: z.object({ limit: num, period: z.enum(["DAY", "WEEK", "MONTH"]), offset: num }).optional(),
  stages: z.array(z.object({ apiId: id, stage: id, throttle: z.record(str, throttleSchema) })),
  tags: z.record(str, str),
});
const lifecycleSchema = z.enum(["Active", "Deprecated", "Archived"]);
const desiredSchema = z.object({
  planId: id,
  tier: str.optional(),
  lifecycleState: lifecycleSchema,
  successor: str.optional(),
  settings: settingsSchema,
  keys: z.array(id).optional(),
  deletionProtection: z.boolean().optional(),
});
const recordSchema = z.object({
  plan_id: id,
  name: str,
  lifecycle_state: lifecycleSchema,
  stages: z.array(z.object({ api_id: id, stage: id })),
  keys: z.array(id),
  keys_declared: z.boolean(),
  api_gateway_id: id.optional(),
  version: z.number().int().min(0),
  lineage: z.array(z.object({ api_gateway_id: id })),
});

/** Which actions exist for which resource, and which fields each must carry to be run. */
const ACTIONS: Record<string, readonly string[]> = {
  plan: ["create", "recreate", "adopt", "update", "delete", "noop"],
  key: ["attach", "detach", "noop"],
  record: ["sync", "noop"],
};
const REQUIRED: Record<string, readonly ("apiGatewayId" | "keyId" | "desired" | "live")[]> = {
  create: ["desired"],
  recreate: ["desired"],
  adopt: ["apiGatewayId", "desired", "live"],
  update: ["apiGatewayId", "desired", "live"],
  delete: ["apiGatewayId"],
  attach: ["keyId"],
  detach: ["keyId"],
  sync: ["desired"],
};

const changeSchema = z
  .object({
    id,
    action: z.enum(["create", "update", "recreate", "delete", "attach", "detach", "sync", "noop", "adopt"]),
    resource: z.enum(["plan", "key", "record"]),
    planId: id,
    apiGatewayId: id.optional(),
    keyId: id.optional(),
    keyName: str.optional(),
    // A field added has no `before`, a field removed no `after` (JSON drops undefined).
    fields: z
      .array(z.object({ field: id, before: z.unknown().optional(), after: z.unknown().optional() }))
      .optional(),
    desired: desiredSchema.optional(),
    record: recordSchema.optional(),
    live: settingsSchema.optional(),
    keys: z.array(id).optional(),
    lostKeys: z.array(z.object({ id, name: str.optional() })).optional(),
    reason: str.optional(),
  })
  .superRefine((c, ctx) => {
    if (!ACTIONS[c.resource]!.includes(c.action)) {
      ctx.addIssue({
        code: "custom",
        path: ["action"],
        message: `"${c.action}" is not an action on a ${c.resource} (one of ${ACTIONS[c.resource]!.join(", ")})`,
      });
      return;
    }
    for (const field of REQUIRED[c.action] ?? []) {
      if (c[field] === undefined)
        ctx.addIssue({
          code: "custom",
          path: [field],
          message: `is missing (every ${c.action} change needs it)`,
        });
    }
  });

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, { message: "is not a sha256 hex digest" });

const savedPlanSchema = z
  .object({
    format_version: z.literal(PLAN_FORMAT_VERSION),
    created_at: str,
    region: id,
    targets: z.array(id),
    changes: z.array(changeSchema),
    desired: z.array(desiredSchema),
    live_keys: z.record(str, z.array(id)),
    violations: z.array(
      z.object({ violation_type: id, severity: z.enum(["LOW", "MEDIUM", "HIGH", "CRITICAL"]) }),
    ),
    problems: z.array(z.object({ code: id, planId: str, message: str })),
    fingerprint: z.object({ live: str, records: z.record(str, z.number().int().min(0)) }),
    provenance: z.object({
      region: id,
      account: z
        .string()
        .regex(/^\d{12}$/, { message: "is not a 12-digit AWS account id" })
        .nullable(),
      tables: z.object({ metadata: id, audit: id }),
      project: str.nullable(),
      inputs_hash: hex64,
    }),
    checksum: hex64,
  })
  .superRefine((p, ctx) => {
    const seen = new Set<string>();
    p.changes.forEach((c, i) => {
      if (seen.has(c.id))
        ctx.addIssue({ code: "custom", path: ["changes", i, "id"], message: `repeats the id "${c.id}"` });
      seen.add(c.id);
    });
  });

// ---------------------------------------------------------------------------------------------- parse

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : out === "" ? String(p) : `.${String(p)}`;
  return out;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[String(seg)];
  }
  return v;
}

function describeValue(v: unknown): string {
  if (v === undefined) return "nothing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "an object";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const EXPECTED: Record<string, string> = {
  string: "a string",
  number: "a number",
  int: "a whole number",
  boolean: "true or false",
  array: "a list",
  object: "an object",
  record: "an object",
};

function describeIssue(issue: z.core.$ZodIssue, root: unknown): string {
  const where = issue.path.length > 0 ? `\`${formatPath(issue.path)}\`` : "the document";
  const value = valueAt(root, issue.path);
  switch (issue.code) {
    case "invalid_type":
      return value === undefined
        ? `${where} is missing`
        : `${where} must be ${EXPECTED[issue.expected] ?? issue.expected}, not ${describeValue(value)}`;
    case "invalid_value":
      return `${where} must be ${issue.values.map((v) => JSON.stringify(v)).join(" or ")}, not ${describeValue(value)}`;
    case "invalid_format":
    case "custom":
      return `${where} ${issue.message}`;
    default:
      return `${where}: ${issue.message}`;
  }
}

/**
 * Parse a saved plan document. Anything but a plan `upg plan --out` wrote, unedited, in this format version
 * is a UserError naming what is wrong.
 */
export function parseSavedPlan(text: string, file: string): SavedPlan {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UserError(`Cannot read the saved plan ${file}: it is not JSON (${errorMessage(err)}).`, {
      hint: `A saved plan is the JSON file \`upg plan --out FILE\` writes. ${makeAgain(file)}`,
    });
  }
  if (doc === null || typeof doc !== "object" || Array.isArray(doc)) {
    throw new UserError(`${file} is not a upg plan: it holds ${describeValue(doc)}, not a plan object.`, {
      hint: makeAgain(file),
    });
  }
  const version = (doc as { format_version?: unknown }).format_version;
  if (typeof version !== "number") {
    throw new UserError(`${file} is not a upg plan: it has no numeric \`format_version\`.`, {
      hint: makeAgain(file),
    });
  }
  if (version !== PLAN_FORMAT_VERSION) {
    const who = version < PLAN_FORMAT_VERSION ? "an older" : "a newer";
    throw new UserError(
      `The saved plan ${file} was made by ${who} upg (plan format ${version}; this upg applies format ${PLAN_FORMAT_VERSION}).`,
      { hint: `Plans are not converted between upg versions. ${makeAgain(file)}` },
    );
  }
  const parsed = savedPlanSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const shown = issues.slice(0, 3).map((i) => describeIssue(i, doc));
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
    throw new UserError(`The saved plan ${file} is not a valid upg plan: ${shown.join("; ")}${more}.`, {
      hint: `It was edited or damaged. ${makeAgain(file)}`,
    });
  }
  const saved = doc as SavedPlan;
  if (planChecksum(saved) !== saved.checksum) {
    throw new UserError(
      `The saved plan ${file} was edited after it was saved: its checksum does not match its content.`,
      { hint: `A saved plan is applied exactly as it was made, or not at all. ${makeAgain(file)}` },
    );
  }
  return saved;
}

/** Read and parse a saved plan file; only a regular file of a sensible size is read. */
export function readSavedPlanFile(file: string): SavedPlan {
  let text: string;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new Error("not a regular file");
    if (st.size > MAX_SAVED_PLAN_BYTES) throw new Error(`${st.size} bytes is too large for a saved plan`);
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`Cannot read the saved plan ${file}: ${errorMessage(err)}`, {
      hint: `Give apply the file \`upg plan --out FILE\` wrote. ${makeAgain(file)}`,
    });
  }
  return parseSavedPlan(text, file);
}

// ---------------------------------------------------------------------------------------------- check

export interface SavedPlanContext {
  /** The saved plan's file name, for messages. */
  file: string;
  /** What a plan made now, in this project, would be made for (`makeProvenance`). */
  provenance: PlanProvenance;
  /** The plan computed now over the saved plan's targets. */
  current: Plan;
}

/** Why the saved plan was made for somewhere else, or undefined when it was made for here. */
export function provenanceMismatch(saved: PlanProvenance, now: PlanProvenance): string | undefined {
  if (saved.project !== now.project) {
    const name = (p: string | null) =>
      p === null ? "no project (upg.config.yaml has no `project`)" : `project "${p}"`;
    return `it was made for ${name(saved.project)}, and this is ${name(now.project)}`;
  }
  if (saved.account !== null && now.account !== null && saved.account !== now.account)
    return `it was made for AWS account ${saved.account}, and the credentials in use are for account ${now.account}`;
  if (saved.region !== now.region)
    return `it was made for region ${saved.region}, and this run is for ${now.region}`;
  if (saved.tables.metadata !== now.tables.metadata || saved.tables.audit !== now.tables.audit) {
    return `it was made for the tables ${saved.tables.metadata} and ${saved.tables.audit}, and this project uses ${now.tables.metadata} and ${now.tables.audit}`;
  }
  return undefined;
}

/**
 * Refuse (UserError, exit 1) a saved plan made for another project, account, region or tables, one made from
 * other plan files or config, and one that no longer equals the plan computed now.
 */
export function checkSavedPlan(saved: SavedPlan, ctx: SavedPlanContext): void {
  const elsewhere = provenanceMismatch(saved.provenance, ctx.provenance);
  if (elsewhere) {
    throw new UserError(`The saved plan ${ctx.file} was not made here: ${elsewhere}.`, {
      hint: `Apply a plan in the project, account and region it was made for. ${makeAgain(ctx.file)}`,
    });
  }
  const why =
    saved.provenance.inputs_hash !== ctx.provenance.inputs_hash
      ? "the plan files or upg.config.yaml changed since it was made"
      : staleReason(saved, ctx.current);
  if (why) {
    throw new UserError(`The saved plan ${ctx.file} is stale: ${why}.`, { hint: makeAgain(ctx.file) });
  }
}
