/**
 * The SNS operations the sandbox serves: CreateTopic, DeleteTopic, GetTopicAttributes, ListTopics, Publish.
 * Validation and error codes follow AWS's answers (a topic ARN of another region is 400 InvalidParameter
 * "Invalid parameter: TopicArn", which is what AWS answers when a client publishes to a topic outside the
 * region it is signed for; an unknown topic of the right region is 404 NotFound "Topic does not exist").
 */
import { randomUUID } from "node:crypto";
import { type QueryParams, snsFail, tag, text } from "./query.js";
import type { SnsMessageAttribute, SnsState, SnsTopic } from "./state.js";

export interface SnsRequest {
  state: SnsState;
  params: QueryParams;
  /** From the SigV4 credential scope (the sandbox's region when the request is unsigned). */
  region: string;
  now: number;
}

/** The XML inside `<ActionResult>`; "" for actions whose answer has no result element. */
export type SnsHandler = (req: SnsRequest) => string;

/** AWS's limits: a message (with its attributes) of at most 256 KiB, ten attributes, a 100-character subject. */
export const MAX_MESSAGE_BYTES = 262_144;
export const MAX_MESSAGE_ATTRIBUTES = 10;
export const MAX_SUBJECT_CHARS = 100;
const LIST_PAGE_SIZE = 100;

const TOPIC_NAME_RE = /^[A-Za-z0-9_-]{1,256}$/;
const ARN_RE = /^arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_.-]{1,256})$/;
const ATTRIBUTE_NAME_RE = /^(?!aws\.|amazon\.)(?!\.)(?!.*\.\.)(?!.*\.$)[A-Za-z0-9_.-]{1,256}$/i;
const DATA_TYPE_RE = /^(String|Number|Binary)(\.[A-Za-z0-9_.-]+)?$|^String\.Array$/;

/** The topic an ARN names, checked as AWS checks it against the caller's region and account. */
function topicOf(req: SnsRequest, arn: string | undefined, param = "TopicArn"): SnsTopic {
  if (arn === undefined || arn === "") snsFail("InvalidParameter", `Invalid parameter: ${param}`);
  const m = ARN_RE.exec(arn);
  if (!m) snsFail("InvalidParameter", `Invalid parameter: ${param}`);
  const [, , region, account, name] = m as unknown as [string, string, string, string, string];
  // AWS answers a topic of another region with this bare message; the caller must use the topic's region.
  if (region !== req.region) snsFail("InvalidParameter", `Invalid parameter: ${param}`);
  if (account !== req.state.accountId) {
    snsFail(
      "AuthorizationError",
      `User: arn:aws:iam::${req.state.accountId}:user/sandbox is not authorized to perform: SNS:Publish on resource: ${arn}`,
    );
  }
  return req.state.getTopic(region, name) ?? snsFail("NotFound", "Topic does not exist");
}

function entriesMap(params: QueryParams, prefix: string, keyField: string, valueField: string) {
  const out = new Map<string, string>();
  for (const e of params.entries(prefix)) {
    const key = e.get(keyField);
    if (key !== undefined) out.set(key, e.get(valueField) ?? "");
  }
  return out;
}

const createTopic: SnsHandler = (req) => {
  const name = req.params.get("Name");
  if (name === undefined || !TOPIC_NAME_RE.test(name)) {
    snsFail(
      "InvalidParameter",
      "Invalid parameter: Topic Name (1-256 letters, digits, hyphens and underscores; FIFO topics are not emulated)",
    );
  }
  const attributes = entriesMap(req.params, "Attributes.entry", "key", "value");
  const tags = new Map<string, string>();
  for (const e of req.params.entries("Tags.member")) {
    const key = e.get("Key");
    if (key !== undefined) tags.set(key, e.get("Value") ?? "");
  }
  const topic = req.state.createTopic(req.region, name, attributes, tags);
  return text("TopicArn", topic.arn);
};

