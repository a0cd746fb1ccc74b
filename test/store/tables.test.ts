import { DescribeTableCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import type { FeatureReport } from "../../src/store/index.js";
import { type Sandbox, startSandbox, uniqueTables } from "./helpers.js";

let sandbox: Sandbox;
beforeAll(async () => {
  sandbox = await startSandbox();
});
afterAll(() => sandbox.stop());

function statusOf(
  features: FeatureReport[],
  table: string,
  feature: FeatureReport["feature"],
): FeatureReport {
  const found = features.find((f) => f.table === table && f.feature === feature);
  if (!found) throw new Error(`no ${feature} report for ${table}`);
  return found;
}

describe("init", () => {
  it("creates both tables on-demand with the right keys, then reports them as existed", async () => {
    const tables = uniqueTables();
    const store = sandbox.store(tables);

    const first = await store.init();
    expect(first.tables).toEqual([
      { name: tables.metadata, status: "created" },
      { name: tables.audit, status: "created" },
    ]);
    const second = await store.init();
    expect(second.tables).toEqual([
      { name: tables.metadata, status: "existed" },
      { name: tables.audit, status: "existed" },
    ]);

    const raw = sandbox.raw();
    const audit = (await raw.send(new DescribeTableCommand({ TableName: tables.audit }))).Table;
    expect(audit?.TableStatus).toBe("ACTIVE");
    expect(audit?.BillingModeSummary?.BillingMode).toBe("PAY_PER_REQUEST");
    expect(audit?.KeySchema).toEqual([
      { AttributeName: "stream", KeyType: "HASH" },
      { AttributeName: "seq", KeyType: "RANGE" },
    ]);
    const meta = (await raw.send(new DescribeTableCommand({ TableName: tables.metadata }))).Table;
    expect(meta?.KeySchema).toEqual([{ AttributeName: "plan_id", KeyType: "HASH" }]);
  });

  it("reports every protection the sandbox lacks as unsupported, saying why, without failing", async () => {
    const tables = uniqueTables();
    const store = sandbox.store(tables);
    const created = await store.init();
    const existed = await store.init();

    for (const report of [created, existed]) {
      expect(report.features).toHaveLength(6);
      expect(report.features.every((f) => f.status === "unsupported" && (f.detail ?? "").length > 0)).toBe(
        true,
      );
    }
    for (const table of [tables.metadata, tables.audit]) {
      expect(statusOf(created.features, table, "deletion_protection").detail).toMatch(
        /DescribeTable does not show/,
      );
      expect(statusOf(created.features, table, "encryption").detail).toMatch(/DescribeTable does not show/);
      expect(statusOf(created.features, table, "point_in_time_recovery").detail).toMatch(
        /UnknownOperationException/,
      );
      // On an existing table upg tries UpdateTable, which the sandbox refuses.
      expect(statusOf(existed.features, table, "deletion_protection").detail).toMatch(
        /UpdateTable with ValidationException/,
      );
    }
  });
});

describe("checkTables", () => {
  it("tells the user to run upg init when the tables are missing", async () => {
    const tables = uniqueTables();
    const store = sandbox.store(tables);
    const err = await store.checkTables().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(`Table ${tables.metadata} does not exist.`);
    expect((err as UserError).hint).toBe("Run `upg init` first.");

    await store.init();
    await expect(store.checkTables()).resolves.toBeUndefined();
  });
});
