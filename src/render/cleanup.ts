// `upg cleanup` as a table and as JSON. Pure: rows in, string out. Key names and counts, never values.

import Table from "cli-table3";
import type { CleanupItem, CleanupPlan } from "../cleanup/plan.js";
import { cleanupTotals } from "../cleanup/plan.js";
import type { ApplyResult, ChangeResult } from "../model/plan.js";
import { PLAIN, plural, type Style } from "./style.js";

function whatLabel(i: CleanupItem): string {
  if (i.what === "record") return "master record";
  if (i.what === "stage") return "stage";
  return i.managed ? "plan" : "plan (unmanaged)";
}

function statusLabel(i: CleanupItem, style: Style, result?: ChangeResult): string {
  if (result) {
    if (result.outcome === "ok") return style.green("removed");
    if (result.outcome === "failed") return style.red("FAILED");
    return style.yellow("not run");
  }
  if (i.status === "remove") return style.red(i.what === "stage" ? "detach" : "remove");
  if (i.status === "refused") return style.yellow("refused");
  return style.dim("kept");
}

function keysCell(i: CleanupItem): string {
  if (i.keys.length === 0) return "0";
  const names = i.keys.map((k) => k.name ?? k.id);
  const shown = names.slice(0, 3).join("\n");
  return `${i.keys.length}: ${shown}${names.length > 3 ? `\n… ${names.length - 3} more` : ""}`;
}

/** The table of one region; `results` (after a confirmed run) turns the status column into outcomes. */
export function renderCleanupTable(
  cleanup: CleanupPlan,
  region: string,
  style: Style = PLAIN,
  results?: ApplyResult,
): string {
  const out: string[] = [];
  const byChange = new Map((results?.results ?? []).map((r) => [r.changeId, r]));
  if (cleanup.items.length > 0) {
    const table = new Table({
      head: ["", "what", "plan", "API Gateway id", "stages", "keys losing access", "why"],
      style: { head: [], border: [] },
      wordWrap: true,
      colWidths: [null, null, null, null, null, null, 50] as unknown as number[],
    });
    for (const i of cleanup.items) {
      const r = i.changeId ? byChange.get(i.changeId) : undefined;
      table.push([
        statusLabel(i, style, r),
        whatLabel(i),
        i.planId ? `${i.planId}${i.name && i.name !== i.planId ? `\n${i.name}` : ""}` : (i.name ?? "-"),
        i.apiGatewayId ?? "-",
        i.stages.join("\n") || "-",
        keysCell(i),
        r?.outcome === "failed" ? `${i.why}\n${r.error ?? ""}` : i.why,
      ]);
    }
    out.push(`Region ${region}:`, table.toString());
  } else {
    out.push(`Region ${region}: nothing to clean up in this scope.`);
  }
  for (const n of cleanup.notices) out.push(n);
  const t = cleanupTotals(cleanup.items);
  const parts = [
    plural(t.plans, "plan"),
    plural(t.stages, "stage attachment", "stage attachments"),
    plural(t.records, "master record"),
  ];
  const cost = t.keys > 0 ? `; ${plural(t.keys, "API key loses", "API keys lose")} access` : "";
  const held = [
    ...(t.refused > 0 ? [`${t.refused} refused`] : []),
    ...(t.kept > 0 ? [`${t.kept} kept`] : []),
  ];
  const verb = results ? "Removed of" : "To remove:";
  if (!results)
    out.push(`${verb} ${parts.join(", ")}${cost}${held.length > 0 ? ` (${held.join(", ")})` : ""}.`);
  return `${out.join("\n")}\n`;
}

/** One region as JSON. */
export function cleanupJson(cleanup: CleanupPlan, region: string, results?: ApplyResult) {
  const byChange = new Map((results?.results ?? []).map((r) => [r.changeId, r]));
  return {
    region,
    items: cleanup.items.map((i) => {
      const r = i.changeId ? byChange.get(i.changeId) : undefined;
      return {
        what: i.what,
        status: i.status,
        managed: i.managed,
        plan_id: i.planId ?? null,
        api_gateway_id: i.apiGatewayId ?? null,
        name: i.name ?? null,
        stages: i.stages,
        keys: i.keys.map((k) => ({ id: k.id, name: k.name ?? null })),
        why: i.why,
        ...(i.changeId ? { change_id: i.changeId } : {}),
        ...(r ? { outcome: r.outcome, ...(r.error ? { error: r.error } : {}) } : {}),
      };
    }),
    notices: cleanup.notices,
    totals: cleanupTotals(cleanup.items),
    problems: cleanup.plan.problems.map((p) => ({ code: p.code, plan_id: p.planId, message: p.message })),
    ...(results ? { run_id: results.run_id, ...(results.stopped ? { stopped: results.stopped } : {}) } : {}),
  };
}
