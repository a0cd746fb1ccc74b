// Edits of one plan document inside a plan file that keep everything else as written: comments, order,
// quoting, flow style and the other documents of the file. Pure: text in, text out (or the located error).

import {
  type Document,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  Parser,
  parseAllDocuments,
  type YAMLSeq,
} from "yaml";
import type { LifecycleState } from "../model/spec.js";

export interface EditError {
  message: string;
  line: number;
  col: number;
}

export type EditOutcome = { ok: true; text: string; changed: boolean } | { ok: false; error: EditError };

export interface PlanEdit {
  lifecycleState?: LifecycleState;
  /** A plan_id to set, or null to remove `successor`. */
  successor?: string | null;
  /** Names or ids to remove from `keys:` (only when the plan declares keys). */
  removeKeys?: readonly string[];
  /** Names to add to `keys:` (only when the plan declares keys). */
  addKeys?: readonly string[];
}

type Doc = Document.Parsed;

function located(lc: LineCounter, offset: number, message: string): EditError {
  const pos = lc.linePos(offset);
  return { message, line: pos.line, col: pos.col };
}

/** The document whose `plan_id` is planId, or the error that stops the edit. */
function findPlanDoc(
  docs: readonly Doc[],
  lc: LineCounter,
  planId: string,
): { doc: Doc } | { error: EditError } {
  for (const d of docs) {
    const first = d.errors[0];
    if (first) {
      return {
        error: located(lc, first.pos[0], `The file cannot be edited: ${first.message.split("\n")[0]}`),
      };
    }
  }
  const doc = docs.find((d) => isMap(d.contents) && d.get("plan_id") === planId);
  if (!doc) return { error: { message: `No document with plan_id ${planId} in the file.`, line: 1, col: 1 } };
  return { doc };
}

function keysSeq(doc: Doc): YAMLSeq | undefined {
  const node = doc.get("keys", true);
  return isSeq(node) ? node : undefined;
}

/** Applies one edit to the plan document of planId. Documents other than that one are left untouched. */
export function editPlanText(text: string, planId: string, edit: PlanEdit): EditOutcome {
  const lc = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lc, keepSourceTokens: true });
  if (!Array.isArray(docs)) {
    return { ok: false, error: { message: "The file holds no YAML document.", line: 1, col: 1 } };
  }
  const found = findPlanDoc(docs, lc, planId);
  if ("error" in found) return { ok: false, error: found.error };
  const { doc } = found;
  let changed = false;
  if (edit.lifecycleState !== undefined && (doc.get("lifecycle_state") ?? "Active") !== edit.lifecycleState) {
    doc.set("lifecycle_state", edit.lifecycleState);
    changed = true;
  }
  if (edit.successor === null && doc.has("successor")) {
    doc.delete("successor");
    changed = true;
  } else if (typeof edit.successor === "string" && doc.get("successor") !== edit.successor) {
    doc.set("successor", edit.successor);
    changed = true;
  }
  const remove = new Set(edit.removeKeys ?? []);
  const add = edit.addKeys ?? [];
  if (remove.size > 0 || add.length > 0) {
    const seq = keysSeq(doc);
    if (!seq) {
      return {
        ok: false,
        error: {
          message: `Plan ${planId} does not declare keys as a list; nothing to edit.`,
          line: 1,
          col: 1,
        },
      };
    }
    const before = seq.items.length;
    seq.items = seq.items.filter((item) => !(isScalar(item) && remove.has(String(item.value))));
    if (seq.items.length !== before) changed = true;
    const present = new Set(seq.items.map((i) => (isScalar(i) ? String(i.value) : "")));
    for (const k of add) {
      if (present.has(k)) continue;
      seq.add(doc.createNode(k));
      present.add(k);
      changed = true;
    }
  }
  if (!changed) return { ok: true, text, changed: false };
  // Only the edited document is written anew; the text of the others is kept byte for byte.
  const starts: number[] = [];
  for (const token of new Parser().parse(text)) if (token.type === "document") starts.push(token.offset);
  const i = docs.findIndex((d) => d === doc);
  if (starts.length !== docs.length) {
    return { ok: true, text: docs.map((d) => d.toString({ lineWidth: 0 })).join(""), changed: true };
  }
  const from = i === 0 ? 0 : starts[i]!;
  const to = starts[i + 1] ?? text.length;
  // Flow collections are written `[ a ]` or `[a]` as the document already writes them.
  const source = text.slice(from, to);
  const padded = /[[{] /.test(source) || !/[[{][^\s\]}]/.test(source);
  const out = doc.toString({ lineWidth: 0, flowCollectionPadding: padded });
  return { ok: true, text: text.slice(0, from) + out + text.slice(to), changed: true };
}
