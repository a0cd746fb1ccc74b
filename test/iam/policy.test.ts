// The policy builder: what each access level grants, for a config's regions, tables, account and topics;
// and the operation table stays complete: every SDK call in src/live and src/store is listed in it.

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  API_GATEWAY_OPERATIONS,
  buildIamPolicy,
  DYNAMO_OPERATIONS,
  DYNAMO_SDK_NAMES,
  type PolicyRequest,
  resourceMatches,
  snsTopicsOf,
} from "../../src/iam/index.js";
import { DEFAULT_CONFIG } from "../../src/spec/config.js";

const BASE: PolicyRequest = {
  access: "write",
  regions: ["us-east-1"],
  account: "123456789012",
  tables: { metadata: "meta", audit: "audit" },
  snsTopics: [],
};

const actionsOf = (req: PolicyRequest) =>
  buildIamPolicy(req)
    .Statement.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action]))
    .sort();

describe("buildIamPolicy", () => {
  it("read-only: GET on the usage plan, key, stage and tag paths; table reads; STS; nothing that writes", () => {
    const doc = buildIamPolicy({ ...BASE, access: "read" });
    expect(doc.Version).toBe("2012-10-17");
    expect(actionsOf({ ...BASE, access: "read" })).toEqual([
      "apigateway:GET",
      "dynamodb:DescribeTable",
      "dynamodb:GetItem",
      "dynamodb:Query",
      "dynamodb:Scan",
      "sts:GetCallerIdentity",
    ]);
    expect(doc.Statement[0]).toEqual({
      Sid: "ApiGatewayRead",
      Effect: "Allow",
      Action: "apigateway:GET",
      Resource: [
        "arn:aws:apigateway:us-east-1::/usageplans",
        "arn:aws:apigateway:us-east-1::/usageplans/*",
        "arn:aws:apigateway:us-east-1::/apikeys",
        "arn:aws:apigateway:us-east-1::/restapis",
        "arn:aws:apigateway:us-east-1::/restapis/*/stages",
        "arn:aws:apigateway:us-east-1::/tags/*",
      ],
    });
    expect(doc.Statement.find((s) => s.Sid === "TablesRead")?.Resource).toEqual([
      "arn:aws:dynamodb:us-east-1:123456789012:table/meta",
      "arn:aws:dynamodb:us-east-1:123456789012:table/audit",
    ]);
  });

  it("full: one statement per API Gateway verb on exactly its paths, the table writes, no table management", () => {
    const doc = buildIamPolicy(BASE);
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    expect(bySid.ApiGatewayCreate?.Resource).toEqual([
      "arn:aws:apigateway:us-east-1::/usageplans",
      "arn:aws:apigateway:us-east-1::/usageplans/*/keys",
      "arn:aws:apigateway:us-east-1::/apikeys",
    ]);
    // /usageplans/* also covers UpdateUsage's /usageplans/*/keys/*/usage.
    expect(bySid.ApiGatewayUpdate?.Resource).toEqual([
      "arn:aws:apigateway:us-east-1::/usageplans/*",
      "arn:aws:apigateway:us-east-1::/apikeys/*",
    ]);
    expect(bySid.ApiGatewayDelete?.Resource).toEqual([
      "arn:aws:apigateway:us-east-1::/usageplans/*",
      "arn:aws:apigateway:us-east-1::/tags/*",
      "arn:aws:apigateway:us-east-1::/apikeys/*",
    ]);
    expect(bySid.ApiGatewayTag?.Resource).toBe("arn:aws:apigateway:us-east-1::/tags/*");
    expect(bySid.TablesWrite?.Action).toEqual([
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
      "dynamodb:BatchWriteItem",
    ]);
    expect(bySid.TablesInit).toBeUndefined();
    expect(actionsOf(BASE)).not.toContain("dynamodb:CreateTable");
  });

  it("init adds the TablesInit statement only", () => {
    const full = buildIamPolicy(BASE);
    const init = buildIamPolicy({ ...BASE, access: "init" });
    expect(init.Statement.filter((s) => s.Sid !== "TablesInit")).toEqual(full.Statement);
    expect(init.Statement.find((s) => s.Sid === "TablesInit")?.Action).toEqual([
      "dynamodb:CreateTable",
      "dynamodb:UpdateTable",
      "dynamodb:DescribeContinuousBackups",
      "dynamodb:UpdateContinuousBackups",
    ]);
  });

  it("every region of the config, its partition, an unknown account as *, and the SNS alert topics", () => {
    const doc = buildIamPolicy({
      ...BASE,
      access: "read",
      regions: ["eu-west-1", "cn-north-1"],
      account: "*",
      snsTopics: ["arn:aws:sns:eu-west-1:123456789012:upg-alerts"],
    });
    const bySid = Object.fromEntries(doc.Statement.map((s) => [s.Sid, s]));
    expect(bySid.ApiGatewayRead?.Resource).toContain("arn:aws-cn:apigateway:cn-north-1::/usageplans");
    expect(bySid.TablesRead?.Resource).toEqual([
      "arn:aws:dynamodb:eu-west-1:*:table/meta",
      "arn:aws:dynamodb:eu-west-1:*:table/audit",
      "arn:aws-cn:dynamodb:cn-north-1:*:table/meta",
      "arn:aws-cn:dynamodb:cn-north-1:*:table/audit",
    ]);
    expect(bySid.DriftAlertState).toBeUndefined();
    const withState = buildIamPolicy({ ...BASE, access: "read", alertState: true });
    expect(withState.Statement.find((x) => x.Sid === "DriftAlertState")).toEqual({
      Sid: "DriftAlertState",
      Effect: "Allow",
      Action: "dynamodb:UpdateItem",
      Resource: `arn:aws:dynamodb:${BASE.regions[0]}:${BASE.account}:table/meta`,
    });
    // The full policy already writes both tables.
    expect(
      buildIamPolicy({ ...BASE, access: "write", alertState: true }).Statement.map((x) => x.Sid),
    ).not.toContain("DriftAlertState");
    expect(bySid.DriftAlerts).toEqual({
      Sid: "DriftAlerts",
      Effect: "Allow",
      Action: "sns:Publish",
      Resource: "arn:aws:sns:eu-west-1:123456789012:upg-alerts",
    });
  });

  it("snsTopicsOf takes the sns targets of the config, once each", () => {
    const topic = "arn:aws:sns:us-east-1:123456789012:upg-alerts";
    expect(
      snsTopicsOf({
        alerts: {
          ...DEFAULT_CONFIG.alerts,
          targets: [
            { type: "sns", topic_arn: topic },
            { type: "webhook", url: "https://example.com/hook" },
            { type: "sns", topic_arn: topic },
          ],
        },
      }),
    ).toEqual([topic]);
    expect(snsTopicsOf(DEFAULT_CONFIG)).toEqual([]);
  });

  it("each API Gateway operation's path is granted its verb by the statement of its access level", () => {
    for (const op of API_GATEWAY_OPERATIONS) {
      const path = op.path.replaceAll("*", "abc123");
      const granting = (access: PolicyRequest["access"]) =>
        buildIamPolicy({ ...BASE, access }).Statement.some(
          (s) =>
            s.Action === `apigateway:${op.verb}` &&
            [s.Resource].flat().some((r) => resourceMatches(r, `arn:aws:apigateway:us-east-1::${path}`)),
        );
      expect(granting(op.access), `${op.operation} ${op.verb} ${op.path}`).toBe(true);
      if (op.access === "write") expect(granting("read"), `${op.operation} in read-only`).toBe(false);
    }
  });
});

