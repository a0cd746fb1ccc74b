// A fleet through the real CLI and SDK on the multi-account sandbox: 2 accounts × 2 regions, each reached by
// assuming its role through STS; plan and drift over all of them with one merged report, a role that cannot
// be assumed (the others still reported, exit 1), and shards merged with `upg report merge` equal to one run.

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { APIGatewayClient, GetUsagePlansCommand, UpdateUsagePlanCommand } from "@aws-sdk/client-api-gateway";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { spawnCli } from "../helpers/cli.js";
import { type E2E, type Project, pause, startE2E, TIME_SCALE } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const FREE =
  "plan_id: free\nname: Free\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n";
const REGIONS = ["us-east-1", "eu-west-1"];
let nextAccount = 100_000_000_000;

interface Fleet {
  p: Project;
  accounts: Array<{ name: string; id: string; role: string }>;
  labels: string[];
}

/** A project with two accounts (fresh account ids) in two regions, each seeded and initialised (unless told). */
async function fleet(opts: { init?: boolean } = {}): Promise<Fleet> {
  const accounts = ["prod", "dev"].map((name) => {
    const id = String(++nextAccount);
    return { name, id, role: `arn:aws:iam::${id}:role/upg-deployer` };
  });
  const p = await e2e.project({
    config: [
      "accounts:",
      ...accounts.map(
        (a) => `  - { name: ${a.name}, role_arn: "${a.role}", regions: [${REGIONS.join(", ")}] }`,
      ),
    ].join("\n"),
  });
  await e2e.sb.sts.resetRoles();
  p.writePlan("free.yaml", FREE);
  const targets = accounts.flatMap((a) => REGIONS.map((region) => ({ a, region })));
  if (opts.init !== false) {
    // Side by side, as the account-regions are independent.
    await Promise.all(
      targets.map(async ({ a, region }) => {
        await e2e.sb.admin.at({ account: a.id, region }).seed();
        const init = await p.upg(["init", "--account", a.name, "--region", region]);
        expect(init.stderr).toBe("");
        expect(init.code).toBe(0);
      }),
    );
  }
  return { p, accounts, labels: targets.map(({ a, region }) => `${a.name}/${region}`) };
}

/** An API Gateway client in an account of the sandbox, through its role (as a console user would act). */
async function apiGatewayIn(role: string | undefined, region: string): Promise<APIGatewayClient> {
  if (!role)
    return new APIGatewayClient({
      endpoint: e2e.sb.apigatewayEndpoint,
      region,
      credentials: e2e.sb.credentials,
    });
  const sts = new STSClient({
    region,
    endpoint: `${e2e.sb.apigatewayEndpoint}/sts`,
    credentials: e2e.sb.credentials,
  });
  const c = (await sts.send(new AssumeRoleCommand({ RoleArn: role, RoleSessionName: "console" })))
    .Credentials!;
  sts.destroy();
  return new APIGatewayClient({
    endpoint: e2e.sb.apigatewayEndpoint,
    region,
    credentials: {
      accessKeyId: c.AccessKeyId!,
      secretAccessKey: c.SecretAccessKey!,
      sessionToken: c.SessionToken!,
    },
  });
}

interface FleetDoc {
  kind: string;
  command: string;
  exit_code: number;
  results: Array<{
    account: string | null;
    region: string;
    status: string;
    exit_code: number;
    error?: string;
    report?: {
      account?: string;
      changes?: Array<Record<string, unknown>>;
      violations?: Array<Record<string, unknown>>;
    };
  }>;
}

/** The document without its timestamps (they differ between runs). */
function timeless(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(timeless);
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(
    Object.entries(v)
      .filter(([k]) => k !== "generated_at" && k !== "created_at" && k !== "detected_at")
      .map(([k, x]) => [k, timeless(x)]),
  );
}

