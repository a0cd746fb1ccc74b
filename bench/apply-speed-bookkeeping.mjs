#!/usr/bin/env node
// Micro-benchmark: apply's own bookkeeping (everything but the API and DynamoDB calls), as the plan grows.
// applyPlan from dist/ runs plans of N creates × K key attaches against an in-memory API Gateway and store
// that answer at once, so the time measured is apply's alone. Linear bookkeeping keeps the time per change
// flat as N grows; a lookup that walks the whole plan per change makes it grow with N.
//
//   npm run build && node bench/apply-speed-bookkeeping.mjs [--keys-per-plan 20] [--sizes 300,600,1200,2400]

import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const { applyPlan } = await import(pathToFileURL(join(ROOT, "dist", "apply", "apply-plan.js")).href);

function arg(name, fallback) {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
}
const keysPerPlan = Number(arg("--keys-per-plan", "20"));
const sizes = arg("--sizes", "300,600,1200,2400").split(",").map(Number);

function settings(i) {
  return {
    name: `Plan ${i}`,
    stages: [{ apiId: "api1", stage: "prod", throttle: {} }],
    tags: {},
    throttle: { rateLimit: 10, burstLimit: 20 },
  };
}

function makePlan(n, k) {
  const changes = [];
  const desired = [];
  for (let i = 0; i < n; i++) {
    const planId = `plan-${i}`;
    const keys = Array.from({ length: k }, (_, j) => `key-${i}-${j}`);
    const d = {
      planId,
      settings: settings(i),
      lifecycleState: "Active",
      keys: [...keys].sort(),
      source: { file: "plans.yaml", index: i },
    };
    desired.push(d);
    changes.push({ id: `create:${planId}`, action: "create", resource: "plan", planId, desired: d });
    for (const keyId of keys)
      changes.push({ id: `attach:${planId}:${keyId}`, action: "attach", resource: "key", planId, keyId });
  }
  return {
    format_version: 1,
    created_at: new Date().toISOString(),
    region: "us-east-1",
    targets: [],
    changes,
    desired,
    live_keys: {},
    violations: [],
    problems: [],
    fingerprint: {},
  };
}

function memoryWorld() {
  let next = 0;
  const calls = {};
  const count = (op) => {
    calls[op] = (calls[op] ?? 0) + 1;
  };
  const live = {
    createPlan: async () => {
      count("CreateUsagePlan");
      return `id${next++}`;
    },
    attachKey: async () => count("CreateUsagePlanKey"),
    detachKey: async () => count("DeleteUsagePlanKey"),
    callCounts: () => calls,
  };
  const records = new Map();
  let seq = 0;
  const store = {
    putRecord: async (r, expected) => {
      const cur = records.get(r.plan_id);
      if ((cur?.version ?? 0) !== expected) throw new Error(`version of ${r.plan_id}`);
      const out = { ...r, version: expected + 1 };
      records.set(r.plan_id, out);
      return out;
    },
    deleteRecord: async (planId) => {
      records.delete(planId);
    },
    appendAudit: async (entry) => ({ ...entry, seq: ++seq }),
    appendAuditBatch: async (entries) => entries.map((e) => ({ ...e, seq: ++seq })),
  };
  return { live, store };
}

const rows = [];
for (const n of sizes) {
  const plan = makePlan(n, keysPerPlan);
  let best = Number.POSITIVE_INFINITY;
  for (let run = 0; run < 3; run++) {
    const { live, store } = memoryWorld();
    const t0 = performance.now();
    const result = await applyPlan(plan, [], {
      live,
      store,
      clock: () => new Date(),
      actor: "bench",
      runId: `run-${run}`,
      ownershipTagKey: "upg:plan-id",
    });
    const ms = performance.now() - t0;
    const failed = result.results.filter((r) => r.outcome !== "ok");
    if (failed.length > 0)
      throw new Error(`${failed.length} changes did not run: ${failed[0].error} (${result.stopped ?? ""})`);
    best = Math.min(best, ms);
  }
  const changes = plan.changes.length;
  rows.push({ plans: n, changes, ms: Math.round(best), usPerChange: Math.round((best * 1000) / changes) });
  console.log(
    `${n} plans × ${keysPerPlan} keys: ${changes} changes in ${Math.round(best)} ms (${Math.round((best * 1000) / changes)} µs per change)`,
  );
}
const first = rows[0];
const last = rows.at(-1);
console.log(
  `per-change time from ${first.changes} to ${last.changes} changes: ×${(last.usPerChange / first.usPerChange).toFixed(2)} (flat = linear)`,
);
