// Who is calling, for audit rows: the sandbox's identity when API Gateway is pointed at an explicit
// endpoint that answers /_sandbox/identity, else STS GetCallerIdentity, else the local user name.
// Never throws: an unknown caller must not stop a run.

import { userInfo } from "node:os";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { type AwsTarget, limitTimeoutRetries, sdkClientConfig, timeoutsOf } from "../aws/client-config.js";

const SANDBOX_TIMEOUT_MS = 1500;
/** Identity is best effort: STS gets at most these timeouts, and one attempt. */
const STS_MAX_TIMEOUTS = { connectMs: 2000, requestMs: 5000 };

/** The API Gateway endpoint when it is set explicitly (not the regional default). */
export function explicitApiGatewayEndpoint(target: AwsTarget, env: NodeJS.ProcessEnv): string | undefined {
  return target.endpoint ?? env.AWS_ENDPOINT_URL_API_GATEWAY;
}

async function sandboxIdentity(endpoint: string): Promise<string | undefined> {
  try {
    const res = await fetch(`${endpoint.replace(/\/+$/, "")}/_sandbox/identity`, {
      signal: AbortSignal.timeout(SANDBOX_TIMEOUT_MS),
    });
    if (!res.ok) return undefined;
    const body: unknown = await res.json();
    const arn = typeof body === "object" && body !== null ? (body as { arn?: unknown }).arn : undefined;
    return typeof arn === "string" && arn !== "" ? arn : undefined;
  } catch {
    return undefined;
  }
}

/** STS honours AWS_ENDPOINT_URL_STS itself; the API Gateway endpoint must not leak into it. */
async function stsIdentity(target: AwsTarget): Promise<string | undefined> {
  const { endpoint: _apiGateway, ...rest } = target;
  const t = timeoutsOf(target);
  const timeouts = {
    connectMs: Math.min(t.connectMs, STS_MAX_TIMEOUTS.connectMs),
    requestMs: Math.min(t.requestMs, STS_MAX_TIMEOUTS.requestMs),
  };
  const client = limitTimeoutRetries(new STSClient(sdkClientConfig({ ...rest, maxAttempts: 1, timeouts })));
  try {
    const out = await client.send(new GetCallerIdentityCommand({}));
    return out.Arn || undefined;
  } catch {
    return undefined;
  } finally {
    client.destroy();
  }
}

function localUser(env: NodeJS.ProcessEnv): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? "unknown";
  }
}

export async function resolveCallerIdentity(
  target: AwsTarget,
  env: NodeJS.ProcessEnv = process.env,
): Promise<string> {
  const explicit = explicitApiGatewayEndpoint(target, env);
  const fromSandbox = explicit ? await sandboxIdentity(explicit) : undefined;
  if (fromSandbox) return fromSandbox;
  return (await stsIdentity(target)) ?? `unknown:${localUser(env)}`;
}
