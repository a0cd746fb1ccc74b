/**
 * The admin endpoints under `/_sandbox/` (served on the API Gateway port). They bypass throttling, faults and
 * counters. Bodies are JSON; errors use the same AWS-style shape as the API.
 */
import { z } from "zod";
import { fail } from "./errors.js";
import type { Counters, FaultInjector, FaultPatch } from "./faults.js";
import { recordUsage } from "./handlers/usage.js";
import type { ApiResponse } from "./router.js";
import { seedSampleData } from "./seed.js";
import type { SandboxState } from "./state.js";
import type { Throttler } from "./throttle.js";
import type { CallerIdentity, SandboxStatus } from "./types.js";
import { parseJsonObject } from "./validate.js";

export const ADMIN_PREFIX = "/_sandbox/";

export interface AdminDeps {
  state: SandboxState;
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

export function identity(state: SandboxState): CallerIdentity {
  const account = state.config.accountId;
  return { arn: `arn:aws:iam::${account}:user/sandbox`, account };
}

function status(deps: AdminDeps): SandboxStatus {
  const { state, throttler, faults, timeScale } = deps;
  const { region, accountId } = state.config;
  return {
    region,
    accountId,
    timeScale,
    throttling: throttler.enabled,
    faults: faults.snapshot(),
    limits: state.limits,
  };
}

function setFaults(deps: AdminDeps, body: Buffer): ApiResponse {
  deps.faults.set(parseFaults(parseJsonObject(body), deps.operations));
  return json(deps.faults.snapshot());
}

const json = (body: unknown): ApiResponse => ({ status: 200, body });
const done = (): ApiResponse => ({ status: 204 });

type AdminRoute = (deps: AdminDeps, body: Buffer) => ApiResponse;

const ADMIN_ROUTES: Readonly<Record<string, AdminRoute>> = {
  "GET identity": (d) => json(identity(d.state)),
  "GET status": (d) => json(status(d)),
  "GET faults": (d) => json(d.faults.snapshot()),
  "PUT faults": setFaults,
  "DELETE faults": (d) => {
    d.faults.reset();
    return done();
  },
  "GET counters": (d) => json(d.counters.snapshot()),
  "DELETE counters": (d) => {
    d.counters.reset();
    return done();
  },
  "POST usage": (d, body) => {
    recordUsage(d.state, parseBody(usageSchema, body));
    return done();
  },
  "PUT throttling": (d, body) => {
    d.throttler.enabled = parseBody(throttlingSchema, body).enabled;
    return done();
  },
  "PUT limits": (d, body) => {
    const patch = Object.entries(parseBody(limitsSchema, body)).filter(([, v]) => v !== undefined);
    d.state.limits = { ...d.state.limits, ...Object.fromEntries(patch) };
    return json(d.state.limits);
  },
  "POST reset": (d) => {
    d.state.reset();
    d.throttler.reset();
    return done();
  },
  "POST seed": (d) => ({ status: 201, body: seedSampleData(d.state, Date.now()) }),
};

export function handleAdmin(deps: AdminDeps, method: string, rawPath: string, body: Buffer): ApiResponse {
  const route = ADMIN_ROUTES[`${method} ${rawPath.slice(ADMIN_PREFIX.length)}`];
  return route
    ? route(deps, body)
    : fail("UnknownOperationException", `Unknown admin operation: ${method} ${rawPath}`);
}
