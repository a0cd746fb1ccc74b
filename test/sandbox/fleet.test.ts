/**
 * One sandbox, many accounts and regions: state, DynamoDB tables, SNS topics and rate limits per account-region
 * (region from the signature, account from the credentials), STS AssumeRole / GetCallerIdentity, and a data
 * directory that keeps every account-region. Everything through the real SDK clients.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  APIGatewayClient,
  CreateUsagePlanCommand,
  GetApiKeysCommand,
  GetRestApiCommand,
  GetRestApisCommand,
  GetUsagePlansCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { CreateTopicCommand, SNSClient } from "@aws-sdk/client-sns";
import {
  AssumeRoleCommand,
  type AssumeRoleCommandInput,
  GetCallerIdentityCommand,
  STSClient,
  STSServiceException,
} from "@aws-sdk/client-sts";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { type Sandbox, type SandboxOptions, STATE_FILE_NAME, startSandbox } from "../../src/sandbox/index.js";
import { expectApiError, rejectionOf } from "./helpers.js";

type Credentials = { accessKeyId: string; secretAccessKey: string; sessionToken?: string };

const opened: Array<{ destroy(): void }> = [];
const sandboxes: Sandbox[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of opened.splice(0)) c.destroy();
  await Promise.all(sandboxes.splice(0).map((sb) => sb.stop()));
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function start(opts: SandboxOptions = {}): Promise<Sandbox> {
  const sb = await startSandbox({ throttling: false, ...opts });
  sandboxes.push(sb);
  return sb;
}

function track<T extends { destroy(): void }>(c: T): T {
  opened.push(c);
  return c;
}

function apigw(sb: Sandbox, region = sb.region, credentials: Credentials = sb.credentials) {
  return track(
    new APIGatewayClient({ endpoint: sb.apigatewayEndpoint, region, credentials, maxAttempts: 1 }),
  );
}

function dynamo(sb: Sandbox, region = sb.region, credentials: Credentials = sb.credentials) {
  return track(new DynamoDBClient({ endpoint: sb.dynamodbEndpoint, region, credentials, maxAttempts: 1 }));
}

function sts(sb: Sandbox, credentials: Credentials = sb.credentials, region = sb.region) {
  return track(new STSClient({ endpoint: sb.sts.endpoint, region, credentials, maxAttempts: 1 }));
}

async function assume(sb: Sandbox, input: Partial<AssumeRoleCommandInput> = {}): Promise<Credentials> {
  const out = await sts(sb).send(
    new AssumeRoleCommand({
      RoleArn: "arn:aws:iam::111111111111:role/upg-deployer",
      RoleSessionName: "fleet-test",
      ...input,
    }),
  );
  const c = out.Credentials;
  if (!c?.AccessKeyId || !c.SecretAccessKey || !c.SessionToken) throw new Error("no credentials");
  return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
}

const planNames = async (c: APIGatewayClient) =>
  ((await c.send(new GetUsagePlansCommand({}))).items ?? []).map((p) => p.name);

async function stsError(p: Promise<unknown>): Promise<STSServiceException> {
  const err = await rejectionOf(p);
  if (!(err instanceof STSServiceException)) throw err;
  return err;
}

describe("state per account-region", () => {
  it("API Gateway clients of two regions see separate usage plans", async () => {
    const sb = await start({ dynamo: false });
    const east = apigw(sb, "us-east-1");
    const west = apigw(sb, "eu-west-1");
    await east.send(new CreateUsagePlanCommand({ name: "east-plan" }));
    await west.send(new CreateUsagePlanCommand({ name: "west-plan" }));
    expect(await planNames(east)).toEqual(["east-plan"]);
    expect(await planNames(west)).toEqual(["west-plan"]);
    const status = await sb.admin.status();
    expect(status.accountRegions).toEqual([
      { accountId: "123456789012", region: "us-east-1" },
      { accountId: "123456789012", region: "eu-west-1" },
    ]);
  });

  it("a new account-region is seeded like the default one (weather-api, three keys), unless told not to", async () => {
    const sb = await start({ dynamo: false, seed: true });
    const west = apigw(sb, "eu-west-1");
    expect((await west.send(new GetRestApisCommand({}))).items?.map((a) => a.name)).toEqual(["weather-api"]);
    expect((await west.send(new GetApiKeysCommand({}))).items?.map((k) => k.name).sort()).toEqual([
      "acme-dashboard",
      "globex-mobile",
      "initech-batch",
    ]);
    const bare = await start({ dynamo: false, seed: true, seedAccountRegions: false });
    expect((await apigw(bare, "eu-west-1").send(new GetRestApisCommand({}))).items).toEqual([]);
    expect((await apigw(bare).send(new GetRestApisCommand({}))).items?.map((a) => a.name)).toEqual([
      "weather-api",
    ]);
  });

  it("an assumed-role client of account 111111111111 sees its own plans, and ARNs carry its account and region", async () => {
    const sb = await start({ dynamo: false, seed: true });
    const creds = await assume(sb);
    const other = apigw(sb, "eu-west-1", creds);
    await other.send(new CreateUsagePlanCommand({ name: "account-111" }));
    expect(await planNames(other)).toEqual(["account-111"]);
    expect(await planNames(apigw(sb, "eu-west-1"))).toEqual([]);
    expect(await planNames(apigw(sb))).toEqual([]);
    // The account is in the ARNs and messages the sandbox hands out.
    await expectApiError(
      other.send(new GetRestApiCommand({ restApiId: "nope" })),
      404,
      "NotFoundException",
      "Invalid API identifier specified 111111111111:nope",
    );
    const sns = track(
      new SNSClient({ endpoint: sb.sns.endpoint, region: "eu-west-1", credentials: creds, maxAttempts: 1 }),
    );
    const topic = await sns.send(new CreateTopicCommand({ Name: "fleet-alerts" }));
    expect(topic.TopicArn).toBe("arn:aws:sns:eu-west-1:111111111111:fleet-alerts");
    const counters = await sb.admin.at({ account: "111111111111", region: "eu-west-1" }).counters();
    expect(counters).toEqual({
      CreateUsagePlan: 1,
      GetUsagePlans: 1,
      GetRestApi: 1,
      total: 3,
    });
  });

  it("admin endpoints address another account-region with ?account=&region=, and refuse a bad one", async () => {
    const sb = await start({ dynamo: false });
    const admin = sb.admin.at({ account: "222222222222", region: "ap-southeast-2" });
    const seeded = await admin.seed();
    const client = apigw(
      sb,
      "ap-southeast-2",
      await assume(sb, { RoleArn: "arn:aws:iam::222222222222:role/x" }),
    );
    expect((await client.send(new GetRestApisCommand({}))).items?.map((a) => a.id)).toEqual([
      seeded.restApiId,
    ]);
    expect((await admin.status()).accountId).toBe("222222222222");
    expect((await admin.identity()).arn).toBe("arn:aws:iam::222222222222:user/sandbox");
    await admin.reset();
    expect((await client.send(new GetRestApisCommand({}))).items).toEqual([]);
    await expect(sb.admin.at({ account: "12" }).status()).rejects.toThrow(/Invalid account: '12'/);
    await expect(sb.admin.at({ region: "../x" }).status()).rejects.toThrow(/Invalid region/);
  });

  it("throttle buckets are per account-region: one region's exhausted limit does not slow another", async () => {
    const sb = await start({ dynamo: false, throttling: true });
    const east = apigw(sb, "us-east-1");
    const west = apigw(sb, "eu-west-1");
    const idEast = (await east.send(new CreateUsagePlanCommand({ name: "e" }))).id;
    const idWest = (await west.send(new CreateUsagePlanCommand({ name: "w" }))).id;
    const patch = (v: string) => [{ op: "replace" as const, path: "/description", value: v }];
    await east.send(new UpdateUsagePlanCommand({ usagePlanId: idEast, patchOperations: patch("1") }));
    // UpdateUsagePlan: one every 20 s per account-region.
    await expectApiError(
      east.send(new UpdateUsagePlanCommand({ usagePlanId: idEast, patchOperations: patch("2") })),
      429,
      "TooManyRequestsException",
    );
    const ok = await west.send(
      new UpdateUsagePlanCommand({ usagePlanId: idWest, patchOperations: patch("1") }),
    );
    expect(ok.description).toBe("1");
    const assumed = apigw(sb, "us-east-1", await assume(sb));
    const idOther = (await assumed.send(new CreateUsagePlanCommand({ name: "o" }))).id;
    const other = await assumed.send(
      new UpdateUsagePlanCommand({ usagePlanId: idOther, patchOperations: patch("1") }),
    );
    expect(other.description).toBe("1");
  });
});

describe("DynamoDB per account-region", () => {
  it("each region (and account) has its own tables, so two regions can each have usage-plans-metadata", async () => {
    const sb = await start();
    const table = {
      TableName: "usage-plans-metadata",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" as const }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" as const }],
      BillingMode: "PAY_PER_REQUEST" as const,
    };
    const east = dynamo(sb, "us-east-1");
    const west = dynamo(sb, "eu-west-1");
    await east.send(new CreateTableCommand(table));
    expect((await west.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    await west.send(new CreateTableCommand(table));
    await west.send(new CreateTableCommand({ ...table, TableName: "west-only" }));
    expect((await east.send(new ListTablesCommand({}))).TableNames).toEqual(["usage-plans-metadata"]);
    expect((await west.send(new ListTablesCommand({}))).TableNames).toEqual([
      "usage-plans-metadata",
      "west-only",
    ]);
    const assumed = dynamo(sb, "us-east-1", await assume(sb));
    expect((await assumed.send(new ListTablesCommand({}))).TableNames).toEqual([]);
  });
});

describe("the IAM policy per account-region", () => {
  it("checks each call against the ARNs of the account-region it addresses", async () => {
    const sb = await start({
      iamPolicy: {
        Statement: [
          { Effect: "Allow", Action: "apigateway:*", Resource: "arn:aws:apigateway:us-east-1::*" },
          {
            Effect: "Allow",
            Action: "dynamodb:*",
            Resource: "arn:aws:dynamodb:us-east-1:123456789012:table/*",
          },
        ],
      },
    });
    expect(await planNames(apigw(sb))).toEqual([]);
    await expectApiError(
      apigw(sb, "eu-west-1").send(new GetUsagePlansCommand({})),
      403,
      "AccessDeniedException",
      /on resource: arn:aws:apigateway:eu-west-1::\/usageplans /,
    );
    const table = {
      TableName: "records",
      AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" as const }],
      KeySchema: [{ AttributeName: "pk", KeyType: "HASH" as const }],
      BillingMode: "PAY_PER_REQUEST" as const,
    };
    await dynamo(sb).send(new CreateTableCommand(table));
    const err = await rejectionOf(dynamo(sb, "eu-west-1").send(new CreateTableCommand(table)));
    expect((err as Error).name).toBe("AccessDeniedException");
    expect((err as Error).message).toContain(
      "on resource: arn:aws:dynamodb:eu-west-1:123456789012:table/records ",
    );
    const assumed = await rejectionOf(
      dynamo(sb, "us-east-1", await assume(sb)).send(new CreateTableCommand(table)),
    );
    expect((assumed as Error).message).toContain("arn:aws:dynamodb:us-east-1:111111111111:table/records ");
  });
});

describe("STS", () => {
  it("AssumeRole hands out ASIA credentials of the role's account; GetCallerIdentity says who is calling", async () => {
    const sb = await start({ dynamo: false });
    const out = await sts(sb).send(
      new AssumeRoleCommand({
        RoleArn: "arn:aws:iam::111111111111:role/upg-deployer",
        RoleSessionName: "nightly",
        DurationSeconds: 900,
      }),
    );
    expect(out.Credentials?.AccessKeyId).toMatch(/^ASIA[A-Z0-9]{16}$/);
    expect(out.Credentials?.SecretAccessKey).toBeTruthy();
    expect(out.Credentials?.SessionToken).toBeTruthy();
    const expires = out.Credentials?.Expiration?.getTime() ?? 0;
    expect(Math.abs(expires - (Date.now() + 900_000))).toBeLessThan(10_000);
    expect(out.AssumedRoleUser?.Arn).toBe("arn:aws:sts::111111111111:assumed-role/upg-deployer/nightly");
    expect(out.AssumedRoleUser?.AssumedRoleId).toMatch(/^AROA[A-Z0-9]+:nightly$/);

    const me = await sts(sb).send(new GetCallerIdentityCommand({}));
    expect({ Account: me.Account, Arn: me.Arn }).toEqual({
      Account: "123456789012",
      Arn: "arn:aws:iam::123456789012:user/sandbox",
    });
    expect(me.UserId).toBeTruthy();
    const c = out.Credentials;
    const assumed = sts(sb, {
      accessKeyId: c?.AccessKeyId ?? "",
      secretAccessKey: c?.SecretAccessKey ?? "",
      sessionToken: c?.SessionToken ?? "",
    });
    const them = await assumed.send(new GetCallerIdentityCommand({}));
    expect({ Account: them.Account, Arn: them.Arn, UserId: them.UserId }).toEqual({
      Account: "111111111111",
      Arn: "arn:aws:sts::111111111111:assumed-role/upg-deployer/nightly",
      UserId: out.AssumedRoleUser?.AssumedRoleId,
    });
  });

  it("a role the sandbox is told to refuse: 403 AccessDenied as AWS answers", async () => {
    const roleArn = "arn:aws:iam::333333333333:role/locked";
    const sb = await start({ dynamo: false, roles: [{ roleArn, assumable: false }] });
    const err = await stsError(assume(sb, { RoleArn: roleArn }));
    expect({ status: err.$metadata.httpStatusCode, name: err.name, message: err.message }).toEqual({
      status: 403,
      name: "AccessDenied",
      message: `User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
    });
    // Also settable while running, and listed.
    const other = "arn:aws:iam::444444444444:role/also-locked";
    await sb.sts.setRole({ roleArn: other, assumable: false });
    expect((await stsError(assume(sb, { RoleArn: other }))).name).toBe("AccessDenied");
    expect(await sb.sts.roles()).toEqual([
      { roleArn, assumable: false },
      { roleArn: other, assumable: false },
    ]);
    await sb.sts.resetRoles();
    expect((await assume(sb, { RoleArn: other })).accessKeyId).toMatch(/^ASIA/);
  });

  it("a role requiring an ExternalId refuses a missing or wrong one", async () => {
    const sb = await start({ dynamo: false });
    const roleArn = "arn:aws:iam::111111111111:role/partner";
    await sb.sts.setRole({ roleArn, externalId: "s3cret-id" });
    expect((await stsError(assume(sb, { RoleArn: roleArn }))).name).toBe("AccessDenied");
    const wrong = await stsError(assume(sb, { RoleArn: roleArn, ExternalId: "guess" }));
    expect({ status: wrong.$metadata.httpStatusCode, name: wrong.name }).toEqual({
      status: 403,
      name: "AccessDenied",
    });
    expect((await assume(sb, { RoleArn: roleArn, ExternalId: "s3cret-id" })).accessKeyId).toMatch(/^ASIA/);
  });

  it("refuses what AWS refuses: a malformed role ARN, a bad session name, an unknown action", async () => {
    const sb = await start({ dynamo: false });
    const bad = await stsError(assume(sb, { RoleArn: "arn:aws:iam::1:role/x" }));
    expect({ status: bad.$metadata.httpStatusCode, name: bad.name }).toEqual({
      status: 400,
      name: "ValidationError",
    });
    expect((await stsError(assume(sb, { RoleSessionName: "has space" }))).name).toBe("ValidationError");
    const res = await fetch(sb.sts.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=GetSessionToken&Version=2011-06-15",
    });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(
      /<ErrorResponse[^>]*><Error><Type>Sender<\/Type><Code>InvalidAction<\/Code><Message>[^<]+<\/Message><\/Error><RequestId>[^<]+<\/RequestId><\/ErrorResponse>/,
    );
    await expect(sb.sts.setRole({ roleArn: "not-an-arn" })).rejects.toThrow(/Invalid role rule/);
  });
});

describe("--data keeps every account-region", () => {
  function tempDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "upg-fleet-"));
    dirs.push(dir);
    return dir;
  }

  it("plans, SNS topics and DynamoDB tables of two account-regions survive a restart", async () => {
    const dir = tempDir();
    const first = await start({ dataDir: dir });
    await apigw(first).send(new CreateUsagePlanCommand({ name: "default-plan" }));
    const creds = await assume(first);
    await apigw(first, "eu-west-1", creds).send(new CreateUsagePlanCommand({ name: "west-111" }));
    const sns = track(
      new SNSClient({
        endpoint: first.sns.endpoint,
        region: "eu-west-1",
        credentials: creds,
        maxAttempts: 1,
      }),
    );
    await sns.send(new CreateTopicCommand({ Name: "kept" }));
    await dynamo(first, "eu-west-1", creds).send(
      new CreateTableCommand({
        TableName: "west-table",
        AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    for (const c of opened.splice(0)) c.destroy();
    await first.stop();
    sandboxes.splice(0);
    const saved = JSON.parse(readFileSync(join(dir, STATE_FILE_NAME), "utf8"));
    expect(saved.version).toBe(2);

    const second = await start({ dataDir: dir });
    expect(second.data?.loaded).toEqual({ usagePlans: 2, apiKeys: 0, restApis: 0, accountRegions: 2 });
    const again = await assume(second); // issued keys are not kept: assume again
    expect(await planNames(apigw(second))).toEqual(["default-plan"]);
    expect(await planNames(apigw(second, "eu-west-1", again))).toEqual(["west-111"]);
    expect((await dynamo(second, "eu-west-1", again).send(new ListTablesCommand({}))).TableNames).toEqual([
      "west-table",
    ]);
    expect((await dynamo(second).send(new ListTablesCommand({}))).TableNames).toEqual([]);
    const topics = await fetch(`${second.apigatewayEndpoint}/_sandbox/sns/topics`);
    expect(await topics.json()).toContainEqual({
      topicArn: "arn:aws:sns:us-east-1:123456789012:upg-alerts",
      region: "us-east-1",
      name: "upg-alerts",
    });
    const sns2 = track(
      new SNSClient({
        endpoint: second.sns.endpoint,
        region: "eu-west-1",
        credentials: again,
        maxAttempts: 1,
      }),
    );
    // CreateTopic is idempotent: the same ARN comes back for the kept topic.
    expect((await sns2.send(new CreateTopicCommand({ Name: "kept" }))).TopicArn).toBe(
      "arn:aws:sns:eu-west-1:111111111111:kept",
    );
  });

  it("an account-region seeded by its first request (a read) is saved: a restart shows the same ids", async () => {
    const dir = tempDir();
    const first = await start({ dataDir: dir, dynamo: false, seed: true });
    const ids = (await apigw(first, "eu-west-1").send(new GetRestApisCommand({}))).items?.map((a) => a.id);
    expect(ids).toHaveLength(1);
    for (const c of opened.splice(0)) c.destroy();
    await first.stop();
    sandboxes.splice(0);
    const second = await start({ dataDir: dir, dynamo: false, seed: true });
    expect(
      (await apigw(second, "eu-west-1").send(new GetRestApisCommand({}))).items?.map((a) => a.id),
    ).toEqual(ids);
  });

  it("loads a version 1 state file (one account-region) as the default account-region", async () => {
    const dir = tempDir();
    const v1 = {
      format: "upg-sandbox-state",
      version: 1,
      savedAt: "2026-01-01T00:00:00.000Z",
      accountId: "123456789012",
      region: "us-east-1",
      seq: 1,
      plans: [{ seq: 1, id: "abc123", name: "from-v1", apiStages: [], tags: { $map: [] } }],
      keys: [],
      planKeys: [],
      restApis: [],
      usage: [],
      extensions: [],
      snsTopics: [],
    };
    writeFileSync(join(dir, STATE_FILE_NAME), JSON.stringify(v1));
    const sb = await start({ dataDir: dir, dynamo: false });
    expect(sb.data?.restored).toBe(true);
    expect(await planNames(apigw(sb))).toEqual(["from-v1"]);
    await apigw(sb, "eu-west-1").send(new CreateUsagePlanCommand({ name: "new-region" }));
    const saved = JSON.parse(readFileSync(join(dir, STATE_FILE_NAME), "utf8"));
    expect(saved.version).toBe(2);
    expect(saved.accountRegions.map((a: { region: string }) => a.region)).toEqual(["us-east-1", "eu-west-1"]);
  });
});
