// upg cleanup, the planner: (scope, live state, master records, plan files) -> what would be removed, what is
// kept and why, and the Plan of changes the apply engine runs. Pure: no SDK, no fs, no clock.
//
// Scopes:
//   --orphans              unmanaged plans with no stages and no keys
//   --name-prefix/--tag/--id  plans chosen explicitly (the only way an unmanaged plan with stages or keys is touched);
//                          with another scope they narrow it
//   --stage API:STAGE      detach that stage from every plan that covers it, leaving the plans
//   --archived             live plans still present for a plan whose record (or plan file) says Archived
//   --records              master records of plans gone for good (Archived, no live plan, no plan file)
//
// Never removed: plans of another project, plans with deletion_protection: true, managed plans a plan file
// still declares. A removal that takes API keys' access away needs --allow-key-loss (a problem otherwise,
// and nothing runs).

import type { Change, Plan, PlanProblem } from "../model/plan.js";
import { PLAN_FORMAT_VERSION } from "../model/plan.js";
import type { MasterRecord } from "../model/record.js";
import { PROJECT_TAG_KEY } from "../model/spec.js";
import { type DesiredPlan, type LivePlan, type LiveState, stageKey } from "../model/state.js";

export interface CleanupScope {
  orphans: boolean;
  archived: boolean;
  records: boolean;
  namePrefixes: readonly string[];
  /** Every tag must match. */
  tags: Readonly<Record<string, string>>;
  ids: readonly string[];
  /** `API:STAGE` (API id or unique REST API name), as given. */
  stages: readonly string[];
}

export interface CleanupInput {
  scope: CleanupScope;
  /** Read with every plan's keys (unmanaged plans included). */
  live: LiveState;
  /** Master records after recovery. */
  records: readonly MasterRecord[];
  /** The plan files, resolved. */
  desired: readonly DesiredPlan[];
  ownershipTagKey: string;
  /** The config's `project` (undefined: none). */
  project?: string;
  allowKeyLoss: boolean;
  now: string;
}

export type CleanupWhat = "plan" | "stage" | "record";

/** One row of the cleanup table. */
export interface CleanupItem {
  what: CleanupWhat;
  /** remove: will be (or was) removed; keep: never removed by cleanup (why says); refused: needs a flag. */
  status: "remove" | "keep" | "refused";
  /** The plan_id of a managed plan or record; absent for an unmanaged plan. */
  planId?: string;
  apiGatewayId?: string;
  name?: string;
  managed: boolean;
  /** Stages detached: every stage of a removed plan, or the one stage of a stage removal. */
  stages: string[];
  /** API keys that lose the plan (or the stage): ids and names, never values. */
  keys: Array<{ id: string; name?: string }>;
  why: string;
  /** The change that does it (status remove). */
  changeId?: string;
}

export interface CleanupPlan {
  items: CleanupItem[];
  /** Things worth saying that are not rows (a --stage that matches no plan). */
  notices: string[];
  plan: Plan;
}

export type CleanupOutcome =
  | { ok: true; cleanup: CleanupPlan }
  | { ok: false; message: string; hint: string };

/** The prefix of the master-record key a cleanup change of an unmanaged plan journals under. */
export const UNMANAGED_PREFIX = "unmanaged/";

export function hasScope(s: CleanupScope): boolean {
  return (
    s.orphans ||
    s.archived ||
    s.records ||
    s.namePrefixes.length > 0 ||
    Object.keys(s.tags).length > 0 ||
    s.ids.length > 0 ||
    s.stages.length > 0
  );
}

function hasSelectors(s: CleanupScope): boolean {
  return s.namePrefixes.length > 0 || Object.keys(s.tags).length > 0 || s.ids.length > 0;
}

function selected(l: LivePlan, s: CleanupScope): boolean {
  if (s.ids.length > 0 && !s.ids.includes(l.id)) return false;
  if (s.namePrefixes.length > 0 && !s.namePrefixes.some((p) => l.settings.name.startsWith(p))) return false;
  for (const [k, v] of Object.entries(s.tags)) if (l.settings.tags[k] !== v) return false;
  return true;
}

const projectName = (p: string | undefined) => (p === undefined ? "no project" : `project ${p}`);

