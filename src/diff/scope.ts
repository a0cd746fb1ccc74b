// Projects that share an account and upg's tables: which master records and live plans a run may see and
// change. Pure.
//
// A run with `project: P` (or without a project) owns
//   records   whose `project` is P (none: records without one);
//   plans     carrying the ownership tag whose `upg:project` tag is P (none: plans without that tag).
// Everything else another project owns: it is never planned, changed, deleted or re-created, and never read as
// "removed" or as unmanaged.
//
// Moving a project-less install into a project (adding `project: P` to its config): a record or plan without a
// project whose plan_id a plan file of P declares is claimed by P — apply tags the plan `upg:project=P` and writes
// the project into its record (an update with only that tag, journaled and audited like any change). Records and
// plans without a project that no plan file of P declares stay as they are, out of P's scope.

import type { MasterRecord } from "../model/record.js";
import type { LivePlan } from "../model/state.js";

/** What a run may see. */
export interface ProjectScope {
  /** The config's project; undefined: no project. */
  project?: string;
  /** plan_ids the plan files declare (a project-less record or plan among them is claimed). */
  declared: ReadonlySet<string>;
}

/** A live plan another project owns (or, for a run with a project, an install without one). */
export interface OtherProjectPlan {
  /** API Gateway id. */
  id: string;
  /** Its ownership tag (or the plan_id of the record that names it). */
  planId?: string;
  name: string;
  /** The owning project; null: a plan managed outside any project. */
  project: string | null;
}

/** "project team-b", or "no project" (an install without `project:`). */
export function projectLabel(project: string | null | undefined): string {
  return project ? `project ${project}` : "no project";
}

/** True when a record belongs to the run's scope: its project, or a project-less plan this project declares. */
export function recordInScope(r: MasterRecord, scope: ProjectScope): boolean {
  if (r.project === scope.project) return true;
  return scope.project !== undefined && r.project === undefined && scope.declared.has(r.plan_id);
}

export function partitionRecords(
  records: readonly MasterRecord[],
  scope: ProjectScope,
): { mine: MasterRecord[]; others: MasterRecord[] } {
  const mine: MasterRecord[] = [];
  const others: MasterRecord[] = [];
  for (const r of records) (recordInScope(r, scope) ? mine : others).push(r);
  return { mine, others };
}

/**
 * Live plans another project owns: tagged with a different `upg:project` than the run's (or any, for a run
 * without a project); tagged without one when the run has a project and neither its records nor its plan files
 * claim the plan; or untagged and named by another project's record.
 */
export function otherProjectPlans(
  plans: readonly LivePlan[],
  scope: ProjectScope,
  mine: readonly MasterRecord[],
  others: readonly MasterRecord[],
): OtherProjectPlan[] {
  const myIds = new Set(mine.flatMap((r) => (r.api_gateway_id ? [r.api_gateway_id] : [])));
  const myPlanIds = new Set(mine.map((r) => r.plan_id));
  const otherById = new Map(
    others.flatMap((r) => (r.api_gateway_id ? [[r.api_gateway_id, r] as const] : [])),
  );
  const out: OtherProjectPlan[] = [];
  for (const p of plans) {
    const other = (project: string | null, planId?: string): void => {
      out.push({ id: p.id, ...(planId ? { planId } : {}), name: p.settings.name, project });
    };
    if (p.ownerPlanId === undefined) {
      const r = otherById.get(p.id);
      if (r && !myIds.has(p.id)) other(r.project ?? null, r.plan_id);
      continue;
    }
    if (p.project === scope.project) continue;
    if (p.project !== undefined) {
      other(p.project, p.ownerPlanId);
      continue;
    }
    // Tagged without a project, seen from a project: ours only when claimed.
    const claimed = myIds.has(p.id) || scope.declared.has(p.ownerPlanId) || myPlanIds.has(p.ownerPlanId);
    if (!claimed) other(null, p.ownerPlanId);
  }
  return out;
}
