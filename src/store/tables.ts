// Creating and checking the two tables, and asking for the protections upg wants on them.

import { setTimeout as sleep } from "node:timers/promises";
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeContinuousBackupsCommand,
  DescribeTableCommand,
  type KeySchemaElement,
  type TableDescription,
  UpdateContinuousBackupsCommand,
  UpdateTableCommand,
  type UpdateTableCommandInput,
} from "@aws-sdk/client-dynamodb";
import { UserError } from "../errors.js";
import { attempt, errorContext, type StoreContext } from "./client.js";
import { describeDynamoError, dynamoErrorName } from "./errors.js";
import type { FeatureReport, InitReport, TableFeature } from "./types.js";

interface TableSpec {
  name: string;
  attributes: AttributeDefinition[];
  keys: KeySchemaElement[];
}

function tableSpecs(ctx: StoreContext): TableSpec[] {
  return [
    {
      name: ctx.tables.metadata,
      attributes: [{ AttributeName: "plan_id", AttributeType: "S" }],
      keys: [{ AttributeName: "plan_id", KeyType: "HASH" }],
    },
    {
      name: ctx.tables.audit,
      attributes: [
        { AttributeName: "stream", AttributeType: "S" },
        { AttributeName: "seq", AttributeType: "N" },
      ],
      keys: [
        { AttributeName: "stream", KeyType: "HASH" },
        { AttributeName: "seq", KeyType: "RANGE" },
      ],
    },
  ];
}

export const ACTIVE_TIMEOUT_MS = 5 * 60_000;

async function describeTable(ctx: StoreContext, table: string): Promise<TableDescription> {
  const out = await attempt(ctx, "DescribeTable", table, () =>
    ctx.client.send(new DescribeTableCommand({ TableName: table })),
  );
  return out.Table ?? {};
}

async function waitActive(ctx: StoreContext, table: string): Promise<TableDescription> {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (let i = 0; ; i++) {
    const desc = await describeTable(ctx, table);
    if (desc.TableStatus === "ACTIVE") return desc;
    if (Date.now() > deadline) {
      throw new UserError(
        `Table ${table} did not become ACTIVE within 5 minutes (status ${desc.TableStatus}).`,
        {
          hint: "Check the table in the AWS console, then run `upg init` again.",
        },
      );
    }
    await sleep(Math.min(2000, 100 * 2 ** i));
  }
}

async function createTable(ctx: StoreContext, spec: TableSpec): Promise<"created" | "existed"> {
  const create = new CreateTableCommand({
    TableName: spec.name,
    AttributeDefinitions: spec.attributes,
    KeySchema: spec.keys,
    BillingMode: "PAY_PER_REQUEST",
    DeletionProtectionEnabled: true,
    SSESpecification: { Enabled: true },
  });
  try {
    await ctx.client.send(create);
    return "created";
  } catch (err) {
    if (dynamoErrorName(err) === "ResourceInUseException") return "existed";
    throw describeDynamoError(err, errorContext(ctx, "CreateTable", spec.name));
  }
}

/** Names a backend answers with when it does not implement something (the sandbox does this). */
const UNSUPPORTED_NAMES = new Set(["UnknownOperationException", "ValidationException"]);

function refused(
  table: string,
  feature: TableFeature,
  err: unknown,
  ctx: StoreContext,
  action: string,
): FeatureReport {
  const name = dynamoErrorName(err);
  if (name && UNSUPPORTED_NAMES.has(name)) {
    const said = err instanceof Error ? err.message : String(err);
    return {
      table,
      feature,
      status: "unsupported",
      detail: `The backend answered ${action} with ${name}: ${said}`,
    };
  }
  return {
    table,
    feature,
    status: "failed",
    detail: describeDynamoError(err, errorContext(ctx, action, table)).message,
  };
}

interface TableSetting {
  feature: TableFeature;
  label: string;
  shown(desc: TableDescription): boolean;
  update: Omit<UpdateTableCommandInput, "TableName">;
}

