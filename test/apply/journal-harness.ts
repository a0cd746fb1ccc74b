// In-process runs of the real apply flow (src/apply/run-apply.ts) against the sandbox over HTTP, with
// gateway and store wrappers that "kill" the run at a chosen step: from that step on every call throws,
// as if the process had died (nothing after it runs, the lock is not released).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APIGatewayClient, GetUsagePlanKeysCommand, GetUsagePlansCommand } from "@aws-sdk/client-api-gateway";
import { DEFAULT_CONCURRENCY, type RunEvent } from "../../src/apply/apply-plan.js";
import { makePlan } from "../../src/apply/make-plan.js";
import { type RunApplyOutcome, runApply } from "../../src/apply/run-apply.js";
import { createLiveGateway } from "../../src/live/gateway.js";
import type { LiveGateway } from "../../src/live/types.js";
import type { Plan } from "../../src/model/plan.js";
import type { UpgConfig } from "../../src/model/spec.js";
import { type Sandbox, type SeedResult, startSandbox } from "../../src/sandbox/index.js";
import { DEFAULT_CONFIG } from "../../src/spec/config.js";
import { loadSpecs } from "../../src/spec/load.js";
import { createStore, type Store } from "../../src/store/index.js";

export const TIME_SCALE = 0.01;
export const ACTOR = "arn:aws:iam::123456789012:user/kill-test";

/** Calls that change something: a kill point sits before each, and after the last. */
const LIVE_STEPS = [
  "createPlan",
  "updatePlan",
  "deletePlan",
  "attachKey",
  "detachKey",
  "tagPlan",
  "untagPlan",
];
const STORE_STEPS = ["putRecord", "deleteRecord", "appendAudit", "appendAuditBatch"];

export class Killed extends Error {
  constructor(step: number) {
    super(`killed at step ${step}`);
    this.name = "Killed";
  }
}

export interface KillSwitch {
  /** Kill before this step (1-based); undefined: never. */
  at?: number;
  /** Steps seen so far. */
  steps: number;
  dead: boolean;
  /** Each step: what it was, and the change in flight then. */
  log: Array<{ step: number; call: string; change?: string; done: boolean }>;
  current?: string;
  /**
   * Changes of different plans run at once, so a call is put down to its plan's change in flight: by plan_id
   * (the change started last for that plan), found from the call's API Gateway id or ownership tag.
   */
  byPlan?: Map<string, string>;
  planOfId?: Map<string, string>;
}

/** The plan_id a gateway write is for: createPlan's ownership tag, else the API Gateway id it names. */
function planOfCall(ks: KillSwitch, name: string, args: unknown[], tagKey: string): string | undefined {
  if (name === "createPlan") return (args[1] as Record<string, string> | undefined)?.[tagKey];
  return typeof args[0] === "string" ? ks.planOfId?.get(args[0]) : undefined;
}

/** Notes which change is in flight for its plan (call on every change-started event). */
export function noteStarted(ks: KillSwitch, change: { id: string; planId: string; apiGatewayId?: string }) {
  ks.current = change.id;
  ks.byPlan ??= new Map();
  ks.byPlan.set(change.planId, change.id);
  if (change.apiGatewayId) notePlanId(ks, change.apiGatewayId, change.planId);
}

function notePlanId(ks: KillSwitch, id: string, planId: string) {
  ks.planOfId ??= new Map();
  ks.planOfId.set(id, planId);
}

function killable<T extends object>(
  target: T,
  stepNames: readonly string[],
  ks: KillSwitch,
  tagKey?: string,
): T {
  return new Proxy(target, {
    get(obj, prop, recv) {
      const value = Reflect.get(obj, prop, recv);
      if (typeof value !== "function") return value;
      const name = String(prop);
      return (...args: unknown[]) => {
        // A dead process makes no call; reading the call counters is no call (and is synchronous).
        if (ks.dead && name !== "callCounts") return Promise.reject(new Killed(ks.steps));
        if (!stepNames.includes(name)) return value.apply(obj, args);
        const step = ++ks.steps;
        if (ks.at === step) {
          ks.dead = true;
          return Promise.reject(new Killed(step));
        }
        const planId = tagKey === undefined ? undefined : planOfCall(ks, name, args, tagKey);
        const change = (planId !== undefined ? ks.byPlan?.get(planId) : undefined) ?? ks.current;
        const entry = { step, call: name, ...(change ? { change } : {}), done: false };
        ks.log.push(entry);
        return (value.apply(obj, args) as Promise<unknown>).then((v) => {
          entry.done = true;
          // A new plan's id belongs to the plan_id whose ownership tag it was created with.
          if (name === "createPlan" && typeof v === "string" && planId !== undefined)
            notePlanId(ks, v, planId);
          return v;
        });
      };
    },
  });
}

export interface World {
  sb: Sandbox;
  sdk: APIGatewayClient;
  stop(): Promise<void>;
  /** A fresh sandbox state, fresh tables and plan files. */
  project(): Promise<KillProject>;
}

