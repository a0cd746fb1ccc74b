// End-to-end harness: one sandbox per test file (AWS's limits ×100 faster), a fresh project
// directory and fresh DynamoDB tables per test, and the real CLI run as a child process.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  APIGatewayClient,
  CreateApiKeyCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  type UsagePlan,
} from "@aws-sdk/client-api-gateway";
import { type Sandbox, type SeedResult, startSandbox } from "../../src/sandbox/index.js";
import { createStore, type Store } from "../../src/store/index.js";
import { type CliRun, runCli } from "../helpers/cli.js";

export const TIME_SCALE = 0.01;

export interface Project {
  dir: string;
  seed: SeedResult;
  tables: { metadata: string; audit: string };
  /** Run `upg` in the project against the sandbox. */
  upg(args: string[], opts?: { env?: Record<string, string | undefined>; input?: string }): Promise<CliRun>;
  writePlan(name: string, yaml: string): void;
  removePlan(name: string): void;
  store(): Store;
}

export interface E2E {
  sb: Sandbox;
  sdk: APIGatewayClient;
  project(opts?: { config?: string }): Promise<Project>;
  plans(): Promise<UsagePlan[]>;
  planByName(name: string): Promise<UsagePlan>;
  planKeys(id: string): Promise<string[]>;
  createKey(name: string): Promise<string>;
  stop(): Promise<void>;
}

let counter = 0;

export async function startE2E(opts: { listTags?: "nonEmpty" | "never" } = {}): Promise<E2E> {
  const sb = await startSandbox({ timeScale: TIME_SCALE, ...opts });
  const sdk = new APIGatewayClient({
    endpoint: sb.apigatewayEndpoint,
    region: sb.region,
    credentials: sb.credentials,
    maxAttempts: 5,
  });
  const dirs: string[] = [];
  const stores: Store[] = [];
  const e2e: E2E = {
    sb,
    sdk,
    async project(opts = {}) {
      await sb.admin.reset();
      await sb.admin.resetFaults();
      const seed = await sb.admin.seed();
      const dir = mkdtempSync(join(tmpdir(), "upg-e2e-"));
      dirs.push(dir);
      mkdirSync(join(dir, "plans"));
      const n = ++counter;
      const tables = { metadata: `meta-${process.pid}-${n}`, audit: `audit-${process.pid}-${n}` };
      writeFileSync(
        join(dir, "upg.config.yaml"),
        [
          "regions: [us-east-1]",
          `tables: { metadata: ${tables.metadata}, audit: ${tables.audit} }`,
          "pacing: { requests_per_second: 1000, burst: 40, update_usage_plan_interval_ms: 200 }",
          "lock: { ttl_seconds: 60 }",
          opts.config ?? "",
        ].join("\n"),
      );
      const env = { ...sb.env(), AWS_PROFILE: undefined, CI: "1" };
      return {
        dir,
        seed,
        tables,
        upg: (args, o = {}) =>
          runCli(args, {
            cwd: dir,
            env: { ...env, ...o.env },
            ...(o.input !== undefined ? { input: o.input } : {}),
          }),
        writePlan: (name, yaml) => writeFileSync(join(dir, "plans", name), yaml),
        removePlan: (name) => rmSync(join(dir, "plans", name)),
        store: () => {
          const s = createStore({
            target: {
              region: sb.region,
              endpoint: sb.dynamodbEndpoint!,
              credentials: sb.credentials,
              maxAttempts: 1,
            },
            tables,
          });
          stores.push(s);
          return s;
        },
      };
    },
    async plans() {
      return (await sdk.send(new GetUsagePlansCommand({ limit: 500 }))).items ?? [];
    },
    async planByName(name) {
      const p = (await e2e.plans()).find((x) => x.name === name);
      if (!p) throw new Error(`no live plan named ${name}`);
      return p;
    },
    async planKeys(id) {
      return ((await sdk.send(new GetUsagePlanKeysCommand({ usagePlanId: id }))).items ?? [])
        .map((k) => k.id!)
        .sort();
    },
    async createKey(name) {
      return (await sdk.send(new CreateApiKeyCommand({ name, enabled: true }))).id!;
    },
    async stop() {
      for (const s of stores) s.destroy();
      sdk.destroy();
      await sb.stop();
      for (const d of dirs) rmSync(d, { recursive: true, force: true });
    },
  };
  return e2e;
}

/** Wait for the sandbox's UpdateUsagePlan bucket (one per 20 s, ×0.01) before a console-style update. */
export function pause(ms = 20000 * TIME_SCALE + 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
