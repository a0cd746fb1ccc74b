import {
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  GetUsageCommand,
  type QuotaSettings,
  UpdateUsageCommand,
} from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { expectApiError, startTestSandbox, stopTestSandbox, type TestSandbox, todayUtc } from "./helpers.js";

let t: TestSandbox;

beforeAll(async () => {
  t = await startTestSandbox();
});
afterAll(() => stopTestSandbox(t));

async function planWithKeys(quota: QuotaSettings | undefined, keyCount: number) {
  const plan = await t.client.send(new CreateUsagePlanCommand({ name: "usage", quota }));
  const keys: string[] = [];
  for (let i = 0; i < keyCount; i++) {
    const key = await t.client.send(new CreateApiKeyCommand({ name: `k${i}` }));
    await t.client.send(
      new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: key.id, keyType: "API_KEY" }),
    );
    keys.push(key.id ?? "");
  }
  return { planId: plan.id ?? "", keys };
}

const record = (usagePlanId: string, keyId: string, date: string, count: number) =>
  t.sb.admin.recordUsage({ usagePlanId, keyId, date, count });

const usage = (usagePlanId: string, startDate: string, endDate: string, keyId?: string) =>
  t.client.send(new GetUsageCommand({ usagePlanId, startDate, endDate, keyId }));

describe("GetUsage", () => {
  it("returns [used, remaining] per day for every key, oldest first, both ends inclusive", async () => {
    const { planId, keys } = await planWithKeys({ limit: 100, period: "DAY" }, 2);
    const [k1 = "", k2 = ""] = keys;
    await record(planId, k1, todayUtc(-1), 10);
    await record(planId, k1, todayUtc(), 30);
    await record(planId, k1, todayUtc(), 5);
    const res = await usage(planId, todayUtc(-2), todayUtc());
    expect(res).toMatchObject({ usagePlanId: planId, startDate: todayUtc(-2), endDate: todayUtc() });
    expect(res.items).toEqual({
      [k1]: [
        [0, 100],
        [10, 90],
        [35, 65],
      ],
      [k2]: [
        [0, 100],
        [0, 100],
        [0, 100],
      ],
    });
    const one = await usage(planId, todayUtc(), todayUtc(), k2);
    expect(one.items).toEqual({ [k2]: [[0, 100]] });
  });

  it("counts the remaining quota across a MONTH period and resets at the period start", async () => {
    const { planId, keys } = await planWithKeys({ limit: 1000, period: "MONTH" }, 1);
    const [k = ""] = keys;
    await record(planId, k, "2024-05-10", 100);
    await record(planId, k, "2024-05-31", 50);
    await record(planId, k, "2024-06-01", 7);
    const res = await usage(planId, "2024-05-30", "2024-06-01");
    expect(res.items?.[k]).toEqual([
      [0, 900],
      [50, 850],
      [7, 993],
    ]);
  });

  it("starts WEEK periods on Monday + offset", async () => {
    const { planId, keys } = await planWithKeys({ limit: 100, period: "WEEK", offset: 0 }, 1);
    const [k = ""] = keys;
    await record(planId, k, "2024-05-05", 10); // Sunday, end of the week of Apr 29
    await record(planId, k, "2024-05-06", 20); // Monday, a new week
    expect((await usage(planId, "2024-05-05", "2024-05-06")).items?.[k]).toEqual([
      [10, 90],
      [20, 80],
    ]);
    const shifted = await planWithKeys({ limit: 100, period: "WEEK", offset: 6 }, 1); // weeks start on Sunday
    const [s = ""] = shifted.keys;
    await record(shifted.planId, s, "2024-05-04", 10); // Saturday
    await record(shifted.planId, s, "2024-05-05", 20); // Sunday
    expect((await usage(shifted.planId, "2024-05-04", "2024-05-05")).items?.[s]).toEqual([
      [10, 90],
      [20, 80],
    ]);
  });

  it("reports remaining 0 for a plan without a quota", async () => {
    const { planId, keys } = await planWithKeys(undefined, 1);
    const [k = ""] = keys;
    await record(planId, k, todayUtc(), 3);
    expect((await usage(planId, todayUtc(), todayUtc())).items).toEqual({ [k]: [[3, 0]] });
  });

  it("404 for an unknown plan; 400 for bad dates or an inverted range", async () => {
    await expectApiError(
      usage("nope00", todayUtc(), todayUtc()),
      404,
      "NotFoundException",
      "Invalid Usage Plan ID specified",
    );
    const { planId } = await planWithKeys(undefined, 0);
    await expectApiError(usage(planId, "2024-13-01", "2024-12-01"), 400, "BadRequestException", /start date/);
    await expectApiError(usage(planId, "2024-02-01", "2024-02-30"), 400, "BadRequestException", /end date/);
    await expectApiError(usage(planId, "2024-02-02", "2024-02-01"), 400, "BadRequestException", /end date/);
    await expectApiError(usage(planId, "2023-01-01", "2024-12-31"), 400, "BadRequestException", /366 days/);
  });
});

