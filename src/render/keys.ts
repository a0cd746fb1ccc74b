// `upg keys list` as a table, CSV or JSON, and the CSV check's problems. Pure. Rows carry no key value.

import Table from "cli-table3";
import type { CsvProblem } from "../keys/csv.js";
import { PLAIN, plural, type Style } from "./style.js";

export interface KeyRow {
  id: string;
  name?: string;
  enabled: boolean;
  /** plan_id where upg manages the plan, else the API Gateway id. */
  plans: string[];
  created?: string;
  last_updated?: string;
}

export function renderKeysTable(rows: readonly KeyRow[], style: Style = PLAIN): string {
  if (rows.length === 0) return "No API keys.\n";
  const table = new Table({
    head: ["id", "name", "enabled", "plans", "created", "last updated"],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    table.push([
      r.id,
      r.name ?? "-",
      r.enabled ? style.green("yes") : style.yellow("no"),
      r.plans.join("\n") || "-",
      r.created?.slice(0, 19).replace("T", " ") ?? "-",
      r.last_updated?.slice(0, 19).replace("T", " ") ?? "-",
    ]);
  }
  const disabled = rows.filter((r) => !r.enabled).length;
  return `${table.toString()}\n${plural(rows.length, "key")} (${disabled} disabled).\n`;
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** One row per key; plans joined with `;` in one cell. */
export function renderKeysCsv(rows: readonly KeyRow[]): string {
  const lines = ["id,name,enabled,plans,created,last_updated"];
  for (const r of rows) {
    lines.push(
      [r.id, r.name ?? "", String(r.enabled), r.plans.join(";"), r.created ?? "", r.last_updated ?? ""]
        .map(csvCell)
        .join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}

export function renderCsvProblems(
  file: string,
  problems: readonly CsvProblem[],
  style: Style = PLAIN,
): string {
  let out = "";
  for (const p of problems) {
    out += `${file}:${p.line}: ${style.red("error")}: ${p.message}\n`;
    if (p.hint) out += `    hint: ${p.hint}\n`;
  }
  return `${out}✖ ${plural(problems.length, "problem")} in ${file}; nothing was imported.\n`;
}
