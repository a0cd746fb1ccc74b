// `upg apply`: lock → finish what a stopped run left → plan → check a saved plan → confirm → run the
// changes with streaming progress → release. Printing and exit codes live here; the logic is in src/apply.

import { createInterface } from "node:readline";
import { applyPlan, type RunEvent } from "../apply/apply-plan.js";
import { planFrom, type Snapshot } from "../apply/make-plan.js";
import { writeRecovery } from "../apply/recover.js";
import { checkSavedPlan, makeProvenance, readSavedPlanFile } from "../apply/saved-plan.js";
import { errorMessage, UserError } from "../errors.js";
import type { PacerWait } from "../live/pacer.js";
import type { ApplyResult, Plan } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import { renderApplySummary, renderChangeResult, renderPlanHuman } from "../render/plan.js";
import type { Style } from "../render/style.js";
import { openDeps, type RunDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { Interrupted, type Interrupts, interruptible, trapInterrupts } from "./interrupts.js";
import { type Io, parseFormat, styleFor } from "./output.js";
import { loadProject, type Project, parseDuration, scopeTargets } from "./project.js";
import { checkTargets, snapshot } from "./reconcile.js";
import { type Spinner, startSpinner } from "./spinner.js";

export interface ApplyCommandOptions {
  global: GlobalOptions;
  planFile?: string;
  plans?: string[];
  targets: string[];
  autoApprove: boolean;
  lockTimeout?: string;
  output: string;
}

/** Resolves false when the user does not type "yes", or when the run is interrupted at the prompt. */
async function confirm(io: Io, out: NodeJS.WritableStream, signal: AbortSignal): Promise<boolean> {
  if (io.stdin.isTTY !== true) {
    throw new UserError("Refusing to apply without confirmation: standard input is not a terminal.", {
      hint: "Review the plan above and pass --auto-approve to apply it non-interactively.",
    });
  }
  out.write(
    "\nDo you want to perform these actions? Only 'yes' will be accepted to approve.\n  Enter a value: ",
  );
  const rl = createInterface({ input: io.stdin, output: out, terminal: false });
  try {
    const answer = await new Promise<string>((resolve) => {
      rl.once("line", resolve).once("close", () => resolve(""));
      signal.addEventListener("abort", () => resolve(""), { once: true });
    });
    return !signal.aborted && answer.trim() === "yes";
  } finally {
    rl.close();
  }
}

function describeWait(w: PacerWait): string {
  const secs = Math.ceil(w.ms / 1000);
  if (w.reason === "interval")
    return `${w.operation}: AWS allows one every 20 s per account; next in ${secs} s`;
  if (w.reason === "throttled") return `${w.operation}: throttled by AWS; retrying in ${secs} s`;
  return `${w.operation}: pacing under AWS's request rate; next in ${secs} s`;
}

function changeLabel(e: Extract<RunEvent, { type: "change-started" }>): string {
  const c = e.change;
  return `${c.action} ${c.planId}${c.keyId ? ` key ${c.keyName ?? c.keyId}` : ""}…`;
}

async function execute(
  plan: Plan,
  records: readonly MasterRecord[],
  project: Project,
  deps: RunDeps,
  io: Io,
  human: boolean,
  style: Style,
  interrupts: Interrupts,
  fence: () => Promise<void>,
): Promise<ApplyResult> {
  const actor = await deps.live.callerIdentity();
  // Progress goes to stdout in human mode, to stderr with -o json (stdout is the JSON document only).
  const progress = human ? io.stdout : io.stderr;
  progress.write("\n");
  const spin: Spinner = await startSpinner(io, "Applying…");
  const byId = new Map(plan.changes.map((c) => [c.id, c]));
  deps.waits.listener = (w) => {
    if (spin.live) spin.text(describeWait(w));
    else spin.print(io.stderr, `  … ${describeWait(w)}\n`);
  };
  try {
    return await applyPlan(plan, records, {
      live: deps.live,
      store: deps.store,
      clock: deps.clock,
      actor,
      runId: deps.runId,
      ownershipTagKey: project.config.ownership_tag_key,
      fence,
      signal: interrupts.signal,
      onEvent: (e) => {
        if (e.type === "change-started") spin.text(changeLabel(e));
        else if (e.type === "change-done")
          spin.print(progress, renderChangeResult(e.result, byId.get(e.change.id), style));
        else spin.print(io.stderr, `Stopping before the next change: ${e.reason}\n`);
      },
    });
  } finally {
    deps.waits.listener = undefined;
    spin.stop();
  }
}

function exitCodeOf(result: ApplyResult, interrupts: Interrupts): number {
  const signalled = interrupts.exitCode();
  if (signalled !== undefined && result.stopped) return signalled;
  return result.stopped || result.results.some((r) => r.outcome !== "ok") ? 1 : 0;
}

async function headLine(deps: RunDeps): Promise<{ seq: number; hash: string } | undefined> {
  try {
    const head = await deps.store.auditHead();
    return head ? { seq: head.seq, hash: head.hash } : undefined;
  } catch {
    return undefined;
  }
}

/** Finish what a stopped run left (under the lock), then plan again from the records as now written. */
async function recover(
  snap: Snapshot,
  project: Project,
  targets: readonly string[],
  deps: RunDeps,
  io: Io,
  fence: () => Promise<void>,
): Promise<{ plan: Plan; records: MasterRecord[] }> {
  if (snap.recovery.recoveries.length === 0) return { plan: snap.plan, records: snap.records };
  io.stderr.write("Finishing what an earlier run left unfinished:\n");
  for (const r of snap.recovery.recoveries) io.stderr.write(`  ${r.note}\n`);
  const records = await writeRecovery(deps.store, snap.recovery, fence);
  const plan = planFrom(
    { specs: project.specs, config: project.config, targets },
    snap,
    records,
    deps.clock().toISOString(),
  );
  return { plan, records };
}

export async function runApplyCommand(opts: ApplyCommandOptions, io: Io): Promise<number> {
  const format = parseFormat(opts.output, ["human", "json"]);
  const saved = opts.planFile ? readSavedPlanFile(opts.planFile) : undefined;
  const project = loadProject(opts.global, opts.plans, io);
  checkTargets(project, saved ? saved.targets : opts.targets);
  const targets = saved ? saved.targets : scopeTargets(project, opts.targets, opts.plans);
  const waitMs = opts.lockTimeout ? parseDuration(opts.lockTimeout) : 0;
  if (saved && opts.targets.length > 0) {
    throw new UserError("--target does not apply to a saved plan: it is applied exactly as it was made.", {
      hint: "Make the saved plan with `upg plan --target … --out FILE` instead.",
    });
  }
  const human = format === "human";
  const deps = await openDeps(opts.global, project.config, project.region);
  const interrupts = trapInterrupts(io, "stopping after the change in flight");
  const signal = interrupts.signal;
  let locked = false;
  try {
    const owner = await interruptible(deps.live.callerIdentity(), signal);
    await interruptible(deps.store.checkTables(), signal);
    const lock = await interruptible(
      deps.store.acquireLock({
        owner,
        runId: deps.runId,
        ttlSeconds: project.config.lock.ttl_seconds,
        reason: "upg apply",
        waitMs,
      }),
      signal,
      // Taken after the interrupt: give it back at once.
      () => void deps.store.releaseLock(deps.runId).catch(() => {}),
    );
    locked = true;
    if (lock.replaced) {
      io.stderr.write(
        `Took over an expired apply lock held by ${lock.replaced.owner} (run ${lock.replaced.run_id}) since ${lock.replaced.acquired_at}; recorded in the audit log.\n`,
      );
    }
    const fence = () => deps.store.renewLock(deps.runId, project.config.lock.ttl_seconds);
    const repair = await deps.store.repairAuditHead();
    if (repair.moved.length > 0)
      io.stderr.write(`Audit log: completed an interrupted append (row ${repair.moved.join(", ")}).\n`);
    if (repair.blocked)
      io.stderr.write(
        `Warning: the audit log does not verify at row ${repair.blocked.seq}: ${repair.blocked.reason}. Run \`upg audit verify\`.\n`,
      );
    const snap = await interruptible(snapshot(project, targets, deps, io), signal);
    const { plan: current, records } = await recover(snap, project, targets, deps, io, fence);
    const plan = saved ?? current;
    if (saved) {
      // Made for here, from these inputs, and equal to the plan computed now — or refused.
      checkSavedPlan(saved, {
        file: opts.planFile!,
        current,
        provenance: makeProvenance({
          region: project.region,
          callerArn: owner,
          config: project.config,
          specs: project.specs,
          targets,
        }),
      });
    }
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
    if (!opts.autoApprove && !saved && !(await confirm(io, planStream, signal))) {
      planStream.write("\nApply cancelled. Nothing was changed.\n");
      return interrupts.exitCode() ?? 1;
    }
    const style = styleFor(human ? io.stdout : io.stderr, io.env, opts.global.color);
    const result = await execute(plan, records, project, deps, io, human, style, interrupts, fence);
    const head = await headLine(deps);
    if (human) {
      io.stdout.write(renderApplySummary(result, style));
      if (head) io.stdout.write(`Audit log head: seq ${head.seq}, sha256 ${head.hash}\n`);
    } else {
      io.stdout.write(`${JSON.stringify({ ...result, ...(head ? { audit_head: head } : {}) }, null, 2)}\n`);
    }
    return exitCodeOf(result, interrupts);
  } catch (err) {
    if (err instanceof Interrupted) {
      io.stderr.write("Interrupted before any change was made; nothing was applied.\n");
      return interrupts.exitCode() ?? 130;
    }
    throw err;
  } finally {
    if (locked) {
      try {
        await deps.store.releaseLock(deps.runId);
      } catch (err) {
        io.stderr.write(`Warning: could not release the apply lock: ${errorMessage(err)}\n`);
      }
    }
    interrupts.dispose();
    deps.close();
  }
}
