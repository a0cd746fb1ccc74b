#!/usr/bin/env node
// npm run chaos [-- SCENARIOS [BASE_SEED]]: the chaos suite (test/apply/chaos.test.ts) with many seeds;
// the figures go to bench/CHAOS.md. Defaults: 200 scenarios, seeds 1000 on (or CHAOS_SCENARIOS,
// CHAOS_BASE_SEED). A failing seed is printed with the command that replays it alone.
import { spawnSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const [count = process.env.CHAOS_SCENARIOS ?? "200", base = process.env.CHAOS_BASE_SEED ?? "1000"] =
  process.argv.slice(2);
for (const [name, v] of [
  ["SCENARIOS", count],
  ["BASE_SEED", base],
]) {
  if (!/^\d+$/.test(v)) {
    console.error(`chaos: ${name} must be a whole number, not ${v}`);
    process.exit(2);
  }
}
const vitest = join(dirname(createRequire(import.meta.url).resolve("vitest/package.json")), "vitest.mjs");
const r = spawnSync(process.execPath, [vitest, "run", "test/apply/chaos.test.ts"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, CHAOS_SCENARIOS: count, CHAOS_BASE_SEED: base },
});
process.exit(r.status ?? 1);
