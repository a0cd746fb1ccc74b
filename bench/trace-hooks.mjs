// Module hooks for trace-loads.mjs (they run in Node's hooks thread): append each loaded URL to a file.
import { appendFileSync } from "node:fs";

let out;

export function initialize(data) {
  out = data.out;
}

export async function load(url, context, nextLoad) {
  appendFileSync(out, `esm ${url}\n`);
  return nextLoad(url, context);
}
