// `upg iam-policy` through the built CLI: the README's policy is its output for the default project, and the
// account comes from --account, else the caller identity, else `*` with a note.

import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { buildIamPolicy, renderPolicyJson } from "../../src/iam/index.js";
import { DEFAULT_CONFIG } from "../../src/spec/config.js";
import { runCli } from "../helpers/cli.js";
import { tmpTree } from "../helpers/tmp.js";

/** No credentials anywhere and an STS endpoint that refuses connections: the account cannot be known. */
const NO_AWS = {
  AWS_PROFILE: undefined,
  AWS_ENDPOINT_URL_API_GATEWAY: undefined,
  AWS_ENDPOINT_URL_DYNAMODB: undefined,
  AWS_ENDPOINT_URL_STS: "http://127.0.0.1:9",
  AWS_ACCESS_KEY_ID: "x",
  AWS_SECRET_ACCESS_KEY: "x",
  AWS_REGION: "us-east-1",
};

async function iamPolicy(args: string[], files: Record<string, string> = {}) {
  const t = tmpTree(files);
  try {
    return await runCli(["iam-policy", ...args], { cwd: t.dir, env: NO_AWS });
  } finally {
    t.cleanup();
  }
}

function readmePolicy(): string {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("### IAM permissions"));
  const m = /```json\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error("README: no json block in the IAM permissions section");
  return m[1]!;
}

describe("upg iam-policy", () => {
  it("the README's policy is exactly `upg iam-policy --account 123456789012 -o json` for the default project", async () => {
    const r = await iamPolicy(["--account", "123456789012", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect(readmePolicy()).toBe(r.stdout);
    expect(r.stdout).toBe(
      renderPolicyJson(
        buildIamPolicy({
          access: "write",
          regions: DEFAULT_CONFIG.regions,
          account: "123456789012",
          tables: DEFAULT_CONFIG.tables,
          snsTopics: [],
        }),
      ),
    );
  });

  it("uses the project's tables, regions and SNS topics; human output explains on stderr", async () => {
    const r = await iamPolicy(["--read-only", "--account", "210987654321"], {
      "upg.config.yaml": [
        "regions: [eu-west-1, eu-central-1]",
        "tables: { metadata: team-meta, audit: team-audit }",
        "alerts: { targets: [{ type: sns, topic_arn: 'arn:aws:sns:eu-west-1:210987654321:upg-alerts' }] }",
      ].join("\n"),
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { Statement: { Sid: string; Action: unknown; Resource: unknown }[] };
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    expect(Object.keys(bySid)).toEqual([
      "ApiGatewayRead",
      "TablesRead",
      "CallerIdentity",
      "DriftAlertState",
      "DriftAlerts",
    ]);
    // With alert targets, `drift --notify` records what it alerted: one UpdateItem on the metadata table.
    expect(bySid.DriftAlertState).toMatchObject({
      Action: "dynamodb:UpdateItem",
      Resource: [
        "arn:aws:dynamodb:eu-west-1:210987654321:table/team-meta",
        "arn:aws:dynamodb:eu-central-1:210987654321:table/team-meta",
      ],
    });
    expect(bySid.TablesRead?.Resource).toEqual([
      "arn:aws:dynamodb:eu-west-1:210987654321:table/team-meta",
      "arn:aws:dynamodb:eu-west-1:210987654321:table/team-audit",
      "arn:aws:dynamodb:eu-central-1:210987654321:table/team-meta",
      "arn:aws:dynamodb:eu-central-1:210987654321:table/team-audit",
    ]);
    expect(bySid.DriftAlerts?.Resource).toBe("arn:aws:sns:eu-west-1:210987654321:upg-alerts");
    expect(r.stderr).toContain(
      "IAM policy (read-only) for: plan, status, show, drift, audit verify, history, keys list, usage, lifecycle status, import.",
    );
    expect(r.stderr).toContain("Regions eu-west-1, eu-central-1; account 210987654321 (from --account)");
  });

  it("--region narrows the policy to that region", async () => {
    const r = await iamPolicy(["--region", "ap-southeast-2", "--account", "123456789012", "-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("arn:aws:apigateway:ap-southeast-2::/usageplans");
    expect(r.stdout).not.toContain("us-east-1");
  });

  it("an account that cannot be known becomes * with a note on stderr", async () => {
    const r = await iamPolicy(["-o", "json"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("arn:aws:dynamodb:us-east-1:*:table/usage-plans-metadata");
    expect(r.stderr).toContain("the AWS account could not be determined");
    expect(r.stderr).toContain("--account ID");
  });

  it("bad input: a malformed --account, --read-only with --init", async () => {
    const bad = await iamPolicy(["--account", "12345"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('Invalid --account "12345".');
    const both = await iamPolicy(["--read-only", "--init", "--account", "123456789012"]);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain("--read-only and --init cannot be combined.");
    expect(both.stdout).toBe("");
  });
});
