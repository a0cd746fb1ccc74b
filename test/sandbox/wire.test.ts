/** The wire protocol seen with plain HTTP (no SDK): any REST-JSON client works, and bad input never breaks it. */
import { connect } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createApiWithStages,
  startTestSandbox,
  stopTestSandbox,
  type TestApi,
  type TestSandbox,
} from "./helpers.js";

let t: TestSandbox;
let api: TestApi;
let base = "";

beforeAll(async () => {
  t = await startTestSandbox();
  api = await createApiWithStages(t.client, ["dev"]);
  base = t.sb.apigatewayEndpoint;
});
afterAll(() => stopTestSandbox(t));

const json = { "content-type": "application/json" };

async function call(method: string, path: string, body?: string) {
  const res = await fetch(`${base}${path}`, { method, headers: json, body });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    text,
    body: text ? (JSON.parse(text) as unknown) : undefined,
  };
}

function expectAwsError(res: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers.get("x-amzn-errortype")).toBe(code);
  expect(res.headers.get("content-type")).toBe("application/json");
  expect(res.headers.get("x-amzn-requestid")).toMatch(/^[0-9a-f-]{36}$/);
  expect(Object.keys(res.body as object)).toEqual(["message"]);
}

async function stillServing() {
  expect((await call("GET", "/usageplans")).status).toBe(200);
}

describe("plain REST-JSON with fetch", () => {
  it("creates and reads a plan: 201, numbers as JSON numbers, no nulls, `item` list key", async () => {
    const created = await call(
      "POST",
      "/usageplans",
      JSON.stringify({
        name: "raw",
        apiStages: [{ apiId: api.apiId, stage: "dev" }],
        quota: { limit: 500, period: "MONTH" },
        throttle: { rateLimit: 2, burstLimit: 4 },
      }),
    );
    expect(created.status).toBe(201);
    expect(created.headers.get("content-type")).toBe("application/json");
    expect(created.headers.get("x-amzn-requestid")).toBeTruthy();
    expect(created.text).not.toContain("null");
    expect(created.body).toMatchObject({
      quota: { limit: 500, offset: 0 },
      throttle: { rateLimit: 2, burstLimit: 4 },
    });
    await call("POST", "/usageplans", JSON.stringify({ name: "second" }));
    const listed = await call("GET", "/usageplans?limit=1");
    expect(Object.keys(listed.body as object).sort()).toEqual(["item", "position"]);
    const usage = await call(
      "GET",
      `/usageplans/${(created.body as { id: string }).id}/usage?startDate=2024-01-01&endDate=2024-01-02`,
    );
    expect(usage.body).toMatchObject({ values: {} });
  });

  it("answers 202 and 204 with an empty body", async () => {
    const plan = await call("POST", "/usageplans", JSON.stringify({ name: "gone" }));
    const id = (plan.body as { id: string }).id;
    const tagged = await call(
      "PUT",
      `/tags/${encodeURIComponent(`arn:aws:apigateway:us-east-1::/usageplans/${id}`)}`,
      '{"tags":{"a":"b"}}',
    );
    expect([tagged.status, tagged.text]).toEqual([204, ""]);
    const deleted = await call("DELETE", `/usageplans/${id}`);
    expect([deleted.status, deleted.text]).toEqual([202, ""]);
    expect(deleted.headers.get("x-amzn-requestid")).toBeTruthy();
  });

  it("errors: X-Amzn-ErrorType header and a {message} body", async () => {
    const res = await call("GET", "/usageplans/nope00");
    expectAwsError(res, 404, "NotFoundException");
    expect(res.body).toEqual({ message: "Invalid Usage Plan ID specified" });
  });
});

describe("bad input", () => {
  it("malformed JSON: 400 BadRequestException, and the server keeps serving", async () => {
    for (const body of ["{", "[1,2]", '"text"', "{'single': 1}"]) {
      expectAwsError(await call("POST", "/usageplans", body), 400, "BadRequestException");
    }
    await stillServing();
  });

  it("wrong JSON types: 400 (numbers sent as strings are refused too)", async () => {
    for (const body of [
      { name: 5 },
      { name: "x", quota: { limit: "500", period: "MONTH" } },
      { name: "x", apiStages: "dev" },
      { name: "x", tags: { a: 1 } },
      { name: "x", throttle: [] },
    ]) {
      expectAwsError(await call("POST", "/usageplans", JSON.stringify(body)), 400, "BadRequestException");
    }
    const plan = await call("POST", "/usageplans", '{"name":"patched"}');
    const path = `/usageplans/${(plan.body as { id: string }).id}`;
    for (const body of [
      '{"patchOperations":{}}',
      '{"patchOperations":[{"op":"replace","path":"/quota/limit","value":5}]}',
    ]) {
      expectAwsError(await call("PATCH", path, body), 400, "BadRequestException");
    }
  });

  it("unknown paths and methods: 404 UnknownOperationException", async () => {
    for (const [method, path] of [
      ["GET", "/nope"],
      ["PUT", "/usageplans"],
      ["GET", "/usageplans/"],
      ["GET", "/usageplans//keys"],
      ["POST", "/restapis?mode=import"],
      ["GET", "/"],
    ] as const) {
      expectAwsError(await call(method, path), 404, "UnknownOperationException");
    }
    await stillServing();
  });

  it("a broken percent-encoding in a path label: 400", async () => {
    expectAwsError(await call("GET", "/usageplans/%E0%A4%A"), 400, "BadRequestException");
  });

  it("a body over 10 MB: 413 with JSON, and the server keeps serving", async () => {
    const huge = `{"name":"${"x".repeat(11 * 1024 * 1024)}"}`;
    expectAwsError(await call("POST", "/usageplans", huge), 413, "RequestEntityTooLargeException");
    await stillServing();
  });

  it("GetUsage without dates: 400", async () => {
    const plan = await call("POST", "/usageplans", '{"name":"u"}');
    expectAwsError(
      await call("GET", `/usageplans/${(plan.body as { id: string }).id}/usage`),
      400,
      "BadRequestException",
    );
  });

  it("malformed HTTP: a JSON 400 on the socket, and the server keeps serving", async () => {
    const port = Number(new URL(base).port);
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(port, "127.0.0.1", () => socket.write("THIS IS NOT HTTP\r\n\r\n"));
      let data = "";
      socket.on("data", (chunk) => {
        data += chunk.toString();
      });
      socket.on("end", () => resolve(data));
      socket.on("error", reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400/);
    expect(reply).toContain("X-Amzn-ErrorType: BadRequestException");
    expect(reply).toContain('{"message":');
    await stillServing();
  });
});
