import { symlinkSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { UpgConfig } from "../../src/model/spec.js";
import { DEFAULT_CONFIG, loadConfig } from "../../src/spec/config.js";
import type { Diagnostic } from "../../src/spec/diagnostics.js";
import { loadSpecs } from "../../src/spec/load.js";
import { tmpTrees } from "../helpers/tmp.js";

const tree = tmpTrees();

function validate(files: Record<string, string | Buffer>, config: UpgConfig = DEFAULT_CONFIG) {
  const t = tree(files);
  return loadSpecs([t.dir], config, { cwd: t.dir });
}

function errors(d: Diagnostic[]) {
  return d.filter((x) => x.severity === "error");
}

const base = `plan_id: basic
name: Basic
rate_limit: 100
burst_limit: 200
quota_limit: 10000
quota_period: MONTH
stages: [abc123:prod]
`;

describe("valid plans", () => {
  it("loads a full plan into a PlanSpec", () => {
    const r = validate({
      "a.yaml": `${base}description: d
tier: Basic
quota_offset: 3
keys: [partner-a]
tags: { team: x }
`,
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.plans).toHaveLength(1);
    const p = r.plans[0]!;
    expect(p).toMatchObject({
      planId: "basic",
      name: "Basic",
      rateLimit: 100,
      burstLimit: 200,
      quotaLimit: 10000,
      quotaPeriod: "MONTH",
      quotaOffset: 3,
      keys: ["partner-a"],
      lifecycleState: "Active",
      tags: { team: "x" },
    });
    expect(p.stages[0]!.ref).toEqual({ kind: "id", apiId: "abc123", stage: "prod" });
  });

  it("loads several documents per file and directories recursively (yaml and yml)", () => {
    const r = validate({
      "a.yaml": `${base}---\n${base.replace("basic", "second").replace("Basic", "Second").replace("abc123:prod", "abc123:dev")}`,
      "sub/deeper/c.yml": base
        .replace("basic", "third")
        .replace("Basic", "Third")
        .replace("abc123:prod", "zzz:prod"),
      "sub/readme.txt": "not yaml",
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.plans.map((p) => p.planId).sort()).toEqual(["basic", "second", "third"]);
    expect(r.files).toHaveLength(2);
  });

  it("keeps absent fields absent (never 0) and fractional rates", () => {
    const r = validate({ "a.yaml": "plan_id: p\nname: P\nrate_limit: 0.5\nburst_limit: 1\nstages: [a:b]\n" });
    expect(r.diagnostics).toEqual([]);
    const p = r.plans[0]!;
    expect(p.rateLimit).toBe(0.5);
    expect("quotaLimit" in p).toBe(false);
    expect("quotaPeriod" in p).toBe(false);
    expect(p.keys).toBeUndefined();
  });

  it("the example plans in plans/ are valid", () => {
    const r = loadSpecs(["plans"], loadConfig("upg.config.yaml").config);
    expect(errors(r.diagnostics)).toEqual([]);
    expect(r.plans.map((p) => p.tier)).toEqual(
      expect.arrayContaining(["Free", "Basic", "Premium", "Enterprise"]),
    );
    const beta = r.plans.find((p) => p.lifecycleState === "Deprecated");
    expect(beta?.successor).toBeDefined();
  });
});

describe("stage references", () => {
  it("accepts the ARN, the short form and the name form", () => {
    const r = validate({
      "a.yaml": `plan_id: p
name: P
stages:
  - arn:aws:apigateway:us-east-1::/restapis/a1b2c3d4e5/stages/prod
  - a1b2c3d4e5:dev
  - { api_name: weather-api, stage: test }
  - { api_id: zz99, stage: v2, method_throttles: { "/pets/GET": { rate_limit: 2.5, burst_limit: 5 }, "//GET": { rate_limit: 1, burst_limit: 2 } } }
`,
    });
    expect(r.diagnostics).toEqual([]);
    const refs = r.plans[0]!.stages.map((s) => s.ref);
    expect(refs).toEqual([
      { kind: "id", apiId: "a1b2c3d4e5", stage: "prod", region: "us-east-1" },
      { kind: "id", apiId: "a1b2c3d4e5", stage: "dev" },
      { kind: "name", apiName: "weather-api", stage: "test" },
      { kind: "id", apiId: "zz99", stage: "v2" },
    ]);
    expect(r.plans[0]!.stages[3]!.methodThrottles).toEqual({
      "/pets/GET": { rateLimit: 2.5, burstLimit: 5 },
      "//GET": { rateLimit: 1, burstLimit: 2 },
    });
  });

  it("a malformed reference says Invalid stage ARN format, shows the formats, and is located", () => {
    const r = validate({
      "a.yaml": "plan_id: p\nname: P\nstages:\n  - arn:aws:apigateway:us-east-1:/restapis/x/prod\n  - 42\n",
    });
    const errs = errors(r.diagnostics);
    expect(errs).toHaveLength(2);
    for (const e of errs) {
      expect(e.message).toContain("Invalid stage ARN format");
      expect(e.hint).toContain("API_ID:STAGE");
    }
    expect(errs[0]).toMatchObject({ file: "a.yaml", line: 4, col: 5, path: "stages[0]" });
    expect(errs[1]).toMatchObject({ line: 5, col: 5, path: "stages[1]" });
  });

  it("an object stage needs exactly one of arn, api_id, api_name and a stage", () => {
    const r = validate({
      "a.yaml":
        "plan_id: p\nname: P\nstages:\n  - { api_name: w }\n  - { api_name: w, api_id: x, stage: s }\n",
    });
    const msgs = errors(r.diagnostics).map((d) => d.message);
    expect(msgs[0]).toContain("`stage` is required");
    expect(msgs[1]).toContain("exactly one of");
  });

  it("method throttle keys must look like /path/METHOD", () => {
    const bad = validate({
      "a.yaml": `plan_id: p\nname: P\nstages:\n  - { api_id: a, stage: s, method_throttles: { "/GET": { rate_limit: 1, burst_limit: 1 }, "/pets/FETCH": { rate_limit: 1, burst_limit: 1 } } }\n`,
    });
    const errs = errors(bad.diagnostics);
    expect(errs.map((e) => e.code)).toEqual(["invalid_method_key", "invalid_method_key"]);
    expect(errs[0]!.message).toContain("//GET");
    const good = validate({
      "a.yaml": `plan_id: p\nname: P\nstages:\n  - { api_id: a, stage: s, method_throttles: { "/pets/{id}/DELETE": { rate_limit: 1, burst_limit: 1 } } }\n`,
    });
    expect(good.diagnostics).toEqual([]);
  });

  it("an ARN in a region the project does not manage is an error", () => {
    const r = validate({
      "a.yaml": "plan_id: p\nname: P\nstages: ['arn:aws:apigateway:eu-west-1::/restapis/abc/stages/prod']\n",
    });
    expect(errors(r.diagnostics)[0]).toMatchObject({ code: "stage_region" });
    const ok = validate(
      {
        "a.yaml":
          "plan_id: p\nname: P\nstages: ['arn:aws:apigateway:eu-west-1::/restapis/abc/stages/prod']\n",
      },
      { ...DEFAULT_CONFIG, regions: ["eu-west-1"] },
    );
    expect(ok.diagnostics).toEqual([]);
  });

  it("the same stage twice in one plan is an error", () => {
    const r = validate({
      "a.yaml":
        "plan_id: p\nname: P\nstages: [a:prod, 'arn:aws:apigateway:us-east-1::/restapis/a/stages/prod']\n",
    });
    expect(errors(r.diagnostics).map((d) => d.code)).toEqual(["duplicate_stage"]);
  });
});

describe("shape", () => {
  it("an unknown field is an error with a did-you-mean hint at its line:col", () => {
    const r = validate({ "a.yaml": `${base}rate_limt: 5\n` });
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "unknown_field",
        file: "a.yaml",
        line: 8,
        col: 1,
        path: "rate_limt",
        hint: "Did you mean `rate_limit`?",
      }),
    ]);
  });

  it("unknown fields in nested objects list the known ones", () => {
    const r = validate({
      "a.yaml": `plan_id: p\nname: P\nstages:\n  - { api_id: a, stage: s, method_throttles: { "/x/GET": { zzzzzz: 1 } } }\n`,
    });
    expect(r.diagnostics[0]).toMatchObject({
      code: "unknown_field",
      hint: "Known fields here: rate_limit, burst_limit.",
    });
  });

  it("wrong types, missing required fields and bad enums are located and explained", () => {
    const r = validate({
      "a.yaml": 'plan_id: p\nrate_limit: "fast"\nburst_limit: 2.5\nquota_period: YEARLY\n',
    });
    const byCode = Object.fromEntries(r.diagnostics.map((d) => [d.path, d]));
    expect(byCode.name).toMatchObject({ code: "missing_field", message: "Missing required field `name`." });
    expect(byCode.rate_limit).toMatchObject({ code: "wrong_type", line: 2, col: 13 });
    expect(byCode.rate_limit!.message).toContain('must be a number, not the string "fast"');
    expect(byCode.burst_limit!.message).toContain("whole number");
    expect(byCode.quota_period!.message).toContain("one of DAY, WEEK, MONTH");
  });

  it("negative values are rejected; zero is fine", () => {
    const bad = validate({ "a.yaml": "plan_id: p\nname: P\nrate_limit: -1\nstages: [a:b]\n" });
    expect(errors(bad.diagnostics)[0]!.message).toContain("must be 0 or more");
    const ok = validate({ "a.yaml": "plan_id: p\nname: P\nrate_limit: 0\nburst_limit: 0\nstages: [a:b]\n" });
    expect(ok.diagnostics).toEqual([]);
  });

  it("plan_id must be a slug", () => {
    const r = validate({ "a.yaml": "plan_id: Premium_Weather\nname: P\nstages: [a:b]\n" });
    expect(errors(r.diagnostics)[0]).toMatchObject({ path: "plan_id" });
    expect(errors(r.diagnostics)[0]!.message).toContain("slug");
  });

  it("a document that is not a mapping is an error", () => {
    const r = validate({ "a.yaml": "- just\n- a list\n" });
    expect(errors(r.diagnostics)[0]!.message).toContain("must be a mapping");
  });
});

