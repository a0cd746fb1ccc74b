// `upg keys` through the real CLI against the sandbox: list in every format, create/enable/disable/delete,
// import (bad files refused with line numbers, nothing sent), rotate and --finish. No output ever contains a
// key value: every run's output is collected and grepped for the seed values and the values upg created.

import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { GetApiKeysCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { CliRun } from "../helpers/cli.js";
import { type E2E, type Project, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const BASIC = `plan_id: basic
name: Basic
rate_limit: 100
burst_limit: 200
quota_limit: 1000
quota_period: DAY
stages: [{ api_name: weather-api, stage: prod }]
keys: [globex-mobile]
`;
const FREE = `plan_id: free
name: Free
rate_limit: 5
burst_limit: 10
quota_limit: 100
quota_period: DAY
stages: [{ api_name: weather-api, stage: dev }]
`;

/** Every output of every run, to grep for key values at the end. */
const outputs: string[] = [];
const values: string[] = [];

async function run(p: Project, args: string[], input?: string): Promise<CliRun> {
  const r = await p.upg(args, input !== undefined ? { input } : {});
  outputs.push(r.stdout, r.stderr);
  return r;
}

async function applied(): Promise<Project> {
  const p = await e2e.project();
  values.push(...p.seed.apiKeys.map((k) => k.value));
  p.writePlan("basic.yaml", BASIC);
  p.writePlan("free.yaml", FREE);
  expect((await p.upg(["init"])).code).toBe(0);
  const r = await p.upg(["apply", "--auto-approve"]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return p;
}

async function liveKeys() {
  return (await e2e.sdk.send(new GetApiKeysCommand({ limit: 500 }))).items ?? [];
}

async function auditActions(p: Project): Promise<string[]> {
  return (await p.store().listAudit()).map((a) => a.action);
}

const seedId = (p: Project, name: string) => p.seed.apiKeys.find((k) => k.name === name)!.id;

describe("upg keys", () => {
  it("list: human, json and csv name the plans by plan_id; --plan filters; an unknown plan is an error", async () => {
    const p = await applied();
    const human = await run(p, ["keys", "list"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("globex-mobile");
    expect(human.stdout).toMatch(/3 keys \(0 disabled\)/);
    const json = await run(p, ["keys", "list", "-o", "json"]);
    const rows = JSON.parse(json.stdout) as Array<{
      id: string;
      name: string;
      plans: string[];
      created: string;
    }>;
    expect(rows.find((r) => r.name === "globex-mobile")?.plans).toEqual(["basic"]);
    expect(rows.every((r) => typeof r.created === "string")).toBe(true);
    const csv = await run(p, ["keys", "list", "-o", "csv", "--plan", "basic"]);
    expect(csv.stdout.split("\n")[0]).toBe("id,name,enabled,plans,created,last_updated");
    expect(csv.stdout.trim().split("\n")).toHaveLength(2);
    expect(csv.stdout).toContain(`${seedId(p, "globex-mobile")},globex-mobile,true,basic,`);
    const bad = await run(p, ["keys", "list", "--plan", "nope"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("No plan nope");
  });

  it("create, disable, enable, delete: audited, the value delivered only to the 0600 file or once with --reveal", async () => {
    const p = await applied();
    const file = join(p.dir, "k1.key");
    const c1 = await run(p, ["keys", "create", "partner-one", "--plan", "free", "--value-file", file]);
    expect(c1.code, c1.stderr).toBe(0);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const v1 = readFileSync(file, "utf8").trim();
    expect(v1).toMatch(/^[A-Za-z0-9]{20,128}$/);
    values.push(v1);
    const again = await run(p, ["keys", "create", "partner-x", "--plan", "free", "--value-file", file]);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain("exists already");

    const c2 = await run(p, ["keys", "create", "partner-two", "--plan", "free", "--reveal"]);
    expect(c2.code, c2.stderr).toBe(0);
    const v2 = /Value \(shown once, not stored by upg\): (\S+)/.exec(c2.stdout)![1]!;
    values.push(v2);
    outputs.pop();
    outputs.pop(); // the one output that shows a value on purpose
    // The master record keeps up: free observes its keys, and plan has nothing to do (no "record out of date").
    const synced = await run(p, ["plan", "--detailed-exitcode"]);
    expect(synced.code, synced.stdout + synced.stderr).toBe(0);
    const freeKeys = (await p.store().getRecord("free"))!.keys;
    for (const name of ["partner-one", "partner-two"])
      expect(freeKeys).toContain((await liveKeys()).find((k) => k.name === name)!.id);

    const json = await run(p, ["keys", "create", "partner-j", "--plan", "free", "--reveal", "-o", "json"]);
    expect(json.code).toBe(1);
    expect(json.stderr).toContain("-o json never contains a key value");
    const none = await run(p, ["keys", "create", "partner-y", "--plan", "free"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("--value-file FILE or --reveal");
    const unknown = await run(p, ["keys", "create", "partner-z", "--plan", "nope", "--reveal"]);
    expect(unknown.code).toBe(1);
    expect((await liveKeys()).map((k) => k.name)).not.toContain("partner-z");
    expect((await liveKeys()).map((k) => k.name)).not.toContain("partner-j");

    const declared = await run(p, [
      "keys",
      "create",
      "basic-extra",
      "--plan",
      "basic",
      "--value-file",
      join(p.dir, "b.key"),
    ]);
    expect(declared.code, declared.stderr).toBe(0);
    values.push(readFileSync(join(p.dir, "b.key"), "utf8").trim());
    expect(declared.stderr).toContain('Edited plans/basic.yaml: added "basic-extra" to keys:.');
    expect(readFileSync(join(p.dir, "plans", "basic.yaml"), "utf8")).toMatch(
      /keys: \[ ?globex-mobile, basic-extra ?\]/,
    );
    const clean = await run(p, ["plan", "--detailed-exitcode"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect((await p.store().getRecord("basic"))!.keys).toContain(
      (await liveKeys()).find((k) => k.name === "basic-extra")!.id,
    );

    // A plan file that declares keys but cannot be edited: refused, located, nothing created.
    p.writePlan("basic.yaml", `${BASIC}rate_limit: [\n`);
    const broken = await run(p, ["keys", "create", "basic-more", "--plan", "basic", "--reveal"]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain("Plan basic declares its keys, but its file cannot be edited: ");
    expect(broken.stderr).toContain("basic.yaml:");
    expect((await liveKeys()).map((k) => k.name)).not.toContain("basic-more");
    p.writePlan("basic.yaml", BASIC.replace("keys: [globex-mobile]", "keys: [globex-mobile, basic-extra]"));
    const list = JSON.parse(
      (await run(p, ["keys", "list", "-o", "json", "--plan", "free"])).stdout,
    ) as Array<{ name: string }>;
    expect(list.map((k) => k.name).sort()).toEqual(["partner-one", "partner-two"]);

    expect((await run(p, ["keys", "disable", "partner-one"])).code).toBe(0);
    expect((await liveKeys()).find((k) => k.name === "partner-one")?.enabled).toBe(false);
    expect((await run(p, ["keys", "enable", "partner-one"])).code).toBe(0);
    expect((await liveKeys()).find((k) => k.name === "partner-one")?.enabled).toBe(true);

    const refused = await run(p, ["keys", "delete", "partner-one"]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("--yes");
    const del = await run(p, ["keys", "delete", "partner-one", "--yes"]);
    expect(del.code, del.stderr).toBe(0);
    expect(del.stdout).toContain("it leaves free");
    expect((await liveKeys()).map((k) => k.name)).not.toContain("partner-one");
    expect((await run(p, ["keys", "delete", "nope", "--yes"])).stderr).toContain('No API key "nope"');
    const afterDelete = await run(p, ["plan", "--detailed-exitcode"]);
    expect(afterDelete.code, afterDelete.stdout + afterDelete.stderr).toBe(0);

    const actions = await auditActions(p);
    for (const a of ["create-apikey", "disable-apikey", "enable-apikey", "delete-apikey"])
      expect(actions).toContain(a);
    expect((await run(p, ["audit", "verify"])).code).toBe(0);
  });

  it("import: a bad file is refused with every line, nothing sent; a good one joins --plan, audited", async () => {
    const p = await applied();
    const bad = join(p.dir, "bad.csv");
    const good = "A".repeat(20);
    writeFileSync(
      bad,
      [
        "\uFEFFname,key,enabled",
        `a,${good}1,true`,
        "b,short,true",
        `c,${"x".repeat(19)}!,true`,
        `d,${good}1,maybe`,
      ].join("\r\n"),
    );
    const before = (await e2e.sb.admin.counters()).ImportApiKeys ?? 0;
    const r = await run(p, ["keys", "import", bad]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bad.csv:1: error: the file starts with a byte-order mark");
    expect(r.stderr).toContain("bad.csv:1: error: the file has Windows (CRLF) line ends");
    expect(r.stderr).toContain("bad.csv:3: error: the key value is 5 characters long");
    expect(r.stderr).toContain(
      "bad.csv:4: error: the key value has a character that is not a letter or digit",
    );
    expect(r.stderr).toContain("bad.csv:5: error: the same key value as line 2");
    expect(r.stderr).toContain('bad.csv:5: error: Enabled is "maybe"');
    expect(r.stderr).not.toContain(good);
    const header = join(p.dir, "header.csv");
    writeFileSync(header, `nam,key\nx,${good}1\n`);
    const h = await run(p, ["keys", "import", header]);
    expect(h.stderr).toContain('header.csv:1: error: unknown column "nam"');
    expect(h.stderr).toContain("header.csv:1: error: the header has no Name column");
    const big = join(p.dir, "big.csv");
    const lines = ["name,key"];
    for (let i = 0; i < 20_000; i++) lines.push(`k${i},${String(i).padStart(20, "0")}x`);
    writeFileSync(big, lines.join("\n"));
    const b = await run(p, ["keys", "import", big]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain(
      "big.csv:10002: error: the file has 20000 keys; at most 10000 can be imported",
    );
    expect((await e2e.sb.admin.counters()).ImportApiKeys ?? 0).toBe(before);

    const ok = join(p.dir, "ok.csv");
    const v1 = "PartnerAlpha0000000000001";
    const v2 = "PartnerBeta00000000000002";
    values.push(v1, v2);
    writeFileSync(ok, `Key,Name,Description,Enabled\n${v1},alpha,"first, partner",TRUE\n${v2},beta,,false\n`);
    const imp = await run(p, ["keys", "import", ok, "--plan", "free"]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toContain("Imported 2 API keys into free.");
    const list = JSON.parse(
      (await run(p, ["keys", "list", "-o", "json", "--plan", "free"])).stdout,
    ) as Array<{
      name: string;
      enabled: boolean;
    }>;
    expect(list.map((k) => [k.name, k.enabled]).sort()).toEqual([
      ["alpha", true],
      ["beta", false],
    ]);
    expect(await auditActions(p)).toContain("import-apikeys");
  });

  it("rotate: successor in the same plans, recorded; --finish retires the old key only after the overlap", async () => {
    const p = await applied();
    const oldId = seedId(p, "globex-mobile");
    expect(
      (await run(p, ["keys", "rotate", "globex-mobile", "--overlap", "7x", "--reveal"])).stderr,
    ).toContain("is not a duration between 1m and 90d");
    const file = join(p.dir, "next.key");
    const r = await run(p, [
      "keys",
      "rotate",
      "globex-mobile",
      "--overlap",
      "7d",
      "--value-file",
      file,
      "-o",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    values.push(readFileSync(file, "utf8").trim());
    const rec = JSON.parse(r.stdout) as {
      old_key_id: string;
      new_key_id: string;
      plans: Array<{ plan_id: string }>;
    };
    expect(rec.old_key_id).toBe(oldId);
    expect(rec.plans.map((x) => x.plan_id)).toEqual(["basic"]);
    const basicId = (await e2e.planByName("Basic")).id!;
    expect(await e2e.planKeys(basicId)).toEqual([oldId, rec.new_key_id].sort());
    expect((await run(p, ["keys", "rotate", "globex-mobile", "--reveal"])).stderr).toContain(
      "already being rotated",
    );

    const early = await run(p, ["keys", "rotate", "--finish"]);
    expect(early.code).toBe(0);
    expect(early.stdout).toContain("0 rotations finished, 1 still in their overlap");
    // The overlap ends: move it into the past.
    const store = p.store();
    const [stored] = await store.listRotations();
    await store.deleteRotation(oldId);
    await store.putRotation({ ...stored!, overlap_ends_at: new Date(Date.now() - 1000).toISOString() });
    const fin = await run(p, ["keys", "rotate", "--finish"]);
    expect(fin.code, fin.stderr).toBe(0);
    expect(fin.stdout).toContain(`${oldId} disabled and deleted`);
    expect(await e2e.planKeys(basicId)).toEqual([rec.new_key_id]);
    expect(await store.listRotations()).toEqual([]);
    const basicYaml = readFileSync(join(p.dir, "plans", "basic.yaml"), "utf8");
    expect(basicYaml).not.toContain("globex-mobile,");
    expect(basicYaml).toMatch(/keys: \[ ?globex-mobile-rotated-\d{4}-\d{2}-\d{2} ?\]/);
    const clean = await run(p, ["plan", "--detailed-exitcode"]);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect((await p.store().getRecord("basic"))!.keys).toEqual([rec.new_key_id]);
    expect(await auditActions(p)).toEqual(expect.arrayContaining(["rotate-apikey", "rotate-finish"]));
  });

  it("no output of any keys command contained a key value", () => {
    expect(values.length).toBeGreaterThan(5);
    const all = outputs.join("\n");
    for (const v of values) expect(all).not.toContain(v);
  });
});
