// Preload for `node --import bench/lib/peak-rss.mjs bin/upg ...`: when the process exits, append its peak
// resident set size (getrusage maxRSS, in KiB, as process.resourceUsage() reports it) to the file named by
// UPG_BENCH_PEAK_RSS. The kernel keeps the high-water mark, so nothing is sampled and no peak is missed; only a
// process killed by a signal writes nothing.
import { appendFileSync } from "node:fs";

const out = process.env.UPG_BENCH_PEAK_RSS;
if (out) {
  process.on("exit", () => {
    appendFileSync(out, `${process.resourceUsage().maxRSS}\n`);
  });
}
