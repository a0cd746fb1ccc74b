// Loading plan files: discover, parse, check shape, convert to PlanSpec, then check the rules.

import { readdirSync, realpathSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { z } from "zod";
import type { PlanSpec, SourceLocation, StageSpec, ThrottleSettings, UpgConfig } from "../model/spec.js";
import { type Diagnostic, formatPath, sortDiagnostics } from "./diagnostics.js";
import { checkPlanRules, checkProjectRules } from "./rules.js";
import { type PlanFileDoc, planFileSchema } from "./schema.js";
import { parseStageObject, parseStageString, STAGE_REF_FORMATS } from "./stage-ref.js";
import { loadYamlFile, type YamlDoc } from "./yaml-source.js";
import { issuesToDiagnostics, withoutBadFields } from "./zod-issues.js";

export const DEFAULT_PLANS_DIR = "plans";

/** One plan document that passed the shape check, with what is needed to locate its fields. */
export interface LoadedPlan {
  spec: PlanSpec;
  raw: PlanFileDoc;
  file: string;
  doc: YamlDoc;
}

export interface LoadResult {
  plans: PlanSpec[];
  files: string[];
  diagnostics: Diagnostic[];
}

const YAML_EXT = /\.ya?ml$/i;

/**
 * Expand paths into YAML files: directories recursively (sorted), files as given. A file or directory reached
 * twice (named twice, or through a symlink) is read once; symlink loops end.
 */
export function discoverFiles(
  paths: readonly string[],
  exclude: readonly string[] = [],
): { files: string[]; diagnostics: Diagnostic[] } {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
  const seen = new Set<string>();
  const firstVisit = (path: string): boolean => {
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      real = path;
    }
    if (seen.has(real)) return false;
    seen.add(real);
    return true;
  };
  const visit = (path: string, fromDir: boolean) => {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(path);
    } catch (err) {
      diagnostics.push(unreadable(path, err));
      return;
    }
    if (!firstVisit(path)) return;
    if (st.isDirectory()) walk(path);
    else if ((!fromDir || YAML_EXT.test(path)) && !exclude.includes(path)) files.push(path);
  };
  const walk = (dir: string) => {
    let entries: string[];
    try {
      entries = readdirSync(dir).sort();
    } catch (err) {
      diagnostics.push(unreadable(dir, err));
      return;
    }
    for (const name of entries) {
      if (name.startsWith(".") || name === "node_modules") continue;
      visit(join(dir, name), true);
    }
  };
  for (const p of paths) visit(p, false);
  return { files, diagnostics };
}

function unreadable(path: string, err: unknown): Diagnostic {
  const code = (err as NodeJS.ErrnoException).code;
  const what = code === "ENOENT" ? "No such file or directory." : `Cannot read (${code ?? "error"}).`;
  return {
    severity: "error",
    code: "unreadable",
    file: path,
    line: 1,
    col: 1,
    path: "",
    message: what,
    hint: "Check the path; `upg validate` with no argument reads plans/ and upg.config.yaml.",
  };
}

function throttleOf(t: { rate_limit?: number; burst_limit?: number }): ThrottleSettings {
  const out: ThrottleSettings = {};
  if (t.rate_limit !== undefined) out.rateLimit = t.rate_limit;
  if (t.burst_limit !== undefined) out.burstLimit = t.burst_limit;
  return out;
}

/** Convert a shape-checked document to a PlanSpec; stage references that don't parse become diagnostics. */
function toPlanSpec(raw: PlanFileDoc, file: string, doc: YamlDoc, diags: Diagnostic[]): PlanSpec {
  const stages: StageSpec[] = [];
  (raw.stages ?? []).forEach((s, i) => {
    const path = ["stages", i];
    const pos = doc.locate(path);
    const res = typeof s === "string" ? parseStageString(s) : parseStageObject(s);
    if (!res.ok) {
      diags.push({
        severity: "error",
        code: "invalid_stage",
        file,
        ...pos,
        path: formatPath(path),
        message: res.message,
        hint: `Expected formats: ${STAGE_REF_FORMATS.join(" | ")}`,
      });
      return;
    }
    const methodThrottles: Record<string, ThrottleSettings> = {};
    if (typeof s !== "string") {
      for (const [k, v] of Object.entries(s.method_throttles ?? {})) methodThrottles[k] = throttleOf(v);
    }
    stages.push({ ref: res.ref, methodThrottles, index: i, source: { file, ...pos } });
  });
  const spec: PlanSpec = {
    planId: raw.plan_id,
    name: raw.name,
    stages,
    lifecycleState: raw.lifecycle_state ?? "Active",
    tags: raw.tags ?? {},
    source: { file, ...doc.locate([]) },
  };
  if (raw.description !== undefined) spec.description = raw.description;
  if (raw.tier !== undefined) spec.tier = raw.tier;
  if (raw.rate_limit !== undefined) spec.rateLimit = raw.rate_limit;
  if (raw.burst_limit !== undefined) spec.burstLimit = raw.burst_limit;
  if (raw.quota_limit !== undefined) spec.quotaLimit = raw.quota_limit;
  if (raw.quota_period !== undefined) spec.quotaPeriod = raw.quota_period;
  if (raw.quota_offset !== undefined) spec.quotaOffset = raw.quota_offset;
  if (raw.keys !== undefined) {
    spec.keys = raw.keys;
    spec.keySources = raw.keys.map((_, i) => ({ file, ...doc.locate(["keys", i]) }));
  }
  if (raw.successor !== undefined) spec.successor = raw.successor;
  if (raw.deletion_protection !== undefined) spec.deletionProtection = raw.deletion_protection;
  if (raw.regions !== undefined) spec.regions = [...new Set(raw.regions)];
  const fieldSources: Record<string, SourceLocation> = {};
  for (const field of Object.keys(raw)) fieldSources[field] = { file, ...doc.locate([field]) };
  spec.fieldSources = fieldSources;
  return spec;
}

