// The order changes run in is a table, not scattered awaits. AWS forbids one API key in two plans
// that cover the same stage, so everything that takes a key or a stage away runs before anything
// that adds one:
//
// 0. adopt plans       tag an unmanaged plan and write its record, before anything else acts on it
// 1. detach keys       a key moving between two plans on one stage must leave before it joins
// 2. update plans      one UpdateUsagePlan per plan; plans that only give up stages first, then
//                      plans that give up and gain stages, then the rest
// 3. delete plans      archived or no longer declared (deleting a plan drops its key memberships)
// 4. create plans      create and recreate, with every stage in the create call
// 5. attach keys       after the plans they join exist
// 6. record sync       master records whose API Gateway side needs nothing

import type { Change } from "../model/plan.js";

function stageFields(c: Change): { removes: boolean; adds: boolean } {
  const stages = (c.fields ?? []).filter((f) => /^stages\[[^\]]+\]$/.test(f.field));
  return {
    removes: stages.some((f) => f.after === undefined),
    adds: stages.some((f) => f.before === undefined),
  };
}

const isUpdate = (c: Change) => c.resource === "plan" && c.action === "update";

const PHASES: ReadonlyArray<(c: Change) => boolean> = [
  (c) => c.resource === "plan" && c.action === "adopt",
  (c) => c.resource === "key" && c.action === "detach",
  (c) => isUpdate(c) && stageFields(c).removes && !stageFields(c).adds,
  (c) => isUpdate(c) && stageFields(c).removes,
  (c) => isUpdate(c),
  (c) => c.resource === "plan" && c.action === "delete",
  (c) => c.resource === "plan" && (c.action === "create" || c.action === "recreate"),
  (c) => c.resource === "key" && c.action === "attach",
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
