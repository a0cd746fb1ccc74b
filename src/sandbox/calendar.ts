/** UTC calendar days ("epoch days") and quota periods. */
import { fail } from "./errors.js";
import type { QuotaSettings } from "./state.js";

const DAY_MS = 86_400_000;

export function dayOf(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** "YYYY-MM-DD" → epoch day; anything else (including 2024-02-30) is a 400. */
export function parseDay(s: string | null, label: string): number {
  const m = s === null ? null : /^(\d{4})-(\d{2})-(\d{2})$/.exec(s);
  const day = m ? dayOf(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : Number.NaN;
  if (!m || formatDay(day) !== s) fail("BadRequestException", `Invalid ${label} specified: '${s ?? ""}'`);
  return day;
}

export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/**
 * First day of the quota period containing `day`.
 * [U] AWS does not document period boundaries. We read `offset` as a day offset (matching Terraform's
 * ranges): WEEK periods start on Monday + offset days (UTC), MONTH periods on day 1 + offset of the month.
 */
export function periodStart(day: number, quota: QuotaSettings): number {
  if (quota.period === "DAY") return day;
  const d = new Date(day * DAY_MS);
  if (quota.period === "WEEK") {
    const startDow = (1 + quota.offset) % 7;
    return day - ((d.getUTCDay() - startDow + 7) % 7);
  }
  const startDom = 1 + quota.offset;
  const monthShift = d.getUTCDate() >= startDom ? 0 : -1;
  return dayOf(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + monthShift, startDom));
}
