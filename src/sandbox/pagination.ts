/**
 * `position`/`limit` pagination. Items are listed in creation order (Map insertion order = sequence order).
 * [U] AWS ordering is undocumented (recordings show newest first for keys); we use creation order everywhere.
 * The token is opaque (base64url of the last returned sequence number), so pages stay stable across deletes.
 * [U] Out-of-range limits are clamped to 1..500; a non-integer limit or an unreadable token is a 400.
 */
import { fail } from "./errors.js";

export const DEFAULT_LIMIT = 25;
export const MAX_LIMIT = 500;

export interface Page<T> {
  items: T[];
  position?: string;
}

export function encodePosition(seq: number): string {
  return Buffer.from(`p1:${seq}`).toString("base64url");
}

function decodePosition(token: string): number {
  const m = /^p1:(\d+)$/.exec(Buffer.from(token, "base64url").toString("utf8"));
  return m?.[1] !== undefined ? Number(m[1]) : fail("BadRequestException", "Invalid position specified");
}

export function pageLimit(query: URLSearchParams): number {
  const raw = query.get("limit");
  if (raw === null || raw === "") return DEFAULT_LIMIT;
  if (!/^-?\d+$/.test(raw)) fail("BadRequestException", `Invalid limit specified: '${raw}'`);
  return Math.min(MAX_LIMIT, Math.max(1, Number(raw)));
}

/** One page of `items` (already filtered, in sequence order) after the query's `position`. */
export function paginate<T>(items: Iterable<T>, seqOf: (item: T) => number, query: URLSearchParams): Page<T> {
  const limit = pageLimit(query);
  const token = query.get("position");
  const after = token ? decodePosition(token) : 0;
  const page: T[] = [];
  for (const item of items) {
    if (seqOf(item) <= after) continue;
    if (page.length === limit) {
      const last = page[page.length - 1];
      return { items: page, position: last === undefined ? undefined : encodePosition(seqOf(last)) };
    }
    page.push(item);
  }
  return { items: page };
}

/** A list envelope with the `item` JSON key (GetUsagePlans, GetApiKeys, ...). */
export function listBody<T>(page: Page<T>, render: (item: T) => unknown): Record<string, unknown> {
  return { item: page.items.map(render), position: page.position };
}

/** Lazily filter an iterable (keeps pagination O(page) for unfiltered lists). */
export function* filtered<T>(items: Iterable<T>, keep: (item: T) => boolean): Iterable<T> {
  for (const item of items) if (keep(item)) yield item;
}
