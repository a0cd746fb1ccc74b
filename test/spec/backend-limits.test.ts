// Values that pass a naive check but fail in a backend (DynamoDB numbers and table names, AWS's reserved tag
// prefix, an absurd lock TTL) are rejected by validation, located, with a hint.

import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, loadConfig } from "../../src/spec/config.js";
import type { Diagnostic } from "../../src/spec/diagnostics.js";
import { loadSpecs } from "../../src/spec/load.js";
import { runCli } from "../helpers/cli.js";
import { tmpTrees } from "../helpers/tmp.js";

const tree = tmpTrees();

function validatePlan(yaml: string): Diagnostic[] {
  const t = tree({ "a.yaml": yaml });
  return loadSpecs([t.dir], DEFAULT_CONFIG, { cwd: t.dir }).diagnostics.filter((d) => d.severity === "error");
}

function validateConfig(yaml: string): Diagnostic[] {
  const t = tree({ "upg.config.yaml": yaml });
  return loadConfig(t.path("upg.config.yaml")).diagnostics;
}

const plan = (extra: string) => `plan_id: p\nname: P\nstages: [a:b]\n${extra}`;

describe("plan numbers DynamoDB cannot store, or no plan needs", () => {
  it.each([
    ["rate_limit: 1e-300\nburst_limit: 1\n", "rate_limit", 4, 13, /at least 0\.001/],
    ["rate_limit: 0.0005\nburst_limit: 1\n", "rate_limit", 4, 13, /at least 0\.001/],
    ["rate_limit: 1e300\nburst_limit: 1\n", "rate_limit", 4, 13, /at most 2147483647/],
    ["rate_limit: 1\nburst_limit: 1e200\n", "burst_limit", 5, 14, /at most 2147483647/],
    ["quota_limit: 1e40\nquota_period: DAY\n", "quota_limit", 4, 14, /at most 2147483647/],
    [
      'stages:\n  - { api_id: a, stage: s, method_throttles: { "/x/GET": { rate_limit: 1e-300, burst_limit: 1 } } }\n',
      "stages[0].method_throttles./x/GET.rate_limit",
      6,
      72,
      /at least 0\.001/,
    ],
  ])("%j is one located error with a hint", (extra, path, line, col, message) => {
    const yaml = extra.startsWith("stages")
      ? `plan_id: p\nname: P\nrate_limit: 1\nburst_limit: 1\n${extra}`
      : plan(extra);
    const diags = validatePlan(yaml);
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({ path, line, col });
    expect(diags[0]!.message).toMatch(message);
    expect(diags[0]!.hint).toMatch(/Use /);
  });

  it("0 and the smallest allowed rate pass; fractional rates keep working", () => {
    expect(validatePlan(plan("rate_limit: 0\nburst_limit: 0\n"))).toEqual([]);
    expect(validatePlan(plan("rate_limit: 0.001\nburst_limit: 1\n"))).toEqual([]);
  });

  it("the rate hint says why: DynamoDB numbers stop at 1e-130", () => {
    const [d] = validatePlan(plan("rate_limit: 1e-300\nburst_limit: 1\n"));
    expect(d!.hint).toContain("DynamoDB");
    expect(d!.code).toBe("out_of_range");
  });
});

describe("tags: AWS reserves the aws: prefix", () => {
  it("a plan tag key starting with aws: (any case) is located at the key, with a hint", () => {
    const diags = validatePlan(plan("tags:\n  team: x\n  AWS:owner: y\n"));
    expect(diags).toEqual([
      expect.objectContaining({ code: "tag_key", path: "tags.AWS:owner", line: 6, col: 3 }),
    ]);
    expect(diags[0]!.hint).toMatch(/aws:/);
  });

  it("ownership_tag_key aws:owner is refused in the project file", () => {
    const diags = validateConfig("regions: [us-east-1]\nownership_tag_key: 'aws:owner'\n");
    expect(diags).toEqual([
      expect.objectContaining({ code: "reserved_tag_key", path: "ownership_tag_key", line: 2, col: 20 }),
    ]);
    expect(diags[0]!.message).toContain("reserves");
    expect(diags[0]!.hint).toContain("upg:plan-id");
  });

  it("ownership_tag_key longer than 128 characters is refused", () => {
    const diags = validateConfig(`ownership_tag_key: ${"k".repeat(129)}\n`);
    expect(diags.map((d) => d.path)).toEqual(["ownership_tag_key"]);
    expect(diags[0]!.message).toContain("128");
  });
});

