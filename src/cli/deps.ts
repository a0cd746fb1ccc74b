// The AWS-facing dependencies of a command, created once per run. The SDK loads only here, when a
// command needs AWS (never for --help or validate).

import { randomUUID } from "node:crypto";
import type { CoreDeps } from "../apply/make-plan.js";
import type { AwsTarget } from "../aws/client-config.js";
import type { UpgConfig } from "../model/spec.js";
import type { GlobalOptions } from "./global-options.js";

export interface RunDeps extends CoreDeps {
  runId: string;
  target: AwsTarget;
  close(): void;
}

export async function openDeps(g: GlobalOptions, config: UpgConfig, region: string): Promise<RunDeps> {
  const [{ createLiveGateway }, { createStore }] = await Promise.all([
    import("../live/gateway.js"),
    import("../store/index.js"),
  ]);
  const target: AwsTarget = { region, ...(g.profile ? { profile: g.profile } : {}) };
  const live = createLiveGateway({ target, pacing: config.pacing });
  const store = createStore({ target, tables: config.tables });
  return {
    live,
    store,
    clock: () => new Date(),
    runId: randomUUID(),
    target,
    close() {
      live.destroy();
      store.destroy();
    },
  };
}
