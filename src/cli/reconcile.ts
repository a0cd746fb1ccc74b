// `upg plan` and `upg apply`: options in, exit code out. Printing lives here; logic does not.

import { writeFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { applyPlan } from "../apply/apply-plan.js";
import { makePlan, type Snapshot } from "../apply/make-plan.js";
import {
  checkSavedPlan,
  makeProvenance,
  readSavedPlanFile,
  type SavedPlan,
  sealPlan,
} from "../apply/saved-plan.js";
import { errorMessage, UserError } from "../errors.js";
import type { Plan } from "../model/plan.js";
import { renderApplyHuman, renderPlanHuman, renderPlanJson, renderPlanMarkdown } from "../render/plan.js";
import { openDeps, type RunDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat, styleFor } from "./output.js";
import { loadProject, type Project, parseDuration, scopeTargets } from "./project.js";
import { startSpinner } from "./spinner.js";

export interface PlanCommandOptions {
  global: GlobalOptions;
  plans?: string[];
  targets: string[];
  output: string;
  out?: string;
  detailedExitcode: boolean;
}

async function snapshot(
  project: Project,
  targets: readonly string[],
  deps: RunDeps,
  io: Io,
): Promise<Snapshot> {
  const spin = await startSpinner(io, `Reading API Gateway (${project.region}) and the master records…`);
  try {
    return await makePlan({ specs: project.specs, config: project.config, targets }, deps);
  } finally {
    spin.stop();
  }
}

function checkTargets(project: Project, targets: readonly string[]): void {
  const known = new Set(project.specs.map((s) => s.planId));
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
  const deps = await openDeps(opts.global, project.config, project.region);
  try {
    const { plan } = await snapshot(project, targets, deps, io);
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
    if (format === "json") io.stdout.write(renderPlanJson(doc));
    else if (format === "markdown") io.stdout.write(renderPlanMarkdown(plan));
    else io.stdout.write(renderPlanHuman(plan, styleFor(io.stdout, io.env, opts.global.color)));
    if (opts.out && format === "human")
      io.stdout.write(`\nSaved the plan to ${opts.out}. Apply exactly it with: upg apply ${opts.out}\n`);
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

export interface ApplyCommandOptions {
  global: GlobalOptions;
  planFile?: string;
  plans?: string[];
  targets: string[];
  autoApprove: boolean;
  lockTimeout?: string;
  output: string;
}

/** A saved plan, read through its schema and checksum (src/apply/saved-plan.ts); never trusted as is. */
export function readSavedPlan(file: string): SavedPlan {
  return readSavedPlanFile(file);
}

async function confirm(io: Io, out: NodeJS.WritableStream): Promise<boolean> {
  if (io.stdin.isTTY !== true) {
    throw new UserError("Refusing to apply without confirmation: standard input is not a terminal.", {
      hint: "Review the plan above and pass --auto-approve to apply it non-interactively.",
    });
  }
  out.write(
    "\nDo you want to perform these actions? Only 'yes' will be accepted to approve.\n  Enter a value: ",
  );
  const rl = createInterface({ input: io.stdin, output: out, terminal: false });
  const answer = await new Promise<string>((resolve) =>
    rl.once("line", resolve).once("close", () => resolve("")),
  );
  rl.close();
  return answer.trim() === "yes";
}

async function execute(
  plan: Plan,
  snap: Snapshot,
  project: Project,
  deps: RunDeps,
  io: Io,
  opts: ApplyCommandOptions,
): Promise<number> {
  const actor = await deps.live.callerIdentity();
  const spin = await startSpinner(io, "Applying…");
  try {
    const result = await applyPlan(plan, snap.records, {
      live: deps.live,
      store: deps.store,
      clock: deps.clock,
      actor,
      runId: deps.runId,
      ownershipTagKey: project.config.ownership_tag_key,
      beforeChange: () => deps.store.renewLock(deps.runId, project.config.lock.ttl_seconds),
      onProgress: (e) => {
        if (e.phase === "start")
          spin.text(
            `${e.change.action} ${e.change.planId}${e.change.keyId ? ` key ${e.change.keyName ?? e.change.keyId}` : ""}…`,
          );
      },
    });
    spin.stop();
    if (opts.output === "json") io.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else io.stdout.write(renderApplyHuman(result, plan, styleFor(io.stdout, io.env, opts.global.color)));
    return result.results.some((r) => r.outcome !== "ok") ? 1 : 0;
  } finally {
    spin.stop();
  }
}

export async function runApplyCommand(opts: ApplyCommandOptions, io: Io): Promise<number> {
  const format = parseFormat(opts.output, ["human", "json"]);
  const saved = opts.planFile ? readSavedPlan(opts.planFile) : undefined;
  const project = loadProject(opts.global, opts.plans, io);
  checkTargets(project, saved ? saved.targets : opts.targets);
  const targets = saved ? saved.targets : scopeTargets(project, opts.targets, opts.plans);
  const waitMs = opts.lockTimeout ? parseDuration(opts.lockTimeout) : 0;
  if (saved && opts.targets.length > 0) {
    throw new UserError("--target does not apply to a saved plan: it is applied exactly as it was made.", {
      hint: "Make the saved plan with `upg plan --target … --out FILE` instead.",
    });
  }
  const deps = await openDeps(opts.global, project.config, project.region);
  try {
    const owner = await deps.live.callerIdentity();
    await deps.store.checkTables();
    await deps.store.acquireLock({
      owner,
      runId: deps.runId,
      ttlSeconds: project.config.lock.ttl_seconds,
      reason: "upg apply",
      waitMs,
    });
    try {
      const snap = await snapshot(project, targets, deps, io);
      const plan = saved ?? snap.plan;
      if (saved) {
        // Made for here, from these inputs, and equal to the plan computed now — or refused.
        checkSavedPlan(saved, {
          file: opts.planFile!,
          current: snap.plan,
          provenance: makeProvenance({
            region: project.region,
            callerArn: await deps.live.callerIdentity(),
            config: project.config,
            specs: project.specs,
            targets,
          }),
        });
      }
      const human = format === "human";
      // With -o json, stdout carries only the results: the plan and any prompt go to stderr.
      const planStream = human ? io.stdout : io.stderr;
      planStream.write(renderPlanHuman(plan, styleFor(planStream, io.env, opts.global.color)));
      if (plan.problems.length > 0) {
        throw new UserError("The plan has problems (listed above); nothing was applied.", {
          hint: "Fix them and run `upg plan` again.",
        });
      }
      if (plan.changes.length === 0) {
        if (!human) io.stdout.write(`${JSON.stringify({ run_id: deps.runId, results: [] }, null, 2)}\n`);
        return 0;
      }
      if (!opts.autoApprove && !saved && !(await confirm(io, planStream))) {
        planStream.write("\nApply cancelled. Nothing was changed.\n");
        return 1;
      }
      return await execute(plan, snap, project, deps, io, opts);
    } finally {
      await deps.store.releaseLock(deps.runId);
    }
  } finally {
    deps.close();
  }
}
