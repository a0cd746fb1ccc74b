// Turns what an AWS SDK client throws into errors a user can act on: which service, which call, on what,
// against which endpoint, and what to do about it. Shared by src/live (API Gateway) and src/store (DynamoDB).

import { UserError } from "../errors.js";
import { isTimeout, type Timeouts } from "./client-config.js";

export type AwsService = "API Gateway" | "DynamoDB";

export interface AwsErrorContext {
  service: AwsService;
  /** The SDK operation that failed, e.g. "UpdateUsagePlan" or "PutItem". */
  action: string;
  /** The endpoint the client talks to (explicit, from the environment, or the regional default). */
  endpoint: string;
  region: string;
  profile?: string;
  /** What the call was about, as a phrase: "usage plan ab12cd", "table usage-plans-metadata". */
  resource?: string;
  /** The client's per-attempt timeouts, for "did not answer within N s". */
  timeouts?: Timeouts;
}

interface ServiceFacts {
  endpointVariable: string;
  /** Endpoint prefix of the regional default `https://{prefix}.{region}.amazonaws.com`. */
  endpointPrefix: string;
  /** The IAM action a call needs. */
  iamAction(action: string): string;
  throttleNames: ReadonlySet<string>;
  throttleHint: string;
}

const NETWORK_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ECONNABORTED",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
]);
const TIMEOUT_NAMES = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const REJECTED_CREDENTIAL_NAMES = new Set([
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "IncompleteSignatureException",
  "MissingAuthenticationTokenException",
  "ExpiredTokenException",
  "InvalidClientTokenId",
  "SignatureDoesNotMatch",
]);
const ACCESS_DENIED_NAMES = new Set(["AccessDeniedException", "AccessDenied", "UnauthorizedException"]);

/** API Gateway's IAM actions are HTTP verbs on resource ARNs (`apigateway:PATCH`), not operation names. */
const API_GATEWAY_VERBS: ReadonlyArray<[RegExp, string]> = [
  [/^Get/, "GET"],
  [/^(Create|Import)/, "POST"],
  [/^Update/, "PATCH"],
  [/^TagResource$/, "PUT"],
  [/^(Delete|UntagResource$)/, "DELETE"],
];

/** The HTTP verb API Gateway's IAM policy checks for an SDK operation. */
export function apiGatewayHttpVerb(action: string): string {
  return API_GATEWAY_VERBS.find(([re]) => re.test(action))?.[1] ?? "*";
}

const SERVICES: Readonly<Record<AwsService, ServiceFacts>> = {
  "API Gateway": {
    endpointVariable: "AWS_ENDPOINT_URL_API_GATEWAY",
    endpointPrefix: "apigateway",
    iamAction: (action) => `apigateway:${apiGatewayHttpVerb(action)}`,
    throttleNames: new Set(["TooManyRequestsException", "ThrottlingException"]),
    throttleHint:
      "AWS allows 10 control-plane calls per second and one UpdateUsagePlan every 20 s per account; " +
      "another tool may be using the budget. Retry in a minute, or leave it more room with a larger " +
      "`pacing.headroom` in upg.config.yaml (default 0.1).",
  },
  DynamoDB: {
    endpointVariable: "AWS_ENDPOINT_URL_DYNAMODB",
    endpointPrefix: "dynamodb",
    iamAction: (action) => `dynamodb:${action}`,
    throttleNames: new Set([
      "ThrottlingException",
      "ProvisionedThroughputExceededException",
      "RequestLimitExceeded",
      "LimitExceededException",
    ]),
    throttleHint: "Retry in a minute; if it persists, check the table's capacity and the account's limits.",
  },
};

/** The endpoint an SDK client of `service` uses (explicit, service variable, global variable, default). */
export function serviceEndpoint(
  service: AwsService,
  target: { region: string; endpoint?: string },
  env: NodeJS.ProcessEnv = process.env,
): string {
  const facts = SERVICES[service];
  return (
    target.endpoint ??
    env[facts.endpointVariable] ??
    env.AWS_ENDPOINT_URL ??
    `https://${facts.endpointPrefix}.${target.region}.amazonaws.com`
  );
}

