/**
 * STS in the sandbox, on the API Gateway port under `/sts` (AWS_ENDPOINT_URL_STS=http://HOST:PORT/sts): the
 * query protocol with AWS's XML answers and errors, `AssumeRole` and `GetCallerIdentity`.
 *
 * Who a request comes from: the access key of its SigV4 `Authorization` header. A key handed out by AssumeRole
 * belongs to the role's account (and is the role's session); any other key is the sandbox's default user
 * `arn:aws:iam::DEFAULT_ACCOUNT:user/sandbox`. Issued keys live in memory: after a restart they are the default
 * user's again (they would have expired on AWS too, in at most 12 hours).
 *
 * Every role can be assumed unless told otherwise through `PUT /_sandbox/sts/roles` (`{"roleArn": …,
 * "assumable": false}` → 403 AccessDenied; `{"roleArn": …, "externalId": "x"}` → AccessDenied unless the caller
 * passes that ExternalId) or the `roles` start option. `GET /_sandbox/sts/roles` lists them; `DELETE` forgets them.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { z } from "zod";
import { fail } from "./errors.js";
import type { ApiResponse } from "./router.js";
import { QueryParams, tag, text } from "./sns/query.js";
import { parseJsonObject } from "./validate.js";

export const STS_PATH = "/sts";
export const STS_ADMIN_PREFIX = "/_sandbox/sts/";
const STS_XMLNS = "https://sts.amazonaws.com/doc/2011-06-15/";

/** How the sandbox treats one role when it is assumed. */
export interface RoleRule {
  roleArn: string;
  /** False: AssumeRole is refused with 403 AccessDenied. Default true. */
  assumable?: boolean;
  /** When set, AssumeRole must pass this ExternalId (else 403 AccessDenied), as a role's trust policy can ask. */
  externalId?: string;
}

/** The caller of a request: its account, and its ARN for GetCallerIdentity and error messages. */
export interface Caller {
  accountId: string;
  arn: string;
  userId: string;
}

interface Issued extends Caller {
  secretAccessKey: string;
  expiresAt: number;
}

const ROLE_ARN_RE = /^arn:(aws[a-z-]*):iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*([\w+=,.@-]{1,64})$/;
const SESSION_RE = /^[\w+=,.@-]{2,64}$/;
const CREDENTIAL_RE = /Credential=([^/,\s]+)\/\d{8}\/([a-z0-9-]+)\/[a-z0-9-]+\/aws4_request/;

/** The access key and region of a request's SigV4 credential scope (undefined when unsigned). */
export function credentialScope(req: IncomingMessage): { accessKeyId: string; region: string } | undefined {
  const m = CREDENTIAL_RE.exec(req.headers.authorization ?? "");
  return m ? { accessKeyId: m[1] as string, region: m[2] as string } : undefined;
}

const uppercase = (bytes: number, length: number) =>
  randomBytes(bytes)
    .toString("base64")
    .replace(/[^A-Za-z0-9]/g, "")
    .toUpperCase()
    .padEnd(length, "X")
    .slice(0, length);

export class StsError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Issued credentials and role rules. */
export class StsState {
  private readonly issued = new Map<string, Issued>();
  private readonly roles = new Map<string, RoleRule>();
  readonly defaultCaller: Caller;

  constructor(
    readonly defaultAccountId: string,
    rules: readonly RoleRule[] = [],
  ) {
    this.defaultCaller = {
      accountId: defaultAccountId,
      arn: `arn:aws:iam::${defaultAccountId}:user/sandbox`,
      userId: "AIDASANDBOXDEFAULTUSER",
    };
    for (const r of rules) this.setRole(r);
  }

  /** The caller an access key stands for (the default user for any key the sandbox did not hand out). */
  callerOf(accessKeyId: string | undefined): Caller {
    const issued = accessKeyId === undefined ? undefined : this.issued.get(accessKeyId);
    return issued ?? this.defaultCaller;
  }

  /** The account of a request (the default account when unsigned or signed with a key not handed out here). */
  accountOf(req: IncomingMessage): string {
    return this.callerOf(credentialScope(req)?.accessKeyId).accountId;
  }

  setRole(rule: RoleRule): void {
    if (!ROLE_ARN_RE.test(rule.roleArn)) {
      throw new Error(`Not a role ARN: ${rule.roleArn} (expected arn:aws:iam::ACCOUNT:role/NAME)`);
    }
    this.roles.set(rule.roleArn, { ...rule });
  }

  listRoles(): RoleRule[] {
    return [...this.roles.values()];
  }

  resetRoles(): void {
    this.roles.clear();
  }

