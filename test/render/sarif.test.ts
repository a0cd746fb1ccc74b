// SARIF output validated against the OASIS SARIF 2.1.0 JSON Schema (test/fixtures/sarif-schema-2.1.0.json,
// from oasis-tcs/sarif-spec, sarif-2.1/schema).

import { readFileSync } from "node:fs";
import ajvDraft04 from "ajv-draft-04";
import { describe, expect, it } from "vitest";
import type { DriftReport } from "../../src/model/drift.js";
import { renderDriftSarif } from "../../src/render/drift.js";

const schema = JSON.parse(
  readFileSync(new URL("../fixtures/sarif-schema-2.1.0.json", import.meta.url), "utf8"),
) as object;
// A CommonJS module: its class is the `default` member of what ESM imports.
const Ajv = ajvDraft04.default;
const validate = new Ajv({ allErrors: true, strict: false }).compile(schema);

const REPORT: DriftReport = {
  kind: "upg-drift-report",
  format_version: 1,
  generated_at: "2026-01-15T14:30:00.000Z",
  region: "us-east-1",
  violations: [
    {
      violation_type: "rate_limit_changed",
      plan_id: "basic",
      plan_name: "Basic",
      api_gateway_id: "ab12cd",
      subject: "throttle.rateLimit",
      should_be: 100,
      actually_is: 500,
      detected_at: "2026-01-15T14:30:00.000Z",
      severity: "HIGH",
      auto_fixable: true,
      declared_at: { file: "plans/basic.yaml", line: 6, col: 1 },
    },
    {
      violation_type: "unmanaged_plan_found",
      plan_name: "Hand made",
      api_gateway_id: "zz99yy",
      subject: "zz99yy",
      should_be: null,
      actually_is: "not managed by upg",
      detected_at: "2026-01-15T14:30:00.000Z",
      severity: "LOW",
      auto_fixable: false,
    },
  ],
  pending: [],
  not_checked: [],
  summary: {
    violations: 2,
    by_severity: { LOW: 1, MEDIUM: 0, HIGH: 1, CRITICAL: 0 },
    pending: 0,
    not_checked: 0,
  },
};

describe("SARIF", () => {
  it("is valid SARIF 2.1.0, with one rule per type and each result at its plan-file line", () => {
    const doc = JSON.parse(renderDriftSarif(REPORT, { version: "0.1.0", fallbackUri: "upg.config.yaml" }));
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(
      doc.runs[0].results.map((r: { ruleId: string; level: string }) => `${r.ruleId} ${r.level}`),
    ).toEqual(["rate_limit_changed error", "unmanaged_plan_found note"]);
    expect(doc.runs[0].results[1].locations[0].physicalLocation.artifactLocation.uri).toBe("upg.config.yaml");
  });

  it("an empty report is valid SARIF too", () => {
    const empty = { ...REPORT, violations: [], summary: { ...REPORT.summary, violations: 0 } };
    expect(
      validate(JSON.parse(renderDriftSarif(empty, { version: "0.1.0", fallbackUri: "upg.config.yaml" }))),
    ).toBe(true);
  });

  it("the validator does reject a broken document", () => {
    const doc = JSON.parse(renderDriftSarif(REPORT, { version: "0.1.0", fallbackUri: "upg.config.yaml" }));
    doc.runs[0].results[0].level = "fatal";
    delete doc.version;
    expect(validate(doc)).toBe(false);
  });

  it("a fleet's violations (tagged with account and region) name their account-region, and stay apart by fingerprint", () => {
    const v = REPORT.violations[0]!;
    const fleet = {
      ...REPORT,
      violations: [
        { ...v, account: "prod", region: "eu-west-1" },
        { ...v, account: "dev", region: "eu-west-1" },
      ],
    } as unknown as DriftReport;
    const doc = JSON.parse(renderDriftSarif(fleet, { version: "0.1.0", fallbackUri: "upg.config.yaml" }));
    expect(validate(doc)).toBe(true);
    const results = doc.runs[0].results as Array<{
      message: { text: string };
      partialFingerprints: Record<string, string>;
      properties: Record<string, unknown>;
    }>;
    expect(results.map((r) => r.message.text.split(" ").slice(0, 2).join(" "))).toEqual([
      "[prod/eu-west-1] basic",
      "[dev/eu-west-1] basic",
    ]);
    expect(results.map((r) => r.partialFingerprints["upgViolation/v1"])).toEqual([
      "basic|rate_limit_changed|throttle.rateLimit|prod/eu-west-1",
      "basic|rate_limit_changed|throttle.rateLimit|dev/eu-west-1",
    ]);
    expect(results[0]!.properties).toMatchObject({ account: "prod", region: "eu-west-1" });
    // A one-region report keeps its fingerprints as they were.
    const one = JSON.parse(renderDriftSarif(REPORT, { version: "0.1.0", fallbackUri: "upg.config.yaml" }));
    expect(one.runs[0].results[0].partialFingerprints["upgViolation/v1"]).toBe(
      "basic|rate_limit_changed|throttle.rateLimit",
    );
    expect(one.runs[0].results[0].message.text.startsWith("basic")).toBe(true);
  });
});
