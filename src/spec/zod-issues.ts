// Turning zod issues into compiler-style diagnostics with "did you mean" hints.

import type { z } from "zod";
import { type Diagnostic, didYouMean, formatPath } from "./diagnostics.js";
import { fieldHints } from "./schema.js";
import type { YamlDoc } from "./yaml-source.js";

type AnySchema = z.core.$ZodType;

function defOf(s: AnySchema): { type: string } & Record<string, unknown> {
  return (s as unknown as { _zod: { def: { type: string } & Record<string, unknown> } })._zod.def;
}

/** Walk the schema along a value path; the schemas found there, outermost wrapper first. */
function schemasAt(schema: AnySchema, path: readonly PropertyKey[], value: unknown): AnySchema[] {
  let s: AnySchema | undefined = schema;
  let v: unknown = value;
  for (const seg of path) {
    s = unwrapTo(s, v);
    if (!s) return [];
    const def = defOf(s);
    if (def.type === "object") s = (def.shape as Record<string, AnySchema>)[String(seg)];
    else if (def.type === "array") s = def.element as AnySchema;
    else if (def.type === "record") s = def.valueType as AnySchema;
    else return [];
    v = v && typeof v === "object" ? (v as Record<string, unknown>)[String(seg)] : undefined;
  }
  const chain: AnySchema[] = [];
  let cur = s;
  for (let i = 0; i < 10 && cur; i++) {
    chain.push(cur);
    const next = unwrapOnce(cur, v);
    if (next === cur) break;
    cur = next;
  }
  return chain;
}

/** Walk the schema along a value path to the object schema there; return its field names. */
export function knownKeysAt(schema: AnySchema, path: readonly PropertyKey[], value: unknown): string[] {
  const s = unwrapTo(schemasAt(schema, path, value)[0], valueAt(value, path));
  if (!s) return [];
  const def = defOf(s);
  return def.type === "object" ? Object.keys(def.shape as Record<string, unknown>) : [];
}

/** One step inside optional/default/nullable wrappers; for unions the option that fits the value. */
function unwrapOnce(s: AnySchema, v: unknown): AnySchema {
  const def = defOf(s);
  if (def.type === "optional" || def.type === "default" || def.type === "nullable") {
    return def.innerType as AnySchema;
  }
  if (def.type === "union") {
    const opts = def.options as AnySchema[];
    const wantObject = v !== null && typeof v === "object" && !Array.isArray(v);
    return opts.find((o) => (defOf(o).type === "object") === wantObject) ?? opts[0] ?? s;
  }
  return s;
}

