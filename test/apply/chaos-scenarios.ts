// Chaos scenarios for the apply journal: each one is drawn from a seed and replays the same way from it.
//
//   1. an estate of 2–4 plans (declared-keys and observed-keys plans, some sharing a stage), applied cleanly,
//      with keys attached by hand to the observed plans and recorded by a second clean apply;
//   2. drift made through the SDK as a console user would (delete a plan, raise a rate, remove a stage,
//      attach or detach a key) and plan-file edits (a rate, a declared key added or removed, a plan added,
//      a file removed, a plan archived);
//   3. apply under faults (10% 429, 5% 500, sometimes connections dropped from some request on), killed at a
//      random step by the harness's kill switch; sometimes a second faulted, killed apply (a kill during
//      the recovery of the first);
//   4. faults off, clean applies until `plan` has nothing left to do (at most 3).
//
// Then what a user would check: converged, no duplicate plan, every association the user wants still there
// (computed from what the user did, never from upg's records), nothing left that should be gone, one audit
// row per executed change, nothing pending, an audit chain that verifies.
//
// The fault injector of the in-process sandbox draws from Math.random, which installSeededRandom() points
// at the scenario's generator, so the faults replay from the seed too (as far as request order does).

import {
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  DeleteUsagePlanKeyCommand,
  GetUsagePlanCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import type { Plan } from "../../src/model/plan.js";
import { type KillProject, type KillSwitch, TIME_SCALE, type World } from "./journal-harness.js";

// ---------------------------------------------------------------------------------------------------------
// Seeded randomness

/** mulberry32: a tiny 32-bit PRNG, good enough to draw scenarios from. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

class Rng {
  constructor(readonly next: () => number) {}
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T | undefined {
    return xs.length === 0 ? undefined : xs[this.int(xs.length)];
  }
  shuffle<T>(xs: readonly T[]): T[] {
    const out = [...xs];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

let faultRandom: () => number = Math.random;
let restoreRandom: (() => void) | undefined;

/**
 * Points Math.random at the current scenario's fault generator. Call before startWorld(): the sandbox's
 * fault injector takes Math.random when it is built. Returns the function that puts Math.random back.
 */
export function installSeededRandom(): () => void {
  if (restoreRandom) return restoreRandom;
  const original = Math.random;
  faultRandom = original;
  Math.random = () => faultRandom();
  restoreRandom = () => {
    Math.random = original;
    restoreRandom = undefined;
  };
  return restoreRandom;
}

// ---------------------------------------------------------------------------------------------------------
// The model: what the user has asked for, from which the expectations are computed

const KEYS = ["acme-dashboard", "globex-mobile", "initech-batch"] as const;
type Stage = "dev" | "prod";
const PLAN_IDS = ["p1", "p2", "p3", "p4", "p5", "p6"];

interface ModelPlan {
  planId: string;
  file: string;
  rate: number;
  stages: Stage[];
  /** Declared: the file's `keys:` is the exact set. Observed: no `keys:`; `keys` is what the user attached. */
  declared: boolean;
  keys: Set<string>;
  state: "active" | "removed" | "archived";
  /** Deleted in the console in this scenario's drift. */
  consoleDeleted: boolean;
}

const nameOf = (planId: string) => `Chaos ${planId}`;

function yamlOf(p: ModelPlan): string {
  const lines = [
    `plan_id: ${p.planId}`,
    `name: ${nameOf(p.planId)}`,
    `rate_limit: ${p.rate}`,
    `burst_limit: ${p.rate * 2}`,
    "stages:",
    ...p.stages.map((s) => `  - { api_name: weather-api, stage: ${s} }`),
  ];
  // An Archived plan may not declare keys (validate refuses it): it is removed from API Gateway.
  if (p.state === "archived") lines.push("lifecycle_state: Archived");
  else if (p.declared) lines.push(`keys: [${[...p.keys].sort().join(", ")}]`);
  return `${lines.join("\n")}\n`;
}

const wanted = (p: ModelPlan) => p.state === "active";

/** Whether `key` may be in `plan` as the user now wants things: no other wanted plan on a shared stage has it. */
function keyFits(model: ModelPlan[], plan: ModelPlan, key: string): boolean {
  return !model.some(
    (o) => o !== plan && wanted(o) && o.keys.has(key) && o.stages.some((s) => plan.stages.includes(s)),
  );
}

// ---------------------------------------------------------------------------------------------------------
// Results

export interface ScenarioResult {
  seed: number;
  converged: boolean;
  /** Clean applies it took to converge after the faulted runs (0 when it never did). */
  appliesNeeded: number;
  killed: number;
  faultedRuns: number;
  duplicates: number;
  lostAssociations: number;
  extraAssociations: number;
  missingPlans: number;
  leftoverPlans: number;
  unauditedChanges: number;
  duplicateAuditRows: number;
  phantomAuditRows: number;
  stuckPlans: number;
  auditProblems: number;
  /** Problems in the plan before the faulted run (a scenario the generator should not have made). */
  invalid: number;
  ms: number;
  /** What was done, step by step. */
  story: string[];
  /** What went wrong, one line each. */
  findings: string[];
}

export const FIGURES = [
  "duplicates",
  "lostAssociations",
  "extraAssociations",
  "missingPlans",
  "leftoverPlans",
  "unauditedChanges",
  "duplicateAuditRows",
  "phantomAuditRows",
  "stuckPlans",
  "auditProblems",
  "invalid",
] as const;

export function failed(r: ScenarioResult): boolean {
  return !r.converged || FIGURES.some((f) => r[f] > 0);
}

// ---------------------------------------------------------------------------------------------------------
// Live state as a user sees it

interface LivePlanView {
  id: string;
  name: string;
  owner?: string;
  keys: string[];
  stages: string[];
}

async function liveView(world: World, ownershipTagKey: string): Promise<LivePlanView[]> {
  const plans = (await world.sdk.send(new GetUsagePlansCommand({ limit: 500 }))).items ?? [];
  const out: LivePlanView[] = [];
  for (const p of plans) {
    const keys = (await world.sdk.send(new GetUsagePlanKeysCommand({ usagePlanId: p.id!, limit: 500 })))
      .items;
    out.push({
      id: p.id!,
      name: p.name ?? "",
      ...(p.tags?.[ownershipTagKey] ? { owner: p.tags[ownershipTagKey] } : {}),
      keys: (keys ?? []).map((k) => k.id!).sort(),
      stages: (p.apiStages ?? []).map((s) => `${s.apiId}:${s.stage}`),
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------
// One scenario

const UPDATE_GAP_MS = 20000 * TIME_SCALE + 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function isConverged(plan: Plan): boolean {
  return (
    plan.changes.length === 0 &&
    plan.problems.length === 0 &&
    plan.violations.every((v) => v.violation_type === "unmanaged_plan_found")
  );
}

function planSummary(plan: Plan): string {
  const v = plan.violations
    .filter((x) => x.violation_type !== "unmanaged_plan_found")
    .map((x) => `${x.violation_type}(${x.plan_id}${x.subject ? ` ${x.subject}` : ""})`);
  const parts = [
    `changes [${plan.changes.map((c) => c.id).join(", ")}]`,
    ...(v.length ? [`violations [${v.join(", ")}]`] : []),
    ...(plan.problems.length ? [`problems [${plan.problems.map((p) => p.message).join(" | ")}]`] : []),
  ];
  return parts.join("; ");
}

interface TrackedRun {
  runId: string;
  ks: KillSwitch;
  label: string;
}

/** Test of the checks themselves: called after the clean applies, before the checks, to break something. */
export type Sabotage = (ctx: { world: World; project: KillProject }) => Promise<void>;

export async function runScenario(world: World, seed: number, sabotage?: Sabotage): Promise<ScenarioResult> {
  const t0 = Date.now();
  const rng = new Rng(mulberry32(seed));
  faultRandom = mulberry32((seed ^ 0x5bd1e995) >>> 0);
  const story: string[] = [];
  // Key ids differ from run to run (the sandbox draws them); the story names keys, so it replays word for word.
  let named = (line: string) => line;
  const log = (line: string) => story.push(`[${String(Date.now() - t0).padStart(5)} ms] ${named(line)}`);
  const findings: string[] = [];
  const result: ScenarioResult = {
    seed,
    converged: false,
    appliesNeeded: 0,
    killed: 0,
    faultedRuns: 0,
    duplicates: 0,
    lostAssociations: 0,
    extraAssociations: 0,
    missingPlans: 0,
    leftoverPlans: 0,
    unauditedChanges: 0,
    duplicateAuditRows: 0,
    phantomAuditRows: 0,
    stuckPlans: 0,
    auditProblems: 0,
    invalid: 0,
    ms: 0,
    story,
    findings,
  };
  const p = await world.project();
  // The story removes and archives plans that have keys: it has accepted that they lose access.
  p.options.allowKeyLoss = true;
  const tagKey = p.config.ownership_tag_key;
  named = (line) => KEYS.reduce((l, k) => l.split(p.key(k)).join(k), line);
  const runs: TrackedRun[] = [];
  let lastConsoleUpdate = 0;

  const write = (m: ModelPlan) => p.writePlan(m.file, yamlOf(m));

  /** One apply; with a kill switch it may die at its step. Never throws: a run that fails is a finding. */
  const apply = async (label: string, ks: KillSwitch = { steps: 0, dead: false, log: [] }) => {
    try {
      const r = await p.apply(ks);
      runs.push({ runId: r.runId, ks, label });
      const failedChanges =
        r.outcome?.kind === "applied" ? r.outcome.result.results.filter((x) => x.outcome !== "ok") : [];
      return { killed: r.killed, errored: undefined, failedChanges, outcome: r.outcome };
    } catch (err) {
      // The run ended with an error before or around its changes (e.g. its read failed under faults).
      // Its calls are in the kill switch's log all the same.
      runs.push({ runId: `unknown-${runs.length}`, ks, label });
      return { killed: false, errored: String(err), failedChanges: [], outcome: undefined };
    }
  };

  const consoleUpdate = async (fn: () => Promise<unknown>) => {
    const wait = lastConsoleUpdate + UPDATE_GAP_MS - Date.now();
    if (wait > 0) await sleep(wait);
    try {
      await fn();
    } finally {
      lastConsoleUpdate = Date.now();
    }
  };
  const liveOf = async (planId: string) =>
    (await liveView(world, tagKey)).find((l) => l.owner === planId || l.name === nameOf(planId));

  // 1. The estate.
  const model: ModelPlan[] = [];
  const initial = rng.between(2, 4);
  for (let i = 0; i < initial; i++) {
    const planId = PLAN_IDS[i]!;
    const stages: Stage[] = rng.chance(0.2) ? ["dev", "prod"] : [rng.chance(0.5) ? "dev" : "prod"];
    const m: ModelPlan = {
      planId,
      file: `${planId}.yaml`,
      rate: rng.between(5, 100),
      stages,
      declared: rng.chance(0.5),
      keys: new Set(),
      state: "active",
      consoleDeleted: false,
    };
    model.push(m);
    if (m.declared) for (const k of KEYS) if (rng.chance(0.4) && keyFits(model, m, k)) m.keys.add(k);
  }
  for (const m of model) write(m);
  log(
    `estate: ${model.map((m) => `${m.planId}[${m.stages.join("+")}; ${m.declared ? "declared" : "observed"} ${[...m.keys].join(",") || "-"}]`).join(" ")}`,
  );
  const first = await apply("initial apply");
  if (first.killed || first.errored || first.failedChanges.length > 0)
    findings.push(`initial apply did not succeed: ${first.errored ?? JSON.stringify(first.failedChanges)}`);
  // Keys attached by hand to the observed plans, then recorded by a clean apply.
  let handAttached = false;
  for (const m of model.filter((x) => !x.declared)) {
    for (const k of KEYS) {
      if (!rng.chance(0.35) || !keyFits(model, m, k)) continue;
      const live = await liveOf(m.planId);
      if (!live) continue;
      await world.sdk.send(
        new CreateUsagePlanKeyCommand({ usagePlanId: live.id, keyId: p.key(k), keyType: "API_KEY" }),
      );
      m.keys.add(k);
      handAttached = true;
    }
  }
  if (handAttached) {
    log(
      `observed keys recorded: ${model
        .filter((x) => !x.declared && x.keys.size > 0)
        .map((x) => `${x.planId}{${[...x.keys].join(",")}}`)
        .join(" ")}`,
    );
    const again = await apply("record observed keys");
    if (again.killed || again.errored || again.failedChanges.length > 0)
      findings.push(
        `recording apply did not succeed: ${again.errored ?? JSON.stringify(again.failedChanges)}`,
      );
  }
  const baseline = await p.plan();
  if (!isConverged(baseline)) findings.push(`baseline not converged: ${planSummary(baseline)}`);

  // 2. Drift, as a console user.
  const touched = new Set<string>();
  let effective = 0;
  const driftCount = rng.between(0, 3);
  for (let i = 0; i < driftCount; i++) {
    const candidates = model.filter((m) => wanted(m) && !m.consoleDeleted);
    const m = rng.pick(candidates);
    if (!m) break;
    const live = await liveOf(m.planId);
    if (!live) break;
    const op = rng.pick(["delete", "raise-rate", "remove-stage", "attach", "detach"] as const)!;
    let detail = "";
    try {
      if (op === "delete") {
        // Only as the one console edit of the plan: upg cannot know what was done to a plan before it went.
        if (touched.has(m.planId)) continue;
        const full = await world.sdk.send(new GetUsagePlanCommand({ usagePlanId: live.id }));
        if ((full.apiStages ?? []).length > 0)
          await consoleUpdate(() =>
            world.sdk.send(
              new UpdateUsagePlanCommand({
                usagePlanId: live.id,
                patchOperations: (full.apiStages ?? []).map((s) => ({
                  op: "remove",
                  path: "/apiStages",
                  value: `${s.apiId}:${s.stage}`,
                })),
              }),
            ),
          );
        await world.sdk.send(new DeleteUsagePlanCommand({ usagePlanId: live.id }));
        m.consoleDeleted = true;
      } else if (op === "raise-rate") {
        await consoleUpdate(() =>
          world.sdk.send(
            new UpdateUsagePlanCommand({
              usagePlanId: live.id,
              patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: String(m.rate * 10) }],
            }),
          ),
        );
      } else if (op === "remove-stage") {
        const stage = rng.pick(live.stages);
        if (!stage) continue;
        await consoleUpdate(() =>
          world.sdk.send(
            new UpdateUsagePlanCommand({
              usagePlanId: live.id,
              patchOperations: [{ op: "remove", path: "/apiStages", value: stage }],
            }),
          ),
        );
      } else if (op === "attach") {
        const key = rng.pick(KEYS.filter((k) => !live.keys.includes(p.key(k)) && keyFits(model, m, k)));
        if (!key) continue;
        await world.sdk.send(
          new CreateUsagePlanKeyCommand({ usagePlanId: live.id, keyId: p.key(key), keyType: "API_KEY" }),
        );
        if (!m.declared) m.keys.add(key);
        detail = ` ${key}`;
      } else {
        const keyId = rng.pick(live.keys);
        if (!keyId) continue;
        await world.sdk.send(new DeleteUsagePlanKeyCommand({ usagePlanId: live.id, keyId }));
        const key = KEYS.find((k) => p.key(k) === keyId)!;
        if (!m.declared) m.keys.delete(key);
        detail = ` ${key}`;
      }
      touched.add(m.planId);
      effective++;
      log(`console: ${op} ${m.planId}${detail}`);
    } catch (err) {
      // The console refused (e.g. a key already in a plan on the same stage): nothing changed.
      log(`console: ${op} ${m.planId} refused: ${String(err).slice(0, 160)}`);
    }
  }

  // 2b. Plan-file edits.
  // At least one edit when the console did nothing (a draw may find nothing to act on: draw again).
  const editCount = rng.between(0, 2);
  for (let i = 0; i < editCount || (effective === 0 && i < 20); i++) {
    const op = rng.pick(["rate", "add-key", "remove-key", "add-plan", "remove-file", "archive"] as const)!;
    const active = model.filter(wanted);
    if (op === "rate") {
      const m = rng.pick(active);
      if (!m) continue;
      m.rate = rng.between(5, 100);
      write(m);
      log(`file: rate of ${m.planId} → ${m.rate}`);
      effective++;
    } else if (op === "add-key") {
      const m = rng.pick(active.filter((x) => x.declared));
      const key = m && rng.pick(KEYS.filter((k) => !m.keys.has(k) && keyFits(model, m, k)));
      if (!m || !key) continue;
      m.keys.add(key);
      write(m);
      log(`file: ${m.planId} declares ${key}`);
      effective++;
    } else if (op === "remove-key") {
      const m = rng.pick(active.filter((x) => x.declared && x.keys.size > 0));
      const key = m && rng.pick([...m.keys]);
      if (!m || !key) continue;
      m.keys.delete(key);
      write(m);
      log(`file: ${m.planId} no longer declares ${key}`);
      effective++;
    } else if (op === "add-plan") {
      const planId = PLAN_IDS.find((id) => !model.some((m) => m.planId === id));
      if (!planId) continue;
      const m: ModelPlan = {
        planId,
        file: `${planId}.yaml`,
        rate: rng.between(5, 100),
        stages: [rng.chance(0.5) ? "dev" : "prod"],
        declared: rng.chance(0.6),
        keys: new Set(),
        state: "active",
        consoleDeleted: false,
      };
      model.push(m);
      if (m.declared) for (const k of KEYS) if (rng.chance(0.4) && keyFits(model, m, k)) m.keys.add(k);
      write(m);
      log(
        `file: new plan ${planId}[${m.stages.join("+")}; ${m.declared ? "declared" : "observed"} ${[...m.keys].join(",") || "-"}]`,
      );
      effective++;
    } else if (op === "remove-file") {
      const m = rng.pick(active);
      if (!m) continue;
      m.state = "removed";
      p.removePlan(m.file);
      log(`file: ${m.file} removed`);
      effective++;
    } else {
      const m = rng.pick(active);
      if (!m) continue;
      m.state = "archived";
      write(m);
      log(`file: ${m.planId} archived`);
      effective++;
    }
  }
  await sleep(UPDATE_GAP_MS);

  // 3. Applies under faults, killed at a random step.
  const before = await p.plan();
  if (before.problems.length > 0) {
    result.invalid = before.problems.length;
    findings.push(`problems before the run: ${before.problems.map((x) => x.message).join(" | ")}`);
  }
  log(`planned: ${before.changes.map((c) => c.id).join(", ") || "(nothing)"}`);
  // About four writes a change (intent, call, audit row, outcome): a kill lands in most runs.
  const faultedRuns = rng.chance(0.35) ? 2 : 1;
  for (let run = 0; run < faultedRuns; run++) {
    const span = 4 * Math.max(1, before.changes.length) + 1;
    const at = rng.chance(0.85) ? rng.between(1, span) : undefined;
    const dropAfter = rng.chance(0.25) ? rng.between(3, 40) : undefined;
    // A second faulted run only when the first left something to finish.
    if (run > 0 && isConverged(await p.plan())) break;
    await world.sb.admin.setFaults({
      errorRate: { 429: 0.1, 500: 0.05 },
      ...(dropAfter !== undefined ? { dropAfter } : {}),
    });
    const ks: KillSwitch = { ...(at !== undefined ? { at } : {}), steps: 0, dead: false, log: [] };
    const r = await apply(`faulted run ${run + 1}`, ks);
    await world.sb.admin.resetFaults();
    result.faultedRuns++;
    if (r.killed) result.killed++;
    log(
      `faulted run ${run + 1}: kill ${at === undefined ? "none" : `before step ${at}`}, ` +
        `drop ${dropAfter === undefined ? "none" : `after ${dropAfter} requests`} → ` +
        (r.killed
          ? `killed after ${ks.log.filter((e) => e.done).length} calls (${ks.log
              .filter((e) => e.done)
              .map((e) => `${e.call}${e.change ? `@${e.change}` : ""}`)
              .join(", ")})`
          : r.errored
            ? `ended with an error: ${r.errored.slice(0, 200)}`
            : `finished, ${r.failedChanges.length} change(s) not ok`),
    );
  }

  // 4. Faults off: clean applies until nothing is left to do.
  let last: Plan | undefined;
  for (let i = 1; i <= 3; i++) {
    const r = await apply(`clean apply ${i}`);
    if (r.killed || r.errored) findings.push(`clean apply ${i} failed: ${r.errored ?? "killed"}`);
    if (r.failedChanges.length > 0)
      log(
        `clean apply ${i}: ${r.failedChanges.map((x) => `${x.changeId} ${x.outcome}: ${x.error ?? ""}`).join("; ")}`,
      );
    last = await p.plan();
    if (isConverged(last)) {
      result.converged = true;
      result.appliesNeeded = i;
      break;
    }
    log(`after clean apply ${i}: ${planSummary(last)}`);
  }
  if (!result.converged && last) findings.push(`not converged after 3 clean applies: ${planSummary(last)}`);
  const deletedViolations = (last?.violations ?? []).filter((v) => v.violation_type === "plan_deleted");

  // 5. What the user checks.
  if (sabotage) await sabotage({ world, project: p });
  const live = await liveView(world, tagKey);
  const byOwner = new Map<string, LivePlanView[]>();
  const byName = new Map<string, number>();
  for (const l of live) {
    if (l.owner) byOwner.set(l.owner, [...(byOwner.get(l.owner) ?? []), l]);
    byName.set(l.name, (byName.get(l.name) ?? 0) + 1);
  }
  for (const [owner, ls] of byOwner)
    if (ls.length > 1) {
      result.duplicates += ls.length - 1;
      findings.push(`duplicate: ${ls.length} live plans own ${owner} (${ls.map((l) => l.id).join(", ")})`);
    }
  for (const [name, n] of byName)
    if (n > 1 && ![...byOwner.values()].some((ls) => ls.length > 1 && ls[0]!.name === name)) {
      result.duplicates += n - 1;
      findings.push(`duplicate: ${n} live plans are named ${name}`);
    }
  const idName = new Map(KEYS.map((k) => [p.key(k), k]));
  for (const m of model) {
    const mine = byOwner.get(m.planId) ?? [];
    if (!wanted(m)) {
      if (mine.length > 0) {
        result.leftoverPlans += mine.length;
        findings.push(`leftover: ${m.planId} is ${m.state} but live as ${mine.map((l) => l.id).join(", ")}`);
      }
      continue;
    }
    const l = mine[0];
    if (!l) {
      result.missingPlans++;
      result.lostAssociations += m.keys.size;
      findings.push(`missing: ${m.planId} is not live (keys lost: ${[...m.keys].join(", ") || "none"})`);
      continue;
    }
    const have = new Set(l.keys.map((id) => idName.get(id) ?? id));
    for (const k of m.keys)
      if (!have.has(k)) {
        result.lostAssociations++;
        findings.push(
          `lost association: ${k} should be in ${m.planId} (${m.declared ? "declared" : "observed"})`,
        );
      }
    for (const k of have)
      if (!m.keys.has(k)) {
        result.extraAssociations++;
        findings.push(`extra association: ${k} is in ${m.planId} (${m.declared ? "declared" : "observed"})`);
      }
  }
  const store = p.store();
  const records = await store.listRecords();
  for (const r of records.filter((x) => x.pending)) {
    result.stuckPlans++;
    findings.push(`stuck: the record of ${r.plan_id} is still pending (${r.pending!.change_id})`);
  }
  for (const v of deletedViolations) {
    result.stuckPlans++;
    findings.push(`stuck: plan_deleted for ${v.plan_id} after the applies`);
  }
  const rows = (await store.listAudit()).filter((r) => r.action !== "lock_takeover");
  const rowsOf = new Map<string, typeof rows>();
  for (const r of rows) {
    const k = `${r.run_id}|${r.change_id}`;
    rowsOf.set(k, [...(rowsOf.get(k) ?? []), r]);
  }
  for (const [k, rs] of rowsOf)
    if (rs.length > 1) {
      result.duplicateAuditRows += rs.length - 1;
      findings.push(`duplicate audit rows: ${rs.length} for ${k}`);
    }
  for (const run of runs) {
    const executed = new Set(
      run.ks.log.filter((e) => e.done && e.change && /Plan|Key/.test(e.call)).map((e) => e.change!),
    );
    for (const change of executed) {
      const n = rowsOf.get(`${run.runId}|${change}`)?.length ?? 0;
      if (n !== 1) {
        result.unauditedChanges++;
        findings.push(`unaudited: ${change} of ${run.label} ran, with ${n} audit rows`);
      }
    }
    for (const r of rows.filter((x) => x.run_id === run.runId && x.outcome === "ok")) {
      if (r.action.endsWith("-record") || executed.has(r.change_id)) continue;
      result.phantomAuditRows++;
      findings.push(`phantom: audit row ${r.change_id} (ok) of ${run.label}, whose call never ran`);
    }
  }
  const verify = await store.verifyAudit();
  result.auditProblems = verify.problems.length;
  for (const pr of verify.problems) findings.push(`audit verify: #${pr.seq} ${pr.kind}: ${pr.reason}`);
  result.ms = Date.now() - t0;
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// Summary

export interface ChaosSummary {
  baseSeed: number;
  scenarios: number;
  converged: number;
  appliesNeeded: Record<string, number>;
  killedRuns: number;
  faultedRuns: number;
  totals: Record<(typeof FIGURES)[number], number>;
  failedSeeds: number[];
  wallSeconds: number;
  meanScenarioMs: number;
}

export function summarise(
  baseSeed: number,
  results: readonly ScenarioResult[],
  wallMs: number,
): ChaosSummary {
  const totals = Object.fromEntries(
    FIGURES.map((f) => [f, results.reduce((n, r) => n + r[f], 0)]),
  ) as ChaosSummary["totals"];
  const appliesNeeded: Record<string, number> = {};
  for (const r of results) {
    const k = r.converged ? String(r.appliesNeeded) : "never";
    appliesNeeded[k] = (appliesNeeded[k] ?? 0) + 1;
  }
  return {
    baseSeed,
    scenarios: results.length,
    converged: results.filter((r) => r.converged).length,
    appliesNeeded,
    killedRuns: results.reduce((n, r) => n + r.killed, 0),
    faultedRuns: results.reduce((n, r) => n + r.faultedRuns, 0),
    totals,
    failedSeeds: results.filter(failed).map((r) => r.seed),
    wallSeconds: Math.round(wallMs / 100) / 10,
    meanScenarioMs: Math.round(results.reduce((n, r) => n + r.ms, 0) / Math.max(1, results.length)),
  };
}

export function describeFailure(r: ScenarioResult): string {
  return [
    `chaos scenario seed ${r.seed} failed — rerun: CHAOS_SEED=${r.seed} npx vitest run test/apply/chaos.test.ts`,
    ...r.findings.map((f) => `  ✗ ${f}`),
    "  what happened:",
    ...r.story.map((s) => `    ${s}`),
  ].join("\n");
}
