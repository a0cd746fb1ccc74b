/**
 * Input validation helpers: one per concern. Every failure is a 400 BadRequestException.
 * [U] AWS's wording for wrong JSON types is not documented; we answer BadRequestException (a modelled error,
 * so SDK callers get a typed exception) rather than SerializationException.
 */
import { fail } from "./errors.js";

export type JsonObject = Record<string, unknown>;

const MAX_INT32 = 2_147_483_647;

export function isJsonObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Parse a request body as a JSON object; an empty body is `{}`. */
export function parseJsonObject(body: Buffer): JsonObject {
  const text = body.toString("utf8").trim();
  if (text === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    fail("BadRequestException", "Could not parse request body into json: malformed JSON");
  }
  if (!isJsonObject(parsed))
    fail("BadRequestException", "Could not parse request body into json: expected an object");
  return parsed;
}

function typeError(field: string, expected: string): never {
  fail("BadRequestException", `Invalid value for '${field}': expected ${expected}`);
}

export function optString(o: JsonObject, field: string): string | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  return typeof v === "string" ? v : typeError(field, "a string");
}

export function reqString(o: JsonObject, field: string): string {
  const v = optString(o, field);
  return v === undefined || v === "" ? fail("BadRequestException", `'${field}' is required`) : v;
}

export function optBoolean(o: JsonObject, field: string): boolean | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  return typeof v === "boolean" ? v : typeError(field, "a boolean");
}

export function optNumber(o: JsonObject, field: string): number | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  return typeof v === "number" && Number.isFinite(v) ? v : typeError(field, "a number");
}

export function optObject(o: JsonObject, field: string): JsonObject | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  return isJsonObject(v) ? v : typeError(field, "an object");
}

export function optArray(o: JsonObject, field: string): unknown[] | undefined {
  const v = o[field];
  if (v === undefined || v === null) return undefined;
  return Array.isArray(v) ? v : typeError(field, "a list");
}

/** A list of JSON objects (each element checked). */
export function optObjectArray(o: JsonObject, field: string): JsonObject[] | undefined {
  const arr = optArray(o, field);
  return arr?.map((item) => (isJsonObject(item) ? item : typeError(field, "a list of objects")));
}

/** A `{string: string}` map, e.g. tags or stage variables. */
export function optStringMap(o: JsonObject, field: string): Map<string, string> | undefined {
  const obj = optObject(o, field);
  if (obj === undefined) return undefined;
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(obj)) {
    if (typeof v !== "string") typeError(`${field}.${k}`, "a string");
    out.set(k, v);
  }
  return out;
}

/** Integer in 0..2^31-1. */
export function checkNonNegativeInt(v: number, label: string): number {
  if (!Number.isInteger(v) || v < 0 || v > MAX_INT32) {
    fail(
      "BadRequestException",
      `Invalid ${label} specified: ${v} must be an integer between 0 and ${MAX_INT32}`,
    );
  }
  return v;
}

/** Finite number >= 0 (rate limits are doubles). */
export function checkNonNegativeNumber(v: number, label: string): number {
  if (!Number.isFinite(v) || v < 0) {
    fail("BadRequestException", `Invalid ${label} specified: ${v} must be a non-negative number`);
  }
  return v;
}

/** Patch values arrive as strings: a plain decimal integer. */
export function parseIntString(s: string, label: string): number {
  if (!/^\d{1,10}$/.test(s)) {
    fail("BadRequestException", `Invalid ${label} specified: '${s}' must be a non-negative integer`);
  }
  return checkNonNegativeInt(Number(s), label);
}

/** Patch values arrive as strings: a plain decimal number such as "2", "2.5". */
export function parseNumberString(s: string, label: string): number {
  if (!/^\d+(\.\d+)?$/.test(s)) {
    fail("BadRequestException", `Invalid ${label} specified: '${s}' must be a non-negative number`);
  }
  return checkNonNegativeNumber(Number(s), label);
}

/** Case-sensitive string length bounds. */
export function checkLength(v: string, max: number, message: string): string {
  if (v.length > max) fail("BadRequestException", message);
  return v;
}
