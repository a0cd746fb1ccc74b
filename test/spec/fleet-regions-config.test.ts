// `fleet.concurrency` and `apply.concurrency` in upg.config.yaml, and a plan file's `regions:` (where the plan lives), checked against
// the regions the config manages, with located errors.

import { describe, expect, it } from "vitest";
import { configRegions, livesIn } from "../../src/model/spec.js";
import { DEFAULT_CONFIG, loadConfig } from "../../src/spec/config.js";
import { loadSpecs } from "../../src/spec/load.js";
import { tmpTrees } from "../helpers/tmp.js";

const tree = tmpTrees();

const ROLE = "arn:aws:iam::123456789012:role/upg";

describe("fleet.concurrency", () => {
  it("defaults to 8 and takes 1-64", () => {
    expect(DEFAULT_CONFIG.fleet.concurrency).toBe(8);
    const t = tree({ "upg.config.yaml": "fleet: { concurrency: 20 }\n" });
    const r = loadConfig(t.path("upg.config.yaml"));
    expect(r.diagnostics).toEqual([]);
    expect(r.config.fleet.concurrency).toBe(20);
  });

  it.each([
    ["fleet: { concurrency: 0 }\n", "concurrency must be at least 1"],
    ["fleet: { concurrency: 65 }\n", "concurrency must be at most 64"],
    ["fleet: { concurrency: 2.5 }\n", "must be a whole number"],
  ])("%j is one located error with a hint", (yaml, message) => {
    const t = tree({ "upg.config.yaml": yaml });
    const r = loadConfig(t.path("upg.config.yaml"));
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({
      severity: "error",
      line: 1,
      col: 23,
      path: "fleet.concurrency",
    });
    expect(r.diagnostics[0]!.message).toContain(message);
    expect(r.diagnostics[0]!.hint).toContain("1 to 64");
  });
});

describe("a plan file's regions", () => {
  const config = {
    ...DEFAULT_CONFIG,
    regions: ["us-east-1"],
    accounts: [{ name: "prod", role_arn: ROLE, regions: ["eu-west-1", "us-east-1"] }],
  };
  const plan = (regions: string) =>
    `plan_id: gold\nname: Gold\nrate_limit: 5\nburst_limit: 10\nregions: ${regions}\nstages: [abc123:prod]\n`;

  it("the config manages its top-level regions and every account's", () => {
    expect(configRegions(config)).toEqual(["us-east-1", "eu-west-1"]);
  });

  it("a plan lives in its regions; without them, everywhere", () => {
    const t = tree({ "plans/gold.yaml": plan("[eu-west-1, eu-west-1]") });
    const res = loadSpecs([t.path("plans")], config, { cwd: t.path("") });
    expect(res.diagnostics).toEqual([]);
    expect(res.plans[0]!.regions).toEqual(["eu-west-1"]);
    expect(livesIn(res.plans[0]!, "eu-west-1")).toBe(true);
    expect(livesIn(res.plans[0]!, "us-east-1")).toBe(false);
    expect(livesIn({}, "ap-south-1")).toBe(true);
  });

  it.each([
    [
      "[ap-south-1]",
      5,
      11,
      "Region ap-south-1 is not managed by this project (upg.config.yaml: us-east-1, eu-west-1)",
    ],
    ["[useast1]", 5, 11, "not an AWS region name"],
    ["[]", 5, 10, "at least one region"],
  ])("regions: %s is an error at its line and column", (regions, line, col, message) => {
    const t = tree({ "plans/gold.yaml": plan(regions) });
    const res = loadSpecs([t.path("plans")], config, { cwd: t.path("") });
    const errors = res.diagnostics.filter((d) => d.severity === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ line, col });
    expect(errors[0]!.message).toContain(message);
    expect(errors[0]!.hint).toMatch(/region/);
  });

  it("a stage ARN outside the plan's own regions is an error", () => {
    const t = tree({
      "plans/gold.yaml":
        "plan_id: gold\nname: Gold\nregions: [eu-west-1]\nstages: ['arn:aws:apigateway:us-east-1::/restapis/abc123/stages/prod']\n",
    });
    const res = loadSpecs([t.path("plans")], config, { cwd: t.path("") });
    const stage = res.diagnostics.find((d) => d.code === "stage_region");
    expect(stage?.message).toContain("not among the plan's regions (eu-west-1)");
    expect(stage).toMatchObject({ line: 4, col: 10 });
  });
});