const SSE_ON = new Set(["ENABLED", "ENABLING", "UPDATING"]);

const TABLE_SETTINGS: TableSetting[] = [
  {
    feature: "deletion_protection",
    label: "deletion protection",
    shown: (d) => d.DeletionProtectionEnabled === true,
    update: { DeletionProtectionEnabled: true },
  },
  {
    feature: "encryption",
    label: "server-side encryption",
    shown: (d) => SSE_ON.has(d.SSEDescription?.Status ?? ""),
    update: { SSESpecification: { Enabled: true, SSEType: "KMS" } },
  },
];

function notShown(table: string, s: TableSetting): FeatureReport {
  return {
    table,
    feature: s.feature,
    status: "unsupported",
    detail: `The backend accepted the request but DescribeTable does not show ${s.label}; it does not implement it (the sandbox ignores it).`,
  };
}

async function enableSetting(ctx: StoreContext, table: string, s: TableSetting): Promise<FeatureReport> {
  try {
    await ctx.client.send(new UpdateTableCommand({ TableName: table, ...s.update }));
  } catch (err) {
    return refused(table, s.feature, err, ctx, "UpdateTable");
  }
  const desc = await waitActive(ctx, table);
  return s.shown(desc) ? { table, feature: s.feature, status: "enabled" } : notShown(table, s);
}

async function ensureSettings(
  ctx: StoreContext,
  table: string,
  created: boolean,
  desc: TableDescription,
): Promise<FeatureReport[]> {
  const reports: FeatureReport[] = [];
  for (const s of TABLE_SETTINGS) {
    if (s.shown(desc))
      reports.push({ table, feature: s.feature, status: created ? "enabled" : "already_enabled" });
    else reports.push(created ? notShown(table, s) : await enableSetting(ctx, table, s));
  }
  return reports;
}

const PITR_RETRIES = 10;
const PITR_RETRY_MS = 3000;

async function updatePitr(ctx: StoreContext, table: string): Promise<void> {
  const update = new UpdateContinuousBackupsCommand({
    TableName: table,
    PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
  });
  for (let i = 1; ; i++) {
    try {
      await ctx.client.send(update);
      return;
    } catch (err) {
      // Right after CreateTable, AWS answers this until backups are ready for the table.
      if (dynamoErrorName(err) !== "ContinuousBackupsUnavailableException" || i >= PITR_RETRIES) throw err;
      await sleep(PITR_RETRY_MS);
    }
  }
}

async function ensurePitr(ctx: StoreContext, table: string): Promise<FeatureReport> {
  const feature = "point_in_time_recovery";
  let action = "DescribeContinuousBackups";
  try {
    const out = await ctx.client.send(new DescribeContinuousBackupsCommand({ TableName: table }));
    const status =
      out.ContinuousBackupsDescription?.PointInTimeRecoveryDescription?.PointInTimeRecoveryStatus;
    if (status === "ENABLED") return { table, feature, status: "already_enabled" };
    action = "UpdateContinuousBackups";
    await updatePitr(ctx, table);
    return { table, feature, status: "enabled" };
  } catch (err) {
    return refused(table, feature, err, ctx, action);
  }
}

export async function initTables(ctx: StoreContext): Promise<InitReport> {
  const report: InitReport = { tables: [], features: [] };
  for (const spec of tableSpecs(ctx)) {
    const status = await createTable(ctx, spec);
    report.tables.push({ name: spec.name, status });
    const desc = await waitActive(ctx, spec.name);
    report.features.push(...(await ensureSettings(ctx, spec.name, status === "created", desc)));
    report.features.push(await ensurePitr(ctx, spec.name));
  }
  return report;
}

export async function checkTables(ctx: StoreContext): Promise<void> {
  for (const spec of tableSpecs(ctx)) await describeTable(ctx, spec.name);
}