describe("quota and policy rules", () => {
  it("quota_limit needs quota_period and the other way round", () => {
    const a = validate({ "a.yaml": "plan_id: p\nname: P\nquota_limit: 5\nstages: [a:b]\n" });
    expect(errors(a.diagnostics)[0]).toMatchObject({ code: "quota_incomplete", path: "quota_limit" });
    const b = validate({ "a.yaml": "plan_id: p\nname: P\nquota_period: DAY\nstages: [a:b]\n" });
    expect(errors(b.diagnostics)[0]).toMatchObject({ code: "quota_incomplete", path: "quota_period" });
  });

  it.each([
    ["DAY", 1, false],
    ["DAY", 0, true],
    ["WEEK", 7, false],
    ["WEEK", 6, true],
    ["MONTH", 28, false],
    ["MONTH", 27, true],
  ])("quota_offset for %s = %i valid: %s", (period, offset, valid) => {
    const r = validate({
      "a.yaml": `plan_id: p\nname: P\nquota_limit: 5\nquota_period: ${period}\nquota_offset: ${offset}\nstages: [a:b]\n`,
    });
    expect(errors(r.diagnostics).length === 0).toBe(valid);
    if (!valid) expect(errors(r.diagnostics)[0]!.code).toBe("quota_offset_range");
  });

  it("rate_limit above the policy maximum is reported like the original system", () => {
    const r = validate({
      "a.yaml": "plan_id: p\nname: P\nrate_limit: 12000\nburst_limit: 20000\nstages: [a:b]\n",
    });
    const e = errors(r.diagnostics)[0]!;
    expect(e.message).toBe("rate_limit exceeds maximum allowed value: 12000 (max allowed 10000).");
    expect(e).toMatchObject({ line: 3, col: 13, code: "policy_limit" });
    const ok = validate({
      "a.yaml": "plan_id: p\nname: P\nrate_limit: 10000\nburst_limit: 20000\nstages: [a:b]\n",
    });
    expect(ok.diagnostics).toEqual([]);
  });

  it("policy limits come from the config and apply to method throttles too", () => {
    const cfg: UpgConfig = {
      ...DEFAULT_CONFIG,
      policy: { max_rate_limit: 50, max_burst_limit: 100, require_quota: true },
    };
    const r = validate(
      {
        "a.yaml": `plan_id: p\nname: P\nrate_limit: 10\nburst_limit: 20\nstages:\n  - { api_id: a, stage: s, method_throttles: { "/x/GET": { rate_limit: 60, burst_limit: 200 } } }\n`,
      },
      cfg,
    );
    expect(errors(r.diagnostics).map((d) => d.code)).toEqual([
      "policy_quota_required",
      "policy_limit",
      "policy_limit",
    ]);
  });

  it("rate_limit and burst_limit come together, at plan and method level", () => {
    const r = validate({
      "a.yaml": `plan_id: p\nname: P\nrate_limit: 10\nstages:\n  - { api_id: a, stage: s, method_throttles: { "/x/GET": { burst_limit: 5 } } }\n`,
    });
    expect(errors(r.diagnostics).map((d) => [d.code, d.path])).toEqual([
      ["throttle_incomplete", "rate_limit"],
      ["throttle_incomplete", "stages[0].method_throttles./x/GET.burst_limit"],
    ]);
    expect(errors(r.diagnostics)[0]!.message).toBe(
      "rate_limit needs burst_limit: a throttle has both a steady rate and a burst.",
    );
  });

  it("burst below rate is a warning, not an error", () => {
    const r = validate({
      "a.yaml": "plan_id: p\nname: P\nrate_limit: 100\nburst_limit: 50\nstages: [a:b]\n",
    });
    expect(r.diagnostics).toEqual([
      expect.objectContaining({ severity: "warning", code: "burst_below_rate" }),
    ]);
  });
});

