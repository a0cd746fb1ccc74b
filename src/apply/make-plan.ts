// Read → resolve → diff: the one path `plan`, `apply`, `status` and `show` all take to a Plan.

import { buildPlan } from "../diff/build-plan.js";
import { auditKey, pendingChanges, planRecovery, type RecoveryPlan } from "../diff/recover.js";
import { referencedApis, resolveDesired } from "../diff/resolve.js";
import {
  type OtherProjectPlan,
  otherProjectPlans,
  type ProjectScope,
  partitionRecords,
} from "../diff/scope.js";
import type { LiveGateway, LiveReadScope, TargetedPlanKeys } from "../live/types.js";
import type { Change, Plan } from "../model/plan.js";
import type { AuditRecord, MasterRecord } from "../model/record.js";
import type { PlanSpec, UpgConfig } from "../model/spec.js";
import type { LiveState } from "../model/state.js";
import { canonicalJson } from "../store/canonical.js";
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
  /** Read what can be read and list the rest in `live.gaps` (drift), instead of failing. */
  partial?: boolean;
  /** Adopt unmanaged live plans a plan file names (`--adopt`). */
  adopt?: boolean;
  /** Delete plans that still have API keys attached (`--allow-key-loss`). */
  allowKeyLoss?: boolean;
}

export interface Snapshot {
  live: LiveState;
  /** The master records of the run's project as stored (a stopped run's `pending` included). */
  records: MasterRecord[];
  /** Master records of other projects (never planned, recovered or written by this run). */
  otherRecords: MasterRecord[];
  /** Live plans other projects own ("owned by project X"). */
  otherPlans: OtherProjectPlan[];
  /** What a stopped run left unfinished, rolled forward in memory (apply writes it; plan does not). */
  recovery: RecoveryPlan;
  plan: Plan;
  /** The plan files resolved against live state (to plan again from other records). */
  resolved: ReturnType<typeof resolveDesired>;
}

/** The audit rows already written for the pending changes (a bounded search each; only after a crash). */
async function auditedPending(
  store: Store,
  records: readonly MasterRecord[],
): Promise<Map<string, AuditRecord>> {
  const found = new Map<string, AuditRecord>();
  for (const p of pendingChanges(records)) {
    const row = await store.findAudit(p.run_id, p.change_id);
    if (row) found.set(auditKey(p.run_id, p.change_id), row);
  }
  return found;
}

/** The run's project and the plan_ids its plan files declare. */
export function scopeOf(req: Pick<PlanRequest, "config" | "specs">): ProjectScope {
  return {
    ...(req.config.project !== undefined ? { project: req.config.project } : {}),
    declared: new Set(req.specs.map((s) => s.planId)),
  };
}

/**
 * What to read for a plan: everything upg manages, or — with targets — only the targeted plans (and any plan
 * a stopped run left pending, which is rolled forward whatever the target), the REST APIs they name, and
 * the API keys their plan files list or their records hold (see `TargetedRead.keys`).
 * `otherRecords` (another project's) only mark their plans as managed; they are never read for.
 */
export function readScope(
  req: PlanRequest,
  records: readonly MasterRecord[],
  otherRecords: readonly MasterRecord[] = [],
): LiveReadScope {
  const pendingIds = new Set(records.filter((r) => r.pending).map((r) => r.plan_id));
  const targets = new Set(req.targets);
  const inRead = (id: string) => targets.size === 0 || targets.has(id) || pendingIds.has(id);
  const specs = req.specs.filter((s) => inRead(s.planId));
  const scoped = records.filter((r) => inRead(r.plan_id));
  const ids = scoped.flatMap((r) => [
    ...(r.api_gateway_id ? [r.api_gateway_id] : []),
    ...(r.pending?.api_gateway_id ? [r.pending.api_gateway_id] : []),
  ]);
  const apis = referencedApis(specs);
  const recordApis = scoped.flatMap((r) => r.stages.map((s) => s.api_id));
  const scope: LiveReadScope = {
    ownershipTagKey: req.config.ownership_tag_key,
    recordIds: [...records, ...otherRecords].flatMap((r) => [
      ...(r.api_gateway_id ? [r.api_gateway_id] : []),
      ...(r.pending?.api_gateway_id ? [r.pending.api_gateway_id] : []),
    ]),
    apiIds: [...new Set([...apis.apiIds, ...recordApis])].sort(),
    apiNames: apis.apiNames,
    ...(req.partial ? { partial: true } : {}),
    // Adopting records the keys an unmanaged plan has: read them for the plans the files name.
    ...(req.adopt ? { keysOfNames: [...new Set(specs.map((s) => s.name))].sort() } : {}),
  };
  if (targets.size === 0) return scope;
  const stageRefs = (s: PlanSpec) =>
    s.stages.map((st) =>
      st.ref.kind === "id"
        ? { apiId: st.ref.apiId, stage: st.ref.stage }
        : { apiName: st.ref.apiName, stage: st.ref.stage },
    );
  // The keys each targeted plan will hold: resolved, and looked up for clashes on shared stages, by the read.
  const keys = specs
    .filter((s) => s.lifecycleState !== "Archived")
    .map((s): TargetedPlanKeys => {
      const r = scoped.find((x) => x.plan_id === s.planId);
      return {
        planId: s.planId,
        ids: r
          ? [
              ...(r.api_gateway_id ? [r.api_gateway_id] : []),
              ...(r.pending?.api_gateway_id ? [r.pending.api_gateway_id] : []),
            ]
          : [],
        ...(s.keys !== undefined ? { refs: [...s.keys] } : {}),
        keyIds: s.keys === undefined && r ? [...new Set([...r.keys, ...(r.pending_keys ?? [])])].sort() : [],
        stages: stageRefs(s),
      };
    });
  return {
    ...scope,
    only: {
      planIds: [...new Set([...targets, ...pendingIds])].sort(),
      ids: [...new Set(ids)].sort(),
      stages: [
        ...specs.flatMap(stageRefs),
        ...scoped.flatMap((r) => r.stages.map((st) => ({ apiId: st.api_id, stage: st.stage }))),
      ],
      keys,
    },
    listApis: apis.apiNames.length > 0 || recordApis.length > 0,
  };
}

