import { DynamoDBServiceException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { type DynamoErrorContext, describeDynamoError } from "../../src/store/index.js";
import { closedPort, storeAt } from "./helpers.js";

const ctx: DynamoErrorContext = {
  action: "PutItem",
  table: "usage-plans-metadata",
  endpoint: "https://dynamodb.eu-west-1.amazonaws.com",
  region: "eu-west-1",
  profile: "prod",
};

function serviceError(name: string, message: string): DynamoDBServiceException {
  return new DynamoDBServiceException({ name, message, $fault: "client", $metadata: {} });
}

function nodeError(code: string): Error {
  return Object.assign(new Error(`connect ${code} 10.0.0.1:443`), { code });
}

describe("describeDynamoError", () => {
  it("names the endpoint for connection failures, also inside AggregateError", () => {
    const direct = describeDynamoError(nodeError("ENOTFOUND"), ctx);
    expect(direct.message).toBe(
      "Cannot reach DynamoDB at https://dynamodb.eu-west-1.amazonaws.com (ENOTFOUND).",
    );
    expect(direct.hint).toMatch(/AWS_ENDPOINT_URL_DYNAMODB \/ --region.*upg sandbox/);
    const aggregate = describeDynamoError(new AggregateError([nodeError("ECONNREFUSED")]), ctx);
    expect(aggregate.message).toMatch(/\(ECONNREFUSED\)\.$/);
  });

  it("explains missing and rejected credentials", () => {
    const missing = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    const m = describeDynamoError(missing, ctx);
    expect(m.message).toBe("No AWS credentials found for DynamoDB in eu-west-1 (profile prod).");
    expect(m.hint).toMatch(/AWS_PROFILE or pass --profile/);

    const rejected = describeDynamoError(
      serviceError("ExpiredTokenException", "The security token expired"),
      ctx,
    );
    expect(rejected.message).toMatch(/AWS rejected the credentials .*ExpiredTokenException/);
  });

  it("says which action was denied and points to the IAM section", () => {
    const e = describeDynamoError(
      serviceError(
        "AccessDeniedException",
        "User: arn:aws:iam::1:user/ci is not authorized to perform: dynamodb:PutItem",
      ),
      ctx,
    );
    expect(e.message).toBe(
      "Access denied: dynamodb:PutItem on table usage-plans-metadata is not allowed for the credentials in use.",
    );
    expect(e.hint).toMatch(/IAM section of the README.*arn:aws:iam::1:user\/ci/);
  });

  it("maps a missing table, throttling and anything else, keeping the cause", () => {
    const missing = serviceError("ResourceNotFoundException", "Requested resource not found");
    expect(describeDynamoError(missing, ctx)).toMatchObject({
      message: "Table usage-plans-metadata does not exist.",
      hint: "Run `upg init` first.",
      cause: missing,
    });
    expect(describeDynamoError(serviceError("ThrottlingException", "slow down"), ctx).message).toBe(
      "DynamoDB throttled PutItem on table usage-plans-metadata (ThrottlingException).",
    );
    expect(describeDynamoError(serviceError("ValidationException", "bad"), ctx).message).toBe(
      "DynamoDB PutItem on table usage-plans-metadata failed at https://dynamodb.eu-west-1.amazonaws.com: ValidationException: bad",
    );
    const user = new UserError("already clear");
    expect(describeDynamoError(user, ctx)).toBe(user);
  });

  it("turns a real refused connection into the clear UserError", async () => {
    const endpoint = `http://127.0.0.1:${await closedPort()}`;
    const store = storeAt(endpoint);
    try {
      const err = await store.listRecords().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toBe(`Cannot reach DynamoDB at ${endpoint} (ECONNREFUSED).`);
    } finally {
      store.destroy();
    }
  });
});
