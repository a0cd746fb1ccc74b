// Which key a user means, and which plans each key is in (by plan_id where upg manages the plan).

import { UserError } from "../errors.js";
import type { MasterRecord } from "../model/record.js";
import type { LivePlan } from "../model/state.js";

export interface KeyRef {
  id: string;
  name?: string;
}

/** A key named by id, or by a name only one key has. Unknown or ambiguous: a UserError. */
export function resolveKey<K extends KeyRef>(keys: readonly K[], ref: string): K {
  const byId = keys.find((k) => k.id === ref);
  if (byId) return byId;
  const named = keys.filter((k) => k.name === ref);
  if (named.length === 1) return named[0]!;
  if (named.length > 1) {
    throw new UserError(
      `${named.length} API keys are named "${ref}": ${named.map((k) => k.id).join(", ")}.`,
      {
        hint: "Name the key by its id.",
      },
    );
  }
  throw new UserError(`No API key "${ref}" (by id or name).`, { hint: "`upg keys list` lists the keys." });
}

/** One plan a key is in: its API Gateway id, and its plan_id when upg manages it. */
export interface KeyPlan {
  api_gateway_id: string;
  plan_id?: string;
}

/** The plan_id of a live plan: its ownership tag, else the master record that names its id. */
export function planIdOf(plan: LivePlan, records: readonly MasterRecord[]): string | undefined {
  return plan.ownerPlanId ?? records.find((r) => r.api_gateway_id === plan.id)?.plan_id;
}

/** Key id → the plans it is in, sorted by plan_id then id. */
export function plansByKey(
  plans: readonly LivePlan[],
  records: readonly MasterRecord[],
): Map<string, KeyPlan[]> {
  const out = new Map<string, KeyPlan[]>();
  for (const p of plans) {
    const planId = planIdOf(p, records);
    for (const k of p.keys) {
      const list = out.get(k) ?? [];
      list.push({ api_gateway_id: p.id, ...(planId ? { plan_id: planId } : {}) });
      out.set(k, list);
    }
  }
  for (const list of out.values()) list.sort((a, b) => label(a).localeCompare(label(b)));
  return out;
}

export function label(p: KeyPlan): string {
  return p.plan_id ?? p.api_gateway_id;
}

/**
 * The live plan of a plan_id (by ownership tag or its record's id); unknown: a UserError. With `scope`, a plan
 * another project owns (its `upg:project` tag or its record's project differs from the run's) is a UserError
 * too: keys and usage commands act only on their project's plans. A plan without a project stays reachable
 * from a project (its plan files may claim it).
 */
export function resolvePlan(
  plans: readonly LivePlan[],
  records: readonly MasterRecord[],
  planId: string,
  scope?: { project?: string },
): { plan: LivePlan; record?: MasterRecord } {
  const record = records.find((r) => r.plan_id === planId);
  const plan =
    plans.find((p) => p.ownerPlanId === planId) ??
    (record?.api_gateway_id ? plans.find((p) => p.id === record.api_gateway_id) : undefined);
  if (!plan) {
    throw new UserError(
      record ? `Plan ${planId} is not in API Gateway (archived or deleted).` : `No plan ${planId}.`,
      { hint: "`upg status` lists the plans upg manages; `upg apply` creates them." },
    );
  }
  const owner = plan.project ?? record?.project;
  if (scope && owner !== scope.project && !(scope.project !== undefined && owner === undefined)) {
    throw new UserError(
      `Plan ${planId} is owned by ${owner ? `project ${owner}` : "no project"}, not by ${scope.project ? `project ${scope.project}` : "this repository (no project)"}.`,
      { hint: "Run the command in the repository whose upg.config.yaml names that project." },
    );
  }
  return { plan, ...(record ? { record } : {}) };
}

const OVERLAP_RE = /^(\d+)(d|h|m)$/;
const UNIT_MS = { d: 86_400_000, h: 3_600_000, m: 60_000 } as const;
export const MAX_OVERLAP_MS = 90 * 86_400_000;

/** `--overlap`: "7d", "36h", "90m" (1 minute to 90 days) → milliseconds. */
export function parseOverlap(value: string): number {
  const m = OVERLAP_RE.exec(value.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS] : Number.NaN;
  if (!m || !(ms >= 60_000) || ms > MAX_OVERLAP_MS) {
    throw new UserError(`--overlap "${value}" is not a duration between 1m and 90d.`, {
      hint: "Write it as a number and a unit: 7d (days), 36h (hours) or 90m (minutes).",
    });
  }
  return ms;
}
