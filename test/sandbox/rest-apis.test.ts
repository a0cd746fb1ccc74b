import {
  CreateDeploymentCommand,
  CreateResourceCommand,
  CreateRestApiCommand,
  CreateStageCommand,
  CreateUsagePlanCommand,
  DeleteDeploymentCommand,
  DeleteMethodCommand,
  DeleteResourceCommand,
  DeleteRestApiCommand,
  DeleteStageCommand,
  DeleteUsagePlanCommand,
  type EndpointType,
  GetDeploymentCommand,
  GetDeploymentsCommand,
  GetIntegrationCommand,
  GetMethodCommand,
  GetResourceCommand,
  GetResourcesCommand,
  GetRestApiCommand,
  GetRestApisCommand,
  GetStageCommand,
  GetStagesCommand,
  GetUsagePlanCommand,
  PutIntegrationCommand,
  PutMethodCommand,
  UpdateStageCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createApiWithStages,
  expectApiError,
  startTestSandbox,
  stopTestSandbox,
  type TestSandbox,
} from "./helpers.js";

let t: TestSandbox;

beforeAll(async () => {
  t = await startTestSandbox();
});
afterAll(() => stopTestSandbox(t));

async function newApi(name = "api") {
  const api = await t.client.send(new CreateRestApiCommand({ name }));
  return { apiId: api.id ?? "", rootId: api.rootResourceId ?? "" };
}

describe("REST APIs", () => {
  it("CreateRestApi: 201 with a 10-char id, a root resource and AWS's defaults", async () => {
    const api = await t.client.send(
      new CreateRestApiCommand({ name: "pets", description: "d", tags: { a: "b" } }),
    );
    expect(api.$metadata.httpStatusCode).toBe(201);
    expect(api.id).toMatch(/^[a-z0-9]{10}$/);
    expect(api.rootResourceId).toMatch(/^[a-z0-9]{10}$/);
    expect(api).toMatchObject({
      name: "pets",
      description: "d",
      apiKeySource: "HEADER",
      endpointConfiguration: { types: ["EDGE"] },
      disableExecuteApiEndpoint: false,
      tags: { a: "b" },
    });
    expect(api.createdDate).toBeInstanceOf(Date);
    const regional = await t.client.send(
      new CreateRestApiCommand({
        name: "r",
        endpointConfiguration: { types: ["REGIONAL"] },
        apiKeySource: "AUTHORIZER",
      }),
    );
    expect(regional).toMatchObject({
      endpointConfiguration: { types: ["REGIONAL"] },
      apiKeySource: "AUTHORIZER",
    });
  });

  it("CreateRestApi: 400 without a name or with a bad endpoint type", async () => {
    await expectApiError(t.client.send(new CreateRestApiCommand({ name: "" })), 400, "BadRequestException");
    await expectApiError(
      t.client.send(
        new CreateRestApiCommand({ name: "x", endpointConfiguration: { types: ["MOON" as EndpointType] } }),
      ),
      400,
      "BadRequestException",
    );
  });

  it("GetRestApi / GetRestApis / DeleteRestApi (202, then 404 with the account id)", async () => {
    const { apiId } = await newApi("listed");
    expect((await t.client.send(new GetRestApiCommand({ restApiId: apiId }))).name).toBe("listed");
    const all = await t.client.send(new GetRestApisCommand({ limit: 500 }));
    expect(all.items?.some((a) => a.id === apiId)).toBe(true);
    expect(
      (await t.client.send(new DeleteRestApiCommand({ restApiId: apiId }))).$metadata.httpStatusCode,
    ).toBe(202);
    await expectApiError(
      t.client.send(new GetRestApiCommand({ restApiId: apiId })),
      404,
      "NotFoundException",
      `Invalid API identifier specified 123456789012:${apiId}`,
    );
    await expectApiError(
      t.client.send(new DeleteRestApiCommand({ restApiId: apiId })),
      404,
      "NotFoundException",
    );
  });
});

