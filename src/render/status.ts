// `upg status` as a table. Pure: rows in, string out.

import Table from "cli-table3";
import { PLAIN, type Style } from "./style.js";

export interface StatusRow {
  planId: string;
  tier: string;
  lifecycle: string;
  apiGatewayId: string;
  stages: string[];
  keys: number;
  state: "in sync" | "pending" | "drifted";
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
        : r.state === "drifted"
          ? style.red(r.state)
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
  return `${table.toString()}\n${rows.length} plans: ${rows.length - drifted - pending} in sync, ${pending} with pending changes, ${drifted} drifted. Details: upg plan\n`;
}
