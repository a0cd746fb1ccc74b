// `upg audit verify` and `upg history` output. Pure: data in, string out. Audit rows hold API key ids,
// never key values; nothing here prints `before`/`after` in human form.

import type { AuditRecord } from "../model/record.js";
import type { AuditVerification } from "../store/types.js";
import { PLAIN, plural, type Style } from "./style.js";

/** The reserved plan_id of the apply lock item (LOCK_ITEM_KEY), shown as "(apply lock)". */
const LOCK_PLAN_ID = "__upg_lock__";
/** Human output lists at most this many further problems; -o json lists all. */
const MAX_LISTED = 20;

function headText(v: AuditVerification): string {
  return v.head ? `head seq ${v.head.seq} hash ${v.head.hash}` : "no chain head";
}

export function renderVerifyHuman(v: AuditVerification, style: Style = PLAIN): string {
  if (v.ok) {
    if (v.count === 0) return `${style.green("Audit log OK")}: no rows yet.\n`;
    return `${style.green("Audit log OK")}: ${plural(v.count, "row")}, ${headText(v)}\n`;
  }
  const [first, ...rest] = v.problems;
  const out = [`${style.red(`Audit log BROKEN at seq ${first!.seq}`)}: ${first!.reason}`];
  for (const p of rest.slice(0, MAX_LISTED)) out.push(`  also seq ${p.seq}: ${p.reason}`);
  if (rest.length > MAX_LISTED) out.push(`  … and ${rest.length - MAX_LISTED} more (-o json lists them all)`);
  out.push(`Checked ${plural(v.count, "row")}; ${headText(v)}.`);
  if (v.problems.every((p) => p.kind === "past_head"))
    out.push(
      style.dim(
        "If an apply was interrupted, the next `upg apply` completes its audit append; then verify again.",
      ),
    );
  return `${out.join("\n")}\n`;
}

/** -o json: the verification as is, with the first bad row pulled out for scripts. */
export function verifyJson(v: AuditVerification): string {
  const doc = {
    ok: v.ok,
    count: v.count,
    head: v.head,
    first_problem: v.problems[0] ?? null,
    problems: v.problems,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function ids(r: AuditRecord): string {
  const parts: string[] = [];
  if (r.api_gateway_id && r.previous_api_gateway_id)
    parts.push(`${r.api_gateway_id} (was ${r.previous_api_gateway_id})`);
  else if (r.api_gateway_id) parts.push(r.api_gateway_id);
  else if (r.previous_api_gateway_id) parts.push(`was ${r.previous_api_gateway_id}`);
  if (r.key_id) parts.push(`key ${r.key_id}`);
  return parts.join(" ");
}

/** One line per row, in the order given (oldest first): seq, time, actor, action, plan, outcome, ids. */
export function renderHistoryHuman(
  rows: readonly AuditRecord[],
  opts: { planId?: string; truncatedAt?: number } = {},
  style: Style = PLAIN,
): string {
  if (rows.length === 0)
    return opts.planId === undefined ? "No audit rows yet.\n" : `No audit rows for ${opts.planId}.\n`;
  const cells = rows.map((r) => [
    `#${r.seq}`,
    String(r.at),
    String(r.actor),
    String(r.action),
    r.plan_id === LOCK_PLAN_ID
      ? "(apply lock)"
      : String(r.plan_id).startsWith(`${LOCK_PLAN_ID}#`)
        ? `(apply lock of project ${String(r.plan_id).slice(LOCK_PLAN_ID.length + 1)})`
        : String(r.plan_id),
    String(r.outcome),
    ids(r),
  ]);
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((c) => c[i]!.length)));
  const lines = cells.map((c, n) => {
    const padded = c.map((v, i) => (i === c.length - 1 ? v : v.padEnd(widths[i]!)));
    const outcome = rows[n]!.outcome === "ok" ? style.green(padded[5]!) : style.red(padded[5]!);
    return [padded[0], style.dim(padded[1]!), padded[2], padded[3], padded[4], outcome, padded[6]]
      .join("  ")
      .trimEnd();
  });
  if (opts.truncatedAt !== undefined)
    lines.push(style.dim(`(the latest ${opts.truncatedAt} rows; --limit N for more, --limit 0 for all)`));
  return `${lines.join("\n")}\n`;
}
