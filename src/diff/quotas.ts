// Guards from AWS's account quotas (reference §5.1), checked at plan time so apply refuses before any write:
// the usage plans a region would hold, the plans each API key would be in, the API keys in the region.
// Pure: what the plan files declare and what API Gateway has now in, problems out.

import type { PlanProblem } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import type { DesiredPlan, LiveState } from "../model/state.js";

export interface AccountQuotas {
  /** Usage plans per account and region (default 300, adjustable). */
  plansPerRegion: number;
  /** Usage plans per API key (default 10, adjustable). */
  plansPerKey: number;
  /** API keys per account and region (10,000, not adjustable). */
  keysPerRegion: number;
}

export const AWS_QUOTAS: AccountQuotas = { plansPerRegion: 300, plansPerKey: 10, keysPerRegion: 10_000 };

export interface QuotaInput {
  desired: readonly DesiredPlan[];
  records: readonly MasterRecord[];
  live: LiveState;
}

function locate(d: DesiredPlan | undefined): Pick<PlanProblem, "file" | "line" | "col"> {
  const src = d?.source;
  return src ? { file: src.file, line: src.line, col: src.col } : {};
}

/** Problems for every quota the plan files would exceed; empty when all fit. */
export function quotaProblems(input: QuotaInput, quotas: AccountQuotas = AWS_QUOTAS): PlanProblem[] {
  const problems: PlanProblem[] = [];
  const active = [...input.desired].filter((d) => d.lifecycleState !== "Archived");
  active.sort((a, b) => (a.planId < b.planId ? -1 : a.planId > b.planId ? 1 : 0));
  const recordIds = new Map(input.records.map((r) => [r.api_gateway_id, r.plan_id]));
  const planIdOf = (id: string, owner?: string) => owner ?? recordIds.get(id);
  // Live plans no plan file or record accounts for stay as they are (upg never deletes them).
  const unmanaged = input.live.plans.filter((p) => planIdOf(p.id, p.ownerPlanId) === undefined);
  const livePlanOf = (planId: string) =>
    input.live.plans.find((p) => planIdOf(p.id, p.ownerPlanId) === planId);

  const total = active.length + unmanaged.length;
  if (total > quotas.plansPerRegion) {
    const over = active.filter((d) => !livePlanOf(d.planId));
    const first = over[Math.max(0, over.length - (total - quotas.plansPerRegion))] ?? active.at(-1);
    problems.push({
      code: "quota_plans_per_region",
      planId: first?.planId ?? "",
      message: `The plan files need ${total} usage plans in ${input.live.region} (${active.length} declared and not archived, ${unmanaged.length} not managed by upg); AWS allows ${quotas.plansPerRegion} per account and region.`,
      subject: String(total),
      ...locate(first),
    });
  }

  // Key id → the plans it would be in after apply.
  const plansOfKey = new Map<string, string[]>();
  const add = (key: string, plan: string) => plansOfKey.set(key, [...(plansOfKey.get(key) ?? []), plan]);
  for (const d of active) {
    const keys = d.keys ?? livePlanOf(d.planId)?.keys ?? [];
    for (const k of new Set(keys)) add(k, d.planId);
  }
  for (const p of unmanaged) for (const k of p.keys) add(k, p.id);
  const names = new Map(input.live.apiKeys.map((k) => [k.id, k.name]));
  for (const [key, plans] of [...plansOfKey].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (plans.length <= quotas.plansPerKey) continue;
    const sorted = [...plans].sort();
    const d =
      input.desired.find((x) => x.planId === sorted[quotas.plansPerKey]) ??
      active.find((x) => sorted.includes(x.planId));
    const name = names.get(key);
    problems.push({
      code: "quota_plans_per_key",
      planId: d?.planId ?? sorted[0]!,
      message: `API key ${name ? `${name} (${key})` : key} would be in ${plans.length} usage plans (${sorted.join(", ")}); AWS allows ${quotas.plansPerKey} per key.`,
      subject: key,
      ...locate(d),
    });
  }

  const keys = new Set([...input.live.apiKeys.map((k) => k.id), ...plansOfKey.keys()]);
  if (keys.size > quotas.keysPerRegion) {
    problems.push({
      code: "quota_keys_per_region",
      planId: active[0]?.planId ?? "",
      message: `${keys.size} API keys in ${input.live.region}; AWS allows ${quotas.keysPerRegion} per account and region (not adjustable).`,
      subject: String(keys.size),
    });
  }
  return problems;
}
