// The API-key file of ImportApiKeys (reference §3.15), checked locally before anything is sent: every bad row
// is reported with its line number, and a value is never echoed (only its length or the offending position).
// The reader accepts what the format allows: a header row with the column names in any order and any case,
// cells quoted with " or ' (so `"ab12cd,ef34gh"` is one cell), a doubled quote as a literal one.

export const KEY_COLUMNS = ["name", "key", "description", "enabled", "usageplanids"] as const;
export type KeyColumn = (typeof KEY_COLUMNS)[number];

/** AWS's account quota: 10,000 API keys per region, not adjustable (reference §5.1). */
export const MAX_API_KEYS = 10_000;

export interface CsvProblem {
  /** 1-based line of the file. */
  line: number;
  message: string;
  hint?: string;
}

export interface ImportRow {
  line: number;
  name: string;
  value: string;
  description: string;
  /** Absent when the cell is empty (AWS then enables the key). */
  enabled?: boolean;
  usagePlanIds: string[];
}

export interface CsvCheck {
  rows: ImportRow[];
  problems: CsvProblem[];
}

interface RawRow {
  line: number;
  cells: string[];
}

/** Splits `text` into rows of trimmed cells, each with the line it starts on. Blank lines are skipped. */
export function readCsv(text: string): { rows: RawRow[]; problems: CsvProblem[] } {
  const rows: RawRow[] = [];
  const problems: CsvProblem[] = [];
  let line = 1;
  let rowLine = 1;
  let cells: string[] = [];
  let cell = "";
  let quote: string | undefined;
  let quoteLine = 0;
  let cellStart = true;
  const endCell = () => {
    cells.push(cell.trim());
    cell = "";
  };
  const endRow = () => {
    endCell();
    if (cells.some((c) => c !== "")) rows.push({ line: rowLine, cells });
    cells = [];
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote) {
      if (c === "\n") line++;
      if (c !== quote) cell += c;
      else if (text[i + 1] === quote) {
        cell += c;
        i++;
      } else quote = undefined;
      continue;
    }
    if (cellStart && cell.trim() === "" && (c === '"' || c === "'")) {
      quote = c;
      quoteLine = line;
      cellStart = false;
      continue;
    }
    if (c === ",") {
      endCell();
      cellStart = true;
    } else if (c === "\n") {
      endRow();
      line++;
      rowLine = line;
      cellStart = true;
    } else if (c !== "\r") {
      cell += c;
      if (c !== " " && c !== "\t") cellStart = false;
    }
  }
  if (quote) {
    problems.push({
      line: quoteLine,
      message: `a quoted cell opened with ${quote} is never closed`,
      hint: "Close the quote, or remove it.",
    });
  } else if (cell !== "" || cells.length > 0) endRow();
  return { rows, problems };
}

const ALNUM = /^[A-Za-z0-9]+$/;
const PLAN_ID = /^[a-z0-9]+$/;

/** The problem with a key value, described without the value itself; undefined when it is fine. */
export function valueProblem(value: string): string | undefined {
  if (value === "") return "the Key cell is empty";
  if (value.length < 20) return `the key value is ${value.length} characters long; AWS needs 20 to 128`;
  if (value.length > 128) return `the key value is ${value.length} characters long; AWS allows at most 128`;
  if (!ALNUM.test(value)) {
    const at = [...value].findIndex((ch) => !/[A-Za-z0-9]/.test(ch)) + 1;
    return `the key value has a character that is not a letter or digit (at position ${at}); AWS allows only A-Z, a-z and 0-9`;
  }
  return undefined;
}

function checkHeader(header: RawRow, problems: CsvProblem[]): Map<KeyColumn, number> | undefined {
  const cols = new Map<KeyColumn, number>();
  const before = problems.length;
  header.cells.forEach((raw, i) => {
    const name = raw.toLowerCase() as KeyColumn;
    if (!KEY_COLUMNS.includes(name)) {
      problems.push({
        line: header.line,
        message: `unknown column "${raw}"`,
        hint: `The columns are Name, Key, Description, Enabled and UsagePlanIds (any case, any order).`,
      });
    } else if (cols.has(name)) problems.push({ line: header.line, message: `column "${raw}" appears twice` });
    else cols.set(name, i);
  });
  for (const required of ["name", "key"] as const) {
    if (!cols.has(required)) {
      problems.push({
        line: header.line,
        message: `the header has no ${required === "name" ? "Name" : "Key"} column`,
        hint: "The first line must name the columns, e.g. name,key,description,enabled,usageplanids",
      });
    }
  }
  return problems.length > before ? undefined : cols;
}

export interface CsvCheckOptions {
  /** At most this many rows (default MAX_API_KEYS; pass what the account has room for). */
  maxRows?: number;
}

