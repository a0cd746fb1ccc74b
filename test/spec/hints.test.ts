// Every diagnostic validation can produce says where (file:line:col) and what to do (a hint). A corpus of
// broken plan files and project files runs through validation; no message may be missing its hint or use
// zod's raw wording.

import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, loadConfig } from "../../src/spec/config.js";
import type { Diagnostic } from "../../src/spec/diagnostics.js";
import { loadSpecs } from "../../src/spec/load.js";
import { tmpTree } from "../helpers/tmp.js";

const BAD_PLANS: Record<string, string | Buffer> = {
  infinity: "plan_id: p\nname: P\nrate_limit: .inf\nburst_limit: .nan\nstages: [a:b]\n",
  tiny_rate: "plan_id: p\nname: P\nrate_limit: 1e-300\nburst_limit: 1\nstages: [a:b]\n",
  huge_ints:
    "plan_id: p\nname: P\nrate_limit: 1\nburst_limit: 1e200\nquota_limit: 1e40\nquota_period: DAY\nstages: [a:b]\n",
  fractional_int: "plan_id: p\nname: P\nrate_limit: 1\nburst_limit: 2.5\nstages: [a:b]\n",
  negative:
    "plan_id: p\nname: P\nstages: [a:b]\nquota_limit: -1\nquota_period: DAY\nrate_limit: -1\nburst_limit: 1\n",
  tags: "plan_id: p\nname: P\ntags: { 'aws:x': y, '': z, v: 5 }\nstages: [a:b]\n",
  long_tag_value: `plan_id: p\nname: P\nstages: [a:b]\ntags: { t: ${"v".repeat(257)} }\n`,
  tags_list: "plan_id: p\nname: P\nstages: [a:b]\ntags: [a]\n",
  empty_strings: "plan_id: p\nname: ''\ntier: ''\nstages: [a:b]\nkeys: ['']\n",
  missing_name: "plan_id: p\nstages: [a:b]\n",
  missing_plan_id: "name: P\nstages: [a:b]\n",
  stages_string: "plan_id: p\nname: P\nstages: a:b\n",
  stage_number: "plan_id: p\nname: P\nstages: [5]\n",
  stage_bad_string: "plan_id: p\nname: P\nstages: ['not a stage']\n",
  stage_no_stage: "plan_id: p\nname: P\nstages: [{ api_id: a }]\n",
  stage_arn_and_stage: "plan_id: p\nname: P\nstages: [{ arn: x, stage: s }]\n",
  stage_bad_name: "plan_id: p\nname: P\nstages: [{ api_name: a, stage: 'bad name' }]\n",
  stage_empty: "plan_id: p\nname: P\nstages: [{ }]\n",
  stage_unknown_field: "plan_id: p\nname: P\nstages: [{ api_id: a, stage: s, zzz: 1 }]\n",
  method_key:
    "plan_id: p\nname: P\nstages: [{ api_id: a, stage: s, method_throttles: { bad: { rate_limit: 1, burst_limit: 1 } } }]\n",
  method_list: "plan_id: p\nname: P\nstages: [{ api_id: a, stage: s, method_throttles: [1] }]\n",
  method_scalar:
    "plan_id: p\nname: P\nstages: [{ api_id: a, stage: s, method_throttles: { '/x/GET': 5 } }]\n",
  method_unknown:
    "plan_id: p\nname: P\nstages: [{ api_id: a, stage: s, method_throttles: { '/x/GET': { zz: 1 } } }]\n",
  method_half:
    "plan_id: p\nname: P\nstages: [{ api_id: a, stage: s, method_throttles: { '/x/GET': { burst_limit: 1 } } }]\n",
  quota_offset_alone: "plan_id: p\nname: P\nstages: [a:b]\nquota_offset: 2\n",
  quota_offset_range:
    "plan_id: p\nname: P\nstages: [a:b]\nquota_limit: 5\nquota_period: WEEK\nquota_offset: 9\n",
  quota_half: "plan_id: p\nname: P\nstages: [a:b]\nquota_limit: 5\n",
  quota_period_bad: "plan_id: p\nname: P\nstages: [a:b]\nquota_limit: 5\nquota_period: YEARLY\n",
  successor_self: "plan_id: p\nname: P\nstages: [a:b]\nsuccessor: p\n",
  successor_unknown: "plan_id: p\nname: P\nstages: [a:b]\nsuccessor: nope\n",
  lifecycle: "plan_id: p\nname: P\nstages: [a:b]\nlifecycle_state: Gone\n",
  keys_string: "plan_id: p\nname: P\nstages: [a:b]\nkeys: k\n",
  keys_dup: "plan_id: p\nname: P\nstages: [a:b]\nkeys: [k, k]\n",
  archived_keys: "plan_id: p\nname: P\nlifecycle_state: Archived\nkeys: [k]\n",
  description_number: "plan_id: p\nname: P\nstages: [a:b]\ndescription: 5\n",
  plan_id_number: "plan_id: 5\nname: P\nstages: [a:b]\n",
  plan_id_slug: "plan_id: Not_A_Slug\nname: P\nstages: [a:b]\n",
  rate_bool: "plan_id: p\nname: P\nstages: [a:b]\nrate_limit: true\nburst_limit: 2\n",
  unknown_field: "plan_id: p\nname: P\nstages: [a:b]\nrate_limt: 5\n",
  unknown_field_far: "plan_id: p\nname: P\nstages: [a:b]\nzzzzzzzz: 5\n",
  duplicate_stage: "plan_id: p\nname: P\nstages: [a:b, a:b]\n",
  policy: "plan_id: p\nname: P\nstages: [a:b]\nrate_limit: 20000\nburst_limit: 30000\n",
  no_stages: "plan_id: p\nname: P\n",
  deprecated: "plan_id: p\nname: P\nlifecycle_state: Deprecated\nstages: [a:b]\n",
  owner_tag: "plan_id: p\nname: P\nstages: [a:b]\ntags: { 'upg:plan-id': x }\n",
  scalar_doc: "just a string\n",
  list_doc: "- a\n- b\n",
  yaml_syntax: "plan_id: p\nname: [unclosed\n",
  yaml_tabs: "plan_id: p\n\tname: P\n",
  yaml_dup_key: "plan_id: p\nplan_id: q\nname: P\n",
  yaml_alias: "plan_id: p\nname: *nope\n",
  empty_file: "",
  binary: Buffer.from([0x70, 0x00, 0x01]),
  not_utf8: Buffer.from([0x70, 0x3a, 0x20, 0xff, 0xfe, 0x0a]),
  // Project rules across files.
  dup_a: "plan_id: same\nname: Same\nstages: [a:b]\nkeys: [shared]\n",
  dup_b: "plan_id: same\nname: Same\nstages: [a:b]\nkeys: [shared]\n",
  inactive_successor:
    "plan_id: old\nname: Old\nlifecycle_state: Deprecated\nsuccessor: older\nstages: [c:d]\n---\nplan_id: older\nname: Older\nlifecycle_state: Deprecated\nsuccessor: same\nstages: [c:e]\n",
};

