// Validation results, as a compiler would print them.

import type { Diagnostic } from "../spec/diagnostics.js";
import { PLAIN, plural, type Style } from "./style.js";

export interface ValidationSummary {
  files: number;
  plans: number;
  /** Warnings fail too (--strict). */
  strict?: boolean;
}

export function renderDiagnosticsHuman(
  diags: readonly Diagnostic[],
  summary: ValidationSummary,
  style: Style = PLAIN,
): string {
  const lines: string[] = [];
  for (const d of diags) {
    const sev = d.severity === "error" ? style.red("error") : style.yellow("warning");
    const at = d.path ? style.dim(` [${d.path}]`) : "";
    lines.push(`${style.bold(`${d.file}:${d.line}:${d.col}`)}: ${sev}: ${d.message}${at}`);
    if (d.hint) lines.push(`    ${style.cyan("hint:")} ${d.hint}`);
  }
  const errors = diags.filter((d) => d.severity === "error").length;
  const warnings = diags.length - errors;
  const scope = `${plural(summary.plans, "plan")} in ${plural(summary.files, "file")}`;
  if (errors > 0) {
    lines.push(style.red(`✖ ${plural(errors, "error")}, ${plural(warnings, "warning")} (${scope}).`));
  } else if (warnings > 0 && summary.strict) {
    lines.push(style.red(`✖ ${plural(warnings, "warning")} (${scope}); --strict treats warnings as errors.`));
  } else if (warnings > 0) {
    lines.push(style.yellow(`! ${scope} valid, with ${plural(warnings, "warning")}.`));
  } else {
    lines.push(style.green(`✓ ${scope} valid.`));
  }
  return `${lines.join("\n")}\n`;
}

export function renderDiagnosticsJson(diags: readonly Diagnostic[]): string {
  return `${JSON.stringify(diags, null, 2)}\n`;
}
