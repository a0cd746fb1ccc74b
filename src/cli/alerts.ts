// Alerts a run sends: drift alerts (`upg drift --notify`, de-duplicated through the open-violation state), and
// the lifecycle and recovery alerts apply / drift --fix send when they deprecate, archive or recreate a plan.
// A failed delivery never hides the report: it is printed after it, and the command exits 1.

import type { DriftReport } from "../model/drift.js";
import type { ApplyResult, Plan } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import type { UpgConfig } from "../model/spec.js";
import type { Alert, DeliveryResult } from "../notify/index.js";
import type { RunDeps } from "./deps.js";
import type { Io } from "./output.js";

export interface AlertOutcome {
  sent: number;
  failures: string;
}

async function deliver(alerts: Alert[], config: UpgConfig, deps: RunDeps, io: Io, toStderr: boolean) {
  const { sendAlerts } = await import("../notify/index.js");
  const write = (s: string) => void (toStderr ? io.stderr : io.stdout).write(s);
  return sendAlerts(alerts, config.alerts.targets, { target: deps.target, write });
}

function outcomeOf(
  results: DeliveryResult[],
  describe: (r: DeliveryResult[]) => string,
  sent: number,
): AlertOutcome {
  return { sent, failures: describe(results) };
}

/** `upg drift --notify`: alert new, still-open (after the quiet period) and resolved violations. */
export async function notifyDrift(
  report: DriftReport,
  config: UpgConfig,
  deps: RunDeps,
  io: Io,
  toStderr: boolean,
): Promise<AlertOutcome> {
  const n = await import("../notify/index.js");
  const open = await deps.store.listOpenViolations();
  const { alerts, updates } = n.planAlerts({
    report,
    // A fleet's account name goes on the alert (subject, body, SNS attributes), so alerts say where.
    ...(report.account ? { account: report.account } : {}),
    open,
    now: deps.clock(),
    quietPeriodMs: config.alerts.quiet_period_ms,
  });
  const results = alerts.length > 0 ? await deliver(alerts, config, deps, io, toStderr) : [];
  const saved = await deps.store.saveViolationState(n.updatesAfterDelivery(updates, results));
  if (saved.conflicts.length > 0) {
    io.stderr.write(
      `Note: another drift run updated the alert state of ${saved.conflicts.length} violation(s) at the same time; it keeps its own record of what was sent.\n`,
    );
  }
  return outcomeOf(results, n.describeDeliveryFailures, alerts.length);
}

/** After apply or drift --fix: "plan deprecated/archived" and "plan deleted and recovered" alerts. */
export async function notifyRunEvents(
  plan: Plan,
  result: ApplyResult,
  records: readonly MasterRecord[],
  config: UpgConfig,
  deps: RunDeps,
  io: Io,
  toStderr: boolean,
): Promise<AlertOutcome> {
  if (config.alerts.targets.length === 0) return { sent: 0, failures: "" };
  const n = await import("../notify/index.js");
  const at = deps.clock().toISOString();
  const region = plan.region;
  const actor = await deps.live.callerIdentity();
  const ok = (planId: string) =>
    result.results.filter((r) => r.planId === planId).every((r) => r.outcome === "ok") &&
    result.results.some((r) => r.planId === planId);
  const alerts: Alert[] = [];
  for (const r of result.results) {
    if (r.action === "recreate" && r.outcome === "ok" && r.previousApiGatewayId && r.apiGatewayId) {
      const d = plan.desired.find((x) => x.planId === r.planId);
      alerts.push(
        n.recoveryAlert(r.planId, r.previousApiGatewayId, r.apiGatewayId, {
          region,
          at,
          actor,
          ...(d ? { planName: d.settings.name, restoredStages: d.settings.stages.length } : {}),
          restoredKeys: result.results.filter(
            (x) => x.planId === r.planId && x.action === "attach" && x.outcome === "ok",
          ).length,
        }),
      );
    }
  }
  for (const d of plan.desired) {
    const before = records.find((x) => x.plan_id === d.planId)?.lifecycle_state ?? "Active";
    if (d.lifecycleState === before || !ok(d.planId)) continue;
    alerts.push(
      n.lifecycleAlert(d.planId, d.lifecycleState, {
        region,
        at,
        actor,
        planName: d.settings.name,
        ...(d.successor ? { successor: d.successor } : {}),
      }),
    );
  }
  if (alerts.length === 0) return { sent: 0, failures: "" };
  const results = await deliver(alerts, config, deps, io, toStderr);
  return outcomeOf(results, n.describeDeliveryFailures, alerts.length);
}

/** Prints failed deliveries after the report; true when there were any (the run then exits 1). */
export function reportAlertFailures(io: Io, failures: string): boolean {
  if (!failures) return false;
  io.stderr.write(`Alert delivery failed:\n${failures}\n`);
  return true;
}
