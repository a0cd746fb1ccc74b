// What `upg drift --fix` may repair: the plan narrowed to the plans whose every violation the `auto_fix` policy
// allows, and whose plan files have no unapplied edits (a fix restores what upg last applied; it never applies
// an edit nobody reviewed). Pure.

import type { Plan, Severity, Violation } from "../model/plan.js";
import { SEVERITY_ORDER } from "../model/plan.js";
import type { UpgConfig } from "../model/spec.js";

export interface NotFixed {
  violation: Violation;
  why: string;
}

export interface FixPlan {
  /** The plan with only the changes that repair allowed drift. */
  plan: Plan;
  fixed: Violation[];
  notFixed: NotFixed[];
}

const rank = (s: Severity) => SEVERITY_ORDER.indexOf(s);

function refusal(
  v: Violation,
  policy: UpgConfig["auto_fix"],
  pendingPlans: ReadonlySet<string>,
): string | undefined {
  if (!policy.enabled) return "auto_fix is not enabled in upg.config.yaml";
  if (!v.auto_fixable) return "not auto-fixable: it needs a person (see the advice)";
  if (!v.plan_id) return "not a managed plan";
  if (pendingPlans.has(v.plan_id))
    return "its plan file has edits not applied yet: review them with `upg plan`, then `upg apply`";
  if (rank(v.severity) > rank(policy.max_severity))
    return `${v.severity} is above auto_fix.max_severity ${policy.max_severity}`;
  if (policy.violation_types && !policy.violation_types.includes(v.violation_type))
    return `${v.violation_type} is not in auto_fix.violation_types`;
  return undefined;
}

export function planFix(
  plan: Plan,
  pendingPlans: ReadonlySet<string>,
  policy: UpgConfig["auto_fix"],
): FixPlan {
  const notFixed: NotFixed[] = [];
  const blocked = new Set<string>();
  for (const v of plan.violations) {
    const why = refusal(v, policy, pendingPlans);
    if (!why) continue;
    notFixed.push({ violation: v, why });
    if (v.plan_id) blocked.add(v.plan_id);
  }
  // A plan with any violation outside the policy is left alone entirely: one UpdateUsagePlan would repair both.
  const fixedPlans = new Set(
    plan.violations.filter((v) => v.plan_id && !blocked.has(v.plan_id)).map((v) => v.plan_id!),
  );
  for (const v of plan.violations) {
    if (v.plan_id && blocked.has(v.plan_id) && !notFixed.some((n) => n.violation === v)) {
      notFixed.push({
        violation: v,
        why: "another violation of the same plan is outside the auto_fix policy",
      });
    }
  }
  const changes = plan.changes.filter((c) => fixedPlans.has(c.planId));
  return {
    plan: {
      ...plan,
      changes,
      desired: plan.desired.filter((d) => fixedPlans.has(d.planId)),
      live_keys: Object.fromEntries(Object.entries(plan.live_keys).filter(([id]) => fixedPlans.has(id))),
      problems: plan.problems.filter((p) => fixedPlans.has(p.planId)),
    },
    fixed: plan.violations.filter((v) => v.plan_id && fixedPlans.has(v.plan_id)),
    notFixed,
  };
}
