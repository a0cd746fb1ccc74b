// Special files in plans/ (a FIFO, a symlink to /dev/zero) must be refused at once, never read.

import { execFileSync } from "node:child_process";
import { existsSync, symlinkSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, loadConfig } from "../../src/spec/config.js";
import { loadSpecs } from "../../src/spec/load.js";
import { MAX_FILE_BYTES, readTextFile } from "../../src/spec/yaml-source.js";
import { runCli } from "../helpers/cli.js";
import { tmpTrees } from "../helpers/tmp.js";

const tree = tmpTrees();

const good = "plan_id: p\nname: P\nrate_limit: 10\nburst_limit: 20\nstages: [abc:prod]\n";
const canMkfifo = (() => {
  try {
    execFileSync("mkfifo", ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
})();

/** plans/ with a good plan, a FIFO and a symlink to /dev/zero (both named *.yaml). */
function specialTree() {
  const t = tree({ "plans/good.yaml": good, "upg.config.yaml": "regions: [us-east-1]\n" });
  execFileSync("mkfifo", [t.path("plans/pipe.yaml")]);
  symlinkSync("/dev/zero", t.path("plans/zero.yaml"));
  return t;
}

describe.skipIf(!canMkfifo || !existsSync("/dev/zero"))("special files", () => {
  it("a FIFO and a symlink to /dev/zero are located errors naming what they are; the good plan loads", () => {
    const t = specialTree();
    const started = Date.now();
    const r = loadSpecs([t.path("plans")], DEFAULT_CONFIG, { cwd: t.dir });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.plans.map((p) => p.planId)).toEqual(["p"]);
    expect(r.diagnostics).toEqual([
      {
        severity: "error",
        code: "not_regular_file",
        file: "plans/pipe.yaml",
        line: 1,
        col: 1,
        path: "",
        message: "Not a regular file: a named pipe (FIFO).",
        hint: expect.stringContaining("only regular files"),
      },
      {
        severity: "error",
        code: "not_regular_file",
        file: "plans/zero.yaml",
        line: 1,
        col: 1,
        path: "",
        message: "Not a regular file: a character device (a symbolic link to /dev/zero).",
        hint: expect.stringContaining("only regular files"),
      },
    ]);
  });

  it("a special file as the project file is refused too", () => {
    const t = specialTree();
    expect(loadConfig(t.path("plans/pipe.yaml")).diagnostics.map((d) => d.code)).toEqual([
      "not_regular_file",
    ]);
  });

  it("upg validate exits 1 promptly with the file and what it is", async () => {
    const t = specialTree();
    const started = Date.now();
    const r = await runCli(["validate"], { cwd: t.dir, timeoutMs: 20_000 });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("plans/pipe.yaml:1:1: error: Not a regular file: a named pipe (FIFO).");
    expect(r.stderr).toContain(
      "plans/zero.yaml:1:1: error: Not a regular file: a character device (a symbolic link to /dev/zero).",
    );
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("size limit", () => {
  it("a file over the limit is refused; one at the limit is read", () => {
    const t = tree({
      "big.yaml": `# ${"x".repeat(MAX_FILE_BYTES - 2)}\n`,
      "at.yaml": `# ${"x".repeat(MAX_FILE_BYTES - 3)}\n`,
    });
    expect(readTextFile(t.path("big.yaml")).diagnostic?.code).toBe("file_too_large");
    expect(readTextFile(t.path("at.yaml")).text).toHaveLength(MAX_FILE_BYTES);
  });
});
