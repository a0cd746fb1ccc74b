// Plan-file edits keep everything that is not edited exactly as written.

import { describe, expect, it } from "vitest";
import { editPlanText } from "../../src/spec/edit.js";

const TWO = `# header comment
plan_id: free
name: Free # display name
rate_limit: 5
burst_limit: 10
stages: [ { api_name: weather-api, stage: prod } ]
keys:
  - acme # first customer
  - initech
---
# second document
plan_id: basic
name: "Basic"
keys: [globex]
`;

describe("editPlanText", () => {
  it("sets lifecycle_state and successor, and leaves everything else as written", () => {
    const r = editPlanText(TWO, "free", { lifecycleState: "Deprecated", successor: "basic" });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.changed).toBe(true);
    expect(r.text).toBe(
      TWO.replace("  - initech\n", "  - initech\nlifecycle_state: Deprecated\nsuccessor: basic\n"),
    );
  });

  it("changes an existing lifecycle_state in place and removes successor with null", () => {
    const start = editPlanText(TWO, "free", { lifecycleState: "Deprecated", successor: "basic" });
    if (!start.ok) throw new Error(start.error.message);
    const r = editPlanText(start.text, "free", { lifecycleState: "Active", successor: null });
    if (!r.ok) throw new Error(r.error.message);
    expect(r.text).toBe(TWO.replace("  - initech\n", "  - initech\nlifecycle_state: Active\n"));
  });

  it("moves keys between the block list of one document and the flow list of another", () => {
    const a = editPlanText(TWO, "free", { removeKeys: ["initech"] });
    if (!a.ok) throw new Error(a.error.message);
    const b = editPlanText(a.text, "basic", { addKeys: ["initech"] });
    if (!b.ok) throw new Error(b.error.message);
    expect(b.text).toContain("  - acme # first customer\n---");
    expect(b.text).toContain("keys: [globex, initech]\n");
    expect(a.text).toContain("keys: [globex]\n");
    expect(b.text).toContain('name: "Basic"');
  });

  it("is a no-op when nothing changes", () => {
    const r = editPlanText(TWO, "free", { lifecycleState: "Active", addKeys: ["acme"] });
    expect(r).toEqual({ ok: true, text: TWO, changed: false });
  });

  it("locates a malformed file and an unknown plan", () => {
    const bad = editPlanText("plan_id: free\nname: a\nname: b\n", "free", { lifecycleState: "Deprecated" });
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.error).toMatchObject({ line: 3 });
    const missing = editPlanText(TWO, "nope", { lifecycleState: "Deprecated" });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.error.message).toContain("No document with plan_id nope");
  });
});
