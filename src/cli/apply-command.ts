// `upg apply`: lock → finish what a stopped run left → plan → check a saved plan → confirm → run the
// changes with streaming progress → release. Printing and exit codes live here; the logic is in src/apply.

import { createInterface } from "node:readline";
import type { RunEvent } from "../apply/apply-plan.js";
import { runApply } from "../apply/run-apply.js";
import { checkSavedPlan, makeProvenance, readSavedPlanFile } from "../apply/saved-plan.js";
import { UserError } from "../errors.js";
import type { PacerWait } from "../live/pacer.js";
import type { ApplyResult, Plan } from "../model/plan.js";
import { renderApplySummary, renderChangeResult, renderPlanHuman } from "../render/plan.js";
import type { Style } from "../render/style.js";
import { auditHeadWarning } from "./audit-warning.js";
import { openDeps, type RunDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { Interrupted, type Interrupts, interruptible, trapInterrupts } from "./interrupts.js";
import { type Io, parseFormat, styleFor } from "./output.js";
import { loadProject, parseDuration, scopeTargets } from "./project.js";
import { checkTargets } from "./reconcile.js";
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

/** Streams each change's outcome as it completes; long pacing waits show what they wait for. */
function progressPrinter(
  plan: () => Plan | undefined,
  spin: Spinner,
  io: Io,
  progress: NodeJS.WritableStream,
  style: Style,
) {
  return (e: RunEvent) => {
    if (e.type === "change-started") spin.text(changeLabel(e));
    else if (e.type === "change-done") {
      const c = plan()?.changes.find((x) => x.id === e.change.id);
      spin.print(progress, renderChangeResult(e.result, c, style));
    } else spin.print(io.stderr, `Stopping before the next change: ${e.reason}\n`);
  };
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
  // With -o json, stdout carries only the results: the plan, progress and any prompt go to stderr.
  const planStream = human ? io.stdout : io.stderr;
  const style = styleFor(planStream, io.env, opts.global.color);
  const deps = await openDeps(opts.global, project.config, project.region);
  // Until the changes start, a signal cancels; after that it stops before the next change.
  const interrupts = trapInterrupts(io, "cancelling");
  const signal = interrupts.signal;
  let spin: Spinner | undefined;
  let shown: Plan | undefined;
  try {
    const actor = await interruptible(deps.live.callerIdentity(), signal);
    const outcome = await runApply(
      { specs: project.specs, config: project.config, targets },
      {
        ...deps,
        actor,
        ownershipTagKey: project.config.ownership_tag_key,
        lockTtlSeconds: project.config.lock.ttl_seconds,
        lockWaitMs: waitMs,
      },
      {
        signal,
        onLock: (lock) => {
          // A second signal exits at once and leaves the lock to expire (a call may still be in flight).
          interrupts.setExitNote(
            `The apply lock (lock id ${lock.lock_id}) stays held until it expires (up to ${project.config.lock.ttl_seconds} s), so that a call still in flight lands first; to take it sooner: upg unlock ${lock.lock_id} --reason '…'.`,
          );
          if (lock.replaced)
            io.stderr.write(
              `Took over an expired apply lock held by ${lock.replaced.owner} (run ${lock.replaced.run_id}) since ${lock.replaced.acquired_at}; recorded in the audit log.\n`,
            );
        },
        onAuditRepair: async (repair) => {
          if (repair.moved.length > 0)
            io.stderr.write(`Audit log: completed an interrupted append (row ${repair.moved.join(", ")}).\n`);
          if (repair.blocked)
            io.stderr.write(
              `Warning: the audit log does not verify at row ${repair.blocked.seq}: ${repair.blocked.reason}. Run \`upg audit verify\`.\n`,
            );
          else {
            const warning = await auditHeadWarning(deps.store);
            if (warning) io.stderr.write(`Warning: ${warning} Run \`upg audit verify\`.\n`);
          }
        },
        read: (work) => interruptible(reading(io, project.region, work), signal),
        onRecovered: (recoveries) => {
          io.stderr.write("Finishing what an earlier run left unfinished:\n");
          for (const r of recoveries) io.stderr.write(`  ${r.note}\n`);
        },
        approve: async (current) => {
          const plan = saved ?? current;
          if (saved) {
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
          }
          planStream.write(renderPlanHuman(plan, style));
          if (plan.problems.length > 0) {
            throw new UserError("The plan has problems (listed above); nothing was applied.", {
              hint: "Fix them and run `upg plan` again.",
            });
          }
          if (plan.changes.length === 0) return { plan };
          if (!opts.autoApprove && !saved && !(await confirm(io, planStream, signal))) return false;
          shown = plan;
          interrupts.setAction(
            "stopping after the change in flight (press Ctrl-C again to exit at once; the next run finishes the work)",
          );
          planStream.write("\n");
          spin = await startSpinner(io, "Applying…");
          const s = spin;
          deps.waits.listener = (w) => {
            if (!s.live) {
              s.print(io.stderr, `  … ${describeWait(w)}\n`);
              return;
            }
            // On a terminal the wait counts down under the spinner.
            const until = Date.now() + w.ms;
            const tick = () => {
              const left = until - Date.now();
              if (left > 0) s.text(describeWait({ ...w, ms: left }));
              else clearInterval(timer);
            };
            const timer = setInterval(tick, 1000);
            timer.unref();
            tick();
          };
          return { plan };
        },
        onEvent: (e) => {
          if (spin) progressPrinter(() => shown, spin, io, planStream, style)(e);
        },
      },
    );
    spin?.stop();
    deps.waits.listener = undefined;
    interrupts.setExitNote(undefined); // the lock is released
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
    return exitCodeOf(result, interrupts);
  } catch (err) {
    if (err instanceof Interrupted) {
      io.stderr.write("Interrupted before any change was made; nothing was applied.\n");
      return interrupts.exitCode() ?? 130;
    }
    throw err;
  } finally {
    spin?.stop();
    interrupts.dispose();
    deps.close();
  }
}

async function reading<T>(io: Io, region: string, work: () => Promise<T>): Promise<T> {
  const spin = await startSpinner(io, `Reading API Gateway (${region}) and the master records…`);
  try {
    return await work();
  } finally {
    spin.stop();
  }
}