const BAD_CONFIGS: Record<string, string> = {
  reserved_owner: "ownership_tag_key: 'aws:owner'\n",
  empty_owner: "ownership_tag_key: ''\n",
  tables: "tables: { metadata: 'bad name!', audit: ab }\n",
  ttl_huge: "lock: { ttl_seconds: 1e200 }\n",
  ttl_small: "lock: { ttl_seconds: 5 }\n",
  region: "regions: [narnia]\n",
  regions_empty: "regions: []\n",
  regions_string: "regions: us-east-1\n",
  policy: "policy: { max_rate_limit: -1, require_quota: 1, max_rate: 5 }\n",
  alert_type: "alerts: { targets: [{ type: pager }] }\n",
  alert_no_type: "alerts: { targets: [{ url: 'https://x' }] }\n",
  alert_fields:
    "alerts: { targets: [{ type: sns, topic_arn: x }, { type: webhook, url: nope }, { type: file, path: '' }, { type: stdout, extra: 1 }] }\n",
  auto_fix: "auto_fix: { enabled: yes please, max_severity: HUGE }\n",
  auto_fix_far: "auto_fix: { max_severity: ZZZZZZZZZ }\n",
  pacing:
    "pacing: { requests_per_second: 1e-300, burst: 0, update_usage_plan_interval_ms: 1.5, concurrency: 100 }\n",
  timeouts_bad: "timeouts: { connect: soon, request: 1h }\n",
  timeouts_type: "timeouts: { connect: true, read: 5 }\n",
  timeouts_scalar: "timeouts: 5\n",
  two_docs: "regions: [us-east-1]\n---\nregions: [us-east-1]\n",
  list_doc: "- a\n",
  unknown: "zzz: 1\npolcy: {}\n",
  infinity: "policy: { max_rate_limit: .inf }\n",
  yaml: "regions: [\n",
};

