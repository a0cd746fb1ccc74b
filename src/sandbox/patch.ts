/** JSON-patch-like `patchOperations` as API Gateway uses them (values are always strings). */
import { fail } from "./errors.js";
import { type JsonObject, optObjectArray, optString, reqString } from "./validate.js";

export interface PatchOp {
  op: string;
  path: string;
  value?: string;
}

export function parsePatchOperations(body: JsonObject): PatchOp[] {
  return (optObjectArray(body, "patchOperations") ?? []).map((o) => ({
    op: reqString(o, "op"),
    path: reqString(o, "path"),
    value: optString(o, "value"),
  }));
}

/** AWS's template, including its two spaces after "path" (reference §3.4). */
export function invalidPatchPath(op: PatchOp, allowed: readonly string[]): never {
  return fail(
    "BadRequestException",
    `Invalid patch path  '${op.path}' specified for op '${op.op}'. Must be one of: [${allowed.join(", ")}]`,
  );
}

export function requireValue(op: PatchOp): string {
  return (
    op.value ?? fail("BadRequestException", `A value is required for op '${op.op}' on path '${op.path}'`)
  );
}

/** Decode JSON-Pointer escapes in one path part. */
export function decodePointer(s: string): string {
  return s.replace(/~1/g, "/").replace(/~0/g, "~");
}

/** Patch paths accepted per op (for the error message), derived from a `"op path"` keyed table. */
export function allowedPaths(
  table: Readonly<Record<string, unknown>>,
  op: string,
  extra: readonly string[] = [],
) {
  const exact = Object.keys(table)
    .filter((k) => k.startsWith(`${op} `))
    .map((k) => k.slice(op.length + 1));
  return [...exact, ...extra];
}
