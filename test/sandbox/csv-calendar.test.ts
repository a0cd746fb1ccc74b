/** Unit tests of two pure helpers: the CSV reader and the quota-period calendar. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatDay, parseDay, periodStart } from "../../src/sandbox/calendar.js";
import { parseCsv } from "../../src/sandbox/csv.js";

describe("parseCsv", () => {
  it("reads quoted cells (double and single quotes), doubled quotes, CRLF and blank lines", () => {
    expect(parseCsv('a,"b,c",\'d,e\'\r\n\r\n"say ""hi""", x ,\n')).toEqual([
      ["a", "b,c", "d,e"],
      ['say "hi"', "x", ""],
    ]);
  });

  it("keeps apostrophes inside unquoted cells and strips a BOM", () => {
    expect(parseCsv("\uFEFFname\nO'Brien")).toEqual([["name"], ["O'Brien"]]);
  });

  it("round-trips any cells written with double quotes", () => {
    const cell = fc.string().filter((s) => s.trim() === s);
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 5 }),
        (rows) => {
          const nonBlank = rows.filter((r) => r.some((c) => c !== ""));
          const text = nonBlank.map((r) => r.map((c) => `"${c.replace(/"/g, '""')}"`).join(",")).join("\n");
          expect(parseCsv(text)).toEqual(nonBlank);
        },
      ),
    );
  });
});

describe("calendar", () => {
  it("parses and formats YYYY-MM-DD, rejecting impossible dates", () => {
    expect(formatDay(parseDay("2024-02-29", "d"))).toBe("2024-02-29");
    for (const bad of ["2023-02-29", "2024-1-01", "yesterday", null])
      expect(() => parseDay(bad, "d")).toThrow();
  });

  it("finds period starts for DAY, WEEK (Monday + offset) and MONTH (day 1 + offset)", () => {
    const day = parseDay("2024-05-15", "d"); // a Wednesday
    const start = (period: "DAY" | "WEEK" | "MONTH", offset: number) =>
      formatDay(periodStart(day, { limit: 1, period, offset }));
    expect(start("DAY", 0)).toBe("2024-05-15");
    expect(start("WEEK", 0)).toBe("2024-05-13");
    expect(start("WEEK", 2)).toBe("2024-05-15");
    expect(start("WEEK", 3)).toBe("2024-05-09");
    expect(start("MONTH", 0)).toBe("2024-05-01");
    expect(start("MONTH", 20)).toBe("2024-04-21");
    expect(
      formatDay(periodStart(parseDay("2024-01-05", "d"), { limit: 1, period: "MONTH", offset: 9 })),
    ).toBe("2023-12-10");
  });

  it("every day lies within 7 (WEEK) or 31 (MONTH) days after its period start", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 40_000 }), fc.integer({ min: 0, max: 27 }), (day, offset) => {
        const week = periodStart(day, { limit: 1, period: "WEEK", offset: offset % 7 });
        const month = periodStart(day, { limit: 1, period: "MONTH", offset });
        expect(day - week).toBeGreaterThanOrEqual(0);
        expect(day - week).toBeLessThan(7);
        expect(day - month).toBeGreaterThanOrEqual(0);
        expect(day - month).toBeLessThan(31);
      }),
    );
  });
});
