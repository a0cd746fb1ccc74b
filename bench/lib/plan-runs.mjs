// Consecutive full `upg plan` runs against a sandbox already holding the applied project: wall time, API
// calls per run, the 429s upg received in each run and each run's peak RSS. Used by bench/run.mjs (`plan`)
// and bench/side-by-side.mjs (the full-plan scenario), so the "no 429 in 20 runs" figure is measured once.

import { expectCode, upgAsync } from "./cli.mjs";
import { stats } from "./stats.mjs";

/**
 * One untimed warm-up, then `runs` timed `upg plan --detailed-exitcode` runs, each of which must exit 0
 * (nothing to change). `bench` is startBenchSandbox()'s result; `counters()` reads the API Gateway calls.
 */
export async function consecutivePlans({
  bench,
  dir,
  env,
  runs,
  counters = () => bench.sb.admin.counters(),
}) {
  expectCode("upg plan (warm-up)", await upgAsync(["plan", "--detailed-exitcode"], { cwd: dir, env }));
  const samples = [];
  const throttledPerRun = [];
  const rss = [];
  let calls;
  let summary;
  for (let i = 0; i < runs; i++) {
    await bench.resetCounts();
    const res = await upgAsync(["plan", "--detailed-exitcode"], { cwd: dir, env, peakRss: true });
    expectCode("upg plan --detailed-exitcode", res);
    samples.push(res.ms);
    throttledPerRun.push(bench.gateway.throttled());
    if (res.peakRssMB !== undefined) rss.push(res.peakRssMB);
    calls = { apiGateway: await counters(), dynamodb: bench.dynamo.counts() };
    summary = res.stdout.trim().split("\n").filter(Boolean).at(-1);
  }
  return {
    ...stats(samples),
    summary,
    calls,
    throttled: {
      perRun: throttledPerRun,
      total: throttledPerRun.reduce((x, y) => x + y, 0),
      runsWithAny: throttledPerRun.filter((n) => n > 0).length,
    },
    peakRssMB: rss.length > 0 ? Math.max(...rss) : undefined,
  };
}
