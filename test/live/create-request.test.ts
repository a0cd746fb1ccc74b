import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createLiveGateway } from "../../src/live/gateway.js";
import { createRequest } from "../../src/live/write.js";
import type { PlanSettings } from "../../src/model/state.js";

const settings: PlanSettings = {
  name: "Gold",
  stages: [
    { apiId: "a1", stage: "dev", throttle: {} },
    { apiId: "a1", stage: "prod", throttle: { "/x/GET": { rateLimit: 5, burstLimit: 10 }, "/y/GET": {} } },
  ],
  tags: {},
};

describe("createRequest", () => {
  it("omits throttle for stages without method throttles, and empty members", () => {
    const req = createRequest(settings, { "upg:plan-id": "gold" });
    expect(req).toEqual({
      name: "Gold",
      apiStages: [
        { apiId: "a1", stage: "dev" },
        { apiId: "a1", stage: "prod", throttle: { "/x/GET": { rateLimit: 5, burstLimit: 10 } } },
      ],
      tags: { "upg:plan-id": "gold" },
    });
    expect(req.apiStages![0]).not.toHaveProperty("throttle");
  });

  it("sends only the throttle members that are set, and no throttle when none is", () => {
    expect(createRequest({ ...settings, stages: [], throttle: {} }, {})).toEqual({
      name: "Gold",
      apiStages: [],
    });
    expect(createRequest({ ...settings, stages: [], throttle: { rateLimit: 0.5 } }, {}).throttle).toEqual({
      rateLimit: 0.5,
    });
  });
});

describe("CreateUsagePlan on the wire", () => {
  let server: Server;
  const bodies: unknown[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = "";
      req.on("data", (d) => {
        body += d;
      });
      req.on("end", () => {
        bodies.push(JSON.parse(body));
        res.writeHead(201, { "content-type": "application/json" });
        res.end(JSON.stringify({ id: "new1", name: "Gold", apiStages: [] }));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it("has no `throttle: {}` for a stage without method throttles", async () => {
    const port = (server.address() as AddressInfo).port;
    const gw = createLiveGateway({
      target: {
        region: "us-east-1",
        endpoint: `http://127.0.0.1:${port}`,
        credentials: { accessKeyId: "k", secretAccessKey: "s" },
        maxAttempts: 1,
      },
      pacing: { requests_per_second: 100, burst: 100, update_usage_plan_interval_ms: 0, concurrency: 1 },
    });
    try {
      expect(await gw.createPlan(settings, {})).toBe("new1");
    } finally {
      gw.destroy();
    }
    expect(bodies).toEqual([
      {
        name: "Gold",
        apiStages: [
          { apiId: "a1", stage: "dev" },
          { apiId: "a1", stage: "prod", throttle: { "/x/GET": { rateLimit: 5, burstLimit: 10 } } },
        ],
      },
    ]);
  });
});
