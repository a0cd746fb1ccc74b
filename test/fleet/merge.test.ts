// report merge: the shards of a fleet run merged give the one-run document; duplicates and mixed commands are
// refused; the combined exit code; the human and markdown views name the account-region on every line.

import { describe, expect, it } from "vitest";
import type { DriftReport } from "../../src/model/drift.js";
import {
  combinedExitCode,
  type FleetResult,
  fleetReport,
  MergeError,
  mergeReports,
  renderFleetHuman,
  renderFleetMarkdown,
} from "../../src/render/merge.js";

function drift(region: string, violations: number, notChecked = 0): DriftReport {
  return {
    kind: "upg-drift-report",
    format_version: 1,
    generated_at: "2026-11-30T00:00:00.000Z",
    region,
    violations: Array.from({ length: violations }, (_, i) => ({
      violation_type: "rate_limit_changed",
      severity: "HIGH",
      plan_id: `plan-${i}`,
      plan_name: `Plan ${i}`,
      expected: 100,
      actual: 5,
    })) as unknown as DriftReport["violations"],
    pending: [],
    not_checked: Array.from({ length: notChecked }, () => ({
      what: "GetTags usageplan x",
      reason: "denied",
    })),
    summary: {
      violations,
      by_severity: { LOW: 0, MEDIUM: 0, HIGH: violations, CRITICAL: 0 },
      pending: 0,
      not_checked: notChecked,
    },
  };
}

const ok = (account: string | null, region: string, report: DriftReport): FleetResult => ({
  account,
  region,
  status: "ok",
  exit_code: report.violations.length > 0 ? 2 : report.not_checked.length > 0 ? 1 : 0,
  report,
});

const ONE_RUN: FleetResult[] = [
  ok("prod", "us-east-1", drift("us-east-1", 2)),
  ok("prod", "eu-west-1", drift("eu-west-1", 0)),
  ok("dev", "us-east-1", drift("us-east-1", 0)),
  {
    account: "dev",
    region: "eu-west-1",
    status: "error",
    exit_code: 1,
    error: "Cannot assume role: AccessDenied",
  },
];

const T = "2026-11-30T01:00:00.000Z";

