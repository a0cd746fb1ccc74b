import { mkdtemp, rm } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  ListTablesCommand,
  PutItemCommand,
  waitUntilTableExists,
} from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";

function dynamoClient(sb: Sandbox): DynamoDBClient {
  return new DynamoDBClient({
    endpoint: sb.dynamodbEndpoint,
    region: sb.region,
    credentials: sb.credentials,
  });
}

const table = (TableName: string) =>
  new CreateTableCommand({
    TableName,
    BillingMode: "PAY_PER_REQUEST",
    AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
    KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
  });

/** Create a table and wait until it is ACTIVE (dynalite creates tables asynchronously, as DynamoDB does). */
async function createActive(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(table(name));
  await waitUntilTableExists({ client, maxWaitTime: 30, minDelay: 1, maxDelay: 1 }, { TableName: name });
}

/** A port that was free a moment ago (with the next one free too). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const address = s.address();
        s.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const nextFree = await new Promise<boolean>((resolve) => {
      const s = createServer()
        .once("error", () => resolve(false))
        .listen(port + 1, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (nextFree && port < 65535) return port;
  }
}

describe("dynalite in the same process", () => {
  let sb: Sandbox;
  let client: DynamoDBClient;

  beforeAll(async () => {
    sb = await startSandbox({ throttling: false });
    client = dynamoClient(sb);
  });
  afterAll(async () => {
    client.destroy();
    await sb.stop();
  });

  it("is reachable with @aws-sdk/client-dynamodb: create a table, put and get an item", async () => {
    expect(sb.dynamodbEndpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    await createActive(client, "items");
    await client.send(new PutItemCommand({ TableName: "items", Item: { pk: { S: "a" }, n: { N: "42" } } }));
    const got = await client.send(new GetItemCommand({ TableName: "items", Key: { pk: { S: "a" } } }));
    expect(got.Item).toEqual({ pk: { S: "a" }, n: { N: "42" } });
  });

  it("works with the lib-dynamodb document client, including conditional writes", async () => {
    const doc = DynamoDBDocumentClient.from(client);
    await createActive(client, "docs");
    await doc.send(new PutCommand({ TableName: "docs", Item: { pk: "x", version: 1 } }));
    await expect(
      doc.send(
        new PutCommand({
          TableName: "docs",
          Item: { pk: "x", version: 2 },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      ),
    ).rejects.toMatchObject({ name: "ConditionalCheckFailedException" });
    expect((await doc.send(new GetCommand({ TableName: "docs", Key: { pk: "x" } }))).Item).toEqual({
      pk: "x",
      version: 1,
    });
  });

  it("env() gives the seven variables", () => {
    expect(sb.env()).toEqual({
      AWS_ENDPOINT_URL_API_GATEWAY: sb.apigatewayEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB: sb.dynamodbEndpoint,
      AWS_ENDPOINT_URL_SNS: `${sb.apigatewayEndpoint}/sns`,
      AWS_ENDPOINT_URL_STS: `${sb.apigatewayEndpoint}/sts`,
      AWS_REGION: "us-east-1",
      AWS_ACCESS_KEY_ID: "sandbox",
      AWS_SECRET_ACCESS_KEY: "sandbox",
    });
  });
});

describe("ports and persistence", () => {
  it("puts DynamoDB on port+1 when a port is given", async () => {
    const port = await freePortPair();
    const sb = await startSandbox({ port, throttling: false });
    try {
      expect(sb.apigatewayEndpoint).toBe(`http://127.0.0.1:${port}`);
      expect(sb.dynamodbEndpoint).toBe(`http://127.0.0.1:${port + 1}`);
    } finally {
      await sb.stop();
    }
  });

  it("fails cleanly when the port is taken, and releases what it opened", async () => {
    const sb = await startSandbox({ dynamo: false });
    const port = Number(new URL(sb.apigatewayEndpoint).port);
    try {
      await expect(startSandbox({ port, dynamo: false })).rejects.toThrow(/EADDRINUSE/);
    } finally {
      await sb.stop();
    }
  });

  it("keeps tables in --data DIR across restarts", async () => {
    const dir = await mkdtemp(join(tmpdir(), "upg-sandbox-"));
    try {
      const first = await startSandbox({ dataDir: dir, throttling: false });
      const c1 = dynamoClient(first);
      await createActive(c1, "kept");
      await c1.send(new PutItemCommand({ TableName: "kept", Item: { pk: { S: "p" } } }));
      c1.destroy();
      await first.stop();
      const second = await startSandbox({ dataDir: dir, throttling: false });
      const c2 = dynamoClient(second);
      try {
        expect((await c2.send(new ListTablesCommand({}))).TableNames).toEqual(["kept"]);
        expect(
          (await c2.send(new GetItemCommand({ TableName: "kept", Key: { pk: { S: "p" } } }))).Item,
        ).toBeDefined();
      } finally {
        c2.destroy();
        await second.stop();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