describe("project rules", () => {
  it("plan_id and name are unique across files, pointing at the first declaration", () => {
    const r = validate({ "a.yaml": base, "b.yaml": base });
    const codes = errors(r.diagnostics).map((d) => d.code);
    expect(codes).toEqual(["duplicate_plan_id", "duplicate_name"]);
    expect(errors(r.diagnostics)[0]!.message).toContain("a.yaml:1:1");
    expect(errors(r.diagnostics)[0]!.file).toBe("b.yaml");
  });

  it("successor must name an existing Active plan", () => {
    const dep = (succ: string) =>
      `plan_id: old\nname: Old\nlifecycle_state: Deprecated\nsuccessor: ${succ}\nstages: [a:b]\n`;
    expect(errors(validate({ "a.yaml": dep("nope") }).diagnostics)[0]!.code).toBe("successor_unknown");
    expect(errors(validate({ "a.yaml": dep("old") }).diagnostics)[0]!.code).toBe("successor_self");
    const inactive = validate({
      "a.yaml": dep("mid"),
      "b.yaml": "plan_id: mid\nname: Mid\nlifecycle_state: Deprecated\nsuccessor: old\nstages: [a:c]\n",
    });
    expect(errors(inactive.diagnostics).map((d) => d.code)).toContain("successor_inactive");
    const ok = validate({ "a.yaml": dep("new"), "b.yaml": "plan_id: new\nname: New\nstages: [a:c]\n" });
    expect(ok.diagnostics).toEqual([]);
  });

  it("a deprecated plan without successor is a warning", () => {
    const r = validate({ "a.yaml": "plan_id: old\nname: Old\nlifecycle_state: Deprecated\nstages: [a:b]\n" });
    expect(r.diagnostics).toEqual([expect.objectContaining({ severity: "warning", code: "no_successor" })]);
  });

  it("one API key may not be declared in two plans that share a stage", () => {
    const r = validate({
      "a.yaml": "plan_id: a\nname: A\nstages: [api:prod, api:dev]\nkeys: [k1, k2]\n",
      "b.yaml": "plan_id: b\nname: B\nstages: [api:prod]\nkeys: [k3, k2]\n",
    });
    const errs = errors(r.diagnostics);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatchObject({ code: "key_stage_conflict", file: "b.yaml", path: "keys[1]" });
    const ok = validate({
      "a.yaml": "plan_id: a\nname: A\nstages: [api:prod]\nkeys: [k1, k2]\n",
      "b.yaml": "plan_id: b\nname: B\nstages: [api:dev]\nkeys: [k2]\n",
    });
    expect(ok.diagnostics).toEqual([]);
  });

  it("an Archived plan declares no keys", () => {
    const r = validate({ "a.yaml": "plan_id: a\nname: A\nlifecycle_state: Archived\nkeys: [k1]\n" });
    expect(errors(r.diagnostics)[0]!.code).toBe("archived_with_keys");
    const ok = validate({ "a.yaml": "plan_id: a\nname: A\nlifecycle_state: Archived\n" });
    expect(ok.diagnostics).toEqual([]);
  });

  it("tags: reserved prefix, ownership key and lengths", () => {
    const r = validate({
      "a.yaml": `plan_id: a\nname: A\nstages: [a:b]\ntags: { "aws:x": "1", "upg:plan-id": "a", long: "${"v".repeat(257)}" }\n`,
    });
    expect(errors(r.diagnostics).map((d) => d.code)).toEqual(["tag_key", "tag_key", "tag_value"]);
  });
});

