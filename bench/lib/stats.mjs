// Small statistics and report-layout helpers shared by the benchmarks.

export const r1 = (x) => Math.round(x * 10) / 10;
export const r2 = (x) => Math.round(x * 100) / 100;

/** min, median and max of samples (ms), rounded to 0.1. */
export function stats(samples) {
  const sorted = [...samples].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return {
    runs: samples.length,
    minMs: r1(sorted[0]),
    medianMs: r1(median),
    maxMs: r1(sorted.at(-1)),
    samplesMs: samples.map(r1),
  };
}

/** A Markdown table with padded columns (the layout `biome format` gives, so `npm run lint` stays clean). */
export function mdTable(header, rows) {
  const all = [header, ...rows].map((r) => r.map(String));
  const w = header.map((_, c) => Math.max(3, ...all.map((r) => r[c].length)));
  const line = (r) => `| ${r.map((x, c) => x.padEnd(w[c])).join(" | ")} |`;
  return [line(all[0]), line(w.map((n) => "-".repeat(n))), ...all.slice(1).map(line)];
}

/** JSON laid out like `biome format`: objects expanded, arrays of scalars on one line when they fit. */
export function toJson(value, indent = "", key = "") {
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return "[]";
    const flat = value.every((v) => v === null || typeof v !== "object");
    const oneLine = `[${value.map((v) => JSON.stringify(v)).join(", ")}]`;
    if (flat && indent.length + key.length + oneLine.length + 1 <= 110) return oneLine;
    return `[\n${value.map((v) => `${inner}${toJson(v, inner)}`).join(",\n")}\n${indent}]`;
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return "{}";
    const body = entries.map(([k, v]) => {
      const head = `${JSON.stringify(k)}: `;
      return `${inner}${head}${toJson(v, inner, head)}`;
    });
    return `{\n${body.join(",\n")}\n${indent}}`;
  }
  return JSON.stringify(value);
}

/** The machine a benchmark ran on. */
export async function machine() {
  const os = await import("node:os");
  const cpus = os.cpus();
  return {
    node: process.version,
    platform: os.platform(),
    arch: os.arch(),
    cpuModel: cpus[0]?.model ?? "unknown",
    cpus: cpus.length,
    memoryGB: r1(os.totalmem() / 1024 ** 3),
    loadAverage: os.loadavg().map(r2),
  };
}
