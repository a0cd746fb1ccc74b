#!/usr/bin/env node
// apply speed: `upg apply --auto-approve` (the built CLI, dist/) creating N plans × K API keys on the
// time-scaled sandbox, with injected API latency. Reports DynamoDB calls per executed change (counted by a
// proxy in front of dynalite), API Gateway calls, 429s, and wall time ÷ the floor AWS's limits set.
//
//   npm run build && node bench/apply-speed.mjs                      both parts below
//   node bench/apply-speed.mjs calls --plans 300 --keys-per-plan 20  DynamoDB calls per change (scale 0.01)
//   node bench/apply-speed.mjs wall --plans 300 --keys-per-plan 0    wall ÷ floor, 100 ms latency (real time)
//   options: --time-scale S, --latency-ms L, --concurrency C (plans whose changes run at once within a
//   phase, written as `apply: { concurrency: C }` in the project's upg.config.yaml; default 8; 1 is one change at a time), --json
//
// The floor: AWS allows 10 requests/s with a burst of 40; upg paces 10% under that (9/s, burst 36), so N API
// calls take at least (N − 36) / 9 s (scaled by the time scale). Injected latency scales with time too; the
// DynamoDB calls (dynalite, local) do not, which is why the wall-time part runs in real time (scale 1).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { expectCode, ROOT, upgAsync as upg } from "./lib/cli.mjs";
import { AWS_LIMITS } from "./lib/limits.mjs";
import { countingProxy, dynamoOperation } from "./lib/proxy.mjs";
import { createApiKeys } from "./lib/sandbox.mjs";

const AWS = {
  rps: AWS_LIMITS.requestsPerSecond,
  burst: AWS_LIMITS.burst,
  updateIntervalMs: AWS_LIMITS.updateIntervalMs,
};
const PACED = { rps: AWS.rps * 0.9, burst: Math.floor(AWS.burst * 0.9) };

function parseArgs(argv) {
  const parts = [];
  const opts = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "calls" || a === "wall") parts.push(a);
    else if (a === "--plans") opts.plans = Number(argv[++i]);
    else if (a === "--keys-per-plan") opts.keysPerPlan = Number(argv[++i]);
    else if (a === "--time-scale") opts.timeScale = Number(argv[++i]);
    else if (a === "--latency-ms") opts.latencyMs = Number(argv[++i]);
    else if (a === "--concurrency") opts.concurrency = Number(argv[++i]);
    else if (a === "--json") continue;
    else throw new Error(`unknown argument "${a}" (parts: calls, wall)`);
  }
  return { parts: parts.length > 0 ? parts : ["calls", "wall"], opts };
}

const DEFAULTS = {
  calls: { plans: 300, keysPerPlan: 20, timeScale: 0.01, latencyMs: 100, concurrency: 8 },
  wall: { plans: 300, keysPerPlan: 0, timeScale: 1, latencyMs: 100, concurrency: 8 },
};

const log = (s) => process.stdout.write(`${s}\n`);

function generateProject(dir, { plans, keysPerPlan, timeScale, concurrency }) {
  writeFileSync(
    join(dir, "upg.config.yaml"),
    [
      "regions: [us-east-1]",
      // AWS's limits with time scaled like the sandbox (a burst is a token count and does not scale).
      "pacing:",
      `  requests_per_second: ${AWS.rps / timeScale}`,
      `  burst: ${AWS.burst}`,
      `  update_usage_plan_interval_ms: ${AWS.updateIntervalMs * timeScale}`,
      `apply: { concurrency: ${concurrency} }`,
      "",
    ].join("\n"),
  );
  mkdirSync(join(dir, "plans"), { recursive: true });
  const keys = [];
  for (let i = 0; i < plans; i++) {
    const names = Array.from({ length: keysPerPlan }, (_, k) => `speed-key-${i}-${k}`);
    keys.push(...names);
    const doc = [
      `plan_id: speed-${i}`,
      `name: "Speed ${i}"`,
      `rate_limit: ${10 + (i % 50)}`,
      `burst_limit: ${20 + 2 * (i % 50)}`,
      "stages:",
      "  - api_name: weather-api",
      "    stage: prod",
      ...(names.length > 0 ? ["keys:", ...names.map((n) => `  - ${n}`)] : []),
    ];
    writeFileSync(join(dir, "plans", `speed-${i}.yaml`), `${doc.join("\n")}\n`);
  }
  return keys;
}

