// `upg apply` over a fleet: every account-region is planned side by side, the merged plan is shown once and
// confirmed once, then every account-region applies side by side under its own lock, journal and pacer.
// What runs in each is exactly what was shown: a target whose plan changed in between (another run, a console
// edit) applies nothing and says why; the others go on. Progress lines name their account-region.

import { setMaxListeners } from "node:events";
import { makePlan, staleReason } from "../apply/make-plan.js";
import { runApply } from "../apply/run-apply.js";
import { LockHeldError, UserError, unlockHint } from "../errors.js";
import type { TargetOutcome } from "../fleet/run.js";
import { runFleet } from "../fleet/run.js";
import { type FleetTarget, targetLabel } from "../fleet/targets.js";
import type { ApplyResult, Plan } from "../model/plan.js";
import { fleetLabel, fleetReport, renderFleetHuman, renderFleetJson } from "../render/merge.js";
import { renderChangeResult } from "../render/plan.js";
import { notifyRunEvents } from "./alerts.js";
import { openDeps, type RunDeps } from "./deps.js";
import { fleetCredentials, progressLine } from "./fleet-run.js";
import type { GlobalOptions } from "./global-options.js";
import { trapInterrupts } from "./interrupts.js";
import { type Io, styleFor } from "./output.js";
import { type Project, planRequest, projectIn } from "./project.js";
import {
  auditRepairNotice,
  confirm,
  describeWait,
  exitCodeOf,
  headLine,
  lockNotice,
  STOPPING,
} from "./run-changes.js";

export interface FleetApplyOptions {
  global: GlobalOptions;
  project: Project;
  fleet: readonly FleetTarget[];
  targets: readonly string[];
  autoApprove: boolean;
  lockWaitMs: number;
  format: "human" | "json";
  adopt?: boolean;
  allowKeyLoss?: boolean;
}

type Where = { account: string | null; region: string };