interface Owner {
  managed: boolean;
  /** plan_id (managed) or the journal key of an unmanaged plan. */
  journalId: string;
  planId?: string;
  record?: MasterRecord;
  /** Why the plan belongs to someone else, when it does. */
  foreign?: string;
}

function ownerOf(l: LivePlan, input: CleanupInput): Owner {
  const byId = input.records.find((r) => r.api_gateway_id === l.id);
  const planId = l.ownerPlanId ?? byId?.plan_id;
  const tagged = l.project ?? l.settings.tags[PROJECT_TAG_KEY];
  if (planId === undefined) {
    const foreign =
      tagged !== undefined && tagged !== input.project ? `owned by project ${tagged}` : undefined;
    return { managed: false, journalId: `${UNMANAGED_PREFIX}${l.id}`, ...(foreign ? { foreign } : {}) };
  }
  const record = input.records.find((r) => r.plan_id === planId);
  const owner = tagged ?? record?.project;
  const out: Owner = { managed: true, journalId: planId, planId, ...(record ? { record } : {}) };
  if (owner !== input.project) out.foreign = `owned by ${projectName(owner)}`;
  else if (record && record.project !== input.project)
    out.foreign = `its master record belongs to ${projectName(record.project)}`;
  return out;
}

function keyRefs(ids: readonly string[], live: LiveState): Array<{ id: string; name?: string }> {
  const names = new Map(live.apiKeys.map((k) => [k.id, k.name]));
  return ids.map((id) => {
    const name = names.get(id);
    return name !== undefined ? { id, name } : { id };
  });
}

const keyNames = (keys: ReadonlyArray<{ id: string; name?: string }>) =>
  keys.map((k) => k.name ?? k.id).join(", ");

const keysLose = (n: number) => (n === 1 ? "1 API key loses" : `${n} API keys lose`);

/** A master record that exists only as the journal of a cleanup change (deleted when the change is done). */
function journalRecord(journalId: string, l: LivePlan, input: CleanupInput): MasterRecord {
  return {
    plan_id: journalId,
    name: l.settings.name,
    lifecycle_state: "Active",
    stages: [],
    keys: [],
    keys_declared: false,
    created_at: input.now,
    updated_at: input.now,
    updated_by: "upg cleanup",
    version: 0,
    lineage: [],
    ...(input.project !== undefined ? { project: input.project } : {}),
  };
}

/** `the plan "Name" (id)` of an unmanaged plan; `plan_id (id)` of a managed one. */
function planLabel(l: LivePlan, o: Owner): string {
  return o.planId ? `${o.planId} (${l.id})` : `the plan ${JSON.stringify(l.settings.name)} (${l.id})`;
}

function where(d: DesiredPlan | undefined): string {
  return d?.source ? `${d.source.file}` : "a plan file";
}

interface Ctx {
  input: CleanupInput;
  items: CleanupItem[];
  changes: Change[];
  problems: PlanProblem[];
  notices: string[];
  /** Live plans already given a row (a plan chosen by two scopes appears once). */
  seen: Set<string>;
}

function item(l: LivePlan, o: Owner, what: CleanupWhat, rest: Partial<CleanupItem>): CleanupItem {
  return {
    what,
    status: "remove",
    ...(o.planId ? { planId: o.planId } : {}),
    apiGatewayId: l.id,
    name: l.settings.name,
    managed: o.managed,
    stages: [],
    keys: [],
    why: "",
    ...rest,
  };
}

