// `upg cleanup`: a dry-run table by default; with --confirm the removals run through the apply engine (lock,
// journal, one audit row per removal with trigger `cleanup`, streamed progress, Ctrl-C between removals, a
// stopped run finished by the next). Each --region in turn, with its own clients.

import { existsSync } from "node:fs";
import { makePlan } from "../apply/make-plan.js";
import {
  type CleanupPlan,
  type CleanupScope,
  cleanupTotals,
  hasScope,
  planCleanup,
} from "../cleanup/plan.js";
import { referencedApis, resolveDesired } from "../diff/resolve.js";
import { errorMessage, UserError } from "../errors.js";
import type { ApplyResult } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import type { PlanSpec, UpgConfig } from "../model/spec.js";
import { cleanupJson, renderCleanupTable } from "../render/cleanup.js";
import { renderDiagnosticsHuman } from "../render/diagnostics.js";
import { problemLine } from "../render/plan.js";
import { plural, type Style } from "../render/style.js";
import { hasErrors, sortDiagnostics } from "../spec/diagnostics.js";
import { DEFAULT_PLANS_DIR, loadSpecs } from "../spec/load.js";
import { openDeps, type RunDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat, styleFor } from "./output.js";
import { loadConfigOnly, type Project, projectIn } from "./project.js";
import { exitCodeOf, headLine, runChanges } from "./run-changes.js";
import { reading } from "./spinner.js";

export interface CleanupCommandOptions {
  global: GlobalOptions;
  /** Every --region given (repeatable); empty: the global --region, else the config's first region. */
  regions: string[];
  orphans: boolean;
  archived: boolean;
  records: boolean;
  namePrefixes: string[];
  /** `k=v` each. */
  tags: string[];
  ids: string[];
  stages: string[];
  allowKeyLoss: boolean;
  confirm: boolean;
  autoApprove: boolean;
  plans: string[];
  output: string;
}

function parseTags(tags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    const i = t.indexOf("=");
    if (i <= 0) throw new UserError(`--tag ${t} is not KEY=VALUE.`, { hint: "Write it as --tag env=test." });
    out[t.slice(0, i)] = t.slice(i + 1);
  }
  return out;
}

/**
 * The config and the plan files. Unlike plan/apply, no plan files is fine (cleanup of an account whose
 * plans are all gone): every managed plan then counts as undeclared, which the output says.
 */
function loadCleanupProject(
  g: GlobalOptions,
  paths: readonly string[],
  io: Io,
): { config: UpgConfig; specs: PlanSpec[]; region: string } {
  const { config, region } = loadConfigOnly(g, io);
  const given = paths.length > 0;
  if (!given && !existsSync(DEFAULT_PLANS_DIR)) {
    io.stderr.write(
      `Note: no ${DEFAULT_PLANS_DIR}/ directory here, so no plan file declares any plan (pass --plans to point at them).\n`,
    );
    return { config, specs: [], region };
  }
  const res = loadSpecs(given ? paths : [DEFAULT_PLANS_DIR], config, { cwd: process.cwd() });
  const diags = sortDiagnostics(res.diagnostics);
  if (diags.length > 0) {
    io.stderr.write(
      renderDiagnosticsHuman(
        diags,
        { files: res.files.length, plans: res.plans.length },
        styleFor(io.stderr, io.env, g.color),
      ),
    );
    if (hasErrors(diags)) {
      throw new UserError("The plan files have errors; nothing was read or written.", {
        hint: "Fix them (see above): cleanup must know which plans are still declared.",
      });
    }
  }
  return { config, specs: res.plans, region };
}