/** Strip optional wrappers; for unions pick the object option when the value is an object. */
function unwrapTo(s: AnySchema | undefined, v: unknown): AnySchema | undefined {
  let cur = s;
  for (let i = 0; i < 10 && cur; i++) {
    const next = unwrapOnce(cur, v);
    if (next === cur) return cur;
    cur = next;
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
  if (typeof v === "number" && !Number.isFinite(v)) return String(v);
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

/** The last field with the list positions after it, for messages: `keys[1]`, `regions[0]`. */
function fieldLabel(path: readonly PropertyKey[]): string {
  let i = path.length;
  while (i > 0 && typeof path[i - 1] === "number") i--;
  return `${lastField(path.slice(0, i))}${formatPath(path.slice(i))}`;
}

interface Ctx {
  file: string;
  doc: YamlDoc;
  schema: AnySchema;
}

/** What the schema knows about the field at `path`: its hint (fieldHints) and its description. */
function fieldFacts(ctx: Ctx, path: readonly PropertyKey[]): { hint?: string; description?: string } {
  const chain = schemasAt(ctx.schema, path, ctx.doc.value);
  const hint = chain.map((s) => fieldHints.get(s as z.ZodType)?.hint).find((h) => h !== undefined);
  const description = chain
    .map((s) => (s as { description?: string }).description)
    .find((d) => d !== undefined);
  return { ...(hint ? { hint } : {}), ...(description ? { description } : {}) };
}

const SCHEMA_HINT = "Run `upg schema` (or `upg schema --config-file`) to see what each field accepts.";

/** What to write instead of a value of the wrong type. */
function typeHint(expected: string, field: string, known: readonly string[]): string {
  switch (expected) {
    case "number":
      return `Write a number without quotes, e.g. \`${field}: 100\`.`;
    case "int":
      return `Write a whole number without quotes, e.g. \`${field}: 100\`.`;
    case "string":
      return `Write text; quote values YAML would read as a number or true/false, e.g. \`${field}: "100"\`.`;
    case "boolean":
      return `Write \`${field}: true\` or \`${field}: false\`.`;
    case "array":
      return `Write a list: \`${field}: [a, b]\`, or one \`- item\` per line below it.`;
    case "object":
      return known.length > 0
        ? `Write a mapping with fields such as ${known.slice(0, 4).join(", ")} (one \`field: value\` per line).`
        : "Write a mapping: one `field: value` per line.";
    case "record":
      return "Write a mapping: one `key: value` per line.";
    default:
      return SCHEMA_HINT;
  }
}

export function issuesToDiagnostics(
  issues: readonly z.core.$ZodIssue[],
  ctx: Ctx,
  prefix: PropertyKey[] = [],
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const issue of issues) out.push(...issueToDiagnostics(issue, ctx, prefix));
  // One problem per field: the first check that failed (e.g. "at most 2147483647" for 1e200, not also
  // "must be a whole number").
  const seen = new Set<string>();
  return out.filter((d) => {
    const key = `${d.path}\u0000${d.line}:${d.col}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function diag(
  ctx: Ctx,
  path: readonly PropertyKey[],
  code: string,
  message: string,
  hint: string,
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
    hint,
  };
}

function sentence(text: string): string {
  return /[.!?]$/.test(text) ? text : `${text}.`;
}

/** zod's own messages ("Too small: expected string to have >=1 characters") are replaced by ours. */
const ZOD_DEFAULT_MESSAGE = /^(Too (small|big)|Invalid (input|string|URL|format))\b/;

function rangeMessage(issue: z.core.$ZodIssue, field: string): { message: string; hint: string } | undefined {
  if (issue.code !== "too_small" && issue.code !== "too_big") return undefined;
  const small = issue.code === "too_small";
  const bound = Number(small ? issue.minimum : issue.maximum);
  const inclusive = issue.inclusive !== false;
  const relation = small ? (inclusive ? "at least" : "more than") : inclusive ? "at most" : "less than";
  switch (issue.origin) {
    case "string":
      if (small && bound === 1) {
        return {
          message: `\`${field}\` must not be empty.`,
          hint: `Write a value, or remove \`${field}\`.`,
        };
      }
      return {
        message: `\`${field}\` must be ${relation} ${bound} characters long.`,
        hint: `Use ${relation} ${bound} characters.`,
      };
    case "array":
    case "set":
      return {
        message: `\`${field}\` must list ${relation} ${bound} item${bound === 1 ? "" : "s"}.`,
        hint: small
          ? `Add at least ${bound}, or remove \`${field}\` to use the default.`
          : `List at most ${bound}.`,
      };
    default:
      return {
        message: `\`${field}\` must be ${relation} ${bound}.`,
        hint: `Use a value ${relation} ${bound}.`,
      };
  }
}

function formatMessage(
  issue: z.core.$ZodIssue,
  field: string,
): { message: string; hint: string } | undefined {
  if (issue.code !== "invalid_format") return undefined;
  const f = issue as z.core.$ZodIssueInvalidStringFormat;
  if (f.format === "starts_with") {
    const prefix = (f as { prefix?: string }).prefix ?? "";
    return {
      message: `\`${field}\` must start with "${prefix}".`,
      hint: `Write the full value, starting with ${prefix}`,
    };
  }
  if (f.format === "url") {
    return {
      message: `\`${field}\` must be a URL.`,
      hint: "Write a full URL, e.g. https://hooks.example.com/upg.",
    };
  }
  return {
    message: `\`${field}\` has the wrong format.`,
    hint: f.pattern ? `It must match ${f.pattern}.` : SCHEMA_HINT,
  };
}

