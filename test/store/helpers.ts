// A real dynalite per test file, and small factories for stores, records and audit entries.

import { randomUUID } from "node:crypto";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import dynalite from "dynalite";
import type { MasterRecord } from "../../src/model/record.js";
import { type AuditEntry, createStore, type Store, type TableNames } from "../../src/store/index.js";

const CREDENTIALS = { accessKeyId: "x", secretAccessKey: "x" };
const REGION = "us-east-1";

function listen(srv: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => resolve((srv.address() as AddressInfo).port));
  });
}

function close(srv: Server): Promise<void> {
  return new Promise((resolve) => srv.close(() => resolve()));
}

export interface Sandbox {
  endpoint: string;
  /** A store on fresh, uniquely named tables (not initialised). Destroyed by stop(). */
  store(tables?: TableNames): Store;
  /** A store on fresh tables, already initialised. */
  initialisedStore(): Promise<{ store: Store; tables: TableNames }>;
  /** A document client for raw reads and writes (tampering). */
  raw(): DynamoDBDocumentClient;
  /** DynamoDB requests received so far, by operation (from X-Amz-Target). */
  calls(): Record<string, number>;
  stop(): Promise<void>;
}

export function uniqueTables(): TableNames {
  const id = randomUUID().slice(0, 8);
  return { metadata: `usage-plans-metadata-${id}`, audit: `usage-plans-audit-${id}` };
}

export function storeAt(endpoint: string, tables: TableNames = uniqueTables()): Store {
  return createStore({
    target: { region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts: 1 },
    tables,
  });
}

export async function startSandbox(): Promise<Sandbox> {
  const srv = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const endpoint = `http://127.0.0.1:${await listen(srv)}`;
  const calls: Record<string, number> = {};
  srv.on("request", (req: { headers: Record<string, string | string[] | undefined> }) => {
    const op = String(req.headers["x-amz-target"] ?? "").split(".")[1] ?? "?";
    calls[op] = (calls[op] ?? 0) + 1;
  });
  const opened: Array<{ destroy(): void }> = [];
  const track = <T extends { destroy(): void }>(x: T): T => {
    opened.push(x);
    return x;
  };
  const sandbox: Sandbox = {
    endpoint,
    store: (tables) => track(storeAt(endpoint, tables)),
    initialisedStore: async () => {
      const tables = uniqueTables();
      const store = sandbox.store(tables);
      await store.init();
      return { store, tables };
    },
    raw: () =>
      track(
        DynamoDBDocumentClient.from(
          new DynamoDBClient({ region: REGION, endpoint, credentials: CREDENTIALS, maxAttempts: 1 }),
        ),
      ),
    calls: () => ({ ...calls }),
    stop: async () => {
      for (const x of opened) x.destroy();
      await close(srv);
    },
  };
  return sandbox;
}

/** A port nothing listens on. */
export async function closedPort(): Promise<number> {
  const { createServer } = await import("node:net");
  const srv = createServer();
  const port = await new Promise<number>((resolve) =>
    srv.listen(0, "127.0.0.1", () => resolve((srv.address() as AddressInfo).port)),
  );
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export function sampleRecord(planId: string, overrides: Partial<MasterRecord> = {}): MasterRecord {
  return {
    plan_id: planId,
    name: `Plan ${planId}`,
    tier: "Premium",
    rate_limit: 12.5,
    burst_limit: 20,
    quota_limit: 10000,
    quota_period: "MONTH",
    lifecycle_state: "Active",
    stages: [
      { api_id: "a1b2c3", stage: "prod", throttle: { "/weather/GET": { rateLimit: 5, burstLimit: 10 } } },
    ],
    keys: ["k1", "k2"],
    keys_declared: false,
    api_gateway_id: "ab12cd",
    created_at: "2026-01-01T00:00:00.000Z",
    updated_at: "2026-01-01T00:00:00.000Z",
    updated_by: "tester",
    version: 0,
    lineage: [],
    ...overrides,
  };
}

export function sampleEntry(planId: string, n: number): AuditEntry {
  return {
    at: `2026-01-01T00:00:${String(n % 60).padStart(2, "0")}.000Z`,
    actor: "tester",
    run_id: "run-1",
    plan_id: planId,
    action: "update",
    change_id: `change-${n}`,
    outcome: "ok",
    before: { rate_limit: n, stages: [] },
    after: { rate_limit: n + 1, nested: { b: 1, a: [1, "x", null] } },
  };
}
