/**
 * IAM policy evaluation for the sandbox (`upg sandbox --iam-policy FILE`, `startSandbox({ iamPolicy })`): every
 * API Gateway request, every DynamoDB request and every SNS publish is checked against one identity policy, and
 * refused with AccessDeniedException in each service's own shape. Allow/Deny statements with Action and
 * Resource (`*` and `?` wildcards); an explicit Deny wins; no matching Allow is a deny. Conditions, NotAction,
 * NotResource and Principal are refused when the policy is loaded rather than half-evaluated.
 */

import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { Readable } from "node:stream";
import { UserError } from "../errors.js";
import { actionMatches, resourceMatches } from "../iam/match.js";
import { partitionOf } from "../iam/policy.js";
import { ApiError } from "./errors.js";

export interface SandboxPolicyStatement {
  effect: "Allow" | "Deny";
  actions: string[];
  resources: string[];
}

export interface SandboxPolicy {
  statements: SandboxPolicyStatement[];
}

export type Decision = "allow" | "explicit-deny" | "implicit-deny";

const UNSUPPORTED = ["NotAction", "NotResource", "Condition", "Principal", "NotPrincipal"] as const;

function stringList(value: unknown, what: string): string[] {
  const list = typeof value === "string" ? [value] : value;
  if (!Array.isArray(list) || list.length === 0 || !list.every((v) => typeof v === "string" && v !== "")) {
    throw new Error(`${what} must be a string or a non-empty list of strings.`);
  }
  return list as string[];
}

/** Validate an IAM policy document (the parsed JSON); throws an Error that says what is wrong. */
export function parseIamPolicy(doc: unknown): SandboxPolicy {
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new Error("An IAM policy must be a JSON object with a Statement.");
  }
  const raw = (doc as { Statement?: unknown }).Statement;
  const list = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  if (list.length === 0) throw new Error("The IAM policy has no Statement.");
  const statements = list.map((s, i): SandboxPolicyStatement => {
    const where = `Statement ${i + 1}`;
    if (typeof s !== "object" || s === null) throw new Error(`${where} must be an object.`);
    const st = s as Record<string, unknown>;
    for (const key of UNSUPPORTED) {
      if (key in st) throw new Error(`${where}: ${key} is not supported by the sandbox's policy evaluation.`);
    }
    if (st.Effect !== "Allow" && st.Effect !== "Deny")
      throw new Error(`${where}: Effect must be Allow or Deny.`);
    return {
      effect: st.Effect,
      actions: stringList(st.Action, `${where}: Action`),
      resources: stringList(st.Resource, `${where}: Resource`),
    };
  });
  return { statements };
}

/** Read a policy file and check it; returns the document. The error names the file. */
export function loadIamPolicyFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new UserError(`Cannot read the IAM policy file ${path}: ${(err as Error).message}`);
  }
  try {
    const doc: unknown = JSON.parse(text);
    parseIamPolicy(doc);
    return doc;
  } catch (err) {
    throw new UserError(`IAM policy file ${path}: ${(err as Error).message}`, {
      hint: "Give a JSON IAM policy with Allow/Deny statements of Action and Resource, e.g. `upg iam-policy -o json`.",
    });
  }
}

/** IAM's evaluation for one identity policy: an explicit Deny wins, then any Allow, else deny. */
export function evaluatePolicy(policy: SandboxPolicy, action: string, resource: string): Decision {
  const applies = (s: SandboxPolicyStatement) =>
    s.actions.some((a) => actionMatches(a, action)) && s.resources.some((r) => resourceMatches(r, resource));
  const matching = policy.statements.filter(applies);
  if (matching.some((s) => s.effect === "Deny")) return "explicit-deny";
  return matching.some((s) => s.effect === "Allow") ? "allow" : "implicit-deny";
}

const JSON_HEADERS = { "Content-Type": "application/x-amz-json-1.0" };

/** The policy of one sandbox, replaceable while it runs (`Sandbox.setIamPolicy`). */
export class SandboxIam {
  readonly principal: string;
  private policy: SandboxPolicy;

  constructor(
    readonly where: { region: string; accountId: string },
    policy: unknown,
  ) {
    this.principal = `arn:aws:iam::${where.accountId}:user/sandbox`;
    this.policy = parseIamPolicy(policy);
  }

  setPolicy(doc: unknown): void {
    this.policy = parseIamPolicy(doc);
  }

