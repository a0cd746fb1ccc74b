import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LiveGateway } from "../../src/live/types.js";
import type { PlanSettings } from "../../src/model/state.js";
import { type GatewaySandbox, startGatewaySandbox } from "./helpers.js";

// The sandbox throttles like AWS at 1/100 of the time (UpdateUsagePlan: one per 200 ms); the pacer is
// scaled the same way (helpers.PACING), so consecutive updates must never meet a 429.

let env: GatewaySandbox;

beforeAll(async () => {
  env = await startGatewaySandbox();
  expect((await env.sb.admin.status()).throttling).toBe(true);
});
afterAll(() => env.stop());

async function updateRepeatedly(gw: LiveGateway, times: number): Promise<void> {
  const settings: PlanSettings = { name: "Paced", stages: [], tags: {} };
  const id = await gw.createPlan(settings, {});
  await env.sb.admin.resetCounters();
  for (let i = 1; i <= times; i++) {
    await gw.updatePlan(id, [{ op: "replace", path: "/throttle/rateLimit", value: String(i) }]);
  }
}

describe("pacing against the sandbox's throttles", () => {
  it("spaces consecutive UpdateUsagePlan calls so that none is throttled", async () => {
    const gw = env.gateway({ maxAttempts: 1 });
    await updateRepeatedly(gw, 5);
    expect((await env.sb.admin.counters()).UpdateUsagePlan).toBe(5);
    expect(gw.callCounts().UpdateUsagePlan).toBe(5);
  });

  it("without the update gap the sandbox throttles, and the pacer still waits it out", async () => {
    const gw = env.gateway({ maxAttempts: 1, pacing: { update_usage_plan_interval_ms: 0 } });
    await new Promise((resolve) => setTimeout(resolve, 250));
    await updateRepeatedly(gw, 2);
    expect((await env.sb.admin.counters()).UpdateUsagePlan).toBeGreaterThan(2);
  });
});
