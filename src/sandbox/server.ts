/**
 * The HTTP server: admin endpoints under /_sandbox/, SNS under /sns, STS under /sts, then the API Gateway
 * operations with counters, faults and throttling, each against the state of the caller's account-region (the
 * region of the SigV4 credential scope, the account of the access key; the defaults for an unsigned request). Every answer is JSON with an `x-amzn-RequestId`; every failure, including unexpected exceptions,
 * becomes an AWS-style error and the server keeps serving.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { ADMIN_PREFIX, type AdminDeps, handleAdmin } from "./admin.js";
import { ApiError, apiError, fail, tooManyRequests } from "./errors.js";
import type { SandboxIam } from "./iam.js";
import { persistOrFail } from "./persist.js";
import type { ApiResponse, RequestContext, RouteMatch, Router } from "./router.js";
import { handleSnsAdmin, isSnsPath, SNS_ADMIN_PREFIX, type SnsState, serveSns } from "./sns/index.js";
import {
  credentialScope,
  handleStsAdmin,
  isStsPath,
  STS_ADMIN_PREFIX,
  type StsState,
  serveSts,
} from "./sts.js";
import type { Tenant } from "./tenants.js";
import { type JsonObject, parseJsonObject } from "./validate.js";

/** Bodies above this size get 413 RequestEntityTooLargeException (after being drained, so the client reads it). */
export const MAX_BODY_BYTES = 10 * 1024 * 1024;
/** Past this, a request's socket is destroyed instead of drained. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

export interface ServerDeps extends AdminDeps {
  router: Router;
  /** The IAM policy every API request is checked against (`iamPolicy`); absent = everything allowed. */
  iam?: SandboxIam;
  /** SNS (query protocol, XML) under /sns and its admin under /_sandbox/sns/: the default account's. */
  sns?: SnsState;
  /** The SNS state of an account (created on demand); the default account's is `sns`. */
  snsFor?: (accountId: string) => SnsState;
  /** STS (query protocol) under /sts: who each access key is. */
  sts: StsState;
  /** Save the state (with `dataDir`): called after a request changed it, before it is answered. */
  persist?: () => void;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) req.destroy();
    });
    req.on("end", () => {
      if (size <= MAX_BODY_BYTES) resolve(Buffer.concat(chunks));
      else reject(apiError("RequestEntityTooLargeException", `Request body exceeds ${MAX_BODY_BYTES} bytes`));
    });
    req.on("error", reject);
    req.on("close", () => reject(new Error("request aborted")));
  });
}

function send(res: ServerResponse, r: ApiResponse): void {
  if (res.headersSent || res.destroyed) return;
  if (r.body === undefined) {
    res.writeHead(r.status, r.headers).end();
    return;
  }
  const text = JSON.stringify(r.body);
  res
    .writeHead(r.status, {
      ...r.headers,
      "Content-Type": "application/json",
      "Content-Length": String(Buffer.byteLength(text)),
    })
    .end(text);
}

/** Anything that is not an ApiError is a bug: answer 500 InternalFailure without details. */
export function errorResponse(err: unknown): ApiResponse {
  const e = err instanceof ApiError ? err : apiError("InternalFailure", "Internal server error");
  return {
    status: e.status,
    headers: { ...e.headers, "X-Amzn-ErrorType": e.code },
    body: { message: e.message },
  };
}

function context(
  state: Tenant["state"],
  match: RouteMatch,
  query: URLSearchParams,
  body: Buffer,
): RequestContext {
  let parsed: JsonObject | undefined;
  return {
    state,
    query,
    body,
    param: (name) => match.params.get(name) ?? fail("BadRequestException", `Missing path parameter ${name}`),
    json: () => {
      parsed ??= parseJsonObject(body);
      return parsed;
    },
    now: () => Date.now(),
  };
}

/**
 * The account-region a request addresses: the region it is signed for, the account of its access key.
 * Signatures are not verified; a request signed for a region name AWS does not have (or one the sandbox was told
 * not to serve) is refused as AWS refuses a request signed for another region than its endpoint's.
 */