export async function runFleetApply(o: FleetApplyOptions, io: Io): Promise<number> {
  const g = o.global;
  const config = o.project.config;
  const human = o.format === "human";
  // With -o json, stdout carries only the fleet report: the plan, the prompt and progress go to stderr.
  const out = human ? io.stdout : io.stderr;
  const style = styleFor(out, io.env, g.color);
  const interrupts = trapInterrupts(io, "cancelling");
  const signal = interrupts.signal;
  // Every account-region listens for the run's signal (its reads, its calls): a few listeners each.
  setMaxListeners(10 + 4 * o.fleet.length, signal);
  const credentials = fleetCredentials(g, config);
  const open = (region: string, creds: Parameters<typeof openDeps>[3]) => openDeps(g, config, region, creds);
  const request = (region: string) => planRequest(projectIn(o.project, region), o.targets, o);
  try {
    // 1. Plan every account-region (no lock: nothing is written), and show the merged plan.
    const planned = await runFleet<RunDeps, Plan>({
      targets: o.fleet,
      open,
      credentials,
      concurrency: config.fleet.concurrency,
      job: async (_t, deps) => {
        const { plan } = await makePlan(request(deps.target.region), deps);
        return { exit_code: plan.problems.length > 0 ? 1 : plan.changes.length > 0 ? 2 : 0, report: plan };
      },
      onDone: progressLine(io, "planned", o.fleet.length),
    });
    if (signal.aborted) {
      io.stderr.write("Interrupted before any change was made; nothing was applied.\n");
      return interrupts.exitCode() ?? 130;
    }
    const planDoc = fleetReport("plan", planned, new Date().toISOString());
    out.write(renderFleetHuman(planDoc, style));
    const failed = planned.filter((r) => r.status === "error" || (r.report?.problems.length ?? 0) > 0);
    if (failed.length > 0) {
      throw new UserError(
        `Nothing was applied: ${failed.map(fleetLabel).join(", ")} could not be planned or ${failed.length === 1 ? "has" : "have"} problems (listed above).`,
        { hint: "Fix them, or leave them out with --account/--region, and run again." },
      );
    }
    const shown = new Map(planned.map((r) => [fleetLabel(r), r.report!]));
    const changes = [...shown.values()].reduce((n, p) => n + p.changes.length, 0);
    if (changes === 0) {
      if (!human) io.stdout.write(renderFleetJson(fleetReport("apply", [], new Date().toISOString())));
      return 0;
    }
    if (!o.autoApprove && !(await confirm(io, out, signal))) {
      out.write("\nApply cancelled. Nothing was changed.\n");
      return interrupts.exitCode() ?? 1;
    }
    interrupts.setAction(STOPPING);
    out.write("\n");
    // 2. Apply every account-region that has changes, each under its own lock, exactly as shown.
    const withChanges = o.fleet.filter((t) => (shown.get(targetLabel(t))?.changes.length ?? 0) > 0);
    const applied = await runFleet<RunDeps, ApplyResult>({
      targets: withChanges,
      open,
      credentials,
      concurrency: config.fleet.concurrency,
      job: (where, deps) => applyOne(where, deps, shown.get(fleetLabel(where))!),
      onDone: progressLine(io, "applied", withChanges.length),
    });
    const doc = fleetReport("apply", applied, new Date().toISOString());
    if (human) io.stdout.write(`\n${renderFleetHuman(doc, style)}`);
    else io.stdout.write(renderFleetJson(doc));
    const signalled = interrupts.exitCode();
    const cut = applied.some((r) => r.status === "error" || r.report?.stopped !== undefined);
    return signalled !== undefined && cut ? signalled : doc.exit_code;
  } finally {
    interrupts.dispose();
  }

  /**
   * A target interrupted before its first change (reading, or waiting for its lock) applied nothing; a lock
   * another run holds is said with the flags that reach this account-region.
   */
  async function untilInterrupted<T>(where: Where, work: Promise<T>): Promise<T> {
    try {
      return await work;
    } catch (err) {
      if (err instanceof LockHeldError && err.lockId) {
        const flags = `${where.account ? `--account ${where.account} ` : ""}--region ${where.region}`;
        throw new UserError(err.message, { hint: unlockHint(err.lockId, flags) });
      }
      if (!signal.aborted) throw err;
      throw new UserError("Interrupted before any change was made here; nothing was applied.", {
        hint: "Run `upg apply` again to apply the plan.",
      });
    }
  }

  async function applyOne(where: Where, deps: RunDeps, shownPlan: Plan): Promise<TargetOutcome<ApplyResult>> {
    const label = fleetLabel(where);
    const say = (line: string) => out.write(prefixed(label, line));
    signal.addEventListener("abort", () => deps.stopCalls(), { once: true });
    deps.waits.listener = (w) => {
      // Once stopping, calls waiting for their turn are not sent: their waits are not worth a line.
      if (!signal.aborted) io.stderr.write(prefixed(label, `  … ${describeWait(w)}\n`));
    };
    // The plans whose stopped changes this run finishes first: the plan shown already showed them finished.
    let recovered = new Set<string>();
    const actor = await deps.live.callerIdentity();
    const outcome = await untilInterrupted(
      where,
      runApply(
        request(where.region),
        {
          ...deps,
          actor,
          ownershipTagKey: config.ownership_tag_key,
          lockTtlSeconds: config.lock.ttl_seconds,
          lockWaitMs: o.lockWaitMs,
          concurrency: config.apply.concurrency,
        },
        {
          signal,
          onLock: (lock) => {
            const note = lockNotice(lock);
            if (note) io.stderr.write(prefixed(label, note));
          },
          onAuditRepair: async (repair) => {
            for (const line of await auditRepairNotice(repair, deps.store))
              io.stderr.write(prefixed(label, line));
          },
          onRecovered: (recoveries) => {
            recovered = new Set(recoveries.map((r) => r.planId));
            io.stderr.write(prefixed(label, "Finishing what an earlier run left unfinished:\n"));
            for (const r of recoveries) io.stderr.write(prefixed(label, `  ${r.note}\n`));
          },
          // Exactly what was shown and approved, or nothing.
          approve: async (current) => {
            const stale = staleReason(
              withoutRecovered(shownPlan, recovered),
              withoutRecovered(current, recovered),
            );
            if (stale) {
              throw new UserError(
                `Nothing was applied here: the plan changed since it was shown (${stale}).`,
                {
                  hint: "Run `upg apply` again to see and approve the plan as it is now.",
                },
              );
            }
            // Equal to what was shown; after a roll-forward the plan computed now carries the records written.
            return { plan: recovered.size > 0 ? current : shownPlan };
          },
          onEvent: (e) => {
            if (e.type === "change-done") {
              const c = shownPlan.changes.find((x) => x.id === e.change.id);
              say(renderChangeResult(e.result, c, style));
            } else if (e.type === "stopping") say(`Stopping before the next change: ${e.reason}\n`);
          },
        },
      ),
    );
    deps.waits.listener = undefined;
    // The approved plan has changes, so the run either applied it or threw above.
    if (outcome.kind !== "applied") throw new Error(`apply ended as ${outcome.kind} after approval`);
    const { result } = outcome;
    const head = await headLine(deps);
    const alerts = await notifyRunEvents(outcome.plan, result, outcome.records, config, deps, io, true);
    if (alerts.failures) io.stderr.write(prefixed(label, alerts.failures));
    return {
      exit_code: Math.max(exitCodeOf(result, interrupts), alerts.failures ? 1 : 0),
      report: { ...result, ...(head ? { audit_head: head } : {}) },
    };
  }
}

/**
 * A plan as compared with the one shown, leaving out what finishing a stopped run's changes writes: the
 * `recovered` plans' record versions and the records their changes carry. That write happens under the lock,
 * before planning, and the shown plan already showed those changes finished; it is not a change since.
 */
function withoutRecovered(plan: Plan, recovered: ReadonlySet<string>): Plan {
  if (recovered.size === 0) return plan;
  const records = Object.fromEntries(
    Object.entries(plan.fingerprint.records).filter(([id]) => !recovered.has(id)),
  );
  return {
    ...plan,
    fingerprint: { ...plan.fingerprint, records },
    changes: plan.changes.map((c) => {
      if (!recovered.has(c.planId)) return c;
      const { record: _written, ...rest } = c;
      return rest;
    }),
  };
}

/** Every line of `text` prefixed with the account-region it is about. */
function prefixed(label: string, text: string): string {
  return text
    .replace(/\n$/, "")
    .split("\n")
    .map((l) => `${label}  ${l}\n`)
    .join("");
}
