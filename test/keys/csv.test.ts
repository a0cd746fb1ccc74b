import { describe, expect, it } from "vitest";
import { buildKeysCsv, checkKeysCsv, readCsv, valueProblem } from "../../src/keys/csv.js";
import { parseOverlap, resolveKey } from "../../src/keys/resolve.js";
import { sparkline, usageRange } from "../../src/keys/usage.js";

const V = (n: number) => `Val${String(n).padStart(20, "0")}`;

describe("checkKeysCsv", () => {
  it("accepts AWS's header variants: any case, any order, quoted plan ids with , inside", () => {
    const text = `key,Name,description,Enabled,UsagePlanIds\n${V(1)},partner-a,first partner,TRUE,"ab12cd,ef34gh"\n${V(2)},partner-b,,false,'ab12cd'\n`;
    const r = checkKeysCsv(text);
    expect(r.problems).toEqual([]);
    expect(r.rows).toEqual([
      {
        line: 2,
        name: "partner-a",
        value: V(1),
        description: "first partner",
        enabled: true,
        usagePlanIds: ["ab12cd", "ef34gh"],
      },
      { line: 3, name: "partner-b", value: V(2), description: "", enabled: false, usagePlanIds: ["ab12cd"] },
    ]);
    expect(checkKeysCsv(`NAME,KEY\nx,${V(3)}\n`).rows[0]).toMatchObject({
      name: "x",
      value: V(3),
      usagePlanIds: [],
    });
  });

  it("reports every bad row with its line number and never the value", () => {
    const text = [
      "name,key,enabled",
      `a,${V(1)},true`,
      "b,tooShort1,true",
      `c,${"x".repeat(129)},true`,
      `d,${V(1).slice(0, -1)}-,true`,
      `e,${V(1)},true`,
      `f,${V(6)},yes`,
      `g,${V(7)},true,extra`,
    ].join("\n");
    const r = checkKeysCsv(text);
    expect(r.problems.map((p) => [p.line, p.message])).toEqual([
      [3, "the key value is 9 characters long; AWS needs 20 to 128"],
      [4, "the key value is 129 characters long; AWS allows at most 128"],
      [5, expect.stringContaining("not a letter or digit (at position 23)")],
      [6, "the same key value as line 2"],
      [7, 'Enabled is "yes"; use true or false'],
      [8, "4 cells but the header names 3 columns"],
    ]);
    expect(JSON.stringify(r.problems)).not.toContain(V(1));
  });

  it("a BOM, CRLF line ends, wrong headers, an empty file, an open quote", () => {
    expect(checkKeysCsv(`\uFEFFname,key\nx,${V(1)}\n`).problems[0]).toMatchObject({
      line: 1,
      message: expect.stringContaining("byte-order mark"),
    });
    expect(checkKeysCsv(`name,key\nx,${V(1)}\r\ny,${V(2)}\r\n`).problems).toEqual([
      expect.objectContaining({ line: 2, message: "the file has Windows (CRLF) line ends" }),
    ]);
    expect(checkKeysCsv(`name,value\nx,${V(1)}\n`).problems.map((p) => p.message)).toEqual([
      'unknown column "value"',
      "the header has no Key column",
    ]);
    expect(checkKeysCsv("name,name,key\n").problems[0]!.message).toBe('column "name" appears twice');
    expect(checkKeysCsv("  \n").problems).toEqual([{ line: 1, message: "the file is empty" }]);
    expect(checkKeysCsv("name,key\n").problems[0]!.message).toBe("the file has a header but no keys");
    expect(checkKeysCsv(`name,key\n"x,${V(1)}\n`).problems).toContainEqual({
      line: 2,
      message: expect.stringContaining("never closed"),
      hint: expect.any(String),
    });
  });

  it("too many rows: located at the first row over the limit", () => {
    const lines = ["name,key", ...Array.from({ length: 20_000 }, (_, i) => `k${i},${V(i)}`)];
    const r = checkKeysCsv(lines.join("\n"));
    expect(r.problems[0]).toMatchObject({
      line: 10_002,
      message: expect.stringContaining("20000 keys; at most 10000"),
    });
    expect(checkKeysCsv(lines.slice(0, 4).join("\n"), { maxRows: 2 }).problems[0]!.line).toBe(4);
  });

  it("readCsv keeps line numbers across quoted newlines; buildKeysCsv quotes and adds plans", () => {
    expect(readCsv('a,"b\nc"\nd,e\n').rows).toEqual([
      { line: 1, cells: ["a", "b\nc"] },
      { line: 3, cells: ["d", "e"] },
    ]);
    const csv = buildKeysCsv(
      [{ line: 2, name: "a, b", value: V(1), description: 'say "hi"', usagePlanIds: ["ab12cd"] }],
      ["zz99yy"],
    );
    expect(csv).toBe(
      `name,key,description,enabled,usageplanids\n"a, b",${V(1)},"say ""hi""",,"ab12cd,zz99yy"\n`,
    );
    expect(checkKeysCsv(csv).rows[0]).toMatchObject({
      name: "a, b",
      description: 'say "hi"',
      usagePlanIds: ["ab12cd", "zz99yy"],
    });
    expect(valueProblem("")).toBe("the Key cell is empty");
  });
});

describe("keys helpers", () => {
  it("parseOverlap", () => {
    expect(parseOverlap("7d")).toBe(7 * 86_400_000);
    expect(parseOverlap("36h")).toBe(36 * 3_600_000);
    expect(() => parseOverlap("7x")).toThrow(/not a duration/);
    expect(() => parseOverlap("0m")).toThrow(/not a duration/);
    expect(() => parseOverlap("91d")).toThrow(/not a duration/);
  });
  it("resolveKey by id or unique name", () => {
    const keys = [
      { id: "a1", name: "x" },
      { id: "b2", name: "y" },
      { id: "c3", name: "y" },
    ];
    expect(resolveKey(keys, "a1").id).toBe("a1");
    expect(resolveKey(keys, "x").id).toBe("a1");
    expect(() => resolveKey(keys, "y")).toThrow(/2 API keys are named "y": b2, c3/);
    expect(() => resolveKey(keys, "z")).toThrow(/No API key "z"/);
  });
  it("usageRange and sparkline", () => {
    const now = new Date("2026-03-10T12:00:00Z");
    expect(usageRange(undefined, undefined, now)).toEqual({ from: "2026-03-04", to: "2026-03-10" });
    expect(() => usageRange("2026-03-05", "2026-03-01", now)).toThrow(/before --from/);
    expect(() => usageRange("2026-04-01", undefined, now)).toThrow(/is before|in the future/);
    expect(() => usageRange("2026-03-11", "2026-03-12", now)).toThrow(/in the future/);
    expect(() => usageRange("2024-01-01", "2026-01-01", now)).toThrow(/at most 366/);
    expect(sparkline([0, 1, 4, 8])).toBe("▁▂▅█");
    expect(sparkline([0, 0])).toBe("▁▁");
  });
});