describe("resources and methods", () => {
  it("CreateResource builds paths; GetResources/GetResource list them, with methods when embedded", async () => {
    const { apiId, rootId } = await newApi();
    const pets = await t.client.send(
      new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: "pets" }),
    );
    expect(pets.$metadata.httpStatusCode).toBe(201);
    const pet = await t.client.send(
      new CreateResourceCommand({ restApiId: apiId, parentId: pets.id, pathPart: "{petId}" }),
    );
    expect(pet).toMatchObject({ parentId: pets.id, pathPart: "{petId}", path: "/pets/{petId}" });
    await t.client.send(
      new PutMethodCommand({
        restApiId: apiId,
        resourceId: pet.id,
        httpMethod: "GET",
        authorizationType: "NONE",
      }),
    );
    const listed = await t.client.send(new GetResourcesCommand({ restApiId: apiId }));
    expect(listed.items?.map((r) => r.path)).toEqual(["/", "/pets", "/pets/{petId}"]);
    expect(listed.items?.[2]?.resourceMethods).toEqual({ GET: {} });
    const embedded = await t.client.send(new GetResourcesCommand({ restApiId: apiId, embed: ["methods"] }));
    expect(embedded.items?.[2]?.resourceMethods?.GET).toMatchObject({
      httpMethod: "GET",
      authorizationType: "NONE",
    });
    const one = await t.client.send(new GetResourceCommand({ restApiId: apiId, resourceId: pets.id }));
    expect(one.path).toBe("/pets");
  });

  it("CreateResource: 409 for a sibling with the same name, 404 for an unknown parent, 400 for a bad path part", async () => {
    const { apiId, rootId } = await newApi();
    await t.client.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: "dup" }));
    await expectApiError(
      t.client.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: "dup" })),
      409,
      "ConflictException",
      "Another resource with the same parent already has this name: dup",
    );
    await expectApiError(
      t.client.send(new CreateResourceCommand({ restApiId: apiId, parentId: "nope000000", pathPart: "x" })),
      404,
      "NotFoundException",
      "Invalid Resource identifier specified",
    );
    await expectApiError(
      t.client.send(new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: "a/b" })),
      400,
      "BadRequestException",
    );
  });

  it("DeleteResource removes the subtree (202); the root cannot be deleted", async () => {
    const { apiId, rootId } = await newApi();
    const a = await t.client.send(
      new CreateResourceCommand({ restApiId: apiId, parentId: rootId, pathPart: "a" }),
    );
    await t.client.send(new CreateResourceCommand({ restApiId: apiId, parentId: a.id, pathPart: "b" }));
    const res = await t.client.send(new DeleteResourceCommand({ restApiId: apiId, resourceId: a.id }));
    expect(res.$metadata.httpStatusCode).toBe(202);
    expect(
      (await t.client.send(new GetResourcesCommand({ restApiId: apiId }))).items?.map((r) => r.path),
    ).toEqual(["/"]);
    await expectApiError(
      t.client.send(new DeleteResourceCommand({ restApiId: apiId, resourceId: rootId })),
      400,
      "BadRequestException",
    );
  });

  it("PutMethod 201 / GetMethod / DeleteMethod 204, with 409, 400 and 404 cases", async () => {
    const { apiId, rootId } = await newApi();
    const input = { restApiId: apiId, resourceId: rootId, httpMethod: "POST", authorizationType: "NONE" };
    const put = await t.client.send(new PutMethodCommand({ ...input, apiKeyRequired: true }));
    expect(put.$metadata.httpStatusCode).toBe(201);
    expect(put).toMatchObject({ httpMethod: "POST", authorizationType: "NONE", apiKeyRequired: true });
    await expectApiError(t.client.send(new PutMethodCommand(input)), 409, "ConflictException");
    await expectApiError(
      t.client.send(new PutMethodCommand({ ...input, httpMethod: "FETCH" })),
      400,
      "BadRequestException",
      /Invalid HttpMethod/,
    );
    const got = await t.client.send(
      new GetMethodCommand({ restApiId: apiId, resourceId: rootId, httpMethod: "POST" }),
    );
    expect(got.apiKeyRequired).toBe(true);
    const del = await t.client.send(
      new DeleteMethodCommand({ restApiId: apiId, resourceId: rootId, httpMethod: "POST" }),
    );
    expect(del.$metadata.httpStatusCode).toBe(204);
    await expectApiError(
      t.client.send(new GetMethodCommand({ restApiId: apiId, resourceId: rootId, httpMethod: "POST" })),
      404,
      "NotFoundException",
      "Invalid Method identifier specified",
    );
  });

  it("PutIntegration 201 / GetIntegration; HTTP integrations need a uri; 404 when none", async () => {
    const { apiId, rootId } = await newApi();
    const ids = { restApiId: apiId, resourceId: rootId, httpMethod: "GET" };
    await t.client.send(new PutMethodCommand({ ...ids, authorizationType: "NONE" }));
    await expectApiError(t.client.send(new GetIntegrationCommand(ids)), 404, "NotFoundException");
    await expectApiError(
      t.client.send(new PutIntegrationCommand({ ...ids, type: "HTTP" })),
      400,
      "BadRequestException",
    );
    const put = await t.client.send(
      new PutIntegrationCommand({
        ...ids,
        type: "HTTP",
        integrationHttpMethod: "GET",
        uri: "https://example.com/",
      }),
    );
    expect(put.$metadata.httpStatusCode).toBe(201);
    expect(await t.client.send(new GetIntegrationCommand(ids))).toMatchObject({
      type: "HTTP",
      httpMethod: "GET",
      uri: "https://example.com/",
    });
  });
});

