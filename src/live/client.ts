// The API Gateway client of one LiveGateway and the wrappers every call goes through: paced, counted,
// and with SDK errors turned into UserErrors that name the call and what it was about. The SDK client
// makes one attempt per call; retries are the pacer's, so each attempt waits for a token (pacer.ts).

import { APIGatewayClient } from "@aws-sdk/client-api-gateway";
import { CallNotSent } from "../abort.js";
import {
  type AwsTarget,
  DEFAULT_MAX_ATTEMPTS,
  sdkClientConfig,
  TIMEOUT_ATTEMPTS,
  timeoutsOf,
} from "../aws/client-config.js";
import { type AwsErrorContext, awsErrorName, describeAwsError, serviceEndpoint } from "../aws/errors.js";
import type { PacingLimits } from "../model/spec.js";
import { filePaceMemory, paceKey } from "./pace-memory.js";
import { createPacer, type Pacer, type PacerOptions } from "./pacer.js";

export interface GatewayContext {
  client: APIGatewayClient;
  pacer: Pacer;
  target: AwsTarget;
  where: Omit<AwsErrorContext, "action" | "resource">;
  counts: Map<string, number>;
  /** `limit` of every paginated list call. */
  pageSize: number;
}

export const MAX_PAGE_SIZE = 500;

export function createContext(
  target: AwsTarget,
  pacing: PacingLimits,
  pageSize = MAX_PAGE_SIZE,
  pacerOptions: PacerOptions = {},
): GatewayContext {
  // Connect and request timeouts that fail the attempt (a black-holed endpoint fails instead of hanging);
  // one SDK attempt per call, the pacer retrying (target.maxAttempts in all, TIMEOUT_ATTEMPTS for timeouts).
  const client = new APIGatewayClient(sdkClientConfig({ ...target, maxAttempts: 1 }));
  const where: GatewayContext["where"] = {
    service: "API Gateway",
    endpoint: serviceEndpoint("API Gateway", target),
    region: target.region,
    timeouts: timeoutsOf(target),
  };
  if (target.profile) where.profile = target.profile;
  const accessKeyId = target.credentials?.accessKeyId ?? process.env.AWS_ACCESS_KEY_ID;
  return {
    client,
    pacer: createPacer(pacing, {
      maxAttempts: target.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      timeoutAttempts: TIMEOUT_ATTEMPTS,
      // The budget is the account-region's: a run started right after another starts where it left off.
      memory: filePaceMemory(
        paceKey({
          endpoint: where.endpoint,
          region: target.region,
          ...((target.profile ?? process.env.AWS_PROFILE)
            ? { profile: target.profile ?? process.env.AWS_PROFILE }
            : {}),
          ...(accessKeyId ? { accessKeyId } : {}),
        }),
      ),
      ...pacerOptions,
    }),
    target,
    where,
    counts: new Map(),
    pageSize: Math.min(MAX_PAGE_SIZE, Math.max(1, Math.floor(pageSize))),
  };
}

/**
 * One paced SDK call, retried by the pacer when worth it, every attempt counted; SDK errors pass through
 * unchanged (for NotFound/Conflict decisions).
 */
export function rawCall<T>(
  ctx: GatewayContext,
  operation: string,
  fn: (client: APIGatewayClient) => Promise<T>,
): Promise<T> {
  return ctx.pacer.run(operation, () => {
    ctx.counts.set(operation, (ctx.counts.get(operation) ?? 0) + 1);
    return fn(ctx.client);
  });
}

export function describeCallError(ctx: GatewayContext, operation: string, err: unknown, resource?: string) {
  return describeAwsError(err, { ...ctx.where, action: operation, ...(resource ? { resource } : {}) });
}

/** One paced, counted SDK call; any failure becomes a UserError naming the call and `resource`. */
export async function call<T>(
  ctx: GatewayContext,
  operation: string,
  resource: string | undefined,
  fn: (client: APIGatewayClient) => Promise<T>,
): Promise<T> {
  try {
    return await rawCall(ctx, operation, fn);
  } catch (err) {
    if (err instanceof CallNotSent) throw err;
    throw describeCallError(ctx, operation, err, resource);
  }
}

function partition(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

/** `arn:aws:apigateway:{region}::/usageplans/{id}` (empty account field, reference §3.22). */
export function usagePlanArn(region: string, id: string): string {
  return `arn:${partition(region)}:apigateway:${region}::/usageplans/${id}`;
}

export function isNotFound(err: unknown): boolean {
  return awsErrorName(err) === "NotFoundException";
}

/** Like call(), but a NotFoundException answers `fallback` (the thing is already gone). */
export async function callOrNotFound<T, F>(
  ctx: GatewayContext,
  operation: string,
  resource: string,
  fn: (client: APIGatewayClient) => Promise<T>,
  fallback: F,
): Promise<T | F> {
  try {
    return await rawCall(ctx, operation, fn);
  } catch (err) {
    if (err instanceof CallNotSent) throw err;
    if (isNotFound(err)) return fallback;
    throw describeCallError(ctx, operation, err, resource);
  }
}

export interface Page<T> {
  items?: T[];
  position?: string;
}

/** All items of a paginated list; stops when `position` is absent or repeats. */
export async function collectPages<T>(
  fetch: (position: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const items: T[] = [];
  const seen = new Set<string>();
  let position: string | undefined;
  do {
    const page = await fetch(position);
    items.push(...(page.items ?? []));
    position = page.position && !seen.has(page.position) ? page.position : undefined;
    if (position) seen.add(position);
  } while (position);
  return items;
}

/** `fn` over `items` with at most `limit` running at once; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}
