// Turns what the DynamoDB SDK throws into errors a user can act on.

import { UserError } from "../errors.js";

export interface DynamoErrorContext {
  /** The DynamoDB action that failed, e.g. "PutItem". */
  action: string;
  table?: string;
  /** The endpoint the client talks to (explicit, from the environment, or the regional default). */
  endpoint: string;
  region: string;
  profile?: string;
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
]);
const THROTTLE_NAMES = new Set([
  "ThrottlingException",
  "ProvisionedThroughputExceededException",
  "RequestLimitExceeded",
  "LimitExceededException",
]);

const IAM_HINT = "see the IAM section of the README";

function prop(value: unknown, key: string): unknown {
  return typeof value === "object" && value !== null ? (value as Record<string, unknown>)[key] : undefined;
}

function stringProp(value: unknown, key: string): string | undefined {
  const v = prop(value, key);
  return typeof v === "string" ? v : undefined;
}

/** The SDK's error name (service exceptions) or undefined. */
export function dynamoErrorName(err: unknown): string | undefined {
  return stringProp(err, "name");
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
  const name = dynamoErrorName(err);
  return name && TIMEOUT_NAMES.has(name) ? name : undefined;
}

function isMissingCredentials(err: unknown): boolean {
  return (
    dynamoErrorName(err) === "CredentialsProviderError" ||
    /could not (load|resolve) credentials/i.test(stringProp(err, "message") ?? "")
  );
}

function onTable(ctx: DynamoErrorContext): string {
  return ctx.table ? ` on table ${ctx.table}` : "";
}

function describe(err: unknown): string {
  const name = dynamoErrorName(err) ?? "Error";
  const message = stringProp(err, "message") ?? String(err);
  return `${name}: ${message}`;
}

/** Maps any error from a DynamoDB call to a UserError that says what happened and what to do. */
export function describeDynamoError(err: unknown, ctx: DynamoErrorContext): UserError {
  if (err instanceof UserError) return err;
  const cause = err;
  const code = networkCode(err);
  if (code) {
    return new UserError(`Cannot reach DynamoDB at ${ctx.endpoint} (${code}).`, {
      hint: "Check AWS_ENDPOINT_URL_DYNAMODB / --region, or start the sandbox with `upg sandbox`.",
      cause,
    });
  }
  const profile = ctx.profile ? ` (profile ${ctx.profile})` : "";
  if (isMissingCredentials(err)) {
    return new UserError(`No AWS credentials found for DynamoDB in ${ctx.region}${profile}.`, {
      hint:
        "Configure AWS_PROFILE or pass --profile (run `aws sso login` for SSO profiles), or set " +
        "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Against the sandbox any non-empty keys work.",
      cause,
    });
  }
  const name = dynamoErrorName(err) ?? "";
  if (REJECTED_CREDENTIAL_NAMES.has(name)) {
    return new UserError(
      `AWS rejected the credentials used for DynamoDB in ${ctx.region}${profile} (${describe(err)}).`,
      {
        hint: "Refresh them (an expired SSO session needs `aws sso login`) or pick another --profile.",
        cause,
      },
    );
  }
  if (name === "AccessDeniedException") {
    return new UserError(
      `Access denied: dynamodb:${ctx.action}${onTable(ctx)} is not allowed for the credentials in use.`,
      {
        hint: `Grant dynamodb:${ctx.action} to the role or user (${IAM_HINT}), or use --profile with one that has it. AWS said: ${stringProp(err, "message") ?? name}`,
        cause,
      },
    );
  }
  if (name === "ResourceNotFoundException") {
    return new UserError(`Table ${ctx.table ?? "(unknown)"} does not exist.`, {
      hint: "Run `upg init` first.",
      cause,
    });
  }
  if (THROTTLE_NAMES.has(name)) {
    return new UserError(`DynamoDB throttled ${ctx.action}${onTable(ctx)} (${name}).`, {
      hint: "Retry in a minute; if it persists, check the table's capacity and the account's limits.",
      cause,
    });
  }
  return new UserError(`DynamoDB ${ctx.action}${onTable(ctx)} failed at ${ctx.endpoint}: ${describe(err)}`, {
    cause,
  });
}
