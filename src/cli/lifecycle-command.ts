// `upg lifecycle deprecate|archive|activate PLAN_ID` edits the plan file (checked before it is written) and
// shows the plan `upg apply` would run; `upg lifecycle status` reports where plans stand. Neither writes to
// API Gateway or DynamoDB.

import { readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import { planFrom } from "../apply/make-plan.js";
import { resolveDesired } from "../diff/resolve.js";
import { errorMessage, UserError } from "../errors.js";
import {
  type KeyRef,
  keyLabel,
  keysOnPlan,
  type LifecycleAction,
  type LifecycleStatus,
  lifecycleStatus,
  TARGET_STATE,
  transitionError,
} from "../lifecycle/lifecycle.js";
import type { PlanSpec, UpgConfig } from "../model/spec.js";
import { renderDiagnosticsHuman } from "../render/diagnostics.js";
import { renderPlanHuman } from "../render/plan.js";
import { hasErrors } from "../spec/diagnostics.js";
import { editPlanText, type PlanEdit } from "../spec/edit.js";
import { DEFAULT_PLANS_DIR, loadSpecs } from "../spec/load.js";
import { openDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat, styleFor } from "./output.js";
import { loadProject, type Project, scopeTargets } from "./project.js";
import { snapshot } from "./reconcile.js";

export interface LifecycleChangeOptions {
  global: GlobalOptions;
  action: LifecycleAction;
  planId: string;
  plans: string[];
  successor?: string;
}

export interface LifecycleStatusOptions {
  global: GlobalOptions;
  planId?: string;
  plans: string[];
  output: string;
}

function findSpec(project: Project, planId: string): PlanSpec {
  const specs = project.specs;
  const spec = specs.find((s) => s.planId === planId);
  const elsewhere = project.allSpecs.find((s) => s.planId === planId);
  if (!spec && elsewhere) {
    throw new UserError(`Plan ${planId} does not live in ${project.region}.`, {
      hint: `Its plan file says regions: [${(elsewhere.regions ?? []).join(", ")}]; pick one with --region.`,
    });
  }
  if (!spec) {
    throw new UserError(`Unknown plan ${planId}: no plan file declares it.`, {
      hint: `Plans: ${specs.map((s) => s.planId).join(", ")}.`,
    });
  }
  return spec;
}

/** A staged edit: the new text is in a temp file beside the original until `commit` renames it over. */
interface StagedEdit {
  file: string;
  specs: PlanSpec[];
  commit(): void;
  discard(): void;
}

/**
 * Edits the plan files (file → edit per plan), writes each result to a temp file beside it, and loads every
 * plan file with the edited ones in place. Any error: the temp files are removed and nothing is written.
 */
export function stagePlanEdits(
  edits: ReadonlyArray<{ file: string; planId: string; edit: PlanEdit }>,
  paths: readonly string[],
  config: UpgConfig,
  io: Io,
  color: boolean,
): StagedEdit[] {
  const staged: Array<{ file: string; tmp: string }> = [];
  const discard = () => {
    for (const s of staged) rmSync(s.tmp, { force: true });
  };
  try {
    const texts = new Map<string, string>();
    for (const e of edits) {
      const text = texts.get(e.file) ?? readFileSync(e.file, "utf8");
      const out = editPlanText(text, e.planId, e.edit);
      if (!out.ok) {
        throw new UserError(`${e.file}:${out.error.line}:${out.error.col}: ${out.error.message}`, {
          hint: "Fix the file (`upg validate` shows every problem); nothing was written.",
        });
      }
      texts.set(e.file, out.text);
    }
    for (const [file, text] of texts) {
      const tmp = join(dirname(file), `.${basename(file)}.upg-edit-${process.pid}`);
      staged.push({ file, tmp });
      writeFileSync(tmp, text);
    }
    const res = loadSpecs(
      [...(paths.length > 0 ? paths : [DEFAULT_PLANS_DIR]), ...staged.map((s) => s.tmp)],
      config,
      { cwd: process.cwd(), exclude: staged.map((s) => s.file) },
    );
    const diags = res.diagnostics.map((d) => {
      const s = staged.find((x) => d.file.endsWith(basename(x.tmp)));
      return s ? { ...d, file: s.file } : d;
    });
    if (hasErrors(diags)) {
      io.stderr.write(
        renderDiagnosticsHuman(
          diags.filter((d) => d.severity === "error"),
          { files: res.files.length, plans: res.plans.length },
          styleFor(io.stderr, io.env, color),
        ),
      );
      throw new UserError("The edited plan file would not be valid; nothing was written.", {
        hint: "See the problems above.",
      });
    }
    const specs = res.plans.map((p) => {
      const s = staged.find((x) => p.source.file.endsWith(basename(x.tmp)));
      return s ? { ...p, source: { ...p.source, file: s.file } } : p;
    });
    return staged.map((s) => ({
      file: s.file,
      specs,
      commit: () => renameSync(s.tmp, s.file),
      discard: () => rmSync(s.tmp, { force: true }),
    }));
  } catch (err) {
    discard();
    if (err instanceof UserError) throw err;
    throw new UserError(`Cannot edit the plan file: ${errorMessage(err)}`, {
      hint: "Check the file exists and is writable; nothing was written.",
    });
  }
}

export async function runLifecycleChange(opts: LifecycleChangeOptions, io: Io): Promise<number> {
  const project = loadProject(opts.global, opts.plans, io);
  const spec = findSpec(project, opts.planId);
  const to = TARGET_STATE[opts.action];
  const refused = transitionError(spec.lifecycleState, opts.action);
  if (refused) {
    throw new UserError(`Cannot ${opts.action} ${opts.planId} (${spec.lifecycleState}): ${refused}`, {
      hint:
        opts.action === "archive"
          ? `First: upg lifecycle deprecate ${opts.planId} --successor PLAN_ID`
          : `upg lifecycle activate ${opts.planId}`,
    });
  }
  if (opts.successor !== undefined && opts.action === "activate") {
    throw new UserError("--successor goes with deprecate or archive, not activate.", {
      hint: `upg lifecycle activate ${opts.planId}`,
    });
  }
  const edit: PlanEdit = {
    lifecycleState: to,
    ...(opts.successor !== undefined ? { successor: opts.successor } : {}),
  };
  const file = spec.source.file;
  const refuseArchive = (keys: readonly KeyRef[]) => {
    const successor = opts.successor ?? spec.successor;
    return new UserError(
      `Cannot archive ${opts.planId}: ${keys.length} API key${keys.length > 1 ? "s are" : " is"} still on it: ${keys.map(keyLabel).join(", ")}. Nothing was written.`,
      {
        hint: `Move them first: upg migrate ${opts.planId} --to ${successor ?? "SUCCESSOR"} (then archive).`,
      },
    );
  };
  // Keys declared in the file are known without AWS; the edit is checked before anything is read.
  if (opts.action === "archive" && (spec.keys ?? []).length > 0) {
    throw refuseArchive((spec.keys ?? []).map((k) => ({ id: k })));
  }
  const [staged] = stagePlanEdits(
    [{ file, planId: opts.planId, edit }],
    opts.plans,
    project.config,
    io,
    opts.global.color,
  );
  const stagedEdit = staged!;
  let deps: Awaited<ReturnType<typeof openDeps>>;
  try {
    deps = await openDeps(opts.global, project.config, project.region);
  } catch (err) {
    stagedEdit.discard();
    throw err;
  }
  try {
    let snap: Awaited<ReturnType<typeof snapshot>>;
    try {
      snap = await snapshot(project, scopeTargets(project, [], opts.plans), deps, io);
      if (opts.action === "archive") {
        const rec = snap.recovery.records.find((r) => r.plan_id === opts.planId);
        const liveId = rec?.api_gateway_id ?? snap.live.plans.find((p) => p.ownerPlanId === opts.planId)?.id;
        const keys = keysOnPlan(snap.live, liveId, spec.keys);
        if (keys.length > 0) throw refuseArchive(keys);
      }
    } catch (err) {
      stagedEdit.discard();
      throw err;
    }
    stagedEdit.commit();
    const specs = stagedEdit.specs;
    const plan = planFrom(
      { specs, config: project.config, targets: scopeTargets(project, [], opts.plans) },
      { live: snap.live, resolved: resolveDesired(specs, snap.live), otherRecords: snap.otherRecords },
      snap.recovery.records,
      deps.clock().toISOString(),
    );
    const style = styleFor(io.stdout, io.env, opts.global.color);
    const successor = specs.find((s) => s.planId === opts.planId)?.successor;
    io.stdout.write(
      spec.lifecycleState === to && (opts.successor === undefined || opts.successor === spec.successor)
        ? `${opts.planId} is already ${to} in ${file}; nothing to edit.\n\n`
        : `Edited ${file}: ${opts.planId} ${spec.lifecycleState} → ${to}${successor ? ` (successor ${successor})` : ""}.\n\n`,
    );
    io.stdout.write(renderPlanHuman(plan, style));
    io.stdout.write(
      plan.changes.length > 0
        ? "\nRun `upg apply` to apply it (the lifecycle alert is sent when it is applied).\n"
        : "",
    );
    return plan.problems.length > 0 ? 1 : 0;
  } finally {
    deps.close();
  }
}

function renderStatusHuman(rows: readonly LifecycleStatus[]): string {
  const out: string[] = [];
  for (const s of rows) {
    const state =
      s.applied_state === null
        ? `${s.declared_state} (not applied yet)`
        : s.applied_state === s.declared_state
          ? s.applied_state
          : `${s.applied_state} (the plan file says ${s.declared_state}; run upg apply)`;
    out.push(`${s.plan_id}: ${state}`);
    out.push(`  successor: ${s.successor ?? "none"}`);
    out.push(
      `  since:     ${s.since ? `${s.since.at} (audit row #${s.since.seq}, ${s.since.action})` : (s.since_note ?? "unknown")}`,
    );
    out.push(
      `  keys:      ${s.keys.length}${s.keys.length > 0 ? ` (${s.keys.map(keyLabel).join(", ")})` : ""}`,
    );
    if (s.applied_state === "Deprecated" || s.declared_state === "Deprecated") {
      out.push(
        `  joined after deprecation: ${s.joined_after_deprecation.length === 0 ? "none" : s.joined_after_deprecation.map(keyLabel).join(", ")}`,
      );
    }
  }
  return `${out.join("\n")}\n`;
}

export async function runLifecycleStatus(opts: LifecycleStatusOptions, io: Io): Promise<number> {
  const format = parseFormat(opts.output, ["human", "json"]);
  const project = loadProject(opts.global, opts.plans, io);
  const specs = opts.planId ? [findSpec(project, opts.planId)] : project.specs;
  const deps = await openDeps(opts.global, project.config, project.region);
  try {
    const snap = await snapshot(project, scopeTargets(project, [], opts.plans), deps, io);
    const rows: LifecycleStatus[] = [];
    for (const spec of specs) {
      const record = snap.recovery.records.find((r) => r.plan_id === spec.planId);
      rows.push(
        lifecycleStatus({
          planId: spec.planId,
          declaredState: spec.lifecycleState,
          ...(spec.successor ? { successor: spec.successor } : {}),
          ...(record ? { record } : {}),
          live: snap.live,
          audit: await deps.store.listAudit({ planId: spec.planId }),
          violations: snap.plan.violations,
        }),
      );
    }
    io.stdout.write(format === "json" ? `${JSON.stringify(rows, null, 2)}\n` : renderStatusHuman(rows));
    return 0;
  } finally {
    deps.close();
  }
}
