import { APIGatewayClient, CreateUsagePlanCommand, GetUsagePlansCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, startTestSandbox, stopTestSandbox, type TestSandbox } from "./helpers.js";

let t: TestSandbox;
beforeAll(async () => {
  t = await startTestSandbox({ region: "eu-west-1" });
});
afterAll(() => stopTestSandbox(t));

describe("a region per signature", () => {
  it("serves a client signed for another region that region's own account, and refuses a region name AWS does not have", async () => {
    expect((await t.client.send(new GetUsagePlansCommand({}))).items).toEqual([]);
    const other = new APIGatewayClient({
      endpoint: t.sb.apigatewayEndpoint,
      region: "us-east-1",
      credentials: t.sb.credentials,
      maxAttempts: 1,
    });
    const made = await other.send(new CreateUsagePlanCommand({ name: "in-us-east-1" }));
    expect((await other.send(new GetUsagePlansCommand({}))).items?.map((p) => p.id)).toEqual([made.id]);
    expect((await t.client.send(new GetUsagePlansCommand({}))).items).toEqual([]);
    other.destroy();
    const nowhere = new APIGatewayClient({
      endpoint: t.sb.apigatewayEndpoint,
      region: "nowhere",
      credentials: t.sb.credentials,
      maxAttempts: 1,
    });
    await expectApiError(
      nowhere.send(new GetUsagePlansCommand({})),
      403,
      "InvalidSignatureException",
      /Credential should be scoped to a valid region, not 'nowhere'/,
    );
    nowhere.destroy();
  });
});

describe("a sandbox told to serve only some regions", () => {
  it("refuses a request signed for another region as a regional endpoint does, until told to serve every region again", async () => {
    await t.sb.admin.setRegions(["eu-west-1"]);
    const other = new APIGatewayClient({
      endpoint: t.sb.apigatewayEndpoint,
      region: "us-west-2",
      credentials: t.sb.credentials,
      maxAttempts: 1,
    });
    try {
      expect((await t.sb.admin.status()).servedRegions).toEqual(["eu-west-1"]);
      await expectApiError(
        other.send(new GetUsagePlansCommand({})),
        403,
        "InvalidSignatureException",
        "Credential should be scoped to a valid region, not 'us-west-2'. This sandbox serves eu-west-1.",
      );
      expect((await t.client.send(new GetUsagePlansCommand({}))).$metadata.httpStatusCode).toBe(200);
      await expect(t.sb.admin.setRegions(["mars"])).rejects.toThrow(/not a region name/);
    } finally {
      await t.sb.admin.setRegions(null);
    }
    expect((await other.send(new GetUsagePlansCommand({}))).items).toEqual([]);
    expect((await t.sb.admin.status()).servedRegions).toBeUndefined();
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
