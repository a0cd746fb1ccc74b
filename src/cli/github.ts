// GitHub Actions: a markdown step summary ($GITHUB_STEP_SUMMARY) and workflow-command annotations
// (GITHUB_ACTIONS=true). Failing to write the summary is a warning, never a failed run.

import { appendFileSync } from "node:fs";
import { relative } from "node:path";
import { errorMessage } from "../errors.js";
import type { DriftReport } from "../model/drift.js";
import type { PlanProblem } from "../model/plan.js";
import { escapeData, escapeProperty } from "../render/drift.js";
import type { Io } from "./output.js";

export function appendStepSummary(io: Io, markdown: string): void {
  const summary = io.env.GITHUB_STEP_SUMMARY;
  if (!summary) return;
  try {
    appendFileSync(summary, `${markdown}\n`);
  } catch (err) {
    io.stderr.write(`Warning: could not write the step summary to ${summary}: ${errorMessage(err)}\n`);
  }
}

export function annotating(io: Io): boolean {
  return io.env.GITHUB_ACTIONS === "true";
}

/** Plan-file paths relative to the working directory (the repository root in CI), as SARIF and GitHub want. */
export function relativePaths(report: DriftReport, cwd: string): DriftReport {
  return {
    ...report,
    violations: report.violations.map((v) =>
      v.declared_at
        ? {
            ...v,
            declared_at: { ...v.declared_at, file: relative(cwd, v.declared_at.file) || v.declared_at.file },
          }
        : v,
    ),
  };
}

/** One `::error` per plan problem, at its plan-file line. */
export function problemAnnotations(problems: readonly PlanProblem[], cwd: string): string {
  return problems
    .map((p) => {
      const where = p.file
        ? `file=${escapeProperty(relative(cwd, p.file) || p.file)},line=${p.line ?? 1},`
        : "";
      return `::error ${where}title=${escapeProperty(`upg plan: ${p.code}`)}::${escapeData(p.message)}\n`;
    })
    .join("");
}
