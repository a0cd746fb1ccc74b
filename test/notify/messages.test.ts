// The message builders: what a person reads in an SNS subject, a Slack channel, a webhook and a file.
import { describe, expect, it } from "vitest";
import {
  type Alert,
  alertJsonLine,
  alertText,
  alertTitle,
  lifecycleAlert,
  MAX_SUBJECT_CHARS,
  planAlerts,
  recoveryAlert,
  slackPayload,
  snsMessage,
  webhookPayload,
} from "../../src/notify/index.js";
import { HOUR, report, violation } from "./builders.js";

const AT = "2026-01-15T14:30:00.000Z";

function opened(vs = [violation()]): Alert {
  const { alerts } = planAlerts({ report: report(vs), open: [], now: Date.parse(AT), quietPeriodMs: HOUR });
  return alerts[0]!;
}

describe("alert messages", () => {
  it("titles say what happened, where, how bad, in under 100 printable characters", () => {
    expect(alertTitle(opened())).toBe("upg drift: HIGH rate limit changed on premium-weather in us-east-1");
    const many = opened([
      violation(),
      violation({ subject: "throttle.burstLimit", violation_type: "burst_limit_changed" }),
      violation({
        violation_type: "plan_deleted",
        plan_id: "basic",
        subject: undefined,
        severity: "CRITICAL",
      }),
    ]);
    expect(alertTitle(many)).toBe("upg drift: 1 CRITICAL, 2 HIGH in us-east-1");
    const long = opened([violation({ plan_id: `p-${"x".repeat(150)}`, plan_name: "Ünïcode\nname" })]);
    const title = alertTitle(long);
    expect(title.length).toBeLessThanOrEqual(MAX_SUBJECT_CHARS);
    expect(title).toMatch(/^[\x20-\x7e]+$/);
    expect(title.endsWith("...")).toBe(true);
  });

  it("SNS: subject, text and filterable attributes (severity, violation_type, event, region, plan_id)", () => {
    const one = snsMessage(opened());
    expect(one.MessageAttributes).toEqual({
      severity: { DataType: "String", StringValue: "HIGH" },
      violation_type: { DataType: "String", StringValue: "rate_limit_changed" },
      event: { DataType: "String", StringValue: "opened" },
      region: { DataType: "String", StringValue: "us-east-1" },
      plan_id: { DataType: "String", StringValue: "premium-weather" },
    });
    expect(one.Message).toContain(
      "- [HIGH] premium-weather: rate limit changed (throttle.rateLimit): should be 200, is 500",
    );
    expect(one.Message).toContain("upg drift --fix");
    const two = snsMessage(
      opened([
        violation(),
        violation({ violation_type: "key_added", plan_id: "basic", subject: "k1", severity: "LOW" }),
      ]),
    );
    expect(two.MessageAttributes.violation_type).toEqual({
      DataType: "String.Array",
      StringValue: '["key_added","rate_limit_changed"]',
    });
    expect(two.MessageAttributes.plan_id).toBeUndefined();
    // A huge report still fits SNS's 256 KiB.
    const huge = snsMessage(
      opened(
        Array.from({ length: 5000 }, (_, i) => violation({ subject: `s${i}`, should_be: "x".repeat(100) })),
      ),
    );
    expect(Buffer.byteLength(huge.Message)).toBeLessThan(262_144);
    expect(huge.Message).toContain("... and 4950 more");
  });

  it("text names the declaring plan-file line and, for reminders, since when it is open", () => {
    const v = violation({ declared_at: { file: "plans/premium.yaml", line: 7, col: 3 } });
    expect(alertText(opened([v]))).toContain("should be 200, is 500 [plans/premium.yaml:7]");
    const reminder: Alert = { ...opened([v]), event: "reminder" };
    reminder.violations = reminder.violations.map((x) => ({ ...x, first_seen: "2026-01-14T10:00:00.000Z" }));
    expect(alertTitle(reminder)).toBe(
      "upg drift still open: HIGH rate limit changed on premium-weather in us-east-1",
    );
    expect(alertText(reminder)).toContain("(open since 2026-01-14T10:00:00.000Z)");
  });

  it("webhook JSON is a versioned document; a file gets the same document as one JSON line", () => {
    const a = { ...opened(), account: "123456789012" };
    const doc = webhookPayload(a);
    expect(doc).toMatchObject({
      kind: "upg-alert",
      format_version: 1,
      event: "opened",
      severity: "HIGH",
      region: "us-east-1",
      account: "123456789012",
      at: AT,
      title: alertTitle(a),
      summary: { violations: 1, by_severity: { LOW: 0, MEDIUM: 0, HIGH: 1, CRITICAL: 0 } },
    });
    expect(doc.violations[0]).toMatchObject({ violation_type: "rate_limit_changed", first_seen: AT });
    const line = alertJsonLine(a);
    expect(line.endsWith("\n")).toBe(true);
    expect(line.slice(0, -1)).not.toContain("\n");
    expect(JSON.parse(line)).toEqual(JSON.parse(JSON.stringify(doc)));
  });

  it("Slack gets { text } in mrkdwn with <, > and & escaped", () => {
    const a = opened([violation({ plan_id: "a<b>&c", should_be: "<x>" })]);
    const { text } = slackPayload(a);
    expect(Object.keys(slackPayload(a))).toEqual(["text"]);
    expect(text.split("\n")[0]).toMatch(
      /^:red_circle: \*upg drift: HIGH .* on a&lt;b&gt;&amp;c in us-east-1\*$/,
    );
    expect(text).toContain("• `HIGH` a&lt;b&gt;&amp;c: rate limit changed");
    expect(text).not.toMatch(/<|>/);
    expect(slackPayload({ ...a, event: "resolved" }).text.startsWith(":white_check_mark:")).toBe(true);
  });

  it("lifecycle and recovery alerts: the original system's 'plan deprecated' and 'plan deleted and recovered'", () => {
    const dep = lifecycleAlert("premium-weather", "Deprecated", {
      region: "us-east-1",
      at: AT,
      successor: "premium-weather-v2",
      actor: "alice",
    });
    expect(alertTitle(dep)).toBe("upg: plan premium-weather is now Deprecated in us-east-1");
    expect(alertText(dep)).toContain("no new key may join it");
    expect(alertText(dep)).toContain("Customers should move to premium-weather-v2.");
    expect(snsMessage(dep).MessageAttributes).toMatchObject({
      severity: { StringValue: "MEDIUM" },
      event: { StringValue: "lifecycle" },
      plan_id: { StringValue: "premium-weather" },
    });
    const rec = recoveryAlert("basic", "ab12cd", "zz99yy", {
      region: "eu-west-1",
      at: AT,
      restoredStages: 2,
      restoredKeys: 3,
      actor: "auto-fix",
    });
    expect(alertTitle(rec)).toBe("upg: plan basic was deleted outside upg and recreated in eu-west-1");
    expect(alertText(rec)).toContain(
      "upg recreated it as zz99yy and attached 2 stages and 3 API keys again.",
    );
    expect(webhookPayload(rec)).toMatchObject({
      event: "recovered",
      severity: "CRITICAL",
      actor: "auto-fix",
      plan: { plan_id: "basic", old_api_gateway_id: "ab12cd", new_api_gateway_id: "zz99yy" },
    });
  });
});
