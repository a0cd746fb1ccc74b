// The sandbox's IAM evaluation: the rules (explicit Deny wins, no match is a deny, wildcards), the policies it
// refuses to half-evaluate, and the AccessDeniedException each service answers, as the real SDK clients see it.

import {
  APIGatewayClient,
  CreateUsagePlanCommand,
  DeleteUsagePlanCommand,
  GetUsagePlansCommand,
} from "@aws-sdk/client-api-gateway";
import { CreateTableCommand, DynamoDBClient, GetItemCommand, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runSandbox } from "../../src/cli/commands/sandbox.js";
import { evaluatePolicy, loadIamPolicyFile, parseIamPolicy } from "../../src/sandbox/iam.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { tmpTree } from "../helpers/tmp.js";

const policy = (...Statement: unknown[]) => parseIamPolicy({ Version: "2012-10-17", Statement });

describe("evaluatePolicy", () => {
  const p = policy(
    { Effect: "Allow", Action: ["apigateway:GET", "dynamodb:Get*"], Resource: "*" },
    { Effect: "Allow", Action: "apigateway:DELETE", Resource: "arn:aws:apigateway:us-east-1::/usageplans/*" },
    {
      Effect: "Deny",
      Action: "apigateway:DELETE",
      Resource: "arn:aws:apigateway:us-east-1::/usageplans/keep?",
    },
  );

  it("allows a matching Allow; wildcards match across slashes; actions ignore case", () => {
    expect(evaluatePolicy(p, "apigateway:GET", "arn:aws:apigateway:us-east-1::/usageplans")).toBe("allow");
    expect(evaluatePolicy(p, "DynamoDB:GetItem", "arn:aws:dynamodb:us-east-1:1:table/t")).toBe("allow");
    expect(evaluatePolicy(p, "apigateway:DELETE", "arn:aws:apigateway:us-east-1::/usageplans/a/keys/b")).toBe(
      "allow",
    );
  });

  it("an explicit Deny wins over an Allow; no matching statement is a deny", () => {
    expect(evaluatePolicy(p, "apigateway:DELETE", "arn:aws:apigateway:us-east-1::/usageplans/keep1")).toBe(
      "explicit-deny",
    );
    expect(evaluatePolicy(p, "apigateway:PATCH", "arn:aws:apigateway:us-east-1::/usageplans/a")).toBe(
      "implicit-deny",
    );
    expect(evaluatePolicy(p, "apigateway:DELETE", "arn:aws:apigateway:eu-west-1::/usageplans/a")).toBe(
      "implicit-deny",
    );
    expect(evaluatePolicy(p, "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:1:table/t")).toBe(
      "implicit-deny",
    );
  });

  it("refuses what it cannot evaluate faithfully", () => {
    expect(() => parseIamPolicy({})).toThrow(/no Statement/);
    expect(() => policy({ Effect: "Allow", Action: "*", Resource: "*", Condition: {} })).toThrow(
      /Condition is not supported/,
    );
    expect(() => policy({ Effect: "Allow", NotAction: "s3:*", Resource: "*" })).toThrow(/NotAction/);
    expect(() => policy({ Effect: "Maybe", Action: "*", Resource: "*" })).toThrow(/Effect/);
    expect(() => policy({ Effect: "Allow", Action: [], Resource: "*" })).toThrow(/Action/);
  });

  it("a policy file that is not JSON is a clear error naming the file", () => {
    const t = tmpTree({ "bad.json": "{ not json" });
    try {
      expect(() => loadIamPolicyFile(t.path("bad.json"))).toThrow(`IAM policy file ${t.path("bad.json")}`);
    } finally {
      t.cleanup();
    }
  });
});

