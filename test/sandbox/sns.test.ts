// SNS in the sandbox, through the real @aws-sdk/client-sns: the query protocol, AWS's error shapes, topics per
// region, the recorded messages and fault injection.
import {
  CreateTopicCommand,
  DeleteTopicCommand,
  GetTopicAttributesCommand,
  ListTopicsCommand,
  PublishCommand,
  paginateListTopics,
  SNSClient,
  SNSServiceException,
} from "@aws-sdk/client-sns";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { rejectionOf } from "./helpers.js";

let sb: Sandbox;
const clients: SNSClient[] = [];

function snsClient(region = sb.region): SNSClient {
  const c = new SNSClient({ endpoint: sb.sns.endpoint, region, credentials: sb.credentials, maxAttempts: 1 });
  clients.push(c);
  return c;
}

async function expectSnsError(p: Promise<unknown>, status: number, name: string, message?: string | RegExp) {
  const err = await rejectionOf(p);
  if (!(err instanceof SNSServiceException)) throw err;
  expect({ status: err.$metadata.httpStatusCode, name: err.name }).toEqual({ status, name });
  if (typeof message === "string") expect(err.message).toBe(message);
  else if (message) expect(err.message).toMatch(message);
  return err;
}

beforeAll(async () => {
  sb = await startSandbox({ throttling: false, dynamo: false, region: "us-east-1" });
});
afterEach(async () => {
  await sb.admin.resetFaults();
  await sb.sns.reset();
});
afterAll(async () => {
  for (const c of clients) c.destroy();
  await sb.stop();
});

