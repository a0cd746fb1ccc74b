// Client settings shared by every AWS SDK client upg creates. The SDK itself reads the standard
// credential chain and the service-specific endpoint variables (AWS_ENDPOINT_URL_API_GATEWAY,
// AWS_ENDPOINT_URL_DYNAMODB); upg adds --profile, --region, timeouts and explicit endpoints for tests.

/** How long one attempt of a call may take: to connect, and in all (connect, send, answer). */
export interface Timeouts {
  connectMs: number;
  requestMs: number;
}

/**
 * Defaults that end a run against a dead endpoint well within a minute: an endpoint that accepts the
 * connection and never answers costs TIMEOUT_ATTEMPTS × 10 s, one that drops the SYN TIMEOUT_ATTEMPTS × 3 s.
 */
export const DEFAULT_TIMEOUTS: Timeouts = { connectMs: 3000, requestMs: 10_000 };

/**
 * Attempts of a call whose attempts time out (the first one included). Throttling and 5xx answers keep the
 * full `maxAttempts`; an endpoint that did not answer twice in a row is not going to answer a third time.
 */
export const TIMEOUT_ATTEMPTS = 2;

/** Attempts per call (the first one included) when the target does not say. */
export const DEFAULT_MAX_ATTEMPTS = 5;

export interface AwsTarget {
  region: string;
  profile?: string;
  /** Explicit endpoint (tests, sandbox). Otherwise the SDK's own resolution applies. */
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * Attempts per call including the first. DynamoDB, SNS and STS clients retry in the SDK (standard mode);
   * API Gateway calls retry in upg's pacer, so that every attempt waits for its turn (src/live/pacer.ts).
   */
  maxAttempts?: number;
  /** Per-attempt timeouts (default DEFAULT_TIMEOUTS). */
  timeouts?: Timeouts;
}

/**
 * Options of the SDK's NodeHttpHandler. Without `throwOnRequestTimeout` (@smithy/node-http-handler 4.x) an
 * exceeded requestTimeout only logs a warning and the call goes on waiting.
 */
export interface HttpHandlerOptions {
  connectionTimeout: number;
  requestTimeout: number;
  throwOnRequestTimeout: true;
}

export interface SdkClientConfig {
  region: string;
  profile?: string;
  endpoint?: string;
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  maxAttempts: number;
  /**
   * Always "standard": the SDK's adaptive mode keeps a client-side rate limiter of its own, which would
   * compete with upg's pacer instead of leaving the waiting to it.
   */
  retryMode: "standard";
  requestHandler: HttpHandlerOptions;
}

export function timeoutsOf(t: AwsTarget): Timeouts {
  return t.timeouts ?? DEFAULT_TIMEOUTS;
}

export function httpHandlerOptions(timeouts: Timeouts): HttpHandlerOptions {
  return {
    connectionTimeout: timeouts.connectMs,
    requestTimeout: timeouts.requestMs,
    throwOnRequestTimeout: true,
  };
}

export function sdkClientConfig(t: AwsTarget): SdkClientConfig {
  const cfg: SdkClientConfig = {
    region: t.region,
    maxAttempts: t.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: "standard",
    requestHandler: httpHandlerOptions(timeoutsOf(t)),
  };
  if (t.profile) cfg.profile = t.profile;
  if (t.endpoint) cfg.endpoint = t.endpoint;
  if (t.credentials) cfg.credentials = t.credentials;
  return cfg;
}

/** True for the error the SDK's HTTP handler raises when a connect or request timeout expires. */
export function isTimeout(err: unknown): boolean {
  if (typeof err !== "object" || err === null) return false;
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  if (e.name !== "TimeoutError") return false;
  return e.code === "ETIMEDOUT" || /did not establish a connection/.test(String(e.message ?? ""));
}

interface RetryToken {
  getRetryCount(): number;
}

interface RetryStrategyV2 {
  acquireInitialRetryToken(scope: string): Promise<RetryToken>;
  refreshRetryTokenForRetry(
    token: RetryToken,
    info: { error?: unknown; errorType: string },
  ): Promise<RetryToken>;
  recordSuccess(token: RetryToken): void;
}

function isRetryStrategyV2(s: unknown): s is RetryStrategyV2 {
  const o = s as Partial<RetryStrategyV2> | undefined;
  return (
    typeof o?.acquireInitialRetryToken === "function" &&
    typeof o.refreshRetryTokenForRetry === "function" &&
    typeof o.recordSuccess === "function"
  );
}

/** The SDK's own retry strategy, except that a call whose attempt timed out gets `attempts` in all. */
export function capTimeoutRetries(base: unknown, attempts = TIMEOUT_ATTEMPTS): unknown {
  if (!isRetryStrategyV2(base)) return base;
  const capped: RetryStrategyV2 = {
    acquireInitialRetryToken: (scope) => base.acquireInitialRetryToken(scope),
    refreshRetryTokenForRetry: (token, info) => {
      if (isTimeout(info.error) && token.getRetryCount() + 1 >= attempts) {
        return Promise.reject(new Error("No retry after a timeout"));
      }
      return base.refreshRetryTokenForRetry(token, info);
    },
    recordSuccess: (token) => base.recordSuccess(token),
  };
  const mode = (base as { mode?: unknown }).mode;
  return mode === undefined ? capped : { mode, ...capped };
}

/**
 * Applies capTimeoutRetries to an SDK client. The client resolves its retry strategy (standard mode) lazily
 * from `config.retryStrategy` on every call; this wraps what that provider returns.
 */
export function limitTimeoutRetries<C extends { config: { retryStrategy: () => Promise<unknown> } }>(
  client: C,
  attempts = TIMEOUT_ATTEMPTS,
): C {
  const provider = client.config.retryStrategy;
  let wrapped: Promise<unknown> | undefined;
  client.config.retryStrategy = () => {
    wrapped ??= provider().then((s) => capTimeoutRetries(s, attempts));
    return wrapped;
  };
  return client;
}
