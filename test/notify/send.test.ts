// sendAlerts: SNS through the real client against the sandbox, webhooks to a local HTTP server (generic JSON
// and Slack), a file and stdout; every failure is a per-target result with a clear message, never a throw.
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { AwsTarget } from "../../src/aws/client-config.js";
import type { AlertTarget } from "../../src/model/spec.js";
import {
  type Alert,
  describeDeliveryFailures,
  lifecycleAlert,
  planAlerts,
  sendAlerts,
  webhookLabel,
} from "../../src/notify/index.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";
import { tmpTree } from "../helpers/tmp.js";
import { closedPort } from "../store/helpers.js";
import { HOUR, report, violation } from "./builders.js";

interface Received {
  path: string;
  body: unknown;
}

let sb: Sandbox;
let hook: Server;
let hookUrl: string;
const received: Received[] = [];
/** What the webhook server does next: answer 200, 500, or never. */
let mode: "ok" | "fail" | "hang" = "ok";
const hanging: ServerResponse[] = [];

function listen(srv: Server): Promise<number> {
  return new Promise((resolve) =>
    srv.listen(0, "127.0.0.1", () => resolve((srv.address() as AddressInfo).port)),
  );
}

beforeAll(async () => {
  sb = await startSandbox({ throttling: false, dynamo: false });
  hook = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      received.push({ path: req.url ?? "", body: JSON.parse(body) });
      if (mode === "hang") hanging.push(res);
      else if (mode === "fail")
        res.writeHead(500, { "content-type": "text/plain" }).end("upstream\n  exploded");
      else res.writeHead(200).end("ok");
    });
  });
  hookUrl = `http://127.0.0.1:${await listen(hook)}`;
});
afterEach(async () => {
  received.length = 0;
  mode = "ok";
  for (const r of hanging.splice(0)) r.destroy();
  await sb.admin.resetFaults();
  await sb.sns.reset();
});
afterAll(async () => {
  hook.closeAllConnections();
  await new Promise((r) => hook.close(r));
  await sb.stop();
});

function target(region = sb.region): AwsTarget {
  return {
    region,
    endpoint: sb.sns.endpoint,
    credentials: sb.credentials,
    maxAttempts: 1,
    timeouts: { connectMs: 1000, requestMs: 2000 },
  };
}

function drift(): Alert[] {
  const vs = [
    violation(),
    violation({ violation_type: "plan_deleted", plan_id: "basic", subject: undefined, severity: "CRITICAL" }),
  ];
  return planAlerts({
    report: report(vs),
    open: [],
    now: Date.parse("2026-01-15T14:30:00Z"),
    quietPeriodMs: HOUR,
  }).alerts;
}

