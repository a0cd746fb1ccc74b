import { writeFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { staleReason } from "../../src/apply/make-plan.js";
import {
  accountFromArn,
  checkSavedPlan,
  inputsHash,
  makeProvenance,
  parseSavedPlan,
  planChecksum,
  planInputFiles,
  readSavedPlanFile,
  type SavedPlan,
  sealPlan,
} from "../../src/apply/saved-plan.js";
import { buildPlan } from "../../src/diff/build-plan.js";
import { UserError } from "../../src/errors.js";
import { type Change, PLAN_FORMAT_VERSION, type Plan, type PlanProvenance } from "../../src/model/plan.js";
import type { PlanSpec } from "../../src/model/spec.js";
import { DEFAULT_CONFIG } from "../../src/spec/config.js";
import {
  desired,
  keys,
  livePlan,
  liveState,
  NOW,
  OWNER_TAG,
  recordOf,
  settings,
} from "../helpers/builders.js";
import { tmpTree } from "../helpers/tmp.js";

const PROV: PlanProvenance = {
  region: "us-east-1",
  account: "123456789012",
  tables: { metadata: "usage-plans-metadata", audit: "usage-plans-audit" },
  project: null,
  inputs_hash: "a".repeat(64),
};

/** basic: rate 100 live, 200 declared (an update); free: new (a create and a key attach); an unmanaged plan. */
function currentPlan(over: { basicRate?: number; liveRate?: number; basicVersion?: number } = {}): Plan {
  const basic = desired("basic", settings({ name: "Basic", throttle: { rateLimit: over.basicRate ?? 200 } }));
  const free = desired("free", settings({ name: "Free" }), { keys: ["k1"] });
  const live = liveState({
    plans: [
      livePlan(
        "abc123",
        settings({ name: "Basic", throttle: { rateLimit: over.liveRate ?? 100 } }),
        [],
        "basic",
      ),
      livePlan("zzz999", settings({ name: "Someone else's" })),
    ],
    apiKeys: keys("k1"),
  });
  return buildPlan({
    desired: [basic, free],
    records: [
      recordOf(
        desired("basic", settings({ name: "Basic", throttle: { rateLimit: 100 } })),
        "abc123",
        [],
        over.basicVersion ?? 3,
      ),
    ],
    live,
    ownershipTagKey: OWNER_TAG,
    now: NOW,
    targets: [],
  });
}

function saved(plan: Plan = currentPlan(), prov: PlanProvenance = PROV): SavedPlan {
  return sealPlan(plan, prov);
}

/** A JSON-clone of the saved plan, edited, with its checksum recomputed (or not). */
function edited(edit: (doc: Record<string, unknown>) => void, reseal = true): string {
  const doc = JSON.parse(JSON.stringify(saved())) as Record<string, unknown>;
  edit(doc);
  if (reseal) doc.checksum = planChecksum(doc);
  return JSON.stringify(doc);
}

function parseError(text: string): UserError {
  try {
    parseSavedPlan(text, "plan.json");
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error("parseSavedPlan accepted it");
}

function checkError(s: SavedPlan, ctx: { provenance?: PlanProvenance; current?: Plan } = {}): UserError {
  try {
    checkSavedPlan(s, {
      file: "plan.json",
      provenance: ctx.provenance ?? PROV,
      current: ctx.current ?? currentPlan(),
    });
  } catch (err) {
    expect(err).toBeInstanceOf(UserError);
    return err as UserError;
  }
  throw new Error("checkSavedPlan accepted it");
}

describe("parseSavedPlan", () => {
  it("reads back exactly what sealPlan wrote, with format version, provenance and a checksum", () => {
    const s = saved();
    expect(s.format_version).toBe(PLAN_FORMAT_VERSION);
    expect(s.provenance).toEqual(PROV);
    expect(s.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(s.changes.map((c) => c.id)).toEqual(["update:basic", "create:free", "attach-key:free:k1"]);
    expect(parseSavedPlan(`${JSON.stringify(s, null, 2)}\n`, "plan.json")).toEqual(s);
  });

  it("reads back an adopt, a field added (no before) and a delete that drops keys", () => {
    const base = currentPlan();
    const adopt: Change = {
      id: "adopt:hand",
      action: "adopt",
      resource: "plan",
      planId: "hand",
      apiGatewayId: "h1",
      live: settings({ name: "Hand" }),
      desired: desired("hand", settings({ name: "Hand" })),
      keys: ["k1"],
      fields: [{ field: "tags[upg:plan-id]", after: "hand" }],
    };
    const drop: Change = {
      id: "delete:old",
      action: "delete",
      resource: "plan",
      planId: "old",
      apiGatewayId: "o1",
      lostKeys: [{ id: "k2", name: "acme" }, { id: "k3" }],
    };
    const s = sealPlan({ ...base, changes: [adopt, ...base.changes, drop] }, PROV);
    expect(parseSavedPlan(JSON.stringify(s), "plan.json")).toEqual(JSON.parse(JSON.stringify(s)));
  });

  it.each<[string, string, RegExp]>([
    ["not JSON", "{ nope", /Cannot read the saved plan plan\.json: it is not JSON/],
    ["a list", "[]", /plan\.json is not a upg plan: it holds a list/],
    ["null", "null", /plan\.json is not a upg plan: it holds null/],
    ["no format_version", "{}", /has no numeric `format_version`/],
    [
      'fingerprint "x"',
      edited((d) => (d.fingerprint = "x")),
      /`fingerprint` must be an object, not the string "x"/,
    ],
    ['targets "abc"', edited((d) => (d.targets = "abc")), /`targets` must be a list, not the string "abc"/],
    ["changes [null]", edited((d) => (d.changes = [null])), /`changes\[0\]` must be an object, not null/],
    ["changes [{}]", edited((d) => (d.changes = [{}])), /`changes\[0\]\.id` is missing/],
    [
      "unknown action",
      edited((d) => ((d.changes as Change[])[0]!.action = "explode" as Change["action"])),
      /`changes\[0\]\.action` must be "create" or "update".* not the string "explode"/,
    ],
    [
      "unknown resource",
      edited((d) => ((d.changes as Change[])[0]!.resource = "table" as Change["resource"])),
      /`changes\[0\]\.resource` must be "plan" or "key" or "record", not the string "table"/,
    ],
    [
      "an action on the wrong resource",
      edited((d) => ((d.changes as Change[])[2]!.action = "delete")),
      /`changes\[2\]\.action` "delete" is not an action on a key/,
    ],
    [
      "an update without its API Gateway id",
      edited((d) => delete (d.changes as Change[])[0]!.apiGatewayId),
      /`changes\[0\]\.apiGatewayId` is missing \(every update change needs it\)/,
    ],
    [
      "a key attach without its key id",
      edited((d) => delete (d.changes as Change[])[2]!.keyId),
      /`changes\[2\]\.keyId` is missing \(every attach change needs it\)/,
    ],
    [
      "an empty change id",
      edited((d) => ((d.changes as Change[])[0]!.id = "")),
      /`changes\[0\]\.id`: Too small/,
    ],
    [
      "a repeated change id",
      edited((d) => ((d.changes as Change[])[1]!.id = "update:basic")),
      /`changes\[1\]\.id` repeats the id "update:basic"/,
    ],
    [
      "a record version that is not a number",
      edited((d) => ((d.fingerprint as Plan["fingerprint"]).records.basic = "3" as unknown as number)),
      /`fingerprint\.records\.basic` must be a number, not the string "3"/,
    ],
    ["no provenance", edited((d) => delete d.provenance), /`provenance` is missing/],
    [
      "an account that is not an account id",
      edited((d) => ((d.provenance as PlanProvenance).account = "me")),
      /`provenance\.account` is not a 12-digit AWS account id/,
    ],
    ["no checksum", edited((d) => delete d.checksum, false), /`checksum` is missing/],
  ])("%s is one clear error naming the field, never a crash", (_what, text, message) => {
    const err = parseError(text);
    expect(err.message).toMatch(message);
    expect(err.message).not.toContain("\n");
    expect(err.hint).toContain("upg plan --out plan.json");
  });

  it("reports at most three problems, and how many more there are", () => {
    const err = parseError(edited((d) => (d.changes = [null, null, null, null, null])));
    expect(err.message).toContain("`changes[2]` must be an object, not null (and 2 more).");
  });

  it("an edited plan whose checksum was not recomputed: edited after it was saved", () => {
    const text = edited((d) => {
      (d.desired as Plan["desired"])[0]!.settings.throttle = { rateLimit: 100000 };
    }, false);
    expect(parseError(text).message).toBe(
      "The saved plan plan.json was edited after it was saved: its checksum does not match its content.",
    );
    // Key order and whitespace are not edits.
    const s = saved();
    const reordered = Object.fromEntries(Object.entries(s).reverse());
    expect(parseSavedPlan(JSON.stringify(reordered), "plan.json")).toEqual(s);
  });

  it("a plan of an older or newer format is refused, saying which and what to do", () => {
    const old = parseError(edited((d) => (d.format_version = 1)));
    expect(old.message).toBe(
      `The saved plan plan.json was made by an older upg (plan format 1; this upg applies format ${PLAN_FORMAT_VERSION}).`,
    );
    expect(old.hint).toContain("make a new one with `upg plan --out plan.json`".replace("make", "Make"));
    expect(parseError(edited((d) => (d.format_version = PLAN_FORMAT_VERSION + 1))).message).toContain(
      "was made by a newer upg",
    );
  });

  it("readSavedPlanFile reads only a regular file", () => {
    const t = tmpTree({ "plan.json": JSON.stringify(saved()) });
    try {
      expect(readSavedPlanFile(t.path("plan.json")).checksum).toBe(saved().checksum);
      expect(() => readSavedPlanFile(t.dir)).toThrow(/Cannot read the saved plan .*: not a regular file/);
      expect(() => readSavedPlanFile(t.path("missing.json"))).toThrow(UserError);
    } finally {
      t.cleanup();
    }
  });
});

describe("checkSavedPlan", () => {
  it("accepts a plan made here that equals the plan computed now", () => {
    expect(() =>
      checkSavedPlan(saved(), { file: "plan.json", provenance: PROV, current: currentPlan() }),
    ).not.toThrow();
  });

  it.each<[string, Partial<PlanProvenance>, string]>([
    [
      "another project",
      { project: "billing" },
      'it was made for no project (upg.config.yaml has no `project`), and this is project "billing"',
    ],
    [
      "another account",
      { account: "999999999999" },
      "it was made for AWS account 123456789012, and the credentials in use are for account 999999999999",
    ],
    [
      "another region",
      { region: "eu-west-1" },
      "it was made for region us-east-1, and this run is for eu-west-1",
    ],
    [
      "other tables",
      { tables: { metadata: "m2", audit: "a2" } },
      "it was made for the tables usage-plans-metadata and usage-plans-audit, and this project uses m2 and a2",
    ],
  ])("refuses a plan made for %s", (_what, now, reason) => {
    const err = checkError(saved(), { provenance: { ...PROV, ...now } });
    expect(err.message).toBe(`The saved plan plan.json was not made here: ${reason}.`);
    expect(err.exitCode).toBe(1);
  });

  it("does not compare accounts when either side does not know its account", () => {
    expect(() =>
      checkSavedPlan(saved(currentPlan(), { ...PROV, account: null }), {
        file: "plan.json",
        provenance: { ...PROV, account: "999999999999" },
        current: currentPlan(),
      }),
    ).not.toThrow();
    expect(() =>
      checkSavedPlan(saved(), {
        file: "plan.json",
        provenance: { ...PROV, account: null },
        current: currentPlan(),
      }),
    ).not.toThrow();
  });

  it("refuses a plan made from other plan files or config", () => {
    const err = checkError(saved(), { provenance: { ...PROV, inputs_hash: "b".repeat(64) } });
    expect(err.message).toBe(
      "The saved plan plan.json is stale: the plan files or upg.config.yaml changed since it was made.",
    );
  });

  it("refuses an edited plan with a recomputed checksum: a delete of an unmanaged plan added", () => {
    const text = edited((d) => {
      (d.changes as Change[]).push({
        id: "delete:zzz",
        action: "delete",
        resource: "plan",
        planId: "zzz",
        apiGatewayId: "zzz999",
      });
    });
    const err = checkError(parseSavedPlan(text, "plan.json"));
    expect(err.message).toBe(
      "The saved plan plan.json is stale: it no longer equals what `upg plan` computes now (delete:zzz is not in the current plan).",
    );
  });

  it("refuses an edited plan with a recomputed checksum: a rate above the declared one", () => {
    const text = edited((d) => {
      const update = (d.changes as Change[]).find((c) => c.id === "update:basic")!;
      update.desired!.settings.throttle = { rateLimit: 1_000_000 };
      update.fields = [{ field: "throttle.rateLimit", before: 100, after: 1_000_000 }];
    });
    expect(checkError(parseSavedPlan(text, "plan.json")).message).toContain(
      "it no longer equals what `upg plan` computes now (update:basic differs)",
    );
  });

  it("refuses an edited plan whose desired settings (what apply writes to the records) differ", () => {
    const text = edited((d) => {
      (d.desired as Plan["desired"]).find((x) => x.planId === "basic")!.settings.throttle = { rateLimit: 1 };
    });
    expect(checkError(parseSavedPlan(text, "plan.json")).message).toContain("(the declared settings differ)");
  });

  it("refuses a plan with a change removed, or its changes reordered", () => {
    const removed = edited((d) => (d.changes as Change[]).splice(2, 1));
    expect(checkError(parseSavedPlan(removed, "plan.json")).message).toContain(
      "(attach-key:free:k1 is missing from it)",
    );
    const reordered = edited((d) => (d.changes as Change[]).reverse());
    expect(checkError(parseSavedPlan(reordered, "plan.json")).message).toContain(
      "(the order of the changes differs)",
    );
  });

  it("refuses a plan when the plan computed now has problems the saved one does not", () => {
    const now = currentPlan();
    now.problems = [{ code: "stage_missing", planId: "basic", message: "Stage api1:gone does not exist." }];
    expect(checkError(saved(), { current: now }).message).toContain(
      "which has problems (basic: Stage api1:gone does not exist.)",
    );
  });

  it("keeps the record-version and live-state checks", () => {
    expect(checkError(saved(), { current: currentPlan({ basicVersion: 4 }) }).message).toBe(
      "The saved plan plan.json is stale: master records changed since it was made (basic).",
    );
    expect(checkError(saved(), { current: currentPlan({ liveRate: 150 }) }).message).toBe(
      "The saved plan plan.json is stale: live API Gateway state changed since it was made.",
    );
  });

  it("a plan that changed only because the plan files did (same provenance hash is impossible, but the content still says it)", () => {
    expect(staleReason(saved(), currentPlan({ basicRate: 300 }))).toContain("update:basic differs");
  });

  it("where a plan was declared (display only, spelled as the path was given) is not compared", () => {
    const withSource = (p: Plan, file: string): Plan => ({
      ...p,
      desired: p.desired.map((d) => ({ ...d, source: { file, line: 1, col: 1 } })),
      changes: p.changes.map((c) =>
        c.desired ? { ...c, desired: { ...c.desired, source: { file, line: 1, col: 1 } } } : c,
      ),
    });
    expect(
      staleReason(withSource(currentPlan(), "./plans/a.yaml"), withSource(currentPlan(), "plans/a.yaml")),
    ).toBe(undefined);
  });
});

describe("provenance", () => {
  let cleanup: (() => void) | undefined;
  afterEach(() => cleanup?.());

  function spec(planId: string, file: string): PlanSpec {
    return {
      planId,
      name: planId,
      stages: [],
      lifecycleState: "Active",
      tags: {},
      source: { file, line: 1, col: 1 },
    };
  }

  it("accountFromArn reads IAM and STS ARNs; anything else is unknown", () => {
    expect(accountFromArn("arn:aws:iam::123456789012:user/alice")).toBe("123456789012");
    expect(accountFromArn("arn:aws:sts::210987654321:assumed-role/Deploy/ci")).toBe("210987654321");
    expect(accountFromArn("arn:aws-cn:iam::123456789012:root")).toBe("123456789012");
    expect(accountFromArn("unknown:alice")).toBe(null);
    expect(accountFromArn(undefined)).toBe(null);
  });

  it("inputs_hash covers the config and the files of the plans in scope, whatever the path spelling", () => {
    const t = tmpTree({
      "upg.config.yaml": "regions: [us-east-1]\n",
      "plans/a.yaml": "plan_id: a\n",
      "plans/b.yaml": "plan_id: b\n",
    });
    cleanup = t.cleanup;
    const config = { ...DEFAULT_CONFIG, source: "upg.config.yaml" };
    const specs = [spec("a", "plans/a.yaml"), spec("b", "./plans/b.yaml")];
    expect(planInputFiles(specs, config, [], t.dir)).toEqual([
      { path: "plans/a.yaml", role: "plan" },
      { path: "plans/b.yaml", role: "plan" },
      { path: "upg.config.yaml", role: "config" },
    ]);
    expect(planInputFiles(specs, config, ["b"], t.dir).map((f) => f.path)).toEqual([
      "plans/b.yaml",
      "upg.config.yaml",
    ]);
    const prov = (targets: string[]) =>
      makeProvenance({
        region: "us-east-1",
        callerArn: "arn:aws:iam::123456789012:user/alice",
        config,
        specs,
        targets,
        cwd: t.dir,
      });
    const all = prov([]);
    const onlyB = prov(["b"]);
    expect(all).toMatchObject({ region: "us-east-1", account: "123456789012", project: null });
    expect(all.tables).toEqual(DEFAULT_CONFIG.tables);
    expect(all.inputs_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(
      makeProvenance({
        region: "us-east-1",
        callerArn: "x",
        config,
        specs: [spec("a", `${t.dir}/plans/a.yaml`), specs[1]!],
        targets: [],
        cwd: t.dir,
      }).inputs_hash,
    ).toBe(all.inputs_hash);

    writeFileSync(t.path("plans/a.yaml"), "plan_id: a\n# edited\n");
    expect(prov([]).inputs_hash).not.toBe(all.inputs_hash);
    expect(prov(["b"]).inputs_hash).toBe(onlyB.inputs_hash);
    writeFileSync(t.path("upg.config.yaml"), "regions: [us-east-1]\npolicy: { max_rate_limit: 5 }\n");
    expect(prov(["b"]).inputs_hash).not.toBe(onlyB.inputs_hash);
  });

  it("project comes from the config's `project` field when it has one", () => {
    const t = tmpTree({ "plans/a.yaml": "plan_id: a\n" });
    cleanup = t.cleanup;
    const config = { ...DEFAULT_CONFIG, project: "billing" } as typeof DEFAULT_CONFIG;
    expect(
      makeProvenance({
        region: "us-east-1",
        callerArn: undefined,
        config,
        specs: [spec("a", "plans/a.yaml")],
        targets: [],
        cwd: t.dir,
      }),
    ).toMatchObject({ project: "billing", account: null });
  });

  it("an unreadable input file is a UserError", () => {
    expect(() => inputsHash([{ path: "nope.yaml", role: "plan" }], "/nonexistent")).toThrow(UserError);
  });
});
