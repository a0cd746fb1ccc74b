#!/usr/bin/env node
// `npm run bench`: the performance targets from the issues, measured against the built CLI (dist/).
//
//   node bench/run.mjs                       the default parts; prints the results, writes nothing
//   node bench/run.mjs validate help         only some parts (validate, help, memory, plan, side-by-side)
//   node bench/run.mjs --runs 3              fewer timed runs per command
//   node bench/run.mjs plan --plans 100 --keys-per-plan 5   a smaller plan project
//   node bench/run.mjs side-by-side --plans 50 --fleet-accounts 2   a smaller side-by-side (its flags pass through)
//   node bench/run.mjs --save                also write bench/results.json and bench/RESULTS.md (and
//                                            bench/SIDE-BY-SIDE.md when side-by-side ran)
//
// Parts (the default: validate, help, memory, side-by-side):
//   validate      `upg validate` on 1,000 generated plan files (target: < 1.5 s wall)
//   help          `upg --help` (target: < 300 ms wall); which packages load for --help and validate
//                 (target: no AWS SDK)
//   memory        10,000 usage plans + 10,000 API keys in the sandbox, in a child process (target: < 200 MB)
//   side-by-side  bench/side-by-side.mjs: upg vs a naive SDK client vs Terraform's per-resource model on one
//                 time-scaled sandbox — plan, plan --target, drift, apply-create, apply-update at 300 plans ×
//                 20 keys, and a fleet of 20 account-regions; its full-plan scenario is the 20 consecutive
//                 `upg plan` runs of the `plan` part (lib/plan-runs.mjs), so the two are not both run by default
//   plan          `upg plan` on 300 applied plans × 20 API keys against the time-scaled sandbox, 20 consecutive
//                 runs: wall time, API calls, and the 429s upg received (target: none)
//
// Wall times are measured in this process around a child `node bin/upg …`, so they include Node's start-up.
// Each command gets one untimed warm-up run (file cache), then N timed runs; min and median are reported.
// The tracked bench/results.json, bench/RESULTS.md and bench/SIDE-BY-SIDE.md are rewritten only with --save.

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { BIN, cleanEnv, expectCode, ROOT, upgAsync, upgSync } from "./lib/cli.mjs";
import { AWS_LIMITS, scaledPacing } from "./lib/limits.mjs";
import { consecutivePlans } from "./lib/plan-runs.mjs";
import { generatePlanProject, pacingLines, planDoc, planIdOf, TEAMS, TIERS } from "./lib/plans.mjs";
import { createApiKeys, startBenchSandbox } from "./lib/sandbox.mjs";
import { mdTable, stats, toJson } from "./lib/stats.mjs";
import * as sideBySide from "./side-by-side.mjs";

const BENCH = join(ROOT, "bench");
const TRACER = join(BENCH, "trace-loads.mjs");
const PARTS = ["validate", "help", "memory", "plan", "side-by-side"];
const DEFAULT_PARTS = ["validate", "help", "memory", "side-by-side"];

const TARGETS = {
  validateMs: 1500,
  helpMs: 300,
  memoryMB: 200,
};

const VALIDATE_FILES = 1000;
const MEMORY_COUNT = 10_000;
const PLAN_COUNT = 300; // AWS's default usage-plan quota per account and region
const KEYS_PER_PLAN = 20;
const PLAN_RUNS = 20; // consecutive full `upg plan` runs (target: not one 429)
const PLAN_TIME_SCALE = 0.01;
/** Flags bench/side-by-side.mjs takes beyond --plans, --keys-per-plan and --runs (passed through). */
const SIDE_BY_SIDE_FLAGS = [
  "--naive-runs",
  "--target-runs",
  "--fleet-accounts",
  "--fleet-regions",
  "--fleet-plans",
  "--fleet-keys-per-plan",
  "--fleet-concurrency",
  "--time-scale",
];

// ---------------------------------------------------------------------------------------------------------
// Arguments