const IAM_HINT = "see the IAM section of the README";

function prop(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringProp(value: unknown, key: string): string | undefined {
  const v = prop(value, key);
  return typeof v === "string" ? v : undefined;
}

/** The SDK's error name (the service's error code for service exceptions) or undefined. */
export function awsErrorName(err: unknown): string | undefined {
  return stringProp(err, "name");
}

/** The HTTP status of a service exception, when the SDK recorded one. */
export function awsHttpStatus(err: unknown): number | undefined {
  const status = prop(prop(err, "$metadata"), "httpStatusCode");
  return typeof status === "number" ? status : undefined;
}

/** A socket-level error code such as ECONNREFUSED, looking through `cause` and AggregateError. */
function networkCode(err: unknown): string | undefined {
  const candidates = [err, prop(err, "cause")];
  const inner = prop(err, "errors");
  if (Array.isArray(inner)) candidates.push(...inner);
  for (const c of candidates) {
    const code = stringProp(c, "code");
    if (code && NETWORK_CODES.has(code)) return code;
  }
  const name = awsErrorName(err);
  return name && TIMEOUT_NAMES.has(name) ? name : undefined;
}

function isMissingCredentials(err: unknown): boolean {
  return (
    awsErrorName(err) === "CredentialsProviderError" ||
    /could not (load|resolve) credentials/i.test(stringProp(err, "message") ?? "")
  );
}

/**
 * True for a throttling answer from `service`. [U] API Gateway's LimitExceededException (also 429) is not
 * throttling here: API Gateway uses it for account quotas as well, which no amount of waiting fixes.
 */
export function isThrottlingError(err: unknown, service: AwsService): boolean {
  const name = awsErrorName(err) ?? "";
  return (
    SERVICES[service].throttleNames.has(name) ||
    (awsHttpStatus(err) === 429 && name !== "LimitExceededException")
  );
}

/** Why a failed attempt may be tried again: throttled, timed out, or a passing fault (5xx, a reset connection). */
export type RetryKind = "throttled" | "timeout" | "transient";

/** Socket errors of a connection that was open and broke: the next connection will probably work. */
const RESET_CODES = new Set(["ECONNRESET", "ECONNABORTED", "EPIPE"]);

/**
 * Whether a failed attempt is worth another: throttling (429 other than a quota), a timeout, a 5xx answer
 * or a reset connection. Everything else (4xx, a refused connection, an unknown host, missing credentials)
 * fails the same way again.
 */
export function retryKind(err: unknown, service: AwsService): RetryKind | undefined {
  if (isThrottlingError(err, service)) return "throttled";
  const name = awsErrorName(err) ?? "";
  const codes = [err, prop(err, "cause")].map((c) => stringProp(c, "code") ?? "");
  if (isTimeout(err) || TIMEOUT_NAMES.has(name) || codes.includes("ETIMEDOUT")) return "timeout";
  const status = awsHttpStatus(err) ?? prop(prop(err, "$response"), "statusCode");
  if (typeof status === "number" && status >= 500 && status <= 599) return "transient";
  if (codes.some((c) => RESET_CODES.has(c))) return "transient";
  return undefined;
}

function onResource(ctx: AwsErrorContext): string {
  return ctx.resource ? ` on ${ctx.resource}` : "";
}

function codeAndMessage(err: unknown): string {
  const name = awsErrorName(err) ?? "Error";
  const message = stringProp(err, "message") ?? String(err);
  return `${name}: ${message}`;
}

type Describer = (err: unknown, ctx: AwsErrorContext, facts: ServiceFacts) => UserError | undefined;

/** "10", "1.5", "0.25": milliseconds as seconds, without trailing zeros. */
export function formatSeconds(ms: number): string {
  return String(Math.round(ms) / 1000);
}

/** The timeout the HTTP handler reported in its message ("configured 10000 ms requestTimeout"). */
function reportedTimeoutMs(err: unknown): number | undefined {
  const m = /configured (?:timeout of )?(\d+) ?ms/.exec(stringProp(err, "message") ?? "");
  return m ? Number(m[1]) : undefined;
}

function attemptsNote(err: unknown): string {
  const attempts = prop(prop(err, "$metadata"), "attempts");
  return typeof attempts === "number" && attempts > 1 ? ` (${attempts} attempts)` : "";
}

/** A connect or request timeout of the SDK's HTTP handler: the endpoint did not answer in time. */
const timedOut: Describer = (err, ctx, facts) => {
  if (!isTimeout(err)) return undefined;
  const connecting = /did not establish a connection/.test(stringProp(err, "message") ?? "");
  const ms = (connecting ? ctx.timeouts?.connectMs : ctx.timeouts?.requestMs) ?? reportedTimeoutMs(err);
  const within = ms === undefined ? "in time" : `within ${formatSeconds(ms)} s`;
  const what = connecting
    ? `did not accept a connection ${within} (${ctx.action}${onResource(ctx)})`
    : `did not answer ${ctx.action}${onResource(ctx)} ${within}`;
  const raise = connecting
    ? "raise `timeouts.connect` in upg.config.yaml"
    : "allow more time with --timeout or `timeouts.request` in upg.config.yaml";
  return new UserError(`${ctx.service} at ${ctx.endpoint} ${what}${attemptsNote(err)}.`, {
    hint:
      `Check that the endpoint is right and reachable (${facts.endpointVariable} / --region, proxy, VPN, ` +
      `firewall), or ${raise}.`,
    cause: err,
  });
};

/** An answer the SDK could not read as an AWS reply (an HTML error page from a proxy or load balancer). */
const notAnAwsReply: Describer = (err, ctx, facts) => {
  const message = stringProp(err, "message") ?? "";
  if (awsErrorName(err) !== "SyntaxError" && !/Deserialization error/.test(message)) return undefined;
  const response = prop(err, "$response");
  const status = awsHttpStatus(err) ?? prop(response, "statusCode");
  if (typeof status !== "number") return undefined;
  const contentType = stringProp(prop(response, "headers"), "content-type")?.split(";")[0]?.trim();
  const body = contentType ? `a ${contentType} page` : "a body";
  return new UserError(
    `${ctx.service} ${ctx.action}${onResource(ctx)} failed at ${ctx.endpoint}: the endpoint answered ` +
      `HTTP ${status} with ${body}, not an AWS reply.`,
    {
      hint:
        `Something other than ${ctx.service} answered: a proxy, a load balancer or a wrong endpoint URL ` +
        `(check ${facts.endpointVariable}, HTTPS_PROXY). ${status >= 500 ? "If it was a passing outage, run again." : ""}`.trim(),
      cause: err,
    },
  );
};

/** AWS's answer to a request signed for another region than the endpoint's. */
const WRONG_REGION_RE = /scoped to a valid region(?:, not '([^']+)')?/i;

