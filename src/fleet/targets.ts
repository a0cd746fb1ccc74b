// The account-region targets of a run: the config's accounts (or the current credentials' account) × their
// regions, narrowed by `--account NAME` and `--region R`. Pure.

import { UserError } from "../errors.js";
import type { AccountConfig, UpgConfig } from "../model/spec.js";

export interface FleetTarget {
  /** The account's name from `accounts:`; absent for the current credentials' account. */
  account?: AccountConfig;
  region: string;
}

export interface TargetSelection {
  /** `--account NAME` (repeatable). */
  accounts: readonly string[];
  /** `--region R` (repeatable). */
  regions: readonly string[];
}

/** How a target is named on report lines and in errors: `payments-prod/eu-west-1`, or just the region. */
export function targetLabel(t: { account?: { name: string } | string | null; region: string }): string {
  const name = typeof t.account === "string" ? t.account : (t.account?.name ?? null);
  return name ? `${name}/${t.region}` : t.region;
}

function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

/**
 * Every account-region a run covers. Without `accounts:` the current credentials' account with each region
 * (`--region` then picks regions, as it always has); with `accounts:` each account with its regions, where
 * `--account` and `--region` narrow and a name or region the config does not list is an error.
 */
export function resolveTargets(config: UpgConfig, sel: TargetSelection): FleetTarget[] {
  const wantRegions = unique(sel.regions);
  const wantAccounts = unique(sel.accounts);
  const accounts = config.accounts;
  if (!accounts) {
    if (wantAccounts.length > 0) {
      throw new UserError(`--account ${wantAccounts[0]}: upg.config.yaml lists no accounts.`, {
        hint: "Add `accounts:` (name and role_arn of each) to upg.config.yaml, or drop --account to use the current credentials.",
      });
    }
    const regions = wantRegions.length > 0 ? wantRegions : unique(config.regions);
    return regions.map((region) => ({ region }));
  }
  const known = new Set(accounts.map((a) => a.name));
  const unknown = wantAccounts.filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new UserError(`--account names no account in upg.config.yaml: ${unknown.join(", ")}.`, {
      hint: `Use one of: ${accounts.map((a) => a.name).join(", ")}.`,
    });
  }
  const chosen = wantAccounts.length > 0 ? accounts.filter((a) => wantAccounts.includes(a.name)) : accounts;
  const configured = new Set(chosen.flatMap((a) => a.regions));
  const notConfigured = wantRegions.filter((r) => !configured.has(r));
  if (notConfigured.length > 0) {
    const which = wantAccounts.length > 0 ? `account ${chosen.map((a) => a.name).join(", ")}` : "any account";
    throw new UserError(
      `--region ${notConfigured.join(", ")}: not a region of ${which} in upg.config.yaml.`,
      {
        hint: `Use one of: ${[...configured].join(", ")}; or add the region to \`regions:\` of the account.`,
      },
    );
  }
  const targets: FleetTarget[] = [];
  for (const account of chosen) {
    for (const region of unique(account.regions)) {
      if (wantRegions.length > 0 && !wantRegions.includes(region)) continue;
      targets.push({ account, region });
    }
  }
  return targets;
}
