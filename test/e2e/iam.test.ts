// Least privilege, proved: the sandbox checks every API Gateway and DynamoDB call against the policy
// `upg iam-policy` prints. The read-only commands work under the read-only policy, apply is refused there
// (naming the refused action) and writes nothing, and works under the full policy.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type E2E, type Project, startE2E } from "./harness.js";

const ALLOW_ALL = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

/** Every read-only command, as the CI job of a read-only role runs it (exit 0: nothing drifted). */
const READ_ONLY_COMMANDS: readonly (readonly string[])[] = [
  ["plan"],
  ["plan", "-o", "json"],
  ["status"],
  ["show", "basic"],
  ["audit", "verify"],
  ["history"],
  ["drift"],
];

const BASIC = `plan_id: basic
name: Basic
rate_limit: 100
burst_limit: 200
stages: [{ api_name: weather-api, stage: prod }]
keys: [globex-mobile]
tags: { team: weather }
`;

let e2e: E2E;
beforeAll(async () => {
  // The harness hands its options to startSandbox unchanged, iamPolicy included.
  e2e = await startE2E({ iamPolicy: ALLOW_ALL } as unknown as Parameters<typeof startE2E>[0]);
  e2e.sb.setIamPolicy(ALLOW_ALL); // throws unless the sandbox really checks policies
});
afterAll(async () => {
  await e2e?.stop();
});

async function policy(p: Project, args: string[]): Promise<unknown> {
  const r = await p.upg(["iam-policy", ...args, "-o", "json"]);
  expect(r.code, r.stderr).toBe(0);
  // The account comes from the sandbox's caller identity: no "could not be determined" note.
  expect(r.stderr).toBe("");
  return JSON.parse(r.stdout);
}

/** A project with `basic` applied under the policy for init + apply (which proves that one is enough). */
async function appliedProject(): Promise<Project> {
  const p = await e2e.project();
  e2e.sb.setIamPolicy(await policy(p, ["--init"]));
  p.writePlan("basic.yaml", BASIC);
  const init = await p.upg(["init"]);
  expect(init.code, init.stderr).toBe(0);
  const apply = await p.upg(["apply", "--auto-approve"]);
  expect(apply.code, apply.stderr + apply.stdout).toBe(0);
  return p;
}

describe("under the read-only policy", () => {
  it("the read-only commands work; apply is refused with the action named and writes nothing", async () => {
    const p = await appliedProject();
    p.writePlan("basic.yaml", BASIC.replace("rate_limit: 100", "rate_limit: 150"));
    e2e.sb.setIamPolicy(await policy(p, ["--read-only"]));

    for (const args of READ_ONLY_COMMANDS) {
      const r = await p.upg([...args]);
      expect(r.code, `upg ${args.join(" ")}\n${r.stderr}${r.stdout}`).toBe(0);
      expect(r.stderr).not.toMatch(/denied|not authorized/i);
    }
    const pending = await p.upg(["plan", "--detailed-exitcode"]);
    expect(pending.code).toBe(2);
    expect(pending.stdout).toContain("throttle.rateLimit: 100 → 150");

    const auditBefore = await p.store().listAudit();
    await e2e.sb.admin.resetCounters();
    const apply = await p.upg(["apply", "--auto-approve"]);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/Access denied: dynamodb:PutItem on table meta-\d+-\d+/);
    expect(apply.stderr).toContain(
      `User: arn:aws:iam::123456789012:user/sandbox is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:123456789012:table/${p.tables.metadata}`,
    );
    // Nothing was written: no API Gateway write was even attempted, the plan and the audit log are unchanged.
    const counters = await e2e.sb.admin.counters();
    const writes = Object.entries(counters).filter(([op, n]) => !/^Get/.test(op) && n > 0);
    expect(writes).toEqual([]);
    expect((await e2e.planByName("Basic")).throttle?.rateLimit).toBe(100);
    expect(await p.store().listAudit()).toEqual(auditBefore);
  });

  it("an API Gateway write the policy does not allow is refused by API Gateway, naming apigateway:PATCH", async () => {
    const p = await appliedProject();
    p.writePlan("basic.yaml", BASIC.replace("rate_limit: 100", "rate_limit: 150"));
    const full = (await policy(p, [])) as { Statement: unknown[] };
    e2e.sb.setIamPolicy({
      ...full,
      Statement: [...full.Statement, { Effect: "Deny", Action: "apigateway:PATCH", Resource: "*" }],
    });
    const apply = await p.upg(["apply", "--auto-approve"]);
    expect(apply.code).toBe(1);
    const out = apply.stdout + apply.stderr;
    expect(out).toMatch(
      /✗ update basic: Access denied: apigateway:PATCH \(UpdateUsagePlan\) on usage plan \w+/,
    );
    expect(out).toContain("Apply incomplete: 0 applied, 1 failed");
    expect((await e2e.planByName("Basic")).throttle?.rateLimit).toBe(100);
  });
});

describe("under the full policy", () => {
  it("apply works, and a second plan is empty", async () => {
    const p = await appliedProject();
    p.writePlan("basic.yaml", BASIC.replace("rate_limit: 100", "rate_limit: 150"));
    e2e.sb.setIamPolicy(await policy(p, []));
    const apply = await p.upg(["apply", "--auto-approve"]);
    expect(apply.code, apply.stderr + apply.stdout).toBe(0);
    expect((await e2e.planByName("Basic")).throttle?.rateLimit).toBe(150);
    const plan = await p.upg(["plan", "--detailed-exitcode"]);
    expect(plan.code, plan.stderr + plan.stdout).toBe(0);
  });

  it("upg init is refused without --init's TablesInit statement, naming dynamodb:CreateTable", async () => {
    const p = await e2e.project();
    e2e.sb.setIamPolicy(await policy(p, []));
    const init = await p.upg(["init"]);
    expect(init.code).toBe(1);
    expect(init.stderr).toContain("dynamodb:CreateTable");
  });
});
