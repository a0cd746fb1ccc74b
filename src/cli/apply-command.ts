// `upg apply`: lock → finish what a stopped run left → plan → check a saved plan → confirm → run the
// changes with streaming progress → release. Printing and exit codes live here; the logic is in src/apply.

import { checkSavedPlan, makeProvenance, readSavedPlanFile } from "../apply/saved-plan.js";
import { UserError } from "../errors.js";
import { renderApplySummary } from "../render/plan.js";
import { notifyRunEvents, reportAlertFailures } from "./alerts.js";
import { openDeps } from "./deps.js";
import { fleetTargets, refuseOverFleet } from "./fleet-run.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat, styleFor } from "./output.js";
import { loadProject, parseDuration, scopeTargets } from "./project.js";
import { checkTargets } from "./reconcile.js";
import { exitCodeOf, headLine, runChanges } from "./run-changes.js";

export interface ApplyCommandOptions {
  global: GlobalOptions;
  planFile?: string;
  plans?: string[];
  targets: string[];
  autoApprove: boolean;
  lockTimeout?: string;
  output: string;
  /** Adopt unmanaged live plans the plan files name (`--adopt`). */
  adopt?: boolean;
  /** Allow deleting plans that have API keys attached (`--allow-key-loss`). */
  allowKeyLoss?: boolean;
}

export async function runApplyCommand(opts: ApplyCommandOptions, io: Io): Promise<number> {
  const format = parseFormat(opts.output, ["human", "json"]);
  const saved = opts.planFile ? readSavedPlanFile(opts.planFile) : undefined;
  const project = loadProject(opts.global, opts.plans, io);
  checkTargets(project, saved ? saved.targets : opts.targets);
  const targets = saved ? saved.targets : scopeTargets(project, opts.targets, opts.plans);
  const waitMs = opts.lockTimeout ? parseDuration(opts.lockTimeout) : 0;
  if (!saved) {
    const fleet = fleetTargets(opts.global, project.config);
    if (fleet.length > 1) refuseOverFleet("upg apply", fleet);
  }
  if (saved && opts.targets.length > 0) {
    throw new UserError("--target does not apply to a saved plan: it is applied exactly as it was made.", {
      hint: "Make the saved plan with `upg plan --target … --out FILE` instead.",
    });
  }
  const human = format === "human";
  // With -o json, stdout carries only the results: the plan, progress and any prompt go to stderr.
  const planStream = human ? io.stdout : io.stderr;
  const style = styleFor(planStream, io.env, opts.global.color);
  // A saved plan was made with the options its changes show: an adopt, a delete that drops keys.
  const adopt = opts.adopt === true || (saved?.changes.some((c) => c.action === "adopt") ?? false);
  const allowKeyLoss =
    opts.allowKeyLoss === true || (saved?.changes.some((c) => (c.lostKeys ?? []).length > 0) ?? false);
  const deps = await openDeps(opts.global, project.config, project.region);
  try {
    const run = await runChanges({
      ...(adopt ? { adopt: true } : {}),
      ...(allowKeyLoss ? { allowKeyLoss: true } : {}),
      project,
      targets,
      deps,
      io,
      style,
      planStream,
      lockWaitMs: waitMs,
      // A saved plan was reviewed when it was made: it is not asked about again.
      autoApprove: opts.autoApprove || saved !== undefined,
      choose: async (current, _records, actor) => {
        if (!saved) return { plan: current };
        // Made for here, from these inputs, and equal to the plan computed now — or refused.
        checkSavedPlan(saved, {
          file: opts.planFile!,
          current,
          provenance: makeProvenance({
            region: project.region,
            callerArn: actor,
            config: project.config,
            specs: project.specs,
            targets,
          }),
        });
        return { plan: saved };
      },
    });
    if (run.kind === "interrupted") return run.code;
    const { outcome, interrupts } = run;
    if (outcome.kind === "cancelled") {
      planStream.write("\nApply cancelled. Nothing was changed.\n");
      return interrupts.exitCode() ?? 1;
    }
    if (outcome.kind === "empty") {
      if (!human) io.stdout.write(`${JSON.stringify({ run_id: deps.runId, results: [] }, null, 2)}\n`);
      return 0;
    }
    const { result } = outcome;
    const head = await headLine(deps);
    if (human) {
      io.stdout.write(renderApplySummary(result, style));
      if (head) io.stdout.write(`Audit log head: seq ${head.seq}, sha256 ${head.hash}\n`);
    } else {
      io.stdout.write(`${JSON.stringify({ ...result, ...(head ? { audit_head: head } : {}) }, null, 2)}\n`);
    }
    if (result.stopped && interrupts.exitCode() !== undefined) {
      // Said on stderr too: with `upg apply | tee log`, Ctrl-C also stops the reader of stdout.
      const ok = result.results.filter((r) => r.outcome === "ok").length;
      io.stderr.write(
        `Stopped (${result.stopped}): ${ok} applied, ${result.results.length - ok} not applied. Run \`upg apply\` again to finish.\n`,
      );
    }
    const alerts = await notifyRunEvents(
      outcome.plan,
      result,
      outcome.records,
      project.config,
      deps,
      io,
      !human,
    );
    if (reportAlertFailures(io, alerts.failures)) return Math.max(exitCodeOf(result, interrupts), 1);
    return exitCodeOf(result, interrupts);
  } finally {
    deps.close();
  }
}
