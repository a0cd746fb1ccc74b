// Running the built CLI (`node bin/upg ...`) from a benchmark: a clean environment, wall time measured around
// the child (Node's start-up included) and, when asked, the child's peak RSS through the peak-rss.mjs preload.

import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "bin", "upg");
const PEAK_RSS = pathToFileURL(join(ROOT, "bench", "lib", "peak-rss.mjs")).href;

/** The environment for child processes: no inherited Node options, AWS profile or colours. */
export function cleanEnv() {
  const env = { ...process.env, NO_COLOR: "1" };
  for (const k of Object.keys(env)) {
    if (k === "NODE_OPTIONS" || k.startsWith("AWS_") || k === "FORCE_COLOR") delete env[k];
  }
  return env;
}

/** Run `node bin/upg ...args` synchronously; returns wall ms, exit code and output. */
export function upgSync(args, { cwd = ROOT, env = {}, nodeArgs = [] } = {}) {
  const start = process.hrtime.bigint();
  const res = spawnSync(process.execPath, [...nodeArgs, BIN, ...args], {
    cwd,
    env: { ...cleanEnv(), ...env },
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (res.error) throw res.error;
  return { ms, code: res.status, stdout: res.stdout, stderr: res.stderr };
}

/**
 * Run `node bin/upg ...args` asynchronously (needed while a sandbox serves from this process). With
 * `peakRss: true` the result also has `peakRssMB`: the child's peak resident set (getrusage maxRSS at exit).
 */
export function upgAsync(args, { cwd, env = {}, peakRss = false }) {
  let dir;
  let rssFile;
  if (peakRss) {
    dir = mkdtempSync(join(os.tmpdir(), "upg-bench-rss-"));
    rssFile = join(dir, "rss");
    writeFileSync(rssFile, "");
  }
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, [...(peakRss ? ["--import", PEAK_RSS] : []), BIN, ...args], {
      cwd,
      env: { ...cleanEnv(), ...env, ...(peakRss ? { UPG_BENCH_PEAK_RSS: rssFile } : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d) => {
      stdout += d;
    });
    child.stderr.setEncoding("utf8").on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      let peakRssMB;
      if (peakRss) {
        const kib = Number(readFileSync(rssFile, "utf8").trim().split("\n").at(-1));
        peakRssMB = Number.isFinite(kib) && kib > 0 ? Math.round((kib / 1024) * 10) / 10 : undefined;
        rmSync(dir, { recursive: true, force: true });
      }
      resolve({ ms, code, stdout, stderr, ...(peakRss ? { peakRssMB } : {}) });
    });
  });
}

export function expectCode(what, res, expected = 0) {
  const ok = Array.isArray(expected) ? expected.includes(res.code) : res.code === expected;
  if (!ok) {
    throw new Error(
      `${what} exited ${res.code}, expected ${expected}\n--- stdout ---\n${res.stdout.slice(-3000)}\n--- stderr ---\n${res.stderr.slice(-3000)}`,
    );
  }
}
