// Read → resolve → diff: the one path `plan`, `apply`, `status` and `show` all take to a Plan.

import { buildPlan } from "../diff/build-plan.js";
import { referencedApis, resolveDesired } from "../diff/resolve.js";
import type { LiveGateway } from "../live/types.js";
import type { Plan } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import type { PlanSpec, UpgConfig } from "../model/spec.js";
import type { LiveState } from "../model/state.js";
import type { Store } from "../store/index.js";

export interface CoreDeps {
  live: LiveGateway;
  store: Store;
  clock: () => Date;
}

export interface PlanRequest {
  specs: readonly PlanSpec[];
  config: UpgConfig;
  targets: readonly string[];
}

export interface Snapshot {
  live: LiveState;
  records: MasterRecord[];
  plan: Plan;
}

export async function makePlan(req: PlanRequest, deps: CoreDeps): Promise<Snapshot> {
  await deps.store.checkTables();
  const records = await deps.store.listRecords();
  const apis = referencedApis(req.specs);
  const recordApis = records.flatMap((r) => r.stages.map((s) => s.api_id));
  const live = await deps.live.readLive({
    ownershipTagKey: req.config.ownership_tag_key,
    recordIds: records.flatMap((r) => (r.api_gateway_id ? [r.api_gateway_id] : [])),
    apiIds: [...new Set([...apis.apiIds, ...recordApis])].sort(),
    apiNames: apis.apiNames,
  });
  const resolved = resolveDesired(req.specs, live);
  const plan = buildPlan({
    desired: resolved.desired,
    problems: resolved.problems,
    records,
    live,
    ownershipTagKey: req.config.ownership_tag_key,
    now: deps.clock().toISOString(),
    targets: req.targets,
  });
  return { live, records, plan };
}

/** Why a saved plan no longer matches what is there now, or undefined when it still does. */
export function staleReason(saved: Plan, current: Plan): string | undefined {
  if (saved.region !== current.region) return `it was made for region ${saved.region}, not ${current.region}`;
  const moved = Object.entries(saved.fingerprint.records).filter(
    ([id, v]) => (current.fingerprint.records[id] ?? 0) !== v,
  );
  if (moved.length > 0) {
    return `master records changed since it was made (${moved.map(([id]) => id).join(", ")})`;
  }
  if (saved.fingerprint.live !== current.fingerprint.live)
    return "live API Gateway state changed since it was made";
  return undefined;
}
