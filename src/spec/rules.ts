// Rules beyond shape: within one plan, and across all plans of the project.

import { configRegions, PROJECT_TAG_KEY, type UpgConfig } from "../model/spec.js";
import { type Diagnostic, type DiagnosticSeverity, didYouMean, formatPath } from "./diagnostics.js";
import type { LoadedPlan } from "./load.js";
import { reservedTagKey } from "./schema.js";
import { checkMethodKey, describeStageRef, stageRefKey } from "./stage-ref.js";

export const MAX_TAGS = 50;
const OFFSET_MAX = { DAY: 0, WEEK: 6, MONTH: 27 } as const;

type Report = (
  path: readonly PropertyKey[],
  code: string,
  message: string,
  hint: string,
  severity?: DiagnosticSeverity,
  /** Point at the key of the last path element instead of its value (for problems with a map key). */
  at?: "key" | "value",
) => void;

function reporter(p: LoadedPlan, out: Diagnostic[]): Report {
  return (path, code, message, hint, severity = "error", at = "value") => {
    out.push({
      severity,
      code,
      file: p.file,
      ...p.doc.locate(path, at),
      path: formatPath(path),
      message,
      hint,
    });
  };
}

function checkQuota(p: LoadedPlan, report: Report): void {
  const r = p.raw;
  if (r.quota_limit !== undefined && r.quota_period === undefined) {
    report(
      ["quota_limit"],
      "quota_incomplete",
      "quota_period is required when quota_limit is set.",
      "Add quota_period: DAY, WEEK or MONTH.",
    );
  }
  if (r.quota_limit === undefined && r.quota_period !== undefined) {
    report(
      ["quota_period"],
      "quota_incomplete",
      "quota_limit is required when quota_period is set.",
      "Add quota_limit, or remove quota_period.",
    );
  }
  if (r.quota_offset !== undefined) {
    if (r.quota_limit === undefined) {
      report(
        ["quota_offset"],
        "quota_incomplete",
        "quota_offset needs a quota (quota_limit and quota_period).",
        "Add quota_limit and quota_period, or remove quota_offset.",
      );
    } else if (r.quota_period !== undefined && r.quota_offset > OFFSET_MAX[r.quota_period]) {
      const max = OFFSET_MAX[r.quota_period];
      report(
        ["quota_offset"],
        "quota_offset_range",
        `quota_offset ${r.quota_offset} is outside the ${r.quota_period} period.`,
        max === 0 ? "A DAY quota takes quota_offset 0." : `Use 0-${max} for a ${r.quota_period} quota.`,
      );
    }
  }
}

function checkPolicy(p: LoadedPlan, cfg: UpgConfig, report: Report): void {
  const r = p.raw;
  const pol = cfg.policy;
  const over = (path: PropertyKey[], field: string, value: number | undefined, max: number | undefined) => {
    if (value !== undefined && max !== undefined && value > max) {
      report(
        path,
        "policy_limit",
        `${field} exceeds maximum allowed value: ${value} (max allowed ${max}).`,
        `Lower ${field} to ${max} or less, or raise policy.max_${field} in upg.config.yaml.`,
      );
    }
  };
  over(["rate_limit"], "rate_limit", r.rate_limit, pol.max_rate_limit);
  over(["burst_limit"], "burst_limit", r.burst_limit, pol.max_burst_limit);
  over(["quota_limit"], "quota_limit", r.quota_limit, pol.max_quota_limit);
  (r.stages ?? []).forEach((s, i) => {
    if (typeof s === "string") return;
    for (const [k, t] of Object.entries(s.method_throttles ?? {})) {
      const base = ["stages", i, "method_throttles", k];
      over([...base, "rate_limit"], "rate_limit", t.rate_limit, pol.max_rate_limit);
      over([...base, "burst_limit"], "burst_limit", t.burst_limit, pol.max_burst_limit);
    }
  });
  if (pol.require_quota && r.quota_limit === undefined && p.spec.lifecycleState !== "Archived") {
    report(
      [],
      "policy_quota_required",
      "policy.require_quota is on: this plan must declare quota_limit and quota_period.",
      "Add e.g. quota_limit: 10000 and quota_period: MONTH, or turn off policy.require_quota in upg.config.yaml.",
    );
  }
}

/**
 * Both members of a throttle, or neither. AWS keeps a throttle as a pair, and what it answers for a member
 * that was never set is not documented: declaring both keeps plan and live comparable, with no drift that
 * is only an artefact of a missing member.
 */
function checkThrottlePair(
  path: PropertyKey[],
  t: { rate_limit?: number; burst_limit?: number },
  report: Report,
): void {
  if ((t.rate_limit === undefined) === (t.burst_limit === undefined)) return;
  const missing = t.rate_limit === undefined ? "rate_limit" : "burst_limit";
  const given = missing === "rate_limit" ? "burst_limit" : "rate_limit";
  report(
    [...path, given],
    "throttle_incomplete",
    `${given} needs ${missing}: a throttle has both a steady rate and a burst.`,
    `Add ${missing} (commonly burst_limit = 2 x rate_limit).`,
  );
}

