// The README's quick start: `npm run demo` must keep working. It runs the built demo, which plays the whole
// story against its own embedded sandbox and fails when any step exits with an unexpected code.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const DEMO = fileURLToPath(new URL("../../dist/demo/run-demo.js", import.meta.url));

function runDemo(): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [DEMO], {
      env: { ...process.env, NO_COLOR: "1", CI: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
    });
    child.stderr.on("data", (d) => {
      out += d;
    });
    child.on("close", (code) => resolve({ code: code ?? -1, out }));
  });
}

describe("npm run demo", () => {
  it("plays the quick start to the end: drift caught, repaired, clean, audit verified", {
    timeout: 120_000,
  }, async () => {
    const r = await runDemo();
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/CRITICAL \(1\)\n {2}free-weather \(\w+\): plan_deleted/);
    expect(r.out).toMatch(/premium-weather \(\w+\): rate_limit_changed .*should be 500, is 5000/);
    expect(r.out).toContain("No drift in us-east-1");
    expect(r.out).toMatch(/Audit log OK: \d+ rows/);
    expect(r.out).toContain("▶ Done.");
  });
});
