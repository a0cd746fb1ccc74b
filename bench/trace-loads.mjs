// Preload for `node --import ./bench/trace-loads.mjs ...`: records every module the process loads, one
// per line, into the file named by UPG_BENCH_TRACE. ESM (and the CommonJS entry points ESM imports) are
// seen by a load hook running in Node's hooks thread; CommonJS files required from there on are read
// from the shared require cache when the process exits. Only for bench/run.mjs: the hooks thread adds
// start-up time, so traced runs are never the timed ones.
import { appendFileSync } from "node:fs";
import { createRequire, register } from "node:module";

const out = process.env.UPG_BENCH_TRACE;
if (out) {
  register("./trace-hooks.mjs", import.meta.url, { data: { out } });
  const require = createRequire(import.meta.url);
  process.on("exit", () => {
    const files = Object.keys(require.cache);
    if (files.length > 0) appendFileSync(out, `${files.map((f) => `cjs ${f}`).join("\n")}\n`);
  });
}
