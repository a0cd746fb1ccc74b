import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { runCli } from "../helpers/cli.js";
import { tmpTrees } from "../helpers/tmp.js";

const tree = tmpTrees();

function project(files: Record<string, string>) {
  const t = tree(files);
  return t.dir;
}

const good = "plan_id: p\nname: P\nrate_limit: 10\nburst_limit: 20\nstages: [abc:prod]\n";

describe("upg validate", () => {
  it("exits 0 and says so for valid plans (default: plans/ and upg.config.yaml)", async () => {
    const cwd = project({ "plans/p.yaml": good, "upg.config.yaml": "regions: [us-east-1]\n" });
    const r = await runCli(["validate"], { cwd });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("✓ 1 plan in 1 file valid.");
    expect(r.stderr).toBe("");
  });

  it("exits 1 and prints file:line:col, the path and a hint for each problem", async () => {
    const cwd = project({ "plans/p.yaml": `${good}rate_limt: 3\nquota_period: WEEKLY\n` });
    const r = await runCli(["validate"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("plans/p.yaml:6:1: error: Unknown field `rate_limt`. [rate_limt]");
    expect(r.stderr).toContain("hint: Did you mean `rate_limit`?");
    expect(r.stderr).toContain("plans/p.yaml:7:15: error: `quota_period` must be one of DAY, WEEK, MONTH");
    expect(r.stderr).toContain("✖ 2 errors");
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it("-o json prints exactly the problems as a JSON array on stdout", async () => {
    const cwd = project({
      "plans/p.yaml": "plan_id: p\nname: P\nburst_limit: 40000\nstages: [abc:prod]\nrate_limit: 20000\n",
    });
    const r = await runCli(["validate", "-o", "json"], { cwd });
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "policy_limit",
        file: "plans/p.yaml",
        line: 5,
        col: 13,
        path: "rate_limit",
        message: "rate_limit exceeds maximum allowed value: 20000 (max allowed 10000).",
      }),
    ]);
    const ok = await runCli(["validate", "-o", "json"], { cwd: project({ "plans/p.yaml": good }) });
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toEqual([]);
  });

  it("warnings pass unless --strict", async () => {
    const cwd = project({ "plans/p.yaml": good.replace("burst_limit: 20", "burst_limit: 5") });
    const lax = await runCli(["validate"], { cwd });
    expect(lax.code).toBe(0);
    expect(lax.stdout).toContain("warning: burst_limit 5 is below rate_limit 10");
    const strict = await runCli(["validate", "--strict"], { cwd });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toContain("✖ 1 warning (1 plan in 1 file); --strict treats warnings as errors.");
  });

  it("validates the project file, and named paths instead of plans/", async () => {
    const cwd = project({ "upg.config.yaml": "polcy: {}\n", "other/p.yaml": good });
    const r = await runCli(["validate", "other"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("upg.config.yaml:1:1: error: Unknown field `polcy`.");
    expect(r.stderr).toContain("Did you mean `policy`?");
  });

  it("policy limits come from the project file given with --config", async () => {
    const cwd = project({ "strict.yaml": "policy: { max_rate_limit: 5 }\n", "plans/p.yaml": good });
    const r = await runCli(["--config", "strict.yaml", "validate"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("rate_limit exceeds maximum allowed value: 10 (max allowed 5).");
    const missing = await runCli(["--config", "nope.yaml", "validate"], { cwd });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("nope.yaml:1:1: error: Config file not found.");
  });

  it("a directory without plan files is an error, not a green check", async () => {
    const cwd = project({ "plans/readme.txt": "nothing" });
    const r = await runCli(["validate"], { cwd });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("plans:1:1: error: No plan files (*.yaml, *.yml) found.");
  });

  it("a missing path is a clear error", async () => {
    const r = await runCli(["validate", "no/such/dir"], { cwd: project({}) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("no/such/dir:1:1: error: No such file or directory.");
  });

  it("an unknown output format is a usage error", async () => {
    const r = await runCli(["validate", "-o", "xml"], { cwd: project({ "plans/p.yaml": good }) });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Unknown output format "xml"');
  });
});

describe("upg schema and help", () => {
  it("prints a JSON Schema generated from the plan schema", async () => {
    const r = await runCli(["schema"]);
    expect(r.code).toBe(0);
    const schema = JSON.parse(r.stdout);
    expect(schema.$schema).toContain("json-schema.org");
    expect(schema.required).toEqual(["plan_id", "name"]);
    expect(schema.additionalProperties).toBe(false);
    expect(Object.keys(schema.properties)).toEqual(
      expect.arrayContaining([
        "plan_id",
        "rate_limit",
        "quota_period",
        "stages",
        "keys",
        "lifecycle_state",
        "successor",
      ]),
    );
    expect(schema.properties.quota_period.enum).toEqual(["DAY", "WEEK", "MONTH"]);
  });

  it("the committed schema files are up to date", async () => {
    const plan = await runCli(["schema"]);
    const config = await runCli(["schema", "--config-file"]);
    expect(readFileSync("upg-plan.schema.json", "utf8")).toBe(plan.stdout);
    expect(readFileSync("upg-config.schema.json", "utf8")).toBe(config.stdout);
  });

  it("--help teaches with examples and exit codes", async () => {
    const r = await runCli(["--help"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Examples:");
    expect(r.stdout).toContain("Exit codes:");
    const v = await runCli(["validate", "--help"]);
    expect(v.stdout).toContain("$ upg validate -o json");
  });

  it("an unknown command exits 1 with a pointer to --help", async () => {
    const r = await runCli(["frobnicate"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("unknown command");
  });
});
