// Credentials per account: the role in `accounts:` assumed through STS AssumeRole with the base credentials
// (the standard chain, or --profile), once per account per run and again shortly before they expire.
// The SDK honours AWS_ENDPOINT_URL_STS on its own.

import { userInfo } from "node:os";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { type AwsTarget, limitTimeoutRetries, sdkClientConfig } from "../aws/client-config.js";
import { errorMessage } from "../errors.js";
import type { AccountConfig } from "../model/spec.js";

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
}

/** Credentials are assumed again when less than this is left of them when a target starts. */
export const REFRESH_BEFORE_MS = 5 * 60_000;

/** The role session's name when the config names none: `upg-<user>`, cut to what STS accepts. */
export function defaultSessionName(env: NodeJS.ProcessEnv = process.env): string {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    user = env.USER ?? env.USERNAME ?? "unknown";
  }
  return `upg-${user}`.replace(/[^\w+=,.@-]/g, "-").slice(0, 64);
}

/** A role that could not be assumed: only that account's targets fail, with AWS's own words. */
export class AssumeRoleError extends Error {
  constructor(
    readonly account: string,
    readonly roleArn: string,
    cause: unknown,
  ) {
    super(`Cannot assume ${roleArn} for account ${account}: ${errorMessage(cause)}`);
    this.name = "AssumeRoleError";
  }
}

interface Cached {
  creds: Promise<{ creds: Credentials; expires: number }>;
}

export interface CredentialCache {
  /** The account's credentials, assumed at most once per run unless they are about to expire. */
  forAccount(account: AccountConfig, region: string): Promise<Credentials>;
}

/**
 * `base` is the run's target without an endpoint (the API Gateway endpoint must not leak into STS): its
 * profile and timeouts are what AssumeRole is called with.
 */
export function credentialCache(
  base: Pick<AwsTarget, "profile" | "timeouts">,
  options: { now?: () => number; env?: NodeJS.ProcessEnv } = {},
): CredentialCache {
  const now = options.now ?? Date.now;
  const cache = new Map<string, Cached>();
  const assume = async (account: AccountConfig, region: string) => {
    const client = limitTimeoutRetries(
      new STSClient(
        sdkClientConfig({
          region,
          ...(base.profile ? { profile: base.profile } : {}),
          ...(base.timeouts ? { timeouts: base.timeouts } : {}),
        }),
      ),
    );
    try {
      const out = await client.send(
        new AssumeRoleCommand({
          RoleArn: account.role_arn,
          RoleSessionName: account.session_name ?? defaultSessionName(options.env),
          ...(account.external_id ? { ExternalId: account.external_id } : {}),
        }),
      );
      const c = out.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey) throw new Error("STS returned no credentials.");
      return {
        creds: {
          accessKeyId: c.AccessKeyId,
          secretAccessKey: c.SecretAccessKey,
          ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        },
        expires: c.Expiration ? c.Expiration.getTime() : Number.POSITIVE_INFINITY,
      };
    } catch (err) {
      throw new AssumeRoleError(account.name, account.role_arn, err);
    } finally {
      client.destroy();
    }
  };
  return {
    async forAccount(account, region) {
      const hit = cache.get(account.name);
      if (hit) {
        const got = await hit.creds;
        if (got.expires - now() > REFRESH_BEFORE_MS) return got.creds;
      }
      const entry: Cached = { creds: assume(account, region) };
      cache.set(account.name, entry);
      return (await entry.creds).creds;
    },
  };
}
