import {
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, pause, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const FREE =
  "plan_id: free\nname: Free\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n";
const keyId = (p: { seed: { apiKeys: { name: string; id: string }[] } }, name: string) =>
  p.seed.apiKeys.find((k) => k.name === name)!.id;

describe("partial failures never make upg forget", () => {
  it("a key whose restore failed stays in the record and is restored by the next apply", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    const free = await e2e.planByName("Free");
    const acme = keyId(p, "acme-dashboard");
    const globex = keyId(p, "globex-mobile");
    for (const k of [acme, globex]) {
      await e2e.sdk.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: free.id, keyId: k, keyType: "API_KEY" }),
      );
    }
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: free.id,
        patchOperations: [{ op: "remove", path: "/apiStages", value: `${p.seed.restApiId}:dev` }],
      }),
    );
    await e2e.sdk.send(new DeleteUsagePlanCommand({ usagePlanId: free.id }));

    await e2e.sb.admin.setFaults({
      failOperation: { operation: "CreateUsagePlanKey", status: 404, code: "NotFoundException", count: 1 },
    });
    const first = await p.upg(["apply", "--auto-approve"]);
    await e2e.sb.admin.resetFaults();
    expect(first.code).toBe(1);
    expect(first.stdout).toContain("✓ recreate free");
    // Keys attach in id order, so which of the two hit the one injected failure depends on the ids.
    const failedName = /✗ attach key (\S+) → free/.exec(first.stdout)?.[1];
    expect(["acme-dashboard", "globex-mobile"]).toContain(failedName);
    const failed = keyId(p, failedName!);
    const rec = (await p.store().getRecord("free"))!;
    expect(rec.keys).toEqual([acme, globex].sort());
    expect(rec.pending_keys).toEqual([failed]);
    const plan = await p.upg(["plan"]);
    expect(plan.stdout).toContain(
      `+ key ${failedName} (${failed}) → free — restore: an earlier apply could not attach it`,
    );

    const second = await p.upg(["apply", "--auto-approve"]);
    expect(second.code, second.stdout).toBe(0);
    expect(await e2e.planKeys((await e2e.planByName("Free")).id!)).toEqual([acme, globex].sort());
    expect((await p.store().getRecord("free"))!.pending_keys).toBeUndefined();
    expect((await p.upg(["plan", "--detailed-exitcode"])).code).toBe(0);
  });

  it("when a plan's update fails, its key changes still run and are recorded: no false drift afterwards", async () => {
    const p = await e2e.project();
    const plan = (rate: number, keys: string) =>
      `${FREE.replace("rate_limit: 5", `rate_limit: ${rate}`)}keys: [${keys}]\n`;
    p.writePlan("free.yaml", plan(5, "acme-dashboard, globex-mobile"));
    expect((await p.upg(["init"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    p.writePlan("free.yaml", plan(7, "acme-dashboard, initech-batch"));
    await e2e.sb.admin.setFaults({
      failOperation: { operation: "UpdateUsagePlan", status: 400, code: "BadRequestException", count: 1 },
    });
    const r = await p.upg(["apply", "--auto-approve"]);
    await e2e.sb.admin.resetFaults();
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✗ update free: /);
    expect(r.stdout).toContain("✓ detach key globex-mobile → free");
    expect(r.stdout).toContain("✓ attach key initech-batch → free");
    const next = JSON.parse((await p.upg(["plan", "-o", "json"])).stdout);
    expect(next.changes.map((c: { id: string }) => c.id)).toEqual(["update:free"]);
    expect(next.violations).toEqual([]);
  });
});

describe("scope", () => {
  it("--plans with some files acts on those plans only; it never deletes plans declared elsewhere", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    p.writePlan("gold.yaml", FREE.replace(/free/g, "gold").replace("Free", "Gold"));
    expect((await p.upg(["init"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    const json = JSON.parse((await p.upg(["plan", "-o", "json", "--plans", "plans/free.yaml"])).stdout);
    expect(json.targets).toEqual(["free"]);
    expect(json.changes).toEqual([]);
    p.writePlan("free.yaml", FREE.replace("rate_limit: 5", "rate_limit: 6"));
    const r = await p.upg(["apply", "--auto-approve", "--plans", "plans/free.yaml"]);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toContain("will be deleted");
    expect((await e2e.plans()).map((x) => x.name).sort()).toEqual(["Free", "Gold"]);
  });

  it("no plan files at all is an error, not an instruction to delete everything", async () => {
    const p = await e2e.project();
    p.writePlan("free.yaml", FREE);
    expect((await p.upg(["init"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    p.removePlan("free.yaml");
    const r = await p.upg(["apply", "--auto-approve"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No plans found in plans.");
    expect((await e2e.plans()).map((x) => x.name)).toEqual(["Free"]);
  });
});
