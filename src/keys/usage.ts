// Usage reports: dates checked before GetUsage, per-key per-day rows, totals, quota and what remains, and a
// sparkline per key.

import { UserError } from "../errors.js";

/** [U] AWS does not document GetUsage's longest range; upg asks for at most this many days. */
export const MAX_USAGE_DAYS = 366;
const DAY_MS = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function parseDay(value: string, option: string): number {
  const m = DATE_RE.exec(value);
  const ms = m ? Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : Number.NaN;
  if (!m || Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== value) {
    throw new UserError(`${option} "${value}" is not a date.`, { hint: "Write dates as YYYY-MM-DD." });
  }
  return ms;
}

export function formatDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * The range to ask for: --from/--to (YYYY-MM-DD, both inclusive); default the last 7 days up to today (UTC).
 * Refused: a bad date, --to before --from, a range starting after today, or longer than MAX_USAGE_DAYS.
 */
export function usageRange(
  from: string | undefined,
  to: string | undefined,
  now: Date,
): { from: string; to: string } {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const end = to !== undefined ? parseDay(to, "--to") : today;
  const start = from !== undefined ? parseDay(from, "--from") : end - 6 * DAY_MS;
  if (end < start) {
    throw new UserError(`--to ${formatDay(end)} is before --from ${formatDay(start)}.`, {
      hint: "Swap the dates.",
    });
  }
  if (start > today) {
    throw new UserError(`--from ${formatDay(start)} is in the future (today is ${formatDay(today)}).`);
  }
  const days = (end - start) / DAY_MS + 1;
  if (days > MAX_USAGE_DAYS) {
    throw new UserError(`The range is ${days} days; upg asks API Gateway for at most ${MAX_USAGE_DAYS}.`, {
      hint: "Ask for a shorter range, or several.",
    });
  }
  return { from: formatDay(start), to: formatDay(end) };
}

/** Every day of an inclusive range. */
export function daysOf(from: string, to: string): string[] {
  const out: string[] = [];
  for (let d = parseDay(from, "--from"); d <= parseDay(to, "--to"); d += DAY_MS) out.push(formatDay(d));
  return out;
}

export interface UsageDay {
  date: string;
  used: number;
  remaining: number;
}

export interface KeyUsage {
  plan_id: string;
  api_gateway_id: string;
  key_id: string;
  key_name?: string;
  days: UsageDay[];
  total: number;
  /** The plan's quota (absent: the plan has none). */
  quota?: { limit: number; period: string };
  /** Used in the current quota period as of the last day: quota − remaining (absent without quota). */
  period_used?: number;
  /** Remaining on the last day of the range (absent without quota). */
  remaining?: number;
}

export interface PlanUsageInput {
  plan_id: string;
  api_gateway_id: string;
  quota?: { limit: number; period: string };
  from: string;
  to: string;
  values: Record<string, number[][]>;
  keyNames: ReadonlyMap<string, string | undefined>;
}

/** GetUsage's `[used, remaining]` pairs as rows, one per key, with totals. */
export function keyUsages(input: PlanUsageInput): KeyUsage[] {
  const dates = daysOf(input.from, input.to);
  return Object.entries(input.values)
    .map(([keyId, pairs]): KeyUsage => {
      const days = dates.map((date, i) => ({
        date,
        used: Number(pairs[i]?.[0] ?? 0),
        remaining: Number(pairs[i]?.[1] ?? 0),
      }));
      const last = days[days.length - 1];
      const name = input.keyNames.get(keyId);
      return {
        plan_id: input.plan_id,
        api_gateway_id: input.api_gateway_id,
        key_id: keyId,
        ...(name ? { key_name: name } : {}),
        days,
        total: days.reduce((s, d) => s + d.used, 0),
        ...(input.quota && last
          ? {
              quota: input.quota,
              remaining: last.remaining,
              period_used: Math.max(0, input.quota.limit - last.remaining),
            }
          : {}),
      };
    })
    .sort((a, b) => (a.key_id < b.key_id ? -1 : 1));
}

/** Heaviest first; with `top`, only that many. */
export function topUsages(rows: readonly KeyUsage[], top?: number): KeyUsage[] {
  const sorted = [...rows].sort(
    (a, b) => b.total - a.total || a.plan_id.localeCompare(b.plan_id) || a.key_id.localeCompare(b.key_id),
  );
  return top === undefined ? sorted : sorted.slice(0, top);
}

const BARS = "▁▂▃▄▅▆▇█";

/** One character per value, scaled to the largest (all zero: a flat line). */
export function sparkline(values: readonly number[]): string {
  const max = Math.max(0, ...values);
  return values
    .map((v) => (max === 0 || v <= 0 ? BARS[0] : BARS[Math.min(7, Math.max(1, Math.ceil((v / max) * 7)))]))
    .join("");
}
