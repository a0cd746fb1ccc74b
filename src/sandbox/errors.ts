/** AWS-style errors: header `X-Amzn-ErrorType: <Code>`, body `{"message": "..."}`. */

const STATUS_BY_CODE = {
  BadRequestException: 400,
  UnauthorizedException: 401,
  NotFoundException: 404,
  /**
   * [U] Unknown path or method: AWS's exact answer is not documented. We answer 404 with a code of its own
   * (not NotFoundException) so that a reconciler never mistakes a typo'd route for "resource already gone".
   */
  UnknownOperationException: 404,
  /** A request signed for another region (AWS: "Credential should be scoped to a valid region"). */
  InvalidSignatureException: 403,
  ConflictException: 409,
  /** [U] Bodies over the size limit: 413 with this code (the SDK surfaces it as a generic service error). */
  RequestEntityTooLargeException: 413,
  TooManyRequestsException: 429,
  LimitExceededException: 429,
  InternalFailure: 500,
  ServiceUnavailableException: 503,
} as const;

export type ErrorCode = keyof typeof STATUS_BY_CODE;

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(status: number, code: string, message: string, headers: Record<string, string> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.headers = headers;
  }
}

export function apiError(code: ErrorCode, message: string, headers?: Record<string, string>): ApiError {
  return new ApiError(STATUS_BY_CODE[code], code, message, headers);
}

/** Throw an AWS-style error. */
export function fail(code: ErrorCode, message: string): never {
  throw apiError(code, message);
}

const CODE_BY_STATUS: Readonly<Record<number, string>> = {
  400: "BadRequestException",
  401: "UnauthorizedException",
  403: "AccessDeniedException",
  404: "NotFoundException",
  409: "ConflictException",
  429: "TooManyRequestsException",
  500: "InternalFailure",
  503: "ServiceUnavailableException",
};

/** The error code used for a bare status (fault injection). */
export function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? (status >= 500 ? "InternalFailure" : "BadRequestException");
}

/** Headers for a throttling-type answer: integer seconds (at least 1) plus the exact scaled milliseconds. */
export function retryAfterHeaders(waitMs: number): Record<string, string> {
  const ms = Math.max(0, Math.ceil(waitMs));
  return {
    "Retry-After": String(Math.max(1, Math.ceil(ms / 1000))),
    "x-sandbox-retry-after-ms": String(ms),
  };
}

export function tooManyRequests(waitMs: number): ApiError {
  return apiError("TooManyRequestsException", "Too Many Requests", retryAfterHeaders(waitMs));
}
