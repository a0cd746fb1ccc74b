// Turns what the DynamoDB SDK throws into errors a user can act on: a thin layer over
// src/aws/errors.ts that adds the one DynamoDB-specific case (a missing table).

import type { Timeouts } from "../aws/client-config.js";
import { awsErrorName, describeAwsError } from "../aws/errors.js";
import { UserError } from "../errors.js";

export interface DynamoErrorContext {
  /** The DynamoDB action that failed, e.g. "PutItem". */
  action: string;
  table?: string;
  /** The endpoint the client talks to (explicit, from the environment, or the regional default). */
  endpoint: string;
  region: string;
  profile?: string;
  /** The client's per-attempt timeouts, for "did not answer within N s". */
  timeouts?: Timeouts;
}

/** The SDK's error name (service exceptions) or undefined. */
export const dynamoErrorName = awsErrorName;

/** Maps any error from a DynamoDB call to a UserError that says what happened and what to do. */
export function describeDynamoError(err: unknown, ctx: DynamoErrorContext): UserError {
  if (!(err instanceof UserError) && dynamoErrorName(err) === "ResourceNotFoundException") {
    return new UserError(`Table ${ctx.table ?? "(unknown)"} does not exist.`, {
      hint: "Run `upg init` first.",
      cause: err,
    });
  }
  const { table, ...where } = ctx;
  return describeAwsError(err, {
    ...where,
    service: "DynamoDB",
    ...(table === undefined ? {} : { resource: `table ${table}` }),
  });
}
