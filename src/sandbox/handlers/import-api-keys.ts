/** ImportApiKeys: `POST /apikeys?mode=import&format=csv[&failonwarnings=true]`, body = CSV (reference §3.15). */

import { parseCsv } from "../csv.js";
import { ApiError, fail } from "../errors.js";
import { checkJoin, plansOf } from "../membership.js";
import { created, type RequestContext, type Route } from "../router.js";
import { epochSeconds, type SandboxState, type UsagePlan } from "../state.js";
import {
  checkKeyDescription,
  checkKeyName,
  checkKeyQuota,
  checkKeyValue,
  createApiKeyRecord,
} from "./api-keys.js";

interface Columns {
  name: number;
  key: number;
  description?: number;
  enabled?: number;
  usageplanids?: number;
}

interface ImportRow {
  value: string;
  name: string;
  description: string;
  enabled: boolean;
  plans: UsagePlan[];
}

/** Header row required; names case-insensitive, any order; Name and Key required; other columns ignored. */
function readHeader(header: readonly string[]): Columns {
  const index = (name: string) => {
    const i = header.findIndex((h) => h.toLowerCase() === name);
    return i < 0 ? undefined : i;
  };
  const name = index("name");
  const key = index("key");
  if (name === undefined || key === undefined) {
    fail("BadRequestException", "Invalid API key file: the header row must contain the columns Name and Key");
  }
  return {
    name,
    key,
    description: index("description"),
    enabled: index("enabled"),
    usageplanids: index("usageplanids"),
  };
}

const cellOf = (cells: readonly string[], i: number | undefined) => (i === undefined ? "" : (cells[i] ?? ""));

/** `Enabled` defaults to true for imports; booleans are case-insensitive (`tRuE`). */
function parseEnabled(raw: string): boolean {
  if (raw === "") return true;
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === "true";
  return fail("BadRequestException", `Invalid Enabled value '${raw}'`);
}

/** The plans a row joins must be joinable by the key (existing memberships count; already-member is fine). */
function checkRowPlans(state: SandboxState, value: string, plans: readonly UsagePlan[]): void {
  const existingId = state.keyIdByValue.get(value);
  const joined = existingId ? plansOf(state, existingId) : [];
  for (const plan of plans) {
    if (joined.some((p) => p.id === plan.id)) continue;
    checkJoin(state, existingId ?? `with value ending ...${value.slice(-4)}`, joined, plan);
    joined.push(plan);
  }
}

function parseRow(
  state: SandboxState,
  cols: Columns,
  cells: readonly string[],
  seen: Set<string>,
): ImportRow {
  const value = checkKeyValue(cellOf(cells, cols.key));
  if (seen.has(value)) fail("BadRequestException", "Duplicate API key value in the file");
  const planIds = cellOf(cells, cols.usageplanids)
    .split(",")
    .map((s) => s.trim());
  const plans = [...new Set(planIds.filter((s) => s !== ""))].map((id) => state.requirePlan(id));
  checkRowPlans(state, value, plans);
  return {
    value,
    name: checkKeyName(cellOf(cells, cols.name)),
    description: checkKeyDescription(cellOf(cells, cols.description)),
    enabled: parseEnabled(cellOf(cells, cols.enabled)),
    plans,
  };
}

/**
 * Rows that fail validation become warnings ("Line N: ..."); other errors propagate. [U] A value repeated
 * within one file is a warning for the later row; AWS's warning texts are unknown, ours reuse the API messages.
 */
function readRows(state: SandboxState, text: string): { rows: ImportRow[]; warnings: string[] } {
  const [header, ...data] = parseCsv(text);
  if (!header) fail("BadRequestException", "Invalid API key file: the file is empty");
  const cols = readHeader(header);
  const rows: ImportRow[] = [];
  const warnings: string[] = [];
  const seen = new Set<string>();
  data.forEach((cells, i) => {
    try {
      const row = parseRow(state, cols, cells, seen);
      seen.add(row.value);
      rows.push(row);
    } catch (err) {
      if (!(err instanceof ApiError)) throw err;
      warnings.push(`Line ${i + 2}: ${err.message}`);
    }
  });
  return { rows, warnings };
}

/** A value that already exists overwrites that key (keys are identified by value); new values create keys. */
function applyRow(state: SandboxState, row: ImportRow, nowMs: number): string {
  const existingId = state.keyIdByValue.get(row.value);
  const key = existingId
    ? state.requireKey(existingId)
    : createApiKeyRecord(state, { value: row.value }, nowMs);
  state.keys.set(key.id, {
    ...key,
    name: row.name || undefined,
    description: row.description || undefined,
    enabled: row.enabled,
    lastUpdatedDate: epochSeconds(nowMs),
  });
  for (const plan of row.plans) if (!state.isMember(plan.id, key.id)) state.addMembership(plan.id, key.id);
  return key.id;
}

/**
 * [U] failonwarnings=true: any bad row aborts the whole import with 400 BadRequestException listing the
 * problems (nothing is imported); false: bad rows are skipped and reported in `warnings` (omitted when none).
 * A row naming a plan the key already belongs to is not an error.
 * Going over the API-key quota fails the whole request with LimitExceededException.
 */
function importApiKeys(ctx: RequestContext) {
  const format = ctx.query.get("format");
  if (format?.toLowerCase() !== "csv")
    fail("BadRequestException", `Invalid format specified: '${format ?? ""}'`);
  const { rows, warnings } = readRows(ctx.state, ctx.body.toString("utf8"));
  if (ctx.query.get("failonwarnings") === "true" && warnings.length > 0) {
    fail("BadRequestException", `Invalid API key file: ${warnings.join("; ")}`);
  }
  checkKeyQuota(ctx.state, rows.filter((r) => !ctx.state.keyIdByValue.has(r.value)).length);
  const ids = rows.map((row) => applyRow(ctx.state, row, ctx.now()));
  return created({ ids, warnings: warnings.length > 0 ? warnings : undefined });
}

export const importApiKeysRoute: Route = {
  method: "POST",
  path: "/apikeys",
  query: { mode: "import" },
  op: "ImportApiKeys",
  handler: importApiKeys,
};