describe("malformed files", () => {
  it("tabs, duplicate keys and syntax errors are located YAML errors", () => {
    const r = validate({
      "tabs.yaml": "plan_id: x\n\tname: y\n",
      "dup.yaml": "plan_id: x\nname: y\nname: z\n",
      "syntax.yaml": "plan_id: [unclosed\n",
    });
    const byFile = Object.fromEntries(r.diagnostics.map((d) => [d.file, d]));
    expect(byFile["tabs.yaml"]).toMatchObject({ code: "yaml_syntax", line: 2 });
    expect(byFile["tabs.yaml"]!.hint).toContain("spaces");
    expect(byFile["dup.yaml"]).toMatchObject({ code: "yaml_syntax", line: 3, col: 1 });
    expect(byFile["syntax.yaml"]).toMatchObject({ code: "yaml_syntax" });
  });

  it("anchors and aliases resolve; an undefined alias is an error; alias bombs are refused", () => {
    const ok = validate({ "a.yaml": "plan_id: a\nname: &n Shared name\ndescription: *n\nstages: [a:b]\n" });
    expect(ok.diagnostics).toEqual([]);
    expect(ok.plans[0]!.description).toBe("Shared name");
    const undef = validate({ "a.yaml": "plan_id: a\nname: A\nstages: *nope\n" });
    expect(errors(undef.diagnostics)[0]).toMatchObject({ code: "yaml_alias", line: 3, col: 9 });
    const lines = ["a: &a [x, x, x, x, x, x, x, x, x]"];
    for (let i = 0; i < 8; i++)
      lines.push(
        `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9)
          .fill(`*${String.fromCharCode(97 + i)}`)
          .join(", ")}]`,
      );
    const bomb = validate({ "bomb.yaml": `${lines.join("\n")}\n` });
    expect(errors(bomb.diagnostics)[0]!.code).toBe("yaml_alias");
  });

  it("an empty file, a binary file, a non-UTF-8 file and a 5 MB file are clear errors", () => {
    const r = validate({
      "empty.yaml": "",
      "comments.yaml": "# nothing here\n",
      "bin.yaml": Buffer.from([0x00, 0x01, 0x02, 0xff]),
      "latin1.yaml": Buffer.from([0x6e, 0x61, 0x6d, 0x65, 0x3a, 0x20, 0xe9, 0x0a]),
      "big.yaml": `plan_id: big\nname: Big\ndescription: "${"x".repeat(5 * 1024 * 1024)}"\n`,
    });
    const byFile = Object.fromEntries(r.diagnostics.map((d) => [d.file, d.code]));
    expect(byFile).toEqual({
      "empty.yaml": "empty_file",
      "comments.yaml": "empty_file",
      "bin.yaml": "binary_file",
      "latin1.yaml": "not_utf8",
      "big.yaml": "file_too_large",
    });
  });

  it("an unreadable path is an error, not an exception", () => {
    const r = loadSpecs(["/nonexistent/plans"], DEFAULT_CONFIG);
    expect(r.diagnostics[0]).toMatchObject({ code: "unreadable", message: "No such file or directory." });
  });

  it("reports all problems at once, across files", () => {
    const r = validate({
      "a.yaml": "plan_id: a\nname: A\nrate_limt: 1\nstages: [a:b]\n",
      "b.yaml": "plan_id: b\nname: B\nquota_limit: 1\nstages: [bad]\n",
    });
    expect(errors(r.diagnostics).map((d) => `${d.file}:${d.code}`)).toEqual([
      "a.yaml:unknown_field",
      "b.yaml:quota_incomplete",
      "b.yaml:invalid_stage",
    ]);
  });
});