describe("mergeReports", () => {
  it("merge(shards) equals the one-run document: single-target reports and fleet reports alike", () => {
    const full = fleetReport("drift", ONE_RUN, T);
    // Shards as the CLI writes them: one-target runs print the drift report with its account; a two-target
    // shard prints a fleet report.
    const shards = [
      { name: "a.json", doc: { ...drift("us-east-1", 2), account: "prod" } },
      { name: "b.json", doc: fleetReport("drift", [ONE_RUN[3]!, ONE_RUN[2]!], "2026-11-30T00:30:00.000Z") },
      { name: "c.json", doc: { ...drift("eu-west-1", 0), account: "prod" } },
    ];
    const merged = mergeReports(JSON.parse(JSON.stringify(shards)), { generatedAt: T });
    expect(merged).toEqual(JSON.parse(JSON.stringify(full)));
    expect(merged.results.map((r) => `${r.account}/${r.region}`)).toEqual([
      "dev/eu-west-1",
      "dev/us-east-1",
      "prod/eu-west-1",
      "prod/us-east-1",
    ]);
    expect(merged.exit_code).toBe(1);
  });

  it("every item carries account and region", () => {
    const doc = fleetReport("drift", ONE_RUN, T);
    const prod = doc.results.find((r) => r.account === "prod" && r.region === "us-east-1")!;
    const report = prod.report as DriftReport;
    expect(report.account).toBe("prod");
    expect(report.violations).toHaveLength(2);
    for (const v of report.violations) expect(v).toMatchObject({ account: "prod", region: "us-east-1" });
  });

  it("an account-region in two shards is an error naming both files", () => {
    const shard = { ...drift("us-east-1", 0), account: "prod" };
    let err: unknown;
    try {
      mergeReports(
        [
          { name: "one.json", doc: shard },
          { name: "two.json", doc: shard },
        ],
        { generatedAt: T },
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MergeError);
    expect((err as MergeError).message).toBe("prod/us-east-1 is in both one.json and two.json.");
    expect((err as MergeError).hint).toContain("exactly one shard");
  });

  it("reports of different commands, or documents that are no report, are refused", () => {
    const plan = {
      format_version: 1,
      region: "eu-west-1",
      changes: [],
      problems: [],
      violations: [],
      fingerprint: {},
    };
    expect(() =>
      mergeReports(
        [
          { name: "d.json", doc: drift("us-east-1", 0) },
          { name: "p.json", doc: plan },
        ],
        { generatedAt: T },
      ),
    ).toThrow("p.json is a plan report, d.json a drift report");
    expect(() => mergeReports([{ name: "x.json", doc: [1, 2] }], { generatedAt: T })).toThrow(
      "x.json is not an upg report that can be merged.",
    );
    expect(() => mergeReports([], { generatedAt: T })).toThrow("Nothing to merge.");
  });

  it("plan documents: exit 2 for changes only with --detailed-exitcode; 1 for problems", () => {
    const plan = (region: string, changes: number, problems = 0) => ({
      format_version: 1,
      created_at: T,
      region,
      account: "prod",
      targets: [],
      changes: Array.from({ length: changes }, (_, i) => ({ id: `c${i}`, action: "create" })),
      desired: [],
      live_keys: {},
      violations: [],
      problems: Array.from({ length: problems }, () => ({ message: "x" })),
      fingerprint: { live: "a", records: "b" },
    });
    const docs = [
      { name: "1.json", doc: plan("us-east-1", 1) },
      { name: "2.json", doc: plan("eu-west-1", 0) },
    ];
    expect(mergeReports(docs, { generatedAt: T }).exit_code).toBe(0);
    const detailed = mergeReports(docs, { generatedAt: T, detailedExitcode: true });
    expect(detailed.exit_code).toBe(2);
    expect(detailed.command).toBe("plan");
    const changes = (detailed.results[1]!.report as { changes: unknown[] }).changes;
    expect(changes).toEqual([{ id: "c0", action: "create", account: "prod", region: "us-east-1" }]);
    expect(
      mergeReports([{ name: "3.json", doc: plan("eu-west-1", 1, 1) }], { generatedAt: T }).exit_code,
    ).toBe(1);
  });
});

describe("combinedExitCode", () => {
  it("1 if any target errored, else 2 if any has drift or changes, else 0", () => {
    expect(combinedExitCode([])).toBe(0);
    expect(combinedExitCode([{ status: "ok", exit_code: 0 }])).toBe(0);
    expect(
      combinedExitCode([
        { status: "ok", exit_code: 0 },
        { status: "ok", exit_code: 2 },
      ]),
    ).toBe(2);
    expect(
      combinedExitCode([
        { status: "error", exit_code: 1 },
        { status: "ok", exit_code: 2 },
      ]),
    ).toBe(1);
    expect(
      combinedExitCode([
        { status: "ok", exit_code: 1 },
        { status: "ok", exit_code: 2 },
      ]),
    ).toBe(1);
  });
});

describe("fleet views", () => {
  it("human: a header per target, every line prefixed with it, failures with their reason, a summary", () => {
    const text = renderFleetHuman(fleetReport("drift", ONE_RUN, T));
    expect(text).toContain("== prod/us-east-1 ==\n");
    expect(text).toContain("dev/eu-west-1  Error: Cannot assume role: AccessDenied\n");
    const body = text
      .split("\n")
      .filter((l) => l !== "" && !l.startsWith("== ") && !l.startsWith("4 targets"));
    for (const line of body) expect(line).toMatch(/^(prod|dev)\/(us-east-1|eu-west-1) {2}/);
    expect(text.trimEnd().split("\n").at(-1)).toBe("4 targets: 3 read, 1 failed (dev/eu-west-1).");
  });

  it("markdown: a section per target under one summary", () => {
    const md = renderFleetMarkdown(fleetReport("drift", ONE_RUN, T));
    expect(md.startsWith("## upg drift: 4 targets: 3 read, 1 failed (dev/eu-west-1).\n")).toBe(true);
    expect(md).toContain("### prod/us-east-1\n");
    // The drift report's own heading sits one level under the target's.
    expect(md).toContain("### prod/us-east-1\n\n#### ⚠️ upg drift: 2 violations in us-east-1");
    expect(md).not.toMatch(/^### ✅|^### ⚠️/m);
    expect(md).toContain("**Error:** Cannot assume role: AccessDenied");
  });
});