/** A live plan chosen for removal: a row, and a change unless it is kept or refused. */
function removePlan(ctx: Ctx, l: LivePlan, why: string): void {
  if (ctx.seen.has(l.id)) return;
  ctx.seen.add(l.id);
  const { input } = ctx;
  const o = ownerOf(l, input);
  const keys = keyRefs(l.keys, input.live);
  const stages = l.settings.stages.map(stageKey);
  const row = (rest: Partial<CleanupItem>) => item(l, o, "plan", { stages, keys, why, ...rest });
  if (o.foreign) {
    ctx.items.push(row({ status: "keep", why: `${o.foreign}: never touched here` }));
    return;
  }
  const d = o.planId ? input.desired.find((x) => x.planId === o.planId) : undefined;
  const protection = d?.deletionProtection ?? o.record?.deletion_protection;
  if (o.managed && protection === true) {
    ctx.items.push(row({ status: "keep", why: "deletion_protection: true: never deleted" }));
    return;
  }
  if (o.managed && d && d.lifecycleState !== "Archived") {
    ctx.items.push(
      row({
        status: "keep",
        why: `declared in ${where(d)}: remove the file and run \`upg apply\`, or \`upg lifecycle archive ${o.planId}\``,
      }),
    );
    return;
  }
  if (keys.length > 0 && !input.allowKeyLoss && !(o.managed && protection === false)) {
    ctx.items.push(row({ status: "refused", why: `${keysLose(keys.length)} access: pass --allow-key-loss` }));
    ctx.problems.push({
      code: "delete_would_drop_keys",
      planId: o.planId ?? l.settings.name,
      subject: l.id,
      message: `${planLabel(l, o)} would be deleted and ${keysLose(keys.length)} access: ${keyNames(keys)}. Move the keys to another plan first (\`upg migrate\`), or pass --allow-key-loss.`,
    });
    return;
  }
  // The plan the record names: the record moves on (deleted, Archived, lineage). Any other: a removal that
  // leaves the record's settings alone.
  const current = o.record !== undefined && o.record.api_gateway_id === l.id;
  const id = current ? `delete:${o.journalId}` : `remove:${o.journalId}:${l.id}`;
  ctx.items.push(row({ changeId: id }));
  ctx.changes.push({
    id,
    action: current ? "delete" : "remove",
    resource: "plan",
    planId: o.journalId,
    apiGatewayId: l.id,
    live: l.settings,
    ...(current && d ? { desired: d } : {}),
    ...(o.record ? { record: o.record } : { record: journalRecord(o.journalId, l, input) }),
    ...(keys.length > 0 ? { lostKeys: keys } : {}),
    reason: `upg cleanup: ${why}`,
  });
}

type StageRef = { ok: true; key: string; exists: boolean } | { ok: false; message: string; hint: string };

/** `API:STAGE` with the API as an id or a unique REST API name. */
export function resolveStageArg(arg: string, live: LiveState): StageRef {
  const cut = arg.lastIndexOf(":");
  const api = cut > 0 ? arg.slice(0, cut) : "";
  const stage = cut > 0 ? arg.slice(cut + 1) : "";
  if (!api || !stage) {
    return {
      ok: false,
      message: `--stage ${JSON.stringify(arg)} is not API:STAGE.`,
      hint: "Write it as API_ID:STAGE or REST_API_NAME:STAGE, e.g. --stage weather-api:dev.",
    };
  }
  const planStages = new Set(live.plans.flatMap((p) => p.settings.stages.map(stageKey)));
  const byId = live.restApis.find((a) => a.id === api);
  const byName = live.restApis.filter((a) => a.name === api);
  let apiId: string;
  if (byId) apiId = byId.id;
  else if (byName.length === 1) apiId = byName[0]!.id;
  else if (byName.length > 1) {
    return {
      ok: false,
      message: `--stage ${arg}: ${byName.length} REST APIs are named ${JSON.stringify(api)} (${byName.map((a) => a.id).join(", ")}).`,
      hint: "Name the API by its id instead: --stage API_ID:STAGE.",
    };
  } else apiId = api; // an API that is gone may still be in plans
  const key = `${apiId}:${stage}`;
  const exists = live.existingStages.includes(key);
  if (!exists && !planStages.has(key)) {
    const what =
      byId || byName.length === 1
        ? `REST API ${apiId} has no stage ${stage}`
        : `no REST API has the id or name ${JSON.stringify(api)}`;
    return {
      ok: false,
      message: `--stage ${arg} matches nothing: ${what}, and no usage plan covers ${key}.`,
      hint: "Check the API id or name and the stage name (`upg status` lists the stages of managed plans).",
    };
  }
  return { ok: true, key, exists };
}