describe("sandbox SNS", () => {
  it("seeds upg-alerts in the sandbox's region and prints its endpoint in env()", async () => {
    expect(sb.sns.topicArn).toBe("arn:aws:sns:us-east-1:123456789012:upg-alerts");
    expect(sb.env().AWS_ENDPOINT_URL_SNS).toBe(sb.sns.endpoint);
    const out = await snsClient().send(new ListTopicsCommand({}));
    expect(out.Topics).toEqual([{ TopicArn: sb.sns.topicArn }]);
    expect(out.NextToken).toBeUndefined();
  });

  it("CreateTopic is idempotent, ListTopics pages, GetTopicAttributes answers AWS's attributes", async () => {
    const sns = snsClient();
    const a = await sns.send(
      new CreateTopicCommand({
        Name: "ops",
        Attributes: { DisplayName: "Ops" },
        Tags: [{ Key: "t", Value: "1" }],
      }),
    );
    expect(a.TopicArn).toBe("arn:aws:sns:us-east-1:123456789012:ops");
    expect((await sns.send(new CreateTopicCommand({ Name: "ops" }))).TopicArn).toBe(a.TopicArn);
    for (let i = 0; i < 120; i++)
      await sns.send(new CreateTopicCommand({ Name: `t-${String(i).padStart(3, "0")}` }));
    const arns: string[] = [];
    let pages = 0;
    for await (const page of paginateListTopics({ client: sns }, {})) {
      pages++;
      arns.push(...(page.Topics ?? []).map((t) => t.TopicArn ?? ""));
    }
    expect(pages).toBe(2);
    expect(arns).toHaveLength(122);
    expect(new Set(arns).size).toBe(122);
    const attrs = await sns.send(new GetTopicAttributesCommand({ TopicArn: a.TopicArn }));
    expect(attrs.Attributes).toMatchObject({
      TopicArn: a.TopicArn,
      Owner: "123456789012",
      DisplayName: "Ops",
      SubscriptionsConfirmed: "0",
    });
    expect(JSON.parse(attrs.Attributes?.Policy ?? "{}").Statement[0].Resource).toBe(a.TopicArn);
    await expectSnsError(
      sns.send(new CreateTopicCommand({ Name: "bad name!" })),
      400,
      "InvalidParameterException",
      /Invalid parameter: Topic Name/,
    );
  });

  it("Publish returns a MessageId and records subject, message and attributes", async () => {
    const out = await snsClient().send(
      new PublishCommand({
        TopicArn: sb.sns.topicArn,
        Subject: "upg drift: 1 HIGH in us-east-1",
        Message: 'rate & <burst> "changed" ü',
        MessageAttributes: {
          severity: { DataType: "String", StringValue: "HIGH" },
          violation_type: { DataType: "String", StringValue: "rate_limit_changed" },
          count: { DataType: "Number", StringValue: "2" },
        },
      }),
    );
    expect(out.MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const messages = await sb.sns.messages();
    expect(messages).toEqual([
      {
        messageId: out.MessageId,
        topicArn: sb.sns.topicArn,
        region: "us-east-1",
        subject: "upg drift: 1 HIGH in us-east-1",
        message: 'rate & <burst> "changed" ü',
        attributes: {
          severity: { DataType: "String", StringValue: "HIGH" },
          violation_type: { DataType: "String", StringValue: "rate_limit_changed" },
          count: { DataType: "Number", StringValue: "2" },
        },
        publishedAt: expect.any(String),
      },
    ]);
    await sb.sns.clearMessages();
    expect(await sb.sns.messages()).toEqual([]);
  });

  it("answers AWS's errors: unknown topic, bad ARN, empty message, bad subject, too many attributes", async () => {
    const sns = snsClient();
    const missing = await expectSnsError(
      sns.send(new PublishCommand({ TopicArn: "arn:aws:sns:us-east-1:123456789012:nope", Message: "m" })),
      404,
      "NotFoundException",
      "Topic does not exist",
    );
    expect(missing.$metadata.requestId).toBeTruthy();
    await expectSnsError(
      sns.send(new PublishCommand({ TopicArn: "not-an-arn", Message: "m" })),
      400,
      "InvalidParameterException",
      "Invalid parameter: TopicArn",
    );
    await expectSnsError(
      sns.send(new PublishCommand({ TopicArn: sb.sns.topicArn, Message: "" })),
      400,
      "InvalidParameterException",
      "Invalid parameter: Empty message",
    );
    await expectSnsError(
      sns.send(new PublishCommand({ TopicArn: sb.sns.topicArn, Message: "m", Subject: "x".repeat(101) })),
      400,
      "InvalidParameterException",
      "Invalid parameter: Subject",
    );
    await expectSnsError(
      sns.send(new PublishCommand({ TopicArn: sb.sns.topicArn, Message: "m", Subject: "two\nlines" })),
      400,
      "InvalidParameterException",
      "Invalid parameter: Subject",
    );
    const eleven = Object.fromEntries(
      Array.from({ length: 11 }, (_, i) => [`a${i}`, { DataType: "String", StringValue: "v" }]),
    );
    await expectSnsError(
      sns.send(new PublishCommand({ TopicArn: sb.sns.topicArn, Message: "m", MessageAttributes: eleven })),
      400,
      "InvalidParameterException",
      /MessageAttributes Reason: Number of message attributes \[11\]/,
    );
    await expectSnsError(
      sns.send(new PublishCommand({ TopicArn: sb.sns.topicArn, Message: "x".repeat(262_145) })),
      400,
      "InvalidParameterException",
      "Invalid parameter: Message too long",
    );
    await expectSnsError(
      sns.send(
        new PublishCommand({ TopicArn: "arn:aws:sns:us-east-1:999999999999:upg-alerts", Message: "m" }),
      ),
      403,
      "AuthorizationErrorException",
      /not authorized to perform: SNS:Publish/,
    );
    expect(await sb.sns.messages()).toEqual([]);
  });

  it("keeps topics per region: another region's topic is InvalidParameter, as AWS answers it", async () => {
    const east = snsClient("us-east-1");
    const west = snsClient("eu-west-1");
    // The seeded topic lives in us-east-1 only.
    expect((await west.send(new ListTopicsCommand({}))).Topics ?? []).toEqual([]);
    await expectSnsError(
      west.send(new PublishCommand({ TopicArn: sb.sns.topicArn, Message: "m" })),
      400,
      "InvalidParameterException",
      "Invalid parameter: TopicArn",
    );
    const created = await west.send(new CreateTopicCommand({ Name: "upg-alerts" }));
    expect(created.TopicArn).toBe("arn:aws:sns:eu-west-1:123456789012:upg-alerts");
    await west.send(new PublishCommand({ TopicArn: created.TopicArn, Message: "from west" }));
    await expectSnsError(
      east.send(new PublishCommand({ TopicArn: created.TopicArn, Message: "m" })),
      400,
      "InvalidParameterException",
    );
    const messages = await sb.sns.messages();
    expect(messages.map((m) => [m.region, m.topicArn, m.message])).toEqual([
      ["eu-west-1", created.TopicArn, "from west"],
    ]);
    await west.send(new DeleteTopicCommand({ TopicArn: created.TopicArn }));
    await expectSnsError(
      west.send(new PublishCommand({ TopicArn: created.TopicArn, Message: "m" })),
      404,
      "NotFoundException",
    );
  });

  it("fault injection can make Publish fail (SNS's own codes) and counts SNS calls", async () => {
    const sns = snsClient();
    await sb.admin.resetCounters();
    await sb.admin.setFaults({ failOperation: { operation: "Publish", status: 500, count: 1 } });
    await expectSnsError(
      sns.send(new PublishCommand({ TopicArn: sb.sns.topicArn, Message: "m" })),
      500,
      "InternalErrorException",
    );
    await sns.send(new PublishCommand({ TopicArn: sb.sns.topicArn, Message: "second" }));
    await sb.admin.setFaults({
      failOperation: { operation: "Publish", status: 403, code: "AuthorizationError" },
    });
    await expectSnsError(
      sns.send(new PublishCommand({ TopicArn: sb.sns.topicArn, Message: "m" })),
      403,
      "AuthorizationErrorException",
    );
    // Other SNS calls are unaffected by a Publish fault.
    await sns.send(new ListTopicsCommand({}));
    expect((await sb.sns.messages()).map((m) => m.message)).toEqual(["second"]);
    expect(await sb.admin.counters()).toMatchObject({ Publish: 3, ListTopics: 1, total: 4 });
  });

  it("refuses an unknown action and non-POST requests with query-protocol XML errors", async () => {
    const res = await fetch(sb.sns.endpoint, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: "Action=Subscribe&Version=2010-03-31",
    });
    expect(res.status).toBe(400);
    const xml = await res.text();
    expect(xml).toContain("<Code>InvalidAction</Code>");
    expect(xml).toContain("<Type>Sender</Type>");
    expect(xml).toMatch(/<RequestId>[0-9a-f-]{36}<\/RequestId>/);
    const get = await fetch(sb.sns.endpoint);
    expect(get.status).toBe(400);
  });
});
