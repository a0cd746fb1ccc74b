// `upg drift` through the real CLI against the sandbox: console changes made through the SDK, each reported
// with its type and severity; exit codes; pending edits apart; partial reads never clean; no writes.

import {
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteStageCommand,
  DeleteUsagePlanCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, type Project, pause, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const BASIC = `plan_id: basic
name: Basic
rate_limit: 100
burst_limit: 200
stages: [{ api_name: weather-api, stage: prod }]
keys: [globex-mobile]
`;
const FREE = `plan_id: free
name: Free
rate_limit: 5
burst_limit: 10
lifecycle_state: Deprecated
stages: [{ api_name: weather-api, stage: dev }]
`;

async function applied(): Promise<Project> {
  const p = await e2e.project();
  p.writePlan("basic.yaml", BASIC);
  p.writePlan("free.yaml", FREE);
  expect((await p.upg(["init"])).code).toBe(0);
  const r = await p.upg(["apply", "--auto-approve"]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return p;
}

interface JsonReport {
  kind: string;
  format_version: number;
  violations: Array<{
    violation_type: string;
    severity: string;
    plan_id?: string;
    subject?: string;
    should_be: unknown;
    actually_is: unknown;
    declared_at?: { file: string; line: number };
  }>;
  pending: Array<{ change_id: string }>;
  not_checked: Array<{ what: string; reason: string; plan_id?: string }>;
  summary: { violations: number; pending: number; not_checked: number; by_severity: Record<string, number> };
}

async function driftJson(p: Project, args: string[] = []): Promise<{ code: number; report: JsonReport }> {
  const r = await p.upg(["drift", "-o", "json", ...args]);
  return { code: r.code, report: JSON.parse(r.stdout) as JsonReport };
}

describe("upg drift", () => {
  it("clean: exit 0, says so, and makes no API Gateway write calls", async () => {
    const p = await applied();
    const before = await e2e.sb.admin.counters();
    const r = await p.upg(["drift"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("No drift in us-east-1");
    expect(r.stdout).toContain("Drift: 0 violations, 0 pending edits, 0 not checked.");
    const after = await e2e.sb.admin.counters();
    const writes = Object.keys(after).filter(
      (op) => /^(Create|Update|Delete|Tag|Untag|Import)/.test(op) && (after[op] ?? 0) !== (before[op] ?? 0),
    );
    expect(writes).toEqual([]);
  });

  it("each console change is reported with its type and severity, most severe first, at the declaring line", async () => {
    const p = await applied();
    const basic = await e2e.planByName("Basic");
    const free = await e2e.planByName("Free");
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: basic.id,
        patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "500" }],
      }),
    );
    const initech = p.seed.apiKeys.find((k) => k.name === "initech-batch")!.id;
    await e2e.sdk.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: free.id, keyId: initech, keyType: "API_KEY" }),
    );
    const hand = await e2e.sdk.send(
      new CreateUsagePlanCommand({
        name: "Hand made",
        apiStages: [{ apiId: p.seed.restApiId, stage: "prod" }],
      }),
    );
    const { code, report } = await driftJson(p);
    expect(code).toBe(2);
    expect(report.kind).toBe("upg-drift-report");
    expect(report.format_version).toBe(1);
    const got = report.violations.map((v) => `${v.severity} ${v.plan_id ?? "-"} ${v.violation_type}`);
    expect(got).toEqual([
      "HIGH basic rate_limit_changed",
      "HIGH free key_joined_deprecated_plan",
      "MEDIUM basic stage_shared_with_unmanaged_plan",
      "LOW - unmanaged_plan_found",
    ]);
    const rate = report.violations[0]!;
    expect(rate).toMatchObject({
      should_be: 100,
      actually_is: 500,
      declared_at: { file: "plans/basic.yaml", line: 3 },
    });
    expect(report.violations[2]!.actually_is).toBe(`${hand.id} (Hand made)`);
    expect(report.summary).toMatchObject({
      violations: 4,
      pending: 0,
      not_checked: 0,
      by_severity: { HIGH: 2, MEDIUM: 1, LOW: 1, CRITICAL: 0 },
    });

    const human = await p.upg(["drift"]);
    expect(human.code).toBe(2);
    const lines = human.stdout.split("\n");
    expect(lines[0]).toBe("HIGH (2)");
    expect(human.stdout).toContain(
      "basic (" +
        basic.id +
        "): rate_limit_changed — rate limit changed outside upg. throttle.rateLimit: should be 100, is 500.",
    );
    expect(human.stdout).toContain("→ `upg apply` restores 100; or declare 500 in plans/basic.yaml:3.");
    // --fail-on: only HIGH and above fail.
    expect((await p.upg(["drift", "--fail-on", "CRITICAL"])).code).toBe(0);
    expect((await p.upg(["drift", "--fail-on", "high"])).code).toBe(2);
  });

  it("a deleted plan is CRITICAL; a deleted stage is stage_missing", async () => {
    const p = await applied();
    const free = await e2e.planByName("Free");
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: free.id,
        patchOperations: [{ op: "remove", path: "/apiStages", value: `${p.seed.restApiId}:dev` }],
      }),
    );
    await e2e.sdk.send(new DeleteUsagePlanCommand({ usagePlanId: free.id }));
    await e2e.sdk.send(new DeleteStageCommand({ restApiId: p.seed.restApiId, stageName: "prod" }));
    const { code, report } = await driftJson(p);
    expect(code).toBe(2);
    const got = report.violations.map(
      (v) => `${v.severity} ${v.plan_id} ${v.violation_type} ${v.subject ?? "-"}`,
    );
    expect(got).toContain("CRITICAL free plan_deleted -");
    expect(got).toContain(`HIGH basic stage_missing ${p.seed.restApiId}:prod`);
  });

  it("plan-file edits are pending, not drift; --fail-on-pending makes them fail", async () => {
    const p = await applied();
    p.writePlan("basic.yaml", BASIC.replace("rate_limit: 100", "rate_limit: 120"));
    const { code, report } = await driftJson(p);
    expect(code).toBe(0);
    expect(report.violations).toEqual([]);
    expect(report.pending.map((x) => x.change_id)).toEqual(["update:basic"]);
    expect((await p.upg(["drift", "--fail-on-pending"])).code).toBe(2);
    const human = await p.upg(["drift"]);
    expect(human.stdout).toContain("Pending plan-file edits (not drift; `upg apply` makes them):");
  });

  it("a read that fails is listed under not_checked and never reported clean (exit 1)", async () => {
    const p = await applied();
    await e2e.sb.admin.setFaults({
      failOperation: { operation: "GetUsagePlanKeys", status: 403, code: "AccessDeniedException" },
    });
    try {
      const { code, report } = await driftJson(p);
      expect(code).toBe(1);
      expect(report.violations).toEqual([]);
      expect(report.not_checked.map((n) => n.what.split(" ")[0])).toEqual([
        "GetUsagePlanKeys",
        "GetUsagePlanKeys",
      ]);
      expect(report.not_checked.map((n) => n.plan_id).sort()).toEqual(["basic", "free"]);
      const human = await p.upg(["drift"]);
      expect(human.code).toBe(1);
      expect(human.stdout).toContain("Not checked (this report is partial):");
      expect(human.stdout).not.toContain("No drift");
    } finally {
      await e2e.sb.admin.resetFaults();
    }
  });

  it("markdown, SARIF with the declaring line, GitHub summary and annotations", async () => {
    const p = await applied();
    const basic = await e2e.planByName("Basic");
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: basic.id,
        patchOperations: [{ op: "replace", path: "/throttle/burstLimit", value: "900" }],
      }),
    );
    const md = await p.upg(["drift", "-o", "markdown"]);
    expect(md.stdout).toContain("### ⚠️ upg drift: 1 violation in us-east-1");
    expect(md.stdout).toContain(
      "| HIGH | basic (" + basic.id + ") | burst_limit_changed | throttle.burstLimit | 200 | 900 |",
    );
    const sarif = JSON.parse((await p.upg(["drift", "-o", "sarif"])).stdout);
    expect(sarif.version).toBe("2.1.0");
    expect(sarif.runs[0].tool.driver.rules.map((r: { id: string }) => r.id)).toEqual(["burst_limit_changed"]);
    expect(sarif.runs[0].results[0]).toMatchObject({
      ruleId: "burst_limit_changed",
      level: "error",
      locations: [
        { physicalLocation: { artifactLocation: { uri: "plans/basic.yaml" }, region: { startLine: 4 } } },
      ],
    });
    const summary = `${p.dir}/summary.md`;
    const gh = await p.upg(["drift"], { env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } });
    expect(gh.code).toBe(2);
    expect(gh.stdout).toMatch(
      /^::error file=plans\/basic\.yaml,line=4,title=upg drift HIGH%3A burst_limit_changed::basic \(\w+\): throttle\.burstLimit: should be 200, is 900\./m,
    );
    const { readFileSync } = await import("node:fs");
    expect(readFileSync(summary, "utf8")).toContain("burst_limit_changed");
  });

  it("bad input: unknown --fail-on, unknown format, drift before init", async () => {
    const p = await e2e.project();
    p.writePlan("basic.yaml", BASIC);
    const bad = await p.upg(["drift", "--fail-on", "URGENT"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Unknown severity "URGENT" for --fail-on.');
    expect(bad.stderr).toContain("Use one of: LOW, MEDIUM, HIGH, CRITICAL.");
    const fmt = await p.upg(["drift", "-o", "xml"]);
    expect(fmt.code).toBe(1);
    expect(fmt.stderr).toContain("Use one of: human, json, markdown, sarif.");
    const noInit = await p.upg(["drift"]);
    expect(noInit.code).toBe(1);
    expect(noInit.stderr).toMatch(/does not exist/);
    expect(noInit.stderr).toContain("upg init");
  });
});