describe("UpdateUsage", () => {
  it("replace /remaining sets the remaining quota of the current period", async () => {
    const { planId, keys } = await planWithKeys({ limit: 100, period: "DAY" }, 1);
    const [k = ""] = keys;
    await record(planId, k, todayUtc(), 30);
    const res = await t.client.send(
      new UpdateUsageCommand({
        usagePlanId: planId,
        keyId: k,
        patchOperations: [{ op: "replace", path: "/remaining", value: "500" }],
      }),
    );
    expect(res).toMatchObject({ usagePlanId: planId, startDate: todayUtc(), endDate: todayUtc() });
    expect(res.items).toEqual({ [k]: [[30, 500]] });
    await record(planId, k, todayUtc(), 5);
    expect((await usage(planId, todayUtc(), todayUtc())).items).toEqual({ [k]: [[35, 495]] });
    const lenient = await t.client.send(
      new UpdateUsageCommand({
        usagePlanId: planId,
        keyId: k,
        patchOperations: [{ op: "replace", path: `/keys/${k}/remaining`, value: "0" }],
      }),
    );
    expect(lenient.items).toEqual({ [k]: [[35, 0]] });
  });

  it("400 for op add or another path, a bad value, or a plan without quota; 404 for a non-member", async () => {
    const { planId, keys } = await planWithKeys({ limit: 100, period: "DAY" }, 1);
    const [k = ""] = keys;
    const update = (
      p: string,
      patchOperations: Array<{ op: "add" | "replace"; path: string; value: string }>,
      key = k,
    ) => t.client.send(new UpdateUsageCommand({ usagePlanId: p, keyId: key, patchOperations }));
    await expectApiError(
      update(planId, [{ op: "add", path: "/remaining", value: "1" }]),
      400,
      "BadRequestException",
      "Invalid patch path  '/remaining' specified for op 'add'. Must be one of: []",
    );
    await expectApiError(
      update(planId, [{ op: "replace", path: "/used", value: "1" }]),
      400,
      "BadRequestException",
      "Invalid patch path  '/used' specified for op 'replace'. Must be one of: [/remaining]",
    );
    await expectApiError(
      update(planId, [{ op: "replace", path: "/remaining", value: "-1" }]),
      400,
      "BadRequestException",
    );
    await expectApiError(
      update(planId, [{ op: "replace", path: "/remaining", value: "1" }], "nokey00000"),
      404,
      "NotFoundException",
      "Invalid API Key identifier specified",
    );
    await expectApiError(
      update("nope00", [{ op: "replace", path: "/remaining", value: "1" }]),
      404,
      "NotFoundException",
    );
    const noQuota = await planWithKeys(undefined, 1);
    await expectApiError(
      update(noQuota.planId, [{ op: "replace", path: "/remaining", value: "1" }], noQuota.keys[0]),
      400,
      "BadRequestException",
      /has no quota/,
    );
  });
});

describe("admin recordUsage", () => {
  it("refuses a key that is not in the plan", async () => {
    const { planId } = await planWithKeys({ limit: 1, period: "DAY" }, 0);
    const key = await t.client.send(new CreateApiKeyCommand({ name: "outsider" }));
    await expect(record(planId, key.id ?? "", todayUtc(), 1)).rejects.toThrow(
      /404.*Invalid API Key identifier/,
    );
  });
});
