// Alerts through the real CLI against the sandbox: SNS (the real SNS client) and a webhook; one alert per
// incident over three runs (new → still open → resolved); delivery failures; recovery and lifecycle alerts.

import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DeleteUsagePlanCommand, UpdateUsagePlanCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, type Project, pause, startE2E } from "./harness.js";

let e2e: E2E;
let hook: Server;
let hookUrl = "";
let hookStatus = 200;
const received: Array<{ event: string; violations: Array<{ violation_type: string }> }> = [];

beforeAll(async () => {
  e2e = await startE2E();
  hook = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => {
      body += c;
    });
    req.on("end", () => {
      if (hookStatus === 200) received.push(JSON.parse(body));
      res.writeHead(hookStatus).end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, "127.0.0.1", r));
  hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hooks/upg`;
});
afterAll(async () => {
  hook?.close();
  await e2e?.stop();
});

const BASIC = `plan_id: basic
name: Basic
rate_limit: 100
burst_limit: 200
stages: [{ api_name: weather-api, stage: prod }]
`;

async function project(only?: "webhook"): Promise<Project> {
  received.length = 0;
  hookStatus = 200;
  await e2e.sb.sns.clearMessages();
  const sns = only ? "" : `    - { type: sns, topic_arn: "${e2e.sb.sns.topicArn}" }\n`;
  const p = await e2e.project({
    config: `alerts:\n  targets:\n${sns}    - { type: webhook, url: "${hookUrl}" }\n`,
  });
  p.writePlan("basic.yaml", BASIC);
  expect((await p.upg(["init"])).code).toBe(0);
  const r = await p.upg(["apply", "--auto-approve"]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  return p;
}

async function raiseRate(value: string) {
  const basic = await e2e.planByName("Basic");
  await pause();
  await e2e.sdk.send(
    new UpdateUsagePlanCommand({
      usagePlanId: basic.id,
      patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value }],
    }),
  );
}

describe("upg drift --notify", () => {
  it("alerts once when drift appears, not again while it stays open, and once when it is resolved", async () => {
    const p = await project();
    await raiseRate("500");
    const first = await p.upg(["drift", "--notify"]);
    expect(first.code, first.stderr).toBe(2);
    let sns = await e2e.sb.sns.messages();
    expect(sns).toHaveLength(1);
    expect(sns[0]!.subject).toContain("HIGH");
    expect(sns[0]!.attributes).toMatchObject({ severity: { DataType: "String", StringValue: "HIGH" } });
    expect(received.map((r) => r.event)).toEqual(["opened"]);
    expect(received[0]!.violations.map((v) => v.violation_type)).toEqual(["rate_limit_changed"]);

    const second = await p.upg(["drift", "--notify"]);
    expect(second.code).toBe(2);
    expect(await e2e.sb.sns.messages()).toHaveLength(1);
    expect(received).toHaveLength(1);

    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    const third = await p.upg(["drift", "--notify"]);
    expect(third.code).toBe(0);
    sns = await e2e.sb.sns.messages();
    expect(sns).toHaveLength(2);
    expect(received.map((r) => r.event)).toEqual(["opened", "resolved"]);
  });

  it("a webhook that answers 500: the report is printed, the failure named, exit 1; the next run retries", async () => {
    const p = await project("webhook");
    await raiseRate("300");
    hookStatus = 500;
    const r = await p.upg(["drift", "--notify"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("rate_limit_changed");
    expect(r.stderr).toContain("Alert delivery failed:");
    expect(r.stderr).toContain("500");
    hookStatus = 200;
    const again = await p.upg(["drift", "--notify"]);
    expect(again.code).toBe(2);
    expect(received.map((x) => x.event)).toEqual(["opened"]);
  });

  it("an SNS topic in another region: the report is printed and the failed delivery named, exit 1", async () => {
    const p = await e2e.project({
      config: `alerts:\n  targets:\n    - { type: sns, topic_arn: "arn:aws:sns:eu-west-1:123456789012:upg-alerts" }\n`,
    });
    p.writePlan("basic.yaml", BASIC);
    expect((await p.upg(["init"])).code).toBe(0);
    expect((await p.upg(["apply", "--auto-approve"])).code).toBe(0);
    await raiseRate("400");
    await e2e.sb.sns.clearMessages();
    const r = await p.upg(["drift", "--notify"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("rate_limit_changed");
    expect(r.stderr).toContain("Alert delivery failed:");
    expect(r.stderr).toContain("arn:aws:sns:eu-west-1:123456789012:upg-alerts");
    expect(await e2e.sb.sns.messages()).toEqual([]);
  });

  it("--notify with no targets is refused before anything is read", async () => {
    const p = await e2e.project();
    p.writePlan("basic.yaml", BASIC);
    const r = await p.upg(["drift", "--notify"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("--notify: upg.config.yaml names no alert targets.");
  });
});

describe("alerts sent by apply", () => {
  it("'plan deleted and recovered' when apply recreates a plan; 'plan deprecated' when it deprecates one", async () => {
    const p = await project();
    const basic = await e2e.planByName("Basic");
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: basic.id,
        patchOperations: [{ op: "remove", path: "/apiStages", value: `${p.seed.restApiId}:prod` }],
      }),
    );
    await e2e.sdk.send(new DeleteUsagePlanCommand({ usagePlanId: basic.id }));
    const r = await p.upg(["apply", "--auto-approve"]);
    expect(r.code, r.stderr).toBe(0);
    expect(received.map((x) => x.event)).toEqual(["recovered"]);
    const sns = await e2e.sb.sns.messages();
    expect(sns.at(-1)!.message).toContain(basic.id!);

    p.writePlan("basic.yaml", `${BASIC}lifecycle_state: Deprecated\n`);
    const dep = await p.upg(["apply", "--auto-approve"]);
    expect(dep.code, dep.stderr).toBe(0);
    expect(received.map((x) => x.event)).toEqual(["recovered", "lifecycle"]);
  });
});
