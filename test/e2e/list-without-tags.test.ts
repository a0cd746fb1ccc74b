import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, startE2E } from "./harness.js";

// Whether AWS's GetUsagePlans list items carry tags is not documented. With a backend that leaves them out,
// upg must still recognise the plans it owns (through GetTags), or a re-run would create duplicates.
let e2e: E2E;
beforeAll(async () => {
  e2e = await startE2E({ listTags: "never" });
});
afterAll(async () => {
  await e2e?.stop();
});

describe("a backend whose plan lists carry no tags", () => {
  it("still finds owned plans by their ownership tag, even without master records", async () => {
    const p = await e2e.project();
    p.writePlan(
      "free.yaml",
      "plan_id: free\nname: Free\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n",
    );
    expect((await p.upg(["init"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    expect((await e2e.plans()).map((x) => x.tags)).toEqual([undefined]);

    // Fresh, empty tables: only the ownership tag connects the live plan to its plan_id.
    const config = join(p.dir, "upg.config.yaml");
    writeFileSync(
      config,
      readFileSync(config, "utf8")
        .replace(/meta-/, "other-meta-")
        .replace(/audit-/, "other-audit-"),
    );
    expect((await p.upg(["init"])).code).toBe(0);
    const plan = JSON.parse((await p.upg(["plan", "-o", "json"])).stdout);
    expect(plan.changes.map((c: { id: string; reason: string }) => `${c.id} ${c.reason}`)).toEqual([
      "sync:free no master record yet",
    ]);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    expect((await e2e.plans()).length).toBe(1);
  });
});