describe("deployments", () => {
  it("400 for an API without methods, or with a method lacking an integration", async () => {
    const { apiId, rootId } = await newApi();
    await expectApiError(
      t.client.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: "dev" })),
      400,
      "BadRequestException",
      "The REST API doesn't contain any methods",
    );
    await t.client.send(
      new PutMethodCommand({
        restApiId: apiId,
        resourceId: rootId,
        httpMethod: "GET",
        authorizationType: "NONE",
      }),
    );
    await expectApiError(
      t.client.send(new CreateDeploymentCommand({ restApiId: apiId, stageName: "dev" })),
      400,
      "BadRequestException",
      "No integration defined for method",
    );
  });

  it("CreateDeployment with stageName creates the stage, then repoints it; Get/GetDeployments/Delete", async () => {
    const api = await createApiWithStages(t.client, ["dev"]);
    const first = api.deploymentId;
    expect(first).toMatch(/^[a-z0-9]{6}$/);
    expect(
      (await t.client.send(new GetStageCommand({ restApiId: api.apiId, stageName: "dev" }))).deploymentId,
    ).toBe(first);
    const second = await t.client.send(
      new CreateDeploymentCommand({ restApiId: api.apiId, stageName: "dev", description: "v2" }),
    );
    expect(second.$metadata.httpStatusCode).toBe(201);
    expect(
      (await t.client.send(new GetStageCommand({ restApiId: api.apiId, stageName: "dev" }))).deploymentId,
    ).toBe(second.id);
    const all = await t.client.send(new GetDeploymentsCommand({ restApiId: api.apiId }));
    expect(all.items?.map((d) => d.id)).toEqual([first, second.id]);
    expect(
      (await t.client.send(new GetDeploymentCommand({ restApiId: api.apiId, deploymentId: second.id })))
        .description,
    ).toBe("v2");
    await expectApiError(
      t.client.send(new DeleteDeploymentCommand({ restApiId: api.apiId, deploymentId: second.id })),
      400,
      "BadRequestException",
      "Active stages pointing to this deployment must be moved or deleted",
    );
    const del = await t.client.send(
      new DeleteDeploymentCommand({ restApiId: api.apiId, deploymentId: first }),
    );
    expect(del.$metadata.httpStatusCode).toBe(202);
    await expectApiError(
      t.client.send(new GetDeploymentCommand({ restApiId: api.apiId, deploymentId: first })),
      404,
      "NotFoundException",
      "Invalid Deployment identifier specified",
    );
  });
});

