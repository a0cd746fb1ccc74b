// Kill points of a confirmed cleanup: the real run flow (runApply with the cleanup plan), killed right before
// each write (API Gateway calls, DynamoDB writes) and after the last; the next run must finish the work from
// the journal: every chosen plan, stage and record gone, no journal record of an unmanaged plan left behind,
// exactly one audit row per removal, and an audit chain that verifies.

import { CreateUsagePlanCommand, GetUsagePlansCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runApply } from "../../src/apply/run-apply.js";
import type { CleanupScope } from "../../src/cleanup/plan.js";
import { computeCleanup } from "../../src/cli/cleanup-command.js";
import { createLiveGateway } from "../../src/live/gateway.js";
import type { MasterRecord } from "../../src/model/record.js";
import type { Store } from "../../src/store/index.js";
import { ACTOR, type KillProject, startWorld, type World } from "../apply/journal-harness.js";

let world: World;
beforeAll(async () => {
  world = await startWorld();
});
afterAll(async () => {
  await world?.stop();
});

class Killed extends Error {}

interface Switch {
  at?: number;
  steps: number;
  dead: boolean;
}

const STEPS = ["deletePlan", "updatePlan", "putRecord", "deleteRecord", "appendAudit"];

/** From step `at` on, every call throws, as if the process had died. */
function killable<T extends object>(target: T, ks: Switch): T {
  return new Proxy(target, {
    get(obj, prop, recv) {
      const value = Reflect.get(obj, prop, recv);
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        // Call counters and teardown are not calls to AWS: they still answer.
        if (prop === "callCounts" || prop === "destroy") return value.apply(obj, args);
        if (ks.dead) return Promise.reject(new Killed("dead"));
        if (!STEPS.includes(String(prop))) return value.apply(obj, args);
        if (++ks.steps === ks.at) {
          ks.dead = true;
          return Promise.reject(new Killed(`killed at ${ks.steps}`));
        }
        return value.apply(obj, args);
      };
    },
  });
}

const NONE: CleanupScope = {
  orphans: false,
  archived: false,
  records: false,
  namePrefixes: [],
  tags: {},
  ids: [],
  stages: [],
};

async function cleanupRun(p: KillProject, scope: CleanupScope, ks?: Switch): Promise<boolean> {
  const live = createLiveGateway({
    target: {
      region: world.sb.region,
      endpoint: world.sb.apigatewayEndpoint,
      credentials: world.sb.credentials,
      maxAttempts: 3,
    },
    pacing: p.config.pacing,
  });
  const store: Store = ks ? killable(p.store(), ks) : p.store();
  const gw = ks ? killable(live, ks) : live;
  const project = { config: p.config, specs: [], allSpecs: [], region: world.sb.region };
  try {
    await runApply(
      { specs: [], config: p.config, targets: [] },
      {
        live: gw,
        store,
        clock: () => new Date(),
        runId: `cleanup-${Math.random().toString(16).slice(2, 10)}`,
        actor: ACTOR,
        ownershipTagKey: p.config.ownership_tag_key,
        lockTtlSeconds: p.config.lock.ttl_seconds,
        lockWaitMs: 5000,
        trigger: "cleanup",
      },
      {
        approve: async (_current, records) => ({
          plan: (await computeCleanup(project, { live: gw, clock: () => new Date() }, records, scope, true))
            .plan,
        }),
      },
    );
    return false;
  } catch (err) {
    if (err instanceof Killed || ks?.dead) return true;
    throw err;
  } finally {
    live.destroy();
  }
}

const plansNow = async () =>
  ((await world.sdk.send(new GetUsagePlansCommand({ limit: 500 }))).items ?? [])
    .map((x) => ({ name: x.name!, stages: (x.apiStages ?? []).map((s) => s.stage!).sort() }))
    .sort((a, b) => a.name.localeCompare(b.name));