const deleteTopic: SnsHandler = (req) => {
  const arn = req.params.get("TopicArn");
  const m = arn === undefined ? null : ARN_RE.exec(arn);
  if (!m || m[2] !== req.region) snsFail("InvalidParameter", "Invalid parameter: TopicArn");
  // AWS: deleting a topic that does not exist succeeds.
  const topic = req.state.getTopic(req.region, m[4]!);
  if (topic) req.state.deleteTopic(topic);
  return "";
};

function defaultPolicy(topic: SnsTopic): string {
  return JSON.stringify({
    Version: "2008-10-17",
    Id: "__default_policy_ID",
    Statement: [
      {
        Sid: "__default_statement_ID",
        Effect: "Allow",
        Principal: { AWS: "*" },
        Action: ["SNS:Publish", "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:DeleteTopic"],
        Resource: topic.arn,
        Condition: { StringEquals: { "AWS:SourceOwner": topic.arn.split(":")[4] } },
      },
    ],
  });
}

const getTopicAttributes: SnsHandler = (req) => {
  const topic = topicOf(req, req.params.get("TopicArn"));
  const attributes = new Map<string, string>([
    ["TopicArn", topic.arn],
    ["Owner", req.state.accountId],
    ["DisplayName", ""],
    ["Policy", defaultPolicy(topic)],
    ["SubscriptionsConfirmed", "0"],
    ["SubscriptionsPending", "0"],
    ["SubscriptionsDeleted", "0"],
    ...topic.attributes,
  ]);
  const entries = [...attributes].map(([k, v]) => tag("entry", text("key", k) + text("value", v)));
  return tag("Attributes", entries.join(""));
};

const listTopics: SnsHandler = (req) => {
  const topics = req.state.listTopics(req.region);
  const token = req.params.get("NextToken");
  let start = 0;
  if (token !== undefined) {
    start = Number(Buffer.from(token, "base64url").toString("utf8"));
    if (!Number.isSafeInteger(start) || start <= 0 || start >= topics.length) {
      snsFail("InvalidParameter", "Invalid parameter: NextToken");
    }
  }
  const page = topics.slice(start, start + LIST_PAGE_SIZE);
  const next = start + LIST_PAGE_SIZE < topics.length ? String(start + LIST_PAGE_SIZE) : undefined;
  return (
    tag("Topics", page.map((t) => tag("member", text("TopicArn", t.arn))).join("")) +
    (next ? text("NextToken", Buffer.from(next).toString("base64url")) : "")
  );
};

function attributeProblem(reason: string): never {
  return snsFail("InvalidParameter", `Invalid parameter: MessageAttributes Reason: ${reason}`);
}

function messageAttributes(params: QueryParams): Record<string, SnsMessageAttribute> {
  const entries = params.entries("MessageAttributes.entry");
  if (entries.length > MAX_MESSAGE_ATTRIBUTES) {
    attributeProblem(
      `Number of message attributes [${entries.length}] exceeds the allowed maximum [${MAX_MESSAGE_ATTRIBUTES}].`,
    );
  }
  const out: Record<string, SnsMessageAttribute> = {};
  for (const e of entries) {
    const name = e.get("Name");
    if (name === undefined || !ATTRIBUTE_NAME_RE.test(name))
      attributeProblem(`Invalid attribute name ${name ?? "(none)"}`);
    if (name in out) attributeProblem(`Duplicate attribute name ${name}`);
    const dataType = e.get("Value.DataType");
    if (dataType === undefined || !DATA_TYPE_RE.test(dataType)) {
      attributeProblem(
        `The message attribute '${name}' has an invalid message attribute type ${dataType ?? "(none)"}`,
      );
    }
    const stringValue = e.get("Value.StringValue");
    const binaryValue = e.get("Value.BinaryValue");
    const value = dataType.startsWith("Binary") ? binaryValue : stringValue;
    if (value === undefined || value === "") {
      attributeProblem(
        `The message attribute '${name}' must contain non-empty message attribute value for message attribute type '${dataType}'.`,
      );
    }
    if (dataType.startsWith("Number") && !Number.isFinite(Number(value))) {
      attributeProblem(`Could not cast message attribute '${name}' value to number.`);
    }
    out[name] = {
      DataType: dataType,
      ...(stringValue !== undefined ? { StringValue: stringValue } : {}),
      ...(binaryValue !== undefined ? { BinaryValue: binaryValue } : {}),
    };
  }
  return out;
}

