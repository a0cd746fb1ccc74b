/**
 * A small CSV reader for ImportApiKeys: comma separated, CRLF or LF line ends, blank lines skipped, cells
 * trimmed. A cell that starts with `"` or `'` is quoted up to the matching quote (a doubled quote is a literal
 * one), so `"ab12cd,ef34gh"` and `'ab12cd,ef34gh'` are both one cell, as the API key file format allows.
 */
import { fail } from "./errors.js";

class CsvReader {
  readonly rows: string[][] = [];
  private row: string[] = [];
  private cell = "";
  private quote: string | undefined;
  private cellStart = true;

  constructor(private readonly text: string) {}

  read(): string[][] {
    for (let i = 0; i < this.text.length; i++) i = this.step(i);
    if (this.quote) fail("BadRequestException", "Invalid API key file: unterminated quoted value");
    if (this.cell !== "" || this.row.length > 0) this.endRow();
    return this.rows;
  }

  /** Consume the character at `i`; returns the index of the last character consumed. */
  private step(i: number): number {
    const c = this.text[i] ?? "";
    const next = this.text[i + 1];
    if (this.quote) return this.stepQuoted(i, c, next);
    if (this.cellStart && (c === '"' || c === "'")) this.quote = c;
    else if (c === ",") this.endCell();
    else if (c === "\n" || (c === "\r" && next !== "\n")) this.endRow();
    else if (c !== "\r") this.cell += c;
    this.cellStart = c === "," || c === "\n" || c === "\r";
    return i;
  }

  private stepQuoted(i: number, c: string, next: string | undefined): number {
    if (c !== this.quote) {
      this.cell += c;
      return i;
    }
    if (next === this.quote) {
      this.cell += c;
      return i + 1;
    }
    this.quote = undefined;
    return i;
  }

  private endCell(): void {
    this.row.push(this.cell.trim());
    this.cell = "";
  }

  private endRow(): void {
    this.endCell();
    if (this.row.some((c) => c !== "")) this.rows.push(this.row);
    this.row = [];
  }
}

export function parseCsv(text: string): string[][] {
  return new CsvReader(text.replace(/^\uFEFF/, "")).read();
}