function check(diags: readonly Diagnostic[]): void {
  for (const d of diags) {
    const where = `${d.file}:${d.line}:${d.col} [${d.code}] ${d.message}`;
    expect(d.hint, where).toEqual(expect.any(String));
    expect(d.hint.trim().length, where).toBeGreaterThan(5);
    expect(d.file, where).not.toBe("");
    expect(d.line, where).toBeGreaterThanOrEqual(1);
    expect(d.col, where).toBeGreaterThanOrEqual(1);
    // zod's raw wording and the old "must be a number, not number Infinity".
    expect(d.message, where).not.toMatch(
      /Too (small|big):|Invalid input|expected \w+, received|not number (Infinity|NaN)/,
    );
    expect(d.message, where).not.toMatch(/undefined|\[object Object\]/);
  }
}

describe("every diagnostic has a location and a hint", () => {
  it("plan files: each bad file yields at least one diagnostic, every one with a hint", () => {
    const files = Object.fromEntries(Object.entries(BAD_PLANS).map(([k, v]) => [`plans/${k}.yaml`, v]));
    const t = tmpTree(files);
    try {
      const r = loadSpecs([t.path("plans")], DEFAULT_CONFIG, { cwd: t.dir });
      check(r.diagnostics);
      const withProblems = new Set(r.diagnostics.map((d) => d.file));
      // dup_a is fine on its own: the duplicates are reported where they are declared again (dup_b).
      const silent = Object.keys(BAD_PLANS).filter(
        (k) => k !== "dup_a" && !withProblems.has(`plans/${k}.yaml`),
      );
      expect(silent).toEqual([]);
      expect(r.diagnostics.length).toBeGreaterThan(Object.keys(BAD_PLANS).length);
    } finally {
      t.cleanup();
    }
  });

  it("a plan path that does not exist", () => {
    const r = loadSpecs(["/nonexistent/plans"], DEFAULT_CONFIG);
    expect(r.diagnostics).toHaveLength(1);
    check(r.diagnostics);
  });

  it.each(Object.entries(BAD_CONFIGS))("project file %s", (_name, yaml) => {
    const t = tmpTree({ "upg.config.yaml": yaml });
    try {
      const r = loadConfig(t.path("upg.config.yaml"));
      expect(r.diagnostics.length).toBeGreaterThan(0);
      check(r.diagnostics);
    } finally {
      t.cleanup();
    }
  });

  it("a named project file that does not exist", () => {
    check(loadConfig("/nonexistent/upg.config.yaml").diagnostics);
  });
});

describe("wording", () => {
  it("Infinity and NaN: a finite number is wanted", () => {
    const t = tmpTree({ "a.yaml": BAD_PLANS.infinity! });
    try {
      const msgs = loadSpecs([t.dir], DEFAULT_CONFIG, { cwd: t.dir }).diagnostics.map((d) => d.message);
      expect(msgs).toEqual([
        "`rate_limit` must be a finite number, not Infinity.",
        "`burst_limit` must be a finite number, not NaN.",
      ]);
    } finally {
      t.cleanup();
    }
  });

  it("an unknown discriminator lists the alert target types; an empty list entry names its position", () => {
    const t = tmpTree({ "c.yaml": BAD_CONFIGS.alert_type!, "p/a.yaml": BAD_PLANS.empty_strings! });
    try {
      const [d] = loadConfig(t.path("c.yaml")).diagnostics;
      expect(d!.message).toBe('`type` must be one of sns, webhook, file, stdout; got the string "pager".');
      const keys = loadSpecs([t.path("p")], DEFAULT_CONFIG, { cwd: t.dir }).diagnostics.find(
        (x) => x.path === "keys[0]",
      );
      expect(keys!.message).toBe("`keys[0]` must not be empty.");
    } finally {
      t.cleanup();
    }
  });
});
