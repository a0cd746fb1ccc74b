/** Shared helpers for the sandbox conformance tests: every call goes through the real SDK over HTTP. */
import {
  APIGatewayClient,
  APIGatewayServiceException,
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  PutIntegrationCommand,
  PutMethodCommand,
} from "@aws-sdk/client-api-gateway";
import { expect } from "vitest";
import { type Sandbox, type SandboxOptions, startSandbox } from "../../src/sandbox/index.js";

export interface TestSandbox {
  sb: Sandbox;
  client: APIGatewayClient;
}

export function clientFor(sb: Sandbox): APIGatewayClient {
  return new APIGatewayClient({
    endpoint: sb.apigatewayEndpoint,
    region: sb.region,
    credentials: sb.credentials,
    maxAttempts: 1,
  });
}

/** A sandbox on free ports, throttling off and no dynalite unless asked for. */
export async function startTestSandbox(opts: SandboxOptions = {}): Promise<TestSandbox> {
  const sb = await startSandbox({ throttling: false, dynamo: false, ...opts });
  return { sb, client: clientFor(sb) };
}

export async function stopTestSandbox(t: TestSandbox | undefined): Promise<void> {
  t?.client.destroy();
  await t?.sb.stop();
}

/** The rejection of `p` (fails the test when `p` resolves). */
export async function rejectionOf(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => expect.fail("expected the call to fail"),
    (err: unknown) => err,
  );
}

/** Assert an AWS error: HTTP status, error code (err.name) and, optionally, the message. */
export async function expectApiError(
  p: Promise<unknown>,
  status: number,
  code: string,
  message?: string | RegExp,
): Promise<APIGatewayServiceException> {
  const err = await rejectionOf(p);
  if (!(err instanceof APIGatewayServiceException)) throw err;
  expect({ status: err.$metadata.httpStatusCode, code: err.name }).toEqual({ status, code });
  if (typeof message === "string") expect(err.message).toBe(message);
  else if (message) expect(err.message).toMatch(message);
  return err;
}

export interface TestApi {
  apiId: string;
  rootId: string;
  petsId: string;
  deploymentId: string;
}

/** A REST API with GET /pets (MOCK integration), deployed to each of `stages`. */
export async function createApiWithStages(
  client: APIGatewayClient,
  stages: readonly string[],
  name = "test-api",
): Promise<TestApi> {
  const api = await client.send(new CreateRestApiCommand({ name }));
  const apiId = api.id ?? "";
  const rootId = api.rootResourceId ?? "";
  const pets = await client.send(
    new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: "pets" }),
  );
  const petsId = pets.id ?? "";
  await client.send(
    new PutMethodCommand({
      restApiId: apiId,
      resourceId: petsId,
      httpMethod: "GET",
      authorizationType: "NONE",
    }),
  );
  await client.send(
    new PutIntegrationCommand({ restApiId: apiId, resourceId: petsId, httpMethod: "GET", type: "MOCK" }),
  );
  let deploymentId = "";
  for (const stageName of stages) {
    const d = await client.send(new CreateDeploymentCommand({ restApiId: apiId, stageName }));
    deploymentId = d.id ?? "";
  }
  return { apiId, rootId, petsId, deploymentId };
}

/** Today (UTC) as YYYY-MM-DD. */
export function todayUtc(offsetDays = 0): string {
  return new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);
}