describe("project file values", () => {
  it.each([
    ["tables: { metadata: 'bad name!' }\n", "tables.metadata", /not a DynamoDB table name/],
    ["tables: { audit: ab }\n", "tables.audit", /not a DynamoDB table name/],
    [`tables: { audit: ${"a".repeat(256)} }\n`, "tables.audit", /not a DynamoDB table name/],
    ["lock: { ttl_seconds: 1e200 }\n", "lock.ttl_seconds", /at most 86400/],
    ["lock: { ttl_seconds: 5 }\n", "lock.ttl_seconds", /at least 10/],
    ["lock: { ttl_seconds: 60.5 }\n", "lock.ttl_seconds", /whole number/],
    ["pacing: { requests_per_second: 1e-300 }\n", "pacing.requests_per_second", /at least 0\.01/],
    ["pacing: { update_usage_plan_interval_ms: 1e200 }\n", "pacing.update_usage_plan_interval_ms", /at most/],
    ["timeouts: { request: soon }\n", "timeouts.request", /must be a duration/],
    ["timeouts: { connect: 5m }\n", "timeouts.connect", /out of range/],
    ["timeouts: { request: 0 }\n", "timeouts.request", /out of range/],
  ])("%j is one located error with a hint", (yaml, path, message) => {
    const diags = validateConfig(yaml);
    expect(diags).toHaveLength(1);
    expect(diags[0]).toMatchObject({ path, line: 1 });
    expect(diags[0]!.col).toBeGreaterThan(1);
    expect(diags[0]!.message).toMatch(message);
    expect(diags[0]!.hint.length).toBeGreaterThan(10);
  });

  it("good values load: table names with . and _, a 10 s..24 h TTL, timeouts as durations or seconds", () => {
    const t = tree({
      "upg.config.yaml":
        "tables: { metadata: my_team.plans-v2, audit: audit.log }\nlock: { ttl_seconds: 86400 }\ntimeouts: { connect: 500ms, request: 30 }\n",
    });
    const r = loadConfig(t.path("upg.config.yaml"));
    expect(r.diagnostics).toEqual([]);
    expect(r.config.tables).toEqual({ metadata: "my_team.plans-v2", audit: "audit.log" });
    expect(r.config.lock.ttl_seconds).toBe(86400);
    expect(r.config.timeouts).toEqual({ connect_ms: 500, request_ms: 30_000 });
  });

  it("timeouts default to 3 s connect and 10 s request", () => {
    expect(DEFAULT_CONFIG.timeouts).toEqual({ connect_ms: 3000, request_ms: 10_000 });
    const t = tree({ "upg.config.yaml": "timeouts: { request: 2m }\n" });
    expect(loadConfig(t.path("upg.config.yaml")).config.timeouts).toEqual({
      connect_ms: 3000,
      request_ms: 120_000,
    });
  });
});

describe("upg validate", () => {
  it("prints each of these with file:line:col and a hint, and exits 1", async () => {
    const t = tree({
      "upg.config.yaml":
        "ownership_tag_key: 'aws:owner'\ntables: { metadata: 'bad name!' }\nlock: { ttl_seconds: 1e200 }\n",
      "plans/p.yaml":
        "plan_id: p\nname: P\nrate_limit: 1e-300\nburst_limit: 1\nstages: [a:b]\ntags: { 'aws:x': y }\n",
    });
    const r = await runCli(["validate"], { cwd: t.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "upg.config.yaml:1:20: error: ownership_tag_key `aws:owner` uses the prefix aws:",
    );
    expect(r.stderr).toContain("upg.config.yaml:2:21: error: `metadata`: not a DynamoDB table name");
    expect(r.stderr).toContain("upg.config.yaml:3:22: error: ttl_seconds must be at most 86400 (24 hours).");
    expect(r.stderr).toContain("plans/p.yaml:3:13: error: rate_limit 1e-300 is too small");
    expect(r.stderr).toContain("plans/p.yaml:6:9: error: Tag key `aws:x` uses the reserved prefix aws:.");
    const hints = r.stderr.split("\n").filter((l) => /^\s+hint: /.test(l));
    expect(hints.length).toBeGreaterThanOrEqual(5);
  });
});
