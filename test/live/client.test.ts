import { describe, expect, it } from "vitest";
import { collectPages, mapLimit, usagePlanArn } from "../../src/live/client.js";
import { listOmitsTags } from "../../src/live/read.js";

describe("collectPages", () => {
  it("follows position until it is absent, and stops on a repeated token", async () => {
    const pages: Record<string, { items: number[]; position?: string }> = {
      start: { items: [1, 2], position: "p2" },
      p2: { items: [3], position: "p3" },
      p3: { items: [4] },
    };
    const seen: Array<string | undefined> = [];
    const all = await collectPages(async (position) => {
      seen.push(position);
      return pages[position ?? "start"] ?? { items: [] };
    });
    expect(all).toEqual([1, 2, 3, 4]);
    expect(seen).toEqual([undefined, "p2", "p3"]);
    let calls = 0;
    await collectPages(async () => ({ items: [calls++], position: "same" }));
    expect(calls).toBe(2);
  });
});

describe("mapLimit", () => {
  it("keeps order and never runs more than the limit at once", async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 3, 2, 4], 2, async (n) => {
      peak = Math.max(peak, ++running);
      await new Promise((resolve) => setTimeout(resolve, n));
      running--;
      return n * 10;
    });
    expect(out).toEqual([50, 10, 30, 20, 40]);
    expect(peak).toBe(2);
    expect(await mapLimit([], 3, async (n: number) => n)).toEqual([]);
  });
});

describe("usagePlanArn", () => {
  it("has an empty account field and the region's partition", () => {
    expect(usagePlanArn("eu-west-1", "ab12cd")).toBe("arn:aws:apigateway:eu-west-1::/usageplans/ab12cd");
    expect(usagePlanArn("cn-north-1", "x")).toBe("arn:aws-cn:apigateway:cn-north-1::/usageplans/x");
  });
});

describe("listOmitsTags", () => {
  it("is true only when no list item has a tags member", () => {
    expect(listOmitsTags([{}, {}])).toBe(true);
    expect(listOmitsTags([{}, { tags: { a: "1" } }])).toBe(false);
    expect(listOmitsTags([])).toBe(false);
  });
});
