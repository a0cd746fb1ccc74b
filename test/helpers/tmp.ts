import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach } from "vitest";

/** A temporary directory holding the given files (paths relative to it). */
export function tmpTree(files: Record<string, string | Buffer>): {
  dir: string;
  path(p: string): string;
  cleanup(): void;
} {
  const dir = mkdtempSync(join(tmpdir(), "upg-test-"));
  for (const [rel, content] of Object.entries(files)) {
    const full = join(dir, rel);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return { dir, path: (p) => join(dir, p), cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * `tmpTree` for one test file, each tree removed after every test. Call it at the top level of the file:
 * `const tree = tmpTrees();` then `tree({ "upg.config.yaml": "…" })` in the tests.
 */
export function tmpTrees(): (files: Record<string, string | Buffer>) => ReturnType<typeof tmpTree> {
  const made: Array<() => void> = [];
  afterEach(() => {
    for (const cleanup of made.splice(0)) cleanup();
  });
  return (files) => {
    const t = tmpTree(files);
    made.push(t.cleanup);
    return t;
  };
}
