// The AWS-facing dependencies of a command, created once per run. The SDK loads only here, when a
// command needs AWS (never for --help or validate).

import { randomUUID } from "node:crypto";
import type { CoreDeps } from "../apply/make-plan.js";
import type { AwsTarget } from "../aws/client-config.js";
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

export async function openDeps(g: GlobalOptions, config: UpgConfig, region: string): Promise<RunDeps> {
  const [{ createLiveGateway }, { createStore }] = await Promise.all([
    import("../live/gateway.js"),
    import("../store/index.js"),
  ]);
  const target: AwsTarget = {
    region,
    ...(g.profile ? { profile: g.profile } : {}),
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
