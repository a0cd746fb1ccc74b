import { describe, expect, it } from "vitest";
import { styleFor, wantsColor } from "../../src/cli/output.js";
import { buildPlan } from "../../src/diff/build-plan.js";
import { renderPlanHuman, renderPlanMarkdown, summaryLine } from "../../src/render/plan.js";
import {
  desired,
  livePlan,
  liveState,
  NOW,
  OWNER_TAG,
  recordOf,
  settings,
  stage,
} from "../helpers/builders.js";

describe("colour", () => {
  it("only on a TTY, never with NO_COLOR or TERM=dumb or --no-color; FORCE_COLOR forces it otherwise", () => {
    expect(wantsColor({ isTTY: true }, {})).toBe(true);
    expect(wantsColor({ isTTY: false }, {})).toBe(false);
    expect(wantsColor({}, {})).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: "" })).toBe(false);
    expect(wantsColor({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(wantsColor({ isTTY: true }, { TERM: "dumb" })).toBe(false);
    expect(wantsColor({ isTTY: true }, {}, false)).toBe(false);
    expect(wantsColor({ isTTY: false }, { FORCE_COLOR: "1" })).toBe(true);
    expect(wantsColor({ isTTY: true }, { FORCE_COLOR: "1", NO_COLOR: "1" })).toBe(false);
    expect(styleFor({ isTTY: true }, {}).red("x")).toBe("\u001b[31mx\u001b[39m");
    expect(styleFor({ isTTY: false }, {}).red("x")).toBe("x");
  });
});

describe("plan rendering", () => {
  const d = desired(
    "gold",
    settings({ name: "Gold", throttle: { rateLimit: 100 }, stages: [stage("api1:prod")] }),
    { keys: ["k1"] },
  );
  const drifted = livePlan(
    "ab12cd",
    settings({ name: "Gold", throttle: { rateLimit: 500 }, stages: [stage("api1:dev")] }),
    [],
    "gold",
  );
  const plan = buildPlan({
    desired: [d],
    records: [recordOf(d, "ab12cd")],
    live: liveState({ plans: [drifted], apiKeys: [{ id: "k1", name: "partner", enabled: true }] }),
    ownershipTagKey: OWNER_TAG,
    now: NOW,
  });

  it("shows updates field by field, stage attach/detach, key attach, drift and a summary", () => {
    const text = renderPlanHuman(plan);
    expect(text).toContain(
      "# gold (ab12cd) will be updated in place — changed outside upg: restore the declared settings",
    );
    expect(text).toContain("~ throttle.rateLimit: 500 → 100");
    expect(text).toContain("- stage api1:dev");
    expect(text).toContain("+ stage api1:prod");
    expect(text).toContain("+ key partner (k1) → gold");
    expect(text).toContain(
      "HIGH     gold (ab12cd): rate_limit_changed throttle.rateLimit: should be 100, is 500",
    );
    expect(text).toContain("HIGH     gold (ab12cd): stage_removed api1:prod");
    expect(text).toContain('MEDIUM   gold (ab12cd): key_removed k1: should be "k1", is (none)');
    expect(summaryLine(plan)).toBe(
      "Plan: 0 to create, 1 to update, 0 to recreate, 0 to delete; 1 key to attach, 0 keys to detach; 0 records to sync.",
    );
    expect(text).not.toContain("\u001b[");
  });

  it("markdown has a table and the full plan in a collapsible block", () => {
    const md = renderPlanMarkdown(plan);
    expect(md).toContain("| update | `gold` | changed outside upg: restore the declared settings |");
    expect(md).toContain("| attach | `gold` | key partner (k1) |");
    expect(md).toContain("**Drift:** 4 findings (3 high or critical).");
    expect(md).toMatch(/<details><summary>Full plan<\/summary>\n\n```diff\n/);
  });

  it("an adopt shows `~ adopt` and its keys; a delete names the keys that lose access, and the summary counts them", () => {
    const hand = desired("hand", settings({ name: "Hand" }));
    const gone = recordOf(desired("old", settings({ name: "Old" })), "o1");
    const p = buildPlan({
      desired: [hand],
      records: [gone],
      live: liveState({
        plans: [
          livePlan("h1", settings({ name: "Hand" }), ["k1"]),
          livePlan("o1", settings({ name: "Old" }), ["k1", "k2"], "old"),
        ],
        apiKeys: [
          { id: "k1", name: "partner", enabled: true },
          { id: "k2", enabled: true },
        ],
      }),
      ownershipTagKey: OWNER_TAG,
      now: NOW,
      adopt: true,
      allowKeyLoss: true,
    });
    expect(p.problems).toEqual([]);
    const text = renderPlanHuman(p);
    expect(text).toContain('~ adopt usage plan "Hand"');
    expect(text).toContain(`+ tags[${OWNER_TAG}] = "hand"`);
    expect(text).toContain("1 API key attached, recorded as it is");
    expect(text).toContain("2 API keys lose access: partner (k1), k2");
    expect(summaryLine(p)).toBe(
      "Plan: 1 to adopt, 0 to create, 0 to update, 0 to recreate, 1 to delete; 0 keys to attach, 0 keys to detach; 0 records to sync. 2 API keys lose access with the deleted plans.",
    );
    expect(renderPlanMarkdown(p)).toContain("2 API keys lose access: partner, k2 |");
  });
});
