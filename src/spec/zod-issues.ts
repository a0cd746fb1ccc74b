// Turning zod issues into compiler-style diagnostics with "did you mean" hints.

import type { z } from "zod";
import { type Diagnostic, didYouMean, formatPath } from "./diagnostics.js";
import type { YamlDoc } from "./yaml-source.js";

type AnySchema = z.core.$ZodType;

function defOf(s: AnySchema): { type: string } & Record<string, unknown> {
  return (s as unknown as { _zod: { def: { type: string } & Record<string, unknown> } })._zod.def;
}

/** Walk the schema along a value path to the object schema there; return its field names. */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[], value: unknown): string[] {
  let s: AnySchema | undefined = schema;
  let v: unknown = value;
  const steps = [...path, undefined];
  for (const seg of steps) {
    s = unwrapTo(s, v);
    if (!s) return [];
    if (seg === undefined) break;
    const def = defOf(s);
    if (def.type === "object") s = (def.shape as Record<string, AnySchema>)[String(seg)];
    else if (def.type === "array") s = def.element as AnySchema;
    else if (def.type === "record") s = def.valueType as AnySchema;
    else return [];
    v = v && typeof v === "object" ? (v as Record<string, unknown>)[String(seg)] : undefined;
  }
  if (!s) return [];
  const def = defOf(s);
  return def.type === "object" ? Object.keys(def.shape as Record<string, unknown>) : [];
}

/** Strip optional wrappers; for unions pick the object option when the value is an object. */
function unwrapTo(s: AnySchema | undefined, v: unknown): AnySchema | undefined {
  let cur = s;
  for (let i = 0; i < 10 && cur; i++) {
    const def = defOf(cur);
    if (def.type === "optional" || def.type === "default" || def.type === "nullable") {
      cur = def.innerType as AnySchema;
    } else if (def.type === "union") {
      const opts = def.options as AnySchema[];
      const wantObject = v !== null && typeof v === "object" && !Array.isArray(v);
      cur = opts.find((o) => (defOf(o).type === "object") === wantObject) ?? opts[0];
    } else {
      return cur;
    }
  }
  return cur;
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v = value;
  for (const seg of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<string, unknown>)[String(seg)];
  }
  return v;
}

export function describeValue(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v)}`;
  return `${typeof v} ${String(v)}`;
}

const EXPECTED_WORDS: Record<string, string> = {
  number: "a number",
  int: "a whole number",
  string: "a string",
  boolean: "true or false",
  array: "a list",
  object: "a mapping of fields",
  record: "a mapping",
};

function lastField(path: readonly PropertyKey[]): string {
  for (let i = path.length - 1; i >= 0; i--) {
    if (typeof path[i] === "string") return String(path[i]);
  }
  return "document";
}

interface Ctx {
  file: string;
  doc: YamlDoc;
  schema: AnySchema;
}

export function issuesToDiagnostics(
  issues: readonly z.core.$ZodIssue[],
  ctx: Ctx,
  prefix: PropertyKey[] = [],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) out.push(...issueToDiagnostics(issue, ctx, prefix));
  return out;
}

function diag(
  ctx: Ctx,
  path: readonly PropertyKey[],
  code: string,
  message: string,
  hint?: string,
  at: "key" | "value" = "value",
  locatePath: readonly PropertyKey[] = path,
): Diagnostic {
  const pos = ctx.doc.locate(locatePath, at);
  return {
    severity: "error",
    code,
    file: ctx.file,
    ...pos,
    path: formatPath(path),
    message,
    ...(hint ? { hint } : {}),
  };
}

function issueToDiagnostics(issue: z.core.$ZodIssue, ctx: Ctx, prefix: PropertyKey[]): Diagnostic[] {
  const path = [...prefix, ...issue.path];
  const value = valueAt(ctx.doc.value, path);
  const field = lastField(path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(ctx.schema, path, ctx.doc.value);
      return issue.keys.map((k) => {
        const guess = didYouMean(k, known);
        const hint = guess
          ? `Did you mean \`${guess}\`?`
          : known.length > 0
            ? `Known fields here: ${known.join(", ")}.`
            : undefined;
        return diag(ctx, [...path, k], "unknown_field", `Unknown field \`${k}\`.`, hint, "key");
      });
    }
    case "invalid_type": {
      if (value === undefined) {
        const parentPath = path.slice(0, -1);
        return [
          diag(
            ctx,
            path,
            "missing_field",
            `Missing required field \`${field}\`.`,
            undefined,
            "key",
            parentPath,
          ),
        ];
      }
      const expected = EXPECTED_WORDS[issue.expected] ?? issue.expected;
      return [
        diag(ctx, path, "wrong_type", `\`${field}\` must be ${expected}, not ${describeValue(value)}.`),
      ];
    }
    case "invalid_value": {
      const allowed = issue.values.map(String);
      const guess = typeof value === "string" ? didYouMean(value, allowed) : undefined;
      return [
        diag(
          ctx,
          path,
          "invalid_value",
          `\`${field}\` must be one of ${allowed.join(", ")}; got ${describeValue(value)}.`,
          guess ? `Did you mean ${guess}?` : undefined,
        ),
      ];
    }
    case "invalid_union": {
      // The branch that matched the value's type explains the problem; the others only say "wrong type".
      const relevant = issue.errors.filter((branch) =>
        branch.some((i) => i.code !== "invalid_type" || i.path.length > 0),
      );
      if (relevant.length === 1) return issuesToDiagnostics(relevant[0]!, ctx, path);
      return [
        diag(
          ctx,
          path,
          "wrong_type",
          `\`${field}\` has the wrong shape: got ${describeValue(value)}.`,
          issue.message,
        ),
      ];
    }
    case "custom": {
      const params = (issue.params ?? {}) as { code?: string; hint?: string };
      return [diag(ctx, path, params.code ?? "invalid_value", issue.message, params.hint)];
    }
    default: {
      const msg = issue.message.startsWith(field) ? issue.message : `\`${field}\`: ${issue.message}`;
      return [diag(ctx, path, "invalid_value", `${msg}.`)];
    }
  }
}

/**
 * A copy of a document without the fields that have shape errors (unknown fields dropped, a bad stage replaced
 * by a unique placeholder so the other stages keep their positions); undefined when nothing sensible is left.
 */
export function withoutBadFields(
  input: unknown,
  issues: readonly z.core.$ZodIssue[],
  placeholderStages = true,
): Record<string, unknown> | undefined {
  if (input === null || typeof input !== "object" || Array.isArray(input)) return undefined;
  const value = { ...(input as Record<string, unknown>) };
  for (const issue of issues) {
    const [top, index] = issue.path;
    if (top === undefined && issue.code === "unrecognized_keys") {
      for (const k of issue.keys) delete value[k];
    } else if (
      placeholderStages &&
      top === "stages" &&
      typeof index === "number" &&
      Array.isArray(value.stages)
    ) {
      const stages = [...value.stages];
      stages[index] = `invalid${index}:placeholder`;
      value.stages = stages;
    } else if (typeof top === "string") {
      delete value[top];
    } else {
      return undefined;
    }
  }
  return value;
}
