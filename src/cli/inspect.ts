// `upg init`, `upg status`, `upg show`, `upg unlock`.

import { makePlan, type Snapshot } from "../apply/make-plan.js";
import { findLivePlan } from "../diff/build-plan.js";
import { recordSettings } from "../diff/normalise.js";
import { projectLabel } from "../diff/scope.js";
import { UserError } from "../errors.js";
import { runFleet } from "../fleet/run.js";
import type { FleetTarget } from "../fleet/targets.js";
import type { PlanSpec, UpgConfig } from "../model/spec.js";
import { fleetLabel } from "../render/merge.js";
import { describeSettings } from "../render/plan.js";
import { renderStatusTable, type StatusRow } from "../render/status.js";
import type { FeatureReport } from "../store/index.js";
import { openDeps, type RunDeps } from "./deps.js";
import { fleetCredentials, fleetTargets, runFleetCommand } from "./fleet-run.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat, styleFor } from "./output.js";
import { loadConfigOnly, loadProject } from "./project.js";
import { startSpinner } from "./spinner.js";

const FEATURE_STATUS: Record<FeatureReport["status"], string> = {
  enabled: "enabled",
  already_enabled: "already enabled",
  unsupported: "not supported by this backend (requested; see -o json for what it answered)",
  failed: "could not be enabled",
};