function checkThrottles(p: LoadedPlan, report: Report): void {
  const r = p.raw;
  checkThrottlePair([], r, report);
  (r.stages ?? []).forEach((s, i) => {
    if (typeof s === "string") return;
    for (const [k, t] of Object.entries(s.method_throttles ?? {}))
      checkThrottlePair(["stages", i, "method_throttles", k], t, report);
  });
  if (r.rate_limit !== undefined && r.burst_limit !== undefined && r.burst_limit < r.rate_limit) {
    report(
      ["burst_limit"],
      "burst_below_rate",
      `burst_limit ${r.burst_limit} is below rate_limit ${r.rate_limit}: a client can never burst to the steady rate.`,
      "Set burst_limit to at least rate_limit (commonly 2x).",
      "warning",
    );
  }
  (r.stages ?? []).forEach((s, i) => {
    if (typeof s === "string") return;
    for (const k of Object.keys(s.method_throttles ?? {})) {
      const problem = checkMethodKey(k);
      if (problem)
        report(
          ["stages", i, "method_throttles", k],
          "invalid_method_key",
          problem,
          'Write the key as "/resource/path/METHOD", e.g. "/pets/GET" ("//GET" for the root resource).',
          "error",
          "key",
        );
    }
  });
}

function checkStages(p: LoadedPlan, cfg: UpgConfig, report: Report): void {
  const seen = new Map<string, number>();
  for (const s of p.spec.stages) {
    const i = s.index;
    const key = stageRefKey(s.ref);
    const prev = seen.get(key);
    if (prev !== undefined) {
      report(
        ["stages", i],
        "duplicate_stage",
        `Stage ${describeStageRef(s.ref)} is listed twice (also stages[${prev}]).`,
        "Remove one of them.",
      );
    }
    seen.set(key, i);
    const regions = p.spec.regions ?? configRegions(cfg);
    if (s.ref.kind === "id" && s.ref.region && !regions.includes(s.ref.region)) {
      report(
        ["stages", i],
        "stage_region",
        p.spec.regions
          ? `Stage ARN is in region ${s.ref.region}, which is not among the plan's regions (${regions.join(", ")}).`
          : `Stage ARN is in region ${s.ref.region}, which this project does not manage (${regions.join(", ")}).`,
        p.spec.regions
          ? "Add the region to the plan's `regions`, or fix the ARN."
          : "Add the region to `regions` in upg.config.yaml, or fix the ARN.",
      );
    }
  }
  if ((p.raw.stages ?? []).length === 0 && p.spec.lifecycleState !== "Archived") {
    report(
      [],
      "no_stages",
      "The plan covers no API stage: its keys cannot call any API.",
      "Add stages: [API_ID:STAGE].",
      "warning",
    );
  }
}

function checkKeysAndLifecycle(p: LoadedPlan, report: Report): void {
  const r = p.raw;
  const keys = r.keys ?? [];
  if (p.spec.lifecycleState === "Archived" && keys.length > 0) {
    report(
      ["keys"],
      "archived_with_keys",
      "An Archived plan declares no keys: it is removed from API Gateway.",
      "Remove `keys`, or set lifecycle_state: Deprecated.",
    );
  }
  const seen = new Set<string>();
  keys.forEach((k, i) => {
    if (seen.has(k))
      report(["keys", i], "duplicate_key", `API key \`${k}\` is listed twice.`, "Remove the duplicate.");
    seen.add(k);
  });
  if (r.successor !== undefined && r.successor === r.plan_id) {
    report(
      ["successor"],
      "successor_self",
      "A plan cannot be its own successor.",
      "Name the plan_id customers should move to, or remove successor.",
    );
  }
  if (p.spec.lifecycleState === "Deprecated" && r.successor === undefined) {
    report(
      ["lifecycle_state"],
      "no_successor",
      "Deprecated plan has no successor: customers are not told where to move.",
      "Add successor: PLAN_ID.",
      "warning",
    );
  }
}

function checkTags(p: LoadedPlan, cfg: UpgConfig, report: Report): void {
  const tags = p.raw.tags ?? {};
  const keys = Object.keys(tags);
  if (keys.length > MAX_TAGS - 1) {
    report(
      ["tags"],
      "too_many_tags",
      `${keys.length} tags: AWS allows ${MAX_TAGS} per plan and upg uses one for ownership.`,
      `Keep at most ${MAX_TAGS - 1}.`,
    );
  }
  for (const k of keys) {
    const v = tags[k]!;
    if (k.length < 1 || k.length > 128)
      report(
        ["tags", k],
        "tag_key",
        `Tag key \`${k}\` must be 1-128 characters.`,
        "Use a tag key of 1-128 characters (AWS's limit).",
        "error",
        "key",
      );
    if (v.length > 256)
      report(
        ["tags", k],
        "tag_value",
        `Tag \`${k}\` value is ${v.length} characters; at most 256.`,
        "Shorten the value to 256 characters or fewer (AWS's limit).",
      );
    if (reservedTagKey(k))
      report(
        ["tags", k],
        "tag_key",
        `Tag key \`${k}\` uses the reserved prefix aws:.`,
        "Rename the tag: AWS keeps keys that start with aws: for its own tags and refuses them from users.",
        "error",
        "key",
      );
    if (k === cfg.ownership_tag_key) {
      report(
        ["tags", k],
        "tag_key",
        `Tag key \`${k}\` is upg's ownership tag and is set by upg.`,
        "Remove it from tags.",
        "error",
        "key",
      );
    }
    if (k === PROJECT_TAG_KEY) {
      report(
        ["tags", k],
        "tag_key",
        `Tag key \`${k}\` is upg's project tag and is set by upg from \`project:\` in upg.config.yaml.`,
        "Remove it from tags; set project: in upg.config.yaml instead.",
        "error",
        "key",
      );
    }
  }
}

