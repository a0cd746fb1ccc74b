// `upg drift`: read live API Gateway and the master records, report every violation. Writes nothing to
// API Gateway. Printing, GitHub integration and exit codes live here; the report is built in src/diff.

import { existsSync } from "node:fs";
import { relative } from "node:path";
import { makePlan } from "../apply/make-plan.js";
import { type NotFixed, planFix } from "../diff/auto-fix.js";
import { atOrAbove, buildDriftReport, driftExitCode, pendingPlanIds } from "../diff/drift-report.js";
import { UserError } from "../errors.js";
import type { DriftReport } from "../model/drift.js";
import { SEVERITY_ORDER, type Severity } from "../model/plan.js";
import {
  renderDriftAnnotations,
  renderDriftHuman,
  renderDriftJson,
  renderDriftMarkdown,
  renderDriftSarif,
} from "../render/drift.js";
import { type FleetReport, fleetLabel } from "../render/merge.js";
import { renderApplySummary } from "../render/plan.js";
import { plural } from "../render/style.js";
import { type AlertOutcome, notifyDrift, notifyRunEvents, reportAlertFailures } from "./alerts.js";
import { openDeps, type RunDeps } from "./deps.js";
import { fleetTargets, refuseOverFleet, runFleetCommand, soleAccount } from "./fleet-run.js";
import { annotating, appendStepSummary, relativePaths } from "./github.js";
import type { GlobalOptions } from "./global-options.js";
import { VERSION } from "./main.js";
import { type Io, styleFor } from "./output.js";
import { loadProject, type Project, projectIn, scopeTargets } from "./project.js";
import { checkTargets } from "./reconcile.js";
import { exitCodeOf, headLine, runChanges } from "./run-changes.js";
import { reading } from "./spinner.js";

export interface DriftCommandOptions {
  global: GlobalOptions;
  plans?: string[];
  targets: string[];
  output: string;
  failOn: string;
  failOnPending: boolean;
  /** Repair what the auto_fix policy allows, through the apply engine. */
  fix: boolean;
  autoApprove: boolean;
  /** Send alerts to `alerts.targets` (new, still open after the quiet period, resolved). */
  notify: boolean;
}

type DriftFormat = "human" | "json" | "markdown" | "sarif";
const FORMATS: readonly DriftFormat[] = ["human", "json", "markdown", "sarif"];