async function run(part, size) {
  const { startSandbox } = await import(pathToFileURL(join(ROOT, "dist", "sandbox", "index.js")).href);
  const sb = await startSandbox({ timeScale: size.timeScale });
  const dynamo = await countingProxy(sb.dynamodbEndpoint, dynamoOperation);
  const gateway = await countingProxy(sb.apigatewayEndpoint);
  const dir = mkdtempSync(join(os.tmpdir(), "upg-bench-apply-"));
  try {
    await sb.admin.seed();
    const keys = generateProject(dir, size);
    await sb.admin.setThrottling(false);
    await createApiKeys(sb.apigatewayEndpoint, keys);
    await sb.admin.setThrottling(true);
    const env = {
      ...sb.env(),
      AWS_ENDPOINT_URL_API_GATEWAY: gateway.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    };
    expectCode("upg init", await upg(["init"], { cwd: dir, env }));
    await sb.admin.setFaults({ latencyMs: size.latencyMs });
    await sb.admin.resetCounters();
    dynamo.reset();
    gateway.reset();
    const res = await upg(["apply", "--auto-approve", "-o", "json"], { cwd: dir, env });
    expectCode("upg apply --auto-approve", res);
    const out = JSON.parse(res.stdout);
    const results = out.result?.results ?? out.results ?? [];
    const executed = results.filter((r) => r.outcome === "ok").length;
    const apiCalls = (await sb.admin.counters()).total;
    const dyn = dynamo.counts();
    const floorMs = (Math.max(0, apiCalls - PACED.burst) / PACED.rps) * 1000 * size.timeScale;
    const awsFloorMs = (Math.max(0, apiCalls - AWS.burst) / AWS.rps) * 1000 * size.timeScale;
    const r2 = (x) => Math.round(x * 100) / 100;
    const figures = {
      part,
      ...size,
      executedChanges: executed,
      apiGatewayCalls: apiCalls,
      throttled: gateway.throttled(),
      dynamodbCalls: dyn,
      dynamodbCallsPerChange: r2(dyn.total / executed),
      wallMs: Math.round(res.ms),
      pacedFloorMs: Math.round(floorMs),
      // Within the burst there is no floor to compare with (null in --json).
      wallOverPacedFloor: floorMs > 0 ? r2(res.ms / floorMs) : null,
      wallOverAwsFloor: awsFloorMs > 0 ? r2(res.ms / awsFloorMs) : null,
    };
    log(
      `${part}: ${size.plans} plans × ${size.keysPerPlan} keys, time scale ${size.timeScale}, latency ${size.latencyMs} ms, ` +
        `concurrency ${size.concurrency}: ` +
        `${executed} changes, ${apiCalls} API calls (${figures.throttled} 429s), ${dyn.total} DynamoDB calls ` +
        `(${figures.dynamodbCallsPerChange} per change), ${figures.wallMs} ms` +
        (floorMs > 0
          ? ` = ${figures.wallOverPacedFloor}× the paced floor (${figures.pacedFloorMs} ms; ${figures.wallOverAwsFloor}× AWS's)`
          : "; no floor (the calls fit in the burst)"),
    );
    log(`  DynamoDB calls by operation: ${JSON.stringify(dyn)}`);
    return figures;
  } finally {
    await dynamo.close();
    await gateway.close();
    await sb.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const { parts, opts } = parseArgs(process.argv.slice(2));
const all = [];
for (const part of parts) all.push(await run(part, { ...DEFAULTS[part], ...opts }));
if (process.argv.includes("--json")) log(JSON.stringify(all, null, 2));
