// The AWS-facing dependencies of a command, created once per run. The SDK loads only here, when a
// command needs AWS (never for --help or validate).

import { randomUUID } from "node:crypto";
import type { CoreDeps } from "../apply/make-plan.js";
import type { AwsTarget } from "../aws/client-config.js";
import { UserError } from "../errors.js";
import { resolveTargets, targetLabel } from "../fleet/targets.js";
import type { PacerWait } from "../live/pacer.js";
import type { UpgConfig } from "../model/spec.js";
import type { GlobalOptions } from "./global-options.js";

export interface RunDeps extends CoreDeps {
  runId: string;
  target: AwsTarget;
  /** Where long pacing waits are reported (the CLI's progress output sets it). */
  waits: { listener?: (wait: PacerWait) => void };
  /** Stop sending: API Gateway calls still waiting for their turn fail with CallNotSent (a signal arrived). */
  stopCalls(): void;
  close(): void;
}

/**
 * `credentials`: an assumed role's credentials (a fleet target in another account); absent, the SDK's
 * standard chain (or --profile) applies.
 */
export async function openDeps(
  g: GlobalOptions,
  config: UpgConfig,
  region: string,
  credentials?: AwsTarget["credentials"],
): Promise<RunDeps> {
  const creds = credentials ?? (config.accounts ? await accountCredentials(g, config, region) : undefined);
  const [{ createLiveGateway }, { createStore }] = await Promise.all([
    import("../live/gateway.js"),
    import("../store/index.js"),
  ]);
  const target: AwsTarget = {
    region,
    ...(creds ? { credentials: creds } : g.profile ? { profile: g.profile } : {}),
    timeouts: {
      connectMs: config.timeouts.connect_ms,
      requestMs: g.timeoutMs ?? config.timeouts.request_ms,
    },
  };
  const waits: RunDeps["waits"] = {};
  const stop = new AbortController();
  const live = createLiveGateway({
    target,
    pacing: config.pacing,
    onWait: (w) => waits.listener?.(w),
    signal: stop.signal,
  });
  const store = createStore({
    target,
    tables: config.tables,
    ...(config.project !== undefined ? { project: config.project } : {}),
  });
  return {
    live,
    store,
    clock: () => new Date(),
    runId: randomUUID(),
    target,
    waits,
    stopCalls: () => stop.abort(),
    close() {
      live.destroy();
      store.destroy();
    },
  };
}

/**
 * With `accounts:` in the project file, a command that works on one account-region assumes that account's
 * role; several candidates (no --account) are an error that names them.
 */
async function accountCredentials(
  g: GlobalOptions,
  config: UpgConfig,
  region: string,
): Promise<AwsTarget["credentials"]> {
  const targets = resolveTargets(config, { accounts: g.accounts, regions: [region] });
  if (targets.length !== 1 || !targets[0]!.account) {
    throw new UserError(
      `This command works on one account at a time, and ${targets.length} match: ${targets.map(targetLabel).join(", ")}.`,
      { hint: "Pick one with --account NAME (and --region R)." },
    );
  }
  const account = targets[0]!.account;
  const { AssumeRoleError, credentialCache } = await import("../fleet/credentials.js");
  try {
    return await credentialCache({
      ...(g.profile ? { profile: g.profile } : {}),
      timeouts: {
        connectMs: config.timeouts.connect_ms,
        requestMs: g.timeoutMs ?? config.timeouts.request_ms,
      },
    }).forAccount(account, region);
  } catch (err) {
    if (err instanceof AssumeRoleError) {
      throw new UserError(err.message, {
        hint: "Check role_arn (and external_id) of the account in upg.config.yaml, and that your credentials may assume it.",
      });
    }
    throw err;
  }
}
