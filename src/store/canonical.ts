// Deterministic JSON for hashing: object keys sorted recursively, undefined members dropped
// (as JSON.stringify does), so equal data always hashes equally whatever its key order.

import { createHash } from "node:crypto";

function hasToJson(value: object): value is { toJSON: () => unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === "function";
}

function isOmitted(value: unknown): boolean {
  return value === undefined || typeof value === "function" || typeof value === "symbol";
}

export function canonicalJson(value: unknown): string {
  if (isOmitted(value)) return "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value);
  if (hasToJson(value)) return canonicalJson(value.toJSON());
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const members = Object.keys(obj)
    .filter((k) => !isOmitted(obj[k]))
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`);
  return `{${members.join(",")}}`;
}

export function sha256Hex(text: string): string {
  return createHash("sha256").update(text, "utf8").digest("hex");
}