export async function makePlan(
  req: PlanRequest,
  deps: CoreDeps & { runId?: string; actor?: string },
): Promise<Snapshot> {
  await deps.store.checkTables();
  const scope = scopeOf(req);
  // Another project's records are never recovered, planned or written (its own run may be under way).
  const { mine: records, others: otherRecords } = partitionRecords(await deps.store.listRecords(), scope);
  const live = await deps.live.readLive(readScope(req, records, otherRecords));
  const resolved = resolveDesired(req.specs, live);
  const recovery = planRecovery({
    records,
    live,
    audited: await auditedPending(deps.store, records),
    now: deps.clock().toISOString(),
    runId: deps.runId ?? "plan",
    actor: deps.actor ?? "upg",
  });
  const plan = planFrom(req, { live, resolved, otherRecords }, recovery.records, deps.clock().toISOString());
  const otherPlans = otherProjectPlans(live.plans, scope, recovery.records, otherRecords);
  return { live, records, otherRecords, otherPlans, recovery, plan, resolved };
}

/** The plan from already-read live state and the given records. Pure. */
export function planFrom(
  req: PlanRequest,
  state: {
    live: LiveState;
    resolved: ReturnType<typeof resolveDesired>;
    otherRecords?: readonly MasterRecord[];
  },
  records: readonly MasterRecord[],
  now: string,
): Plan {
  return buildPlan({
    desired: state.resolved.desired,
    problems: state.resolved.problems,
    records,
    live: state.live,
    ownershipTagKey: req.config.ownership_tag_key,
    now,
    targets: req.targets,
    ...(req.adopt ? { adopt: true } : {}),
    ...(req.allowKeyLoss ? { allowKeyLoss: true } : {}),
    scope: {
      ...(req.config.project !== undefined ? { project: req.config.project } : {}),
      otherRecords: state.otherRecords ?? [],
    },
  });
}

function differs(a: unknown, b: unknown): boolean {
  return canonicalJson(a) !== canonicalJson(b);
}

/** Where a plan was declared is display-only, and spelled as the paths were given (`./plans` or `plans`). */
function withoutSource<T extends { source?: unknown } | undefined>(d: T): T {
  if (!d) return d;
  const { source: _where, ...rest } = d;
  return rest as T;
}

function comparableChange(c: Change): Change {
  return c.desired ? { ...c, desired: withoutSource(c.desired) } : c;
}

/** Which changes differ between two plans, for a message: at most three change ids, each said why. */
function changeDifferences(saved: Plan, current: Plan): string[] {
  const now = new Map(current.changes.map((c) => [c.id, comparableChange(c)]));
  const then = new Set(saved.changes.map((c) => c.id));
  const out: string[] = [];
  for (const c of saved.changes) {
    const fresh = now.get(c.id);
    if (!fresh) out.push(`${c.id} is not in the current plan`);
    else if (differs(comparableChange(c), fresh)) out.push(`${c.id} differs`);
  }
  for (const c of current.changes) if (!then.has(c.id)) out.push(`${c.id} is missing from it`);
  const order = (p: Plan) => p.changes.map((c) => c.id);
  if (out.length === 0 && differs(order(saved), order(current))) out.push("the order of the changes differs");
  return out.length > 3 ? [...out.slice(0, 3), `${out.length - 3} more`] : out;
}

/**
 * Why a saved plan no longer matches what is there now, or undefined when it still does. Beyond the record
 * versions and the live fingerprint, everything apply executes (changes, desired settings, live keys) and the
 * problems must equal the plan computed now: a saved plan can only ever run what `upg plan` would run.
 */
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
  if (differs(saved.fingerprint.records, current.fingerprint.records))
    return "the set of master records changed since it was made";
  if (differs(saved.targets, current.targets)) return "its targets differ from the plan computed now";
  const noLonger = "it no longer equals what `upg plan` computes now";
  const changes = changeDifferences(saved, current);
  if (changes.length > 0) return `${noLonger} (${changes.join("; ")})`;
  if (differs(saved.desired.map(withoutSource), current.desired.map(withoutSource)))
    return `${noLonger} (the declared settings differ)`;
  if (differs(saved.live_keys, current.live_keys)) return `${noLonger} (the live keys differ)`;
  const problems = (p: Plan) =>
    p.problems.map(({ code, planId, message, subject }) => ({ code, planId, message, subject }));
  if (differs(problems(saved), problems(current))) {
    const first = current.problems[0];
    return first
      ? `${noLonger}, which has problems (${first.planId}: ${first.message})`
      : `${noLonger} (its problems differ)`;
  }
  return undefined;
}