/** Reads what cleanup needs (every plan's keys, the stages it names) and plans it. */
export async function computeCleanup(
  project: Project,
  deps: Pick<RunDeps, "live" | "clock">,
  records: readonly MasterRecord[],
  scope: CleanupScope,
  allowKeyLoss: boolean,
): Promise<CleanupPlan> {
  const apis = referencedApis(project.specs);
  const stageApis = scope.stages.map((s) => s.slice(0, Math.max(0, s.lastIndexOf(":"))));
  const live = await deps.live.readLive({
    ownershipTagKey: project.config.ownership_tag_key,
    recordIds: records.flatMap((r) => (r.api_gateway_id ? [r.api_gateway_id] : [])),
    apiIds: [
      ...new Set([...apis.apiIds, ...records.flatMap((r) => r.stages.map((s) => s.api_id)), ...stageApis]),
    ].sort(),
    apiNames: [...new Set([...apis.apiNames, ...stageApis])].sort(),
    allKeys: true,
  });
  const res = planCleanup({
    scope,
    live,
    records,
    desired: resolveDesired(project.specs, live).desired,
    ownershipTagKey: project.config.ownership_tag_key,
    ...(project.config.project !== undefined ? { project: project.config.project } : {}),
    allowKeyLoss,
    now: deps.clock().toISOString(),
  });
  if (!res.ok) throw new UserError(`${res.message} Nothing was changed.`, { hint: res.hint });
  return res.cleanup;
}

interface RegionReport {
  region: string;
  cleanup?: CleanupPlan;
  result?: ApplyResult;
  error?: string;
  code: number;
}

function problemsText(c: CleanupPlan, style: Style): string {
  if (c.plan.problems.length === 0) return "";
  return `${style.red(style.bold("Refused (nothing is removed until these are resolved):"))}\n${c.plan.problems.map(problemLine).join("\n")}\n`;
}

function summaryOf(result: ApplyResult, style: Style): string {
  const ok = result.results.filter((r) => r.outcome === "ok").length;
  const failed = result.results.filter((r) => r.outcome === "failed").length;
  const notRun = result.results.length - ok - failed;
  if (failed === 0 && notRun === 0 && !result.stopped)
    return `${style.green(style.bold(`Cleanup complete: ${plural(ok, "removal")} done.`))}\n`;
  return [
    ...(result.stopped ? [style.yellow(`Stopped: ${result.stopped}`)] : []),
    style.red(style.bold(`Cleanup incomplete: ${ok} done, ${failed} failed, ${notRun} not run.`)),
    "Rows marked removed were removed; the others were not. Fix the cause and run the same `upg cleanup --confirm` again: it works out what is left and finishes it.",
    "",
  ].join("\n");
}

async function dryRun(
  project: Project,
  deps: RunDeps,
  io: Io,
  scope: CleanupScope,
  allowKeyLoss: boolean,
): Promise<CleanupPlan> {
  return reading(io, project.region, async () => {
    // The records as they are once a stopped run is finished (in memory: a dry run writes nothing).
    const snap = await makePlan({ specs: project.specs, config: project.config, targets: [] }, deps);
    if (snap.recovery.recoveries.length > 0) {
      io.stderr.write(
        "An earlier run stopped mid-change. This shows the state after finishing it; the next --confirm records it:\n",
      );
      for (const r of snap.recovery.recoveries) io.stderr.write(`  ${r.note}\n`);
    }
    return computeCleanup(project, deps, snap.recovery.records, scope, allowKeyLoss);
  });
}

async function cleanRegion(
  opts: CleanupCommandOptions,
  base: { config: UpgConfig; specs: PlanSpec[] },
  region: string,
  scope: CleanupScope,
  io: Io,
  human: boolean,
): Promise<RegionReport> {
  // Only the plans that live in this region are declared here (a plan file's `regions:`).
  const project: Project = projectIn({ ...base, region, allSpecs: base.specs }, region);
  const out = human ? io.stdout : io.stderr;
  const style = styleFor(out, io.env, opts.global.color);
  const deps = await openDeps(opts.global, base.config, region);
  try {
    if (!opts.confirm) {
      const cleanup = await dryRun(project, deps, io, scope, opts.allowKeyLoss);
      if (human) {
        io.stdout.write(renderCleanupTable(cleanup, region, style));
        io.stdout.write(problemsText(cleanup, style));
      }
      return { region, cleanup, code: cleanup.plan.problems.length > 0 ? 1 : 0 };
    }
    let cleanup: CleanupPlan | undefined;
    const run = await runChanges({
      project,
      targets: [],
      deps,
      io,
      style,
      planStream: out,
      lockWaitMs: 0,
      autoApprove: opts.autoApprove,
      trigger: "cleanup",
      choose: async (_current, records) => {
        // Computed again under the lock, from the records as the recovery left them.
        cleanup = await computeCleanup(project, deps, records, scope, opts.allowKeyLoss);
        out.write(renderCleanupTable(cleanup, region, style));
        out.write("\n");
        return { plan: cleanup.plan };
      },
    });
    if (run.kind === "interrupted") return { region, ...(cleanup ? { cleanup } : {}), code: run.code };
    const { outcome, interrupts } = run;
    if (outcome.kind === "cancelled") {
      out.write("\nCleanup cancelled. Nothing was changed.\n");
      return { region, ...(cleanup ? { cleanup } : {}), code: interrupts.exitCode() ?? 1 };
    }
    if (outcome.kind === "empty") return { region, ...(cleanup ? { cleanup } : {}), code: 0 };
    const { result } = outcome;
    if (human && cleanup) {
      io.stdout.write(`\n${renderCleanupTable(cleanup, region, style, result)}`);
      io.stdout.write(summaryOf(result, style));
      const head = await headLine(deps);
      if (head) io.stdout.write(`Audit log head: seq ${head.seq}, sha256 ${head.hash}\n`);
    }
    if (result.stopped && interrupts.exitCode() !== undefined) {
      const ok = result.results.filter((r) => r.outcome === "ok").length;
      io.stderr.write(
        `Stopped (${result.stopped}): ${ok} removed, ${result.results.length - ok} not. Run the same \`upg cleanup --confirm\` again to finish.\n`,
      );
    }
    return { region, ...(cleanup ? { cleanup } : {}), result, code: exitCodeOf(result, interrupts) };
  } finally {
    deps.close();
  }
}

