// `upg usage`: per key, the days of the range as a sparkline, the total, the quota, used and remaining. Pure.

import Table from "cli-table3";
import { type KeyUsage, sparkline } from "../keys/usage.js";
import { PLAIN, plural, type Style } from "./style.js";

export function renderUsageTable(
  rows: readonly KeyUsage[],
  range: { from: string; to: string },
  style: Style = PLAIN,
): string {
  if (rows.length === 0) return `No usage to show for ${range.from} … ${range.to}.\n`;
  const table = new Table({
    head: ["plan", "key", `${range.from} … ${range.to}`, "total", "quota", "used", "remaining"],
    style: { head: [], border: [] },
  });
  for (const r of rows) {
    const pct = r.quota && r.quota.limit > 0 ? Math.round(((r.period_used ?? 0) / r.quota.limit) * 100) : 0;
    const used = r.period_used === undefined ? "-" : `${r.period_used} (${pct}%)`;
    table.push([
      r.plan_id,
      r.key_name ? `${r.key_name} (${r.key_id})` : r.key_id,
      sparkline(r.days.map((d) => d.used)),
      String(r.total),
      r.quota ? `${r.quota.limit}/${r.quota.period}` : "-",
      pct >= 90 ? style.red(used) : pct >= 75 ? style.yellow(used) : used,
      r.remaining === undefined ? "-" : String(r.remaining),
    ]);
  }
  const total = rows.reduce((s, r) => s + r.total, 0);
  return `${table.toString()}\n${plural(rows.length, "key")}, ${total} requests from ${range.from} to ${range.to} (UTC days).\n`;
}

/** One line per key per day. */
export function renderUsageCsv(rows: readonly KeyUsage[]): string {
  const lines = ["plan_id,api_gateway_id,key_id,key_name,date,used,remaining"];
  for (const r of rows) {
    for (const d of r.days) {
      const name =
        r.key_name && /[",\n]/.test(r.key_name) ? `"${r.key_name.replace(/"/g, '""')}"` : (r.key_name ?? "");
      lines.push([r.plan_id, r.api_gateway_id, r.key_id, name, d.date, d.used, d.remaining].join(","));
    }
  }
  return `${lines.join("\n")}\n`;
}