  assumeRole(caller: Caller, params: QueryParams, now: number): string {
    const roleArn = params.get("RoleArn") ?? "";
    const session = params.get("RoleSessionName") ?? "";
    const m = ROLE_ARN_RE.exec(roleArn);
    if (!m) throw new StsError(400, "ValidationError", `${roleArn} is invalid`);
    if (!SESSION_RE.test(session)) {
      throw new StsError(
        400,
        "ValidationError",
        "1 validation error detected: Value at 'roleSessionName' failed to satisfy constraint: Member must " +
          "satisfy regular expression pattern: [\\w+=,.@-]*",
      );
    }
    const duration = Number(params.get("DurationSeconds") ?? "3600");
    if (!Number.isInteger(duration) || duration < 900 || duration > 43_200) {
      throw new StsError(
        400,
        "ValidationError",
        "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.",
      );
    }
    const rule = this.roles.get(roleArn);
    const refused =
      rule?.assumable === false ||
      (rule?.externalId !== undefined && rule.externalId !== params.get("ExternalId"));
    if (refused) {
      throw new StsError(
        403,
        "AccessDenied",
        `User: ${caller.arn} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }
    const [, partition, accountId, roleName] = m as unknown as [string, string, string, string];
    const accessKeyId = `ASIA${uppercase(16, 16)}`;
    const roleId = `AROA${uppercase(16, 17)}`;
    const issued: Issued = {
      accountId,
      arn: `arn:${partition}:sts::${accountId}:assumed-role/${roleName}/${session}`,
      userId: `${roleId}:${session}`,
      secretAccessKey: randomBytes(30).toString("base64"),
      expiresAt: now + duration * 1000,
    };
    this.issued.set(accessKeyId, issued);
    const credentials =
      text("AccessKeyId", accessKeyId) +
      text("SecretAccessKey", issued.secretAccessKey) +
      text("SessionToken", randomBytes(48).toString("base64")) +
      text("Expiration", new Date(issued.expiresAt).toISOString());
    return (
      tag("Credentials", credentials) +
      tag("AssumedRoleUser", text("AssumedRoleId", issued.userId) + text("Arn", issued.arn))
    );
  }
}

function resultXml(action: string, result: string, requestId: string): string {
  return (
    `<?xml version="1.0"?>\n<${action}Response xmlns="${STS_XMLNS}">` +
    tag(`${action}Result`, result) +
    tag("ResponseMetadata", text("RequestId", requestId)) +
    `</${action}Response>\n`
  );
}

function errorXml(err: StsError, requestId: string): string {
  const type = err.status >= 500 ? "Receiver" : "Sender";
  return (
    `<?xml version="1.0"?>\n<ErrorResponse xmlns="${STS_XMLNS}">` +
    tag("Error", text("Type", type) + text("Code", err.code) + text("Message", err.message)) +
    text("RequestId", requestId) +
    "</ErrorResponse>\n"
  );
}

export function isStsPath(rawPath: string): boolean {
  return rawPath === STS_PATH || rawPath === `${STS_PATH}/`;
}

function reply(res: ServerResponse, status: number, xml: string): void {
  if (res.headersSent || res.destroyed) return;
  res
    .writeHead(status, { "Content-Type": "text/xml", "Content-Length": String(Buffer.byteLength(xml)) })
    .end(xml);
}

/** AssumeRole and GetCallerIdentity; every other action is 400 InvalidAction. */
export function serveSts(sts: StsState, req: IncomingMessage, res: ServerResponse, body: Buffer): void {
  const requestId = String(res.getHeader("x-amzn-RequestId") ?? randomUUID());
  const params = req.method === "POST" ? QueryParams.parse(body) : undefined;
  const action = params?.get("Action");
  const caller = sts.callerOf(credentialScope(req)?.accessKeyId);
  try {
    if (!params) throw new StsError(400, "InvalidAction", `STS takes POST requests, not ${req.method}`);
    if (action === "AssumeRole") {
      reply(res, 200, resultXml(action, sts.assumeRole(caller, params, Date.now()), requestId));
    } else if (action === "GetCallerIdentity") {
      const result =
        text("Arn", caller.arn) + text("UserId", caller.userId) + text("Account", caller.accountId);
      reply(res, 200, resultXml(action, result, requestId));
    } else {
      throw new StsError(
        400,
        "InvalidAction",
        `Could not find operation ${action ?? ""} for version 2011-06-15`,
      );
    }
  } catch (err) {
    const e = err instanceof StsError ? err : new StsError(500, "InternalFailure", "Internal error");
    reply(res, e.status, errorXml(e, requestId));
  }
}

const ruleSchema = z.strictObject({
  roleArn: z.string().regex(ROLE_ARN_RE, "expected arn:aws:iam::ACCOUNT:role/NAME"),
  assumable: z.boolean().optional(),
  externalId: z.string().min(2).max(1224).optional(),
});

/** `/_sandbox/sts/roles`: GET lists the rules, PUT sets one, DELETE forgets them all. */
export function handleStsAdmin(sts: StsState, method: string, rawPath: string, body: Buffer): ApiResponse {
  const path = rawPath.slice(STS_ADMIN_PREFIX.length);
  if (path !== "roles")
    return fail("UnknownOperationException", `Unknown admin operation: ${method} ${rawPath}`);
  if (method === "GET") return { status: 200, body: sts.listRoles() };
  if (method === "DELETE") {
    sts.resetRoles();
    return { status: 204 };
  }
  if (method !== "PUT")
    return fail("UnknownOperationException", `Unknown admin operation: ${method} ${rawPath}`);
  const parsed = ruleSchema.safeParse(parseJsonObject(body));
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
    return fail("BadRequestException", `Invalid role rule: ${problems.join("; ")}`);
  }
  sts.setRole(parsed.data);
  return { status: 200, body: parsed.data };
}
