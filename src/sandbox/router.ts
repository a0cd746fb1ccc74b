/**
 * Route table matching on the RAW (still percent-encoded) request path. Each `{label}` is one segment and is
 * decoded only after matching, so an ARN sent as `/tags/arn%3Aaws%3A...%2Fusageplans%2Fab12cd` stays one segment.
 */
import { fail } from "./errors.js";
import type { SandboxState } from "./state.js";
import type { JsonObject } from "./validate.js";

export interface RequestContext {
  readonly state: SandboxState;
  readonly query: URLSearchParams;
  readonly body: Buffer;
  /** A decoded path label. */
  param(name: string): string;
  /** The body parsed as a JSON object (400 when malformed). */
  json(): JsonObject;
  /** Current time, epoch milliseconds. */
  now(): number;
}

export interface ApiResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export type Handler = (ctx: RequestContext) => ApiResponse;

export interface Route {
  method: string;
  /** Model URI, e.g. "/usageplans/{usagePlanId}/keys/{keyId}". */
  path: string;
  /** SDK operation name, used for counters, throttling and fault targeting. */
  op: string;
  /** Query parameters that must be present with these values (e.g. mode=import). */
  query?: Readonly<Record<string, string>>;
  handler: Handler;
  /** Throttle bucket of this request when it differs from `op` (CreateRestApi edge vs regional). */
  throttleKey?: (ctx: RequestContext) => string;
}

export interface RouteMatch {
  route: Route;
  params: Map<string, string>;
}

type Segment = { literal: string } | { label: string };

interface CompiledRoute {
  route: Route;
  segments: Segment[];
}

function compile(route: Route): CompiledRoute {
  const segments = route.path
    .split("/")
    .slice(1)
    .map((s): Segment => (s.startsWith("{") && s.endsWith("}") ? { label: s.slice(1, -1) } : { literal: s }));
  return { route, segments };
}

function decodeSegment(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    return fail("BadRequestException", `Invalid path segment '${raw}'`);
  }
}

function matchSegments(segments: Segment[], raw: string[]): Map<string, string> | undefined {
  if (segments.length !== raw.length) return undefined;
  const params = new Map<string, string>();
  for (const [i, seg] of segments.entries()) {
    const part = raw[i] ?? "";
    if ("literal" in seg) {
      if (seg.literal !== part) return undefined;
    } else {
      if (part === "") return undefined;
      params.set(seg.label, decodeSegment(part));
    }
  }
  return params;
}

function queryMatches(route: Route, query: URLSearchParams): boolean {
  return Object.entries(route.query ?? {}).every(([k, v]) => query.get(k) === v);
}

export class Router {
  private readonly compiled: CompiledRoute[];

  /** Routes with a query constraint are tried first (ImportApiKeys before CreateApiKey). */
  constructor(routes: readonly Route[]) {
    const ordered = [...routes].sort((a, b) => Number(b.query !== undefined) - Number(a.query !== undefined));
    this.compiled = ordered.map(compile);
  }

  match(method: string, rawPath: string, query: URLSearchParams): RouteMatch | undefined {
    const raw = rawPath.split("/").slice(1);
    for (const c of this.compiled) {
      if (c.route.method !== method || c.segments.length !== raw.length || !queryMatches(c.route, query))
        continue;
      const params = matchSegments(c.segments, raw);
      if (params) return { route: c.route, params };
    }
    return undefined;
  }

  operations(): string[] {
    return this.compiled.map((c) => c.route.op);
  }
}

export const ok = (body: unknown): ApiResponse => ({ status: 200, body });
export const created = (body: unknown): ApiResponse => ({ status: 201, body });
export const accepted = (): ApiResponse => ({ status: 202 });
export const noContent = (): ApiResponse => ({ status: 204 });