/**
 * An orphan and a plan with a stage and a key (both unmanaged, chosen by --id), a managed plan whose file is
 * gone (its record names it), an Archived record gone for good (--records), and an unmanaged plan with two
 * stages for --stage.
 */
async function setUp(p: KillProject) {
  const api = p.seed.restApiId;
  const make = async (name: string, stages: string[], tags?: Record<string, string>) =>
    (
      await world.sdk.send(
        new CreateUsagePlanCommand({
          name,
          apiStages: stages.map((stage) => ({ apiId: api, stage })),
          ...(tags ? { tags } : {}),
        }),
      )
    ).id!;
  const orphan = await make("Orphan", []);
  const staged = await make("Staged", ["dev"]);
  const managed = await make("Managed", ["prod"], { [p.config.ownership_tag_key]: "managed" });
  await make("Shared", ["dev", "prod"]);
  const now = new Date().toISOString();
  const base = {
    lifecycle_state: "Active" as const,
    stages: [],
    keys: [],
    keys_declared: false,
    created_at: now,
    updated_at: now,
    updated_by: "test",
    lineage: [],
    version: 0,
  };
  const store = p.store();
  await store.putRecord(
    {
      ...base,
      plan_id: "managed",
      name: "Managed",
      api_gateway_id: managed,
      stages: [{ api_id: api, stage: "prod" }],
    },
    0,
  );
  await store.putRecord(
    { ...base, plan_id: "gone", name: "Gone", lifecycle_state: "Archived" } as MasterRecord,
    0,
  );
  return { ids: [orphan, staged, managed] };
}

async function converged(p: KillProject) {
  expect(await plansNow()).toEqual([{ name: "Shared", stages: ["prod"] }]);
  const store = p.store();
  // The unmanaged plans' journal records are gone; the deleted plan's record was purged with the other one.
  expect(await store.listRecords()).toEqual([]);
  const rows = (await store.listAudit()).filter((r) => r.trigger === "cleanup" || r.recovered_by);
  const ok = rows.filter((r) => r.outcome === "ok").map((r) => r.change_id);
  expect(new Set(ok).size).toBe(ok.length);
  // Unmanaged plans are journalled under unmanaged/ID: one id per change, the same id twice.
  const shapes = ok.map((id) =>
    id.replace(/unmanaged\/(\w+):\1/, "unmanaged/ID:ID").replace(/:\w+:dev$/, ":API:dev"),
  );
  expect(shapes.sort()).toEqual([
    "delete:managed",
    "detach-stage:unmanaged/ID:ID:API:dev",
    "purge:gone",
    "purge:managed",
    "remove:unmanaged/ID:ID",
    "remove:unmanaged/ID:ID",
  ]);
  expect((await store.verifyAudit()).ok).toBe(true);
}

describe("a confirmed cleanup killed at any write is finished by the next run", () => {
  it("remove, delete, stage detach and purge: every kill point", async () => {
    const scopes = (ids: string[]): CleanupScope[] => [
      { ...NONE, ids },
      { ...NONE, stages: ["weather-api:dev"] },
      { ...NONE, records: true },
    ];
    /** The three cleanups in turn; true when one was killed (the rest then never started). */
    const all = async (p: KillProject, ids: string[], ks?: Switch) => {
      for (const scope of scopes(ids)) if (await cleanupRun(p, scope, ks)) return true;
      return false;
    };
    // Count the steps of an uninterrupted run first.
    const first = await world.project();
    const count: Switch = { steps: 0, dead: false };
    expect(await all(first, (await setUp(first)).ids, count)).toBe(false);
    await converged(first);
    const total = count.steps;
    expect(total).toBeGreaterThan(15);

    for (let at = 1; at <= total + 1; at++) {
      const p = await world.project();
      const { ids } = await setUp(p);
      const killed = await all(p, ids, { at, steps: 0, dead: false });
      expect(killed).toBe(at <= total);
      // The next runs (the lock has expired) finish what is left.
      await all(p, ids);
      await converged(p);
    }
  }, 240_000);
});