function detachStage(ctx: Ctx, l: LivePlan, key: string): void {
  const { input } = ctx;
  const o = ownerOf(l, input);
  const keys = keyRefs(l.keys, input.live);
  const row = (rest: Partial<CleanupItem>) =>
    item(l, o, "stage", { stages: [key], keys, why: `covers ${key}`, ...rest });
  if (o.foreign) {
    ctx.items.push(row({ status: "keep", why: `${o.foreign}: never touched here` }));
    return;
  }
  const d = o.planId ? input.desired.find((x) => x.planId === o.planId) : undefined;
  if (
    o.managed &&
    d &&
    d.lifecycleState !== "Archived" &&
    d.settings.stages.some((s) => stageKey(s) === key)
  ) {
    ctx.items.push(
      row({
        status: "keep",
        why: `declared in ${where(d)}: remove the stage there and run \`upg apply\``,
      }),
    );
    return;
  }
  if (keys.length > 0 && !input.allowKeyLoss) {
    ctx.items.push(
      row({ status: "refused", why: `${keysLose(keys.length)} access to ${key}: pass --allow-key-loss` }),
    );
    ctx.problems.push({
      code: "delete_would_drop_keys",
      planId: o.planId ?? l.settings.name,
      subject: l.id,
      message: `${planLabel(l, o)} would lose stage ${key} and ${keysLose(keys.length)} access to it: ${keyNames(keys)}. Pass --allow-key-loss to detach it anyway.`,
    });
    return;
  }
  const id = `detach-stage:${o.journalId}:${l.id}:${key}`;
  ctx.items.push(row({ changeId: id }));
  ctx.changes.push({
    id,
    action: "detach",
    resource: "stage",
    planId: o.journalId,
    apiGatewayId: l.id,
    stage: key,
    live: l.settings,
    ...(o.record ? { record: o.record } : { record: journalRecord(o.journalId, l, input) }),
    ...(keys.length > 0 ? { lostKeys: keys } : {}),
    reason: `upg cleanup --stage ${key}`,
  });
}

/** Live plans that are leftovers of an Archived plan: still present although record or file says Archived. */
function archivedLeftovers(input: CleanupInput): Array<{ l: LivePlan; why: string }> {
  const archived = new Set([
    ...input.records.filter((r) => r.lifecycle_state === "Archived").map((r) => r.plan_id),
    ...input.desired.filter((d) => d.lifecycleState === "Archived").map((d) => d.planId),
  ]);
  const out: Array<{ l: LivePlan; why: string }> = [];
  for (const l of input.live.plans) {
    const byRecord = input.records.find((r) => r.api_gateway_id === l.id)?.plan_id;
    const planId = l.ownerPlanId ?? byRecord;
    if (planId === undefined || !archived.has(planId)) continue;
    out.push({ l, why: `${planId} is Archived, but this plan is still in API Gateway` });
  }
  return out;
}

function recordRows(ctx: Ctx): void {
  const { input } = ctx;
  for (const r of input.records) {
    if (r.lifecycle_state !== "Archived" || r.plan_id.startsWith(UNMANAGED_PREFIX)) continue;
    const base: CleanupItem = {
      what: "record",
      status: "remove",
      planId: r.plan_id,
      name: r.name,
      managed: true,
      stages: [],
      keys: [],
      why: "",
    };
    if (r.project !== input.project) {
      ctx.items.push({
        ...base,
        status: "keep",
        why: `owned by ${projectName(r.project)}: never touched here`,
      });
      continue;
    }
    const live = input.live.plans.filter(
      (l) => l.ownerPlanId === r.plan_id || (r.api_gateway_id !== undefined && l.id === r.api_gateway_id),
    );
    if (live.length > 0) {
      ctx.items.push({
        ...base,
        status: "keep",
        apiGatewayId: live.map((l) => l.id).join(", "),
        why: "a live plan of it remains: remove it first (--archived), then run --records again",
      });
      continue;
    }
    const d = input.desired.find((x) => x.planId === r.plan_id);
    if (d) {
      ctx.items.push({
        ...base,
        status: "keep",
        why: `declared in ${where(d)}: remove the file first (the record is the plan's history)`,
      });
      continue;
    }
    const id = `purge:${r.plan_id}`;
    ctx.items.push({ ...base, why: "Archived, gone from API Gateway and from the plan files", changeId: id });
    ctx.changes.push({
      id,
      action: "purge",
      resource: "record",
      planId: r.plan_id,
      record: r,
      reason: "upg cleanup --records: the plan is gone for good; the audit log keeps its history",
    });
  }
}