const wrongRegion: Describer = (err, ctx, facts) => {
  const m = WRONG_REGION_RE.exec(stringProp(err, "message") ?? "");
  if (!m) return undefined;
  const signed = m[1] ?? ctx.region;
  return new UserError(
    `${ctx.service} at ${ctx.endpoint} refused ${ctx.action}: the request was signed for region ${signed}, ` +
      "which is not the region of that endpoint.",
    {
      hint:
        "The credentials are fine; the region is wrong. upg signs for --region, else AWS_REGION, else the first " +
        `of \`regions:\` in upg.config.yaml; make it the endpoint's region, or point ${facts.endpointVariable} ` +
        "at an endpoint of that region.",
      cause: err,
    },
  );
};

const unreachable: Describer = (err, ctx, facts) => {
  const code = networkCode(err);
  if (!code) return undefined;
  return new UserError(`Cannot reach ${ctx.service} at ${ctx.endpoint} (${code}).`, {
    hint: `Check ${facts.endpointVariable} / --region, or start the sandbox with \`upg sandbox\`.`,
    cause: err,
  });
};

function inProfile(ctx: AwsErrorContext): string {
  return `${ctx.region}${ctx.profile ? ` (profile ${ctx.profile})` : ""}`;
}

const missingCredentials: Describer = (err, ctx) => {
  if (!isMissingCredentials(err)) return undefined;
  return new UserError(`No AWS credentials found for ${ctx.service} in ${inProfile(ctx)}.`, {
    hint:
      "Configure AWS_PROFILE or pass --profile (run `aws sso login` for SSO profiles), or set " +
      "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Against the sandbox any non-empty keys work.",
    cause: err,
  });
};

