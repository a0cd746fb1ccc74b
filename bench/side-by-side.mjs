#!/usr/bin/env node
// The side-by-side benchmark: upg (the built CLI), a naive AWS SDK client and Terraform's per-resource model,
// doing the same jobs on one time-scaled sandbox (started here from dist/) in one run.
//
//   npm run build && node bench/side-by-side.mjs            300 plans × 20 keys, a fleet of 5 accounts × 4 regions × 50 plans
//   node bench/side-by-side.mjs --plans 5 --keys-per-plan 2 --runs 2 --fleet-accounts 2 --fleet-regions 2 --fleet-plans 3
//   node bench/side-by-side.mjs --json                      the report as JSON on stdout (progress on stderr)
//   node bench/side-by-side.mjs --save                      also write bench/SIDE-BY-SIDE.md
//   node bench/side-by-side.mjs --from-json FILE --save     render bench/SIDE-BY-SIDE.md again from a --json run's report
//
// Scenarios: a full `plan`, `plan --target ONE`, `drift`, apply-create (every plan and key attachment made) and
// apply-update (every plan's rate changed) on one account-region of N plans × K keys; and a fleet `plan` over
// accounts × regions account-regions (each reached through STS AssumeRole) of M plans each.
//
// Clients:
//   upg        `node bin/upg …` with AWS's limits as its pacing (time scaled) and the default 10% headroom.
//   naive      bench/lib/naive.mjs: the SDK's defaults, no pacing, the obvious calls (documented there).
//   terraform  not run: the calls the AWS provider's resource functions make (see terraformModel below).
//
// Per scenario and client: API Gateway calls ÷ the scenario's minimum, wall time ÷ the floor AWS's limits set
// for that minimum (10 requests/s, burst 40, UpdateUsagePlan once per 20 s, per account-region; × the time
// scale), the 429s received (a counting proxy in front of the sandbox), failed runs, DynamoDB calls per change
// (a counting proxy in front of dynalite) and upg's peak RSS (getrusage maxRSS of the child, bench/lib/peak-rss.mjs).

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { APIGatewayClient, CreateApiKeyCommand } from "@aws-sdk/client-api-gateway";
import { expectCode, ROOT, upgAsync } from "./lib/cli.mjs";
import { AWS_LIMITS, DEFAULT_HEADROOM, floorMs, scaledPacing } from "./lib/limits.mjs";
import {
  assumeRole,
  naiveClient,
  naiveCreate,
  naiveFleet,
  naiveReadAll,
  naiveTargeted,
  naiveUpdate,
} from "./lib/naive.mjs";
import { consecutivePlans } from "./lib/plan-runs.mjs";
import { generatePlanProject, keysOf, nameOf, pacingLines, planIdOf, rateOf } from "./lib/plans.mjs";
import { createApiKeys, mapLimit, startBenchSandbox } from "./lib/sandbox.mjs";
import { machine, mdTable, r1, r2 } from "./lib/stats.mjs";

const DEFAULTS = {
  plans: 300, // AWS's default usage-plan quota per account and region
  keysPerPlan: 20,
  runs: 20, // consecutive full `upg plan` runs (target: not one 429)
  targetRuns: 3,
  naiveRuns: 3,
  fleetAccounts: 5,
  fleetRegions: 4,
  fleetPlans: 50,
  fleetKeysPerPlan: 1,
  fleetConcurrency: 20,
  timeScale: 0.01,
};
const REGIONS = ["us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2", "eu-central-1", "ap-northeast-1"];
/** The naive client's own account-region for its writes (upg's plans stay untouched by it). */
const NAIVE_REGION = "ca-central-1";
const PAGE = 500; // the largest page API Gateway serves; upg asks for it
const SEEDED_KEYS = 3; // the sandbox's seed adds three API keys to every account-region

export const TARGETS = {
  callsOverMinimum: 1.02,
  targetedCalls: 6,
  applyOverFloor: 1.1,
  fleetOverSlowest: 1.2,
  planRssMB: 150,
  fleetRssMB: 400,
};

// ---------------------------------------------------------------------------------------------------------
// Arguments

export function parseArgs(argv) {
  const o = { ...DEFAULTS, save: false, json: false };
  const flags = {
    "--plans": ["plans", 1],
    "--keys-per-plan": ["keysPerPlan", 0],
    "--runs": ["runs", 1],
    "--naive-runs": ["naiveRuns", 1],
    "--target-runs": ["targetRuns", 1],
    "--fleet-accounts": ["fleetAccounts", 1],
    "--fleet-regions": ["fleetRegions", 1],
    "--fleet-plans": ["fleetPlans", 1],
    "--fleet-keys-per-plan": ["fleetKeysPerPlan", 0],
    "--fleet-concurrency": ["fleetConcurrency", 1],
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--save") o.save = true;
    else if (a === "--json") o.json = true;
    else if (a === "--from-json") o.fromJson = argv[++i];
    else if (a === "--time-scale") {
      o.timeScale = Number(argv[++i]);
      if (!(o.timeScale > 0 && o.timeScale <= 1)) throw new Error("--time-scale takes a number in (0, 1]");
    } else if (flags[a]) {
      const [key, min] = flags[a];
      const n = Number(argv[++i]);
      if (!Number.isInteger(n) || n < min) throw new Error(`${a} takes a whole number >= ${min}`);
      o[key] = n;
    } else {
      throw new Error(
        `unknown argument "${a}" (options: ${Object.keys(flags).join(", ")}, --time-scale S, --json, --save, --from-json FILE)`,
      );
    }
  }
  if (o.plans > 300 || o.fleetPlans > 300)
    throw new Error(
      "--plans and --fleet-plans are at most 300 (AWS's usage-plan quota per account and region)",
    );
  if (o.plans * Math.max(1, o.keysPerPlan) > 10_000)
    throw new Error("--plans × --keys-per-plan is at most 10000 (the sandbox's API key quota)");
  if (o.fleetRegions > REGIONS.length) throw new Error(`--fleet-regions is at most ${REGIONS.length}`);
  return o;
}

