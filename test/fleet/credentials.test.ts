// Credentials per account through the sandbox's STS (the real SDK, AWS_ENDPOINT_URL_STS): assumed once per
// account per run, again shortly before they expire; ExternalId and RoleSessionName passed; a role that cannot
// be assumed fails with AWS's message.

import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  AssumeRoleError,
  credentialCache,
  defaultSessionName,
  REFRESH_BEFORE_MS,
} from "../../src/fleet/credentials.js";
import type { AccountConfig } from "../../src/model/spec.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";

let sb: Sandbox;
const saved: Record<string, string | undefined> = {};
beforeAll(async () => {
  sb = await startSandbox({ timeScale: 0.01 });
  // The SDK reads the STS endpoint and the base credentials from the environment, as on a runner.
  for (const [k, v] of Object.entries({ ...sb.env(), AWS_PROFILE: undefined })) {
    saved[k] = process.env[k];
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
afterAll(async () => {
  for (const [k, v] of Object.entries(saved)) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  await sb?.stop();
});

const account = (name: string, id: string, extra: Partial<AccountConfig> = {}): AccountConfig => ({
  name,
  role_arn: `arn:aws:iam::${id}:role/upg-deployer`,
  regions: ["us-east-1"],
  ...extra,
});

async function whoAmI(creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }) {
  const sts = new STSClient({ region: "eu-west-1", credentials: creds });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    sts.destroy();
  }
}

describe("credentialCache", () => {
  it("assumes the role once per account, with the session name; again when the credentials near expiry", async () => {
    let now = Date.now();
    const cache = credentialCache({}, { now: () => now });
    const prod = account("prod", "444444444444", { session_name: "ci-nightly" });
    const a = await cache.forAccount(prod, "us-east-1");
    const b = await cache.forAccount(prod, "eu-west-1");
    expect(b).toBe(a);
    expect(await whoAmI(a)).toBe("arn:aws:sts::444444444444:assumed-role/upg-deployer/ci-nightly");
    const dev = await cache.forAccount(account("dev", "555555555555"), "us-east-1");
    expect(await whoAmI(dev)).toBe(
      `arn:aws:sts::555555555555:assumed-role/upg-deployer/${defaultSessionName()}`,
    );
    // One hour later (the default session length), less than REFRESH_BEFORE_MS is left: assumed again.
    now += 3_600_000 - REFRESH_BEFORE_MS + 1000;
    const c = await cache.forAccount(prod, "us-east-1");
    expect(c.accessKeyId).not.toBe(a.accessKeyId);
  });

  it("passes the ExternalId a role requires; a role that cannot be assumed fails with AWS's message", async () => {
    const role = "arn:aws:iam::666666666666:role/upg-deployer";
    await sb.sts.setRole({ roleArn: role, externalId: "payments-upg" });
    const cache = credentialCache({});
    const ok = await cache.forAccount(
      account("ext", "666666666666", { external_id: "payments-upg" }),
      "us-east-1",
    );
    expect(await whoAmI(ok)).toContain("arn:aws:sts::666666666666:assumed-role/upg-deployer/");
    const err = await credentialCache({})
      .forAccount(account("ext", "666666666666"), "us-east-1")
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AssumeRoleError);
    expect((err as Error).message).toMatch(
      /^Cannot assume arn:aws:iam::666666666666:role\/upg-deployer for account ext: .*sts:AssumeRole/,
    );
  });
});