describe("every problem at once, and only real ones", () => {
  it("an unknown field does not hide the rule checks of the rest of the document", () => {
    const r = validate({
      "a.yaml": "plan_id: p\nname: P\nrate_limit: 12000\nburst_limit: 20000\nquota_limt: 5\nstages: [a:b]\n",
    });
    expect(errors(r.diagnostics).map((d) => d.code)).toEqual(["policy_limit", "unknown_field"]);
  });

  it("a dropped field does not produce follow-on errors about its counterpart", () => {
    const r = validate({ "a.yaml": "plan_id: p\nname: P\nrate_limit: -1\nburst_limit: 5\nstages: [a:b]\n" });
    expect(r.diagnostics.map((d) => d.code)).toEqual(["invalid_value"]);
  });

  it("values AWS stores as 32-bit integers are bounded", () => {
    const r = validate({
      "a.yaml": "plan_id: p\nname: P\nrate_limit: 1\nburst_limit: 5000000000\nstages: [a:b]\n",
    });
    expect(errors(r.diagnostics)[0]!.message).toContain("burst_limit must be at most 2147483647");
  });

  it("tag key problems point at the key", () => {
    const r = validate({ "a.yaml": 'plan_id: p\nname: P\nstages: [a:b]\ntags:\n  "aws:x": "1"\n' });
    expect(errors(r.diagnostics)[0]).toMatchObject({ code: "tag_key", line: 5, col: 3 });
  });

  it("a file named twice, or reached through a symlink loop, is read once", () => {
    const t = tree({ "plans/a.yaml": "plan_id: p\nname: P\nstages: [a:b]\n" });
    symlinkSync(t.path("plans"), t.path("plans/loop"));
    const r = loadSpecs([t.path("plans"), t.path("plans/a.yaml")], DEFAULT_CONFIG);
    expect(r.diagnostics).toEqual([]);
    expect(r.plans).toHaveLength(1);
  });
});