export function parseSeverity(value: string): Severity {
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

/** GitHub Actions: a step summary and per-violation annotations. */
function github(report: DriftReport, io: Io, annotationsOn: NodeJS.WritableStream): void {
  appendStepSummary(io, renderDriftMarkdown(report));
  if (annotating(io)) annotationsOn.write(renderDriftAnnotations(report));
}

/** A failed delivery is printed after the report and makes the run exit 1: someone must look. */
function withAlerts(code: number, alerts: AlertOutcome, io: Io): number {
  return reportAlertFailures(io, alerts.failures) ? 1 : code;
}

export async function runDriftCommand(opts: DriftCommandOptions, io: Io): Promise<number> {
  const format = parseDriftFormat(opts.output);
  const failOn = parseSeverity(opts.failOn);
  const project = loadProject(opts.global, opts.plans, io);
  if (opts.notify && project.config.alerts.targets.length === 0) {
    throw new UserError("--notify: upg.config.yaml names no alert targets.", {
      hint: "Add alerts.targets (an SNS topic_arn, a webhook url, a file path, or stdout), or drop --notify.",
    });
  }
  checkTargets(project, opts.targets);
  const targets = scopeTargets(project, opts.targets, opts.plans);
  const fleet = fleetTargets(opts.global, project.config);
  if (fleet.length > 1) {
    if (opts.fix) refuseOverFleet("drift --fix", fleet);
    return runFleetCommand({
      command: "drift",
      global: opts.global,
      config: project.config,
      targets: fleet,
      format,
      io,
      ...(format === "sarif" ? { print: (doc: FleetReport) => fleetSarif(doc, project, io) } : {}),
      job: async (t, deps) => {
        const read = await readDrift(projectIn(project, t.region), targets, deps);
        const report: DriftReport = t.account ? { ...read, account: t.account } : read;
        const code = driftExitCode(report, failOn, opts.failOnPending);
        if (!opts.notify) return { exit_code: code, report };
        // Each account-region keeps its own alert state (its tables) and sends with its own credentials.
        const alerts = await notifyDrift(report, project.config, deps, io, true);
        if (alerts.failures) io.stderr.write(`${fleetLabel(t)}: ${alerts.failures}`);
        return { exit_code: alerts.failures ? 1 : code, report };
      },
    });
  }
  const account = soleAccount(fleet);
  const deps = await openDeps(opts.global, project.config, project.region);
  try {
    const read = await reading(io, project.region, () => readDrift(project, targets, deps));
    // With `accounts:`, the report names its account, so shards of a fleet can be merged.
    const report: DriftReport = account ? { ...read, account } : read;
    if (opts.fix) return await fixDrift(report, project, targets, deps, io, opts, format);
    if (format === "json") io.stdout.write(renderDriftJson(report));
    else if (format === "markdown") io.stdout.write(renderDriftMarkdown(report));
    else if (format === "sarif") {
      io.stdout.write(
        renderDriftSarif(report, {
          version: VERSION,
          fallbackUri: sarifFallback(project, report.violations),
        }),
      );
    } else io.stdout.write(renderDriftHuman(report, styleFor(io.stdout, io.env, opts.global.color)));
    github(report, io, format === "human" ? io.stdout : io.stderr);
    const code = driftExitCode(report, failOn, opts.failOnPending);
    return opts.notify
      ? withAlerts(code, await notifyDrift(report, project.config, deps, io, format !== "human"), io)
      : code;
  } finally {
    deps.close();
  }
}

/** Where a SARIF result points when its violation has no plan-file line: the config file, else a plan file. */
function sarifFallback(project: Project, violations: readonly DriftReport["violations"][number][]): string {
  const config = project.config.source ?? "upg.config.yaml";
  return existsSync(config)
    ? relative(process.cwd(), config)
    : (violations.find((v) => v.declared_at)?.declared_at?.file ?? "upg.config.yaml");
}

/**
 * One SARIF document for a fleet: every account-region's violations in one run (code scanning takes one run per
 * category), each naming its account-region. A target that could not be checked is said on stderr.
 */
function fleetSarif(doc: FleetReport, project: Project, io: Io): string {
  const reports = doc.results.flatMap((r) => (r.report ? [r.report as DriftReport] : []));
  for (const r of doc.results.filter((x) => x.status === "error"))
    io.stderr.write(`${fleetLabel(r)}: not checked: ${r.error ?? "failed"}\n`);
  const violations = reports.flatMap((r) => r.violations);
  const merged = { ...reports[0]!, violations } as DriftReport;
  return renderDriftSarif(reports.length > 0 ? merged : ({ violations: [] } as unknown as DriftReport), {
    version: VERSION,
    fallbackUri: sarifFallback(project, violations),
  });
}

/** One account-region's drift report (paths relative to the working directory). */
async function readDrift(project: Project, targets: readonly string[], deps: RunDeps): Promise<DriftReport> {
  const snap = await makePlan({ specs: project.specs, config: project.config, targets, partial: true }, deps);
  return relativePaths(
    buildDriftReport({
      plan: snap.plan,
      specs: project.specs,
      records: snap.recovery.records,
      live: snap.live,
      otherPlans: snap.otherPlans,
      now: deps.clock().toISOString(),
    }),
    process.cwd(),
  );
}

function describeNotFixed(n: NotFixed): string {
  const v = n.violation;
  return `${v.severity} ${v.plan_id ?? v.plan_name ?? "?"}: ${v.violation_type}${v.subject ? ` ${v.subject}` : ""} — ${n.why}`;
}

/**
 * `upg drift --fix`: the report first, then the repairs the auto_fix policy allows, run through the same apply
 * engine, lock, journal and audit (rows say `auto-fix`). Everything else is reported, not fixed.
 */
async function fixDrift(
  report: DriftReport,
  project: Project,
  targets: readonly string[],
  deps: RunDeps,
  io: Io,
  opts: DriftCommandOptions,
  format: DriftFormat,
): Promise<number> {
  const failOn = parseSeverity(opts.failOn);
  const human = format === "human";
  const out = human ? io.stdout : io.stderr;
  const style = styleFor(out, io.env, opts.global.color);
  out.write(renderDriftHuman(report, style));
  const policy = project.config.auto_fix;
  if (!policy.enabled) {
    out.write(
      "\nauto_fix is not enabled in upg.config.yaml: nothing was repaired. Set auto_fix.enabled: true (and max_severity, violation_types) to let `upg drift --fix` repair drift, or run `upg apply`.\n",
    );
    if (!human) io.stdout.write(renderDriftJson(report));
    return driftExitCode(report, failOn, opts.failOnPending);
  }
  let notFixed: NotFixed[] = [];
  const run = await runChanges({
    project,
    targets,
    deps,
    io,
    style,
    planStream: out,
    lockWaitMs: 0,
    autoApprove: opts.autoApprove,
    trigger: "auto-fix",
    choose: async (current, records) => {
      const fix = planFix(current, pendingPlanIds(current, records), policy);
      notFixed = fix.notFixed;
      out.write(
        `\nAuto-fix (max_severity ${policy.max_severity}${policy.violation_types ? `; ${policy.violation_types.join(", ")}` : ""}): ${plural(fix.fixed.length, "violation")} to repair.\n`,
      );
      if (notFixed.length > 0) {
        out.write("Not fixed (reported only):\n");
        for (const n of notFixed) out.write(`  ${describeNotFixed(n)}\n`);
      }
      out.write("\n");
      return { plan: fix.plan };
    },
  });
  if (run.kind === "interrupted") return run.code;
  const { outcome, interrupts } = run;
  const result = outcome.kind === "applied" ? outcome.result : undefined;
  if (outcome.kind === "cancelled") out.write("\nAuto-fix cancelled. Nothing was changed.\n");
  if (result) out.write(renderApplySummary(result, style));
  const head = result ? await headLine(deps) : undefined;
  if (head) out.write(`Audit log head: seq ${head.seq}, sha256 ${head.hash}\n`);
  if (!human) {
    io.stdout.write(
      renderDriftJson({
        ...report,
        fix: {
          outcome: outcome.kind,
          ...(result ? { result } : {}),
          not_fixed: notFixed.map((n) => ({ ...n.violation, why: n.why })),
          ...(head ? { audit_head: head } : {}),
        },
      } as DriftReport),
    );
  }
  let alertFailures = "";
  if (opts.notify) alertFailures += (await notifyDrift(report, project.config, deps, io, !human)).failures;
  if (result && outcome.kind === "applied") {
    alertFailures += (
      await notifyRunEvents(outcome.plan, result, outcome.records, project.config, deps, io, !human)
    ).failures;
  }
  if (reportAlertFailures(io, alertFailures)) return 1;
  if (outcome.kind === "cancelled") return interrupts.exitCode() ?? 1;
  if (result && (result.stopped || result.results.some((r) => r.outcome !== "ok")))
    return exitCodeOf(result, interrupts);
  // What is left is what the policy did not cover.
  if (notFixed.some((n) => atOrAbove(n.violation.severity, failOn))) return 2;
  if (report.not_checked.length > 0) return 1;
  return 0;
}
