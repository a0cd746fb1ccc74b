// The scheduling pieces of apply, without I/O: lanes per plan within each phase of the order table, a pool
// that never runs more than its limit, and audit appends that coalesce into batches one at a time.

import { describe, expect, it } from "vitest";
import { AuditQueue, inPool, phaseLanes } from "../../src/apply/schedule.js";
import { orderChanges } from "../../src/diff/order.js";
import type { Change } from "../../src/model/plan.js";
import type { AuditEntry } from "../../src/store/index.js";

const change = (action: Change["action"], resource: Change["resource"], planId: string, n = 0): Change =>
  ({ id: `${action}-${resource}:${planId}:${n}`, action, resource, planId }) as Change;

describe("phaseLanes", () => {
  it("cuts the ordered changes at each phase and into one lane per plan, keeping each plan's order", () => {
    const changes = orderChanges([
      change("attach", "key", "b", 1),
      change("create", "plan", "b"),
      change("detach", "key", "a", 1),
      change("attach", "key", "b", 2),
      change("create", "plan", "c"),
      change("detach", "key", "a", 2),
      change("attach", "key", "c", 1),
      change("delete", "plan", "d"),
    ]);
    const ids = phaseLanes(changes).map((lanes) => lanes.map((lane) => lane.map((i) => changes[i]!.id)));
    expect(ids).toEqual([
      [["detach-key:a:1", "detach-key:a:2"]],
      [["delete-plan:d:0"]],
      [["create-plan:b:0"], ["create-plan:c:0"]],
      [["attach-key:b:1", "attach-key:b:2"], ["attach-key:c:1"]],
    ]);
  });

  it("keeps the given order when it is not sorted: a phase seen again is a new step", () => {
    const changes = [
      change("create", "plan", "a"),
      change("attach", "key", "a"),
      change("create", "plan", "b"),
    ];
    expect(phaseLanes(changes)).toEqual([[[0]], [[1]], [[2]]]);
  });
});

describe("inPool", () => {
  it("runs every item, never more than the limit at once, and waits for all before it rethrows", async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    const work = async (n: number) => {
      running++;
      most = Math.max(most, running);
      await new Promise((r) => setTimeout(r, 1 + (n % 3)));
      seen.push(n);
      running--;
      if (n === 3) throw new Error("three");
    };
    await expect(inPool([...Array(20).keys()], 4, work)).rejects.toThrow("three");
    expect(most).toBe(4);
    expect(seen.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
  });
});

describe("AuditQueue", () => {
  const entry = (id: string) => ({ change_id: id }) as unknown as AuditEntry;

  it("writes one batch at a time; what arrives meanwhile goes into the next batch, in arrival order", async () => {
    const batches: string[][] = [];
    let inFlight = 0;
    let most = 0;
    const single: string[] = [];
    const q = new AuditQueue({
      appendAudit: async (e) => {
        single.push(e.change_id);
        return {} as never;
      },
      appendAuditBatch: async (entries) => {
        inFlight++;
        most = Math.max(most, inFlight);
        batches.push(entries.map((e) => e.change_id));
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return [];
      },
    });
    const first = q.append([entry("a"), entry("b")]);
    const rest = [q.append([entry("c")]), q.append([entry("d")])];
    await Promise.all([first, ...rest]);
    expect(most).toBe(1);
    expect(batches).toEqual([
      ["a", "b"],
      ["c", "d"],
    ]);
    expect(q.batches).toBe(2);
    // A batch of one row is a plain append.
    await q.append([entry("e")]);
    expect(single).toEqual(["e"]);
    expect(q.batches).toBe(3);
  });

  it("a batch that fails fails each of its callers, and the next batch is still written", async () => {
    let calls = 0;
    const write = async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 2));
      if (calls === 2) throw new Error("throttled");
      return [] as never;
    };
    const q = new AuditQueue({ appendAudit: write, appendAuditBatch: write });
    const a = q.append([entry("a")]);
    const b = q.append([entry("b")]);
    const c = q.append([entry("c")]);
    await expect(a).resolves.toBeUndefined();
    await expect(b).rejects.toThrow("throttled");
    await expect(c).rejects.toThrow("throttled");
    await expect(q.append([entry("d")])).resolves.toBeUndefined();
  });
});
