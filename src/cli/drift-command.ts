// `upg drift`: read live API Gateway and the master records, report every violation. Writes nothing to
// API Gateway. Printing, GitHub integration and exit codes live here; the report is built in src/diff.

import { appendFileSync, existsSync } from "node:fs";
import { relative } from "node:path";
import { makePlan } from "../apply/make-plan.js";
import { buildDriftReport, driftExitCode } from "../diff/drift-report.js";
import { errorMessage, UserError } from "../errors.js";
import type { DriftReport } from "../model/drift.js";
import { SEVERITY_ORDER, type Severity } from "../model/plan.js";
import {
  renderDriftAnnotations,
  renderDriftHuman,
  renderDriftJson,
  renderDriftMarkdown,
  renderDriftSarif,
} from "../render/drift.js";
import { openDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { VERSION } from "./main.js";
import { type Io, styleFor } from "./output.js";
import { loadProject, scopeTargets } from "./project.js";
import { checkTargets } from "./reconcile.js";
import { startSpinner } from "./spinner.js";

export interface DriftCommandOptions {
  global: GlobalOptions;
  plans?: string[];
  targets: string[];
  output: string;
  failOn: string;
  failOnPending: boolean;
}

type DriftFormat = "human" | "json" | "markdown" | "sarif";
const FORMATS: readonly DriftFormat[] = ["human", "json", "markdown", "sarif"];

function parseSeverity(value: string): Severity {
  const v = value.toUpperCase() as Severity;
  if (!SEVERITY_ORDER.includes(v)) {
    throw new UserError(`Unknown severity "${value}" for --fail-on.`, {
      hint: `Use one of: ${SEVERITY_ORDER.join(", ")}.`,
    });
  }
  return v;
}

function parseDriftFormat(value: string): DriftFormat {
  if (!FORMATS.includes(value as DriftFormat)) {
    throw new UserError(`Unknown output format "${value}".`, { hint: `Use one of: ${FORMATS.join(", ")}.` });
  }
  return value as DriftFormat;
}

/** Plan-file paths relative to the working directory (the repository root in CI), as SARIF and GitHub want. */
function relativePaths(report: DriftReport, cwd: string): DriftReport {
  return {
    ...report,
    violations: report.violations.map((v) =>
      v.declared_at
        ? {
            ...v,
            declared_at: { ...v.declared_at, file: relative(cwd, v.declared_at.file) || v.declared_at.file },
          }
        : v,
    ),
  };
}

/** GitHub Actions: a step summary and per-violation annotations. Failures to write are warnings only. */
function github(report: DriftReport, io: Io, annotationsOn: NodeJS.WritableStream): void {
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (summary) {
    try {
      appendFileSync(summary, `${renderDriftMarkdown(report)}\n`);
    } catch (err) {
      io.stderr.write(`Warning: could not write the step summary to ${summary}: ${errorMessage(err)}\n`);
    }
  }
  if (io.env.GITHUB_ACTIONS === "true") annotationsOn.write(renderDriftAnnotations(report));
}

export async function runDriftCommand(opts: DriftCommandOptions, io: Io): Promise<number> {
  const format = parseDriftFormat(opts.output);
  const failOn = parseSeverity(opts.failOn);
  const project = loadProject(opts.global, opts.plans, io);
  checkTargets(project, opts.targets);
  const targets = scopeTargets(project, opts.targets, opts.plans);
  const deps = await openDeps(opts.global, project.config, project.region);
  try {
    const spin = await startSpinner(io, `Reading API Gateway (${project.region}) and the master records…`);
    let snap: Awaited<ReturnType<typeof makePlan>>;
    try {
      snap = await makePlan({ specs: project.specs, config: project.config, targets, partial: true }, deps);
    } finally {
      spin.stop();
    }
    const cwd = process.cwd();
    const report = relativePaths(
      buildDriftReport({
        plan: snap.plan,
        specs: project.specs,
        records: snap.recovery.records,
        live: snap.live,
        now: deps.clock().toISOString(),
      }),
      cwd,
    );
    if (format === "json") io.stdout.write(renderDriftJson(report));
    else if (format === "markdown") io.stdout.write(renderDriftMarkdown(report));
    else if (format === "sarif") {
      const config = project.config.source ?? "upg.config.yaml";
      const fallback = existsSync(config)
        ? relative(cwd, config)
        : (report.violations.find((v) => v.declared_at)?.declared_at?.file ?? "upg.config.yaml");
      io.stdout.write(renderDriftSarif(report, { version: VERSION, fallbackUri: fallback }));
    } else io.stdout.write(renderDriftHuman(report, styleFor(io.stdout, io.env, opts.global.color)));
    github(report, io, format === "human" ? io.stdout : io.stderr);
    return driftExitCode(report, failOn, opts.failOnPending);
  } finally {
    deps.close();
  }
}
