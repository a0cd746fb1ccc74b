// Reading YAML files with positions: every later error can point at file:line:col.

import {
  closeSync,
  constants as fsConstants,
  fstatSync,
  lstatSync,
  openSync,
  readlinkSync,
  readSync,
  type Stats,
  statSync,
} from "node:fs";
import {
  type Document,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseAllDocuments,
  visit,
} from "yaml";
import type { Diagnostic } from "./diagnostics.js";

/** Plan files larger than this are refused before parsing. */
export const MAX_FILE_BYTES = 2 * 1024 * 1024;
/** Alias expansion bound (protects against "billion laughs" documents). */
const MAX_ALIAS_COUNT = 100;

export interface YamlDoc {
  /** Plain JS value of the document. */
  value: unknown;
  /** Line and column of the value at a path (falls back to the nearest existing parent). */
  locate(path: readonly PropertyKey[], at?: "key" | "value"): { line: number; col: number };
}

export interface YamlFile {
  file: string;
  docs: YamlDoc[];
  diagnostics: Diagnostic[];
}

function fileError(file: string, code: string, message: string, hint: string, line = 1, col = 1): Diagnostic {
  return { severity: "error", code, file, line, col, path: "", message, hint };
}

function unreadableFile(file: string, err: unknown): Diagnostic {
  const code = (err as NodeJS.ErrnoException).code ?? "EIO";
  return fileError(file, "unreadable", `Cannot read file (${code}).`, "Check the path and permissions.");
}

/** What a file that is not a regular file is, for the message ("a named pipe (FIFO)"). */
function fileKind(st: Stats): string {
  if (st.isDirectory()) return "a directory";
  if (st.isFIFO()) return "a named pipe (FIFO)";
  if (st.isCharacterDevice()) return "a character device";
  if (st.isBlockDevice()) return "a block device";
  if (st.isSocket()) return "a socket";
  return "not a regular file";
}

