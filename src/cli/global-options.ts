// The options every command shares, read from commander into a typed object.

import type { Command } from "commander";

export interface GlobalOptions {
  config: string;
  /** True when --config was given explicitly (then a missing file is an error). */
  configExplicit: boolean;
  profile?: string;
  region?: string;
  color: boolean;
}

export function globalOptions(cmd: Command): GlobalOptions {
  const o = cmd.optsWithGlobals() as { config: string; profile?: string; region?: string; color?: boolean };
  let root: Command = cmd;
  while (root.parent) root = root.parent;
  const source = root.getOptionValueSource("config");
  return {
    config: o.config,
    configExplicit: source !== undefined && source !== "default",
    ...(o.profile ? { profile: o.profile } : {}),
    ...(o.region ? { region: o.region } : {}),
    color: o.color !== false,
  };
}
