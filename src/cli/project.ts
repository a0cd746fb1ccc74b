// Loading what the user declared, for commands that go on to talk to AWS: any error in the plan
// files stops the command before anything is read from or written to AWS.

import type { PlanRequest } from "../apply/make-plan.js";
import { UserError } from "../errors.js";
import { livesIn, type PlanSpec, type UpgConfig } from "../model/spec.js";
import { renderDiagnosticsHuman } from "../render/diagnostics.js";
import { loadConfig } from "../spec/config.js";
import { hasErrors, sortDiagnostics } from "../spec/diagnostics.js";
import { durationMs } from "../spec/duration.js";
import { DEFAULT_PLANS_DIR, loadSpecs } from "../spec/load.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, styleFor } from "./output.js";

export interface Project {
  config: UpgConfig;
  /** The plans that live in `region` (a plan file's `regions:`; absent: every region). */
  specs: PlanSpec[];
  region: string;
  /** Every plan the plan files declare, whatever its regions. */
  allSpecs: PlanSpec[];
}

/** What a plan is made from: the project's plans in its region, the targets, and --adopt / --allow-key-loss. */
export function planRequest(
  project: Project,
  targets: readonly string[],
  options: { adopt?: boolean; allowKeyLoss?: boolean } = {},
): PlanRequest {
  return {
    specs: project.specs,
    config: project.config,
    targets,
    ...(options.adopt ? { adopt: true } : {}),
    ...(options.allowKeyLoss ? { allowKeyLoss: true } : {}),
  };
}

/** The project as seen from one region: the plans that live there. */
export function projectIn(project: Project, region: string): Project {
  return { ...project, region, specs: project.allSpecs.filter((s) => livesIn(s, region)) };
}

export function loadConfigOnly(g: GlobalOptions, io: Io): { config: UpgConfig; region: string } {
  const cfg = loadConfig(g.configExplicit ? g.config : undefined);
  if (hasErrors(cfg.diagnostics)) {
    io.stderr.write(
      renderDiagnosticsHuman(cfg.diagnostics, { files: 1, plans: 0 }, styleFor(io.stderr, io.env, g.color)),
    );
    throw new UserError("The project file has errors; nothing was read or written.", {
      hint: "Fix them (see above) and run again.",
    });
  }
  return { config: cfg.config, region: defaultRegion(g, cfg.config) };
}

/**
 * The region of a command that works in one: --region, else (with `accounts:`) the first region of the chosen
 * account, else the first of `regions`.
 */
function defaultRegion(g: GlobalOptions, config: UpgConfig): string {
  if (g.region) return g.region;
  const account = config.accounts?.find((a) => g.accounts.includes(a.name));
  return account?.regions[0] ?? config.regions[0]!;
}

export function loadProject(g: GlobalOptions, paths: readonly string[] | undefined, io: Io): Project {
  const { config, region } = loadConfigOnly(g, io);
  const res = loadSpecs(paths && paths.length > 0 ? paths : [DEFAULT_PLANS_DIR], config, {
    cwd: process.cwd(),
  });
  const diags = sortDiagnostics(res.diagnostics);
  if (diags.length > 0) {
    const text = renderDiagnosticsHuman(
      diags,
      { files: res.files.length, plans: res.plans.length },
      styleFor(io.stderr, io.env, g.color),
    );
    if (hasErrors(diags)) {
      io.stderr.write(text);
      throw new UserError("The plan files have errors; nothing was read or written.", {
        hint: "Fix them (see above); `upg validate` checks plan files without AWS access.",
      });
    }
    io.stderr.write(text);
  }
  if (res.plans.length === 0) {
    throw new UserError(
      `No plans found in ${(paths && paths.length > 0 ? paths : [DEFAULT_PLANS_DIR]).join(", ")}.`,
      {
        hint: "Add plan files (see plans/ in the upg repository for examples), or point --plans at them.",
      },
    );
  }
  return projectIn({ config, specs: res.plans, region, allSpecs: res.plans }, region);
}

/**
 * The plan_ids a command acts on: --target when given; when --plans names only some plan files, just
 * the plans in them (never treat plans in other files as removed); otherwise everything.
 */
export function scopeTargets(
  project: Project,
  targets: readonly string[],
  plans: readonly string[] | undefined,
): string[] {
  if (targets.length > 0) return [...targets];
  // Every region: a plan these files declare for other regions only is removed here, not left alone.
  if (plans && plans.length > 0) return project.allSpecs.map((s) => s.planId);
  return [];
}

/** "90s", "5m", "1h" or a number of seconds → milliseconds. */
export function parseDuration(value: string): number {
  const ms = durationMs(value);
  if (ms === undefined)
    throw new UserError(`Invalid duration "${value}".`, { hint: "Use e.g. 30s, 5m or 1h." });
  return ms;
}
