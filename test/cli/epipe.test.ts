// `upg --help | head -1`: a reader that goes away must not turn into an EPIPE stack trace.

import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { UPG_BIN } from "../helpers/cli.js";

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  firstLine: string;
}

/** Run the built CLI with stdout piped into a reader that closes after the first line (or at once). */
function runIntoClosingReader(args: string[], closeAt: "first-line" | "start"): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [UPG_BIN, ...args], {
      env: { ...process.env, NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    let out = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    if (closeAt === "start") child.stdout.destroy();
    else
      child.stdout.on("data", (d) => {
        out += d;
        if (out.includes("\n")) child.stdout.destroy();
      });
    const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stderr, firstLine: out.split("\n")[0] ?? "" });
    });
  });
}

describe("a closed stdout (upg … | head -1)", () => {
  it.each([
    [["--help"], "start"],
    [["help", "plan"], "start"],
    [["--help"], "first-line"],
    [["help", "plan"], "first-line"],
  ] as const)("upg %j with the reader closing at %s: no stack trace, exit 0", async (args, closeAt) => {
    // Three times: whether the write hits the closed pipe depends on timing.
    for (let i = 0; i < 3; i++) {
      const r = await runIntoClosingReader([...args], closeAt);
      expect(r.stderr).not.toMatch(/EPIPE|Unhandled 'error' event|\n\s+at /);
      expect(r.stderr).toBe("");
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
      if (closeAt === "first-line") expect(r.firstLine).toMatch(/^Usage: upg/);
    }
  });
});
