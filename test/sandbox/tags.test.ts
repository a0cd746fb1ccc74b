import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  GetApiKeyCommand,
  GetTagsCommand,
  GetUsagePlanCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createApiWithStages,
  expectApiError,
  startTestSandbox,
  stopTestSandbox,
  type TestApi,
  type TestSandbox,
} from "./helpers.js";

let t: TestSandbox;
let api: TestApi;

beforeAll(async () => {
  t = await startTestSandbox();
  api = await createApiWithStages(t.client, ["dev"]);
});
afterAll(() => stopTestSandbox(t));

const arn = (resource: string) => `arn:aws:apigateway:us-east-1::${resource}`;
const tag = (resourceArn: string, tags: Record<string, string>) =>
  t.client.send(new TagResourceCommand({ resourceArn, tags }));
const tagsOf = async (resourceArn: string) => (await t.client.send(new GetTagsCommand({ resourceArn }))).tags;

async function planArn() {
  const plan = await t.client.send(new CreateUsagePlanCommand({ name: "tagged" }));
  return { id: plan.id ?? "", arn: arn(`/usageplans/${plan.id}`) };
}

describe("tags on usage-plan ARNs", () => {
  it("TagResource 204 merges, GetTags reads, UntagResource 204 removes repeated tagKeys", async () => {
    const plan = await planArn();
    const tagged = await tag(plan.arn, { team: "payments", tier: "gold" });
    expect(tagged.$metadata.httpStatusCode).toBe(204);
    await tag(plan.arn, { tier: "platinum", owner: "ops" });
    expect(await tagsOf(plan.arn)).toEqual({ team: "payments", tier: "platinum", owner: "ops" });
    const untagged = await t.client.send(
      new UntagResourceCommand({ resourceArn: plan.arn, tagKeys: ["team", "owner"] }),
    );
    expect(untagged.$metadata.httpStatusCode).toBe(204);
    expect(await tagsOf(plan.arn)).toEqual({ tier: "platinum" });
    expect((await t.client.send(new GetUsagePlanCommand({ usagePlanId: plan.id }))).tags).toEqual({
      tier: "platinum",
    });
  });

  it("sees the tags given at creation", async () => {
    const plan = await t.client.send(new CreateUsagePlanCommand({ name: "born-tagged", tags: { a: "1" } }));
    expect(await tagsOf(arn(`/usageplans/${plan.id}`))).toEqual({ a: "1" });
  });

  it("routes on the raw path: the encoded ARN is one segment, a decoded one is not a route", async () => {
    const plan = await planArn();
    const encoded = await fetch(`${t.sb.apigatewayEndpoint}/tags/${encodeURIComponent(plan.arn)}`);
    expect(encoded.status).toBe(200);
    expect(await encoded.json()).toEqual({ tags: {} });
    const decoded = await fetch(`${t.sb.apigatewayEndpoint}/tags/${plan.arn}`);
    expect(decoded.status).toBe(404);
    expect(decoded.headers.get("x-amzn-errortype")).toBe("UnknownOperationException");
  });
});

describe("tags on other resources", () => {
  it("works on API key, REST API and stage ARNs", async () => {
    const key = await t.client.send(new CreateApiKeyCommand({ name: "k" }));
    for (const resource of [
      `/apikeys/${key.id}`,
      `/restapis/${api.apiId}`,
      `/restapis/${api.apiId}/stages/dev`,
    ]) {
      await tag(arn(resource), { resource });
      expect(await tagsOf(arn(resource))).toEqual({ resource });
    }
    expect((await t.client.send(new GetApiKeyCommand({ apiKey: key.id }))).tags).toEqual({
      resource: `/apikeys/${key.id}`,
    });
  });
});

describe("errors", () => {
  it("404 for a missing resource, another region or an unsupported resource type; 400 for a malformed ARN", async () => {
    await expectApiError(
      tagsOf(arn("/usageplans/nope00")),
      404,
      "NotFoundException",
      "Invalid Usage Plan ID specified",
    );
    const plan = await planArn();
    await expectApiError(
      tagsOf(plan.arn.replace("us-east-1", "eu-west-1")),
      404,
      "NotFoundException",
      "Invalid resource identifier specified",
    );
    await expectApiError(tagsOf(arn("/domainnames/example.com")), 404, "NotFoundException");
    await expectApiError(
      tagsOf("not-an-arn"),
      400,
      "BadRequestException",
      "Invalid ARN specified: not-an-arn",
    );
  });

  it.each([
    ["a reserved aws: prefix", { "aws:owner": "x" }, /reserved/],
    ["an empty key", { "": "x" }, /tag key/],
    ["a 129-char key", { ["k".repeat(129)]: "x" }, /tag key/],
    ["a 257-char value", { k: "v".repeat(257) }, /tag value/],
    ["51 tags", Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, "v"])), /at most 50 tags/],
  ])("400 for %s", async (_label, tags, message) => {
    const plan = await planArn();
    await expectApiError(tag(plan.arn, tags), 400, "BadRequestException", message);
    expect(await tagsOf(plan.arn)).toEqual({});
  });

  it("400 when merging would go past 50 tags", async () => {
    const plan = await planArn();
    await tag(plan.arn, Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, "v"])));
    await tag(plan.arn, { k0: "overwrite is fine" });
    await expectApiError(tag(plan.arn, { extra: "v" }), 400, "BadRequestException", /at most 50 tags/);
  });
});
