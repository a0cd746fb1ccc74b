import { describe, expect, it } from "vitest";
import { type AwsErrorContext, describeAwsError, formatSeconds, retryKind } from "../../src/aws/errors.js";

const ctx: AwsErrorContext = {
  service: "DynamoDB",
  action: "GetItem",
  endpoint: "https://dynamodb.eu-west-1.amazonaws.com",
  region: "us-east-1",
  resource: "table usage-plans-metadata",
  timeouts: { connectMs: 3000, requestMs: 10_000 },
};

describe("timeouts", () => {
  it("a connect timeout says the endpoint did not accept a connection, and which setting raises it", () => {
    const err = Object.assign(
      new Error(
        "@smithy/node-http-handler - the request socket did not establish a connection with the server within the configured timeout of 3000 ms.",
      ),
      { name: "TimeoutError" },
    );
    const e = describeAwsError(err, ctx);
    expect(e.message).toBe(
      "DynamoDB at https://dynamodb.eu-west-1.amazonaws.com did not accept a connection within 3 s (GetItem on table usage-plans-metadata).",
    );
    expect(e.hint).toContain("timeouts.connect");
  });

  it("a request timeout without known timeouts takes the number from the handler's message", () => {
    const err = Object.assign(
      new Error(
        "@smithy/node-http-handler - [ERROR] a request has exceeded the configured 2500 ms requestTimeout.",
      ),
      { name: "TimeoutError", code: "ETIMEDOUT", $metadata: { attempts: 1 } },
    );
    const { timeouts: _t, ...noTimeouts } = ctx;
    expect(describeAwsError(err, noTimeouts).message).toBe(
      "DynamoDB at https://dynamodb.eu-west-1.amazonaws.com did not answer GetItem on table usage-plans-metadata within 2.5 s.",
    );
  });

  it("formats milliseconds as seconds", () => {
    expect([formatSeconds(10_000), formatSeconds(1500), formatSeconds(250)]).toEqual(["10", "1.5", "0.25"]);
  });
});

describe("a request signed for the wrong region", () => {
  it("names the region the request was signed for and where upg takes it from (AWS's wording without the region)", () => {
    const err = Object.assign(new Error("Credential should be scoped to a valid region."), {
      name: "InvalidSignatureException",
      $metadata: { httpStatusCode: 400 },
    });
    const e = describeAwsError(err, ctx);
    expect(e.message).toBe(
      "DynamoDB at https://dynamodb.eu-west-1.amazonaws.com refused GetItem: the request was signed for region us-east-1, which is not the region of that endpoint.",
    );
    expect(e.hint).toMatch(/--region.*AWS_REGION.*`regions:` in upg\.config\.yaml/);
    expect(e.hint).not.toMatch(/refresh|sso login/i);
  });

  it("takes the signed region from AWS's message when it says it (STS's SignatureDoesNotMatch too)", () => {
    const err = Object.assign(
      new Error("Credential should be scoped to a valid region, not 'eu-central-1'. "),
      {
        name: "SignatureDoesNotMatch",
      },
    );
    expect(describeAwsError(err, { ...ctx, service: "API Gateway" }).message).toContain(
      "signed for region eu-central-1",
    );
  });

  it("other signature problems are still rejected credentials", () => {
    const err = Object.assign(new Error("The request signature we calculated does not match"), {
      name: "InvalidSignatureException",
    });
    expect(describeAwsError(err, ctx).message).toMatch(/^AWS rejected the credentials/);
  });
});

describe("replies that are not AWS replies", () => {
  it("a 200 with an HTML body (a captive portal) is reported with its status too", () => {
    const err = Object.assign(new SyntaxError("Unexpected token '<'\n  Deserialization error: ..."), {
      $metadata: { httpStatusCode: 200 },
      $response: { statusCode: 200, headers: { "content-type": "text/html" } },
    });
    const e = describeAwsError(err, ctx);
    expect(e.message).toBe(
      "DynamoDB GetItem on table usage-plans-metadata failed at https://dynamodb.eu-west-1.amazonaws.com: the endpoint answered HTTP 200 with a text/html page, not an AWS reply.",
    );
    expect(e.hint).not.toContain("passing outage");
  });
});

describe("retryKind", () => {
  const withStatus = (name: string, status: number) =>
    Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });

  it("sorts failed attempts into throttled, timed out, transient, or not worth another", () => {
    expect(retryKind(withStatus("TooManyRequestsException", 429), "API Gateway")).toBe("throttled");
    expect(retryKind(withStatus("LimitExceededException", 429), "API Gateway")).toBeUndefined();
    expect(
      retryKind(Object.assign(new Error("t"), { name: "TimeoutError", code: "ETIMEDOUT" }), "API Gateway"),
    ).toBe("timeout");
    expect(retryKind(withStatus("InternalFailure", 500), "API Gateway")).toBe("transient");
    expect(retryKind(withStatus("ServiceUnavailableException", 503), "API Gateway")).toBe("transient");
    const html = Object.assign(new Error("Deserialization error"), { $response: { statusCode: 502 } });
    expect(retryKind(html, "API Gateway")).toBe("transient");
    expect(retryKind(Object.assign(new Error("socket hang up"), { code: "ECONNRESET" }), "API Gateway")).toBe(
      "transient",
    );
    expect(
      retryKind(Object.assign(new Error("refused"), { code: "ECONNREFUSED" }), "API Gateway"),
    ).toBeUndefined();
    expect(retryKind(withStatus("BadRequestException", 400), "API Gateway")).toBeUndefined();
    expect(retryKind(withStatus("NotFoundException", 404), "API Gateway")).toBeUndefined();
  });
});
