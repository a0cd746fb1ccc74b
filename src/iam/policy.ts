// The IAM policy upg needs, for a project's regions, tables, account and alert topics. Pure: no SDK, no clock.

import type { UpgConfig } from "../model/spec.js";
import { resourceMatches } from "./match.js";
import {
  ACCESS_COMMANDS,
  type Access,
  API_GATEWAY_OPERATIONS,
  type ApiGatewayVerb,
  accessIncludes,
  DYNAMO_OPERATIONS,
} from "./operations.js";

export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Action: string | string[];
  Resource: string | string[];
}

export interface PolicyDocument {
  Version: "2012-10-17";
  Statement: PolicyStatement[];
}

export interface PolicyRequest {
  /** read: the read-only commands; write: also apply, drift --fix, unlock; init: also `upg init`. */
  access: Access;
  regions: readonly string[];
  /** 12 digits, or "*" when unknown. */
  account: string;
  tables: UpgConfig["tables"];
  /** SNS topic ARNs alerts are published to. */
  snsTopics: readonly string[];
  /**
   * Alert targets are configured: `upg drift --notify` records what it alerted (one UpdateItem per violation
   * on the metadata table), so even the read-only policy needs that one write.
   */
  alertState?: boolean;
}

/** The partition of a region: aws, aws-cn (cn-*), aws-us-gov (us-gov-*). */
export function partitionOf(region: string): string {
  if (region.startsWith("cn-")) return "aws-cn";
  if (region.startsWith("us-gov-")) return "aws-us-gov";
  return "aws";
}

export function apiGatewayArn(region: string, path: string): string {
  return `arn:${partitionOf(region)}:apigateway:${region}::${path}`;
}

export function dynamoTableArn(region: string, account: string, table: string): string {
  return `arn:${partitionOf(region)}:dynamodb:${region}:${account}:table/${table}`;
}

/** The SNS topics of a config's alert targets, sorted and without duplicates. */
export function snsTopicsOf(config: Pick<UpgConfig, "alerts">): string[] {
  const arns = config.alerts.targets.flatMap((t) => (t.type === "sns" ? [t.topic_arn] : []));
  return [...new Set(arns)].sort();
}

/** Drop every pattern another one in the list already covers (`/usageplans/*` covers `/usageplans/*\/keys`). */
function withoutCovered(patterns: readonly string[]): string[] {
  const unique = [...new Set(patterns)];
  return unique.filter((p) => !unique.some((q) => q !== p && resourceMatches(q, p)));
}

const one = (list: readonly string[]): string | string[] => (list.length === 1 ? list[0]! : [...list]);

const VERB_SIDS: Readonly<Record<ApiGatewayVerb, string>> = {
  GET: "ApiGatewayRead",
  POST: "ApiGatewayCreate",
  PATCH: "ApiGatewayUpdate",
  DELETE: "ApiGatewayDelete",
  PUT: "ApiGatewayTag",
};
const VERB_ORDER: readonly ApiGatewayVerb[] = ["GET", "POST", "PATCH", "DELETE", "PUT"];

function apiGatewayStatements(req: PolicyRequest): PolicyStatement[] {
  const ops = API_GATEWAY_OPERATIONS.filter((o) => accessIncludes(req.access, o.access));
  return VERB_ORDER.flatMap((verb) => {
    const paths = withoutCovered(ops.filter((o) => o.verb === verb).map((o) => o.path));
    if (paths.length === 0) return [];
    const resources = req.regions.flatMap((region) => paths.map((p) => apiGatewayArn(region, p)));
    return [
      { Sid: VERB_SIDS[verb], Effect: "Allow", Action: `apigateway:${verb}`, Resource: one(resources) },
    ];
  });
}

const TABLE_SIDS: Readonly<Record<Access, string>> = {
  read: "TablesRead",
  write: "TablesWrite",
  init: "TablesInit",
};

function dynamoStatements(req: PolicyRequest): PolicyStatement[] {
  const tables = [req.tables.metadata, req.tables.audit];
  const resources = req.regions.flatMap((region) =>
    tables.map((t) => dynamoTableArn(region, req.account, t)),
  );
  return (["read", "write", "init"] as const).flatMap((access) => {
    if (!accessIncludes(req.access, access)) return [];
    const actions = DYNAMO_OPERATIONS.filter((o) => o.access === access).map((o) => `dynamodb:${o.action}`);
    return [{ Sid: TABLE_SIDS[access], Effect: "Allow", Action: one(actions), Resource: one(resources) }];
  });
}

/** The policy document: one statement per API Gateway verb, per table access level, STS, and SNS alerts. */
export function buildIamPolicy(req: PolicyRequest): PolicyDocument {
  const statements: PolicyStatement[] = [
    ...apiGatewayStatements(req),
    ...dynamoStatements(req),
    // GetCallerIdentity cannot be limited to a resource.
    { Sid: "CallerIdentity", Effect: "Allow", Action: "sts:GetCallerIdentity", Resource: "*" },
  ];
  if (req.alertState && !accessIncludes(req.access, "write")) {
    statements.push({
      Sid: "DriftAlertState",
      Effect: "Allow",
      Action: "dynamodb:UpdateItem",
      Resource: one(req.regions.map((region) => dynamoTableArn(region, req.account, req.tables.metadata))),
    });
  }
  if (req.snsTopics.length > 0) {
    statements.push({
      Sid: "DriftAlerts",
      Effect: "Allow",
      Action: "sns:Publish",
      Resource: one(req.snsTopics),
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}

/** The commands a policy of this access level covers. */
export function commandsCovered(access: Access): string[] {
  return (["read", "write", "init"] as const).flatMap((a) =>
    accessIncludes(access, a) ? ACCESS_COMMANDS[a] : [],
  );
}

/** The document as `upg iam-policy` prints it (and the README shows it). */
export function renderPolicyJson(doc: PolicyDocument): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
