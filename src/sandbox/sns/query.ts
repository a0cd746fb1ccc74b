/**
 * The AWS query protocol as SNS speaks it: form-encoded requests (`Action=Publish&Version=2010-03-31&…`,
 * maps as `Name.entry.N.key`, lists as `Name.member.N`), XML answers, and XML errors
 * `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
 */
import { SNS_XMLNS } from "./state.js";

/** An SNS error: the HTTP status and the query-protocol code the SDK maps to its exception class. */
export class SnsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }

  /** AWS says who is at fault: the caller (4xx) or the service (5xx). */
  get type(): "Sender" | "Receiver" {
    return this.status >= 500 ? "Receiver" : "Sender";
  }
}

/** The codes (and statuses) SNS answers with, as the SDK's model declares them. */
export const SNS_ERRORS = {
  InvalidParameter: 400,
  InvalidAction: 400,
  MissingAction: 400,
  AuthorizationError: 403,
  NotFound: 404,
  Throttled: 429,
  InternalError: 500,
  ServiceUnavailable: 503,
} as const;

export type SnsErrorCode = keyof typeof SNS_ERRORS;

export function snsError(code: SnsErrorCode, message: string): SnsError {
  return new SnsError(SNS_ERRORS[code], code, message);
}

export function snsFail(code: SnsErrorCode, message: string): never {
  throw snsError(code, message);
}

/** SNS's own code for an injected fault of a bare status (the sandbox's generic codes are API Gateway's). */
export function snsCodeForStatus(status: number): string {
  if (status === 400) return "InvalidParameter";
  if (status === 403) return "AuthorizationError";
  if (status === 404) return "NotFound";
  if (status === 429) return "Throttled";
  if (status === 503) return "ServiceUnavailable";
  return status >= 500 ? "InternalError" : "InvalidParameter";
}

export function escapeXml(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => `&${{ "&": "amp", "<": "lt", ">": "gt", '"': "quot", "'": "apos" }[c]};`,
  );
}

export function tag(name: string, inner: string): string {
  return `<${name}>${inner}</${name}>`;
}

export function text(name: string, value: string): string {
  return tag(name, escapeXml(value));
}

/** `<XResponse><XResult>…</XResult><ResponseMetadata><RequestId/></ResponseMetadata></XResponse>`. */
export function resultXml(action: string, result: string, requestId: string): string {
  return (
    `<?xml version="1.0"?>\n<${action}Response xmlns="${SNS_XMLNS}">` +
    (result === "" ? "" : tag(`${action}Result`, result)) +
    tag("ResponseMetadata", text("RequestId", requestId)) +
    `</${action}Response>\n`
  );
}

export function errorXml(err: SnsError, requestId: string): string {
  return (
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${SNS_XMLNS}">` +
    tag("Error", text("Type", err.type) + text("Code", err.code) + text("Message", err.message)) +
    text("RequestId", requestId) +
    "</ErrorResponse>\n"
  );
}

/** A form-encoded query request. */
export class QueryParams {
  constructor(private readonly params: URLSearchParams) {}

  static parse(body: Buffer): QueryParams {
    return new QueryParams(new URLSearchParams(body.toString("utf8")));
  }

  get(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  /** A map sent as `prefix.entry.N.<keyField>` / `prefix.entry.N.<valueField>…`, N from 1 without gaps. */
  entries(prefix: string): Array<{ n: number; get(field: string): string | undefined }> {
    const out: Array<{ n: number; get(field: string): string | undefined }> = [];
    for (let n = 1; ; n++) {
      const base = `${prefix}.${n}.`;
      if (![...this.params.keys()].some((k) => k.startsWith(base))) return out;
      out.push({ n, get: (field) => this.params.get(base + field) ?? undefined });
    }
  }
}
