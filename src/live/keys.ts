// API keys and usage: the calls behind `upg keys` and `upg usage`. Values are read (includeValues) only by
// createKey, which must deliver the value AWS generated; every list reads keys without their values.

import {
  type ApiKey,
  CreateApiKeyCommand,
  DeleteApiKeyCommand,
  GetApiKeysCommand,
  GetUsageCommand,
  ImportApiKeysCommand,
  UpdateApiKeyCommand,
  UpdateUsageCommand,
} from "@aws-sdk/client-api-gateway";
import { CallNotSent } from "../abort.js";
import { awsErrorName } from "../aws/errors.js";
import { UserError } from "../errors.js";
import { call, collectPages, describeCallError, type GatewayContext, rawCall } from "./client.js";
import type { ApiKeyInfo, CreatedApiKey, ImportResult, UsagePage } from "./types.js";

function info(k: ApiKey): ApiKeyInfo | undefined {
  if (!k.id) return undefined;
  return {
    id: k.id,
    ...(k.name ? { name: k.name } : {}),
    enabled: k.enabled === true,
    ...(k.customerId ? { customerId: k.customerId } : {}),
    ...(k.description ? { description: k.description } : {}),
    ...(k.createdDate ? { createdDate: k.createdDate.toISOString() } : {}),
    ...(k.lastUpdatedDate ? { lastUpdatedDate: k.lastUpdatedDate.toISOString() } : {}),
  };
}

/** Every API key, without values (includeValues is never set here). */
export async function listApiKeyInfo(ctx: GatewayContext): Promise<ApiKeyInfo[]> {
  const keys = await collectPages<ApiKey>((position) =>
    call(ctx, "GetApiKeys", undefined, (c) =>
      c.send(new GetApiKeysCommand({ limit: ctx.pageSize, position, includeValues: false })),
    ),
  );
  return keys.flatMap((k) => info(k) ?? []).sort((a, b) => (a.id < b.id ? -1 : 1));
}

/** CreateApiKey (enabled). The response carries the generated value: the one place upg holds it. */
export async function createApiKey(
  ctx: GatewayContext,
  req: { name: string; description?: string; customerId?: string },
): Promise<CreatedApiKey> {
  const out = await call(ctx, "CreateApiKey", `API key "${req.name}"`, (c) =>
    c.send(new CreateApiKeyCommand({ ...req, enabled: true })),
  );
  const k = info(out);
  if (!k || !out.value) throw new UserError(`API Gateway created API key "${req.name}" but returned no id.`);
  return { ...k, value: out.value };
}

export async function setApiKeyEnabled(ctx: GatewayContext, id: string, enabled: boolean): Promise<void> {
  await call(ctx, "UpdateApiKey", `API key ${id}`, (c) =>
    c.send(
      new UpdateApiKeyCommand({
        apiKey: id,
        patchOperations: [{ op: "replace", path: "/enabled", value: String(enabled) }],
      }),
    ),
  );
}

/** DeleteApiKey; a key that is already gone counts as deleted. */
export async function deleteApiKey(ctx: GatewayContext, id: string): Promise<void> {
  try {
    await rawCall(ctx, "DeleteApiKey", (c) => c.send(new DeleteApiKeyCommand({ apiKey: id })));
  } catch (err) {
    if (err instanceof CallNotSent) throw err;
    if (awsErrorName(err) === "NotFoundException") return;
    throw describeCallError(ctx, "DeleteApiKey", err, `API key ${id}`);
  }
}

/** ImportApiKeys with failOnWarnings: any bad row aborts the whole import. A 409 is returned, not thrown. */
export async function importApiKeys(ctx: GatewayContext, csv: string): Promise<ImportResult> {
  try {
    const out = await rawCall(ctx, "ImportApiKeys", (c) =>
      c.send(
        new ImportApiKeysCommand({
          body: new TextEncoder().encode(csv),
          format: "csv",
          failOnWarnings: true,
        }),
      ),
    );
    return { ids: out.ids ?? [], warnings: out.warnings ?? [] };
  } catch (err) {
    if (err instanceof CallNotSent) throw err;
    if (awsErrorName(err) === "ConflictException") {
      return { ids: [], warnings: [], conflict: err instanceof Error ? err.message : String(err) };
    }
    throw describeCallError(ctx, "ImportApiKeys", err, "API keys file");
  }
}

/** GetUsage over every page of keys: `[used, remaining]` per day per key id. */
export async function getUsage(
  ctx: GatewayContext,
  planId: string,
  startDate: string,
  endDate: string,
  keyId?: string,
): Promise<UsagePage> {
  const values: Record<string, number[][]> = {};
  const seen = new Set<string>();
  let position: string | undefined;
  do {
    const out = await call(ctx, "GetUsage", `usage plan ${planId}`, (c) =>
      c.send(
        new GetUsageCommand({
          usagePlanId: planId,
          startDate,
          endDate,
          limit: ctx.pageSize,
          ...(keyId ? { keyId } : {}),
          ...(position ? { position } : {}),
        }),
      ),
    );
    for (const [k, days] of Object.entries(out.items ?? {})) values[k] = days.map((d) => [...d]);
    position = out.position && !seen.has(out.position) ? out.position : undefined;
    if (position) seen.add(position);
  } while (position);
  return { planId, startDate, endDate, values };
}

/** UpdateUsage: sets the key's remaining quota for the current period; returns the new usage. */
export async function setRemaining(
  ctx: GatewayContext,
  planId: string,
  keyId: string,
  remaining: number,
): Promise<void> {
  await call(ctx, "UpdateUsage", `API key ${keyId} in usage plan ${planId}`, (c) =>
    c.send(
      new UpdateUsageCommand({
        usagePlanId: planId,
        keyId,
        patchOperations: [{ op: "replace", path: "/remaining", value: String(remaining) }],
      }),
    ),
  );
}
