// `upg sandbox --data DIR` as a process: plans applied with upg (stages, method throttles, keys, tags), a key
// made with `upg keys create`, usage recorded; the sandbox stopped (SIGTERM, or SIGKILL right after a 2xx) and
// started again with the same DIR shows the same account: `upg plan` has no changes, `upg drift` is clean, and
// the ids, keys and usage are the same. A corrupt state file stops the start with a clear error.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  GetApiKeysCommand,
  GetUsageCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { STATE_FILE_NAME } from "../../src/sandbox/index.js";
import { type LiveCli, runCli, spawnCli } from "../helpers/cli.js";

const dirs: string[] = [];
const children: LiveCli[] = [];

function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(d);
  return d;
}

afterEach(async () => {
  for (const c of children.splice(0)) {
    c.kill("SIGKILL");
    await c.done;
  }
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface CliSandbox {
  cli: LiveCli;
  banner: string;
  env: Record<string, string>;
  sdk: APIGatewayClient;
}

/** `upg sandbox --port 0 --data DIR`, once its banner (ending with the export lines) is printed. */
async function startCliSandbox(dataDir: string): Promise<CliSandbox> {
  const cli = spawnCli(["sandbox", "--port", "0", "--time-scale", "0.01", "--data", dataDir], {
    timeoutMs: 120_000,
  });
  children.push(cli);
  await cli.waitFor(/export AWS_SECRET_ACCESS_KEY=\S+\n[\s\S]*\n\n/, { stream: "stdout" });
  const banner = cli.stdout();
  const env = Object.fromEntries([...banner.matchAll(/^export (\w+)=(\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  const sdk = new APIGatewayClient({
    endpoint: env.AWS_ENDPOINT_URL_API_GATEWAY,
    region: env.AWS_REGION,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID!, secretAccessKey: env.AWS_SECRET_ACCESS_KEY! },
    maxAttempts: 5,
  });
  return { cli, banner, env, sdk };
}

async function stopCliSandbox(s: CliSandbox, signal: "SIGTERM" | "SIGKILL"): Promise<void> {
  s.sdk.destroy();
  s.cli.kill(signal);
  const done = await s.cli.done;
  children.splice(children.indexOf(s.cli), 1);
  if (signal === "SIGTERM") expect(done.code).toBe(0);
  else expect(done.signal).toBe("SIGKILL");
}

const GOLD = `plan_id: gold
name: Gold
description: for partners
rate_limit: 100
burst_limit: 200
quota_limit: 1000
quota_period: MONTH
stages:
  - api_name: weather-api
    stage: prod
    method_throttles:
      "/forecast/GET": { rate_limit: 5, burst_limit: 10 }
  - { api_name: weather-api, stage: dev }
keys: [globex-mobile, acme-dashboard]
tags: { team: partners }
`;

const FREE = `plan_id: free
name: Free
stages: [{ api_name: weather-api, stage: dev }]
`;

interface Project {
  dir: string;
  upg(args: string[], sb: CliSandbox): ReturnType<typeof runCli>;
}

let tableCounter = 0;

function project(): Project {
  const dir = tempDir("upg-e2e-data-project-");
  mkdirSync(join(dir, "plans"));
  const n = ++tableCounter;
  writeFileSync(
    join(dir, "upg.config.yaml"),
    [
      "regions: [us-east-1]",
      `tables: { metadata: meta-data-${process.pid}-${n}, audit: audit-data-${process.pid}-${n} }`,
      "pacing: { requests_per_second: 1000, burst: 4000, update_usage_plan_interval_ms: 200 }",
      "lock: { ttl_seconds: 60 }",
    ].join("\n"),
  );
  writeFileSync(join(dir, "plans", "gold.yaml"), GOLD);
  writeFileSync(join(dir, "plans", "free.yaml"), FREE);
  return {
    dir,
    upg: (args, sb) => runCli(args, { cwd: dir, env: { ...sb.env, AWS_PROFILE: undefined, CI: "1" } }),
  };
}

const today = () => new Date().toISOString().slice(0, 10);

/** What must be the same after a restart: plans (ids, settings, tags, stages), keys (ids, values, ...),
 * memberships and usage. */
async function snapshot(sdk: APIGatewayClient) {
  const plans = (await sdk.send(new GetUsagePlansCommand({ limit: 500 }))).items ?? [];
  const keys = (await sdk.send(new GetApiKeysCommand({ limit: 500, includeValues: true }))).items ?? [];
  const members: Record<string, string[]> = {};
  const usage: Record<string, unknown> = {};
  for (const p of plans) {
    const items = (await sdk.send(new GetUsagePlanKeysCommand({ usagePlanId: p.id }))).items ?? [];
    members[p.name ?? ""] = items.map((k) => k.id ?? "").sort();
    usage[p.name ?? ""] = (
      await sdk.send(new GetUsageCommand({ usagePlanId: p.id, startDate: today(), endDate: today() }))
    ).items;
  }
  return { plans, keys, members, usage };
}

async function expectCleanAgainst(p: Project, sb: CliSandbox): Promise<void> {
  const plan = await p.upg(["plan", "--detailed-exitcode"], sb);
  expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  expect(plan.stdout).toContain("No changes. API Gateway and the master records match the plan files.");
  const drift = await p.upg(["drift"], sb);
  expect(drift.code, drift.stdout + drift.stderr).toBe(0);
  expect(drift.stdout).toContain("Drift: 0 violations, 0 pending edits, 0 not checked.");
}

/** A new data dir: seeded sandbox, plans applied with upg, a key made with upg, usage recorded. */
async function populated(): Promise<{ dataDir: string; p: Project; sb: CliSandbox }> {
  const dataDir = tempDir("upg-e2e-data-");
  const sb = await startCliSandbox(dataDir);
  expect(sb.banner).toContain(`Data         ${dataDir}`);
  expect(sb.banner).toContain("; new)");
  expect(sb.banner).toContain("Seeded REST API weather-api");
  const p = project();
  expect((await p.upg(["init"], sb)).code).toBe(0);
  const applied = await p.upg(["apply", "--auto-approve"], sb);
  expect(applied.code, applied.stdout + applied.stderr).toBe(0);
  const created = await p.upg(
    ["keys", "create", "partner-one", "--plan", "free", "--value-file", join(p.dir, "partner-one.key")],
    sb,
  );
  expect(created.code, created.stdout + created.stderr).toBe(0);
  // The free plan's record follows its new key on the next apply.
  const synced = await p.upg(["apply", "--auto-approve"], sb);
  expect(synced.code, synced.stdout + synced.stderr).toBe(0);
  const plans = (await sb.sdk.send(new GetUsagePlansCommand({}))).items ?? [];
  const gold = plans.find((x) => x.name === "Gold")!;
  const keys = (await sb.sdk.send(new GetApiKeysCommand({ limit: 500 }))).items ?? [];
  const globex = keys.find((k) => k.name === "globex-mobile")!;
  const res = await fetch(`${sb.env.AWS_ENDPOINT_URL_API_GATEWAY}/_sandbox/usage`, {
    method: "POST",
    body: JSON.stringify({ usagePlanId: gold.id, keyId: globex.id, date: today(), count: 37 }),
  });
  expect(res.status).toBe(204);
  await expectCleanAgainst(p, sb);
  return { dataDir, p, sb };
}

describe("upg sandbox --data DIR", { timeout: 120_000 }, () => {
  it("stopped with SIGTERM, then killed with SIGKILL right after a 2xx: each restart shows the same account", async () => {
    const { dataDir, p, sb } = await populated();
    const before = await snapshot(sb.sdk);
    expect(before.plans.map((x) => x.name).sort()).toEqual(["Free", "Gold"]);
    expect(before.keys).toHaveLength(4);
    await stopCliSandbox(sb, "SIGTERM");

    // SIGTERM: the same ids, settings, tags, stages, keys, members and usage; not seeded a second time.
    const again = await startCliSandbox(dataDir);
    expect(again.banner).toContain("restored 2 usage plans, 4 API keys, 1 REST API");
    expect(again.banner).toContain("Not seeded: the account was restored from the data directory.");
    expect(again.banner).not.toContain("Seeded REST API");
    const after = await snapshot(again.sdk);
    expect(after).toEqual(before);
    const gold = after.plans.find((x) => x.name === "Gold")!;
    expect(gold.tags).toMatchObject({ team: "partners" });
    expect(gold.apiStages?.find((s) => s.stage === "prod")?.throttle).toEqual({
      "/forecast/GET": { rateLimit: 5, burstLimit: 10 },
    });
    expect(after.members.Free).toHaveLength(1);
    const usage = after.usage.Gold as Record<string, number[][]>;
    expect(Object.values(usage).map((days) => days[0]?.[0])).toContain(37);
    await expectCleanAgainst(p, again);
    // A second sandbox on the same directory would overwrite this one's state: refused.
    const second = await runCli(["sandbox", "--port", "0", "--data", dataDir], { timeoutMs: 30_000 });
    expect(second.code).toBe(1);
    expect(second.stderr).toContain(
      `Error: The sandbox data directory ${dataDir} is in use by another sandbox (process ${again.cli.child.pid}).`,
    );

    // SIGKILL right after a 2xx: that change is kept too, and the id sequence goes on after it.
    const last = await again.sdk.send(new CreateApiKeyCommand({ name: "acknowledged-then-killed" }));
    expect(last.$metadata.httpStatusCode).toBe(201);
    const beforeKill = await snapshot(again.sdk);
    await stopCliSandbox(again, "SIGKILL");

    const third = await startCliSandbox(dataDir);
    expect(third.banner).toContain("restored 2 usage plans, 5 API keys, 1 REST API");
    const afterKill = await snapshot(third.sdk);
    expect(afterKill).toEqual(beforeKill);
    expect(afterKill.keys.find((k) => k.id === last.id)?.value).toBe(last.value);
    const next = await third.sdk.send(new CreateApiKeyCommand({ name: "after-restart" }));
    const ids = ((await third.sdk.send(new GetApiKeysCommand({ limit: 500 }))).items ?? []).map((k) => k.id);
    expect(ids.at(-1)).toBe(next.id);
    expect(beforeKill.keys.map((k) => k.id)).not.toContain(next.id);
    await expectCleanAgainst(p, third);
    await stopCliSandbox(third, "SIGTERM");
  });

  it("a corrupt state file: exit 1, an error naming the file and what to do, the file left as it was", async () => {
    const dataDir = tempDir("upg-e2e-data-corrupt-");
    const file = join(dataDir, STATE_FILE_NAME);
    writeFileSync(file, '{"format":"upg-sandbox-state","version":1,"plans":[{"id":');
    const r = await runCli(["sandbox", "--port", "0", "--data", dataDir], { timeoutMs: 30_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: Cannot load the sandbox state from ${file}: not valid JSON`);
    expect(r.stderr).toContain(
      "move it away to start this directory's API Gateway account afresh (its DynamoDB tables are kept)",
    );
    expect(r.stderr).not.toContain("unexpected error");
    expect(r.stdout).not.toContain("upg sandbox is running");
    expect(readFileSync(file, "utf8")).toBe('{"format":"upg-sandbox-state","version":1,"plans":[{"id":');
  });
});
