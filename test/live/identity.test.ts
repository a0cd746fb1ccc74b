/** The caller identity in audit rows: STS GetCallerIdentity (the sandbox speaks STS), else the local user. */
import { userInfo } from "node:os";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveCallerIdentity } from "../../src/live/identity.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/index.js";

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox({ dynamo: false, throttling: false });
});
afterAll(() => sb.stop());

describe("resolveCallerIdentity", () => {
  it("asks STS at AWS_ENDPOINT_URL_STS: the sandbox's default user", async () => {
    const env = { AWS_ENDPOINT_URL_STS: sb.sts.endpoint };
    const target = { region: sb.region, endpoint: sb.apigatewayEndpoint, credentials: sb.credentials };
    expect(await resolveCallerIdentity(target, env)).toBe("arn:aws:iam::123456789012:user/sandbox");
  });

  it("an assumed role's session for assumed-role credentials", async () => {
    const sts = new STSClient({ endpoint: sb.sts.endpoint, region: sb.region, credentials: sb.credentials });
    const out = await sts.send(
      new AssumeRoleCommand({ RoleArn: "arn:aws:iam::111111111111:role/upg", RoleSessionName: "ci" }),
    );
    sts.destroy();
    const c = out.Credentials;
    const credentials = {
      accessKeyId: c?.AccessKeyId ?? "",
      secretAccessKey: c?.SecretAccessKey ?? "",
      sessionToken: c?.SessionToken ?? "",
    };
    const env = { AWS_ENDPOINT_URL_STS: sb.sts.endpoint };
    expect(await resolveCallerIdentity({ region: "eu-west-1", credentials }, env)).toBe(
      "arn:aws:sts::111111111111:assumed-role/upg/ci",
    );
  });

  it("no sandbox-only probe: an API Gateway endpoint alone does not give the identity; unreachable STS falls back to the local user", async () => {
    const env = { AWS_ENDPOINT_URL_STS: "http://127.0.0.1:1", USER: "someone" };
    const target = { region: sb.region, endpoint: sb.apigatewayEndpoint, credentials: sb.credentials };
    const started = Date.now();
    const who = await resolveCallerIdentity(target, env);
    expect(who).toBe(`unknown:${userInfo().username}`);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
