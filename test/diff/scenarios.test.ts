import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { buildPlan } from "../../src/diff/build-plan.js";
import { resolveDesired } from "../../src/diff/resolve.js";
import type { Change, Violation } from "../../src/model/plan.js";
import type { MasterRecord } from "../../src/model/record.js";
import type { LiveState } from "../../src/model/state.js";
import { configFromDoc } from "../../src/spec/config.js";
import { hasErrors } from "../../src/spec/diagnostics.js";
import { loadSpecs } from "../../src/spec/load.js";
import { NOW, OWNER_TAG } from "../helpers/builders.js";

const ROOT = fileURLToPath(new URL("./scenarios", import.meta.url));

interface Expected {
  changes: string[];
  fields?: Record<string, string[]>;
  violations: string[];
  problems: string[];
}

function readYaml<T>(dir: string, name: string, fallback: T): T {
  const p = join(dir, name);
  return existsSync(p) ? (parse(readFileSync(p, "utf8")) as T) : fallback;
}

function fmt(v: unknown): string {
  return v === undefined ? "" : String(v);
}

function describeFields(c: Change): string[] {
  return (c.fields ?? []).map((f) => `${f.field} ${fmt(f.before)}->${fmt(f.after)}`);
}

function describeViolation(v: Violation): string {
  return `${v.violation_type} ${v.subject ?? "-"} ${v.severity}`;
}

const scenarios = readdirSync(ROOT)
  .filter((d) => /^\d+-/.test(d))
  .sort();

describe("diff scenarios", () => {
  it("there are scenarios to run", () => {
    expect(scenarios.length).toBeGreaterThanOrEqual(12);
  });

  for (const name of scenarios) {
    it(name, () => {
      const dir = join(ROOT, name);
      const config = configFromDoc(readYaml(dir, "config.yaml", {}));
      const specs = loadSpecs([join(dir, "desired.yaml")], config);
      expect(hasErrors(specs.diagnostics), JSON.stringify(specs.diagnostics)).toBe(false);
      const live = readYaml<LiveState>(dir, "live.yaml", {} as LiveState);
      const records = readYaml<MasterRecord[]>(dir, "records.yaml", []);
      const expected = readYaml<Expected>(dir, "expected.yaml", {} as Expected);
      const options = readYaml<{ adopt?: boolean; allow_key_loss?: boolean }>(dir, "options.yaml", {});
      const resolved = resolveDesired(specs.plans, live);
      const plan = buildPlan({
        desired: resolved.desired,
        problems: resolved.problems,
        records,
        live,
        ownershipTagKey: OWNER_TAG,
        now: NOW,
        ...(options.adopt ? { adopt: true } : {}),
        ...(options.allow_key_loss ? { allowKeyLoss: true } : {}),
        ...(config.project !== undefined ? { scope: { project: config.project } } : {}),
      });
      expect(plan.changes.map((c) => c.id)).toEqual(expected.changes);
      for (const [id, fields] of Object.entries(expected.fields ?? {})) {
        const change = plan.changes.find((c) => c.id === id);
        expect(change && describeFields(change)).toEqual(fields);
      }
      expect(plan.violations.map(describeViolation)).toEqual(expected.violations);
      expect(plan.problems.map((p) => p.code)).toEqual(expected.problems);
      for (const v of plan.violations) expect(v.detected_at).toBe(NOW);
    });
  }
});
