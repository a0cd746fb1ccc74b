// Guards from AWS's account quotas through the real CLI: plan files that need more than 300 usage plans in a
// region are a plan problem with the numbers, at the plan file line; apply refuses before any write.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "./harness.js";

let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E();
});
afterAll(async () => {
  await e2e?.stop();
});

describe("quota guards", () => {
  it("301 declared plans: plan exits 1 naming 301 and 300; apply creates nothing", async () => {
    const p = await e2e.project();
    let yaml = "";
    for (let i = 0; i < 301; i++) {
      yaml += `---\nplan_id: p${String(i).padStart(3, "0")}\nname: P${i}\nrate_limit: 10\nburst_limit: 20\n`;
    }
    p.writePlan("many.yaml", yaml);
    expect((await p.upg(["init"])).code).toBe(0);
    const plan = await p.upg(["plan"]);
    expect(plan.code).toBe(1);
    expect(plan.stdout + plan.stderr).toContain(
      "plans/many.yaml:1502:1: p300: The plan files need 301 usage plans in us-east-1 (301 declared and not archived, 0 not managed by upg); AWS allows 300 per account and region.",
    );
    const before = (await e2e.sb.admin.counters()).CreateUsagePlan ?? 0;
    const apply = await p.upg(["apply", "--auto-approve"]);
    expect(apply.code).toBe(1);
    expect((await e2e.sb.admin.counters()).CreateUsagePlan ?? 0).toBe(before);
    expect(await e2e.plans()).toEqual([]);
  });
});