function scopeError(s: CleanupScope): { message: string; hint: string } | undefined {
  if (!hasScope(s)) {
    return {
      message: "upg cleanup needs a scope: nothing was chosen.",
      hint: "Choose what to clean: --orphans, --archived, --records, --stage API:STAGE, or plans by --name-prefix, --tag k=v or --id ID (see upg cleanup --help).",
    };
  }
  if (s.stages.length > 0 && (s.orphans || s.archived)) {
    return {
      message:
        "--stage removes a stage and leaves the plans; it does not combine with --orphans or --archived.",
      hint: "Run the stage removal and the plan removal as two cleanups.",
    };
  }
  return undefined;
}

export function planCleanup(input: CleanupInput): CleanupOutcome {
  const s = input.scope;
  const err = scopeError(s);
  if (err) return { ok: false, ...err };
  const ctx: Ctx = { input, items: [], changes: [], problems: [], notices: [], seen: new Set() };
  const narrowed = (l: LivePlan) => !hasSelectors(s) || selected(l, s);

  // Stage removals first: they leave the plans.
  for (const arg of s.stages) {
    const ref = resolveStageArg(arg, input.live);
    if (!ref.ok) return { ok: false, message: ref.message, hint: ref.hint };
    const having = input.live.plans.filter(
      (l) => l.settings.stages.some((x) => stageKey(x) === ref.key) && narrowed(l),
    );
    if (having.length === 0)
      ctx.notices.push(
        `No usage plan${hasSelectors(s) ? " chosen" : ""} covers ${ref.key}: nothing to detach.`,
      );
    for (const l of having) detachStage(ctx, l, ref.key);
  }

  if (s.stages.length === 0) {
    if (s.orphans) {
      for (const l of input.live.plans) {
        const o = ownerOf(l, input);
        if (o.managed || l.settings.stages.length > 0 || l.keys.length > 0 || !narrowed(l)) continue;
        removePlan(ctx, l, "unmanaged, no stages, no keys");
      }
    }
    if (s.archived) {
      for (const { l, why } of archivedLeftovers(input)) if (narrowed(l)) removePlan(ctx, l, why);
    }
    if (!s.orphans && !s.archived && hasSelectors(s)) {
      for (const l of input.live.plans) if (selected(l, s)) removePlan(ctx, l, "chosen by name, tag or id");
    }
  }
  if (s.records) recordRows(ctx);

  const changes = orderCleanup(ctx.changes);
  const planIds = [...new Set(changes.map((c) => c.planId))];
  const plan: Plan = {
    format_version: PLAN_FORMAT_VERSION,
    created_at: input.now,
    region: input.live.region,
    targets: [],
    changes,
    desired: input.desired.filter((d) =>
      changes.some((c) => c.planId === d.planId && c.action === "delete" && c.desired),
    ),
    live_keys: Object.fromEntries(
      planIds.map((id) => {
        const c = changes.find((x) => x.planId === id && x.action === "delete");
        return [id, c ? (input.live.plans.find((l) => l.id === c.apiGatewayId)?.keys ?? []) : []];
      }),
    ),
    violations: [],
    problems: ctx.problems,
    fingerprint: {
      live: "",
      records: Object.fromEntries(
        planIds.map((id) => [id, input.records.find((r) => r.plan_id === id)?.version ?? 0]),
      ),
    },
  };
  return { ok: true, cleanup: { items: ctx.items, notices: ctx.notices, plan } };
}

const PHASE: Readonly<Record<string, number>> = { stage: 0, delete: 1, remove: 2, purge: 3 };

/** Stages first (plans stay), then deletes of a record's own plan before other removals, then records. */
export function orderCleanup(changes: readonly Change[]): Change[] {
  const phase = (c: Change) => (c.resource === "stage" ? 0 : (PHASE[c.action] ?? 4));
  return [...changes].sort((a, b) => phase(a) - phase(b) || a.id.localeCompare(b.id));
}

/** Totals of what the removable rows cost: plans, stages detached, keys losing a plan, records. */
export function cleanupTotals(items: readonly CleanupItem[]) {
  const rm = items.filter((i) => i.status === "remove");
  const keys = new Set(rm.flatMap((i) => i.keys.map((k) => k.id)));
  return {
    plans: rm.filter((i) => i.what === "plan").length,
    stages: rm.reduce((n, i) => n + (i.what === "record" ? 0 : i.stages.length), 0),
    keys: keys.size,
    records: rm.filter((i) => i.what === "record").length,
    kept: items.filter((i) => i.status === "keep").length,
    refused: items.filter((i) => i.status === "refused").length,
  };
}
