// Drift: what live API Gateway has that the master record does not. Severity says what it costs:
// more than the customer pays for is HIGH, a deleted plan CRITICAL, cosmetic changes LOW.

import type { FieldChange, Severity, Violation, ViolationType } from "../model/plan.js";

/** The identity part of a violation, shared by all violations of one plan. */
export interface ViolationSubject {
  plan_id?: string;
  plan_name?: string;
  api_gateway_id?: string;
  detected_at: string;
}

export function violation(
  subject: ViolationSubject,
  type: ViolationType,
  severity: Severity,
  shouldBe: unknown,
  actuallyIs: unknown,
  extra: { subject?: string; auto_fixable?: boolean } = {},
): Violation {
  return {
    violation_type: type,
    ...(subject.plan_id !== undefined ? { plan_id: subject.plan_id } : {}),
    ...(subject.plan_name !== undefined ? { plan_name: subject.plan_name } : {}),
    ...(subject.api_gateway_id !== undefined ? { api_gateway_id: subject.api_gateway_id } : {}),
    ...(extra.subject !== undefined ? { subject: extra.subject } : {}),
    should_be: shouldBe ?? null,
    actually_is: actuallyIs ?? null,
    detected_at: subject.detected_at,
    severity,
    auto_fixable: extra.auto_fixable ?? true,
  };
}

/** A limit that went up, or disappeared (no limit at all), gives customers more than declared. */
function limitSeverity(declared: unknown, live: unknown): Severity {
  if (live === undefined) return declared === undefined ? "LOW" : "HIGH";
  if (declared === undefined) return "MEDIUM";
  return Number(live) > Number(declared) ? "HIGH" : "MEDIUM";
}

const SIMPLE_FIELDS: Record<string, { type: ViolationType; limit: boolean; severity?: Severity }> = {
  name: { type: "name_changed", limit: false, severity: "LOW" },
  description: { type: "description_changed", limit: false, severity: "LOW" },
  "throttle.rateLimit": { type: "rate_limit_changed", limit: true },
  "throttle.burstLimit": { type: "burst_limit_changed", limit: true },
  "quota.limit": { type: "quota_limit_changed", limit: true },
  "quota.period": { type: "quota_period_changed", limit: false, severity: "MEDIUM" },
  "quota.offset": { type: "quota_offset_changed", limit: false, severity: "LOW" },
};

const STAGE_FIELD = /^stages\[([^\]]+)\]$/;
const METHOD_FIELD = /^stages\[([^\]]+)\]\.throttle\[([^\]]+)\]\.(rateLimit|burstLimit)$/;
const TAG_FIELD = /^tags\[(.+)\]$/;

/** Map the differences record → live to violations. */
export function fieldViolations(subject: ViolationSubject, changes: readonly FieldChange[]): Violation[] {
  const out: Violation[] = [];
  for (const c of changes) {
    const simple = SIMPLE_FIELDS[c.field];
    if (simple) {
      const sev = simple.limit ? limitSeverity(c.before, c.after) : simple.severity!;
      out.push(violation(subject, simple.type, sev, c.before, c.after, { subject: c.field }));
      continue;
    }
    const stage = STAGE_FIELD.exec(c.field);
    if (stage) {
      const type = c.before === undefined ? "stage_added" : "stage_removed";
      out.push(violation(subject, type, "HIGH", c.before, c.after, { subject: stage[1]! }));
      continue;
    }
    const method = METHOD_FIELD.exec(c.field);
    if (method) {
      out.push(
        violation(subject, "method_throttle_changed", limitSeverity(c.before, c.after), c.before, c.after, {
          subject: `${method[1]} ${method[2]} ${method[3]}`,
        }),
      );
      continue;
    }
    const tag = TAG_FIELD.exec(c.field);
    if (tag)
      out.push(violation(subject, "tags_changed", "LOW", c.before, c.after, { subject: `tag ${tag[1]}` }));
  }
  return out;
}