const STAGE_ITEM_RE = /^stages\[\d+\]$/;

/** A stage that is neither a string nor a mapping gets the stage-format message. */
function explainStageShape(d: Diagnostic): Diagnostic {
  if (d.code !== "wrong_type" || !STAGE_ITEM_RE.test(d.path)) return d;
  return {
    ...d,
    code: "invalid_stage",
    message: `Invalid stage ARN format: ${d.message.replace(/^.*got /, "got ")}`,
    hint: `Expected formats: ${STAGE_REF_FORMATS.join(" | ")}`,
  };
}

/**
 * So that every problem is reported at once, the rules also run on what is left of a document after
 * the fields with shape errors are dropped (a bad stage is replaced by a unique placeholder so the
 * other stages keep their positions). The salvaged plan itself is not loaded.
 */
function checkSalvaged(
  doc: YamlDoc,
  issues: readonly z.core.$ZodIssue[],
  file: string,
  config: UpgConfig,
): Diagnostic[] {
  const value = withoutBadFields(doc.value, issues);
  if (!value) return [];
  const again = planFileSchema.safeParse(value);
  if (!again.success) return [];
  const ignored: Diagnostic[] = [];
  const found = checkPlanRules(
    { spec: toPlanSpec(again.data, file, doc, ignored), raw: again.data, file, doc },
    config,
  );
  // A rule about a field's counterpart would only echo the shape error (e.g. "burst_limit needs rate_limit"
  // when rate_limit was dropped for being negative).
  const dropped = new Set(issues.flatMap((i) => (typeof i.path[0] === "string" ? [i.path[0]] : [])));
  return found.filter((d) => !(FOLLOW_ON[d.code] ?? []).some((f) => dropped.has(f)));
}

/** Rule codes that are only a consequence of one of these fields having been dropped. */
const FOLLOW_ON: Readonly<Record<string, readonly string[]>> = {
  throttle_incomplete: ["rate_limit", "burst_limit", "stages"],
  burst_below_rate: ["rate_limit", "burst_limit"],
  quota_incomplete: ["quota_limit", "quota_period", "quota_offset"],
  no_stages: ["stages"],
};

/** Parse one file into plans. Empty documents between `---` are skipped; a file with none is an error. */
export function loadPlanFile(
  file: string,
  config: UpgConfig,
): { plans: LoadedPlan[]; diagnostics: Diagnostic[] } {
  const y = loadYamlFile(file);
  const diagnostics = [...y.diagnostics];
  const plans: LoadedPlan[] = [];
  let nonEmpty = 0;
  for (const doc of y.docs) {
    if (doc.value === null || doc.value === undefined) continue;
    nonEmpty++;
    if (typeof doc.value !== "object" || Array.isArray(doc.value)) {
      diagnostics.push({
        severity: "error",
        code: "wrong_type",
        file,
        ...doc.locate([]),
        path: "",
        message: "A plan document must be a mapping of fields (plan_id: …, name: …), not a scalar or a list.",
        hint: "Write one plan per YAML document; separate documents with `---`.",
      });
      continue;
    }
    const parsed = planFileSchema.safeParse(doc.value);
    if (!parsed.success) {
      const issues = issuesToDiagnostics(parsed.error.issues, { file, doc, schema: planFileSchema });
      diagnostics.push(...issues.map(explainStageShape));
      diagnostics.push(...checkSalvaged(doc, parsed.error.issues, file, config));
      continue;
    }
    const spec = toPlanSpec(parsed.data, file, doc, diagnostics);
    const loaded: LoadedPlan = { spec, raw: parsed.data, file, doc };
    diagnostics.push(...checkPlanRules(loaded, config));
    plans.push(loaded);
  }
  if (nonEmpty === 0 && y.diagnostics.length === 0) {
    diagnostics.push({
      severity: "error",
      code: "empty_file",
      file,
      line: 1,
      col: 1,
      path: "",
      message: "File holds no plan.",
      hint: "Add a plan (plan_id, name, …) or delete the file.",
    });
  }
  return { plans, diagnostics };
}

/** Load every plan under the given paths and check every rule. Never throws for bad input. */
export function loadSpecs(
  paths: readonly string[],
  config: UpgConfig,
  opts: { cwd?: string; exclude?: string[] } = {},
): LoadResult {
  const found = discoverFiles(paths, opts.exclude);
  const diagnostics = [...found.diagnostics];
  const loaded: LoadedPlan[] = [];
  for (const file of found.files) {
    const r = loadPlanFile(file, config);
    loaded.push(...r.plans);
    diagnostics.push(...r.diagnostics);
  }
  diagnostics.push(...checkProjectRules(loaded, config));
  const cwd = opts.cwd;
  const shown = cwd ? diagnostics.map((d) => ({ ...d, file: relative(cwd, d.file) || d.file })) : diagnostics;
  return { plans: loaded.map((l) => l.spec), files: found.files, diagnostics: sortDiagnostics(shown) };
}
