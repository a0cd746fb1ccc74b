// bench/side-by-side.mjs at a tiny size (5 plans × 2 keys; a fleet of 2 accounts × 2 regions × 3 plans): the
// report has every scenario for every client with the figures the README's table shows, upg's API calls equal
// each scenario's minimum, and the Terraform model's counts follow its per-resource formula.

import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { beforeAll, describe, expect, it } from "vitest";

const SCRIPT = fileURLToPath(new URL("../../bench/side-by-side.mjs", import.meta.url));
const ARGS = [
  "--json",
  "--plans",
  "5",
  "--keys-per-plan",
  "2",
  "--runs",
  "1",
  "--target-runs",
  "1",
  "--naive-runs",
  "1",
  "--fleet-accounts",
  "2",
  "--fleet-regions",
  "2",
  "--fleet-plans",
  "3",
  "--fleet-keys-per-plan",
  "1",
];

interface Client {
  calls: number;
  callsOverMinimum: number;
  wallMs?: number;
  floorMs?: number;
  throttled?: number;
  runs?: number;
  failedRuns?: number;
  dynamodbPerChange?: number;
  changes?: number;
  peakRssMB?: number;
  overSlowestShard?: number;
  slowestShardMs?: number;
}
interface Scenario {
  id: string;
  title: string;
  minimum: { calls: number; floorMs: number; definition: string };
  clients: { upg: Client; naive: Client; terraform: Client };
}
interface Report {
  kind: string;
  timeScale: number;
  command: string;
  machine: { cpus: number; node: string };
  sizes: { plans: number; keysPerPlan: number; fleet: { targets: number } };
  consecutivePlans: { runs: number; throttled: { total: number } };
  fleetShards: Array<{ target: string; ms: number; calls: number }>;
  scenarios: Record<string, Scenario>;
  targets: Array<{ target: string; measured: string; pass: boolean | null }>;
}

function run(): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
    for (const k of Object.keys(env))
      if (k.startsWith("AWS_") && k !== "AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED") delete env[k];
    const child = spawn(process.execPath, [SCRIPT, ...ARGS], { env });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

let report: Report;
let exit: number;
beforeAll(async () => {
  const r = await run();
  exit = r.code;
  expect(r.stdout.trim().startsWith("{"), r.stderr).toBe(true);
  report = JSON.parse(r.stdout) as Report;
}, 120_000);

describe("bench/side-by-side.mjs at a tiny size", () => {
  it("reports every scenario for upg, the naive client and the Terraform model", () => {
    expect(report.kind).toBe("upg-side-by-side");
    expect(report.timeScale).toBe(0.01);
    expect(report.command).toContain("--plans 5");
    expect(report.sizes.fleet.targets).toBe(4);
    expect(Object.keys(report.scenarios)).toEqual([
      "plan",
      "target",
      "drift",
      "applyCreate",
      "applyUpdate",
      "fleet",
    ]);
    for (const sc of Object.values(report.scenarios)) {
      expect(sc.minimum.calls, sc.id).toBeGreaterThan(0);
      expect(sc.minimum.definition, sc.id).not.toBe("");
      const { upg, naive, terraform } = sc.clients;
      for (const c of [upg, naive]) {
        expect(c.wallMs, sc.id).toBeGreaterThan(0);
        expect(c.throttled, sc.id).toBeGreaterThanOrEqual(0);
        expect(c.runs, sc.id).toBeGreaterThanOrEqual(1);
        expect(c.failedRuns, sc.id).toBeGreaterThanOrEqual(0);
        expect(c.callsOverMinimum, sc.id).toBeCloseTo(c.calls / sc.minimum.calls, 2);
      }
      expect(upg.failedRuns, sc.id).toBe(0);
      expect(upg.peakRssMB, sc.id).toBeGreaterThan(20);
      expect(terraform.calls, sc.id).toBeGreaterThan(0);
      expect(terraform.floorMs, sc.id).toBeGreaterThanOrEqual(0);
    }
    expect(report.consecutivePlans.runs).toBe(1);
    expect(report.fleetShards).toHaveLength(4);
    expect(report.targets.length).toBeGreaterThanOrEqual(12);
    // The exit code says whether any target failed (null: a target that does not apply at this size).
    expect(exit).toBe(report.targets.some((t) => t.pass === false) ? 1 : 0);
  });

  it("upg's API calls equal the minimum of plan, drift, apply-create, apply-update and the fleet", () => {
    const s = report.scenarios;
    // 1 GetUsagePlans + 5 GetUsagePlanKeys + 1 GetApiKeys + GetRestApis + GetStages
    expect(s.plan!.minimum.calls).toBe(9);
    for (const id of ["plan", "drift", "applyCreate", "applyUpdate", "fleet"]) {
      const sc = s[id]!;
      expect(sc.clients.upg.calls, `${id}: ${JSON.stringify(sc.clients.upg)}`).toBe(sc.minimum.calls);
      expect(sc.clients.upg.callsOverMinimum, id).toBe(1);
    }
    // apply-create: the reads, 5 CreateUsagePlan and 10 CreateUsagePlanKey; apply-update: 5 UpdateUsagePlan.
    expect(s.applyCreate!.minimum.calls).toBe(4 + 5 + 10);
    expect(s.applyCreate!.clients.upg.changes).toBe(15);
    expect(s.applyUpdate!.clients.upg.changes).toBe(5);
    expect(s.applyCreate!.clients.upg.dynamodbPerChange).toBeGreaterThan(0);
    // The fleet: 4 account-regions × (1 + 3 + 1 + 2) calls, and each shard alone makes its share.
    expect(s.fleet!.minimum.calls).toBe(4 * 7);
    for (const shard of report.fleetShards) expect(shard.calls, shard.target).toBe(7);
    expect(s.fleet!.clients.upg.slowestShardMs).toBe(Math.max(...report.fleetShards.map((x) => x.ms)));
    // The targeted plan reads no more than a full one, and its verdict is its call count against 6.
    expect(s.target!.clients.upg.calls).toBeLessThanOrEqual(s.plan!.clients.upg.calls);
    const verdict = report.targets.find((t) => t.target.includes("≤ 6 API calls"));
    expect(verdict?.pass).toBe(s.target!.clients.upg.calls <= 6);
  });

  it("the Terraform model counts one read per resource, and a read after each create or update", () => {
    const s = report.scenarios;
    // 5 plans, 10 attachments, 10 API keys as resources.
    expect(s.plan!.clients.terraform.calls).toBe(5 + 10 + 10);
    expect(s.drift!.clients.terraform.calls).toBe(25);
    expect(s.target!.clients.terraform.calls).toBe(1 + 2 + 2);
    expect(s.applyCreate!.clients.terraform.calls).toBe(10 + 2 * 5 + 2 * 10);
    expect(s.applyUpdate!.clients.terraform.calls).toBe(25 + 2 * 5);
    expect(s.fleet!.clients.terraform.calls).toBe(4 * (3 + 2 * 3));
  });

  it("the naive client's reads: the plan list, then every plan's keys", () => {
    const s = report.scenarios;
    expect(s.plan!.clients.naive.calls - s.plan!.clients.naive.throttled!).toBe(1 + 5);
    expect(s.applyCreate!.clients.naive.calls - s.applyCreate!.clients.naive.throttled!).toBe(1 + 5 + 10);
  });
});
