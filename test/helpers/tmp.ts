import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

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