const rejectedCredentials: Describer = (err, ctx) => {
  if (!REJECTED_CREDENTIAL_NAMES.has(awsErrorName(err) ?? "")) return undefined;
  return new UserError(
    `AWS rejected the credentials used for ${ctx.service} in ${inProfile(ctx)} (${codeAndMessage(err)}).`,
    {
      hint: "Refresh them (an expired SSO session needs `aws sso login`) or pick another --profile.",
      cause: err,
    },
  );
};

const accessDenied: Describer = (err, ctx, facts) => {
  const name = awsErrorName(err) ?? "";
  if (!ACCESS_DENIED_NAMES.has(name)) return undefined;
  const permission = facts.iamAction(ctx.action);
  const label = permission.endsWith(`:${ctx.action}`) ? permission : `${permission} (${ctx.action})`;
  return new UserError(
    `Access denied: ${label}${onResource(ctx)} is not allowed for the credentials in use.`,
    {
      hint: `Grant ${permission} to the role or user (${IAM_HINT}), or use --profile with one that has it. AWS said: ${stringProp(err, "message") ?? name}`,
      cause: err,
    },
  );
};

const throttled: Describer = (err, ctx, facts) => {
  if (!isThrottlingError(err, ctx.service)) return undefined;
  return new UserError(
    `${ctx.service} throttled ${ctx.action}${onResource(ctx)} (${awsErrorName(err) ?? "429"}).`,
    { hint: facts.throttleHint, cause: err },
  );
};

/** [U] API Gateway's LimitExceededException covers both rate limits and account quotas. */
const apiGatewayLimit: Describer = (err, ctx) => {
  if (ctx.service !== "API Gateway" || awsErrorName(err) !== "LimitExceededException") return undefined;
  return new UserError(`API Gateway refused ${ctx.action}${onResource(ctx)}: ${codeAndMessage(err)}`, {
    hint:
      "An account limit was hit: a request rate, or a quota such as 300 usage plans per region or 10 usage " +
      "plans per API key. Retry later, or request a quota increase in Service Quotas.",
    cause: err,
  });
};

const DESCRIBERS: readonly Describer[] = [
  timedOut,
  unreachable,
  notAnAwsReply,
  wrongRegion,
  missingCredentials,
  rejectedCredentials,
  accessDenied,
  apiGatewayLimit,
  throttled,
];

/** Maps any error from an AWS SDK call to a UserError that says what happened and what to do. */
export function describeAwsError(err: unknown, ctx: AwsErrorContext): UserError {
  if (err instanceof UserError) return err;
  const facts = SERVICES[ctx.service];
  for (const describe of DESCRIBERS) {
    const found = describe(err, ctx, facts);
    if (found) return found;
  }
  return new UserError(
    `${ctx.service} ${ctx.action}${onResource(ctx)} failed at ${ctx.endpoint}: ${codeAndMessage(err)}`,
    { cause: err },
  );
}