describe("stages", () => {
  it("CreateStage 201 / GetStages {item} with deploymentId filter / GetStage / UpdateStage / DeleteStage 202", async () => {
    const api = await createApiWithStages(t.client, ["dev"]);
    const other = await t.client.send(new CreateDeploymentCommand({ restApiId: api.apiId }));
    const created = await t.client.send(
      new CreateStageCommand({
        restApiId: api.apiId,
        stageName: "prod",
        deploymentId: other.id,
        description: "production",
        variables: { color: "blue" },
      }),
    );
    expect(created.$metadata.httpStatusCode).toBe(201);
    expect(created).toMatchObject({
      stageName: "prod",
      deploymentId: other.id,
      variables: { color: "blue" },
    });
    const stages = await t.client.send(new GetStagesCommand({ restApiId: api.apiId }));
    expect(stages.item?.map((s) => s.stageName)).toEqual(["dev", "prod"]);
    const filtered = await t.client.send(
      new GetStagesCommand({ restApiId: api.apiId, deploymentId: other.id }),
    );
    expect(filtered.item?.map((s) => s.stageName)).toEqual(["prod"]);
    const updated = await t.client.send(
      new UpdateStageCommand({
        restApiId: api.apiId,
        stageName: "prod",
        patchOperations: [
          { op: "replace", path: "/description", value: "live" },
          { op: "replace", path: "/deploymentId", value: api.deploymentId },
          { op: "add", path: "/variables/size", value: "xl" },
          { op: "remove", path: "/variables/color" },
        ],
      }),
    );
    expect(updated).toMatchObject({
      description: "live",
      deploymentId: api.deploymentId,
      variables: { size: "xl" },
    });
    await expectApiError(
      t.client.send(
        new UpdateStageCommand({
          restApiId: api.apiId,
          stageName: "prod",
          patchOperations: [{ op: "replace", path: "/cacheClusterSize", value: "1" }],
        }),
      ),
      400,
      "BadRequestException",
      /Invalid patch path {2}'\/cacheClusterSize'/,
    );
    const del = await t.client.send(new DeleteStageCommand({ restApiId: api.apiId, stageName: "prod" }));
    expect(del.$metadata.httpStatusCode).toBe(202);
    await expectApiError(
      t.client.send(new GetStageCommand({ restApiId: api.apiId, stageName: "prod" })),
      404,
      "NotFoundException",
      "Invalid stage identifier specified",
    );
  });

  it("CreateStage: 409 for an existing name, 404 for an unknown deployment, 400 for a bad name", async () => {
    const api = await createApiWithStages(t.client, ["dev"]);
    const base = { restApiId: api.apiId, deploymentId: api.deploymentId };
    await expectApiError(
      t.client.send(new CreateStageCommand({ ...base, stageName: "dev" })),
      409,
      "ConflictException",
      "Stage already exists",
    );
    await expectApiError(
      t.client.send(new CreateStageCommand({ ...base, stageName: "x", deploymentId: "nope00" })),
      404,
      "NotFoundException",
    );
    await expectApiError(
      t.client.send(new CreateStageCommand({ ...base, stageName: "bad name!" })),
      400,
      "BadRequestException",
    );
  });

  it("LimitExceededException past 10 stages per API", async () => {
    const api = await createApiWithStages(t.client, ["s0"]);
    for (let i = 1; i < 10; i++) {
      await t.client.send(
        new CreateStageCommand({ restApiId: api.apiId, stageName: `s${i}`, deploymentId: api.deploymentId }),
      );
    }
    await expectApiError(
      t.client.send(
        new CreateStageCommand({ restApiId: api.apiId, stageName: "s10", deploymentId: api.deploymentId }),
      ),
      429,
      "LimitExceededException",
    );
  });

  it("a deleted stage stays in plans as a dangling entry that cannot be removed (404), so the plan cannot be deleted", async () => {
    const api = await createApiWithStages(t.client, ["gone"]);
    const plan = await t.client.send(
      new CreateUsagePlanCommand({ name: "dangling", apiStages: [{ apiId: api.apiId, stage: "gone" }] }),
    );
    await t.client.send(new DeleteStageCommand({ restApiId: api.apiId, stageName: "gone" }));
    const still = await t.client.send(new GetUsagePlanCommand({ usagePlanId: plan.id }));
    expect(still.apiStages).toEqual([{ apiId: api.apiId, stage: "gone" }]);
    await expectApiError(
      t.client.send(
        new UpdateUsagePlanCommand({
          usagePlanId: plan.id,
          patchOperations: [{ op: "remove", path: "/apiStages", value: `${api.apiId}:gone` }],
        }),
      ),
      404,
      "NotFoundException",
      `Invalid API Stage {api: ${api.apiId}, stage: gone} specified for usageplan ${plan.id}`,
    );
    await expectApiError(
      t.client.send(new DeleteUsagePlanCommand({ usagePlanId: plan.id })),
      400,
      "BadRequestException",
    );
  });
});