/** `new XCommand(` and `paginateX(` in the files of a folder. */
function sdkCallsIn(dir: string): Set<string> {
  const calls = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".ts"))) {
    const text = readFileSync(join(dir, f), "utf8");
    for (const m of text.matchAll(/new (\w+)Command\(/g)) calls.add(`${m[1]}Command`);
    for (const m of text.matchAll(/\b(paginate\w+)\(/g)) calls.add(m[1]!);
  }
  return calls;
}

describe("the operation table covers the code", () => {
  it("every API Gateway call in src/live is listed (or is STS's GetCallerIdentity)", () => {
    const listed = new Set(API_GATEWAY_OPERATIONS.map((o) => `${o.operation}Command`));
    const calls = [...sdkCallsIn("src/live")].filter((c) => !c.startsWith("paginate"));
    expect(calls.length).toBeGreaterThan(5);
    const missing = calls.filter((c) => !listed.has(c) && c !== "GetCallerIdentityCommand");
    expect(missing, "add these to API_GATEWAY_OPERATIONS in src/iam/operations.ts").toEqual([]);
  });

  it("every DynamoDB call in src/store is listed", () => {
    const actions = new Set(DYNAMO_OPERATIONS.map((o) => o.action));
    const calls = [...sdkCallsIn("src/store")];
    expect(calls.length).toBeGreaterThan(5);
    const missing = calls.filter((c) => !actions.has(DYNAMO_SDK_NAMES[c] ?? ""));
    expect(missing, "add these to DYNAMO_OPERATIONS / DYNAMO_SDK_NAMES in src/iam/operations.ts").toEqual([]);
  });
});
