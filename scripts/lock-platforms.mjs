#!/usr/bin/env node
// Keeps package-lock.json valid for `npm ci` on every platform: when the registry in use does not
// serve some of @biomejs/biome's platform binaries, `npm install` leaves them out of the lockfile and
// `npm ci` then refuses it ("Missing: @biomejs/cli-… from lock file"). This adds the missing
// optional entries (os/cpu/libc from the package name); npm skips them on other platforms.
import { readFileSync, writeFileSync } from "node:fs";

const LOCK = new URL("../package-lock.json", import.meta.url);
const lock = JSON.parse(readFileSync(LOCK, "utf8"));
const biome = lock.packages["node_modules/@biomejs/biome"];
if (!biome) throw new Error("package-lock.json has no @biomejs/biome");

let added = 0;
for (const [name, version] of Object.entries(biome.optionalDependencies ?? {})) {
  const key = `node_modules/${name}`;
  if (lock.packages[key]) continue;
  const m = /^@biomejs\/cli-(\w+)-(\w+?)(-musl)?$/.exec(name);
  if (!m) continue;
  const entry = { version, cpu: [m[2]], dev: true, license: biome.license, optional: true, os: [m[1]] };
  if (m[3]) entry.libc = ["musl"];
  else if (m[1] === "linux") entry.libc = ["glibc"];
  lock.packages[key] = entry;
  added++;
}
const sorted = Object.fromEntries(Object.entries(lock.packages).sort(([a], [b]) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : 1)));
lock.packages = sorted;
writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
process.stdout.write(`lock-platforms: added ${added} optional platform entr${added === 1 ? "y" : "ies"}.\n`);
