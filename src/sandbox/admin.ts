/**
 * The admin endpoints under `/_sandbox/` (served on the API Gateway port). They bypass throttling, faults and
 * counters. Bodies are JSON; errors use the same AWS-style shape as the API.
 *
 * They address the default account-region; `?account=ACCOUNT&region=REGION` (either may be left out: the
 * default's) addresses another one, created on demand like a request to it would. Faults, the throttling switch
 * and `DELETE counters` without a query apply to the whole sandbox; `GET counters` without a query counts every
 * account-region, with one it counts that account-region's requests.
 */
import { z } from "zod";
import { fail } from "./errors.js";
import type { Counters, FaultInjector, FaultPatch } from "./faults.js";
import { recordUsage } from "./handlers/usage.js";
import type { ApiResponse } from "./router.js";
import { seedSampleData } from "./seed.js";
import { isRegionName, type Tenant, type Tenants } from "./tenants.js";
import type { Throttler } from "./throttle.js";
import type { CallerIdentity, SandboxStatus } from "./types.js";
import { parseJsonObject } from "./validate.js";

export const ADMIN_PREFIX = "/_sandbox/";

export interface AdminDeps {
  tenants: Tenants;
  throttler: Throttler;
  faults: FaultInjector;
  counters: Counters;
  timeScale: number;
  operations: readonly string[];
}

const rate = z.number().min(0).max(1).optional();
const positiveInt = z.number().int().min(1).optional();

const faultSchema = z.strictObject({
  latencyMs: z.number().min(0).nullable().optional(),
  errorRate: z.strictObject({ "429": rate, "500": rate, "503": rate }).nullable().optional(),
  dropAfter: z.number().int().min(0).nullable().optional(),
  failOperation: z
    .strictObject({
      operation: z.string().min(1),
      status: z.number().int().min(400).max(599),
      // Sent as a header value: letters, digits and the separators AWS error codes use.
      code: z
        .string()
        .regex(/^[A-Za-z][A-Za-z0-9_.:#-]{0,127}$/)
        .optional(),
      count: positiveInt,
    })
    .nullable()
    .optional(),
});

const usageSchema = z.strictObject({
  usagePlanId: z.string().min(1),
  keyId: z.string().min(1),
  date: z.string(),
  count: z.number().int().min(0),
});

const throttlingSchema = z.strictObject({ enabled: z.boolean() });

const regionsSchema = z.strictObject({
  regions: z.array(z.string().refine(isRegionName, "not a region name")).min(1).nullable(),
});

const limitsSchema = z.strictObject({
  usagePlans: positiveInt,
  usagePlansPerKey: positiveInt,
  apiKeys: positiveInt,
  stagesPerApi: positiveInt,
  tagsPerResource: positiveInt,
});

function validated<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
  return fail("BadRequestException", `Invalid ${what}: ${problems.join("; ")}`);
}

const parseBody = <T>(schema: z.ZodType<T>, body: Buffer): T =>
  validated(schema, parseJsonObject(body), "admin request");

/** Validate a fault configuration (admin body or start option); the failing operation must be a known one. */
export function parseFaults(value: unknown, operations: readonly string[]): FaultPatch {
  const patch: FaultPatch = validated(faultSchema, value, "fault configuration");
  const op = patch.failOperation?.operation;
  if (op !== undefined && !operations.includes(op)) fail("BadRequestException", `Unknown operation: ${op}`);
  return patch;
}

export function identity(t: Tenant): CallerIdentity {
  const account = t.accountId;
  return { arn: `arn:aws:iam::${account}:user/sandbox`, account };
}

function status(deps: AdminDeps, t: Tenant): SandboxStatus {
  const { throttler, faults, timeScale } = deps;
  return {
    region: t.region,
    accountId: t.accountId,
    timeScale,
    throttling: throttler.enabled,
    faults: faults.snapshot(),
    limits: t.state.limits,
    ...(deps.tenants.servedRegions ? { servedRegions: [...deps.tenants.servedRegions] } : {}),
    accountRegions: deps.tenants.all().map((x) => ({ accountId: x.accountId, region: x.region })),
  };
}

function setFaults(deps: AdminDeps, body: Buffer): ApiResponse {
  deps.faults.set(parseFaults(parseJsonObject(body), deps.operations));
  return json(deps.faults.snapshot());
}

const json = (body: unknown): ApiResponse => ({ status: 200, body });
const done = (): ApiResponse => ({ status: 204 });

type AdminRoute = (deps: AdminDeps, body: Buffer, t: Tenant, addressed: boolean) => ApiResponse;

const ADMIN_ROUTES: Readonly<Record<string, AdminRoute>> = {
  "GET identity": (_d, _b, t) => json(identity(t)),
  "GET status": (d, _b, t) => json(status(d, t)),
  "GET faults": (d) => json(d.faults.snapshot()),
  "PUT faults": setFaults,
  "DELETE faults": (d) => {
    d.faults.reset();
    return done();
  },
  "GET counters": (d, _b, t, addressed) => json((addressed ? t.counters : d.counters).snapshot()),
  "DELETE counters": (d, _b, t, addressed) => {
    if (addressed) t.counters.reset();
    else {
      d.counters.reset();
      for (const x of d.tenants.all()) x.counters.reset();
    }
    return done();
  },
  "POST usage": (_d, body, t) => {
    recordUsage(t.state, parseBody(usageSchema, body));
    return done();
  },
  "PUT throttling": (d, body) => {
    d.throttler.enabled = parseBody(throttlingSchema, body).enabled;
    return done();
  },
  "PUT regions": (d, body) => {
    const { regions } = parseBody(regionsSchema, body);
    d.tenants.servedRegions = regions ?? undefined;
    return done();
  },
  "PUT limits": (_d, body, t) => {
    const patch = Object.entries(parseBody(limitsSchema, body)).filter(([, v]) => v !== undefined);
    t.state.limits = { ...t.state.limits, ...Object.fromEntries(patch) };
    return json(t.state.limits);
  },
  "POST reset": (d, _b, t) => {
    t.state.reset();
    d.throttler.reset(t.key);
    return done();
  },
  "POST seed": (_d, _b, t) => ({ status: 201, body: seedSampleData(t.state, Date.now()) }),
};

/** The account-region a query addresses (`account`, `region`), and whether it named one. */
export function addressedTenant(
  tenants: Tenants,
  query: URLSearchParams,
): { tenant: Tenant; addressed: boolean } {
  const account = query.get("account");
  const region = query.get("region");
  if (account === null && region === null) return { tenant: tenants.defaultTenant, addressed: false };
  const d = tenants.defaultTenant;
  if (account !== null && !/^\d{12}$/.test(account))
    fail("BadRequestException", `Invalid account: '${account}' (expected 12 digits)`);
  if (region !== null && !isRegionName(region))
    fail("BadRequestException", `Invalid region: '${region}' (expected a name such as eu-west-1)`);
  return { tenant: tenants.get(account ?? d.accountId, region ?? d.region), addressed: true };
}

export function handleAdmin(
  deps: AdminDeps,
  method: string,
  rawPath: string,
  body: Buffer,
  query: URLSearchParams = new URLSearchParams(),
): ApiResponse {
  const route = ADMIN_ROUTES[`${method} ${rawPath.slice(ADMIN_PREFIX.length)}`];
  if (!route) return fail("UnknownOperationException", `Unknown admin operation: ${method} ${rawPath}`);
  const { tenant, addressed } = addressedTenant(deps.tenants, query);
  return route(deps, body, tenant, addressed);
}