function parseArgs(argv) {
  const parts = [];
  let runs;
  let save = false;
  let plans = PLAN_COUNT;
  let keysPerPlan = KEYS_PER_PLAN;
  const passThrough = [];
  const whole = (flag, value, min) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`${flag} takes a whole number >= ${min}`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--runs") runs = whole(a, argv[++i], 1);
    else if (a === "--plans") plans = whole(a, argv[++i], 1);
    else if (a === "--keys-per-plan") keysPerPlan = whole(a, argv[++i], 0);
    else if (a === "--save") save = true;
    else if (SIDE_BY_SIDE_FLAGS.includes(a)) passThrough.push(a, argv[++i]);
    else if (PARTS.includes(a)) parts.push(a);
    else
      throw new Error(
        `unknown argument "${a}" (parts: ${PARTS.join(", ")}; options: --runs N, --plans N, --keys-per-plan N, --save, and side-by-side's ${SIDE_BY_SIDE_FLAGS.join(", ")})`,
      );
  }
  if (plans > 300) throw new Error("--plans is at most 300 (AWS's usage-plan quota per account and region)");
  if (keysPerPlan > 0 && plans * keysPerPlan > 10_000)
    throw new Error("--plans × --keys-per-plan is at most 10000 (the sandbox's API key quota)");
  const sideBySideArgs = [
    "--plans",
    String(plans),
    "--keys-per-plan",
    String(keysPerPlan),
    ...(runs ? ["--runs", String(runs)] : []),
    ...passThrough,
  ];
  return {
    parts: parts.length > 0 ? parts : DEFAULT_PARTS,
    runs,
    save,
    plans,
    keysPerPlan,
    sideBySide: sideBySide.parseArgs(sideBySideArgs),
  };
}

// ---------------------------------------------------------------------------------------------------------
// Helpers

const log = (s) => process.stdout.write(`${s}\n`);

/** Timed runs of a synchronous command after one warm-up. */
function timeSync(what, args, runs, opts) {
  expectCode(`${what} (warm-up)`, upgSync(args, opts));
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const res = upgSync(args, opts);
    expectCode(what, res);
    samples.push(res.ms);
  }
  return stats(samples);
}

/** npm package name of a loaded module (file path or URL), "node:*" for built-ins, "upg" for this project. */
function packageOf(spec) {
  if (spec.startsWith("node:")) return "node:builtin";
  const path = spec.startsWith("file:") ? fileURLToPath(spec) : spec;
  const i = path.lastIndexOf("/node_modules/");
  if (i < 0) return path.startsWith(ROOT) ? "upg" : "other";
  const rest = path.slice(i + "/node_modules/".length).split("/");
  return rest[0].startsWith("@") ? `${rest[0]}/${rest[1]}` : rest[0];
}

