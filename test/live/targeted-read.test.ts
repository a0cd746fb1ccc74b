// A targeted read with `only.keys`: API keys are resolved from the targeted plans' own key lists and by
// name, not by listing every key, and who holds a key the targeted plan would attach is asked by key id.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { KEY_NAME_LOOKUPS } from "../../src/live/read.js";
import type { LiveReadScope, TargetedPlanKeys } from "../../src/live/types.js";
import type { LiveState } from "../../src/model/state.js";
import { type GatewaySandbox, OWNER_TAG, scope, startGatewaySandbox } from "./helpers.js";

let env: GatewaySandbox;
const ids: Record<string, string> = {};
const plans: Record<string, string> = {};

const NAMES = ["alpha", "alpha-2", "twin", "twin", "held", "other", "spare"];

beforeAll(async () => {
  env = await startGatewaySandbox();
  const gw = env.gateway();
  const created = await env.createApiKeys(NAMES);
  NAMES.forEach((n, i) => {
    ids[n === "twin" ? `twin${i}` : n] = created[i]!;
  });
  for (let i = 0; i < 2 * KEY_NAME_LOOKUPS; i++) await env.createApiKeys([`many-${i}`]);
  // T: the target, holding alpha-2. X: managed, holding held and other. U: unmanaged, holding held.
  plans.T = await gw.createPlan({ name: "T", stages: [], tags: {} }, { [OWNER_TAG]: "t" });
  plans.X = await gw.createPlan({ name: "X", stages: [], tags: {} }, { [OWNER_TAG]: "x" });
  plans.U = await gw.createPlan({ name: "U", stages: [], tags: {} }, {});
  await gw.attachKey(plans.T, ids["alpha-2"]!);
  await gw.attachKey(plans.X, ids.held!);
  await gw.attachKey(plans.X, ids.other!);
  await gw.attachKey(plans.U, ids.held!);
});
afterAll(() => env.stop());

function targeted(t: Partial<TargetedPlanKeys>): LiveReadScope {
  const keys: TargetedPlanKeys = { planId: "t", ids: [], keyIds: [], stages: [], ...t };
  return scope({ only: { planIds: ["t"], ids: [], stages: [], keys: [keys] }, listApis: false });
}

async function read(s: LiveReadScope): Promise<{ state: LiveState; calls: Record<string, number> }> {
  const gw = env.gateway();
  const state = await gw.readLive(s);
  return { state, calls: gw.callCounts() };
}

const keysOf = (state: LiveState, id: string) => state.plans.find((p) => p.id === id)?.keys;
const names = (state: LiveState) => state.apiKeys.map((k) => k.name).sort();

describe("readLive, targeted with the keys its plans will hold", () => {
  it("names attached keys from the plan's key list and makes no other key call", async () => {
    const { state, calls } = await read(targeted({ refs: ["alpha-2"] }));
    expect(state.apiKeys).toEqual([{ id: ids["alpha-2"], name: "alpha-2", enabled: true }]);
    expect(JSON.stringify(state)).not.toContain("value");
    expect(calls.GetApiKeys).toBeUndefined();
    expect(calls.GetUsagePlanKeys).toBe(1);
    // Nothing to attach: nobody else is asked about.
    expect(calls.GetUsagePlans).toBe(1);
    expect(keysOf(state, plans.X!)).toEqual([]);
  });

  it("looks up other names one by one, keeping exact matches only (twins stay ambiguous)", async () => {
    const { state, calls } = await read(targeted({ refs: ["alpha-2", "alpha", "twin"] }));
    expect(names(state)).toEqual(["alpha", "alpha-2", "twin", "twin"]);
    expect(state.apiKeys.find((k) => k.name === "alpha")?.enabled).toBe(true);
    expect(calls.GetApiKeys).toBe(2);
    // alpha is looked up by key id (the twins resolve to no key: the plan reports them as ambiguous).
    expect(calls.GetUsagePlans).toBe(2);
  });

  it("adds a key it would attach to the managed plans holding it, not to unmanaged ones", async () => {
    const { state, calls } = await read(targeted({ refs: ["held"] }));
    expect(keysOf(state, plans.X!)).toEqual([ids.held]);
    expect(keysOf(state, plans.U!)).toEqual([]);
    expect(keysOf(state, plans.T!)).toEqual([ids["alpha-2"]]);
    expect(calls.GetUsagePlanKeys).toBe(1);
    expect(calls.GetApiKeys).toBe(1);
    expect(calls.GetUsagePlans).toBe(2);
  });

  it("recorded key ids are looked up by key id without resolving them", async () => {
    const { state, calls } = await read(targeted({ keyIds: [ids.held!] }));
    expect(keysOf(state, plans.X!)).toEqual([ids.held]);
    expect(calls.GetApiKeys).toBeUndefined();
  });

  it("reads the whole key list for a reference not found by name (an id), or for many names", async () => {
    const byId = await read(targeted({ refs: [ids.spare!] }));
    expect(byId.state.apiKeys.map((k) => k.id)).toContain(ids.spare);
    expect(names(byId.state)).toContain("many-0");
    expect(byId.calls.GetApiKeys).toBe(2);

    const many = Array.from({ length: KEY_NAME_LOOKUPS + 1 }, (_, i) => `many-${i}`);
    const { state, calls } = await read(targeted({ refs: many }));
    expect(calls.GetApiKeys).toBe(1);
    expect(names(state)).toEqual(expect.arrayContaining([...many, "spare", "other"]));
    expect(calls.GetUsagePlans).toBe(1 + many.length);
  });
});