describe("project file", () => {
  it("defaults when absent; validated strictly with located errors when present", () => {
    expect(loadConfig("/nonexistent/upg.config.yaml").diagnostics[0]!.code).toBe("unreadable");
    const t = tree({
      "upg.config.yaml":
        "regions: [us-east-1, eu-west-1]\ntables: { metadata: m-table }\npolicy: { max_rate_limit: 500 }\n",
      "bad.yaml": "regions: [narnia]\npolicy: { max_rate: 5 }\n",
    });
    const ok = loadConfig(t.path("upg.config.yaml"));
    expect(ok.diagnostics).toEqual([]);
    expect(ok.config.regions).toEqual(["us-east-1", "eu-west-1"]);
    expect(ok.config.tables).toEqual({ metadata: "m-table", audit: "usage-plans-audit" });
    expect(ok.config.policy.max_rate_limit).toBe(500);
    expect(ok.config.pacing.update_usage_plan_interval_ms).toBe(20000);
    const bad = loadConfig(t.path("bad.yaml"));
    expect(bad.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ["invalid_value", 1],
      ["unknown_field", 2],
    ]);
    expect(bad.diagnostics[1]!.hint).toBe("Did you mean `max_rate_limit`?");
  });

  it("valid sections are kept when another section has errors; leading empty documents are skipped", () => {
    const t = tree({
      "partial.yaml": "policy: { max_rate_limit: 100000 }\ntables: { metadata: ab }\n",
      "lead.yaml": "---\n---\npolicy: { max_rate_limit: 123 }\n",
    });
    const partial = loadConfig(t.path("partial.yaml"));
    expect(partial.diagnostics.map((d) => d.path)).toEqual(["tables.metadata"]);
    expect(partial.config.policy.max_rate_limit).toBe(100000);
    expect(partial.config.tables.metadata).toBe("usage-plans-metadata");
    const lead = loadConfig(t.path("lead.yaml"));
    expect(lead.diagnostics).toEqual([]);
    expect(lead.config.policy.max_rate_limit).toBe(123);
  });
});
