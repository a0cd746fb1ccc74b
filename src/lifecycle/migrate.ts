// `upg migrate FROM --to TO`: which API keys move, in which order, as Changes the apply engine runs (lock,
// journal, audit). Pure: everything comes in as arguments.

import type { Change, Plan } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import { type DesiredPlan, type LivePlan, type LiveState, stageKey } from "../model/state.js";
import { type KeyRef, keyLabel } from "./lifecycle.js";

export interface MigrateRequest {
  from: string;
  /** Absent: FROM's successor. */
  to?: string;
  /** Names or ids; empty: every key on FROM. */
  keys: readonly string[];
  /** At most this many keys this run (0 or absent: all). */
  batch?: number;
  /**
   * Keys an earlier migrate detached from FROM (audit log or journal) that are in no plan now: that run was
   * stopped between the detach and the attach. They join TO first.
   */
  orphans?: readonly string[];
}

export interface KeyMove extends KeyRef {
  /** detach-then-attach when FROM and TO share a stage (AWS forbids a key in both on one stage). */
  order: "detach-first" | "attach-first";
  /** Already on TO (an earlier run attached it): only the detach from FROM is left. */
  detachOnly: boolean;
  /** Left FROM in an earlier run that stopped before it joined TO (in no plan now): only the attach is left. */
  attachOnly?: boolean;
}

export interface Migration {
  from: string;
  to: string;
  fromId: string;
  toId: string;
  moves: KeyMove[];
  /** Keys left on FROM after this batch. */
  remaining: number;
  sharedStages: string[];
}

export type MigrationOutcome =
  | { ok: true; migration: Migration }
  | { ok: false; message: string; hint: string };

function refuse(message: string, hint: string): MigrationOutcome {
  return { ok: false, message, hint };
}

function livePlanOf(
  planId: string,
  records: readonly MasterRecord[],
  live: LiveState,
  ownerTagged = true,
): LivePlan | undefined {
  const id = records.find((r) => r.plan_id === planId)?.api_gateway_id;
  return (
    (id ? live.plans.find((p) => p.id === id) : undefined) ??
    (ownerTagged ? live.plans.find((p) => p.ownerPlanId === planId) : undefined)
  );
}

export function planMigration(
  req: MigrateRequest,
  desired: readonly DesiredPlan[],
  records: readonly MasterRecord[],
  live: LiveState,
): MigrationOutcome {
  const from = desired.find((d) => d.planId === req.from);
  if (!from) {
    return refuse(
      `Unknown plan ${req.from}: no plan file declares it.`,
      "Use a plan_id from the plan files (upg status lists them).",
    );
  }
  const toId = req.to ?? from.successor;
  if (!toId) {
    return refuse(
      `Plan ${req.from} has no successor, and --to was not given.`,
      `Name the plan to move to: upg migrate ${req.from} --to PLAN_ID.`,
    );
  }
  if (toId === req.from) return refuse("FROM and --to are the same plan.", "Name another plan with --to.");
  const to = desired.find((d) => d.planId === toId);
  if (!to) {
    return refuse(
      `Unknown plan ${toId}: no plan file declares it.`,
      "Use a plan_id from the plan files (upg status lists them).",
    );
  }
  if (to.lifecycleState !== "Active") {
    return refuse(
      `Plan ${toId} is ${to.lifecycleState}: keys may only move to an Active plan.`,
      `Choose an Active plan with --to, or make it Active: upg lifecycle activate ${toId}.`,
    );
  }
  const fromLive = livePlanOf(req.from, records, live);
  const toLive = livePlanOf(toId, records, live);
  if (!fromLive) {
    return refuse(
      `Plan ${req.from} is not in API Gateway: there are no keys to move.`,
      "Run `upg apply` first if it was deleted outside upg.",
    );
  }
  if (!toLive) {
    return refuse(`Plan ${toId} is not in API Gateway yet.`, "Run `upg apply` first, then migrate.");
  }
  const fromStages = fromLive.settings.stages.map(stageKey);
  const toStages = new Set(toLive.settings.stages.map(stageKey));
  const uncovered = fromStages.filter((s) => !toStages.has(s));
  if (uncovered.length > 0) {
    return refuse(
      `Plan ${toId} does not cover stage${uncovered.length > 1 ? "s" : ""} ${uncovered.join(", ")} that the keys use on ${req.from}: its customers would lose access.`,
      `Add the stage${uncovered.length > 1 ? "s" : ""} to ${toId}'s plan file and apply, or choose another plan with --to.`,
    );
  }
  const shared = fromStages.filter((s) => toStages.has(s));
  const names = new Map(live.apiKeys.map((k) => [k.id, k.name]));
  const ref = (id: string): KeyRef => {
    const name = names.get(id);
    return name !== undefined ? { id, name } : { id };
  };
  const inSomePlan = new Set(live.plans.flatMap((p) => p.keys));
  const orphans = [...new Set(req.orphans ?? [])].filter(
    (id) => !inSomePlan.has(id) && live.apiKeys.some((k) => k.id === id),
  );
  let ids = [...orphans, ...fromLive.keys];
  if (req.keys.length > 0) {
    const picked: string[] = [];
    for (const k of req.keys) {
      const matches = live.apiKeys.filter((x) => x.id === k || x.name === k);
      if (matches.length === 0) {
        return refuse(`Unknown API key ${k}.`, "Name a key by its name or id (upg show PLAN_ID lists them).");
      }
      if (matches.length > 1) {
        return refuse(`API key name ${k} is ambiguous (${matches.length} keys).`, "Name the key by its id.");
      }
      const id = matches[0]!.id;
      if (!fromLive.keys.includes(id) && !orphans.includes(id)) {
        return refuse(
          `API key ${keyLabel(ref(id))} is not on plan ${req.from}.`,
          `Keys on ${req.from}: ${fromLive.keys.map((x) => keyLabel(ref(x))).join(", ") || "none"}.`,
        );
      }
      if (!picked.includes(id)) picked.push(id);
    }
    ids = picked;
  }
  // Keys left without a plan by a stopped run come first.
  const sorted = ids
    .map(ref)
    .sort(
      (a, b) =>
        Number(orphans.includes(b.id)) - Number(orphans.includes(a.id)) ||
        keyLabel(a).localeCompare(keyLabel(b)),
    );
  const batch = req.batch && req.batch > 0 ? sorted.slice(0, req.batch) : sorted;
  const moves: KeyMove[] = batch.map((k) => ({
    ...k,
    order: shared.length > 0 ? "detach-first" : "attach-first",
    detachOnly: toLive.keys.includes(k.id),
    ...(orphans.includes(k.id) ? { attachOnly: true } : {}),
  }));
  return {
    ok: true,
    migration: {
      from: req.from,
      to: toId,
      fromId: fromLive.id,
      toId: toLive.id,
      moves,
      remaining: ids.length - moves.length,
      sharedStages: shared,
    },
  };
}