function linkTarget(file: string): string | undefined {
  try {
    return lstatSync(file).isSymbolicLink() ? readlinkSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/** Reading a FIFO or /dev/zero would block or never end: only regular files are read. */
function notRegularFile(file: string, st: Stats): Diagnostic {
  const target = linkTarget(file);
  return fileError(
    file,
    "not_regular_file",
    `Not a regular file: ${fileKind(st)}${target ? ` (a symbolic link to ${target})` : ""}.`,
    "upg reads only regular files; remove it from the plans directory, or make it the file it should be.",
  );
}

function tooLarge(file: string, size: number | undefined): Diagnostic {
  const limit = `${MAX_FILE_BYTES / 1024 / 1024} MB`;
  return fileError(
    file,
    "file_too_large",
    size === undefined
      ? `File is larger than ${limit}, the most a plan file may be.`
      : `File is ${(size / 1024 / 1024).toFixed(1)} MB; plan files may be at most ${limit}.`,
    "Split the plans into several files (a directory is loaded recursively).",
  );
}

/** O_NONBLOCK: opening a FIFO that replaced the file since it was checked must not wait for a writer. */
const OPEN_FLAGS = fsConstants.O_RDONLY | (fsConstants.O_NONBLOCK ?? 0);

/**
 * Up to `limit` + 1 bytes of an open regular file: enough to know it is over the limit without reading a
 * file that grows (or never ends) any further.
 */
function readAtMost(fd: number, limit: number): Buffer {
  const chunks: Buffer[] = [];
  let total = 0;
  while (total <= limit) {
    const chunk = Buffer.allocUnsafe(Math.min(64 * 1024, limit + 1 - total));
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    chunks.push(chunk.subarray(0, n));
    total += n;
  }
  return Buffer.concat(chunks, total);
}

/**
 * Read a file as UTF-8 text, refusing unreadable, special (FIFO, device, socket), binary and oversized files
 * with a diagnostic. The checks are made on the opened file itself, and at most the size limit is read.
 */
export function readTextFile(file: string): { text?: string; diagnostic?: Diagnostic } {
  let st: Stats;
  try {
    st = statSync(file);
  } catch (err) {
    return { diagnostic: unreadableFile(file, err) };
  }
  if (!st.isFile()) return { diagnostic: notRegularFile(file, st) };
  if (st.size > MAX_FILE_BYTES) return { diagnostic: tooLarge(file, st.size) };
  let buf: Buffer;
  let fd: number | undefined;
  try {
    fd = openSync(file, OPEN_FLAGS);
    const opened = fstatSync(fd);
    if (!opened.isFile()) return { diagnostic: notRegularFile(file, opened) };
    buf = readAtMost(fd, MAX_FILE_BYTES);
  } catch (err) {
    return { diagnostic: unreadableFile(file, err) };
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
  if (buf.length > MAX_FILE_BYTES) return { diagnostic: tooLarge(file, undefined) };
  if (buf.includes(0)) {
    return {
      diagnostic: fileError(
        file,
        "binary_file",
        "File is binary, not YAML text.",
        "Remove it from the plans directory.",
      ),
    };
  }
  try {
    return { text: new TextDecoder("utf-8", { fatal: true }).decode(buf) };
  } catch {
    return { diagnostic: fileError(file, "not_utf8", "File is not valid UTF-8 text.", "Save it as UTF-8.") };
  }
}

function positionOf(lc: LineCounter, offset: number): { line: number; col: number } {
  const p = lc.linePos(offset);
  return { line: p.line, col: p.col };
}

/** Find the node at `path`, returning the deepest node reached and whether the key itself was found. */
function nodeAt(root: unknown, path: readonly PropertyKey[], at: "key" | "value"): Node | undefined {
  let node = root as Node | undefined;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find(
        (p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(seg),
      );
      if (!pair) return node;
      if (last && at === "key") return pair.key as Node;
      const next = pair.value as Node | null;
      if (!next) return pair.key as Node;
      node = next;
    } else if (isSeq(node) && typeof seg === "number") {
      const next = node.items[seg] as Node | undefined;
      if (!next) return node;
      node = next;
    } else {
      return node;
    }
  }
  return node;
}

/** Parse every document of a YAML text. Syntax problems become located diagnostics. */
export function parseYamlText(file: string, text: string): YamlFile {
  const lineCounter = new LineCounter();
  const diagnostics: Diagnostic[] = [];
  const docs: YamlDoc[] = [];
  const parsed = parseAllDocuments(text, { lineCounter, uniqueKeys: true, prettyErrors: false, merge: true });
  const list = Array.isArray(parsed) ? parsed : [];
  if (!Array.isArray(parsed)) {
    // An EmptyStream: no documents at all.
    return { file, docs, diagnostics };
  }
  for (const doc of list) {
    const errs = [...doc.errors, ...doc.warnings.filter((w) => w.code === "TAB_AS_INDENT")];
    for (const e of errs) {
      const pos = positionOf(lineCounter, e.pos[0]);
      diagnostics.push({
        severity: "error",
        code: "yaml_syntax",
        file,
        ...pos,
        path: "",
        message: `YAML: ${e.message.split("\n")[0]}`,
        hint: yamlHint(e.code),
      });
    }
    if (doc.errors.length > 0) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (err) {
      const range = unresolvedAliasRange(doc) ?? doc.contents?.range ?? [0, 0, 0];
      diagnostics.push({
        severity: "error",
        code: "yaml_alias",
        file,
        ...positionOf(lineCounter, range[0] ?? 0),
        path: "",
        message: `YAML: ${(err as Error).message}`,
        hint: /unresolved alias/i.test((err as Error).message)
          ? "Define the anchor (&name) before the alias (*name) that uses it."
          : "Write the values out instead of expanding aliases this many times.",
      });
      continue;
    }
    const contents = doc.contents;
    const docStart = contents?.range?.[0] ?? 0;
    docs.push({
      value,
      locate(path, at = "value") {
        const node = nodeAt(contents, path, at);
        return positionOf(lineCounter, node?.range?.[0] ?? docStart);
      },
    });
  }
  return { file, docs, diagnostics };
}

/** Where the first alias that names no anchor is written, if any. */
function unresolvedAliasRange(doc: Document): readonly number[] | undefined {
  let found: readonly number[] | undefined;
  visit(doc, {
    Alias(_, node) {
      if (node.resolve(doc) === undefined && node.range) {
        found = node.range;
        return visit.BREAK;
      }
      return undefined;
    },
  });
  return found;
}

function yamlHint(code: string): string {
  switch (code) {
    case "DUPLICATE_KEY":
      return "Each field may appear once per document; remove or rename the duplicate.";
    case "TAB_AS_INDENT":
      return "YAML indentation must use spaces, not tabs.";
    case "BAD_ALIAS":
    case "MISSING_CHAR":
      return "Check quoting and indentation near this point.";
    default:
      return "Fix the YAML syntax near this point (indent with spaces, quote strings containing ':' or '#').";
  }
}

/** Read and parse a YAML file; any problem is a located diagnostic, never an exception. */
export function loadYamlFile(file: string): YamlFile {
  const { text, diagnostic } = readTextFile(file);
  if (diagnostic || text === undefined)
    return { file, docs: [], diagnostics: diagnostic ? [diagnostic] : [] };
  return parseYamlText(file, text);
}
