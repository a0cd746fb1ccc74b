// `upg plan` (and the reading both plan and apply do): options in, exit code out. Printing lives here;
// logic does not. `upg apply` is in apply-command.ts.

import { writeFileSync } from "node:fs";
import { makePlan, type Snapshot } from "../apply/make-plan.js";
import { makeProvenance, sealPlan } from "../apply/saved-plan.js";
import { buildDriftReport } from "../diff/drift-report.js";
import { errorMessage, UserError } from "../errors.js";
import type { Plan } from "../model/plan.js";
import { renderDriftAnnotations } from "../render/drift.js";
import { fleetLabel } from "../render/merge.js";
import { renderPlanHuman, renderPlanJson, renderPlanMarkdown } from "../render/plan.js";
import { auditHeadWarning } from "./audit-warning.js";
import { openDeps, type RunDeps } from "./deps.js";
import { fleetTargets, refuseOverFleet, runFleetCommand, soleAccount } from "./fleet-run.js";
import { annotating, appendStepSummary, problemAnnotations, relativePaths } from "./github.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat, styleFor } from "./output.js";
import { loadProject, type Project, planRequest, projectIn, scopeTargets } from "./project.js";
import { reading } from "./spinner.js";

export interface PlanCommandOptions {
  global: GlobalOptions;
  plans?: string[];
  targets: string[];
  output: string;
  out?: string;
  detailedExitcode: boolean;
  /** Adopt unmanaged live plans the plan files name (`--adopt`). */
  adopt?: boolean;
  /** Allow deleting plans that have API keys attached (`--allow-key-loss`). */
  allowKeyLoss?: boolean;
}

export async function snapshot(
  project: Project,
  targets: readonly string[],
  deps: RunDeps,
  io: Io,
  options: { adopt?: boolean; allowKeyLoss?: boolean } = {},
): Promise<Snapshot> {
  return reading(io, project.region, () => makePlan(planRequest(project, targets, options), deps));
}

/** What a stopped apply left, which this plan shows finished (on stderr; each line prefixed in a fleet). */
function recoveryNotice(io: Io, snap: Snapshot, label?: string): void {
  if (snap.recovery.recoveries.length === 0) return;
  const at = label ? `${label}  ` : "";
  io.stderr.write(
    `${at}An earlier apply stopped mid-change. This plan shows the state after finishing it; the next \`upg apply\` records it:\n`,
  );
  for (const r of snap.recovery.recoveries) io.stderr.write(`${at}  ${r.note}\n`);
}

export function checkTargets(project: Project, targets: readonly string[]): void {
  const known = new Set(project.allSpecs.map((s) => s.planId));
  const unknown = targets.filter((t) => !known.has(t));
  if (unknown.length > 0) {
    throw new UserError(`--target names no declared plan: ${unknown.join(", ")}.`, {
      hint: "Use a plan_id from the plan files.",
    });
  }
}

export async function runPlanCommand(opts: PlanCommandOptions, io: Io): Promise<number> {
  const format = parseFormat(opts.output, ["human", "json", "markdown"]);
  const project = loadProject(opts.global, opts.plans, io);
  checkTargets(project, opts.targets);
  const targets = scopeTargets(project, opts.targets, opts.plans);
  const fleet = fleetTargets(opts.global, project.config);
  if (fleet.length > 1) {
    if (opts.out) refuseOverFleet("--out (a saved plan)", fleet);
    return runFleetCommand({
      command: "plan",
      global: opts.global,
      config: project.config,
      targets: fleet,
      format,
      io,
      job: async (t, deps) => {
        const snap = await makePlan(planRequest(projectIn(project, t.region), targets, opts), deps);
        const { plan } = snap;
        recoveryNotice(io, snap, fleetLabel(t));
        const exit_code =
          plan.problems.length > 0 ? 1 : opts.detailedExitcode && plan.changes.length > 0 ? 2 : 0;
        return { exit_code, report: plan };
      },
    });
  }
  const account = soleAccount(fleet);
  const deps = await openDeps(opts.global, project.config, project.region);
  try {
    const snap = await snapshot(project, targets, deps, io, opts);
    const { plan } = snap;
    const auditWarning = await auditHeadWarning(deps.store);
    if (auditWarning) io.stderr.write(`Warning: ${auditWarning} Run \`upg audit verify\`.\n`);
    recoveryNotice(io, snap);
    // A saved plan carries what it was made for and a checksum; with --out, -o json shows that same document.
    const doc = opts.out
      ? sealPlan(
          plan,
          makeProvenance({
            region: project.region,
            callerArn: await deps.live.callerIdentity(),
            config: project.config,
            specs: project.specs,
            targets,
          }),
        )
      : plan;
    if (opts.out) writePlanFile(opts.out, renderPlanJson(doc));
    // With `accounts:`, the document names its account, so shards of a fleet can be merged.
    if (format === "json")
      io.stdout.write(renderPlanJson(account && !opts.out ? ({ ...doc, account } as Plan) : doc));
    else if (format === "markdown") io.stdout.write(renderPlanMarkdown(plan));
    else io.stdout.write(renderPlanHuman(plan, styleFor(io.stdout, io.env, opts.global.color)));
    if (opts.out && format === "human")
      io.stdout.write(`\nSaved the plan to ${opts.out}. Apply exactly it with: upg apply ${opts.out}\n`);
    appendStepSummary(io, renderPlanMarkdown(plan));
    if (annotating(io)) {
      // Drift found while planning, and problems, at the plan-file lines; on stderr unless stdout is human.
      const cwd = process.cwd();
      const report = relativePaths(
        buildDriftReport({
          plan,
          specs: project.specs,
          records: snap.recovery.records,
          live: snap.live,
          now: plan.created_at,
        }),
        cwd,
      );
      const stream = format === "human" ? io.stdout : io.stderr;
      stream.write(renderDriftAnnotations(report) + problemAnnotations(plan.problems, cwd));
    }
    if (plan.problems.length > 0) return 1;
    return opts.detailedExitcode && plan.changes.length > 0 ? 2 : 0;
  } finally {
    deps.close();
  }
}

function writePlanFile(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    throw new UserError(`Cannot write the plan to ${file}: ${errorMessage(err)}`, {
      hint: "Give --out a file path in a directory that exists and is writable.",
    });
  }
}
