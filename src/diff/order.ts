// The order changes run in is a table, not scattered awaits.
//
// 1. detach keys     a key moving between two plans on one stage must leave before it joins
// 2. update plans    one UpdateUsagePlan per plan: settings, stage attach/detach, method throttles
// 3. create plans    create and recreate, with every stage in the create call
// 4. attach keys     after the plans they join exist
// 5. delete plans    archived or no longer declared: stages detached, then the plan deleted
// 6. record sync     master records whose API Gateway side needs nothing

import type { Change } from "../model/plan.js";

const PHASES: ReadonlyArray<(c: Change) => boolean> = [
  (c) => c.resource === "key" && c.action === "detach",
  (c) => c.resource === "plan" && c.action === "update",
  (c) => c.resource === "plan" && (c.action === "create" || c.action === "recreate"),
  (c) => c.resource === "key" && c.action === "attach",
  (c) => c.resource === "plan" && c.action === "delete",
  (c) => c.resource === "record",
];

export function phaseOf(c: Change): number {
  const i = PHASES.findIndex((match) => match(c));
  return i === -1 ? PHASES.length : i;
}

export function orderChanges(changes: readonly Change[]): Change[] {
  return [...changes].sort(
    (a, b) => phaseOf(a) - phaseOf(b) || a.planId.localeCompare(b.planId) || a.id.localeCompare(b.id),
  );
}
