// The options every command shares, read from commander into a typed object.

import type { Command } from "commander";
import { UserError } from "../errors.js";
import { DURATION_FORMAT, describeMs, durationMs, TIMEOUT_BOUNDS } from "../spec/duration.js";

export interface GlobalOptions {
  config: string;
  /** True when --config was given explicitly (then a missing file is an error). */
  configExplicit: boolean;
  profile?: string;
  /** --region: the last one given (commands that cover one region). */
  region?: string;
  /** Every --region given, in order (commands that cover several regions). */
  regions: string[];
  /** Every --account given (names from `accounts:` in the project file). */
  accounts: string[];
  /** --timeout: per-attempt request timeout of every AWS call, in ms (overrides the project file). */
  timeoutMs?: number;
  color: boolean;
}

/** --timeout's value in ms; a UserError when it is not a duration in the allowed range. */
export function parseTimeoutOption(value: string): number {
  const ms = durationMs(value);
  const { min, max } = TIMEOUT_BOUNDS.request;
  if (ms === undefined || ms < min || ms > max) {
    throw new UserError(`Invalid --timeout "${value}".`, {
      hint: `Use ${DURATION_FORMAT}, between ${describeMs(min)} and ${describeMs(max)}.`,
    });
  }
  return ms;
}

export function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as {
    config: string;
    profile?: string;
    account?: string[] | string;
    region?: string[] | string;
    timeout?: string;
    color?: boolean;
  };
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const source = root.getOptionValueSource("config");
  const regions = o.region === undefined ? [] : Array.isArray(o.region) ? o.region : [o.region];
  const region = regions.at(-1);
  return {
    config: o.config,
    configExplicit: source !== undefined && source !== "default",
    ...(o.profile ? { profile: o.profile } : {}),
    ...(region ? { region } : {}),
    regions,
    // `upg iam-policy --account ID` has an option of its own by that name (an account id).
    accounts: Array.isArray(o.account) ? o.account : [],
    ...(o.timeout !== undefined ? { timeoutMs: parseTimeoutOption(o.timeout) } : {}),
    color: o.color !== false,
  };
}
