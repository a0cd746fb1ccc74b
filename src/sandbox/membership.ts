/** Usage-plan ↔ API-key membership rules (reference §4 invariant 2, §5.1, §6 Q2). */
import { apiError, fail } from "./errors.js";
import type { ApiStage, SandboxState, UsagePlan } from "./state.js";

const sameStage = (a: ApiStage) => (b: ApiStage) => a.apiId === b.apiId && a.stage === b.stage;

/**
 * [U] AWS's wire error for "one key in two plans that share a stage" is unconfirmed; we answer
 * 409 ConflictException (the CLI should treat 409 and 400 from these calls as a membership conflict).
 */
function stageConflict(keyId: string, otherPlanId: string, s: ApiStage): never {
  throw apiError(
    "ConflictException",
    `API Key ${keyId} cannot reference multiple Usage Plans with the same API Stage: ` +
      `${s.apiId}:${s.stage} is also in Usage Plan ${otherPlanId}`,
  );
}

/** 409 when `keyId` is in another plan (not `planId`) that covers one of `stages`. */
export function checkStageConflicts(
  state: SandboxState,
  keyId: string,
  planId: string,
  stages: readonly ApiStage[],
): void {
  for (const otherId of state.plansOfKey(keyId)) {
    if (otherId === planId) continue;
    const clash = state.plans.get(otherId)?.apiStages.find((s) => stages.some(sameStage(s)));
    if (clash) stageConflict(keyId, otherId, clash);
  }
}

/** Stages newly added to a plan must not put any of its keys into two plans on one stage. */
export function checkAddedStages(state: SandboxState, plan: UsagePlan, previous: readonly ApiStage[]): void {
  const added = plan.apiStages.filter((s) => !previous.some(sameStage(s)));
  if (added.length === 0) return;
  for (const keyId of state.planKeys.get(plan.id)?.keys() ?? [])
    checkStageConflicts(state, keyId, plan.id, added);
}

/**
 * Whether a key currently in the plans `current` may join `plan`: [U] already a member → 409 ConflictException;
 * over the plans-per-key quota (10) → LimitExceededException (429, the only modelled candidate; no Retry-After
 * since waiting does not help); a shared stage → 409 (see stageConflict).
 */
export function checkJoin(
  state: SandboxState,
  keyId: string,
  current: readonly UsagePlan[],
  plan: UsagePlan,
): void {
  if (current.some((p) => p.id === plan.id)) {
    fail("ConflictException", `Usage Plan ${plan.id} already contains API Key ${keyId}`);
  }
  if (current.length >= state.limits.usagePlansPerKey) {
    fail(
      "LimitExceededException",
      `API Key ${keyId} is already in the maximum number of usage plans (${state.limits.usagePlansPerKey})`,
    );
  }
  for (const other of current) {
    const clash = other.apiStages.find((s) => plan.apiStages.some(sameStage(s)));
    if (clash) stageConflict(keyId, other.id, clash);
  }
}

/** The plans an existing key belongs to. */
export function plansOf(state: SandboxState, keyId: string): UsagePlan[] {
  return [...state.plansOfKey(keyId)].flatMap((id) => state.plans.get(id) ?? []);
}

export function addKeyToPlan(state: SandboxState, plan: UsagePlan, keyId: string): void {
  checkJoin(state, keyId, plansOf(state, keyId), plan);
  state.addMembership(plan.id, keyId);
}