export function tenantOf(deps: ServerDeps, req: IncomingMessage): Tenant {
  const scope = credentialScope(req);
  const d = deps.tenants.defaultTenant;
  if (!scope) return d;
  if (!deps.tenants.serves(scope.region)) {
    const served = deps.tenants.servedRegions;
    fail(
      "InvalidSignatureException",
      `Credential should be scoped to a valid region, not '${scope.region}'.` +
        (served ? ` This sandbox serves ${served.join(", ")}.` : ""),
    );
  }
  return deps.tenants.get(deps.sts.callerOf(scope.accessKeyId).accountId, scope.region);
}

/** Counters → drop → latency → throttle → injected error → handler. Undefined means "connection dropped". */
async function serveApi(
  deps: ServerDeps,
  req: IncomingMessage,
  rawPath: string,
  query: URLSearchParams,
  body: Buffer,
): Promise<ApiResponse | undefined> {
  const match = deps.router.match(req.method ?? "", rawPath, query);
  deps.counters.record(match?.route.op);
  const tenant = tenantOf(deps, req);
  tenant.counters.record(match?.route.op);
  if (!match) return fail("UnknownOperationException", `Unknown operation: ${req.method} ${rawPath}`);
  deps.iam?.checkApiGateway(req.method ?? "", rawPath, tenant.region);
  if (deps.faults.shouldDrop()) {
    req.socket.destroy();
    return undefined;
  }
  const delay = deps.faults.delayMs();
  if (delay > 0) await sleep(delay);
  const ctx = context(tenant.state, match, query, body);
  const wait = deps.throttler.take(match.route.throttleKey?.(ctx) ?? match.route.op, tenant.key);
  if (wait !== undefined) throw tooManyRequests(wait);
  const injected = deps.faults.errorFor(match.route.op);
  if (injected) throw injected;
  return match.route.handler(ctx);
}

/** Reads are GETs; a failed request leaves the state as it was (handlers validate before they write). */
function changesState(method: string | undefined, response: ApiResponse): boolean {
  return method !== "GET" && method !== "HEAD" && response.status >= 200 && response.status < 300;
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  res.setHeader("x-amzn-RequestId", randomUUID());
  try {
    const body = await readBody(req);
    const createdBefore = deps.tenants.createdOnDemand;
    const url = req.url ?? "/";
    const cut = url.indexOf("?");
    const rawPath = cut < 0 ? url : url.slice(0, cut);
    const query = new URLSearchParams(cut < 0 ? "" : url.slice(cut + 1));
    if (deps.sns && isSnsPath(rawPath)) {
      const sns = deps.snsFor?.(deps.sts.accountOf(req)) ?? deps.sns;
      return await serveSns({ ...deps, sns }, req, res, body);
    }
    if (isStsPath(rawPath)) return serveSts(deps.sts, req, res, body);
    const method = req.method ?? "";
    const snsAdmin =
      deps.sns && rawPath.startsWith(SNS_ADMIN_PREFIX)
        ? handleSnsAdmin(deps.sns, method, rawPath)
        : undefined;
    const response = rawPath.startsWith(STS_ADMIN_PREFIX)
      ? handleStsAdmin(deps.sts, method, rawPath, body)
      : rawPath.startsWith(ADMIN_PREFIX)
        ? (snsAdmin ?? handleAdmin(deps, method, rawPath, body, query))
        : await serveApi(deps, req, rawPath, query, body);
    const created = deps.tenants.createdOnDemand !== createdBefore; // seeded: ids to keep
    if (response && (created || changesState(req.method, response))) persistOrFail(deps);
    if (response) send(res, response);
  } catch (err) {
    send(res, errorResponse(err));
  }
}

/** Malformed HTTP (bad request line, oversized headers): a JSON 400 instead of Node's bare answer. */
function onClientError(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === "ECONNRESET" || !socket.writable) {
    socket.destroy();
    return;
  }
  const body = JSON.stringify({ message: "Malformed HTTP request" });
  socket.end(
    "HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nX-Amzn-ErrorType: BadRequestException\r\n" +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

export function createApiServer(deps: ServerDeps): Server {
  const server = createServer((req, res) => {
    // Whatever escapes (e.g. a header the socket refuses), the server keeps serving.
    handle(deps, req, res).catch(() => res.destroy());
  });
  server.on("clientError", onClientError);
  return server;
}

/** Listen on host:port (0 = free port); resolves the bound port. */
export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Close the server and every open (keep-alive) connection. */
export function close(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}