function issueToDiagnostics(issue: z.core.$ZodIssue, ctx: Ctx, prefix: PropertyKey[]): Diagnostic[] {
  const path = [...prefix, ...issue.path];
  const value = valueAt(ctx.doc.value, path);
  const field = lastField(path);
  const label = fieldLabel(path);
  const facts = fieldFacts(ctx, path);
  switch (issue.code) {
    case "unrecognized_keys": {
      const known = knownKeysAt(ctx.schema, path, ctx.doc.value);
      return issue.keys.map((k) => {
        const guess = didYouMean(k, known);
        const hint = guess
          ? `Did you mean \`${guess}\`?`
          : known.length > 0
            ? `Known fields here: ${known.join(", ")}.`
            : "Remove it: this mapping has no fields of its own.";
        return diag(ctx, [...path, k], "unknown_field", `Unknown field \`${k}\`.`, hint, "key");
      });
    }
    case "invalid_type": {
      if (value === undefined) {
        const parentPath = path.slice(0, -1);
        const what = facts.description ? ` ${sentence(facts.description)}` : "";
        return [
          diag(
            ctx,
            path,
            "missing_field",
            `Missing required field \`${field}\`.`,
            `Add \`${field}: …\`.${what}`,
            "key",
            parentPath,
          ),
        ];
      }
      if (typeof value === "number" && !Number.isFinite(value)) {
        return [
          diag(
            ctx,
            path,
            "wrong_type",
            `\`${label}\` must be a finite number, not ${describeValue(value)}.`,
            facts.hint ?? `Write a number such as \`${field}: 100\`; YAML's .inf and .nan are not accepted.`,
          ),
        ];
      }
      const expected = EXPECTED_WORDS[issue.expected] ?? issue.expected;
      const known = knownKeysAt(ctx.schema, path, ctx.doc.value);
      return [
        diag(
          ctx,
          path,
          "wrong_type",
          `\`${label}\` must be ${expected}, not ${describeValue(value)}.`,
          facts.hint ?? typeHint(issue.expected, field, known),
        ),
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
          `\`${label}\` must be one of ${allowed.join(", ")}; got ${describeValue(value)}.`,
          guess ? `Did you mean ${guess}?` : `Use one of: ${allowed.join(", ")}.`,
        ),
      ];
    }
    case "invalid_union": {
      const u = issue as typeof issue & { discriminator?: string; options?: unknown[] };
      if (u.discriminator !== undefined && u.options) {
        // A discriminated union whose `type` (say) is missing or unknown.
        const allowed = u.options.map(String);
        if (value === undefined) {
          return [
            diag(
              ctx,
              path,
              "missing_field",
              `Missing required field \`${field}\`.`,
              `Add \`${field}:\` with one of: ${allowed.join(", ")}.`,
              "key",
              path.slice(0, -1),
            ),
          ];
        }
        const guess = typeof value === "string" ? didYouMean(value, allowed) : undefined;
        return [
          diag(
            ctx,
            path,
            "invalid_value",
            `\`${field}\` must be one of ${allowed.join(", ")}; got ${describeValue(value)}.`,
            guess ? `Did you mean ${guess}?` : `Use one of: ${allowed.join(", ")}.`,
          ),
        ];
      }
      // The branch that matched the value's type explains the problem; the others only say "wrong type".
      const relevant = issue.errors.filter((branch) =>
        branch.some((i) => i.code !== "invalid_type" || i.path.length > 0),
      );
      if (relevant.length === 1) return issuesToDiagnostics(relevant[0]!, ctx, path);
      const expected = [
        ...new Set(
          issue.errors.flatMap((branch) =>
            branch.flatMap((i) =>
              i.code === "invalid_type" && i.path.length === 0
                ? [EXPECTED_WORDS[i.expected] ?? i.expected]
                : [],
            ),
          ),
        ),
      ];
      const shape = expected.length > 0 ? `must be ${expected.join(" or ")}` : "has the wrong shape";
      return [
        diag(
          ctx,
          path,
          "wrong_type",
          `\`${label}\` ${shape}; got ${describeValue(value)}.`,
          facts.hint ?? (facts.description ? sentence(facts.description) : SCHEMA_HINT),
        ),
      ];
    }
    case "custom": {
      const params = (issue.params ?? {}) as { code?: string; hint?: string };
      return [
        diag(
          ctx,
          path,
          params.code ?? "invalid_value",
          sentence(issue.message),
          params.hint ?? facts.hint ?? (facts.description ? sentence(facts.description) : SCHEMA_HINT),
        ),
      ];
    }
    default: {
      const ours = ZOD_DEFAULT_MESSAGE.test(issue.message)
        ? (rangeMessage(issue, label) ?? formatMessage(issue, label))
        : undefined;
      const msg = ours
        ? ours.message
        : sentence(issue.message.startsWith(field) ? issue.message : `\`${label}\`: ${issue.message}`);
      const hint =
        facts.hint ??
        ours?.hint ??
        rangeMessage(issue, label)?.hint ??
        formatMessage(issue, label)?.hint ??
        (facts.description ? sentence(facts.description) : SCHEMA_HINT);
      return [diag(ctx, path, "invalid_value", msg, hint)];
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
