// `project:` in upg.config.yaml: a value the upg:project tag (and the lock item's key) can carry.

import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/spec/config.js";
import { PROJECT_NAME_RE } from "../../src/spec/schema.js";
import { tmpTrees } from "../helpers/tmp.js";

const tree = tmpTrees();

function load(yaml: string) {
  const t = tree({ "upg.config.yaml": yaml });
  return loadConfig(t.path("upg.config.yaml"));
}

describe("project in upg.config.yaml", () => {
  it("is absent by default, and read as written", () => {
    expect(load("regions: [us-east-1]\n").config.project).toBeUndefined();
    for (const name of ["payments", "team-a", "Org/Payments_v2", "a", "x.y:z=1+2@3", "9".repeat(63)]) {
      const r = load(`project: "${name}"\n`);
      expect(r.diagnostics, name).toEqual([]);
      expect(r.config.project).toBe(name);
    }
  });

  it.each([
    ['"payments team"', /contains " ", which the upg:project tag cannot carry/],
    ['"-payments"', /must start with a letter or digit/],
    ['""', /must not be empty/],
    [`"${"p".repeat(64)}"`, /is 64 characters; upg allows at most 63/],
    ['"aws:payments"', /starts with aws:, which AWS reserves/],
    ['"café"', /contains "é"/],
  ])("%s is refused at its line and column, with a hint", (value, message) => {
    const r = load(`regions: [us-east-1]\nproject: ${value}\n`);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "invalid_project",
        path: "project",
        line: 2,
        col: 10,
        message: expect.stringMatching(message),
        hint: expect.stringContaining("letters, digits and _ . : / = + - @"),
      }),
    ]);
    expect(r.config.project).toBeUndefined();
  });

  it("the rule is a subset of what AWS allows in a tag value (1-256 of letters, digits, spaces, _ . : / = + - @)", () => {
    const aws = /^[\p{L}\p{Z}\p{N}_.:/=+\-@]{0,256}$/u;
    for (const ok of ["a", "team-a", "A.b:c/d=e+f-g@h", "z".repeat(63)]) {
      expect(PROJECT_NAME_RE.test(ok)).toBe(true);
      expect(aws.test(ok)).toBe(true);
    }
  });
});