describe("sendAlerts", () => {
  it("publishes to SNS through the real client: subject, text and attributes arrive", async () => {
    const alerts = [
      ...drift(),
      lifecycleAlert("premium-weather", "Deprecated", { region: "us-east-1", at: "t" }),
    ];
    const results = await sendAlerts(alerts, [{ type: "sns", topic_arn: sb.sns.topicArn }], {
      target: target(),
    });
    expect(results).toEqual([
      {
        target: { type: "sns", topic_arn: sb.sns.topicArn },
        label: `SNS topic ${sb.sns.topicArn}`,
        ok: true,
        delivered: [0, 1],
      },
    ]);
    const messages = await sb.sns.messages();
    expect(messages.map((m) => m.subject)).toEqual([
      "upg drift: 1 CRITICAL, 1 HIGH in us-east-1",
      "upg: plan premium-weather is now Deprecated in us-east-1",
    ]);
    expect(messages[0]?.topicArn).toBe(sb.sns.topicArn);
    expect(messages[0]?.attributes).toEqual({
      severity: { DataType: "String", StringValue: "CRITICAL" },
      event: { DataType: "String", StringValue: "opened" },
      region: { DataType: "String", StringValue: "us-east-1" },
      violation_type: { DataType: "String.Array", StringValue: '["plan_deleted","rate_limit_changed"]' },
    });
    expect(messages[0]?.message).toContain("- [CRITICAL] basic: plan deleted");
  });

  it("publishes to a topic in its own region, whatever region the run uses", async () => {
    const west = await import("@aws-sdk/client-sns").then(async ({ SNSClient, CreateTopicCommand }) => {
      const c = new SNSClient({ ...target("eu-west-1"), region: "eu-west-1" });
      try {
        return (await c.send(new CreateTopicCommand({ Name: "upg-alerts" }))).TopicArn!;
      } finally {
        c.destroy();
      }
    });
    const results = await sendAlerts(drift(), [{ type: "sns", topic_arn: west }], {
      target: target("us-east-1"),
    });
    expect(results[0]?.ok).toBe(true);
    expect((await sb.sns.messages()).map((m) => m.region)).toEqual(["eu-west-1"]);
  });

  it("SNS failures are results with a clear message: missing topic, refused Publish, unreachable endpoint", async () => {
    const missing = "arn:aws:sns:us-east-1:123456789012:nope";
    const [r1] = await sendAlerts(drift(), [{ type: "sns", topic_arn: missing }], { target: target() });
    expect(r1).toMatchObject({ ok: false, delivered: [] });
    expect(r1?.error).toBe(
      `SNS topic ${missing} does not exist (looked in us-east-1). Create it, or fix topic_arn in upg.config.yaml.`,
    );
    await sb.admin.setFaults({
      failOperation: { operation: "Publish", status: 403, code: "AuthorizationError" },
    });
    const [r2] = await sendAlerts(drift(), [{ type: "sns", topic_arn: sb.sns.topicArn }], {
      target: target(),
    });
    expect(r2?.error).toMatch(/^Not allowed to publish to arn:aws:sns:.*Grant sns:Publish on the topic/);
    await sb.admin.setFaults({ failOperation: { operation: "Publish", status: 500, count: 1 } });
    const two = [...drift(), ...drift()];
    const [r3] = await sendAlerts(two, [{ type: "sns", topic_arn: sb.sns.topicArn }], { target: target() });
    expect(r3).toMatchObject({ ok: false, delivered: [] });
    expect(r3?.error).toBe(
      `SNS Publish to ${sb.sns.topicArn} failed: InternalErrorException: Injected fault for Publish`,
    );
    // The fault was for one call: the next run gets through.
    const [again] = await sendAlerts(two, [{ type: "sns", topic_arn: sb.sns.topicArn }], {
      target: target(),
    });
    expect(again).toMatchObject({ ok: true, delivered: [0, 1] });
    const port = await closedPort();
    const [r4] = await sendAlerts(drift(), [{ type: "sns", topic_arn: sb.sns.topicArn }], {
      target: { ...target(), endpoint: `http://127.0.0.1:${port}` },
    });
    expect(r4?.error).toBe("SNS in us-east-1 could not be reached (ECONNREFUSED); the alert was not sent.");
  });

  it("posts the generic JSON document and the Slack payload to webhooks", async () => {
    const targets: AlertTarget[] = [
      { type: "webhook", url: `${hookUrl}/generic` },
      { type: "webhook", url: `${hookUrl}/slack/T000/B000/secret`, format: "slack" },
    ];
    const results = await sendAlerts(drift(), targets, { target: target() });
    expect(results.map((r) => [r.label, r.ok, r.delivered])).toEqual([
      [`webhook ${hookUrl}/…`, true, [0]],
      [`Slack webhook ${hookUrl}/…`, true, [0]],
    ]);
    const byPath = Object.fromEntries(received.map((r) => [r.path, r.body]));
    expect(byPath["/generic"]).toMatchObject({
      kind: "upg-alert",
      event: "opened",
      severity: "CRITICAL",
      region: "us-east-1",
      violations: [{ violation_type: "plan_deleted" }, { violation_type: "rate_limit_changed" }],
    });
    const slack = byPath["/slack/T000/B000/secret"] as { text: string };
    expect(Object.keys(slack)).toEqual(["text"]);
    expect(slack.text).toMatch(/^:rotating_light: \*upg drift: 1 CRITICAL, 1 HIGH in us-east-1\*/);
  });

  it("a webhook answering 500, hanging, or refusing the connection fails alone, with a clear message", async () => {
    const port = await closedPort();
    const targets: AlertTarget[] = [
      { type: "webhook", url: `${hookUrl}/hook?token=s3cret` },
      { type: "webhook", url: `http://127.0.0.1:${port}/hook` },
      { type: "sns", topic_arn: sb.sns.topicArn },
    ];
    mode = "fail";
    const failed = await sendAlerts(drift(), targets, { target: target(), webhookTimeoutMs: 300 });
    expect(failed.map((r) => r.ok)).toEqual([false, false, true]);
    expect(failed[0]?.error).toBe(
      `webhook ${hookUrl}/… answered HTTP 500 Internal Server Error: upstream exploded; the alert was not sent.`,
    );
    expect(failed[1]?.error).toBe(
      `webhook http://127.0.0.1:${port}/… could not be reached (ECONNREFUSED); the alert was not sent.`,
    );
    // No secret of a webhook URL in any message.
    expect(describeDeliveryFailures(failed)).not.toContain("s3cret");
    expect(describeDeliveryFailures(failed).split("\n").filter(Boolean)).toHaveLength(2);

    mode = "hang";
    const start = performance.now();
    const hung = await sendAlerts([...drift(), ...drift()], [targets[0]!], {
      target: target(),
      webhookTimeoutMs: 300,
    });
    expect(performance.now() - start).toBeLessThan(5000);
    expect(hung[0]).toMatchObject({ ok: false, delivered: [] });
    // The target stops at its first failure: one request, not one timeout per alert.
    expect(hung[0]?.error).toBe(`webhook ${hookUrl}/… did not answer within 0.3 s; the alert was not sent.`);
    expect(received).toHaveLength(2); // one in each mode
  });

  it("appends JSON lines to a file and writes text to stdout; a file it cannot write is a failed target", async () => {
    const t = tmpTree({});
    try {
      const path = t.path("alerts.jsonl");
      let out = "";
      const alerts = drift();
      const results = await sendAlerts(alerts, [{ type: "file", path }, { type: "stdout" }], {
        target: target(),
        write: (s) => {
          out += s;
        },
      });
      await sendAlerts(alerts, [{ type: "file", path }], { target: target() });
      expect(results.every((r) => r.ok)).toBe(true);
      const lines = readFileSync(path, "utf8").trimEnd().split("\n");
      expect(lines).toHaveLength(2);
      expect(JSON.parse(lines[0]!)).toMatchObject({ kind: "upg-alert", event: "opened" });
      expect(out).toMatch(/^upg drift: 1 CRITICAL, 1 HIGH in us-east-1\nupg drift check in us-east-1/);
      const [bad] = await sendAlerts(alerts, [{ type: "file", path: t.path("no/such/dir/a.jsonl") }], {
        target: target(),
      });
      expect(bad?.error).toMatch(/^Could not append alerts to .*a\.jsonl \(ENOENT\)/);
    } finally {
      t.cleanup();
    }
  });

  it("with nothing to send, every target is ok and nothing is contacted", async () => {
    const results = await sendAlerts([], [{ type: "webhook", url: `${hookUrl}/x` }], { target: target() });
    expect(results).toEqual([
      {
        target: { type: "webhook", url: `${hookUrl}/x` },
        label: `webhook ${hookUrl}/…`,
        ok: true,
        delivered: [],
      },
    ]);
    expect(received).toEqual([]);
    expect(webhookLabel("https://hooks.slack.com/")).toBe("webhook https://hooks.slack.com");
    expect(webhookLabel("not a url")).toBe("webhook (invalid URL)");
  });
});