/** One line per feature and outcome, naming the tables; details only where something failed. */
function describeFeatures(features: readonly FeatureReport[]): string {
  const groups = new Map<string, FeatureReport[]>();
  for (const f of features) {
    const key = `${f.feature}|${f.status}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  let out = "";
  for (const list of groups.values()) {
    const f = list[0]!;
    const tables = list.map((x) => x.table).join(", ");
    out += `  ${f.feature.replace(/_/g, " ")}: ${FEATURE_STATUS[f.status]} (${tables}).\n`;
    if (f.status === "failed") for (const x of list) out += `    ${x.table}: ${x.detail ?? "no detail"}\n`;
  }
  return out;
}

/** What init did in one account-region, as lines. */
function describeInit(report: Awaited<ReturnType<RunDeps["store"]["init"]>>, region: string): string {
  let out = "";
  for (const t of report.tables) {
    out += t.status === "created" ? `Created table ${t.name}.\n` : `Table ${t.name} already existed.\n`;
  }
  return `${out}${describeFeatures(report.features)}upg is ready in ${region}. Next: upg plan\n`;
}

export async function runInitCommand(g: GlobalOptions, output: string, io: Io): Promise<number> {
  const format = parseFormat(output, ["human", "json"]);
  const { config, region } = loadConfigOnly(g, io);
  const fleet = fleetTargets(g, config);
  if (fleet.length > 1) return initFleet(g, config, fleet, format === "json" ? "json" : "human", io);
  const deps = await openDeps(g, config, region);
  try {
    const report = await deps.store.init();
    if (format === "json") {
      io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
      return 0;
    }
    io.stdout.write(describeInit(report, region));
    return 0;
  } finally {
    deps.close();
  }
}

/** `upg init` over several account-regions: the tables in each (idempotent); a failed one does not stop the rest. */
async function initFleet(
  g: GlobalOptions,
  config: UpgConfig,
  targets: FleetTarget[],
  format: "human" | "json",
  io: Io,
): Promise<number> {
  const results = await runFleet({
    targets,
    open: (region, credentials) => openDeps(g, config, region, credentials),
    job: async (_t, deps) => ({ exit_code: 0, report: await deps.store.init() }),
    credentials: fleetCredentials(g, config),
  });
  if (format === "json") {
    io.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
  } else {
    const style = styleFor(io.stdout, io.env, g.color);
    for (const r of results) {
      const label = fleetLabel(r);
      io.stdout.write(`${style.bold(`== ${label} ==`)}\n`);
      const text =
        r.status === "ok" && r.report
          ? describeInit(r.report, r.region)
          : `${style.red(`Error: ${r.error ?? "failed"}`)}\n${r.hint ? `${r.hint}\n` : ""}`;
      for (const line of text.replace(/\n$/, "").split("\n")) io.stdout.write(`${label}  ${line}\n`);
      io.stdout.write("\n");
    }
  }
  const failed = results.filter((r) => r.status === "error");
  if (format === "human") {
    io.stdout.write(
      failed.length === 0
        ? `upg is ready in ${results.length} account-regions. Next: upg plan\n`
        : `${failed.length} of ${results.length} account-regions failed (see above); the others are ready.\n`,
    );
  }
  return failed.length > 0 ? 1 : 0;
}

function statusRows(specs: readonly PlanSpec[], snap: Snapshot, only: readonly string[]): StatusRow[] {
  const ids = [...new Set([...specs.map((s) => s.planId), ...snap.records.map((r) => r.plan_id)])]
    .filter((id) => only.length === 0 || only.includes(id))
    .sort();
  const pending = new Set(snap.plan.changes.map((c) => c.planId));
  const drifted = new Set(snap.plan.violations.map((v) => v.plan_id));
  const others = new Set(snap.otherPlans.map((p) => p.id));
  const ownPlans = snap.live.plans.filter((p) => !others.has(p.id));
  const owned = problemsOwnedElsewhere(snap);
  const rows = ids.map((planId): StatusRow => {
    const r = snap.records.find((x) => x.plan_id === planId);
    const spec = specs.find((x) => x.planId === planId);
    const live = findLivePlan(ownPlans, planId, r?.api_gateway_id);
    const state = drifted.has(planId) ? "drifted" : pending.has(planId) ? "pending" : "in sync";
    return {
      planId,
      tier: spec?.tier ?? r?.tier ?? "",
      lifecycle: spec?.lifecycleState ?? r?.lifecycle_state ?? "",
      apiGatewayId: live?.id ?? (r?.api_gateway_id ? `${r.api_gateway_id} (gone)` : "-"),
      stages: (live?.settings.stages ?? []).map((s) => `${s.apiId}:${s.stage}`),
      keys: live?.keys.length ?? 0,
      state: owned.has(planId) ? "conflict" : state,
    };
  });
  // Another project's plans: listed for information, never planned here.
  for (const p of snap.otherPlans) {
    const lp = snap.live.plans.find((x) => x.id === p.id);
    rows.push({
      planId: p.planId ?? "-",
      tier: "",
      lifecycle: "",
      apiGatewayId: p.id,
      stages: (lp?.settings.stages ?? []).map((s) => `${s.apiId}:${s.stage}`),
      keys: lp?.keys.length ?? 0,
      state: "other project",
      owner: p.project,
    });
  }
  return rows;
}

/** plan_ids whose plan file takes a plan_id or name another project owns. */
function problemsOwnedElsewhere(snap: Snapshot): Set<string> {
  return new Set(snap.plan.problems.filter((p) => p.code === "owned_by_other_project").map((p) => p.planId));
}

/** `upg status PLAN…`: every plan named must be declared or recorded. */
async function requireKnown(
  deps: Awaited<ReturnType<typeof openDeps>>,
  specs: readonly PlanSpec[],
  only: readonly string[],
): Promise<void> {
  const declared = new Set(specs.map((s) => s.planId));
  const unknown: string[] = [];
  for (const id of only) if (!declared.has(id) && !(await deps.store.getRecord(id))) unknown.push(id);
  if (unknown.length > 0)
    throw new UserError(`No plan file or master record for ${unknown.join(", ")}.`, {
      hint: "`upg status` with no plan_id lists every plan upg knows.",
    });
}

export async function runStatusCommand(
  g: GlobalOptions,
  plans: string[] | undefined,
  output: string,
  io: Io,
  only: readonly string[] = [],
): Promise<number> {
  const format = parseFormat(output, ["human", "json"]);
  const project = loadProject(g, plans, io);
  const fleet = fleetTargets(g, project.config);
  if (fleet.length > 1) {
    return runFleetCommand({
      command: "status",
      global: g,
      config: project.config,
      targets: fleet,
      format,
      io,
      job: async (_t, deps) => {
        if (only.length > 0) await requireKnown(deps, project.specs, only);
        const snap = await makePlan(
          { specs: project.specs, config: project.config, targets: [...only] },
          deps,
        );
        return { exit_code: 0, report: statusRows(project.specs, snap, only) };
      },
    });
  }
  const deps = await openDeps(g, project.config, project.region);
  const spin = await startSpinner(io, "Reading…");
  try {
    if (only.length > 0) await requireKnown(deps, project.specs, only);
    const snap = await makePlan({ specs: project.specs, config: project.config, targets: [...only] }, deps);
    spin.stop();
    const rows = statusRows(project.specs, snap, only);
    if (format === "json") io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else io.stdout.write(renderStatusTable(rows, styleFor(io.stdout, io.env, g.color)));
    return 0;
  } finally {
    spin.stop();
    deps.close();
  }
}

export async function runShowCommand(
  g: GlobalOptions,
  planId: string,
  output: string,
  io: Io,
): Promise<number> {
  const format = parseFormat(output, ["human", "json"]);
  const { config, region } = loadConfigOnly(g, io);
  const deps = await openDeps(g, config, region);
  try {
    await deps.store.checkTables();
    const record = await deps.store.getRecord(planId);
    if (!record)
      throw new UserError(`No master record for ${planId}.`, {
        hint: "`upg status` lists the plans upg knows; `upg apply` creates records.",
      });
    if (record.project !== undefined && record.project !== config.project)
      throw new UserError(
        `${planId} is owned by ${projectLabel(record.project)}, not by ${projectLabel(config.project)}.`,
        {
          hint: `Run \`upg show ${planId}\` in ${projectLabel(record.project)}'s repository (its upg.config.yaml says project: ${record.project}).`,
        },
      );
    // Only this plan: its keys, no API keys or REST APIs (a few calls, whatever the size of the account).
    const ids = record.api_gateway_id ? [record.api_gateway_id] : [];
    const live = await deps.live.readLive({
      ownershipTagKey: config.ownership_tag_key,
      recordIds: ids,
      apiIds: [],
      apiNames: [],
      only: { planIds: [planId], ids, stages: [] },
      listKeys: false,
      listApis: false,
    });
    const lp = findLivePlan(live.plans, planId, record.api_gateway_id);
    if (format === "json") {
      io.stdout.write(`${JSON.stringify({ record, live: lp ?? null }, null, 2)}\n`);
      return 0;
    }
    const style = styleFor(io.stdout, io.env, g.color);
    const out = [
      style.bold(`${planId}`),
      `  tier: ${record.tier ?? "-"}   lifecycle: ${record.lifecycle_state}${record.successor ? ` → ${record.successor}` : ""}`,
    ];
    out.push(`  record: version ${record.version}, updated ${record.updated_at} by ${record.updated_by}`);
    out.push(
      "",
      style.bold("Declared (master record):"),
      ...describeSettings(recordSettings(record)).map((l) => `  ${l}`),
    );
    out.push(
      `  keys (${record.keys_declared ? "declared" : "observed"}): ${record.keys.join(", ") || "(none)"}`,
    );
    out.push("", style.bold(`Live (API Gateway${lp ? ` ${lp.id}` : ""}):`));
    if (lp) {
      out.push(
        ...describeSettings(lp.settings).map((l) => `  ${l}`),
        `  keys: ${lp.keys.join(", ") || "(none)"}`,
      );
    } else {
      out.push(
        record.api_gateway_id
          ? style.red(
              `  not found: ${record.api_gateway_id} was deleted outside upg (run upg apply to recreate it)`,
            )
          : "  (not in API Gateway)",
      );
    }
    out.push("", style.bold("Lineage:"));
    if (record.lineage.length === 0) out.push(`  created ${record.created_at}, never recreated`);
    for (const e of record.lineage) {
      out.push(
        `  ${e.api_gateway_id}: deleted ${e.deleted_at ?? "?"}${e.recreated_as ? `, recreated as ${e.recreated_as}` : ""}`,
      );
    }
    if (record.recreated_from)
      out.push(
        `  current ${record.api_gateway_id ?? "-"} recreated from ${record.recreated_from} at ${record.recreated_at}`,
      );
    io.stdout.write(`${out.join("\n")}\n`);
    return 0;
  } finally {
    deps.close();
  }
}

export async function runUnlockCommand(
  g: GlobalOptions,
  lockId: string,
  reason: string,
  io: Io,
): Promise<number> {
  if (!lockId.trim())
    throw new UserError("A lock id is required.", {
      hint: "Use the id from the \"holds the apply lock (lock id …)\" message: upg unlock LOCK_ID --reason '…'.",
    });
  if (!reason.trim())
    throw new UserError("--reason is required.", {
      hint: "Say why the lock is being released, e.g. --reason 'CI job 123 crashed'.",
    });
  const { config, region } = loadConfigOnly(g, io);
  const deps = await openDeps(g, config, region);
  try {
    await deps.store.checkTables();
    const by = await deps.live.callerIdentity();
    const removed = await deps.store.forceUnlock(reason, by, lockId.trim());
    io.stdout.write(
      removed
        ? `Released the lock held by ${removed.owner} since ${removed.acquired_at} (lock id ${lockId.trim()}).\n`
        : "No lock was held.\n",
    );
    return 0;
  } finally {
    deps.close();
  }
}