function checkSubject(subject: string | undefined): void {
  if (subject === undefined) return;
  // AWS: no line breaks or control characters, not empty, and at most 100 characters.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  const control = /[\u0000-\u001f\u007f]/.test(subject);
  if (subject.trim() === "" || control || [...subject].length > MAX_SUBJECT_CHARS) {
    snsFail("InvalidParameter", "Invalid parameter: Subject");
  }
}

function checkStructure(structure: string | undefined, message: string): void {
  if (structure === undefined) return;
  if (structure !== "json") snsFail("InvalidParameter", "Invalid parameter: MessageStructure");
  let parsed: unknown;
  try {
    parsed = JSON.parse(message);
  } catch {
    snsFail("InvalidParameter", "Invalid parameter: Message Structure - JSON message body failed to parse");
  }
  const dflt = (parsed as Record<string, unknown> | null)?.default;
  if (typeof dflt !== "string") {
    snsFail(
      "InvalidParameter",
      "Invalid parameter: Message Structure - No default entry in JSON message body",
    );
  }
}

function messageBytes(message: string, attributes: Record<string, SnsMessageAttribute>): number {
  let n = Buffer.byteLength(message);
  for (const [name, a] of Object.entries(attributes)) {
    n += Buffer.byteLength(name) + Buffer.byteLength(a.DataType);
    n += Buffer.byteLength(a.StringValue ?? "") + Buffer.byteLength(a.BinaryValue ?? "");
  }
  return n;
}

const publish: SnsHandler = (req) => {
  const { params } = req;
  if (params.get("PhoneNumber") !== undefined) {
    snsFail("InvalidParameter", "Invalid parameter: PhoneNumber Reason: the sandbox does not send SMS");
  }
  const topicArn = params.get("TopicArn");
  const targetArn = params.get("TargetArn");
  if (topicArn === undefined && targetArn === undefined) {
    snsFail(
      "InvalidParameter",
      "Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter",
    );
  }
  const topic = topicArn !== undefined ? topicOf(req, topicArn) : topicOf(req, targetArn, "TargetArn");
  const message = params.get("Message");
  if (message === undefined || message === "")
    snsFail("InvalidParameter", "Invalid parameter: Empty message");
  const subject = params.get("Subject");
  checkSubject(subject);
  checkStructure(params.get("MessageStructure"), message);
  const attributes = messageAttributes(params);
  if (messageBytes(message, attributes) > MAX_MESSAGE_BYTES) {
    snsFail("InvalidParameter", "Invalid parameter: Message too long");
  }
  const messageId = randomUUID();
  req.state.record({
    messageId,
    topicArn: topic.arn,
    region: topic.region,
    ...(subject !== undefined ? { subject } : {}),
    message,
    attributes,
    publishedAt: new Date(req.now).toISOString(),
  });
  return text("MessageId", messageId);
};

export const SNS_HANDLERS: Readonly<Record<string, SnsHandler>> = {
  CreateTopic: createTopic,
  DeleteTopic: deleteTopic,
  GetTopicAttributes: getTopicAttributes,
  ListTopics: listTopics,
  Publish: publish,
};

/** SDK operation names of the SNS actions the sandbox serves (for counters and fault targeting). */
export const SNS_OPERATIONS: readonly string[] = Object.keys(SNS_HANDLERS);