describe("a fleet of 2 accounts × 2 regions", () => {
  it("plan and apply cover every account-region with one merged report; drift names where", async () => {
    const { p, accounts, labels } = await fleet();
    const plan = await p.upg(["plan", "-o", "json", "--detailed-exitcode"]);
    // stdout is the JSON document; stderr one progress line per account-region as it finishes.
    const progress = plan.stderr.trimEnd().split("\n");
    expect(progress).toHaveLength(4);
    for (const [i, l] of progress.entries())
      expect(l).toMatch(new RegExp(`^\\[${i + 1}/4\\] \\S+ planned \\(\\d+\\.\\d s\\)$`));
    expect(progress.map((l) => l.split(" ")[1]).sort()).toEqual([...labels].sort());
    expect(plan.code).toBe(2);
    const doc = JSON.parse(plan.stdout) as FleetDoc;
    expect(doc.kind).toBe("upg-fleet-report");
    expect(doc.command).toBe("plan");
    expect(doc.exit_code).toBe(2);
    expect(doc.results.map((r) => `${r.account}/${r.region}`).sort()).toEqual([...labels].sort());
    for (const r of doc.results) {
      expect(r).toMatchObject({ status: "ok", exit_code: 2 });
      expect(r.report?.account).toBe(r.account);
      expect(r.report?.changes).toEqual([
        expect.objectContaining({ action: "create", planId: "free", account: r.account, region: r.region }),
      ]);
    }

    // Without a terminal and without --auto-approve, apply over the fleet shows the plan and changes nothing.
    const unconfirmed = await p.upg(["apply"]);
    expect(unconfirmed.code).toBe(1);
    expect(unconfirmed.stderr).toContain("Refusing to apply without confirmation");
    for (const label of labels)
      expect(unconfirmed.stdout).toContain(`${label}    # free will be created — new plan`);
    const still = JSON.parse((await p.upg(["plan", "-o", "json"])).stdout) as FleetDoc;
    for (const r of still.results) expect(r.report?.changes).toHaveLength(1);

    // apply covers every account-region side by side; each line says where; one merged result.
    const applied = await p.upg(["apply", "--auto-approve"]);
    expect(applied.code, applied.stdout + applied.stderr).toBe(0);
    for (const label of labels) {
      expect(applied.stdout).toMatch(new RegExp(`^${label}  +✓ create free \\(\\w+\\)`, "m"));
      expect(applied.stdout).toContain(`== ${label} ==\n${label}  Apply complete: 1 change applied.`);
    }
    expect(applied.stdout).toContain("4 targets: all applied.");
    expect(applied.stderr.match(/^\[\d\/4\] \S+ applied \(/gm)).toHaveLength(4);
    const again = await p.upg(["apply", "--auto-approve", "-o", "json"]);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({
      kind: "upg-fleet-report",
      command: "apply",
      results: [],
    });
    // Each account-region has its own plan, in its own account.
    const [prod] = accounts;
    const api = await apiGatewayIn(prod!.role, "eu-west-1");
    const live = (await api.send(new GetUsagePlansCommand({}))).items ?? [];
    expect(live.map((x) => x.name)).toEqual(["Free"]);

    // Drift in one account-region only: the report says which, on the header and on every line.
    await pause();
    await api.send(
      new UpdateUsagePlanCommand({
        usagePlanId: live[0]!.id!,
        patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "50" }],
      }),
    );
    api.destroy();
    const human = await p.upg(["drift"]);
    expect(human.code).toBe(2);
    for (const label of labels) expect(human.stdout).toContain(`== ${label} ==`);
    const driftLines = human.stdout.split("\n").filter((l) => /rate/i.test(l) && /50/.test(l));
    expect(driftLines.length).toBeGreaterThan(0);
    for (const l of driftLines) expect(l.startsWith("prod/eu-west-1  ")).toBe(true);
    expect(human.stdout).toContain("4 targets: all read.");

    const json = JSON.parse((await p.upg(["drift", "-o", "json"])).stdout) as FleetDoc;
    const drifted = json.results.filter((r) => (r.report?.violations ?? []).length > 0);
    expect(drifted.map((r) => `${r.account}/${r.region}`)).toEqual(["prod/eu-west-1"]);
    expect(drifted[0]!.report!.violations![0]).toMatchObject({
      violation_type: "rate_limit_changed",
      account: "prod",
      region: "eu-west-1",
    });
    expect(json.exit_code).toBe(2);

    // -o sarif: one run for the whole fleet; each result names its account-region.
    const sarif = await p.upg(["drift", "-o", "sarif"]);
    expect(sarif.code).toBe(2);
    const sdoc = JSON.parse(sarif.stdout) as {
      runs: Array<{ results: Array<{ ruleId: string; message: { text: string } }> }>;
    };
    expect(sdoc.runs).toHaveLength(1);
    expect(sdoc.runs[0]!.results.map((r) => r.ruleId)).toEqual(["rate_limit_changed"]);
    expect(sdoc.runs[0]!.results[0]!.message.text.startsWith("[prod/eu-west-1] free")).toBe(true);

    // --region narrows to the matching account-regions.
    const narrowed = JSON.parse(
      (await p.upg(["drift", "-o", "json", "--region", "us-east-1"])).stdout,
    ) as FleetDoc;
    expect(narrowed.results.map((r) => `${r.account}/${r.region}`)).toEqual([
      "dev/us-east-1",
      "prod/us-east-1",
    ]);
    expect(narrowed.exit_code).toBe(0);
  });

  it("a role that cannot be assumed fails only its account's targets, with AWS's message; exit 1", async () => {
    const { p, accounts } = await fleet();
    const dev = accounts[1]!;
    await e2e.sb.sts.setRole({ roleArn: dev.role, assumable: false });
    const r = await p.upg(["drift", "-o", "json"]);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as FleetDoc;
    expect(doc.exit_code).toBe(1);
    for (const res of doc.results) {
      if (res.account === "dev") {
        expect(res.status).toBe("error");
        expect(res.error).toContain(`Cannot assume ${dev.role} for account dev:`);
        expect(res.error).toMatch(/not authorized to perform: sts:AssumeRole|AccessDenied/);
      } else {
        expect(res).toMatchObject({ status: "ok", exit_code: 0 });
      }
    }
    const human = await p.upg(["status"]);
    expect(human.code).toBe(1);
    expect(human.stdout).toContain("dev/us-east-1  Error: Cannot assume");
    expect(human.stdout).toContain("4 targets: 2 read, 2 failed (dev/eu-west-1, dev/us-east-1).");
    // One shard of the broken account: a plain error.
    const one = await p.upg(["plan", "--account", "dev", "--region", "us-east-1"]);
    expect(one.code).toBe(1);
    expect(one.stderr).toContain(`Cannot assume ${dev.role} for account dev:`);
  });

  it("shards (one per account-region) merged with `upg report merge` equal one full run", async () => {
    const { p, accounts } = await fleet();
    const applies = await Promise.all(
      accounts.map((a) => p.upg(["apply", "--auto-approve", "--account", a.name, "--region", "us-east-1"])),
    );
    for (const r of applies) expect(r.code).toBe(0);
    const full = await p.upg(["drift", "-o", "json", "--fail-on-pending"]);
    const files: string[] = [];
    for (const a of accounts) {
      for (const region of REGIONS) {
        const shard = await p.upg([
          "drift",
          "-o",
          "json",
          "--fail-on-pending",
          "--account",
          a.name,
          "--region",
          region,
        ]);
        const shardDoc = JSON.parse(shard.stdout) as { kind: string; account: string; region: string };
        expect(shardDoc).toMatchObject({ kind: "upg-drift-report", account: a.name, region });
        const file = join(p.dir, `drift-${a.name}-${region}.json`);
        writeFileSync(file, shard.stdout);
        files.push(file);
      }
    }
    const merged = await p.upg(["report", "merge", "-o", "json", "--fail-on-pending", ...files]);
    expect(merged.stderr).toBe("");
    expect(timeless(JSON.parse(merged.stdout))).toEqual(timeless(JSON.parse(full.stdout)));
    expect(merged.code).toBe(full.code);

    expect(merged.code).toBe(2);
    const md = await p.upg(["report", "merge", "-o", "markdown", ...files]);
    expect(md.stdout).toContain("## upg drift: 4 targets: all read.");
    expect(md.stdout).toContain("### prod/eu-west-1");

    const dup = await p.upg(["report", "merge", files[0]!, files[1]!, files[0]!]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain(`prod/us-east-1 is in both ${files[0]} and ${files[0]}.`);
  });

  it("init covers every account-region; before it, plan says per target what to do", async () => {
    const { p, accounts, labels } = await fleet({ init: false });
    for (const a of accounts)
      for (const region of REGIONS) await e2e.sb.admin.at({ account: a.id, region }).seed();
    const before = await p.upg(["plan"]);
    expect(before.code).toBe(1);
    for (const label of labels) {
      expect(before.stdout).toContain(`${label}  Error: Table `);
      expect(before.stdout).toContain(`${label}  Run \`upg init\``);
    }
    const init = await p.upg(["init"]);
    expect(init.code, init.stdout + init.stderr).toBe(0);
    for (const label of labels) expect(init.stdout).toContain(`== ${label} ==`);
    expect(init.stdout).toContain("upg is ready in 4 account-regions.");
    const again = await p.upg(["init", "-o", "json"]);
    expect(again.code).toBe(0);
    const results = JSON.parse(again.stdout) as Array<{ account: string; region: string; status: string }>;
    expect(results.map((r) => `${r.account}/${r.region}`).sort()).toEqual([...labels].sort());
    expect(results.every((r) => r.status === "ok")).toBe(true);
    const plan = await p.upg(["plan"]);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
  });

  it("an unknown --account, or a region no account has, is a clear error", async () => {
    const { p } = await fleet({ init: false });
    const bad = await p.upg(["plan", "--account", "prdo"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("--account names no account in upg.config.yaml: prdo.");
    expect(bad.stderr).toContain("prod, dev");
    const region = await p.upg(["drift", "--region", "ap-south-1"]);
    expect(region.code).toBe(1);
    expect(region.stderr).toContain("--region ap-south-1: not a region of any account in upg.config.yaml.");
  });

  it("without accounts: the current credentials' account in every region given, the account unnamed", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    await e2e.sb.admin.at({ region: "eu-west-1" }).reset();
    await e2e.sb.admin.at({ region: "eu-west-1" }).seed();
    for (const region of REGIONS) expect((await p.upg(["init", "--region", region])).code).toBe(0);
    const r = await p.upg(["plan", "-o", "json", "--region", "us-east-1", "--region", "eu-west-1"]);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as FleetDoc;
    expect(doc.results.map((x) => [x.account, x.region, x.status])).toEqual([
      [null, "eu-west-1", "ok"],
      [null, "us-east-1", "ok"],
    ]);
    for (const x of doc.results) {
      expect(x.report?.changes).toEqual([
        expect.objectContaining({ action: "create", account: null, region: x.region }),
      ]);
    }
    // One region: today's plan document, without an account.
    const one = JSON.parse((await p.upg(["plan", "-o", "json"])).stdout) as {
      region: string;
      account?: string;
    };
    expect(one.region).toBe("us-east-1");
    expect(one).not.toHaveProperty("account");
  });

  it("a plan file's regions: the plan lives only there; moving it creates it in one region and removes it from the other", async () => {
    const p = await e2e.project();
    const configFile = join(p.dir, "upg.config.yaml");
    writeFileSync(
      configFile,
      readFileSync(configFile, "utf8").replace("regions: [us-east-1]", "regions: [us-east-1, eu-west-1]"),
    );
    await e2e.sb.admin.at({ region: "eu-west-1" }).reset();
    await e2e.sb.admin.at({ region: "eu-west-1" }).seed();
    await e2e.sb.admin.at({ region: "us-east-1" }).reset();
    await e2e.sb.admin.at({ region: "us-east-1" }).seed();
    const gold = (region: string) =>
      `plan_id: gold\nname: Gold\nrate_limit: 50\nburst_limit: 100\nregions: [${region}]\nstages: [{ api_name: weather-api, stage: dev }]\n`;
    p.writePlan("free.yaml", FREE);
    p.writePlan("gold.yaml", gold("eu-west-1"));
    const init = await p.upg(["init"]);
    expect(init.code, init.stdout + init.stderr).toBe(0);
    const applied = await p.upg(["apply", "--auto-approve", "-o", "json"]);
    expect(applied.code, applied.stderr).toBe(0);
    const created = (JSON.parse(applied.stdout) as FleetDoc).results.map((r) => [
      r.region,
      (r.report as { results: Array<{ planId: string }> }).results.map((x) => x.planId).sort(),
    ]);
    expect(created).toEqual([
      ["eu-west-1", ["free", "gold"]],
      ["us-east-1", ["free"]],
    ]);

    // Move gold to us-east-1: created there, removed from eu-west-1; free untouched in both.
    p.writePlan("gold.yaml", gold("us-east-1"));
    const plan = JSON.parse((await p.upg(["plan", "-o", "json"])).stdout) as FleetDoc;
    expect(
      plan.results.map((r) => [r.region, r.report?.changes?.map((c) => `${c.action} ${c.planId}`)]),
    ).toEqual([
      ["eu-west-1", ["delete gold"]],
      ["us-east-1", ["create gold"]],
    ]);
    // One region: --region narrows, and the plan of that region alone.
    const one = JSON.parse((await p.upg(["plan", "-o", "json", "--region", "eu-west-1"])).stdout) as {
      changes: Array<{ action: string; planId: string }>;
    };
    expect(one.changes.map((c) => `${c.action} ${c.planId}`)).toEqual(["delete gold"]);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    for (const region of REGIONS) {
      const api = await apiGatewayIn(undefined, region);
      const names = ((await api.send(new GetUsagePlansCommand({}))).items ?? []).map((x) => x.name).sort();
      api.destroy();
      expect(names).toEqual(region === "us-east-1" ? ["Free", "Gold"] : ["Free"]);
    }
    const clean = await p.upg(["plan", "--detailed-exitcode"]);
    expect(clean.code, clean.stdout).toBe(0);

    // A region the project does not manage is a plan-file error at its line and column; nothing is read.
    p.writePlan("gold.yaml", gold("ap-south-1"));
    const bad = await p.upg(["plan"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/gold\.yaml:5:11/);
    expect(bad.stderr).toContain(
      "Region ap-south-1 is not managed by this project (upg.config.yaml: us-east-1, eu-west-1).",
    );
  });

  it("apply at a terminal: one confirmation for the fleet; a target whose state moved after it was shown applies nothing", async () => {
    const { p, accounts, labels } = await fleet();
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    p.writePlan("free.yaml", FREE.replace("rate_limit: 5", "rate_limit: 6"));
    const env = { ...e2e.sb.env(), AWS_PROFILE: undefined, CI: "1" };

    // Ctrl-C at the prompt: nothing anywhere, exit 130.
    const cancelled = spawnCli(["apply"], { cwd: p.dir, env, tty: true });
    await cancelled.waitFor("Enter a value:");
    expect(cancelled.stdout().match(/Do you want to perform these actions\?/g)).toHaveLength(1);
    cancelled.child.stdin.write("\x03");
    const c = await cancelled.done;
    cancelled.child.stdin.end();
    expect(c.code, c.stdout).toBe(130);
    expect(c.stdout).toContain("Apply cancelled. Nothing was changed.");

    // Someone changes prod/eu-west-1 while the plan waits for "yes": that target refuses, the others apply.
    const run = spawnCli(["apply"], { cwd: p.dir, env, tty: true });
    await run.waitFor("Enter a value:");
    const api = await apiGatewayIn(accounts[0]!.role, "eu-west-1");
    const live = (await api.send(new GetUsagePlansCommand({}))).items ?? [];
    await api.send(
      new UpdateUsagePlanCommand({
        usagePlanId: live[0]!.id!,
        patchOperations: [{ op: "replace", path: "/description", value: "edited in the console" }],
      }),
    );
    api.destroy();
    run.child.stdin.write("yes\n");
    const r = await run.done;
    run.child.stdin.end();
    expect(r.code, r.stdout).toBe(1);
    expect(r.stdout).toContain(
      "prod/eu-west-1  Error: Nothing was applied here: the plan changed since it was shown (live API Gateway state changed since it was made).",
    );
    for (const label of labels.filter((l) => l !== "prod/eu-west-1")) {
      expect(r.stdout).toContain(`${label}    ✓ update free`);
      expect(r.stdout).toContain(`${label}  Apply complete: 1 change applied.`);
    }
    expect(r.stdout).toContain("4 targets: 3 applied, 1 not applied (prod/eu-west-1).");
    const plan = JSON.parse((await p.upg(["plan", "-o", "json"])).stdout) as FleetDoc;
    expect(
      plan.results.filter((x) => (x.report?.changes ?? []).length > 0).map((x) => `${x.account}/${x.region}`),
    ).toEqual(["prod/eu-west-1"]);
  });

  it("a region whose endpoint refuses the run fails only its targets, saying why; the others are reported; exit 1", async () => {
    const { p } = await fleet();
    await e2e.sb.admin.setRegions(["us-east-1"]);
    let r: Awaited<ReturnType<typeof p.upg>>;
    try {
      r = await p.upg(["drift", "-o", "json"]);
    } finally {
      await e2e.sb.admin.setRegions(null);
    }
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as FleetDoc;
    expect(doc.exit_code).toBe(1);
    expect(doc.results.map((x) => [`${x.account}/${x.region}`, x.status])).toEqual([
      ["dev/eu-west-1", "error"],
      ["dev/us-east-1", "ok"],
      ["prod/eu-west-1", "error"],
      ["prod/us-east-1", "ok"],
    ]);
    for (const x of doc.results.filter((y) => y.status === "error"))
      expect(x.error).toContain(
        "the request was signed for region eu-west-1, which is not the region of that endpoint",
      );
    expect(r.stderr).toMatch(/^\[\d\/4\] prod\/eu-west-1 failed: /m);
  });

  it("drift --notify over the fleet: one alert per drifted account-region, naming its account and region; repeated runs stay quiet", async () => {
    const { p, accounts } = await fleet();
    const alertsFile = join(p.dir, "alerts.jsonl");
    const configFile = join(p.dir, "upg.config.yaml");
    writeFileSync(
      configFile,
      `${readFileSync(configFile, "utf8")}\nalerts: { targets: [{ type: file, path: ${alertsFile} }] }\n`,
    );
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    await pause();
    const api = await apiGatewayIn(accounts[1]!.role, "us-east-1");
    const live = (await api.send(new GetUsagePlansCommand({}))).items ?? [];
    await api.send(
      new UpdateUsagePlanCommand({
        usagePlanId: live[0]!.id!,
        patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "50" }],
      }),
    );
    api.destroy();
    const first = await p.upg(["drift", "--notify", "-o", "json"]);
    expect(first.code, first.stderr).toBe(2);
    const lines = readFileSync(alertsFile, "utf8").trimEnd().split("\n");
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0]!)).toMatchObject({ event: "opened", account: "dev", region: "us-east-1" });
    const second = await p.upg(["drift", "--notify", "-o", "json"]);
    expect(second.code).toBe(2);
    expect(readFileSync(alertsFile, "utf8").trimEnd().split("\n")).toHaveLength(1);
  });

  it("kill -9 mid fleet apply: the lock message names the unlock for that account-region; the next apply finishes in one go", async () => {
    const { p, labels } = await fleet();
    const plans = ["a", "b", "c"];
    for (const id of plans)
      p.writePlan(`${id}.yaml`, FREE.replace(/free/g, id).replace("Free", `Plan ${id}`));
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    for (const id of plans)
      p.writePlan(
        `${id}.yaml`,
        FREE.replace(/free/g, id).replace("Free", `Plan ${id}`).replace("rate_limit: 5", "rate_limit: 6"),
      );
    // Every call held at AWS for a while, so that updates are in flight (their intents written) at the kill.
    await e2e.sb.admin.setFaults({ latencyMs: 400 / TIME_SCALE });
    const run = spawnCli(["apply", "--auto-approve"], {
      cwd: p.dir,
      env: { ...e2e.sb.env(), AWS_PROFILE: undefined, CI: "1" },
    });
    await run.waitFor("✓ update");
    run.kill("SIGKILL");
    await run.done;
    await e2e.sb.admin.resetFaults();

    const held = await p.upg(["apply", "--auto-approve"]);
    expect(held.code).toBe(1);
    const unlocks = [...held.stdout.matchAll(/upg unlock (\w+) --account (\S+) --region (\S+) --reason/g)];
    expect(unlocks.map((m) => `${m[2]}/${m[3]}`).sort()).toEqual([...labels].sort());
    for (const [, id, account, region] of unlocks) {
      const u = await p.upg([
        "unlock",
        id!,
        "--account",
        account!,
        "--region",
        region!,
        "--reason",
        "killed in a test",
      ]);
      expect(u.code, u.stdout + u.stderr).toBe(0);
    }

    const next = await p.upg(["apply", "--auto-approve"]);
    expect(next.code, next.stdout + next.stderr).toBe(0);
    expect(next.stderr).toContain("Finishing what an earlier run left unfinished:");
    expect(next.stdout).toContain("4 targets: all applied.");
    expect((await p.upg(["plan", "--detailed-exitcode"])).code).toBe(0);
    for (const label of labels) {
      const [account, region] = label.split("/");
      const verify = await p.upg(["audit", "verify", "--account", account!, "--region", region!]);
      expect(verify.code, verify.stdout + verify.stderr).toBe(0);
    }
  });
});
