/**
 * SNS in the sandbox, on the API Gateway port under `/sns` (AWS_ENDPOINT_URL_SNS=http://HOST:PORT/sns): the
 * query protocol with AWS's XML answers and errors, topics per region (from the SigV4 credential scope),
 * every Publish recorded, and the sandbox's IAM policy checked (`sns:ACTION` on the topic ARN) when it has one.
 * Requests go through the sandbox's counters and faults (latency, dropped connections,
 * error rates, `failOperation: { operation: "Publish", … }`), not through API Gateway's throttling.
 *
 * Admin, beside the other admin endpoints: `GET /_sandbox/sns/messages` (what was published, oldest first),
 * `DELETE /_sandbox/sns/messages` (forget them), `GET /_sandbox/sns/topics`, `POST /_sandbox/sns/reset`
 * (only the seeded topic, no messages).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { ApiError, codeForStatus } from "../errors.js";
import type { Counters, FaultInjector } from "../faults.js";
import { persistOrFail } from "../persist.js";
import type { ApiResponse } from "../router.js";
import { SNS_HANDLERS } from "./handlers.js";
import { errorXml, QueryParams, resultXml, SnsError, snsCodeForStatus, snsError } from "./query.js";
import { type SnsState, topicArn } from "./state.js";

export { SNS_OPERATIONS } from "./handlers.js";
export { SEEDED_TOPIC_NAME, type SnsMessage, type SnsMessageAttribute, SnsState, topicArn } from "./state.js";

/** The path SNS is served under on the sandbox's API Gateway port. */
export const SNS_PATH = "/sns";
export const SNS_ADMIN_PREFIX = "/_sandbox/sns/";

export interface SnsDeps {
  sns: SnsState;
  faults: FaultInjector;
  counters: Counters;
  /** The sandbox's IAM policy check, when it runs with one: the complete 403 answer for a refused call. */
  iam?: { snsDenial(action: string, resource: string): { status: number; body: string } | undefined };
  /** Save the sandbox state (with `dataDir`) after a topic was created or deleted, before answering. */
  persist?: () => void;
}

/** The actions that change what is kept across restarts (published messages are not kept). */
const PERSISTED_ACTIONS: ReadonlySet<string> = new Set(["CreateTopic", "DeleteTopic"]);

export function isSnsPath(rawPath: string): boolean {
  return rawPath === SNS_PATH || rawPath === `${SNS_PATH}/`;
}

const SCOPE_RE = /Credential=[^/,\s]+\/\d{8}\/([a-z0-9-]+)\/sns\/aws4_request/;

/** The region a request is signed for; the sandbox's own region for an unsigned one. */
export function requestRegion(req: IncomingMessage, fallback: string): string {
  return SCOPE_RE.exec(req.headers.authorization ?? "")?.[1] ?? fallback;
}

function reply(res: ServerResponse, status: number, xml: string, headers: Record<string, string> = {}): void {
  if (res.headersSent || res.destroyed) return;
  res
    .writeHead(status, {
      ...headers,
      "Content-Type": "text/xml",
      "Content-Length": String(Buffer.byteLength(xml)),
    })
    .end(xml);
}

/** An injected fault in SNS's terms: SNS's own code for a bare status, the Retry-After headers kept. */
function asSnsError(err: ApiError): { error: SnsError; headers: Record<string, string> } {
  const code = err.code === codeForStatus(err.status) ? snsCodeForStatus(err.status) : err.code;
  return { error: new SnsError(err.status, code, err.message), headers: { ...err.headers } };
}

/** The resource an IAM policy is checked against: the topic (named or created), or every topic of the region. */
function resourceOf(action: string, params: QueryParams, region: string, accountId: string): string {
  if (action === "CreateTopic") return topicArn(region, accountId, params.get("Name") ?? "");
  return params.get("TopicArn") ?? params.get("TargetArn") ?? topicArn(region, accountId, "*");
}

/** Counters → drop → latency → injected error → the action. Answers XML, errors included. */
export async function serveSns(
  deps: SnsDeps,
  req: IncomingMessage,
  res: ServerResponse,
  body: Buffer,
): Promise<void> {
  const requestId = String(res.getHeader("x-amzn-RequestId") ?? "");
  const params = req.method === "POST" ? QueryParams.parse(body) : undefined;
  const action = params?.get("Action");
  const handler = action === undefined ? undefined : SNS_HANDLERS[action];
  deps.counters.record(handler ? action : undefined);
  try {
    if (!params) throw snsError("InvalidAction", `SNS takes POST requests, not ${req.method}`);
    if (action === undefined) throw snsError("MissingAction", "Missing Action");
    if (!handler)
      throw snsError("InvalidAction", `Could not find operation ${action} for version 2010-03-31`);
    if (deps.faults.shouldDrop()) {
      req.socket.destroy();
      return;
    }
    const delay = deps.faults.delayMs();
    if (delay > 0) await sleep(delay);
    const injected = deps.faults.errorFor(action);
    if (injected) throw injected;
    const region = requestRegion(req, deps.sns.defaultRegion);
    const denied = deps.iam?.snsDenial(action, resourceOf(action, params, region, deps.sns.accountId));
    if (denied) {
      reply(res, denied.status, denied.body);
      return;
    }
    const result = handler({ state: deps.sns, params, region, now: Date.now() });
    if (PERSISTED_ACTIONS.has(action)) persistOrFail(deps);
    reply(res, 200, resultXml(action, result, requestId));
  } catch (err) {
    const { error, headers } =
      err instanceof SnsError
        ? { error: err, headers: {} }
        : err instanceof ApiError
          ? asSnsError(err)
          : { error: snsError("InternalError", "Internal error"), headers: {} };
    reply(res, error.status, errorXml(error, requestId), headers);
  }
}

const json = (body: unknown): ApiResponse => ({ status: 200, body });

/** `/_sandbox/sns/…`; undefined for an unknown admin path (the caller answers as for any unknown one). */
export function handleSnsAdmin(sns: SnsState, method: string, rawPath: string): ApiResponse | undefined {
  switch (`${method} ${rawPath.slice(SNS_ADMIN_PREFIX.length)}`) {
    case "GET messages":
      return json(sns.messages);
    case "DELETE messages":
      sns.clearMessages();
      return { status: 204 };
    case "GET topics":
      return json(sns.allTopics().map((t) => ({ topicArn: t.arn, region: t.region, name: t.name })));
    case "POST reset":
      sns.reset();
      return { status: 204 };
    default:
      return undefined;
  }
}