export interface KillProject {
  seed: SeedResult;
  config: UpgConfig;
  dir: string;
  key(name: string): string;
  writePlan(name: string, yaml: string): void;
  removePlan(name: string): void;
  /** Planner options every apply and plan of the project passes (`--adopt`, `--allow-key-loss`). */
  options: { adopt?: boolean; allowKeyLoss?: boolean };
  /** One run of the real flow; with a kill switch, calls die from its step on. */
  apply(
    ks?: KillSwitch,
    hooks?: {
      onEvent?: (e: RunEvent) => void;
      wrapStore?: (s: Store) => Store;
      wrapLive?: (l: LiveGateway) => LiveGateway;
      signal?: AbortSignal;
    },
  ): Promise<{ outcome?: RunApplyOutcome; killed: boolean; runId: string }>;
  plan(): Promise<Plan>;
  store(): Store;
  livePlans(): Promise<Array<{ id: string; name: string; keys: string[] }>>;
}

let counter = 0;

export async function startWorld(): Promise<World> {
  const sb = await startSandbox({ timeScale: TIME_SCALE });
  const sdk = new APIGatewayClient({
    endpoint: sb.apigatewayEndpoint,
    region: sb.region,
    credentials: sb.credentials,
    maxAttempts: 3,
  });
  const cleanup: Array<() => void> = [];
  const target = (endpoint: string) => ({
    region: sb.region,
    endpoint,
    credentials: sb.credentials,
    maxAttempts: 3,
  });
  return {
    sb,
    sdk,
    async stop() {
      for (const c of cleanup) c();
      sdk.destroy();
      await sb.stop();
    },
    async project() {
      await sb.admin.reset();
      await sb.admin.resetFaults();
      const seed = await sb.admin.seed();
      const n = ++counter;
      const dir = mkdtempSync(join(tmpdir(), "upg-kill-"));
      mkdirSync(join(dir, "plans"));
      cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
      const config: UpgConfig = {
        ...DEFAULT_CONFIG,
        tables: { metadata: `kmeta-${process.pid}-${n}`, audit: `kaudit-${process.pid}-${n}` },
        pacing: {
          ...DEFAULT_CONFIG.pacing,
          requests_per_second: 1000,
          burst: 40,
          update_usage_plan_interval_ms: 200,
        },
        // Short enough that the run after a kill takes the expired lock over at once.
        lock: { ttl_seconds: 0.05 },
      };
      const newStore = () => {
        const s = createStore({ target: target(sb.dynamodbEndpoint!), tables: config.tables });
        cleanup.push(() => s.destroy());
        return s;
      };
      const newLive = (): LiveGateway => {
        const l = createLiveGateway({ target: target(sb.apigatewayEndpoint), pacing: config.pacing });
        cleanup.push(() => l.destroy());
        return l;
      };
      await newStore().init();
      const specs = () => {
        const r = loadSpecs([join(dir, "plans")], config);
        if (r.diagnostics.some((d) => d.severity === "error"))
          throw new Error(JSON.stringify(r.diagnostics, null, 2));
        return r.plans;
      };
      const options: KillProject["options"] = {};
      return {
        seed,
        config,
        dir,
        options,
        key: (name) => seed.apiKeys.find((k) => k.name === name)!.id,
        writePlan: (name, yaml) => writeFileSync(join(dir, "plans", name), yaml),
        removePlan: (name) => rmSync(join(dir, "plans", name)),
        store: newStore,
        async apply(ks, hooks) {
          const runId = `run-${n}-${Math.random().toString(16).slice(2, 10)}`;
          const made = hooks?.wrapLive ? hooks.wrapLive(newLive()) : newLive();
          const live = ks ? killable(made, LIVE_STEPS, ks, config.ownership_tag_key) : made;
          const base = hooks?.wrapStore ? hooks.wrapStore(newStore()) : newStore();
          const store = ks ? killable(base, STORE_STEPS, ks) : base;
          try {
            const outcome = await runApply(
              { specs: specs(), config, targets: [], ...options },
              {
                live,
                store,
                clock: () => new Date(),
                runId,
                actor: ACTOR,
                ownershipTagKey: config.ownership_tag_key,
                lockTtlSeconds: config.lock.ttl_seconds,
                lockWaitMs: 5000,
                // The engine as it runs plans' changes side by side (the kill points land mid-concurrency).
                concurrency: DEFAULT_CONCURRENCY,
              },
              {
                approve: async (plan) => ({ plan }),
                ...(hooks?.signal ? { signal: hooks.signal } : {}),
                onEvent: (e) => {
                  if (ks && e.type === "change-started") noteStarted(ks, e.change);
                  hooks?.onEvent?.(e);
                },
              },
            );
            return { outcome, killed: false, runId };
          } catch (err) {
            if (err instanceof Killed || (ks?.dead ?? false)) return { killed: true, runId };
            throw err;
          }
        },
        async plan() {
          const snap = await makePlan(
            { specs: specs(), config, targets: [], ...options },
            { live: newLive(), store: newStore(), clock: () => new Date() },
          );
          return snap.plan;
        },
        async livePlans() {
          const plans = (await sdk.send(new GetUsagePlansCommand({ limit: 500 }))).items ?? [];
          const out = [];
          for (const p of plans) {
            const keys = (await sdk.send(new GetUsagePlanKeysCommand({ usagePlanId: p.id! }))).items ?? [];
            out.push({ id: p.id!, name: p.name!, keys: keys.map((k) => k.id!).sort() });
          }
          return out.sort((a, b) => a.name.localeCompare(b.name));
        },
      };
    },
  };
}
