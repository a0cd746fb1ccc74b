// The closing lines of an apply: counts, and which changes were not run — cut after a few, with how many more.

import { describe, expect, it } from "vitest";
import type { ApplyResult, ChangeResult } from "../../src/model/plan.js";
import { NOT_RUN_SHOWN, renderApplySummary } from "../../src/render/plan.js";

const result = (ok: number, notRun: number): ApplyResult => ({
  run_id: "r",
  started_at: "2026-11-30T00:00:00.000Z",
  finished_at: "2026-11-30T00:00:01.000Z",
  stopped: "interrupted by SIGINT",
  results: [
    ...Array.from(
      { length: ok },
      (_, i): ChangeResult => ({
        changeId: `create:a${i}`,
        action: "create",
        resource: "plan",
        planId: `a${i}`,
        outcome: "ok",
      }),
    ),
    ...Array.from(
      { length: notRun },
      (_, i): ChangeResult => ({
        changeId: `create:p${i}`,
        action: "create",
        resource: "plan",
        planId: `p${i}`,
        outcome: "skipped",
        error: "not run: the run stopped",
      }),
    ),
  ],
});

describe("renderApplySummary", () => {
  it("names every change not run when there are few", () => {
    const text = renderApplySummary(result(2, 3));
    expect(text).toContain("Apply incomplete: 2 applied, 0 failed, 3 skipped.");
    expect(text).toContain("Not run: create:p0, create:p1, create:p2.\n");
  });

  it("names the first few and counts the rest when there are many", () => {
    const text = renderApplySummary(result(24, 66));
    const ids = Array.from({ length: NOT_RUN_SHOWN }, (_, i) => `create:p${i}`).join(", ");
    expect(text).toContain(`Not run: ${ids} and ${66 - NOT_RUN_SHOWN} more (-o json lists them all).\n`);
    expect(text).not.toContain(`create:p${NOT_RUN_SHOWN},`);
  });
});
