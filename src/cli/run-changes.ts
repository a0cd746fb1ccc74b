// The terminal side of one run that changes things (apply, drift --fix): signals, lock and recovery notices,
// the plan shown, the confirmation, a spinner and streamed per-change lines, pacing waits. The command
// chooses which plan to run from the freshly computed one (a saved plan, the auto-fix subset, or it as is).

import { createInterface } from "node:readline";
import type { RunEvent } from "../apply/apply-plan.js";
import type { RunApplyOutcome } from "../apply/run-apply.js";
import { runApply } from "../apply/run-apply.js";
import { UserError } from "../errors.js";
import type { PacerWait } from "../live/pacer.js";
import type { ApplyResult, Plan } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import { renderChangeResult, renderPlanHuman } from "../render/plan.js";
import type { Style } from "../render/style.js";
import type { AcquiredLock, AuditHeadRepair, Store } from "../store/index.js";
import { auditHeadWarning } from "./audit-warning.js";
import type { RunDeps } from "./deps.js";
import { Interrupted, type Interrupts, interruptible, trapInterrupts } from "./interrupts.js";
import type { Io } from "./output.js";
import { type Project, planRequest } from "./project.js";
import { reading, type Spinner, startSpinner } from "./spinner.js";

export interface RunChangesOptions {
  project: Project;
  targets: readonly string[];
  deps: RunDeps;
  io: Io;
  style: Style;
  /** Where the plan, the prompt and progress go (stderr when stdout carries JSON). */
  planStream: NodeJS.WritableStream;
  lockWaitMs: number;
  autoApprove: boolean;
  /** Written on every audit row, e.g. `auto-fix`. */
  trigger?: string;
  /** Adopt unmanaged live plans the plan files name (`--adopt`). */
  adopt?: boolean;
  /** Allow deleting plans that have API keys attached (`--allow-key-loss`). */
  allowKeyLoss?: boolean;
  /** Which plan to run, from the plan computed now under the lock; may print a preamble or throw. */
  choose(current: Plan, records: readonly MasterRecord[], actor: string): Promise<{ plan: Plan }>;
}

export type RunChangesResult =
  | { kind: "done"; outcome: RunApplyOutcome; interrupts: Interrupts }
  | { kind: "interrupted"; code: number };

