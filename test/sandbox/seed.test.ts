import {
  GetApiKeysCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStagesCommand,
} from "@aws-sdk/client-api-gateway";
import { describe, expect, it } from "vitest";
import { seedSample } from "../../src/sandbox/index.js";
import { startTestSandbox, stopTestSandbox } from "./helpers.js";

describe("seedSample", () => {
  it("seeds weather-api with dev and prod stages, methods and three API keys, without counting or throttling", async () => {
    const t = await startTestSandbox({ seed: true, throttling: true });
    try {
      const apis = await t.client.send(new GetRestApisCommand({}));
      expect(apis.items?.map((a) => a.name)).toEqual(["weather-api"]);
      const restApiId = apis.items?.[0]?.id;
      const stages = await t.client.send(new GetStagesCommand({ restApiId }));
      expect(stages.item?.map((s) => s.stageName)).toEqual(["dev", "prod"]);
      const resources = await t.client.send(new GetResourcesCommand({ restApiId, embed: ["methods"] }));
      const methods = resources.items?.flatMap((r) =>
        Object.keys(r.resourceMethods ?? {}).map((m) => `${m} ${r.path}`),
      );
      expect(methods?.sort()).toEqual([
        "GET /alerts",
        "GET /forecast",
        "GET /forecast/{city}",
        "POST /alerts",
      ]);
      const keys = await t.client.send(new GetApiKeysCommand({ includeValues: true }));
      expect(keys.items).toHaveLength(3);
      expect(keys.items?.every((k) => k.enabled && k.value?.length === 40)).toBe(true);
      expect((await t.sb.admin.counters()).total).toBe(4); // the four reads above; seeding is not counted

      const again = await seedSample(t.sb);
      expect(again.restApiName).toBe("weather-api");
      expect(Object.keys(again.stages)).toEqual(["dev", "prod"]);
      expect(again.apiKeys.map((k) => k.name)).toEqual(["acme-dashboard", "globex-mobile", "initech-batch"]);
      expect(again.resources["/forecast/{city}"]).toMatch(/^[a-z0-9]{10}$/);
    } finally {
      await stopTestSandbox(t);
    }
  });
});
