import { APIGatewayServiceException } from "@aws-sdk/client-api-gateway";
import { describe, expect, it } from "vitest";
import {
  type AwsErrorContext,
  apiGatewayHttpVerb,
  describeAwsError,
  isThrottlingError,
  serviceEndpoint,
} from "../../src/aws/errors.js";
import { UserError } from "../../src/errors.js";

const ctx: AwsErrorContext = {
  service: "API Gateway",
  action: "UpdateUsagePlan",
  endpoint: "https://apigateway.eu-west-1.amazonaws.com",
  region: "eu-west-1",
  profile: "prod",
  resource: "usage plan ab12cd",
};

function serviceError(name: string, message: string, status = 400): APIGatewayServiceException {
  return new APIGatewayServiceException({
    name,
    message,
    $fault: "client",
    $metadata: { httpStatusCode: status },
  });
}

describe("describeAwsError", () => {
  it("names the endpoint and the API Gateway variable for connection failures", () => {
    const err = describeAwsError(Object.assign(new Error("connect"), { code: "ECONNREFUSED" }), ctx);
    expect(err.message).toBe(
      "Cannot reach API Gateway at https://apigateway.eu-west-1.amazonaws.com (ECONNREFUSED).",
    );
    expect(err.hint).toMatch(/AWS_ENDPOINT_URL_API_GATEWAY \/ --region.*upg sandbox/);
    const timeout = describeAwsError(Object.assign(new Error("t"), { name: "TimeoutError" }), ctx);
    expect(timeout.message).toMatch(/\(TimeoutError\)\.$/);
  });

  it("explains missing and rejected credentials", () => {
    const missing = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    expect(describeAwsError(missing, ctx).message).toBe(
      "No AWS credentials found for API Gateway in eu-west-1 (profile prod).",
    );
    expect(
      describeAwsError(serviceError("UnrecognizedClientException", "bad token", 403), ctx).message,
    ).toMatch(
      /^AWS rejected the credentials used for API Gateway in eu-west-1 \(profile prod\) \(UnrecognizedClientException: bad token\)\.$/,
    );
  });

  it("names the apigateway HTTP verb for access denied and unauthorized", () => {
    for (const name of ["AccessDeniedException", "UnauthorizedException"]) {
      const e = describeAwsError(
        serviceError(name, "User: arn:aws:iam::1:user/ci is not authorized", 403),
        ctx,
      );
      expect(e.message).toBe(
        "Access denied: apigateway:PATCH (UpdateUsagePlan) on usage plan ab12cd is not allowed for the credentials in use.",
      );
      expect(e.hint).toMatch(/^Grant apigateway:PATCH .*IAM section of the README.*user\/ci/);
    }
  });

  it("reports throttling that outlived the retries, and account limits apart from it", () => {
    const t = describeAwsError(serviceError("TooManyRequestsException", "Too Many Requests", 429), ctx);
    expect(t.message).toBe(
      "API Gateway throttled UpdateUsagePlan on usage plan ab12cd (TooManyRequestsException).",
    );
    expect(t.hint).toMatch(/one UpdateUsagePlan every 20 s/);
    expect(t.hint).toContain("`pacing.headroom`");
    const limit = describeAwsError(serviceError("LimitExceededException", "plans", 429), {
      ...ctx,
      action: "CreateUsagePlan",
    });
    expect(limit.message).toBe(
      "API Gateway refused CreateUsagePlan on usage plan ab12cd: LimitExceededException: plans",
    );
    expect(limit.hint).toMatch(/300 usage plans/);
  });

  it("falls back to service, action, code and message, keeping the cause and passing UserErrors through", () => {
    const bad = serviceError("BadRequestException", "Invalid patch path");
    const e = describeAwsError(bad, { ...ctx, resource: undefined });
    expect(e).toBeInstanceOf(UserError);
    expect(e.message).toBe(
      "API Gateway UpdateUsagePlan failed at https://apigateway.eu-west-1.amazonaws.com: BadRequestException: Invalid patch path",
    );
    expect(e.cause).toBe(bad);
    const user = new UserError("clear already");
    expect(describeAwsError(user, ctx)).toBe(user);
  });
});

describe("helpers", () => {
  it("maps operations to API Gateway's IAM verbs", () => {
    expect(
      [
        "GetUsagePlans",
        "CreateUsagePlanKey",
        "UpdateUsagePlan",
        "DeleteUsagePlan",
        "TagResource",
        "UntagResource",
      ].map(apiGatewayHttpVerb),
    ).toEqual(["GET", "POST", "PATCH", "DELETE", "PUT", "DELETE"]);
  });

  it("classifies throttling per service", () => {
    expect(isThrottlingError(serviceError("TooManyRequestsException", "x", 429), "API Gateway")).toBe(true);
    expect(isThrottlingError(serviceError("Whatever", "x", 429), "API Gateway")).toBe(true);
    expect(isThrottlingError(serviceError("LimitExceededException", "x", 429), "API Gateway")).toBe(false);
    expect(isThrottlingError(serviceError("LimitExceededException", "x", 400), "DynamoDB")).toBe(true);
  });

  it("resolves the endpoint from the target, the service variable, the global variable, the default", () => {
    const t = { region: "eu-west-1" };
    expect(serviceEndpoint("API Gateway", { ...t, endpoint: "http://x" }, {})).toBe("http://x");
    expect(
      serviceEndpoint("API Gateway", t, {
        AWS_ENDPOINT_URL_API_GATEWAY: "http://a",
        AWS_ENDPOINT_URL: "http://g",
      }),
    ).toBe("http://a");
    expect(serviceEndpoint("DynamoDB", t, { AWS_ENDPOINT_URL: "http://g" })).toBe("http://g");
    expect(serviceEndpoint("API Gateway", t, {})).toBe("https://apigateway.eu-west-1.amazonaws.com");
  });
});