describe("upg drift --fix", () => {
  async function fixProject(autoFix: string): Promise<Project> {
    const p = await e2e.project({ config: `auto_fix: ${autoFix}` });
    p.writePlan("basic.yaml", BASIC);
    p.writePlan("free.yaml", FREE.replace("lifecycle_state: Deprecated\n", ""));
    expect((await p.upg(["init"])).code).toBe(0);
    const r = await p.upg(["apply", "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    return p;
  }

  async function drift(p: Project) {
    const basic = await e2e.planByName("Basic");
    const free = await e2e.planByName("Free");
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: basic.id,
        patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "500" }],
      }),
    );
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: free.id,
        patchOperations: [{ op: "remove", path: "/apiStages", value: `${p.seed.restApiId}:dev` }],
      }),
    );
    await e2e.sdk.send(new DeleteUsagePlanCommand({ usagePlanId: free.id }));
    return { basic, free };
  }

  it("repairs what the policy allows through apply (audited as auto-fix) and reports the rest", async () => {
    const p = await fixProject("{ enabled: true, max_severity: HIGH }");
    const { basic, free } = await drift(p);
    const r = await p.upg(["drift", "--fix", "--auto-approve"]);
    // The deleted plan (CRITICAL) is above max_severity: reported, not fixed, so drift remains: exit 2.
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout).toContain("Auto-fix (max_severity HIGH): 1 violation to repair.");
    expect(r.stdout).toContain("CRITICAL free: plan_deleted — CRITICAL is above auto_fix.max_severity HIGH");
    expect(r.stdout).toMatch(/✓ update basic/);
    expect(r.stdout).toContain("Apply complete: 1 change applied.");
    expect((await e2e.planByName("Basic")).throttle?.rateLimit).toBe(100);
    expect((await e2e.plans()).some((x) => x.name === "Free")).toBe(false);
    const rows = await p.store().listAudit();
    const fixRow = rows.find((x) => x.change_id === "update:basic")!;
    expect(fixRow).toMatchObject({ trigger: "auto-fix", api_gateway_id: basic.id, outcome: "ok" });
    const after = JSON.parse((await p.upg(["drift", "-o", "json"])).stdout) as JsonReport;
    expect(after.violations.map((v) => `${v.plan_id} ${v.violation_type}`)).toEqual(["free plan_deleted"]);
    expect(free.id).toBeDefined();
  });

  it("with violation_types and max_severity CRITICAL: recreates the deleted plan only", async () => {
    const p = await fixProject("{ enabled: true, max_severity: CRITICAL, violation_types: [plan_deleted] }");
    await drift(p);
    const r = await p.upg(["drift", "--fix", "--auto-approve", "-o", "json"]);
    const doc = JSON.parse(r.stdout) as JsonReport & {
      fix: { outcome: string; not_fixed: Array<{ violation_type: string; why: string }> };
    };
    expect(doc.fix.outcome).toBe("applied");
    expect(doc.fix.not_fixed.map((n) => `${n.violation_type}: ${n.why}`)).toEqual([
      "rate_limit_changed: rate_limit_changed is not in auto_fix.violation_types",
    ]);
    expect((await e2e.planByName("Free")).throttle?.rateLimit).toBe(5);
    expect((await e2e.planByName("Basic")).throttle?.rateLimit).toBe(500);
    expect(r.code).toBe(2);
  });

  it("auto_fix disabled, or a plan file with unapplied edits: nothing repaired, and it says why", async () => {
    const off = await fixProject("{ enabled: false }");
    await drift(off);
    const r = await off.upg(["drift", "--fix", "--auto-approve"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("auto_fix is not enabled in upg.config.yaml: nothing was repaired.");
    expect((await e2e.planByName("Basic")).throttle?.rateLimit).toBe(500);

    const edited = await fixProject("{ enabled: true, max_severity: CRITICAL }");
    await drift(edited);
    edited.writePlan("basic.yaml", BASIC.replace("rate_limit: 100", "rate_limit: 150"));
    const e = await edited.upg(["drift", "--fix", "--auto-approve"]);
    expect(e.stdout).toContain(
      "HIGH basic: rate_limit_changed throttle.rateLimit — its plan file has edits not applied yet: review them with `upg plan`, then `upg apply`",
    );
    expect((await e2e.planByName("Basic")).throttle?.rateLimit).toBe(500);
    expect((await e2e.planByName("Free")).throttle?.rateLimit).toBe(5);
  });
});

describe("upg plan in GitHub Actions", () => {
  it("appends the plan as markdown to the step summary and annotates drift and problems at their lines", async () => {
    const p = await applied();
    const basic = await e2e.planByName("Basic");
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: basic.id,
        patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "300" }],
      }),
    );
    p.writePlan("free.yaml", FREE.replace("stage: dev", "stage: staging"));
    const summary = `${p.dir}/summary.md`;
    const r = await p.upg(["plan"], { env: { GITHUB_ACTIONS: "true", GITHUB_STEP_SUMMARY: summary } });
    expect(r.code).toBe(1); // the missing stage is a problem
    expect(r.stdout).toMatch(
      /^::error file=plans\/basic\.yaml,line=3,title=upg drift HIGH%3A rate_limit_changed::/m,
    );
    expect(r.stdout).toMatch(
      /^::error file=plans\/free\.yaml,line=6,title=upg plan%3A stage_missing::Stage \w+:staging does not exist/m,
    );
    const { readFileSync } = await import("node:fs");
    const md = readFileSync(summary, "utf8");
    expect(md).toContain("rate_limit_changed");
  });
});
