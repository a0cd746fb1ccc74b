// Loading plan files: discover, parse, check shape, convert to PlanSpec, then check the rules.

import { readdirSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import type { PlanSpec, StageSpec, ThrottleSettings, UpgConfig } from "../model/spec.js";
import { type Diagnostic, formatPath, sortDiagnostics } from "./diagnostics.js";
import { checkPlanRules, checkProjectRules } from "./rules.js";
import { type PlanFileDoc, planFileSchema } from "./schema.js";
import { parseStageObject, parseStageString, STAGE_REF_FORMATS } from "./stage-ref.js";
import { loadYamlFile, type YamlDoc } from "./yaml-source.js";
import { issuesToDiagnostics } from "./zod-issues.js";

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

/** Expand paths into YAML files: directories recursively (sorted), files as given. */
export function discoverFiles(
  paths: readonly string[],
  exclude: readonly string[] = [],
): { files: string[]; diagnostics: Diagnostic[] } {
  const files: string[] = [];
  const diagnostics: Diagnostic[] = [];
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
      const full = join(dir, name);
      let st: ReturnType<typeof statSync>;
      try {
        st = statSync(full);
      } catch (err) {
        diagnostics.push(unreadable(full, err));
        continue;
      }
      if (st.isDirectory()) walk(full);
      else if (YAML_EXT.test(name) && !exclude.includes(full)) files.push(full);
    }
  };
  for (const p of paths) {
    let st: ReturnType<typeof statSync>;
    try {
      st = statSync(p);
    } catch (err) {
      diagnostics.push(unreadable(p, err));
      continue;
    }
    if (st.isDirectory()) walk(p);
    else files.push(p);
  }
  return { files: [...new Set(files)], diagnostics };
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
  if (raw.keys !== undefined) spec.keys = raw.keys;
  if (raw.successor !== undefined) spec.successor = raw.successor;
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
  issues: readonly { path: readonly PropertyKey[] }[],
  file: string,
  config: UpgConfig,
): Diagnostic[] {
  const value = { ...(doc.value as Record<string, unknown>) };
  for (const issue of issues) {
    const [top, index] = issue.path;
    if (top === "stages" && typeof index === "number" && Array.isArray(value.stages)) {
      const stages = [...value.stages];
      stages[index] = `invalid${index}:placeholder`;
      value.stages = stages;
    } else if (typeof top === "string") {
      delete value[top];
    } else {
      return [];
    }
  }
  const again = planFileSchema.safeParse(value);
  if (!again.success) return [];
  const ignored: Diagnostic[] = [];
  return checkPlanRules(
    { spec: toPlanSpec(again.data, file, doc, ignored), raw: again.data, file, doc },
    config,
  );
}

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