  /** AWS's message for a refused call, or undefined when the policy allows it. */
  denial(action: string, resource: string, shownAction = action): string | undefined {
    const decision = evaluatePolicy(this.policy, action, resource);
    if (decision === "allow") return undefined;
    const why =
      decision === "explicit-deny"
        ? " with an explicit deny in an identity-based policy"
        : ` because no identity-based policy allows the ${shownAction} action`;
    return `User: ${this.principal} is not authorized to perform: ${shownAction} on resource: ${resource}${why}`;
  }

  /** API Gateway: `apigateway:VERB` on `arn:aws:apigateway:REGION::PATH`; throws 403 AccessDeniedException. */
  checkApiGateway(method: string, rawPath: string, region = this.where.region): void {
    const resource = `arn:${partitionOf(region)}:apigateway:${region}::${rawPath}`;
    const message = this.denial(`apigateway:${method.toUpperCase()}`, resource);
    if (message) throw new ApiError(403, "AccessDeniedException", message);
  }

  private tableArn(table: string, where = this.where): string {
    const { region, accountId } = where;
    return `arn:${partitionOf(region)}:dynamodb:${region}:${accountId}:table/${table}`;
  }

  /** DynamoDB: the X-Amz-Target action on every table the request names; the refusal's message, if any. */
  dynamoDenial(target: string | undefined, body: Buffer, where = this.where): string | undefined {
    const action = target?.split(".")[1];
    if (!action) return undefined; // dynalite answers what it cannot read
    let input: Record<string, unknown>;
    try {
      input = JSON.parse(body.toString("utf8") || "{}") as Record<string, unknown>;
    } catch {
      return undefined;
    }
    const tables = tablesOf(input);
    const resources =
      tables.length > 0 ? tables.map((t) => this.tableArn(t, where)) : [this.tableArn("*", where)];
    for (const resource of resources) {
      const message = this.denial(`dynamodb:${action}`, resource);
      if (message) return message;
    }
    return undefined;
  }

  /**
   * SNS (query protocol): `sns:Publish` on the topic ARN. Returns the 403 AuthorizationError answer to send,
   * or undefined when allowed. For the sandbox's SNS handler: `const denied = iam?.snsDenial(action, topicArn)`.
   */
  snsDenial(action: string, topicArn: string): { status: number; body: string } | undefined {
    const message = this.denial(`sns:${action}`, topicArn, `SNS:${action}`);
    if (!message) return undefined;
    const body =
      '<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>Sender</Type>' +
      `<Code>AuthorizationError</Code><Message>${xmlEscape(message)}</Message></Error>` +
      `<RequestId>${randomUUID()}</RequestId></ErrorResponse>`;
    return { status: 403, body };
  }

  /**
   * Put the policy check in front of dynalite's HTTP server: the body is read, checked, then either refused
   * (400 AccessDeniedException, as DynamoDB answers) or replayed to dynalite unchanged. `where`: the
   * account-region whose tables that dynalite holds (the table ARNs checked).
   */
  gateDynamo(server: Server, where = this.where): void {
    const handlers = server.listeners("request") as RequestListener[];
    server.removeAllListeners("request");
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("error", () => res.destroy());
      req.on("end", () => {
        const body = Buffer.concat(chunks);
        const target = req.headers["x-amz-target"];
        const message =
          req.method === "POST" ? this.dynamoDenial(String(target ?? ""), body, where) : undefined;
        if (message) {
          const text = JSON.stringify({
            __type: "com.amazon.coral.service#AccessDeniedException",
            Message: message,
          });
          res
            .writeHead(400, {
              ...JSON_HEADERS,
              "x-amzn-RequestId": randomUUID(),
              "Content-Length": String(Buffer.byteLength(text)),
            })
            .end(text);
          return;
        }
        const replay = Object.assign(Readable.from(body.length > 0 ? [body] : []), {
          headers: req.headers,
          method: req.method,
          url: req.url,
          socket: req.socket,
        });
        for (const h of handlers) h.call(server, replay as unknown as IncomingMessage, res);
      });
    });
  }
}

/** The tables a DynamoDB request names: TableName, RequestItems (batch), TransactItems. */
function tablesOf(input: Record<string, unknown>): string[] {
  const tables = new Set<string>();
  if (typeof input.TableName === "string") tables.add(input.TableName);
  const items = input.RequestItems;
  if (items && typeof items === "object") for (const t of Object.keys(items)) tables.add(t);
  if (Array.isArray(input.TransactItems)) {
    for (const item of input.TransactItems) {
      for (const op of Object.values((item ?? {}) as Record<string, unknown>)) {
        const name = (op as { TableName?: unknown } | null)?.TableName;
        if (typeof name === "string") tables.add(name);
      }
    }
  }
  return [...tables];
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}
