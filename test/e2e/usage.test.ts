// `upg usage` and `upg usage extend` through the real CLI against the sandbox (usage recorded through the
// sandbox's admin endpoint): per key per day, totals, quota, used/remaining, sparkline; bad dates; extend audited.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, type Project, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

const PLANS = `plan_id: basic
name: Basic
rate_limit: 100
burst_limit: 200
quota_limit: 1000
quota_period: MONTH
stages: [{ api_name: weather-api, stage: prod }]
keys: [globex-mobile, acme-dashboard]
`;

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function withUsage(): Promise<{ p: Project; planId: string; globex: string; acme: string }> {
  const p = await e2e.project();
  p.writePlan("basic.yaml", PLANS);
  expect((await p.upg(["init"])).code).toBe(0);
  expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
  const planId = (await e2e.planByName("Basic")).id!;
  const globex = p.seed.apiKeys.find((k) => k.name === "globex-mobile")!.id;
  const acme = p.seed.apiKeys.find((k) => k.name === "acme-dashboard")!.id;
  await e2e.sb.admin.recordUsage({ usagePlanId: planId, keyId: globex, date: day(0), count: 40 });
  await e2e.sb.admin.recordUsage({ usagePlanId: planId, keyId: acme, date: day(0), count: 5 });
  return { p, planId, globex, acme };
}

interface UsageDoc {
  kind: string;
  from: string;
  to: string;
  keys: Array<{
    plan_id: string;
    key_id: string;
    key_name: string;
    days: Array<{ date: string; used: number; remaining: number }>;
    total: number;
    quota: { limit: number; period: string };
    remaining: number;
    period_used: number;
  }>;
}

describe("upg usage", () => {
  it("per key per day with totals, quota and remaining; --top; csv; a sparkline; bad dates refused", async () => {
    const { p, globex } = await withUsage();
    const j = await p.upg(["usage", "-o", "json", "--top", "1"]);
    expect(j.code, j.stderr).toBe(0);
    const doc = JSON.parse(j.stdout) as UsageDoc;
    expect(doc.kind).toBe("upg-usage");
    expect(doc.to).toBe(day(0));
    expect(doc.keys).toHaveLength(1);
    const k = doc.keys[0]!;
    expect(k).toMatchObject({ plan_id: "basic", key_id: globex, key_name: "globex-mobile", total: 40 });
    expect(k.days).toHaveLength(7);
    expect(k.quota).toEqual({ limit: 1000, period: "MONTH" });
    expect(k.remaining).toBeLessThanOrEqual(960);

    const human = await p.upg(["usage", "--plan", "basic"]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain("globex-mobile");
    expect(human.stdout).toContain("▁▁▁▁▁▁█");
    expect(human.stdout).toContain("2 keys, 45 requests");

    const csv = await p.upg([
      "usage",
      "--key",
      "acme-dashboard",
      "-o",
      "csv",
      "--from",
      day(-1),
      "--to",
      day(0),
    ]);
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout.trim().split("\n")).toHaveLength(3);
    expect(csv.stdout).toContain(`,${day(0)},5,`);

    const order = await p.upg(["usage", "--from", day(0), "--to", day(-3)]);
    expect(order.code).toBe(1);
    expect(order.stderr).toContain("is before --from");
    const long = await p.upg(["usage", "--from", "2020-01-01", "--to", "2022-01-01"]);
    expect(long.stderr).toContain("at most 366");
    const bad = await p.upg(["usage", "--from", "2026-02-30"]);
    expect(bad.stderr).toContain('--from "2026-02-30" is not a date');
    expect((await p.upg(["usage", "--plan", "nope"])).stderr).toContain("No plan nope");
  });

  it("extend: adds to what remains (UpdateUsage), audited; a key outside the plan is refused", async () => {
    const { p } = await withUsage();
    const before = JSON.parse(
      (await p.upg(["usage", "-o", "json", "--key", "globex-mobile", "--from", day(0)])).stdout,
    ) as UsageDoc;
    const remaining = before.keys[0]!.remaining;
    const r = await p.upg([
      "usage",
      "extend",
      "globex-mobile",
      "--plan",
      "basic",
      "--by",
      "500",
      "-o",
      "json",
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ remaining_before: remaining, remaining: remaining + 500 });
    const after = JSON.parse(
      (await p.upg(["usage", "-o", "json", "--key", "globex-mobile", "--from", day(0)])).stdout,
    ) as UsageDoc;
    expect(after.keys[0]!.remaining).toBe(remaining + 500);
    const audit = await p.store().listAudit();
    expect(audit.find((a) => a.action === "usage-extend")).toMatchObject({
      plan_id: "basic",
      after: { by: 500 },
    });
    const outside = await p.upg(["usage", "extend", "initech-batch", "--plan", "basic", "--by", "5"]);
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain("is not in plan basic");
    expect(
      (await p.upg(["usage", "extend", "globex-mobile", "--plan", "basic", "--by", "-3"])).stderr,
    ).toContain("not a positive whole number");
  });
});