/**
 * Checks an API-key file. A byte-order mark and CRLF line ends are refused (located), as are a wrong
 * header, short, long or non-alphanumeric values, repeated values, bad Enabled cells, malformed usage plan
 * ids and more rows than AWS allows keys.
 */
export function checkKeysCsv(text: string, opts: CsvCheckOptions = {}): CsvCheck {
  const problems: CsvProblem[] = [];
  if (text.trim() === "") return { rows: [], problems: [{ line: 1, message: "the file is empty" }] };
  if (text.charCodeAt(0) === 0xfeff) {
    problems.push({
      line: 1,
      message: "the file starts with a byte-order mark (BOM)",
      hint: "Save it as UTF-8 without BOM (AWS would read the first column name with the BOM in it).",
    });
    text = text.slice(1);
  }
  const crlf = text.indexOf("\r\n");
  if (crlf >= 0) {
    problems.push({
      line: text.slice(0, crlf).split("\n").length,
      message: "the file has Windows (CRLF) line ends",
      hint: "Convert it to LF line ends, e.g. `dos2unix FILE` or `sed -i 's/\\r$//' FILE`.",
    });
  }
  const read = readCsv(text);
  problems.push(...read.problems);
  const [header, ...data] = read.rows;
  if (!header) return { rows: [], problems };
  const cols = checkHeader(header, problems);
  if (!cols) return { rows: [], problems: sortProblems(problems) };
  const max = opts.maxRows ?? MAX_API_KEYS;
  if (data.length > max) {
    problems.push({
      line: data[max]!.line,
      message: `the file has ${data.length} keys; at most ${max} can be imported (AWS allows ${MAX_API_KEYS} API keys per region, and that includes the keys that exist)`,
      hint: "Split the file, or delete unused keys first.",
    });
  }
  const rows: ImportRow[] = [];
  const firstLine = new Map<string, number>();
  const cell = (r: RawRow, c: KeyColumn) => {
    const i = cols.get(c);
    return i === undefined ? "" : (r.cells[i] ?? "");
  };
  for (const r of data) {
    const at = (message: string, hint?: string) =>
      problems.push({ line: r.line, message, ...(hint ? { hint } : {}) });
    const before = problems.length;
    if (r.cells.length > header.cells.length) {
      at(
        `${r.cells.length} cells but the header names ${header.cells.length} columns`,
        'Quote a cell that contains a comma: "ab12cd,ef34gh".',
      );
    }
    const value = cell(r, "key");
    const vp = valueProblem(value);
    if (vp) at(vp);
    else if (firstLine.has(value))
      at(`the same key value as line ${firstLine.get(value)}`, "Each key value must be unique.");
    else firstLine.set(value, r.line);
    const name = cell(r, "name");
    if (name.length > 1024) at(`the name is ${name.length} characters long; AWS allows at most 1024`);
    const description = cell(r, "description");
    if (description.length > 125_000) at("the description is longer than 125,000 characters");
    const enabledRaw = cell(r, "enabled");
    if (enabledRaw !== "" && !/^(true|false)$/i.test(enabledRaw))
      at(`Enabled is "${enabledRaw}"; use true or false`);
    const usagePlanIds = [
      ...new Set(
        cell(r, "usageplanids")
          .split(",")
          .map((s) => s.trim())
          .filter((s) => s !== ""),
      ),
    ];
    for (const id of usagePlanIds) {
      if (!PLAN_ID.test(id))
        at(`"${id}" is not a usage plan id (API Gateway ids are lower-case letters and digits)`);
    }
    if (problems.length > before) continue;
    rows.push({
      line: r.line,
      name,
      value,
      description,
      ...(enabledRaw !== "" ? { enabled: enabledRaw.toLowerCase() === "true" } : {}),
      usagePlanIds,
    });
  }
  if (data.length === 0) problems.push({ line: header.line, message: "the file has a header but no keys" });
  return { rows, problems: sortProblems(problems) };
}

function sortProblems(problems: CsvProblem[]): CsvProblem[] {
  return [...problems].sort((a, b) => a.line - b.line);
}

function quoted(cell: string): string {
  return /[",'\n\r]/.test(cell) || cell !== cell.trim() ? `"${cell.replace(/"/g, '""')}"` : cell;
}

/** The file ImportApiKeys receives: checked rows in one canonical form, with `extraPlanIds` on every row. */
export function buildKeysCsv(rows: readonly ImportRow[], extraPlanIds: readonly string[] = []): string {
  const lines = ["name,key,description,enabled,usageplanids"];
  for (const r of rows) {
    const plans = [...new Set([...r.usagePlanIds, ...extraPlanIds])].join(",");
    const enabled = r.enabled === undefined ? "" : String(r.enabled);
    lines.push([r.name, r.value, r.description, enabled, plans].map(quoted).join(","));
  }
  return `${lines.join("\n")}\n`;
}