/** Run a node command with the module tracer; returns the loaded packages (module counts) and exit code. */
function traceModules(nodeArgs, { cwd = ROOT } = {}) {
  const dir = mkdtempSync(join(os.tmpdir(), "upg-bench-trace-"));
  const out = join(dir, "modules.txt");
  writeFileSync(out, "");
  try {
    const res = spawnSync(process.execPath, ["--import", pathToFileURL(TRACER).href, ...nodeArgs], {
      cwd,
      env: { ...cleanEnv(), UPG_BENCH_TRACE: out },
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const files = new Set(
      readFileSync(out, "utf8")
        .split("\n")
        .filter(Boolean)
        .map((l) => l.slice(4))
        .map((s) => (s.startsWith("file:") ? fileURLToPath(s) : s)),
    );
    const packages = {};
    for (const f of files) {
      const p = packageOf(f);
      if (p === "node:builtin") continue;
      packages[p] = (packages[p] ?? 0) + 1;
    }
    const aws = Object.keys(packages).filter((p) => p.startsWith("@aws-sdk/") || p.startsWith("@smithy/"));
    return {
      code: res.status,
      modules: files.size,
      packages,
      awsSdkLoaded: aws.length > 0,
      awsPackages: aws.length,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Plan-file generation

/**
 * 1,000 files under plans/<team>/<tier>[/legacy]/; every 25th file holds three plans (`---`). About a third
 * of the plans list API keys; every 40th is Deprecated with an Active successor, every 97th Archived.
 */
function generateValidateProject(dir) {
  const plansDir = join(dir, "plans");
  writeFileSync(
    join(dir, "upg.config.yaml"),
    [
      "regions: [us-east-1, eu-west-1]",
      "policy:",
      "  max_rate_limit: 10000",
      "  require_quota: false",
      "",
    ].join("\n"),
  );
  const apiId = "a1b2c3d4e5";
  let next = 0;
  let plans = 0;
  let multi = 0;
  const lifecycleOf = (i) => (i % 97 === 50 ? "Archived" : i % 40 === 20 ? "Deprecated" : undefined);
  const doc = () => {
    const i = next++;
    plans++;
    const lifecycle = lifecycleOf(i);
    let successor;
    if (lifecycle === "Deprecated") {
      successor = i - 1;
      while (lifecycleOf(successor) !== undefined) successor--;
    }
    const keys =
      !lifecycle && i % 3 === 0
        ? [`${planIdOf(i)}-key-a`, `${planIdOf(i)}-key-b`].slice(0, 1 + (i % 2))
        : undefined;
    return planDoc(i, {
      apiId,
      stageNames: i % 2 ? ["prod"] : ["prod", "dev"],
      withKeys: keys,
      lifecycle,
      successor: successor === undefined ? undefined : planIdOf(successor),
    });
  };
  for (let f = 0; f < VALIDATE_FILES; f++) {
    const team = TEAMS[f % TEAMS.length];
    const tier = TIERS[Math.floor(f / TEAMS.length) % TIERS.length].toLowerCase();
    const sub = f % 7 === 0 ? join(plansDir, team, tier, "legacy") : join(plansDir, team, tier);
    mkdirSync(sub, { recursive: true });
    const header = "# yaml-language-server: $schema=../../../upg-plan.schema.json\n";
    let body;
    if (f % 25 === 0) {
      multi++;
      body = [doc(), doc(), doc()].join("\n---\n");
    } else {
      body = doc();
    }
    writeFileSync(
      join(sub, `plan-${String(f).padStart(4, "0")}.${f % 11 === 0 ? "yml" : "yaml"}`),
      `${header}${body}\n`,
    );
  }
  return { plansDir, files: VALIDATE_FILES, plans, multiDocFiles: multi };
}

// ---------------------------------------------------------------------------------------------------------
// Parts

function benchValidate(runs) {
  const dir = mkdtempSync(join(os.tmpdir(), "upg-bench-validate-"));
  try {
    const gen = generateValidateProject(dir);
    log(
      `validate: ${gen.files} files, ${gen.plans} plans (${gen.multiDocFiles} files with 3 plans) in ${gen.plansDir}`,
    );
    const check = upgSync(["validate", gen.plansDir, "-o", "json"], { cwd: dir });
    expectCode("upg validate", check);
    const problems = JSON.parse(check.stdout);
    if (problems.length > 0)
      throw new Error(`generated plans are not clean: ${JSON.stringify(problems.slice(0, 3))}`);
    const human = upgSync(["validate", gen.plansDir], { cwd: dir });
    expectCode("upg validate", human);
    const summary = human.stdout.trim().split("\n").at(-1);
    const timing = timeSync("upg validate", ["validate", gen.plansDir], runs, { cwd: dir });
    const modules = traceModules([BIN, "validate", gen.plansDir], { cwd: dir });
    if (modules.code !== 0) throw new Error(`traced upg validate exited ${modules.code}`);
    return {
      files: gen.files,
      plans: gen.plans,
      multiDocFiles: gen.multiDocFiles,
      summary,
      diagnostics: problems.length,
      ...timing,
      modules,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function benchHelp(runs) {
  const timing = timeSync("upg --help", ["--help"], runs);
  const modules = traceModules([BIN, "--help"]);
  if (modules.code !== 0) throw new Error(`traced upg --help exited ${modules.code}`);
  // Positive control: the tracer must see the SDK when it is loaded.
  const control = traceModules(["--input-type=module", "-e", "await import('@aws-sdk/client-api-gateway')"]);
  if (!control.awsSdkLoaded) throw new Error("module tracer did not see the AWS SDK in the control run");
  return {
    ...timing,
    modules,
    tracerControl: { awsSdkLoaded: control.awsSdkLoaded, modules: control.modules },
  };
}

function benchMemory() {
  const url = pathToFileURL(join(ROOT, "dist", "sandbox", "bench-memory.js")).href;
  const script = [
    `const { benchMemory } = await import(${JSON.stringify(url)});`,
    `const r = await benchMemory({ count: ${MEMORY_COUNT} });`,
    // maxRSS (KiB): the child's peak resident set, including the transient garbage of 30,000 requests.
    "const peakRssMB = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;",
    "process.stdout.write(JSON.stringify({ ...r, peakRssMB }));",
  ].join("\n");
  const start = process.hrtime.bigint();
  const res = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], {
    cwd: ROOT,
    env: cleanEnv(),
    encoding: "utf8",
  });
  const wallMs = Math.round(Number(process.hrtime.bigint() - start) / 1e6);
  if (res.status !== 0) throw new Error(`memory benchmark child exited ${res.status}: ${res.stderr}`);
  const r = JSON.parse(res.stdout);
  const MB = 1024 * 1024;
  const r1 = (x) => Math.round(x * 10) / 10;
  return {
    ...r,
    baselineRssMB: r1(r.baselineRssBytes / MB),
    baselineHeapUsedMB: r1(r.baselineHeapUsedBytes / MB),
    rssDeltaMB: r1((r.rssBytes - r.baselineRssBytes) / MB),
    heapDeltaMB: r1((r.heapUsedBytes - r.baselineHeapUsedBytes) / MB),
    wallMs,
  };
}

async function benchPlan(runs, size) {
  const bench = await startBenchSandbox({ timeScale: PLAN_TIME_SCALE });
  const { sb } = bench;
  const dir = mkdtempSync(join(os.tmpdir(), "upg-bench-plan-"));
  try {
    const seed = await sb.admin.seed();
    const pacing = scaledPacing(PLAN_TIME_SCALE);
    const gen = generatePlanProject(dir, {
      apiId: seed.restApiId,
      ...size,
      // AWS's control-plane limits with time scaled like the sandbox; headroom stays the default (0.1).
      config: ["regions: [us-east-1]", ...pacingLines(pacing), ""].join("\n"),
    });
    // Keys are set-up, not part of what is measured: created with throttling off.
    await sb.admin.setThrottling(false);
    await createApiKeys(sb.apigatewayEndpoint, gen.keys);
    await sb.admin.setThrottling(true);
    const env = bench.env();
    log(
      `plan: ${size.plans} plans in ${gen.files} files, ${gen.keys.length} API keys; sandbox time scale ${PLAN_TIME_SCALE}`,
    );

    expectCode("upg init", await upgAsync(["init"], { cwd: dir, env }));
    await bench.resetCounts();
    const apply = await upgAsync(["apply", "--auto-approve"], { cwd: dir, env });
    expectCode("upg apply --auto-approve", apply);
    const applyCalls = { apiGateway: await sb.admin.counters(), dynamodb: bench.dynamo.counts() };
    const applyThrottled = bench.gateway.throttled();
    const status = await sb.admin.status();
    log(`plan: apply created the plans in ${Math.round(apply.ms)} ms (${applyThrottled} 429s)`);

    // Warm-up, then consecutive timed runs; --detailed-exitcode 0 proves there is nothing left to change.
    const r = await consecutivePlans({ bench, dir, env, runs });
    const gw = r.calls.apiGateway.total;
    const paced = { rps: AWS_LIMITS.requestsPerSecond * 0.9, burst: Math.floor(AWS_LIMITS.burst * 0.9) };
    const r1 = (x) => Math.round(x * 10) / 10;
    return {
      plans: size.plans,
      keysPerPlan: size.keysPerPlan,
      files: gen.files,
      apiKeys: gen.keys.length,
      timeScale: PLAN_TIME_SCALE,
      pacing,
      sandboxThrottling: status.throttling,
      summary: r.summary,
      runs: r.runs,
      minMs: r.minMs,
      medianMs: r.medianMs,
      maxMs: r.maxMs,
      samplesMs: r.samplesMs,
      calls: r.calls,
      throttled: r.throttled,
      peakRssMB: r.peakRssMB,
      // At AWS's account-wide default (10 requests/s, burst 40) the reads alone take at least this long;
      // paced 10% under it (9/s, burst 36), this long.
      awsDefaultRateFloorS: r1(Math.max(0, gw - AWS_LIMITS.burst) / AWS_LIMITS.requestsPerSecond),
      pacedFloorS: r1(Math.max(0, gw - paced.burst) / paced.rps),
      apply: { ms: Math.round(apply.ms), calls: applyCalls, throttled: applyThrottled },
    };
  } finally {
    await bench.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------------------
// Report

function verdicts(parts) {
  const out = [];
  const v = parts.validate;
  if (v) {
    out.push({
      target: `upg validate, ${v.files} files: median wall < ${TARGETS.validateMs} ms`,
      measured: `${v.medianMs} ms median (min ${v.minMs})`,
      pass: v.medianMs < TARGETS.validateMs,
    });
    out.push({
      target: "upg validate loads no AWS SDK",
      measured: v.modules.awsSdkLoaded
        ? `${v.modules.awsPackages} @aws-sdk/@smithy packages loaded`
        : "not loaded",
      pass: !v.modules.awsSdkLoaded,
    });
  }
  const h = parts.help;
  if (h) {
    out.push({
      target: `upg --help: median wall < ${TARGETS.helpMs} ms`,
      measured: `${h.medianMs} ms median (min ${h.minMs})`,
      pass: h.medianMs < TARGETS.helpMs,
    });
    out.push({
      target: "upg --help loads no AWS SDK",
      measured: h.modules.awsSdkLoaded
        ? `${h.modules.awsPackages} @aws-sdk/@smithy packages loaded`
        : "not loaded",
      pass: !h.modules.awsSdkLoaded,
    });
  }
  const pl = parts.plan;
  if (pl) {
    out.push({
      target: `${pl.runs} consecutive full \`upg plan\` runs (${pl.plans} plans × ${pl.keysPerPlan} keys): no 429`,
      measured: `${pl.throttled.total} 429s in ${pl.throttled.runsWithAny} of ${pl.runs} runs`,
      pass: pl.throttled.total === 0,
    });
  }
  const m = parts.memory;
  if (m) {
    out.push({
      target: `sandbox, ${m.plans} plans + ${m.keys} keys: RSS < ${TARGETS.memoryMB} MB`,
      measured: `${m.rssMB} MB RSS after GC (peak ${m.peakRssMB} MB; heap ${m.heapUsedMB} MB)`,
      pass: m.rssMB < TARGETS.memoryMB,
    });
  }
  for (const t of parts.sideBySide?.targets ?? []) out.push({ ...t, target: `side by side: ${t.target}` });
  return out;
}

function renderMarkdown(results) {
  const { env, parts, targets } = results;
  const L = [];
  const blank = () => L.push("");
  L.push("# upg benchmark results", "");
  L.push(`Generated by \`npm run bench\` (bench/run.mjs) on ${results.date}, in ${results.durationS} s.`, "");
  L.push(
    `- Node ${env.node} on ${env.platform} ${env.arch}`,
    `- CPU: ${env.cpuModel} (${env.cpus} cores), ${env.memoryGB} GB RAM`,
    `- Parts run: ${results.partsRun.join(", ")}${results.partsSkipped.length ? ` (skipped: ${results.partsSkipped.join(", ")})` : ""}`,
    "- Wall times include Node start-up: measured around a child `node bin/upg ...`, after one untimed warm-up run.",
  );
  if (targets.length > 0) {
    L.push("", "## Targets", "");
    L.push(
      ...mdTable(
        ["target", "measured", "result"],
        targets.map((t) => [t.target, t.measured, sideBySide.verdictText(t.pass)]),
      ),
    );
  }
  const row = (name, s) => [name, s.runs, s.minMs, s.medianMs, s.maxMs];
  if (parts.validate || parts.help || parts.plan) {
    const rows = [];
    if (parts.validate)
      rows.push(
        row(`upg validate (${parts.validate.files} files, ${parts.validate.plans} plans)`, parts.validate),
      );
    if (parts.help) rows.push(row("upg --help", parts.help));
    if (parts.plan) rows.push(row(`upg plan (${parts.plan.plans} applied plans, sandbox)`, parts.plan));
    L.push("", "## Wall time (ms)", "", ...mdTable(["command", "runs", "min", "median", "max"], rows));
  }
  if (parts.validate) {
    const v = parts.validate;
    L.push(
      "",
      "## validate",
      "",
      `${v.files} generated files under plans/TEAM/TIER/ and plans/TEAM/TIER/legacy/ (\`.yaml\` and \`.yml\`), ${v.multiDocFiles} of them holding three plans: ${v.plans} plans. Stages by REST API name with 0-2 method throttles, as API_ID:STAGE and as ARNs; quotas on all periods with offsets; a third of the plans list API keys; Deprecated plans with successors, a few Archived; 2-3 tags each. Every run exits 0 with no diagnostics: \`${v.summary}\``,
    );
  }
  if (parts.validate || parts.help) {
    const pk = (m) =>
      Object.entries(m.packages)
        .map(([p, n]) => `${p} (${n})`)
        .join(", ");
    const sdk = (m) => (m.awsSdkLoaded ? "loaded" : "not loaded");
    const rows = [];
    if (parts.help)
      rows.push(["upg --help", parts.help.modules.modules, sdk(parts.help.modules), pk(parts.help.modules)]);
    if (parts.validate)
      rows.push([
        "upg validate",
        parts.validate.modules.modules,
        sdk(parts.validate.modules),
        pk(parts.validate.modules),
      ]);
    if (parts.help)
      rows.push([
        "control: import the SDK",
        parts.help.tracerControl.modules,
        sdk(parts.help.tracerControl),
        "-",
      ]);
    L.push(
      "",
      "## Modules loaded",
      "",
      "Traced with `node --import bench/trace-loads.mjs` (a module load hook plus the CommonJS require cache at exit), in separate untimed runs. A control run importing `@aws-sdk/client-api-gateway` checks that the tracer does see the SDK.",
      "",
      ...mdTable(["command", "modules", "AWS SDK", "packages (modules each)"], rows),
    );
  }
  if (parts.memory) {
    const m = parts.memory;
    L.push(
      "",
      "## Sandbox memory",
      "",
      `\`benchMemory()\` from dist/sandbox/bench-memory.js in a child \`node --expose-gc\`: ${m.plans} usage plans and ${m.keys} API keys (key i in plan i) created over HTTP with throttling off, 16 requests in flight, in ${m.durationMs} ms. The figures are the child's whole process (emulator plus its HTTP client), after a forced GC.`,
      "",
      ...mdTable(
        ["", "RSS (MB)", "heap used (MB)"],
        [
          ["empty sandbox (baseline)", m.baselineRssMB, m.baselineHeapUsedMB],
          [`with ${m.plans} plans + ${m.keys} keys`, m.rssMB, m.heapUsedMB],
          ["growth", m.rssDeltaMB, m.heapDeltaMB],
          ["peak during the run (maxRSS)", m.peakRssMB, "-"],
        ],
      ),
    );
  }
  if (parts.plan) {
    const p = parts.plan;
    const ops = (c) =>
      Object.entries(c)
        .filter(([k]) => k !== "total")
        .sort((a, b) => b[1] - a[1])
        .map(([k, n]) => `${k} ${n}`)
        .join(", ");
    L.push(
      "",
      "## plan against the sandbox",
      "",
      `${p.plans} plans in ${p.files} files, ${p.apiKeys} API keys (${p.keysPerPlan > 0 ? `${p.keysPerPlan} per plan, listed by name` : "one in a third of the plans"}), stages on the seeded weather-api, created with \`upg apply --auto-approve\` (${p.apply.ms} ms, ${p.apply.throttled} 429s). Sandbox time scale ${p.timeScale} with throttling ${p.sandboxThrottling ? "on" : "off"}; upg pacing set to AWS's limits with time scaled the same way (${p.pacing.requests_per_second} requests/s, burst ${p.pacing.burst}: a burst is a number of tokens and does not scale; UpdateUsagePlan every ${p.pacing.update_usage_plan_interval_ms} ms) and the default 10% headroom. ${p.runs} consecutive \`upg plan --detailed-exitcode\` runs, each exiting 0 (nothing to change): \`${p.summary}\`. 429s received (counted by a proxy in front of the sandbox): ${p.throttled.total} in all, in ${p.throttled.runsWithAny} of ${p.runs} runs.`,
      "",
      ...mdTable(
        ["", "calls", "by operation"],
        [
          ["API Gateway, one `upg plan`", p.calls.apiGateway.total, ops(p.calls.apiGateway)],
          ["DynamoDB, one `upg plan`", p.calls.dynamodb.total, ops(p.calls.dynamodb)],
          [
            "API Gateway, the `upg apply` creating them",
            p.apply.calls.apiGateway.total,
            ops(p.apply.calls.apiGateway),
          ],
          [
            "DynamoDB, the `upg apply` creating them",
            p.apply.calls.dynamodb.total,
            ops(p.apply.calls.dynamodb),
          ],
        ],
      ),
      "",
      `At AWS's real account-wide default (10 requests/s, burst 40), ${p.calls.apiGateway.total} API Gateway reads take at least ${p.awsDefaultRateFloorS} s, and ${p.pacedFloorS} s paced 10% under it (9/s, burst 36); the sandbox run above is scaled ${Math.round(1 / p.timeScale)}x faster.`,
    );
  }
  if (parts.sideBySide) {
    const sbs = parts.sideBySide;
    L.push(
      "",
      "## Side by side",
      "",
      `upg, a naive AWS SDK client and Terraform's per-resource model on one sandbox at time scale ${sbs.timeScale}, ${sbs.sizes.plans} plans × ${sbs.sizes.keysPerPlan} keys and a fleet of ${sbs.sizes.fleet.targets} account-regions, in ${sbs.durationS} s: figures in [SIDE-BY-SIDE.md](SIDE-BY-SIDE.md); its targets are in the table above.`,
    );
  }
  blank();
  return L.join("\n");
}

function printTable(results) {
  const { parts, targets } = results;
  log("");
  const rows = [["benchmark", "runs", "min ms", "median ms", "max ms"]];
  if (parts.validate)
    rows.push([
      `validate (${parts.validate.files} files)`,
      parts.validate.runs,
      parts.validate.minMs,
      parts.validate.medianMs,
      parts.validate.maxMs,
    ]);
  if (parts.help)
    rows.push(["--help", parts.help.runs, parts.help.minMs, parts.help.medianMs, parts.help.maxMs]);
  if (parts.plan)
    rows.push([
      `plan (${parts.plan.plans} plans)`,
      parts.plan.runs,
      parts.plan.minMs,
      parts.plan.medianMs,
      parts.plan.maxMs,
    ]);
  if (rows.length > 1) {
    const w = rows[0].map((_, c) => Math.max(...rows.map((r) => String(r[c]).length)));
    for (const r of rows)
      log(r.map((x, c) => (c === 0 ? String(x).padEnd(w[c]) : String(x).padStart(w[c]))).join("  "));
    log("");
  }
  if (parts.memory) {
    const m = parts.memory;
    log(
      `memory: ${m.plans} plans + ${m.keys} keys: RSS ${m.rssMB} MB (baseline ${m.baselineRssMB}, peak ${m.peakRssMB}), heap ${m.heapUsedMB} MB`,
    );
  }
  if (parts.plan) {
    const p = parts.plan;
    log(`plan: API Gateway calls ${p.calls.apiGateway.total} ${JSON.stringify(p.calls.apiGateway)}`);
    log(`plan: DynamoDB calls ${p.calls.dynamodb.total} ${JSON.stringify(p.calls.dynamodb)}`);
    log(
      `plan: 429s received ${p.throttled.total} in ${p.throttled.runsWithAny} of ${p.runs} runs ${JSON.stringify(p.throttled.perRun)}; apply: ${p.apply.throttled}`,
    );
  }
  for (const [name, part] of [
    ["help", parts.help],
    ["validate", parts.validate],
  ]) {
    if (part)
      log(
        `${name}: ${part.modules.modules} modules; packages: ${Object.keys(part.modules.packages).join(", ")}`,
      );
  }
  if (parts.sideBySide) {
    log("");
    sideBySide.printScenarios(parts.sideBySide, log);
  }
  log("");
  for (const t of targets)
    log(`${sideBySide.verdictText(t.pass).replaceAll("*", "")}  ${t.target}  — ${t.measured}`);
}

// ---------------------------------------------------------------------------------------------------------

async function main() {
  const {
    parts: wanted,
    runs,
    save,
    plans,
    keysPerPlan,
    sideBySide: sideBySideOpts,
  } = parseArgs(process.argv.slice(2));
  const parts = {};
  const began = Date.now();
  if (wanted.includes("validate")) {
    log("validate: generating plan files…");
    parts.validate = benchValidate(runs ?? 5);
  }
  if (wanted.includes("help")) {
    log("help: timing upg --help…");
    parts.help = benchHelp(runs ?? 10);
  }
  if (wanted.includes("memory")) {
    log(`memory: ${MEMORY_COUNT} plans + ${MEMORY_COUNT} keys in a child process…`);
    parts.memory = benchMemory();
  }
  if (wanted.includes("plan")) {
    log("plan: starting the sandbox…");
    parts.plan = await benchPlan(runs ?? PLAN_RUNS, { plans, keysPerPlan });
  }
  if (wanted.includes("side-by-side")) {
    log("side-by-side: starting the sandbox…");
    parts.sideBySide = await sideBySide.runSideBySide(sideBySideOpts, log);
  }
  const cpus = os.cpus();
  const results = {
    date: new Date().toISOString(),
    durationS: Math.round((Date.now() - began) / 100) / 10,
    env: {
      node: process.version,
      platform: os.platform(),
      arch: os.arch(),
      cpuModel: cpus[0]?.model ?? "unknown",
      cpus: cpus.length,
      memoryGB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    },
    partsRun: wanted,
    partsSkipped: PARTS.filter((p) => !wanted.includes(p)),
    targets: verdicts(parts),
    parts,
  };
  printTable(results);
  if (save) {
    writeFileSync(join(BENCH, "results.json"), `${toJson(results)}\n`);
    writeFileSync(join(BENCH, "RESULTS.md"), renderMarkdown(results));
    if (parts.sideBySide)
      writeFileSync(sideBySide.SIDE_BY_SIDE_MD, sideBySide.renderMarkdown(parts.sideBySide));
    log(
      `\nWrote bench/results.json and bench/RESULTS.md${parts.sideBySide ? " and bench/SIDE-BY-SIDE.md" : ""} (${results.durationS} s).`,
    );
  } else {
    log(
      `\nDone in ${results.durationS} s; nothing written (--save writes bench/results.json, bench/RESULTS.md and, with side-by-side, bench/SIDE-BY-SIDE.md).`,
    );
  }
  return results.targets.every((t) => t.pass !== false) ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(
      `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exitCode = 1;
  },
);
