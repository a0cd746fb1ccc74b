// Open-violation state in DynamoDB (dynalite): conditional writes, listing, and master records unaffected.
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { planAlerts, updatesAfterDelivery, violationKey } from "../../src/notify/index.js";
import { VIOLATION_KEY_PREFIX } from "../../src/store/index.js";
import { type Sandbox, sampleRecord, startSandbox } from "../store/helpers.js";
import { HOUR, report, violation } from "./builders.js";

let sb: Sandbox;
beforeAll(async () => {
  sb = await startSandbox();
});
afterAll(() => sb.stop());

const T0 = Date.parse("2026-01-15T14:30:00.000Z");
const QUIET = 24 * HOUR;

describe("store: open-violation state", () => {
  it("round-trips new → still open → resolved over three drift runs", async () => {
    const { store, tables } = await sb.initialisedStore();
    await store.putRecord(sampleRecord("premium-weather"), 0);
    const rate = violation();
    const key = violation({ violation_type: "key_added", subject: "k9", severity: "MEDIUM" });
    const run = async (vs: (typeof rate)[], now: number) => {
      const plan = planAlerts({
        report: report(vs),
        open: await store.listOpenViolations(),
        now,
        quietPeriodMs: QUIET,
      });
      const saved = await store.saveViolationState(updatesAfterDelivery(plan.updates, []));
      return { plan, saved };
    };

    const r1 = await run([rate, key], T0);
    expect(r1.plan.alerts.map((a) => a.event)).toEqual(["opened"]);
    expect(r1.saved.conflicts).toEqual([]);
    const open1 = await store.listOpenViolations();
    expect(open1.map((r) => r.key)).toEqual([violationKey(key), violationKey(rate)].sort());
    expect(open1.find((r) => r.key === violationKey(rate))).toEqual({
      key: violationKey(rate),
      violation: rate,
      first_seen: "2026-01-15T14:30:00.000Z",
      last_seen: "2026-01-15T14:30:00.000Z",
      last_alerted: "2026-01-15T14:30:00.000Z",
      version: 1,
    });

    const r2 = await run([rate, key], T0 + 5 * 60_000);
    expect(r2.plan.alerts).toEqual([]);
    expect(r2.saved.written).toHaveLength(2);

    const r3 = await run([key], T0 + 10 * 60_000);
    expect(r3.plan.alerts.map((a) => [a.event, a.violations.map((v) => v.violation_type)])).toEqual([
      ["resolved", ["rate_limit_changed"]],
    ]);
    expect((await store.listOpenViolations()).map((r) => r.violation.violation_type)).toEqual(["key_added"]);

    // The resolved item stays for history, out of the open list; master records never show any of it.
    const item = await sb.raw().send(
      new GetCommand({
        TableName: tables.metadata,
        Key: { plan_id: `${VIOLATION_KEY_PREFIX}${violationKey(rate)}` },
      }),
    );
    expect(item.Item).toMatchObject({ resolved_at: new Date(T0 + 10 * 60_000).toISOString(), version: 3 });
    expect((await store.listRecords()).map((r) => r.plan_id)).toEqual(["premium-weather"]);
    expect(await store.getRecord(`${VIOLATION_KEY_PREFIX}${violationKey(rate)}`)).toBeUndefined();

    // Reopened later: a new incident on the same item, first_seen reset, alerted again.
    const r4 = await run([rate, key], T0 + HOUR);
    expect(r4.plan.alerts.map((a) => [a.event, a.violations.map((v) => v.violation_type)])).toEqual([
      ["opened", ["rate_limit_changed"]],
    ]);
    const reopened = (await store.listOpenViolations()).find((r) => r.key === violationKey(rate));
    expect(reopened).toMatchObject({ first_seen: new Date(T0 + HOUR).toISOString(), version: 4 });
    expect(reopened?.resolved_at).toBeUndefined();
  });

  it("writes are conditional: a second run working from the same read loses, and says which keys", async () => {
    const { store } = await sb.initialisedStore();
    const rate = violation();
    const first = planAlerts({ report: report([rate]), open: [], now: T0, quietPeriodMs: QUIET });
    // Two runs both saw no open item and both try to open it: exactly one wins.
    const [a, b] = await Promise.all([
      store.saveViolationState(first.updates),
      store.saveViolationState(first.updates),
    ]);
    expect([a.written.length, b.written.length].sort()).toEqual([0, 1]);
    expect([...a.conflicts, ...b.conflicts]).toEqual([violationKey(rate)]);
    const open = await store.listOpenViolations();
    // Two runs refresh from the same read: the second expects a version that moved.
    const next = planAlerts({ report: report([rate]), open, now: T0 + 60_000, quietPeriodMs: QUIET });
    expect(await store.saveViolationState(next.updates)).toEqual({
      written: [violationKey(rate)],
      conflicts: [],
    });
    expect(await store.saveViolationState(next.updates)).toEqual({
      written: [],
      conflicts: [violationKey(rate)],
    });
    // Resolving an item another run already resolved is a conflict too, not a second resolution.
    const now = await store.listOpenViolations();
    const done = planAlerts({ report: report([]), open: now, now: T0 + 120_000, quietPeriodMs: QUIET });
    expect((await store.saveViolationState(done.updates)).written).toHaveLength(1);
    expect((await store.saveViolationState(done.updates)).conflicts).toHaveLength(1);
    expect(await store.listOpenViolations()).toEqual([]);
  });

  it("unalerted state round-trips (no last_alerted), so the next run alerts again", async () => {
    const { store } = await sb.initialisedStore();
    const plan = planAlerts({ report: report([violation()]), open: [], now: T0, quietPeriodMs: QUIET });
    const failed = [
      {
        target: { type: "stdout" as const },
        label: "stdout",
        ok: false,
        error: "x",
        delivered: [] as number[],
      },
    ];
    await store.saveViolationState(updatesAfterDelivery(plan.updates, failed));
    const [stored] = await store.listOpenViolations();
    expect(stored?.last_alerted).toBeUndefined();
    const again = planAlerts({
      report: report([violation()]),
      open: [stored!],
      now: T0 + 1,
      quietPeriodMs: QUIET,
    });
    expect(again.alerts.map((a) => a.event)).toEqual(["opened"]);
  });
});
