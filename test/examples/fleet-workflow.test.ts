// examples/github/fleet-drift.yml cannot rot: its structure is checked (a matrix of account-region shards that
// upload their JSON, a report job that downloads them and merges), and its `run:` blocks are run by bash, as
// GitHub runs them, with `upg` on PATH being the real CLI against the multi-account sandbox: every shard of the
// matrix, the artifacts laid out as download-artifact lays them out, then the report job's merge.

import { spawn } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { APIGatewayClient, GetUsagePlansCommand, UpdateUsagePlanCommand } from "@aws-sdk/client-api-gateway";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type E2E, pause, startE2E } from "../e2e/harness.js";
import { UPG_BIN } from "../helpers/cli.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const FILE = join(ROOT, "examples/github/fleet-drift.yml");

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string | number>;
}
interface Job {
  needs?: string;
  if?: string;
  strategy?: { "fail-fast"?: boolean; matrix: { account: string[]; region: string[] } };
  steps: Step[];
}
const wf = parse(readFileSync(FILE, "utf8")) as { jobs: Record<string, Job> };

const step = (job: string, name: string): Step => {
  const s = wf.jobs[job]!.steps.find((x) => x.name === name);
  if (!s) throw new Error(`${job}: no step "${name}"`);
  return s;
};

/** `${{ matrix.X }}` replaced by the shard's values. */
function expand(text: string, matrix: Record<string, string>): string {
  return text.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, k: string) => matrix[k]!);
}

let e2e: E2E;
let bin: string;
beforeAll(async () => {
  e2e = await startE2E();
  bin = mkdtempSync(join(tmpdir(), "upg-bin-"));
  writeFileSync(join(bin, "upg"), `#!/bin/sh\nexec "${process.execPath}" "${UPG_BIN}" "$@"\n`);
  chmodSync(join(bin, "upg"), 0o755);
}, 60_000);
afterAll(async () => {
  await e2e?.stop();
  if (bin) rmSync(bin, { recursive: true, force: true });
});

/**
 * A `run:` block through bash -eo pipefail (as GitHub runs it), upg on PATH, in `cwd`. Asynchronous: the
 * sandbox answers from this process.
 */
function bash(
  run: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ code: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", run], {
      cwd,
      env: {
        ...process.env,
        ...e2e.sb.env(),
        NO_COLOR: "1",
        CI: "true",
        PATH: `${bin}:${process.env.PATH}`,
        ...env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    let stderr = "";
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stderr }));
  });
}