// ---------------------------------------------------------------------------------------------------------
// Minimums and the Terraform model

/** What one account-region of `plans` × `keysPerPlan` holds. */
function shape(plans, keysPerPlan) {
  let attached = 0;
  for (let i = 0; i < plans; i++) attached += keysOf(i, keysPerPlan).length;
  const pages = (n) => Math.max(1, Math.ceil(n / PAGE));
  return {
    plans,
    attached,
    /** A full read: the plan list, one GetUsagePlanKeys per managed plan, the key list (keys are referenced
     * by name), the REST API list and the one referenced API's stages. */
    fullRead: pages(plans) + plans + (attached > 0 ? pages(attached + SEEDED_KEYS) : 0) + 2,
    /** Before the first apply: the (empty) plan list, the key list, the REST APIs and stages. */
    createRead: 1 + (attached > 0 ? pages(attached + SEEDED_KEYS) : 0) + 2,
  };
}

/**
 * Terraform's per-resource model (hashicorp/terraform-provider-aws, internal/service/apigateway): every
 * resource in state is refreshed by its own Read before a plan — aws_api_gateway_usage_plan: GetUsagePlan
 * (resourceUsagePlanRead → FindUsagePlanByID); aws_api_gateway_usage_plan_key: GetUsagePlanKey
 * (resourceUsagePlanKeyRead → findUsagePlanKeyByTwoPartKey); aws_api_gateway_api_key: GetApiKey. Create and
 * Update end with the resource's Read (resourceUsagePlanCreate/Update → resourceUsagePlanRead;
 * resourceUsagePlanKeyCreate → resourceUsagePlanKeyRead). The API keys are resources in state (one per key),
 * the plans and attachments are what the scenarios create and update. `-target` refreshes the targeted plan,
 * its key attachments and their keys.
 */
