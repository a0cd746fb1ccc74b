// Saved plans through the real CLI: made elsewhere, edited, garbled — refused with one clear paragraph and
// nothing applied; a plan made here and unchanged still applies.

import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateUsagePlanCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planChecksum } from "../../src/apply/saved-plan.js";
import type { CliRun } from "../helpers/cli.js";
import { type E2E, type Project, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const FREE = `plan_id: free
name: Free
rate_limit: 5
burst_limit: 10
stages: [{ api_name: weather-api, stage: dev }]
`;

interface Doc {
  changes: Record<string, unknown>[];
  [k: string]: unknown;
}

async function savedIn(p: Project, file = "plan.json"): Promise<Doc> {
  expect((await p.upg(["init"])).code).toBe(0);
  const r = await p.upg(["plan", "--out", file]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(readFileSync(join(p.dir, file), "utf8")) as Doc;
}

function write(p: Project, file: string, doc: unknown, reseal: boolean): void {
  const d = doc as Record<string, unknown>;
  if (reseal) d.checksum = planChecksum(d);
  writeFileSync(join(p.dir, file), JSON.stringify(d, null, 2));
}

/** Exit 1 with one paragraph (the error and its hint), no stack trace. */
function refused(r: CliRun, message: string): void {
  expect(r.code, r.stdout + r.stderr).toBe(1);
  expect(r.stderr).toContain(`Error: ${message}`);
  expect(r.stderr).toContain("Make a new one with `upg plan --out");
  expect(r.stderr).not.toMatch(/unexpected error|\n\s+at /);
  expect(r.stderr.trim().split("\n\n")).toHaveLength(1);
}

async function liveNames(): Promise<string[]> {
  return (await e2e.plans()).map((x) => x.name!).sort();
}

describe("saved plans are checked, not trusted", () => {
  it("a plan made here, unchanged, applies; it carries its provenance and checksum (-o json shows the same)", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    const r = await p.upg(["plan", "--out", "plan.json", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(readFileSync(join(p.dir, "plan.json"), "utf8"));
    expect(JSON.parse(r.stdout)).toEqual(doc);
    expect(doc.format_version).toBe(2);
    expect(doc.provenance).toEqual({
      region: "us-east-1",
      account: "123456789012",
      tables: p.tables,
      project: null,
      inputs_hash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(doc.checksum).toBe(planChecksum(doc));
    const apply = await p.upg(["apply", "plan.json"]);
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stdout).toContain("✓ create free");
    expect(await liveNames()).toEqual(["Free"]);
  });

  it("a plan made in project A is refused in project B: other tables, or the same tables and other plan files", async () => {
    const a = await e2e.project();
    a.writePlan("free.yaml", FREE);
    await savedIn(a);
    const aConfig = readFileSync(join(a.dir, "upg.config.yaml"), "utf8");

    const b = await e2e.project();
    b.writePlan("free.yaml", FREE);
    expect((await b.upg(["init"])).code).toBe(0);
    copyFileSync(join(a.dir, "plan.json"), join(b.dir, "plan.json"));
    refused(
      await b.upg(["apply", "plan.json"]),
      `The saved plan plan.json was not made here: it was made for the tables ${a.tables.metadata} and ${a.tables.audit}, and this project uses ${b.tables.metadata} and ${b.tables.audit}.`,
    );

    writeFileSync(join(b.dir, "upg.config.yaml"), aConfig);
    b.writePlan("free.yaml", FREE.replace("rate_limit: 5", "rate_limit: 6"));
    expect((await b.upg(["init"])).code).toBe(0);
    refused(
      await b.upg(["apply", "plan.json"]),
      "The saved plan plan.json is stale: the plan files or upg.config.yaml changed since it was made.",
    );
    expect(await liveNames()).toEqual([]);
  });

  it("a plan whose config changed since it was made is stale", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    await savedIn(p);
    const config = join(p.dir, "upg.config.yaml");
    writeFileSync(config, `${readFileSync(config, "utf8")}\npolicy: { max_rate_limit: 5000 }\n`);
    refused(
      await p.upg(["apply", "plan.json"]),
      "The saved plan plan.json is stale: the plan files or upg.config.yaml changed since it was made.",
    );
    expect(await liveNames()).toEqual([]);
  });

  it("an edited plan is refused, with or without its checksum recomputed, and nothing is applied", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    const unmanaged = await e2e.sdk.send(new CreateUsagePlanCommand({ name: "Not ours" }));
    const doc = await savedIn(p);
    const create = doc.changes.find((c) => c.id === "create:free") as {
      desired: { settings: { throttle: { rateLimit: number } } };
    };

    // A rate far above policy.max_rate_limit (10000).
    create.desired.settings.throttle.rateLimit = 50000;
    write(p, "rate.json", doc, false);
    refused(
      await p.upg(["apply", "rate.json"]),
      "The saved plan rate.json was edited after it was saved: its checksum does not match its content.",
    );
    write(p, "rate-resealed.json", doc, true);
    refused(
      await p.upg(["apply", "rate-resealed.json"]),
      "The saved plan rate-resealed.json is stale: it no longer equals what `upg plan` computes now (create:free differs).",
    );

    // A delete of a plan upg does not manage.
    create.desired.settings.throttle.rateLimit = 5;
    doc.changes.push({
      id: "delete:not-ours",
      action: "delete",
      resource: "plan",
      planId: "not-ours",
      apiGatewayId: unmanaged.id,
    });
    write(p, "delete.json", doc, true);
    refused(
      await p.upg(["apply", "delete.json"]),
      "The saved plan delete.json is stale: it no longer equals what `upg plan` computes now (delete:not-ours is not in the current plan).",
    );
    expect(await liveNames()).toEqual(["Not ours"]);

    // The refusals released the lock; the unedited plan still applies.
    const ok = await p.upg(["apply", "plan.json"]);
    expect(ok.code, ok.stderr).toBe(0);
    expect(await liveNames()).toEqual(["Free", "Not ours"]);
  });

  it("a garbled or older plan is one paragraph and exit 1, before anything is read from AWS", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    const doc = await savedIn(p);
    const cases: [string, (d: Doc) => void, string][] = [
      ["null.json", (d) => (d.changes = [null as never]), "`changes[0]` must be an object, not null."],
      ["empty.json", (d) => (d.changes = [{}]), "`changes[0].id` is missing"],
      ["fp.json", (d) => (d.fingerprint = "x"), '`fingerprint` must be an object, not the string "x".'],
      ["targets.json", (d) => (d.targets = "abc"), '`targets` must be a list, not the string "abc".'],
    ];
    await e2e.sb.admin.resetCounters();
    for (const [file, edit, what] of cases) {
      const d = structuredClone(doc);
      edit(d);
      write(p, file, d, true);
      refused(
        await p.upg(["apply", file, "--auto-approve"]),
        `The saved plan ${file} is not a valid upg plan: ${what}`,
      );
    }
    write(p, "old.json", { ...structuredClone(doc), format_version: 1 }, true);
    refused(
      await p.upg(["apply", "old.json"]),
      "The saved plan old.json was made by an older upg (plan format 1; this upg applies format 2).",
    );
    expect((await e2e.sb.admin.counters()).total ?? 0).toBe(0);
    expect(await liveNames()).toEqual([]);
  });
});
