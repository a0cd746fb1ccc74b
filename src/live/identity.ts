// Who is calling, for audit rows: STS GetCallerIdentity (AWS_ENDPOINT_URL_STS points it at the sandbox, which
// speaks STS), else the local user name. Never throws: an unknown caller must not stop a run.

import { userInfo } from "node:os";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { type AwsTarget, limitTimeoutRetries, sdkClientConfig, timeoutsOf } from "../aws/client-config.js";

/** Identity is best effort: STS gets at most these timeouts, and one attempt. */
const STS_MAX_TIMEOUTS = { connectMs: 2000, requestMs: 5000 };

/** STS at AWS_ENDPOINT_URL_STS when set, else the SDK's own; the API Gateway endpoint must not leak into it. */
async function stsIdentity(target: AwsTarget, env: NodeJS.ProcessEnv): Promise<string | undefined> {
  const { endpoint: _apiGateway, ...rest } = target;
  const stsEndpoint = env.AWS_ENDPOINT_URL_STS;
  const t = timeoutsOf(target);
  const timeouts = {
    connectMs: Math.min(t.connectMs, STS_MAX_TIMEOUTS.connectMs),
    requestMs: Math.min(t.requestMs, STS_MAX_TIMEOUTS.requestMs),
  };
  const client = limitTimeoutRetries(
    new STSClient(
      sdkClientConfig({
        ...rest,
        ...(stsEndpoint ? { endpoint: stsEndpoint } : {}),
        maxAttempts: 1,
        timeouts,
      }),
    ),
  );
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
  return (await stsIdentity(target, env)) ?? `unknown:${localUser(env)}`;
}
