// A run over many account-region targets: one job per target, with its own deps (API Gateway client, pacer,
// store), a bounded number at once. A failing target (a role that cannot be assumed, an unreachable region,
// any error of its job) is reported as failed; the others go on.

import { errorMessage, UserError } from "../errors.js";
import type { AccountConfig } from "../model/spec.js";
import type { FleetResult } from "../render/merge.js";
import { type CredentialCache, type Credentials, credentialCache } from "./credentials.js";
import type { FleetTarget } from "./targets.js";

/** Targets that run side by side when the caller does not say. */
export const DEFAULT_FLEET_CONCURRENCY = 8;

export interface TargetOutcome<R> {
  /** The command's exit code for this target alone (0, 1 or 2 as the command's rules say). */
  exit_code: number;
  report: R;
}

/** One target's result: the fleet report's (src/render/merge.ts), with the job's report type. */
export type TargetResult<R> = Omit<FleetResult, "report"> & { report?: R };

export interface FleetDeps {
  live: { callerIdentity(): Promise<string> };
  close(): void;
}

export interface FleetRunOptions<D extends FleetDeps, R> {
  targets: readonly FleetTarget[];
  /** Open one target's deps: with the assumed role's credentials, or (none) the run's own. */
  open(region: string, credentials: Credentials | undefined): Promise<D>;
  job(target: { account: string | null; region: string }, deps: D): Promise<TargetOutcome<R>>;
  /** Base settings for STS AssumeRole (profile, timeouts). */
  credentials?: CredentialCache;
  concurrency?: number;
  /** Called as each target finishes (progress). */
  onDone?(result: TargetResult<R>): void;
}

/** The account id in a caller ARN (`arn:aws:sts::123456789012:assumed-role/...`), else null. */
export function accountIdOf(arn: string): string | null {
  return /^arn:aws[\w-]*:[\w-]+::(\d{12}):/.exec(arn)?.[1] ?? null;
}

async function runOne<D extends FleetDeps, R>(
  target: FleetTarget,
  opts: FleetRunOptions<D, R>,
  creds: CredentialCache,
): Promise<TargetResult<R>> {
  const account: AccountConfig | undefined = target.account;
  // The current credentials' account stays unnamed (null), as in its one-target reports, so shards merge into
  // the same document as one run.
  const label: string | null = account?.name ?? null;
  let deps: D | undefined;
  try {
    const credentials = account ? await creds.forAccount(account, target.region) : undefined;
    deps = await opts.open(target.region, credentials);
    const out = await opts.job({ account: label, region: target.region }, deps);
    return {
      account: label,
      region: target.region,
      status: "ok",
      exit_code: out.exit_code,
      report: out.report,
    };
  } catch (err) {
    const hint = err instanceof UserError ? err.hint : undefined;
    return {
      account: label,
      region: target.region,
      status: "error",
      exit_code: 1,
      error: errorMessage(err),
      ...(hint ? { hint } : {}),
    };
  } finally {
    deps?.close();
  }
}

/** Every target's result, in the order of `targets`, whatever order they finished in. */
export async function runFleet<D extends FleetDeps, R>(
  opts: FleetRunOptions<D, R>,
): Promise<TargetResult<R>[]> {
  const creds = opts.credentials ?? credentialCache({});
  const results: TargetResult<R>[] = new Array(opts.targets.length);
  const limit = Math.max(1, Math.min(opts.concurrency ?? DEFAULT_FLEET_CONCURRENCY, opts.targets.length));
  let next = 0;
  const worker = async () => {
    while (next < opts.targets.length) {
      const i = next++;
      const r = await runOne(opts.targets[i]!, opts, creds);
      results[i] = r;
      opts.onDone?.(r);
    }
  };
  await Promise.all(Array.from({ length: limit }, worker));
  return results;
}