describe("examples/github/fleet-drift.yml", () => {
  it("structure: shards in a matrix, each uploading its JSON; a report job that always merges them", () => {
    const shard = wf.jobs.shard!;
    expect(shard.strategy?.["fail-fast"]).toBe(false);
    expect(shard.strategy?.matrix.account.length).toBeGreaterThan(1);
    expect(shard.strategy?.matrix.region.length).toBeGreaterThan(1);
    const drift = step("shard", "upg drift (one shard)");
    expect(drift.run).toContain(`--account ${"$"}{{ matrix.account }} --region ${"$"}{{ matrix.region }}`);
    const upload = step("shard", "Upload the shard");
    expect(upload.uses).toBe("actions/upload-artifact@v4");
    expect(upload.with?.path).toBe("drift.json");
    const report = wf.jobs.report!;
    expect(report.needs).toBe("shard");
    expect(report.if).toBe("always()");
    const download = step("report", "Download the shards");
    expect(download.uses).toBe("actions/download-artifact@v4");
    // download-artifact's pattern matches every shard's artifact name.
    const prefix = String(download.with?.pattern).replace(/\*$/, "");
    expect(String(upload.with?.name).startsWith(prefix)).toBe(true);
    expect(step("report", "upg report merge").run).toContain(
      `upg report merge ${download.with?.path}/*/drift.json`,
    );
    expect(step("report", "Fail when a shard failed").if).toContain("needs.shard.result != 'success'");
  });

  it("every shard of the matrix, then the merge, against the sandbox: one report over all, exit 2 for drift", async () => {
    const { account: accounts, region: regions } = wf.jobs.shard!.strategy!.matrix;
    const ids = new Map(accounts.map((a, i) => [a, String(300_000_000_000 + i)]));
    const role = (a: string) => `arn:aws:iam::${ids.get(a)}:role/upg-deployer`;
    const p = await e2e.project({
      config: [
        "accounts:",
        ...accounts.map(
          (a) => `  - { name: ${a}, role_arn: "${role(a)}", regions: [${regions.join(", ")}] }`,
        ),
      ].join("\n"),
    });
    p.writePlan(
      "free.yaml",
      "plan_id: free\nname: Free\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n",
    );
    for (const a of accounts) {
      for (const region of regions) {
        await e2e.sb.admin.at({ account: ids.get(a)!, region }).reset();
        await e2e.sb.admin.at({ account: ids.get(a)!, region }).seed();
        for (const cmd of [["init"], ["apply", "--auto-approve"]]) {
          const r = await p.upg([...cmd, "--account", a, "--region", region]);
          expect(r.code, r.stderr).toBe(0);
        }
      }
    }
    // Drift in one account-region, made from outside upg.
    const [acct, region] = [accounts[0]!, regions[1]!];
    const sts = new STSClient({
      region,
      endpoint: `${e2e.sb.apigatewayEndpoint}/sts`,
      credentials: e2e.sb.credentials,
    });
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: role(acct), RoleSessionName: "console" })))
      .Credentials!;
    sts.destroy();
    const api = new APIGatewayClient({
      endpoint: e2e.sb.apigatewayEndpoint,
      region,
      credentials: {
        accessKeyId: c.AccessKeyId!,
        secretAccessKey: c.SecretAccessKey!,
        sessionToken: c.SessionToken!,
      },
    });
    const id = ((await api.send(new GetUsagePlansCommand({}))).items ?? [])[0]!.id!;
    await pause();
    await api.send(
      new UpdateUsagePlanCommand({
        usagePlanId: id,
        patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "50" }],
      }),
    );
    api.destroy();

    // The shard job, once per matrix entry; its artifact where download-artifact puts it.
    const upload = step("shard", "Upload the shard");
    const download = step("report", "Download the shards");
    for (const a of accounts) {
      for (const r of regions) {
        const matrix = { account: a, region: r };
        const run = await bash(expand(step("shard", "upg drift (one shard)").run!, matrix), p.dir, {});
        expect(run.code, run.stderr).toBe(0);
        const dir = join(p.dir, String(download.with?.path), expand(String(upload.with?.name), matrix));
        mkdirSync(dir, { recursive: true });
        renameSync(join(p.dir, String(upload.with?.path)), join(dir, "drift.json"));
      }
    }
    // The report job.
    const summary = join(p.dir, "summary.md");
    const env = { GITHUB_STEP_SUMMARY: summary, GITHUB_ACTIONS: "true" };
    expect((await bash(step("report", "Job summary").run!, p.dir, env)).code).toBe(0);
    const md = readFileSync(summary, "utf8");
    expect(md).toContain(`## upg drift: ${accounts.length * regions.length} targets: all read.`);
    for (const a of accounts) for (const r of regions) expect(md).toContain(`### ${a}/${r}`);
    const merge = await bash(`${step("report", "upg report merge").run!} > merged.txt`, p.dir, env);
    expect(merge.code).toBe(2);
    const text = readFileSync(join(p.dir, "merged.txt"), "utf8");
    const drifted = text.split("\n").filter((l) => / 50\b/.test(l));
    expect(drifted.length).toBeGreaterThan(0);
    for (const l of drifted) expect(l.startsWith(`${acct}/${region}  `)).toBe(true);
  });
});
