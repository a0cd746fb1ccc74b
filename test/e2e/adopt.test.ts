// Bringing an existing account under upg, through the real CLI against the sandbox: `upg import` of plans
// made through the SDK with every field, then validate → apply --adopt (tag + record, no UpdateUsagePlan) →
// a clean plan with the same API Gateway ids; a plan file whose name an unmanaged plan carries is a problem,
// never a second plan; import refuses duplicates and existing files; and deleting a plan with keys needs
// --allow-key-loss, while deletion_protection: true is never deleted.

import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import {
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteRestApiCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, type Project, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

async function handMade(
  p: Project,
  name: string,
  extra: Partial<ConstructorParameters<typeof CreateUsagePlanCommand>[0]> = {},
  keys: string[] = [],
): Promise<string> {
  const made = await e2e.sdk.send(new CreateUsagePlanCommand({ name, ...extra }));
  for (const k of keys) {
    const keyId = p.seed.apiKeys.find((x) => x.name === k)!.id;
    await e2e.sdk.send(new CreateUsagePlanKeyCommand({ usagePlanId: made.id!, keyId, keyType: "API_KEY" }));
  }
  return made.id!;
}

const writes = (before: Record<string, number>, after: Record<string, number>) =>
  Object.fromEntries(
    Object.keys(after)
      .filter((op) => /^(Create|Update|Delete)/.test(op) && (after[op] ?? 0) !== (before[op] ?? 0))
      .map((op) => [op, (after[op] ?? 0) - (before[op] ?? 0)]),
  );

describe("upg import and adopting", () => {
  it("import → validate → apply --adopt (adopt only) → clean plan, with the same plan ids", async () => {
    const p = await e2e.project();
    const api = p.seed.restApiId;
    await handMade(
      p,
      "Partner Gold",
      {
        description: "For partners",
        throttle: { rateLimit: 50, burstLimit: 100 },
        quota: { limit: 10000, period: "WEEK", offset: 2 },
        apiStages: [
          { apiId: api, stage: "prod", throttle: { "/forecast/GET": { rateLimit: 10, burstLimit: 20 } } },
          { apiId: api, stage: "dev" },
        ],
        tags: { team: "edge", cost_center: "42" },
      },
      ["acme-dashboard", "globex-mobile"],
    );
    await handMade(p, "Hand Made", { throttle: { rateLimit: 5, burstLimit: 10 } });
    const ids = (await e2e.plans()).map((x) => x.id).sort();
    expect((await p.upg(["init"])).code).toBe(0);

    const imp = await p.upg(["import", "--out", "plans"]);
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stdout).toContain("Wrote plans/partner-gold.yaml");
    const gold = readFileSync(join(p.dir, "plans", "partner-gold.yaml"), "utf8");
    expect(gold).toMatch(/^# Imported by `upg import` from API Gateway us-east-1.* at \d{4}-/);
    expect(gold).toContain("api_name: weather-api");
    expect(gold).toContain("quota_offset: 2");
    expect(gold).toContain("/forecast/GET");
    expect(gold).toContain("- acme-dashboard");
    expect(gold).not.toContain("upg:plan-id");
    expect(existsSync(join(p.dir, "plans", "hand-made.yaml"))).toBe(true);

    const v = await p.upg(["validate"]);
    expect(v.code, v.stdout + v.stderr).toBe(0);

    // Without --adopt the name collision is a problem, and nothing is written.
    const plain = await p.upg(["plan"]);
    expect(plain.code).toBe(1);
    expect(plain.stdout).toContain("upg import --id");
    expect(plain.stdout).toMatch(
      /partner-gold\.yaml:\d+:1: partner-gold: the name "Partner Gold" is already used/,
    );

    const before = await e2e.sb.admin.counters();
    const r = await p.upg(["apply", "--adopt", "--auto-approve"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain("~ adopt usage plan");
    expect(r.stdout).toContain("Plan: 2 to adopt, 0 to create, 0 to update");
    expect(writes(before, await e2e.sb.admin.counters())).toEqual({});

    const again = await p.upg(["plan", "--detailed-exitcode"]);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect((await e2e.plans()).map((x) => x.id).sort()).toEqual(ids);
    const rec = (await p.store().listRecords()).find((x) => x.plan_id === "partner-gold")!;
    expect(rec.keys.length).toBe(2);
    expect(rec.quota_offset).toBe(2);

    // The files exist now: never overwritten without --force.
    const twice = await p.upg(["import", "--out", "plans"]);
    expect(twice.code).toBe(1);
    expect(twice.stderr).toContain("Refusing to overwrite");
    expect((await p.upg(["import", "--out", "plans", "--force", "--id", ids[0]!])).code).toBe(0);
    // Nor imported a second time into another file beside the one that declares it.
    const beside = await p.upg(["import", "--out", "plans", "--single-file", "all.yaml"]);
    expect(beside.code).toBe(1);
    expect(beside.stderr).toContain(
      "partner-gold (Partner Gold) is declared in plans/partner-gold.yaml already",
    );
    expect(existsSync(join(p.dir, "plans", "all.yaml"))).toBe(false);
  });

  it("a plan file named like an unmanaged plan is a problem on apply too: never a second plan", async () => {
    const p = await e2e.project();
    await handMade(p, "Basic", { throttle: { rateLimit: 5, burstLimit: 10 } });
    p.writePlan("basic.yaml", "plan_id: basic\nname: Basic\nrate_limit: 100\nburst_limit: 200\n");
    expect((await p.upg(["init"])).code).toBe(0);
    const r = await p.upg(["apply", "--auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("upg apply --adopt");
    expect((await e2e.plans()).filter((x) => x.name === "Basic").length).toBe(1);
    // Adopted, then the file's settings win through the normal update.
    const a = await p.upg(["apply", "--adopt", "--auto-approve"]);
    expect(a.code, a.stdout + a.stderr).toBe(0);
    expect(a.stdout).toContain("Plan: 1 to adopt, 0 to create, 1 to update");
    const live = await e2e.planByName("Basic");
    expect(live.throttle).toEqual({ rateLimit: 100, burstLimit: 200 });
    expect((await e2e.plans()).length).toBe(1);
  });

  it("import refuses duplicate names; a stage whose REST API is gone is left out with a warning", async () => {
    const p = await e2e.project();
    await handMade(p, "Twin");
    await handMade(p, "Twin");
    const dup = await p.upg(["import", "--out", "plans"]);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toContain('2 live plans are named "Twin"');
    expect(existsSync(join(p.dir, "plans", "twin.yaml"))).toBe(false);

    const id = await handMade(p, "Orphan", { apiStages: [{ apiId: p.seed.restApiId, stage: "prod" }] });
    await e2e.sdk.send(new DeleteRestApiCommand({ restApiId: p.seed.restApiId }));
    const r = await p.upg(["import", "--id", id, "--out", "plans"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`REST API ${p.seed.restApiId} no longer exists`);
    const text = readFileSync(join(p.dir, "plans", "orphan.yaml"), "utf8");
    expect(text).toContain(`# left out: stage ${p.seed.restApiId}:prod`);
    expect(text).not.toMatch(/^stages:/m);
  });
});

describe("delete protection", () => {
  const GOLD = `plan_id: gold
name: Gold
rate_limit: 50
burst_limit: 100
stages: [{ api_name: weather-api, stage: prod }]
keys: [acme-dashboard]
`;

  it("a plan with keys is deleted only with --allow-key-loss; deletion_protection: true never", async () => {
    const p = await e2e.project();
    p.writePlan("gold.yaml", GOLD);
    p.writePlan("keep.yaml", "plan_id: keep\nname: Keep\ndeletion_protection: true\n");
    expect((await p.upg(["init"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);

    p.removePlan("gold.yaml");
    const plan = await p.upg(["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.stdout).toContain("1 API key loses access: acme-dashboard");
    expect(plan.stdout).toContain("--allow-key-loss");
    const refused = await p.upg(["apply", "--auto-approve"]);
    expect(refused.code).toBe(1);
    expect((await e2e.plans()).map((x) => x.name).sort()).toEqual(["Gold", "Keep"]);

    const ok = await p.upg(["apply", "--auto-approve", "--allow-key-loss"]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect((await e2e.plans()).map((x) => x.name)).toEqual(["Keep"]);

    p.writePlan(
      "keep.yaml",
      "plan_id: keep\nname: Keep\ndeletion_protection: true\nlifecycle_state: Archived\n",
    );
    const kept = await p.upg(["apply", "--auto-approve", "--allow-key-loss"]);
    expect(kept.code).toBe(1);
    expect(kept.stdout).toContain("deletion_protection: true");
    expect((await e2e.plans()).map((x) => x.name)).toEqual(["Keep"]);
  });
});
