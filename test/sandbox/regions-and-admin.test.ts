import { APIGatewayClient, GetUsagePlansCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, startTestSandbox, stopTestSandbox, type TestSandbox } from "./helpers.js";

let t: TestSandbox;
beforeAll(async () => {
  t = await startTestSandbox({ region: "eu-west-1" });
});
afterAll(() => stopTestSandbox(t));

describe("one region per sandbox", () => {
  it("answers a client of its own region and refuses one signed for another region with 403", async () => {
    expect((await t.client.send(new GetUsagePlansCommand({}))).items).toEqual([]);
    const other = new APIGatewayClient({
      endpoint: t.sb.apigatewayEndpoint,
      region: "us-east-1",
      credentials: t.sb.credentials,
      maxAttempts: 1,
    });
    await expectApiError(
      other.send(new GetUsagePlansCommand({})),
      403,
      "InvalidSignatureException",
      /Credential should be scoped to a valid region, not 'us-east-1'/,
    );
    other.destroy();
  });
});

describe("admin input", () => {
  it("refuses an injected error code that cannot be sent as a header, and keeps serving", async () => {
    const res = await fetch(`${t.sb.apigatewayEndpoint}/_sandbox/faults`, {
      method: "PUT",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        failOperation: { operation: "GetUsagePlans", status: 500, code: "Bad\u2192Code" },
      }),
    });
    expect(res.status).toBe(400);
    expect((await t.client.send(new GetUsagePlansCommand({}))).$metadata.httpStatusCode).toBe(200);
  });
});
