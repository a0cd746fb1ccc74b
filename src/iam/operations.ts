// Every AWS operation upg calls, with the IAM action and resource it needs and the least access level of a
// command that calls it. The policy `upg iam-policy` prints is built from this table only, and a test checks
// that every SDK command in src/live and src/store is listed here, so the policy cannot fall behind the code.

/** read: plan, status, show, drift, audit verify, history. write: apply, drift --fix, unlock. init: init. */
export type Access = "read" | "write" | "init";

export const ACCESS_COMMANDS: Readonly<Record<Access, readonly string[]>> = {
  read: [
    "plan",
    "status",
    "show",
    "drift",
    "audit verify",
    "history",
    "keys list",
    "usage",
    "lifecycle status",
    "import",
  ],
  write: [
    "apply",
    "drift --fix",
    "unlock",
    "migrate",
    "keys create|import|rotate|enable|disable|delete",
    "usage extend",
    // Its dry run (without --confirm) reads only: the read-only policy is enough for it.
    "cleanup --confirm",
  ],
  init: ["init"],
};

export type ApiGatewayVerb = "GET" | "POST" | "PATCH" | "PUT" | "DELETE";

/**
 * API Gateway's IAM actions are the HTTP verbs (`apigateway:PATCH`) and its resources are the request paths
 * (`arn:aws:apigateway:REGION::/usageplans/ID`); a tag request's resource is `/tags/` + the URL-encoded ARN.
 */
export interface ApiGatewayOperation {
  operation: string;
  verb: ApiGatewayVerb;
  /** The request path with `*` for each id. */
  path: string;
  access: Access;
}

export const API_GATEWAY_OPERATIONS: readonly ApiGatewayOperation[] = [
  { operation: "GetUsagePlans", verb: "GET", path: "/usageplans", access: "read" },
  { operation: "GetUsagePlan", verb: "GET", path: "/usageplans/*", access: "read" },
  { operation: "GetUsagePlanKeys", verb: "GET", path: "/usageplans/*/keys", access: "read" },
  { operation: "GetUsagePlanKey", verb: "GET", path: "/usageplans/*/keys/*", access: "read" },
  { operation: "GetApiKeys", verb: "GET", path: "/apikeys", access: "read" },
  { operation: "GetRestApis", verb: "GET", path: "/restapis", access: "read" },
  { operation: "GetStages", verb: "GET", path: "/restapis/*/stages", access: "read" },
  { operation: "GetTags", verb: "GET", path: "/tags/*", access: "read" },
  { operation: "GetUsage", verb: "GET", path: "/usageplans/*/usage", access: "read" },
  { operation: "CreateUsagePlan", verb: "POST", path: "/usageplans", access: "write" },
  // Tags given at creation are authorized as a tag request as well (AWS lists PUT beside POST for creates).
  { operation: "CreateUsagePlan", verb: "PUT", path: "/tags/*", access: "write" },
  { operation: "UpdateUsagePlan", verb: "PATCH", path: "/usageplans/*", access: "write" },
  { operation: "DeleteUsagePlan", verb: "DELETE", path: "/usageplans/*", access: "write" },
  { operation: "CreateUsagePlanKey", verb: "POST", path: "/usageplans/*/keys", access: "write" },
  { operation: "DeleteUsagePlanKey", verb: "DELETE", path: "/usageplans/*/keys/*", access: "write" },
  { operation: "TagResource", verb: "PUT", path: "/tags/*", access: "write" },
  { operation: "UntagResource", verb: "DELETE", path: "/tags/*", access: "write" },
  { operation: "CreateApiKey", verb: "POST", path: "/apikeys", access: "write" },
  // ImportApiKeys is POST /apikeys?mode=import: the same IAM resource.
  { operation: "ImportApiKeys", verb: "POST", path: "/apikeys", access: "write" },
  { operation: "UpdateApiKey", verb: "PATCH", path: "/apikeys/*", access: "write" },
  { operation: "DeleteApiKey", verb: "DELETE", path: "/apikeys/*", access: "write" },
  { operation: "UpdateUsage", verb: "PATCH", path: "/usageplans/*/keys/*/usage", access: "write" },
];

/** DynamoDB actions, each on both tables (master records + lock + journal + audit head; audit rows). */
export interface DynamoOperation {
  action: string;
  access: Access;
  /** What upg uses it for, for the README and --help. */
  why: string;
}

export const DYNAMO_OPERATIONS: readonly DynamoOperation[] = [
  { action: "DescribeTable", access: "read", why: "check that the tables exist" },
  { action: "GetItem", access: "read", why: "a master record, the lock, the audit head" },
  { action: "Query", access: "read", why: "the audit log" },
  { action: "Scan", access: "read", why: "all master records" },
  { action: "PutItem", access: "write", why: "master records, the lock, audit rows" },
  { action: "UpdateItem", access: "write", why: "lock renewal, the apply journal, the audit head" },
  { action: "DeleteItem", access: "write", why: "lock release, removed records" },
  { action: "BatchWriteItem", access: "write", why: "audit rows written in batches" },
  { action: "CreateTable", access: "init", why: "create the tables" },
  { action: "UpdateTable", access: "init", why: "deletion protection, encryption" },
  { action: "DescribeContinuousBackups", access: "init", why: "read point-in-time recovery" },
  { action: "UpdateContinuousBackups", access: "init", why: "turn on point-in-time recovery" },
];

/** The SDK command names (client-dynamodb and lib-dynamodb) of each DynamoDB action. */
export const DYNAMO_SDK_NAMES: Readonly<Record<string, string>> = {
  GetCommand: "GetItem",
  PutCommand: "PutItem",
  UpdateCommand: "UpdateItem",
  DeleteCommand: "DeleteItem",
  BatchWriteCommand: "BatchWriteItem",
  QueryCommand: "Query",
  paginateQuery: "Query",
  ScanCommand: "Scan",
  paginateScan: "Scan",
  DescribeTableCommand: "DescribeTable",
  CreateTableCommand: "CreateTable",
  UpdateTableCommand: "UpdateTable",
  DescribeContinuousBackupsCommand: "DescribeContinuousBackups",
  UpdateContinuousBackupsCommand: "UpdateContinuousBackups",
};

export const ACCESS_ORDER: readonly Access[] = ["read", "write", "init"];

/** True when an operation of `needed` access is part of a policy for `granted`. */
export function accessIncludes(granted: Access, needed: Access): boolean {
  if (granted === "init") return true;
  return ACCESS_ORDER.indexOf(needed) <= ACCESS_ORDER.indexOf(granted);
}