export function terraformModel({ plans, attached }, keysOfTarget, fleetTargets, fleetShape) {
  return {
    plan: {
      calls: plans + 2 * attached,
      model: "GetUsagePlan per plan + (GetUsagePlanKey + GetApiKey) per key",
    },
    target: {
      calls: 1 + 2 * keysOfTarget,
      model: "GetUsagePlan + (GetUsagePlanKey + GetApiKey) per key of the target",
    },
    drift: { calls: plans + 2 * attached, model: "`terraform plan -refresh-only`: the same refresh as plan" },
    applyCreate: {
      calls: attached + 2 * plans + 2 * attached,
      updates: 0,
      model:
        "refresh GetApiKey per key; (CreateUsagePlan + GetUsagePlan) per plan; (CreateUsagePlanKey + GetUsagePlanKey) per key",
    },
    applyUpdate: {
      calls: plans + 2 * attached + 2 * plans,
      updates: plans,
      model: "the plan refresh; (UpdateUsagePlan + GetUsagePlan) per plan",
    },
    fleet: {
      calls: fleetTargets * (fleetShape.plans + 2 * fleetShape.attached),
      perTarget: fleetShape.plans + 2 * fleetShape.attached,
      model: "one workspace per account-region, each refreshing like plan",
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** API Gateway operations in a counters object (STS's, if counted, left out), and their total. */
function apiCalls(counters) {
  const ops = Object.fromEntries(
    Object.entries(counters).filter(
      ([k]) => k !== "total" && k !== "AssumeRole" && k !== "GetCallerIdentity",
    ),
  );
  return { ...ops, total: Object.values(ops).reduce((a, b) => a + b, 0) };
}

function applyResults(stdout) {
  const out = JSON.parse(stdout);
  const results = out.result?.results ?? out.results ?? [];
  return results.filter((r) => r.outcome === "ok").length;
}

// ---------------------------------------------------------------------------------------------------------
// The run

export async function runSideBySide(opts, log = (s) => process.stderr.write(`${s}\n`)) {
  const ts = opts.timeScale;
  const began = Date.now();
  const pacing = scaledPacing(ts);
  const bench = await startBenchSandbox({ timeScale: ts }, { scaleRetryAfter: true });
  const { sb } = bench;
  const env = bench.env();
  const dirs = [];
  const tmp = (name) => {
    const d = mkdtempSync(join(os.tmpdir(), `upg-side-by-side-${name}-`));
    dirs.push(d);
    return d;
  };
  /** Let AWS's buckets (sandbox and upg's remembered budget) refill before a measured scenario. */
  const settle = () => sleep(Math.ceil((AWS_LIMITS.burst / AWS_LIMITS.requestsPerSecond) * 1000 * ts) + 50);
  const settleUpdates = () => sleep(Math.ceil(AWS_LIMITS.updateIntervalMs * ts) + 50);
  const scaled = (ms) => ms * ts;
  const counters = async () => apiCalls(await sb.admin.counters());
  const naive = (region, credentials = sb.credentials) =>
    naiveClient({ endpoint: bench.gateway.endpoint, region, credentials, timeScale: ts });

  const main = shape(opts.plans, opts.keysPerPlan);
  const fleetShape = shape(opts.fleetPlans, opts.fleetKeysPerPlan);
  const targetIndex = Math.min(1, opts.plans - 1);
  const targetId = planIdOf(targetIndex);
  const fleetTargetCount = opts.fleetAccounts * opts.fleetRegions;
  const tf = terraformModel(main, keysOf(targetIndex, opts.keysPerPlan).length, fleetTargetCount, fleetShape);
  const scenarios = {};
  const record = (id, title, minimum, clients) => {
    scenarios[id] = { id, title, minimum, clients };
  };
  const withRatios = (c, minimum) => ({
    ...c,
    callsOverMinimum: c.calls === undefined ? undefined : r2(c.calls / minimum.calls),
    // Below the burst AWS sets no floor (0 s): no ratio then.
    wallOverFloor:
      c.wallMs === undefined || !(minimum.floorMs > 0) ? undefined : r2(c.wallMs / minimum.floorMs),
  });
  const minimumOf = (calls, definition, updates = 0) => ({
    calls,
    updates,
    definition,
    floorMs: Math.round(scaled(floorMs({ calls, updates })) * 10) / 10,
    pacedFloorMs: Math.round(scaled(floorMs({ calls, updates }, DEFAULT_HEADROOM)) * 10) / 10,
  });
  const tfClient = (m) => ({
    calls: m.calls,
    floorMs: Math.round(scaled(floorMs({ calls: m.calls, updates: m.updates ?? 0 })) * 10) / 10,
    model: m.model,
  });

  try {
    // ---- Set-up: one account-region of N plans × K keys, keys made with throttling off.
    const seed = await sb.admin.seed();
    const dir = tmp("main");
    const config = ["regions: [us-east-1]", ...pacingLines(pacing), ""].join("\n");
    const project = { apiId: seed.restApiId, plans: opts.plans, keysPerPlan: opts.keysPerPlan, config };
    const gen = generatePlanProject(dir, project);
    await sb.admin.setThrottling(false);
    await createApiKeys(sb.apigatewayEndpoint, gen.keys);
    await sb.admin.setThrottling(true);
    log(
      `side-by-side: ${opts.plans} plans × ${opts.keysPerPlan} keys (${gen.keys.length} API keys), time scale ${ts}`,
    );
    expectCode("upg init", await upgAsync(["init"], { cwd: dir, env }));

    /** One `upg apply --auto-approve -o json` with the counters reset before it: calls, time, DynamoDB per change. */
    const measureApply = async (what) => {
      await bench.resetCounts();
      const run = await upgAsync(["apply", "--auto-approve", "-o", "json"], { cwd: dir, env, peakRss: true });
      expectCode(`upg apply (${what})`, run);
      const calls = await counters();
      const dynamo = bench.dynamo.counts();
      const changes = applyResults(run.stdout);
      const m = {
        calls: calls.total,
        callsByOp: calls,
        wallMs: Math.round(run.ms),
        throttled: bench.gateway.throttled(),
        runs: 1,
        failedRuns: 0,
        changes,
        dynamodbCalls: dynamo.total,
        dynamodbPerChange: r2(dynamo.total / Math.max(1, changes)),
        peakRssMB: run.peakRssMB,
      };
      log(`  upg apply-${what}: ${m.calls} calls, ${m.wallMs} ms, ${changes} changes`);
      return m;
    };

    // ---- apply-create (upg)
    await settle();
    const upgCreate = await measureApply("create");

    // ---- full plan (upg): the consecutive runs of bench/run.mjs's `plan` part.
    await settle();
    const runs = await consecutivePlans({ bench, dir, env, runs: opts.runs, counters });
    const upgPlan = {
      calls: runs.calls.apiGateway.total,
      callsByOp: runs.calls.apiGateway,
      wallMs: runs.medianMs,
      throttled: runs.throttled.total,
      runs: runs.runs,
      failedRuns: 0,
      peakRssMB: runs.peakRssMB,
    };
    log(
      `  upg plan: ${upgPlan.calls} calls, median ${upgPlan.wallMs} ms, ${upgPlan.throttled} 429s in ${runs.runs} runs`,
    );

    // ---- plan --target ONE (upg)
    const targeted = [];
    let targetCalls;
    for (let i = 0; i < opts.targetRuns; i++) {
      await settle();
      await bench.resetCounts();
      const r = await upgAsync(["plan", "--target", targetId, "--detailed-exitcode"], {
        cwd: dir,
        env,
        peakRss: true,
      });
      expectCode("upg plan --target", r);
      targeted.push(r);
      targetCalls = await counters();
    }
    const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
    const upgTarget = {
      calls: targetCalls.total,
      callsByOp: targetCalls,
      wallMs: Math.round(median(targeted.map((r) => r.ms))),
      throttled: bench.gateway.throttled(),
      runs: targeted.length,
      failedRuns: 0,
      peakRssMB: Math.max(...targeted.map((r) => r.peakRssMB ?? 0)),
    };
    log(`  upg plan --target ${targetId}: ${upgTarget.calls} calls ${JSON.stringify(targetCalls)}`);

    // ---- drift (upg)
    await settle();
    await bench.resetCounts();
    const drift = await upgAsync(["drift"], { cwd: dir, env, peakRss: true });
    expectCode("upg drift", drift);
    const driftCalls = await counters();
    const upgDrift = {
      calls: driftCalls.total,
      callsByOp: driftCalls,
      wallMs: Math.round(drift.ms),
      throttled: bench.gateway.throttled(),
      runs: 1,
      failedRuns: 0,
      peakRssMB: drift.peakRssMB,
    };
    log(`  upg drift: ${upgDrift.calls} calls ${JSON.stringify(driftCalls)}`);

    // ---- apply-update (upg): every plan's rate raised by 1.
    generatePlanProject(dir, { ...project, rateOffset: 1 });
    await settleUpdates();
    const upgUpdate = await measureApply("update");

    // ---- the naive client: reads on upg's account-region, writes on its own (NAIVE_REGION).
    const naiveRun = async (fn, n = 1) => {
      const out = [];
      for (let i = 0; i < n; i++) {
        await settle();
        await bench.resetCounts();
        const r = await fn();
        out.push({ ...r, calls: await counters(), throttled: bench.gateway.throttled() });
      }
      const last = out.at(-1);
      return {
        calls: last.calls.total,
        callsByOp: last.calls,
        wallMs: Math.round(median(out.map((r) => r.ms))),
        throttled: out.reduce((a, r) => a + r.throttled, 0),
        runs: n,
        failedRuns: out.filter((r) => r.failed).length,
        failedCalls: out.reduce((a, r) => a + r.failedCalls, 0),
        errors: [...new Set(out.flatMap((r) => r.errors))],
      };
    };
    const reader = await naive(sb.region);
    const naivePlan = await naiveRun(() => naiveReadAll(reader), opts.naiveRuns);
    log(
      `  naive plan: ${naivePlan.calls} calls, ${naivePlan.throttled} 429s, ${naivePlan.failedRuns} of ${naivePlan.runs} runs failed`,
    );
    const naiveTarget = await naiveRun(() => naiveTargeted(reader, nameOf(targetIndex)), opts.naiveRuns);
    const naiveDrift = await naiveRun(() => naiveReadAll(reader), opts.naiveRuns);
    log(
      `  naive plan --target: ${naiveTarget.calls} calls; naive drift: ${naiveDrift.calls} calls, ${naiveDrift.throttled} 429s`,
    );
    reader.destroy();

    // Its own account-region: weather-api and the same API keys, made with throttling off.
    const naiveSeed = await sb.admin.at({ region: NAIVE_REGION }).seed();
    const setup = new APIGatewayClient({
      endpoint: sb.apigatewayEndpoint,
      region: NAIVE_REGION,
      credentials: sb.credentials,
      maxAttempts: 5,
    });
    await sb.admin.setThrottling(false);
    await mapLimit(gen.keys, 16, (name) =>
      setup.send(new CreateApiKeyCommand({ name, enabled: true, customerId: name })),
    );
    await sb.admin.setThrottling(true);
    setup.destroy();
    const specs = Array.from({ length: opts.plans }, (_, i) => ({
      name: planIdOf(i),
      rateLimit: rateOf(i),
      burstLimit: rateOf(i) * 2,
      apiStages: [{ apiId: naiveSeed.restApiId, stage: "prod" }],
      keys: keysOf(i, opts.keysPerPlan),
    }));
    const writer = await naive(NAIVE_REGION);
    const naiveCreateRes = await naiveRun(() => naiveCreate(writer, specs));
    log(
      `  naive apply-create: ${naiveCreateRes.calls} calls, ${naiveCreateRes.throttled} 429s, ${naiveCreateRes.failedCalls} failed calls`,
    );
    await settleUpdates();
    const naiveUpdateRes = await naiveRun(() => naiveUpdate(writer, (p) => (p.throttle?.rateLimit ?? 1) + 1));
    log(
      `  naive apply-update: ${naiveUpdateRes.calls} calls, ${naiveUpdateRes.throttled} 429s, ${naiveUpdateRes.failedCalls} failed calls`,
    );
    writer.destroy();

    // ---- Scenarios of one account-region.
    const full = minimumOf(
      main.fullRead,
      "GetUsagePlans pages + 1 GetUsagePlanKeys per plan + GetApiKeys pages (keys by name) + GetRestApis + GetStages",
    );
    record("plan", `full \`plan\`, ${opts.plans} plans × ${opts.keysPerPlan} keys`, full, {
      upg: withRatios(upgPlan, full),
      naive: withRatios(naivePlan, full),
      terraform: withRatios(tfClient(tf.plan), full),
    });
    const tmin = minimumOf(4, "GetUsagePlan + GetUsagePlanKeys of the target + GetRestApis + GetStages");
    record("target", "`plan --target ONE`", tmin, {
      upg: withRatios(upgTarget, tmin),
      naive: withRatios(naiveTarget, tmin),
      terraform: withRatios(tfClient(tf.target), tmin),
    });
    // drift also reports the plan files' pending edits, so it resolves key and stage names like plan.
    const dmin = minimumOf(
      main.fullRead,
      "the full plan's reads (drift also reports the plan files' pending edits)",
    );
    record("drift", "`drift`", dmin, {
      upg: withRatios(upgDrift, dmin),
      naive: withRatios(naiveDrift, dmin),
      terraform: withRatios(tfClient(tf.drift), dmin),
    });
    const cmin = minimumOf(
      main.createRead + main.plans + main.attached,
      "the reads before (plan list, key list pages, REST APIs, stages) + 1 CreateUsagePlan per plan + 1 CreateUsagePlanKey per key",
    );
    record("applyCreate", `apply-create: ${main.plans} plans + ${main.attached} key attachments`, cmin, {
      upg: withRatios(upgCreate, cmin),
      naive: withRatios(naiveCreateRes, cmin),
      terraform: withRatios(tfClient(tf.applyCreate), cmin),
    });
    const umin = minimumOf(
      main.fullRead + main.plans,
      "the full plan's reads + 1 UpdateUsagePlan per plan (20 s apart)",
      main.plans,
    );
    record("applyUpdate", `apply-update: ${main.plans} plans' rate`, umin, {
      upg: withRatios(upgUpdate, umin),
      naive: withRatios(naiveUpdateRes, umin),
      terraform: withRatios(tfClient(tf.applyUpdate), umin),
    });

    // ---- The fleet: accounts × regions, each account reached through STS AssumeRole.
    const fleet = await runFleet({
      opts,
      bench,
      env,
      tmp,
      settle,
      counters,
      log,
      fleetShape,
      minimumOf,
      withRatios,
      tf,
      tfClient,
      naiveRun,
    });
    record("fleet", fleet.title, fleet.minimum, fleet.clients);

    const results = {
      kind: "upg-side-by-side",
      date: new Date().toISOString(),
      durationS: r1((Date.now() - began) / 1000),
      machine: await machine(),
      timeScale: ts,
      pacing,
      command: commandLine(opts),
      sizes: {
        plans: opts.plans,
        keysPerPlan: opts.keysPerPlan,
        apiKeys: gen.keys.length + SEEDED_KEYS,
        attached: main.attached,
        target: targetId,
        fleet: {
          accounts: opts.fleetAccounts,
          regions: opts.fleetRegions,
          targets: fleetTargetCount,
          plans: opts.fleetPlans,
          keysPerPlan: opts.fleetKeysPerPlan,
          concurrency: fleet.concurrency,
        },
      },
      consecutivePlans: {
        runs: runs.runs,
        minMs: runs.minMs,
        medianMs: runs.medianMs,
        maxMs: runs.maxMs,
        throttled: runs.throttled,
        dynamodb: runs.calls.dynamodb,
        summary: runs.summary,
      },
      fleetShards: fleet.shards,
      scenarios,
    };
    results.targets = verdicts(results);
    return results;
  } finally {
    await bench.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

async function runFleet(ctx) {
  const {
    opts,
    bench,
    env,
    tmp,
    settle,
    counters,
    log,
    fleetShape,
    minimumOf,
    withRatios,
    tf,
    tfClient,
    naiveRun,
  } = ctx;
  const { sb } = bench;
  const regions = REGIONS.slice(0, opts.fleetRegions);
  const accounts = Array.from({ length: opts.fleetAccounts }, (_, a) => {
    const id = String(210_000_000_001 + a);
    return { name: `team-${a + 1}`, id, roleArn: `arn:aws:iam::${id}:role/upg-bench` };
  });
  const targets = accounts.flatMap((a) => regions.map((region) => ({ ...a, region })));
  const dir = tmp("fleet");
  const baseConfig = [
    `regions: [${regions.join(", ")}]`,
    ...pacingLines(scaledPacing(opts.timeScale)),
    "accounts:",
    ...accounts.map((a) => `  - { name: ${a.name}, role_arn: "${a.roleArn}" }`),
  ];
  const withConcurrency = [...baseConfig, `fleet: { concurrency: ${opts.fleetConcurrency} }`, ""].join("\n");
  mkdirSync(join(dir, "plans"), { recursive: true });
  const gen = generatePlanProject(dir, {
    apiId: "unused",
    plans: opts.fleetPlans,
    keysPerPlan: opts.fleetKeysPerPlan,
    config: withConcurrency,
    allStyles: false,
  });
  // `fleet: { concurrency }` in upg.config.yaml: used when this upg's config schema has it, else the default is
  // measured.
  const schema = JSON.parse(readFileSync(join(ROOT, "upg-config.schema.json"), "utf8"));
  let concurrency = { configured: opts.fleetConcurrency, supported: true };
  if (!schema.properties?.fleet?.properties?.concurrency) {
    writeFileSync(join(dir, "upg.config.yaml"), [...baseConfig, ""].join("\n"));
    concurrency = {
      configured: null,
      supported: false,
      note: "fleet.concurrency not supported: upg's default",
    };
  }
  log(
    `side-by-side fleet: ${targets.length} account-regions × ${opts.fleetPlans} plans; concurrency ${JSON.stringify(concurrency)}`,
  );

  // Set-up: every account-region seeded, its keys made (throttling off), initialised and applied.
  await sb.admin.setThrottling(false);
  await mapLimit(targets, 4, async (t) => {
    await sb.admin.at({ account: t.id, region: t.region }).seed();
    if (gen.keys.length === 0) return;
    const credentials = await assumeRole({
      stsEndpoint: sb.sts.endpoint,
      region: t.region,
      credentials: sb.credentials,
      roleArn: t.roleArn,
    });
    const c = new APIGatewayClient({
      endpoint: sb.apigatewayEndpoint,
      region: t.region,
      credentials,
      maxAttempts: 5,
    });
    await mapLimit(gen.keys, 8, (name) =>
      c.send(new CreateApiKeyCommand({ name, enabled: true, customerId: name })),
    );
    c.destroy();
  });
  await sb.admin.setThrottling(true);
  // One `upg init` and one `upg apply` cover every account-region.
  expectCode("upg init (fleet)", await upgAsync(["init"], { cwd: dir, env }));
  expectCode("upg apply (fleet)", await upgAsync(["apply", "--auto-approve"], { cwd: dir, env }));

  // Each account-region alone (one shard), one after another: the slowest is what the fleet is held to.
  const shards = [];
  for (const t of targets) {
    await settle();
    await bench.resetCounts();
    const r = await upgAsync(["plan", "--detailed-exitcode", "--account", t.name, "--region", t.region], {
      cwd: dir,
      env,
      peakRss: true,
    });
    expectCode(`upg plan ${t.name}/${t.region}`, r);
    shards.push({
      target: `${t.name}/${t.region}`,
      ms: Math.round(r.ms),
      calls: (await counters()).total,
      throttled: bench.gateway.throttled(),
      peakRssMB: r.peakRssMB,
    });
  }
  const slowest = shards.reduce((a, b) => (b.ms > a.ms ? b : a));
  const sumMs = shards.reduce((a, s) => a + s.ms, 0);
  log(`  shards: slowest ${slowest.target} ${slowest.ms} ms; sum ${sumMs} ms`);

  // The whole fleet in one run.
  await settle();
  await bench.resetCounts();
  const whole = await upgAsync(["plan", "--detailed-exitcode", "-o", "json"], {
    cwd: dir,
    env,
    peakRss: true,
  });
  expectCode("upg plan (fleet)", whole);
  const doc = JSON.parse(whole.stdout);
  const ok = (doc.results ?? []).filter((r) => r.status === "ok").length;
  const fleetCalls = await counters();
  const upgFleet = {
    calls: fleetCalls.total,
    callsByOp: fleetCalls,
    wallMs: Math.round(whole.ms),
    throttled: bench.gateway.throttled(),
    runs: 1,
    failedRuns: ok === targets.length ? 0 : 1,
    targetsOk: ok,
    peakRssMB: whole.peakRssMB,
    slowestShardMs: slowest.ms,
    slowestShard: slowest.target,
    sumOfShardsMs: sumMs,
    overSlowestShard: r2(whole.ms / slowest.ms),
  };
  log(
    `  upg fleet plan: ${upgFleet.calls} calls, ${upgFleet.wallMs} ms (${upgFleet.overSlowestShard}× the slowest shard)`,
  );

  const naiveFleetRes = await naiveRun(() =>
    naiveFleet(
      targets.map((t) => ({ region: t.region, roleArn: t.roleArn })),
      {
        endpoint: bench.gateway.endpoint,
        stsEndpoint: `${bench.gateway.endpoint}/sts`,
        credentials: sb.credentials,
        timeScale: opts.timeScale,
      },
    ),
  );
  log(
    `  naive fleet: ${naiveFleetRes.calls} calls, ${naiveFleetRes.throttled} 429s, ${naiveFleetRes.failedCalls} failed calls`,
  );

  // The account-regions run side by side: the fleet's floor is one account-region's.
  const perTarget = minimumOf(fleetShape.fullRead, "");
  const minimum = {
    ...minimumOf(
      targets.length * fleetShape.fullRead,
      `per account-region: the full plan's minimum (${fleetShape.fullRead} calls); side by side, so the floor is one account-region's`,
    ),
    floorMs: perTarget.floorMs,
    pacedFloorMs: perTarget.pacedFloorMs,
  };
  return {
    title: `fleet \`plan\`: ${opts.fleetAccounts} accounts × ${opts.fleetRegions} regions × ${opts.fleetPlans} plans × ${opts.fleetKeysPerPlan} keys`,
    minimum,
    concurrency,
    shards,
    clients: {
      upg: withRatios(upgFleet, minimum),
      naive: withRatios(naiveFleetRes, minimum),
      terraform: withRatios(tfClient(tf.fleet), minimum),
    },
  };
}

function commandLine(opts) {
  const args = [];
  for (const [k, v] of Object.entries(DEFAULTS)) {
    if (opts[k] !== v) args.push(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} ${opts[k]}`);
  }
  return `node bench/side-by-side.mjs${args.length ? ` ${args.join(" ")}` : ""}`;
}

// ---------------------------------------------------------------------------------------------------------
// Targets and report

export function verdicts(results) {
  const s = results.scenarios;
  const out = [];
  for (const id of ["plan", "target", "drift", "applyCreate", "applyUpdate", "fleet"]) {
    const sc = s[id];
    const u = sc.clients.upg;
    out.push({
      target: `upg ${sc.title}: API calls ≤ ${TARGETS.callsOverMinimum}× the minimum (${sc.minimum.calls})`,
      measured: `${u.calls} calls = ${u.callsOverMinimum}×`,
      pass: u.callsOverMinimum <= TARGETS.callsOverMinimum,
    });
  }
  out.push({
    target: `upg \`plan --target ONE\`: ≤ ${TARGETS.targetedCalls} API calls`,
    measured: `${s.target.clients.upg.calls} calls`,
    pass: s.target.clients.upg.calls <= TARGETS.targetedCalls,
  });
  const cp = results.consecutivePlans;
  out.push({
    target: `${cp.runs} consecutive full \`upg plan\` runs: no 429`,
    measured: `${cp.throttled.total} 429s in ${cp.throttled.runsWithAny} of ${cp.runs} runs`,
    pass: cp.throttled.total === 0,
  });
  for (const id of ["applyCreate", "applyUpdate"]) {
    const u = s[id].clients.upg;
    const floor = s[id].minimum.floorMs;
    out.push({
      target: `upg ${s[id].title}: wall ≤ ${TARGETS.applyOverFloor}× the floor of AWS's limits (${r2(floor / 1000)} s at this time scale)`,
      // Within the burst AWS sets no floor: nothing to hold the run to (null: not applicable).
      measured:
        floor > 0
          ? `${r2(u.wallMs / 1000)} s = ${u.wallOverFloor}×`
          : `${r2(u.wallMs / 1000)} s; no floor (within the burst)`,
      pass: floor > 0 ? u.wallOverFloor <= TARGETS.applyOverFloor : null,
    });
  }
  const f = s.fleet.clients.upg;
  out.push({
    target: `upg fleet \`plan\` (${results.sizes.fleet.targets} account-regions): wall ≤ ${TARGETS.fleetOverSlowest}× its slowest account-region alone`,
    measured: `${f.wallMs} ms = ${f.overSlowestShard}× ${f.slowestShardMs} ms (${f.slowestShard}; all shards one after another: ${f.sumOfShardsMs} ms)`,
    pass: f.overSlowestShard <= TARGETS.fleetOverSlowest,
  });
  out.push({
    target: `upg \`plan\`, ${results.sizes.plans} plans × ${results.sizes.keysPerPlan} keys: peak RSS < ${TARGETS.planRssMB} MB`,
    measured: `${s.plan.clients.upg.peakRssMB} MB (highest of ${cp.runs} runs)`,
    pass: s.plan.clients.upg.peakRssMB < TARGETS.planRssMB,
  });
  out.push({
    target: `upg fleet \`plan\`: peak RSS < ${TARGETS.fleetRssMB} MB`,
    measured: `${f.peakRssMB} MB`,
    pass: f.peakRssMB < TARGETS.fleetRssMB,
  });
  return out;
}

/** PASS, **FAIL**, or n/a (null: the target does not apply at this size). */
export const verdictText = (pass) => (pass === null ? "n/a" : pass ? "PASS" : "**FAIL**");
const fmt = (x, unit = "") => (x === undefined || x === null ? "—" : `${x}${unit}`);
const secs = (ms) => (ms === undefined ? "—" : `${r2(ms / 1000)} s`);

export function renderMarkdown(res) {
  const L = [];
  const m = res.machine;
  L.push("# Side by side: upg, a naive SDK client and Terraform's per-resource model", "");
  L.push(
    `Generated by \`${res.command} --save\` (also part of \`npm run bench\`) on ${res.date}, in ${res.durationS} s, on one sandbox at time scale ${res.timeScale} (every period AWS sets ÷ ${Math.round(1 / res.timeScale)}).`,
    "",
    `- Node ${m.node} on ${m.platform} ${m.arch}; CPU: ${m.cpuModel} (${m.cpus} cores), ${m.memoryGB} GB RAM; load average at the end ${m.loadAverage.join(", ")} (the machine is shared).`,
    `- One account-region of ${res.sizes.plans} plans × ${res.sizes.keysPerPlan} API keys each by name (${res.sizes.attached} attachments, ${res.sizes.apiKeys} keys in the account); the targeted plan is \`${res.sizes.target}\`.`,
    `- The fleet: ${res.sizes.fleet.accounts} accounts × ${res.sizes.fleet.regions} regions = ${res.sizes.fleet.targets} account-regions × ${res.sizes.fleet.plans} plans × ${res.sizes.fleet.keysPerPlan} keys, each account through STS AssumeRole; ${res.sizes.fleet.concurrency.supported ? `\`fleet: { concurrency: ${res.sizes.fleet.concurrency.configured} }\` in upg.config.yaml` : "upg's default fleet concurrency (this upg has no `fleet.concurrency` setting)"}.`,
    `- upg's pacing: AWS's limits with time scaled (${res.pacing.requests_per_second} requests/s, burst ${res.pacing.burst}, UpdateUsagePlan every ${res.pacing.update_usage_plan_interval_ms} ms) and the default 10% headroom.`,
    "",
  );
  L.push("## Targets", "");
  L.push(
    ...mdTable(
      ["target", "measured", "result"],
      res.targets.map((t) => [t.target, t.measured, verdictText(t.pass)]),
    ),
  );
  L.push("", "## Scenario × client", "");
  const rows = [];
  for (const sc of Object.values(res.scenarios)) {
    for (const name of ["upg", "naive", "terraform"]) {
      const c = sc.clients[name];
      const tfRow = name === "terraform";
      rows.push([
        name === "upg" ? sc.title : "",
        name === "terraform" ? "terraform (model)" : name,
        fmt(c.calls),
        fmt(c.callsOverMinimum, "×"),
        tfRow ? `≥ ${secs(c.floorMs)}` : secs(c.wallMs),
        tfRow
          ? sc.minimum.floorMs > 0
            ? `≥ ${r2(c.floorMs / sc.minimum.floorMs)}×`
            : "—"
          : fmt(c.wallOverFloor, "×"),
        tfRow ? "—" : fmt(c.throttled),
        tfRow ? "—" : `${c.failedRuns} of ${c.runs}`,
        fmt(c.dynamodbPerChange),
        fmt(c.peakRssMB, " MB"),
      ]);
    }
  }
  L.push(
    ...mdTable(
      [
        "scenario",
        "client",
        "API calls",
        "÷ minimum",
        "wall",
        "÷ floor",
        "429s",
        "failed runs",
        "DynamoDB / change",
        "peak RSS",
      ],
      rows,
    ),
  );
  L.push("", "## Minimums and floors", "");
  L.push(
    ...mdTable(
      ["scenario", "minimum calls", "what the minimum is", "floor (AWS's limits)", "paced 10% under"],
      Object.values(res.scenarios).map((sc) => [
        sc.title,
        sc.minimum.calls,
        sc.minimum.definition,
        secs(sc.minimum.floorMs),
        secs(sc.minimum.pacedFloorMs),
      ]),
    ),
  );
  L.push("", "## upg's calls by operation", "");
  L.push(
    ...mdTable(
      ["scenario", "API Gateway calls by operation"],
      Object.values(res.scenarios).map((sc) => [
        sc.title,
        Object.entries(sc.clients.upg.callsByOp ?? {})
          .filter(([k]) => k !== "total")
          .sort((a, b) => b[1] - a[1])
          .map(([k, n]) => `${k} ${n}`)
          .join(", "),
      ]),
    ),
  );
  const cp = res.consecutivePlans;
  L.push(
    "",
    `The full-plan row is the median of ${cp.runs} consecutive \`upg plan --detailed-exitcode\` runs (min ${cp.minMs} ms, max ${cp.maxMs} ms), each exiting 0: \`${cp.summary}\`. 429s per run: ${cp.throttled.perRun.join(", ")}.`,
  );
  const f = res.scenarios.fleet.clients.upg;
  L.push(
    "",
    "## The fleet, shard by shard",
    "",
    `Each account-region alone (\`upg plan --account NAME --region R\`), one after another; the whole fleet in one \`upg plan\` took ${f.wallMs} ms, ${f.overSlowestShard}× the slowest shard (${f.slowestShardMs} ms), against ${f.sumOfShardsMs} ms for all shards one after another.`,
    "",
    ...mdTable(
      ["account-region", "wall", "API calls", "429s", "peak RSS"],
      res.fleetShards.map((s) => [s.target, `${s.ms} ms`, s.calls, s.throttled, fmt(s.peakRssMB, " MB")]),
    ),
  );
  L.push("", "## How it is measured", "");
  L.push(
    "- **upg**: the built CLI, `node bin/upg …` in a child process, so wall times include Node's start-up and loading the AWS SDK. Its API Gateway calls are the sandbox's counters (every request, a throttled one too); its 429s are counted by a proxy in front of the sandbox; its DynamoDB calls by a proxy in front of dynalite. Peak RSS is the child's `getrusage` high-water mark (`process.resourceUsage().maxRSS`), written at exit by a preload (`node --import bench/lib/peak-rss.mjs`).",
    "- **naive**: `@aws-sdk/client-api-gateway` in this process with the SDK's defaults (standard retries: 3 attempts, a retry quota) and no pacing, doing each job the obvious way (bench/lib/naive.mjs): reads list every plan with the SDK's paginator (API Gateway's default page of 25), then every plan's keys at once (`Promise.all`); `--target` lists every plan to find one by name; apply-create lists the API keys, then per plan in turn a CreateUsagePlan and its keys' CreateUsagePlanKey calls at once; apply-update an UpdateUsagePlan per plan in turn; the fleet every account-region at once (AssumeRole, then the reads). Its backoff delays are scaled by the time scale like every other period here. A call that fails after its retries is counted and the run goes on; a run with any failed call is a failed run. Its writes go to an account-region of its own; its reads are of upg's.",
    "- **terraform (model)**: not run. The calls the AWS provider's resource functions make (hashicorp/terraform-provider-aws, internal/service/apigateway): a refresh reads every resource in state one by one — `aws_api_gateway_usage_plan` GetUsagePlan (usage_plan.go, resourceUsagePlanRead), `aws_api_gateway_usage_plan_key` GetUsagePlanKey (usage_plan_key.go, resourceUsagePlanKeyRead), `aws_api_gateway_api_key` GetApiKey; a create or update ends with the resource's read. So a plan of P plans with A key attachments (keys as resources) is P + 2A calls; apply-create is A (key refresh) + 2P + 2A; apply-update the refresh plus 2P; `-target` on one plan is 1 + 2 × its keys. Its wall is the floor its calls set (a lower bound).",
    "- **naive calls under the minimum**: the naive client looks nothing up by name — GetUsagePlanKeys names the keys a plan has, so it can compare them, but it cannot attach a key declared by name that is not attached yet, nor resolve a stage written as an API name; upg's minimum includes those lookups (the key list pages, GetRestApis, GetStages).",
    "- **minimum** and **floor**: the fewest calls the job needs (table above) and the least time AWS's limits allow for them per account-region — calls beyond the burst of 40 at 10/s, then UpdateUsagePlan calls 20 s apart — scaled by the time scale. upg paces 10% under AWS's limits, so a run bound by the request rate cannot beat 1.11× the floor; dynalite (local) and Node's start-up do not scale with time, so at time scale 0.01 they weigh 100× what they would against AWS.",
    "",
    "## Reading the figures",
    "",
    `- At time scale ${res.timeScale} a read-only run's floor (${secs(res.scenarios.plan.minimum.floorMs)} for the full plan) is shorter than Node's start-up, so the reads' wall ÷ floor measures start-up, plan-file parsing and CPU on this shared machine, not pacing; their figure that carries over to AWS is the call count (${res.scenarios.plan.clients.upg.calls} calls: ${secs(res.scenarios.plan.minimum.floorMs / res.timeScale)} at AWS's limits, ${secs(res.scenarios.plan.minimum.pacedFloorMs / res.timeScale)} paced 10% under them). The naive client runs in the benchmark's process, with no start-up, plan files or DynamoDB.`,
    "- apply-create makes one DynamoDB round trip after another to dynalite, which does not scale with time: at time scale 0.01 its bookkeeping weighs 100× what it would against AWS, so its wall ÷ floor here says how much of the run is bookkeeping, not what it would be against AWS (bench/apply-speed.mjs measures that with injected latency).",
    "- apply-update is bound by UpdateUsagePlan's 20 s interval: that floor does scale, so its wall ÷ floor is close to what AWS would show.",
    `- The fleet: each account-region's floor at this time scale is ${secs(res.scenarios.fleet.minimum.floorMs)}, so the fleet run is bound by CPU (one Node process working for ${res.sizes.fleet.targets} account-regions on a shared 2-core machine), not by the per-account-region limits that a fleet run overlaps; against AWS each account-region takes at least ${secs(res.scenarios.fleet.minimum.pacedFloorMs / res.timeScale)} paced, and that is the part that runs side by side.`,
    "",
  );
  return L.join("\n");
}

/** The scenario × client figures, as plain lines. */
export function printScenarios(res, log) {
  for (const sc of Object.values(res.scenarios)) {
    log(`${sc.title} (minimum ${sc.minimum.calls} calls, floor ${secs(sc.minimum.floorMs)})`);
    for (const name of ["upg", "naive", "terraform"]) {
      const c = sc.clients[name];
      log(
        `  ${name.padEnd(10)} calls ${String(fmt(c.calls)).padStart(6)} (${fmt(c.callsOverMinimum, "×")})  wall ${name === "terraform" ? `≥ ${secs(c.floorMs)}` : secs(c.wallMs)} (${fmt(c.wallOverFloor, "×")})  429s ${fmt(c.throttled)}  failed ${fmt(c.failedRuns)}/${fmt(c.runs)}  DynamoDB/change ${fmt(c.dynamodbPerChange)}  RSS ${fmt(c.peakRssMB, " MB")}`,
      );
    }
  }
}

export function printSummary(res, log) {
  printScenarios(res, log);
  log("");
  for (const t of res.targets)
    log(`${verdictText(t.pass).replaceAll("*", "")}  ${t.target}  — ${t.measured}`);
}

export const SIDE_BY_SIDE_MD = join(ROOT, "bench", "SIDE-BY-SIDE.md");

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const log = (s) => (opts.json ? process.stderr : process.stdout).write(`${s}\n`);
  // --from-json FILE: the report a `--json` run printed, rendered again (no run).
  const res = opts.fromJson
    ? JSON.parse(readFileSync(opts.fromJson, "utf8"))
    : await runSideBySide(opts, log);
  if (opts.json) process.stdout.write(`${JSON.stringify(res, null, 2)}\n`);
  else printSummary(res, log);
  if (opts.save) {
    writeFileSync(SIDE_BY_SIDE_MD, renderMarkdown(res));
    log(`Wrote bench/SIDE-BY-SIDE.md (${res.durationS} s).`);
  } else {
    log(`Done in ${res.durationS} s; nothing written (--save writes bench/SIDE-BY-SIDE.md).`);
  }
  return res.targets.every((t) => t.pass !== false) ? 0 : 1;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(
        `side-by-side failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
      );
      process.exitCode = 1;
    },
  );
}
