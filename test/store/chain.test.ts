// verifyChain is pure: rows and head item in, findings out, whatever the rows hold.

import { describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/model/record.js";
import { auditHash, GENESIS_HASH, verifyChain } from "../../src/store/index.js";
import { sampleEntry } from "./helpers.js";

function chain(n: number): AuditRecord[] {
  const rows: AuditRecord[] = [];
  for (let i = 1; i <= n; i++) {
    const row = {
      ...sampleEntry("p", i),
      stream: "chain",
      seq: i,
      prev_hash: rows[i - 2]?.hash ?? GENESIS_HASH,
    } as AuditRecord;
    row.hash = auditHash(row);
    rows.push(row);
  }
  return rows;
}

const headOf = (row: AuditRecord | undefined) =>
  row
    ? { stream: "head", seq: 0, last_seq: row.seq, last_hash: row.hash, updated_at: "t" }
    : { stream: "head", seq: 0, last_seq: 0, last_hash: GENESIS_HASH, updated_at: "t" };

describe("verifyChain", () => {
  it("accepts a sound chain and an empty one (with or without head)", () => {
    const rows = chain(4);
    expect(verifyChain(rows, headOf(rows[3]))).toEqual({
      ok: true,
      count: 4,
      problems: [],
      head: { seq: 4, hash: rows[3]!.hash, updated_at: "t" },
    });
    expect(verifyChain([], undefined)).toEqual({ ok: true, count: 0, problems: [], head: null });
    expect(verifyChain([], headOf(undefined)).ok).toBe(true);
  });

  it("never throws on junk rows or a junk head, and reports each as malformed", () => {
    const junk: unknown[] = [null, 7, "row", [], { seq: "1" }, { seq: 2.5, hash: 3 }];
    const v = verifyChain(junk, { last_seq: -1 });
    expect(v.ok).toBe(false);
    expect(v.head).toBeNull();
    expect(v.problems.filter((p) => p.kind === "malformed")).toHaveLength(junk.length);
    expect(v.problems[0]).toMatchObject({
      seq: 1,
      kind: "malformed",
      reason: "malformed row: the row is a null",
    });
    expect(v.problems.some((p) => /`seq` is a string, not a number/.test(p.reason))).toBe(true);
    expect(
      v.problems.some((p) => p.kind === "head_mismatch" && /head item is malformed/.test(p.reason)),
    ).toBe(true);
  });

  it("checks the link after a malformed row against that row's stored hash", () => {
    const rows = chain(3);
    const broken = { ...rows[1], at: 12 };
    const v = verifyChain([rows[0], broken, rows[2]], headOf(rows[2]));
    expect(v.problems).toEqual([
      { seq: 2, kind: "malformed", reason: "malformed row: `at` is a number, not a string" },
    ]);
  });

  it("orders findings by seq so the first one is the first bad row", () => {
    const rows = chain(6);
    const edited = { ...rows[4], actor: "mallory" };
    const v = verifyChain([rows[0], rows[2], rows[3], edited, rows[5]], headOf(rows[5]));
    expect(v.problems.map((p) => [p.seq, p.kind])).toEqual([
      [3, "gap"],
      [5, "edited"],
    ]);
  });

  it("a head at 0 with rows: all rows are past the head", () => {
    const rows = chain(2);
    expect(verifyChain(rows, headOf(undefined)).problems).toEqual([
      {
        seq: 1,
        kind: "past_head",
        reason:
          "seq 1–2 past the chain head (seq 0): an interrupted append (the next apply completes it) or rows added outside upg",
      },
    ]);
  });

  it("several deleted newest rows", () => {
    const rows = chain(5);
    expect(verifyChain(rows.slice(0, 2), headOf(rows[4])).problems).toEqual([
      {
        seq: 3,
        kind: "missing_newest",
        reason: "the chain head is at seq 5 but the last row is seq 2: seq 3–5 deleted",
      },
    ]);
  });
});
