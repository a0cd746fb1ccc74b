// `upg status` as a table. Pure: rows in, string out.

import Table from "cli-table3";
import { PLAIN, plural, type Style } from "./style.js";

export interface StatusRow {
  planId: string;
  tier: string;
  lifecycle: string;
  apiGatewayId: string;
  stages: string[];
  keys: number;
  /**
   * `other project`: a live plan another project owns (listed for information; this project never changes it).
   * `conflict`: this project's plan file takes a plan_id or name another project owns (see `upg plan`).
   */
  state: "in sync" | "pending" | "drifted" | "other project" | "conflict";
  /** For `other project`: the owning project (null: an install without a project). */
  owner?: string | null;
}

function stateText(r: StatusRow): string {
  if (r.state !== "other project") return r.state;
  return r.owner ? `owned by project ${r.owner}` : "owned outside any project";
}

export function renderStatusTable(rows: readonly StatusRow[], style: Style = PLAIN): string {
  if (rows.length === 0)
    return "No plans declared or recorded yet. Add plan files under plans/ and run `upg apply`.\n";
  const table = new Table({
    head: ["plan_id", "tier", "lifecycle", "API Gateway id", "stages", "keys", "state"],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    const state =
      r.state === "in sync"
        ? style.green(r.state)
        : r.state === "drifted" || r.state === "conflict"
          ? style.red(r.state)
          : r.state === "other project"
            ? style.dim(stateText(r))
            : style.yellow(r.state);
    table.push([
      r.planId,
      r.tier,
      r.lifecycle,
      r.apiGatewayId,
      r.stages.join("\n") || "-",
      String(r.keys),
      state,
    ]);
  }
  const drifted = rows.filter((r) => r.state === "drifted").length;
  const pending = rows.filter((r) => r.state === "pending").length;
  const conflict = rows.filter((r) => r.state === "conflict").length;
  const others = rows.filter((r) => r.state === "other project").length;
  const own = rows.length - others;
  const extra =
    (conflict > 0 ? `, ${conflict} in conflict with another project` : "") +
    (others > 0 ? `; ${others} owned by other projects (not managed here)` : "");
  return `${table.toString()}\n${plural(own, "plan")}: ${own - drifted - pending - conflict} in sync, ${pending} with pending changes, ${drifted} drifted${extra}. Details: upg plan\n`;
}