export async function runCleanupCommand(opts: CleanupCommandOptions, io: Io): Promise<number> {
  const format = parseFormat(opts.output, ["human", "json"]);
  const scope: CleanupScope = {
    orphans: opts.orphans,
    archived: opts.archived,
    records: opts.records,
    namePrefixes: opts.namePrefixes,
    tags: parseTags(opts.tags),
    ids: opts.ids,
    stages: opts.stages,
  };
  if (!hasScope(scope)) {
    throw new UserError("upg cleanup needs a scope: nothing was chosen, nothing was read or changed.", {
      hint: "Choose what to clean: --orphans, --archived, --records, --stage API:STAGE, or plans by --name-prefix P, --tag k=v or --id ID (see `upg cleanup --help`).",
    });
  }
  if (opts.autoApprove && !opts.confirm) {
    throw new UserError("--auto-approve without --confirm: a cleanup without --confirm is a dry run.", {
      hint: "Add --confirm to remove what the dry run shows.",
    });
  }
  const base = loadCleanupProject(opts.global, opts.plans, io);
  const regions = [...new Set(opts.regions.length > 0 ? opts.regions : [base.region])];
  const human = format === "human";
  const reports: RegionReport[] = [];
  for (const region of regions) {
    try {
      const r = await cleanRegion(opts, base, region, scope, io, human);
      reports.push(r);
      if (r.code === 130 || r.code === 143) break; // interrupted: no further region
    } catch (err) {
      // One region at a time: with several, the others still run and the failure is reported with its region.
      if (regions.length === 1) throw err;
      const hint = err instanceof UserError && err.hint ? ` ${err.hint}` : "";
      const message = `${errorMessage(err)}${hint}`;
      if (human) io.stderr.write(`Region ${region}: Error: ${message}\n`);
      reports.push({ region, error: message, code: 1 });
    }
  }
  if (!human) {
    io.stdout.write(
      `${JSON.stringify(
        {
          dry_run: !opts.confirm,
          regions: reports.map((r) => ({
            ...(r.cleanup ? cleanupJson(r.cleanup, r.region, r.result) : { region: r.region }),
            ...(r.error ? { error: r.error } : {}),
          })),
        },
        null,
        2,
      )}\n`,
    );
  } else if (!opts.confirm) {
    const removable = reports.some(
      (r) =>
        r.cleanup &&
        cleanupTotals(r.cleanup.items).plans +
          cleanupTotals(r.cleanup.items).stages +
          cleanupTotals(r.cleanup.items).records >
          0,
    );
    io.stdout.write(
      removable
        ? "\nDry run: nothing was changed. Run again with --confirm to remove what is marked remove/detach.\n"
        : "\nDry run: nothing was changed.\n",
    );
  }
  const interrupted = reports.find((r) => r.code === 130 || r.code === 143);
  if (interrupted) return interrupted.code;
  return Math.max(0, ...reports.map((r) => r.code));
}
