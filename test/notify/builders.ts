// Small builders for alert tests: drift violations and reports.
import type { DriftReport, DriftViolation, NotChecked } from "../../src/model/drift.js";
import { SEVERITY_ORDER, type Severity } from "../../src/model/plan.js";

export function violation(overrides: Partial<DriftViolation> = {}): DriftViolation {
  return {
    violation_type: "rate_limit_changed",
    plan_id: "premium-weather",
    plan_name: "Premium Weather API",
    api_gateway_id: "ab12cd",
    subject: "throttle.rateLimit",
    should_be: 200,
    actually_is: 500,
    detected_at: "2026-01-15T14:30:00.000Z",
    severity: "HIGH",
    auto_fixable: true,
    ...overrides,
  };
}

export function report(
  violations: DriftViolation[],
  opts: { notChecked?: NotChecked[]; region?: string } = {},
): DriftReport {
  const by = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, 0])) as Record<Severity, number>;
  for (const v of violations) by[v.severity] += 1;
  const sorted = [...violations].sort(
    (a, b) => SEVERITY_ORDER.indexOf(b.severity) - SEVERITY_ORDER.indexOf(a.severity),
  );
  return {
    kind: "upg-drift-report",
    format_version: 1,
    generated_at: "2026-01-15T14:30:00.000Z",
    region: opts.region ?? "us-east-1",
    violations: sorted,
    pending: [],
    not_checked: opts.notChecked ?? [],
    summary: {
      violations: violations.length,
      by_severity: by,
      pending: 0,
      not_checked: opts.notChecked?.length ?? 0,
    },
  };
}

export const HOUR = 3_600_000;
