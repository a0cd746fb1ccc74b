// Commands over a fleet: `upg plan|drift|status` when the project file and --account/--region name more than
// one account-region. Each target runs with its own deps (API Gateway client, pacer, store) and, for an
// account in `accounts:`, its assumed role; one merged report comes out.

import { UserError } from "../errors.js";
import { type CredentialCache, credentialCache } from "../fleet/credentials.js";
import { runFleet, type TargetOutcome } from "../fleet/run.js";
import { type FleetTarget, resolveTargets, targetLabel } from "../fleet/targets.js";
import type { UpgConfig } from "../model/spec.js";
import {
  type FleetCommand,
  type FleetReport,
  fleetLabel,
  fleetReport,
  renderFleetHuman,
  renderFleetJson,
  renderFleetMarkdown,
} from "../render/merge.js";
import { openDeps, type RunDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, styleFor } from "./output.js";

/** The account-regions of this run (--account and --region narrow). */
export function fleetTargets(g: GlobalOptions, config: UpgConfig): FleetTarget[] {
  return resolveTargets(config, { accounts: g.accounts, regions: g.regions });
}

/** The account name a one-target run reports (absent without `accounts:`). */
export function soleAccount(targets: readonly FleetTarget[]): string | undefined {
  return targets.length === 1 ? targets[0]!.account?.name : undefined;
}

/** An option that works on one target only, refused over several with the targets named. */
export function refuseOverFleet(what: string, targets: readonly FleetTarget[]): never {
  throw new UserError(
    `${what} works on one account-region at a time; this run covers ${targets.length}: ${targets.map(targetLabel).join(", ")}.`,
    { hint: "Pick one with --account NAME and/or --region R (e.g. one shard at a time)." },
  );
}

export interface FleetCommandOptions {
  command: FleetCommand;
  global: GlobalOptions;
  config: UpgConfig;
  targets: readonly FleetTarget[];
  format: "human" | "json" | "markdown" | "sarif";
  io: Io;
  /** How the merged report is printed when the command has its own form for it (drift's SARIF). */
  print?(doc: FleetReport): string;
  job(target: { account: string | null; region: string }, deps: RunDeps): Promise<TargetOutcome<unknown>>;
}

/** The run's STS AssumeRole settings: --profile, and the config's timeouts (--timeout overrides). */
export function fleetCredentials(g: GlobalOptions, config: UpgConfig): CredentialCache {
  const timeouts = {
    connectMs: config.timeouts.connect_ms,
    requestMs: g.timeoutMs ?? config.timeouts.request_ms,
  };
  return credentialCache({ ...(g.profile ? { profile: g.profile } : {}), timeouts });
}

/** Run the job on every target and print the merged report; the combined exit code. */
export async function runFleetCommand(opts: FleetCommandOptions): Promise<number> {
  const g = opts.global;
  const results = await runFleet({
    targets: opts.targets,
    open: (region, credentials) => openDeps(g, opts.config, region, credentials),
    job: opts.job,
    credentials: fleetCredentials(g, opts.config),
    concurrency: opts.config.fleet.concurrency,
    onDone: progressLine(opts.io, DONE[opts.command], opts.targets.length),
  });
  const doc = fleetReport(opts.command, results, new Date().toISOString());
  const io = opts.io;
  if (opts.print) io.stdout.write(opts.print(doc));
  else if (opts.format === "json") io.stdout.write(renderFleetJson(doc));
  else if (opts.format === "markdown") io.stdout.write(renderFleetMarkdown(doc));
  else io.stdout.write(renderFleetHuman(doc, styleFor(io.stdout, io.env, g.color)));
  return doc.exit_code;
}

const DONE: Record<FleetCommand, string> = {
  plan: "planned",
  drift: "checked",
  status: "read",
  apply: "applied",
};

/** One line on stderr as each account-region finishes a phase: `[3/20] prod/eu-west-1 planned (1.2 s)`. */
export function progressLine(io: Io, what: string, total: number, start = Date.now()) {
  let done = 0;
  return (r: {
    account: string | null;
    region: string;
    status: string;
    exit_code: number;
    error?: string;
  }) => {
    done++;
    const secs = ((Date.now() - start) / 1000).toFixed(1);
    // An apply that stopped or had a failing change finished its target, but did not apply all of it.
    const how =
      r.status === "error"
        ? `failed: ${r.error ?? "error"}`
        : what === DONE.apply && r.exit_code !== 0
          ? "incomplete"
          : what;
    io.stderr.write(`[${done}/${total}] ${fleetLabel(r)} ${how} (${secs} s)\n`);
  };
}