describe("the sandbox under a policy", () => {
  let sb: Sandbox;
  let apigw: APIGatewayClient;
  let ddb: DynamoDBClient;
  beforeAll(async () => {
    sb = await startSandbox({
      throttling: false,
      iamPolicy: { Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] },
    });
    const common = { region: sb.region, credentials: sb.credentials, maxAttempts: 1 };
    apigw = new APIGatewayClient({ ...common, endpoint: sb.apigatewayEndpoint });
    ddb = new DynamoDBClient({ ...common, endpoint: sb.dynamodbEndpoint! });
    await ddb.send(
      new CreateTableCommand({
        TableName: "records",
        KeySchema: [{ AttributeName: "plan_id", KeyType: "HASH" }],
        AttributeDefinitions: [{ AttributeName: "plan_id", AttributeType: "S" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    sb.setIamPolicy({
      Statement: [
        { Effect: "Allow", Action: "apigateway:GET", Resource: "arn:aws:apigateway:us-east-1::/usageplans" },
        {
          Effect: "Allow",
          Action: "dynamodb:GetItem",
          Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/records",
        },
      ],
    });
  });
  afterAll(async () => {
    apigw?.destroy();
    ddb?.destroy();
    await sb?.stop();
  });

  it("API Gateway: an allowed call works; a refused one is 403 AccessDeniedException with AWS's message", async () => {
    expect((await apigw.send(new GetUsagePlansCommand({}))).items).toEqual([]);
    const err = await apigw.send(new DeleteUsagePlanCommand({ usagePlanId: "abc" })).catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 403 },
      message:
        "User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: apigateway:DELETE on resource: " +
        "arn:aws:apigateway:us-east-1::/usageplans/abc because no identity-based policy allows the apigateway:DELETE action",
    });
    const create = await apigw.send(new CreateUsagePlanCommand({ name: "x" })).catch((e: unknown) => e);
    expect(create).toMatchObject({ name: "AccessDeniedException" });
    expect((await apigw.send(new GetUsagePlansCommand({}))).items).toEqual([]); // nothing was created
  });

  it("API Gateway: the raw answer carries x-amzn-ErrorType and a {message} body", async () => {
    const res = await fetch(`${sb.apigatewayEndpoint}/usageplans/abc`, { method: "DELETE" });
    expect(res.status).toBe(403);
    expect(res.headers.get("x-amzn-errortype")).toBe("AccessDeniedException");
    expect(Object.keys((await res.json()) as object)).toEqual(["message"]);
  });

  it("DynamoDB: 400 com.amazon.coral.service#AccessDeniedException naming the action and the table", async () => {
    const key = { plan_id: { S: "p" } };
    expect((await ddb.send(new GetItemCommand({ TableName: "records", Key: key }))).Item).toBeUndefined();
    const err = await ddb
      .send(new PutItemCommand({ TableName: "records", Item: key }))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({
      name: "AccessDeniedException",
      $metadata: { httpStatusCode: 400 },
      message:
        "User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: dynamodb:PutItem on resource: " +
        "arn:aws:dynamodb:us-east-1:123456789012:table/records because no identity-based policy allows the dynamodb:PutItem action",
    });
    const raw = await fetch(sb.dynamodbEndpoint!, {
      method: "POST",
      headers: { "x-amz-target": "DynamoDB_20120810.PutItem", "content-type": "application/x-amz-json-1.0" },
      body: JSON.stringify({ TableName: "records", Item: key }),
    });
    expect(raw.status).toBe(400);
    expect(((await raw.json()) as { __type: string }).__type).toBe(
      "com.amazon.coral.service#AccessDeniedException",
    );
    // The refused put wrote nothing.
    expect((await ddb.send(new GetItemCommand({ TableName: "records", Key: key }))).Item).toBeUndefined();
  });

  it("a sandbox started without a policy allows everything and cannot be given one later", async () => {
    const open = await startSandbox({ dynamo: false });
    try {
      expect(() => open.setIamPolicy({ Statement: [] })).toThrow(/without an IAM policy/);
    } finally {
      await open.stop();
    }
  });
});

describe("upg sandbox --iam-policy FILE", () => {
  it("loads the file, says so in the banner, and refuses what it does not allow", async () => {
    const t = tmpTree({
      "ro.json": JSON.stringify({
        Statement: [
          { Effect: "Allow", Action: "apigateway:GET", Resource: "arn:aws:apigateway:*::/usageplans" },
        ],
      }),
    });
    let banner = "";
    const statuses: number[] = [];
    try {
      await runSandbox(
        {
          port: 0,
          host: "127.0.0.1",
          region: "us-east-1",
          timeScale: 1,
          throttling: false,
          seed: false,
          iamPolicy: t.path("ro.json"),
        },
        {
          write: (text) => {
            banner += text;
          },
          waitForStop: async () => {
            const endpoint = /API Gateway {2}(\S+)/.exec(banner)?.[1];
            for (const path of ["/usageplans", "/apikeys"])
              statuses.push((await fetch(`${endpoint}${path}`)).status);
          },
        },
      );
    } finally {
      t.cleanup();
    }
    expect(banner).toContain(`IAM policy   ${t.path("ro.json")}`);
    expect(statuses).toEqual([200, 403]);
  });

  it("a missing policy file is a clear error before anything starts", async () => {
    const run = runSandbox(
      {
        port: 0,
        host: "127.0.0.1",
        region: "us-east-1",
        timeScale: 1,
        throttling: false,
        seed: false,
        iamPolicy: "/nonexistent/ro.json",
      },
      { write: () => {}, waitForStop: async () => {} },
    );
    await expect(run).rejects.toThrow("Cannot read the IAM policy file /nonexistent/ro.json");
  });
});
