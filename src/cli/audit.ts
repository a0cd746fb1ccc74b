// `upg audit verify`, `upg history`.

import { renderHistoryHuman, renderVerifyHuman, verifyJson } from "../render/audit.js";
import { openDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat, styleFor } from "./output.js";
import { loadConfigOnly } from "./project.js";

/** Exit 0 when the whole chain and its head check out, 1 naming the first bad row otherwise. */
export async function runAuditVerifyCommand(g: GlobalOptions, output: string, io: Io): Promise<number> {
  const format = parseFormat(output, ["human", "json"]);
  const { config, region } = loadConfigOnly(g, io);
  const deps = await openDeps(g, config, region);
  try {
    await deps.store.checkTables();
    const v = await deps.store.verifyAudit();
    io.stdout.write(
      format === "json" ? verifyJson(v) : renderVerifyHuman(v, styleFor(io.stdout, io.env, g.color)),
    );
    return v.ok ? 0 : 1;
  } finally {
    deps.close();
  }
}

export interface HistoryOptions {
  planId?: string;
  /** The latest N rows; 0 = all. */
  limit: number;
  output: string;
}

/** Oldest first (newest last), the latest `limit` rows. */
export async function runHistoryCommand(g: GlobalOptions, opts: HistoryOptions, io: Io): Promise<number> {
  const format = parseFormat(opts.output, ["human", "json"]);
  const { config, region } = loadConfigOnly(g, io);
  const deps = await openDeps(g, config, region);
  try {
    await deps.store.checkTables();
    const q: { planId?: string; limit?: number } = {};
    if (opts.planId !== undefined) q.planId = opts.planId;
    // One more than asked, to tell the user when there are older rows.
    if (opts.limit > 0) q.limit = opts.limit + 1;
    let rows = await deps.store.listAudit(q);
    const truncated = opts.limit > 0 && rows.length > opts.limit;
    if (truncated) rows = rows.slice(rows.length - opts.limit);
    if (format === "json") {
      io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
      return 0;
    }
    const shown: { planId?: string; truncatedAt?: number } = {};
    if (opts.planId !== undefined) shown.planId = opts.planId;
    if (truncated) shown.truncatedAt = opts.limit;
    io.stdout.write(renderHistoryHuman(rows, shown, styleFor(io.stdout, io.env, g.color)));
    return 0;
  } finally {
    deps.close();
  }
}