export function keyChange(
  action: "attach" | "detach",
  planId: string,
  apiGatewayId: string,
  k: KeyRef,
  reason: string,
): Change {
  return {
    id: `${action}-key:${planId}:${k.id}`,
    action,
    resource: "key",
    planId,
    apiGatewayId,
    keyId: k.id,
    ...(k.name !== undefined ? { keyName: k.name } : {}),
    reason,
  };
}

/**
 * The first run: per key, detach then attach when the plans share a stage; otherwise only the attach (the
 * detach follows in `followUpChanges`, once the attach is known to have worked).
 */
export function migrateChanges(m: Migration): Change[] {
  const out: Change[] = [];
  for (const k of m.moves) {
    const why = `migrate ${m.from} → ${m.to}`;
    if (k.attachOnly) {
      out.push(keyChange("attach", m.to, m.toId, k, `${why} (left ${m.from} in a stopped run)`));
      continue;
    }
    if (k.detachOnly) {
      out.push(keyChange("detach", m.from, m.fromId, k, `${why} (already on ${m.to})`));
      continue;
    }
    if (k.order === "detach-first") {
      out.push(keyChange("detach", m.from, m.fromId, k, `${why}: leaves first (they share a stage)`));
      out.push(keyChange("attach", m.to, m.toId, k, why));
    } else out.push(keyChange("attach", m.to, m.toId, k, why));
  }
  return out;
}

export type Outcomes = ReadonlyMap<string, "ok" | "failed" | "skipped">;

/**
 * After the first run: the detach of each attach-first key whose attach worked, and the re-attach to FROM
 * of each key that left FROM but could not join TO, so that no customer is left without a plan.
 */
export function followUpChanges(
  m: Migration,
  outcomes: Outcomes,
): { changes: Change[]; reattached: KeyRef[] } {
  const changes: Change[] = [];
  const reattached: KeyRef[] = [];
  for (const k of m.moves) {
    if (k.detachOnly) continue;
    const attached = outcomes.get(`attach-key:${m.to}:${k.id}`) === "ok";
    if (k.order === "attach-first") {
      if (attached)
        changes.push(keyChange("detach", m.from, m.fromId, k, `migrate ${m.from} → ${m.to}: joined ${m.to}`));
      continue;
    }
    const detached = k.attachOnly === true || outcomes.get(`detach-key:${m.from}:${k.id}`) === "ok";
    if (detached && !attached) {
      changes.push(keyChange("attach", m.from, m.fromId, k, `re-attach: could not join ${m.to}`));
      reattached.push(k);
    }
  }
  return { changes, reattached };
}

/** A plan document for the engine: the given changes, with the declared plans and live keys they touch. */
export function migrationPlan(
  base: Plan,
  changes: Change[],
  desired: readonly DesiredPlan[],
  live: LiveState,
): Plan {
  const planIds = [...new Set(changes.map((c) => c.planId))];
  const liveKeys: Record<string, string[]> = {};
  for (const c of changes) {
    const p = live.plans.find((x) => x.id === c.apiGatewayId);
    if (p) liveKeys[c.planId] = [...p.keys];
  }
  return {
    ...base,
    changes,
    desired: desired.filter((d) => planIds.includes(d.planId)),
    live_keys: liveKeys,
    violations: [],
    // The moves are ordered so that no key is in two plans on one stage, and a key attached back to the
    // Deprecated plan it was on is not a new key joining it: those two problems of the plan files do not apply.
    problems: base.problems.filter(
      (p) =>
        planIds.includes(p.planId) && p.code !== "key_joins_deprecated" && p.code !== "key_stage_conflict",
    ),
  };
}