/** A plan's `regions:` must be regions the config manages (top-level or an account's). */
function checkRegions(p: LoadedPlan, cfg: UpgConfig, report: Report): void {
  const managed = configRegions(cfg);
  (p.raw.regions ?? []).forEach((region, i) => {
    if (managed.includes(region)) return;
    report(
      ["regions", i],
      "plan_region",
      `Region ${region} is not managed by this project (upg.config.yaml: ${managed.join(", ")}).`,
      `Add ${region} to \`regions\` in upg.config.yaml (or to an account's regions), or use one of: ${managed.join(", ")}.`,
    );
  });
}

/** Rules that need only one plan. */
export function checkPlanRules(p: LoadedPlan, cfg: UpgConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  const report = reporter(p, out);
  checkQuota(p, report);
  checkPolicy(p, cfg, report);
  checkThrottles(p, report);
  checkRegions(p, cfg, report);
  checkStages(p, cfg, report);
  checkKeysAndLifecycle(p, report);
  checkTags(p, cfg, report);
  return out;
}

function where(p: LoadedPlan): string {
  return `${p.file}:${p.spec.source.line}:${p.spec.source.col}`;
}

function checkUnique(plans: readonly LoadedPlan[], field: "plan_id" | "name", out: Diagnostic[]): void {
  const first = new Map<string, LoadedPlan>();
  for (const p of plans) {
    const v = p.raw[field];
    const prev = first.get(v);
    if (prev) {
      reporter(p, out)(
        [field],
        `duplicate_${field}`,
        `${field} \`${v}\` is already declared at ${where(prev)}.`,
        `Each plan needs its own ${field}.`,
      );
    } else {
      first.set(v, p);
    }
  }
}

function checkSuccessors(plans: readonly LoadedPlan[], out: Diagnostic[]): void {
  const byId = new Map(plans.map((p) => [p.spec.planId, p]));
  for (const p of plans) {
    const succ = p.spec.successor;
    if (succ === undefined || succ === p.spec.planId) continue;
    const target = byId.get(succ);
    if (!target) {
      const guess = didYouMean(succ, [...byId.keys()]);
      reporter(p, out)(
        ["successor"],
        "successor_unknown",
        `successor \`${succ}\` is not a plan_id declared in any plan file.`,
        guess
          ? `Did you mean \`${guess}\`?`
          : "Name the plan_id of a plan in the plan files, or add that plan.",
      );
    } else if (target.spec.lifecycleState !== "Active") {
      reporter(p, out)(
        ["successor"],
        "successor_inactive",
        `successor \`${succ}\` is ${target.spec.lifecycleState}; a successor must be Active.`,
        "Point successor at an Active plan.",
      );
    }
  }
}

/** AWS forbids one API key in two plans that cover the same stage. */
function checkKeyStageConflicts(plans: readonly LoadedPlan[], out: Diagnostic[]): void {
  const owner = new Map<string, LoadedPlan>(); // `${stageKey}|${key}` -> plan
  for (const p of plans) {
    if (p.spec.lifecycleState === "Archived") continue;
    const keys = p.raw.keys ?? [];
    const reported = new Set<number>();
    for (const s of p.spec.stages) {
      const sk = stageRefKey(s.ref);
      keys.forEach((k, i) => {
        const prev = owner.get(`${sk}|${k}`);
        if (prev && prev !== p) {
          if (reported.has(i)) return;
          reported.add(i);
          reporter(p, out)(
            ["keys", i],
            "key_stage_conflict",
            `API key \`${k}\` is also declared in plan ${prev.spec.planId} (${where(prev)}); both plans cover stage ${describeStageRef(s.ref)}, and AWS allows a key in only one plan per stage.`,
            "Keep the key in one of the two plans.",
          );
        } else {
          owner.set(`${sk}|${k}`, p);
        }
      });
    }
  }
}

/** Rules across all plans of the project. */
export function checkProjectRules(plans: readonly LoadedPlan[], _cfg: UpgConfig): Diagnostic[] {
  const out: Diagnostic[] = [];
  checkUnique(plans, "plan_id", out);
  checkUnique(plans, "name", out);
  checkSuccessors(plans, out);
  checkKeyStageConflicts(plans, out);
  return out;
}