export async function runChanges(o: RunChangesOptions): Promise<RunChangesResult> {
  const { project, deps, io, style, planStream } = o;
  // Until the changes start, a signal cancels; after that it stops before the next change.
  const interrupts = trapInterrupts(io, "cancelling");
  const signal = interrupts.signal;
  // From the first signal on, no API Gateway call that is still waiting for its turn is sent.
  signal.addEventListener("abort", () => deps.stopCalls(), { once: true });
  let spin: Spinner | undefined;
  let shown: Plan | undefined;
  try {
    const actor = await interruptible(deps.live.callerIdentity(), signal);
    const outcome = await runApply(
      planRequest(project, o.targets, o),
      {
        ...deps,
        actor,
        ownershipTagKey: project.config.ownership_tag_key,
        lockTtlSeconds: project.config.lock.ttl_seconds,
        lockWaitMs: o.lockWaitMs,
        concurrency: project.config.apply.concurrency,
        ...(o.trigger ? { trigger: o.trigger } : {}),
      },
      {
        signal,
        onLock: (lock) => {
          // A second signal exits at once and leaves the lock to expire (a call may still be in flight).
          interrupts.setExitNote(
            `The apply lock (lock id ${lock.lock_id}) stays held until it expires (up to ${project.config.lock.ttl_seconds} s), so that a call still in flight lands first; to take it sooner: upg unlock ${lock.lock_id} --reason '…'.`,
          );
          const note = lockNotice(lock);
          if (note) io.stderr.write(note);
        },
        onAuditRepair: async (repair) => {
          for (const line of await auditRepairNotice(repair, deps.store)) io.stderr.write(line);
        },
        read: (work) => interruptible(reading(io, project.region, work, signal), signal),
        onRecovered: (recoveries) => {
          io.stderr.write("Finishing what an earlier run left unfinished:\n");
          for (const r of recoveries) io.stderr.write(`  ${r.note}\n`);
        },
        approve: async (current, records) => {
          const { plan } = await o.choose(current, records, actor);
          planStream.write(renderPlanHuman(plan, style));
          if (plan.problems.length > 0) {
            throw new UserError("The plan has problems (listed above); nothing was applied.", {
              hint: "Fix them and run `upg plan` again.",
            });
          }
          if (plan.changes.length === 0) return { plan };
          if (!o.autoApprove && !(await confirm(io, planStream, signal))) return false;
          shown = plan;
          interrupts.setAction(STOPPING);
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
    return { kind: "done", outcome, interrupts };
  } catch (err) {
    if (err instanceof Interrupted) {
      io.stderr.write("Interrupted before any change was made; nothing was applied.\n");
      return { kind: "interrupted", code: interrupts.exitCode() ?? 130 };
    }
    throw err;
  } finally {
    spin?.stop();
    interrupts.dispose();
  }
}

/** What a signal does once changes are running (said after "SIGINT received: "). */
export const STOPPING =
  "stopping after the changes in flight (press Ctrl-C again to exit at once; the next run finishes the work)";

/** What taking the apply lock is worth saying: that an expired lock was taken over. */
export function lockNotice(lock: AcquiredLock): string | undefined {
  if (!lock.replaced) return undefined;
  return `Took over an expired apply lock held by ${lock.replaced.owner} (run ${lock.replaced.run_id}) since ${lock.replaced.acquired_at}; recorded in the audit log.\n`;
}

/** The lines about the audit log before a run writes: an interrupted append completed, or a chain that breaks. */
export async function auditRepairNotice(repair: AuditHeadRepair, store: Store): Promise<string[]> {
  const lines: string[] = [];
  if (repair.moved.length > 0)
    lines.push(`Audit log: completed an interrupted append (row ${repair.moved.join(", ")}).\n`);
  if (repair.blocked)
    lines.push(
      `Warning: the audit log does not verify at row ${repair.blocked.seq}: ${repair.blocked.reason}. Run \`upg audit verify\`.\n`,
    );
  else {
    const warning = await auditHeadWarning(store);
    if (warning) lines.push(`Warning: ${warning} Run \`upg audit verify\`.\n`);
  }
  return lines;
}

/** Resolves false when the user does not type "yes", or when the run is interrupted at the prompt. */
export async function confirm(io: Io, out: NodeJS.WritableStream, signal: AbortSignal): Promise<boolean> {
  if (io.stdin.isTTY !== true) {
    throw new UserError("Refusing to apply without confirmation: standard input is not a terminal.", {
      hint: "Review the plan above and pass --auto-approve to apply it non-interactively.",
    });
  }
  // With stdout sent to a file or a pipe (`upg apply > plan.txt`), the question still reaches the terminal.
  const ask = (out as { isTTY?: boolean }).isTTY === true ? out : io.stderr;
  ask.write(
    "\nDo you want to perform these actions? Only 'yes' will be accepted to approve.\n  Enter a value: ",
  );
  const rl = createInterface({ input: io.stdin, output: ask, terminal: false });
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

export function describeWait(w: PacerWait): string {
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

/** Streams each change's outcome as it completes; long pacing waits show what they wait for. */
export function progressPrinter(
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

export function exitCodeOf(result: ApplyResult, interrupts: Interrupts): number {
  const signalled = interrupts.exitCode();
  if (signalled !== undefined && result.stopped) return signalled;
  return result.stopped || result.results.some((r) => r.outcome !== "ok") ? 1 : 0;
}

export async function headLine(deps: RunDeps): Promise<{ seq: number; hash: string } | undefined> {
  try {
    const head = await deps.store.auditHead();
    return head ? { seq: head.seq, hash: head.hash } : undefined;
  } catch {
    return undefined;
  }
}
