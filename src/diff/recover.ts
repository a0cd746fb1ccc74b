// Rolling forward what a stopped run left unfinished. Pure: (records with a pending change, live state,
// the audit rows already written for those changes) -> the records as they must be now, and the audit
// rows still owed. `plan` uses the result in memory (it writes nothing); `apply` writes it under the lock
// before it plans (src/apply/recover.ts).
//
// A change's audit row, when it exists, says how the change ended. Otherwise live API Gateway does:
//   create/recreate  a plan carrying the plan_id's ownership tag (other than the old id) exists
//   adopt            the plan it adopts carries the plan_id's ownership tag
//   update           the plan's settings moved away from what they were before the change
//   delete, remove   the plan it deleted is gone
//   attach/detach    the key is (or is no longer) in the plan
//   detach stage     the plan it names no longer covers the stage
//   sync, purge      only the master record: ran when its audit row exists
//
// A cleanup change (remove, detach stage) whose intent had to create the record (an unmanaged plan) leaves no
// record behind, whether it ran or not; a purge that ran removes the record.

import type { Change } from "../model/plan.js";
import type { AuditRecord, MasterRecord, PendingChange } from "../model/record.js";
import type { LivePlan, LiveState } from "../model/state.js";
import { sameValue } from "./compare.js";
import { recordAfterStep } from "./records.js";

export type OwedAuditEntry = Omit<AuditRecord, "stream" | "seq" | "prev_hash" | "hash">;

export interface RecoveryInput {
  records: readonly MasterRecord[];
  live: LiveState;
  /** Audit rows already written for the pending changes, keyed by auditKey(run_id, change_id). */
  audited: ReadonlyMap<string, AuditRecord>;
  now: string;
  /** The run doing the recovery. */
  runId: string;
  actor: string;
}

export interface Recovery {
  planId: string;
  pending: PendingChange;
  /** True when the change ran (its API call happened, or its audit row exists). */
  executed: boolean;
  /** The record to write, without `pending`; undefined: delete the record (an intent that created it for a create that never ran). */
  record?: MasterRecord;
  /** The stored version the write is conditional on. */
  expectedVersion: number;
  /** The audit row to append first, when the change ran and no row was written. */
  audit?: OwedAuditEntry;
  /** For a group of changes (PendingChange.group): the rows owed, in order (audit is then unset). */
  audits?: OwedAuditEntry[];
  /** One line for the user. */
  note: string;
}

export interface RecoveryPlan {
  /** Every record as it is after the recoveries (versions unchanged: they are what the writes expect). */
  records: MasterRecord[];
  recoveries: Recovery[];
}

export function auditKey(runId: string, changeId: string): string {
  return `${runId}|${changeId}`;
}

/** The pending records that need a look at the audit log first. */
export function pendingChanges(records: readonly MasterRecord[]): PendingChange[] {
  return records.flatMap((r) => (r.pending ? (r.pending.group ?? [r.pending]) : []));
}

interface Finding {
  executed: boolean;
  apiGatewayId?: string;
  settings?: LivePlan["settings"];
}

function fromLive(r: MasterRecord, p: PendingChange, live: LiveState): Finding {
  const byId = p.api_gateway_id ? live.plans.find((l) => l.id === p.api_gateway_id) : undefined;
  switch (p.action) {
    case "create":
    case "recreate": {
      const made = live.plans.find((l) => l.ownerPlanId === r.plan_id && l.id !== p.api_gateway_id);
      return made ? { executed: true, apiGatewayId: made.id } : { executed: false };
    }
    case "adopt":
      return byId?.ownerPlanId === r.plan_id
        ? { executed: true, apiGatewayId: byId.id }
        : { executed: false };
    case "update": {
      if (!byId || !p.before || sameValue(byId.settings, p.before)) return { executed: false };
      const declared = p.desired?.settings;
      return {
        executed: true,
        apiGatewayId: byId.id,
        settings: declared && sameValue(byId.settings, declared) ? declared : byId.settings,
      };
    }
    case "delete":
    case "remove":
      return { executed: p.api_gateway_id !== undefined && !byId };
    case "attach":
      return { executed: byId !== undefined && byId.keys.includes(p.key_id ?? ""), apiGatewayId: byId?.id };
    case "detach":
      if (p.resource === "stage") {
        const covered = byId?.settings.stages.some((s) => `${s.apiId}:${s.stage}` === p.stage) ?? true;
        return { executed: byId !== undefined && !covered, apiGatewayId: byId?.id };
      }
      return { executed: byId !== undefined && !byId.keys.includes(p.key_id ?? ""), apiGatewayId: byId?.id };
    default:
      return { executed: false };
  }
}

function describe(p: PendingChange, executed: boolean, id: string | undefined): string {
  const subject = p.key_id
    ? ` key ${p.key_id}`
    : p.stage
      ? ` stage ${p.stage}`
      : p.action === "remove" && p.api_gateway_id
        ? ` ${p.api_gateway_id}`
        : "";
  const what = `${p.action}${subject} of ${p.change_id.split(":")[1] ?? p.change_id}`;
  const run = `run ${p.run_id.slice(0, 8)}`;
  if (!executed) return `${what}, started by ${run}, did not happen; it is planned again.`;
  return `${what} (${run}) had run${id && (p.action === "create" || p.action === "recreate") ? ` as ${id}` : ""}; recorded it.`;
}

function owedBody(p: PendingChange, f: Finding, prev: MasterRecord): { before: unknown; after: unknown } {
  if (p.resource === "key") return { before: null, after: { key_id: p.key_id, action: p.action } };
  if (p.resource === "stage")
    return { before: p.before ?? null, after: { stage: p.stage, action: p.action } };
  if (p.action === "purge") return { before: prev, after: null };
  return { before: p.before ?? null, after: f.settings ?? p.desired?.settings ?? null };
}

function ownedEntry(
  p: PendingChange,
  input: RecoveryInput,
  f: Finding,
  r: MasterRecord,
  prev: MasterRecord,
): OwedAuditEntry {
  return {
    at: input.now,
    actor: p.actor,
    run_id: p.run_id,
    plan_id: r.plan_id,
    action: `${p.action}-${p.resource}`,
    change_id: p.change_id,
    outcome: "ok",
    ...owedBody(p, f, prev),
    ...(f.apiGatewayId ? { api_gateway_id: f.apiGatewayId } : {}),
    ...(p.action === "recreate" && p.api_gateway_id ? { previous_api_gateway_id: p.api_gateway_id } : {}),
    ...(p.key_id ? { key_id: p.key_id } : {}),
    recovered_by: input.runId,
  };
}

function recoverOne(r: MasterRecord, input: RecoveryInput): Recovery {
  const p = r.pending!;
  const { pending: _done, ...rest } = r;
  const prev: MasterRecord = rest;
  const row = input.audited.get(auditKey(p.run_id, p.change_id));
  const seen = fromLive(r, p, input.live);
  const executed = row ? row.outcome === "ok" : seen.executed;
  const apiGatewayId = row?.api_gateway_id ?? seen.apiGatewayId ?? p.api_gateway_id;
  const after = recordAfterStep(prev, {
    planId: r.plan_id,
    action: p.action,
    resource: p.resource,
    ok: executed,
    ...(p.key_id ? { keyId: p.key_id } : {}),
    ...(p.stage ? { stage: p.stage } : {}),
    ...(apiGatewayId && p.action !== "delete" && p.action !== "remove" ? { apiGatewayId } : {}),
    ...(p.desired ? { desired: p.desired } : {}),
    ...(seen.settings ? { settings: seen.settings } : {}),
    ...(p.keys ? { restoreKeys: p.keys, keys: p.keys } : {}),
    now: input.now,
    actor: input.actor,
  });
  const journalOnly = p.action === "remove" || p.resource === "stage";
  const dropStub =
    (!executed && p.fresh === true && !row) ||
    (journalOnly && p.fresh === true) ||
    (p.action === "purge" && executed);
  const out: Recovery = {
    planId: r.plan_id,
    pending: p,
    executed,
    expectedVersion: r.version,
    note: describe(p, executed, apiGatewayId),
  };
  if (!dropStub) out.record = after ?? prev;
  if (executed && !row)
    out.audit = ownedEntry(p, input, { ...seen, ...(apiGatewayId ? { apiGatewayId } : {}) }, r, prev);
  return out;
}

/**
 * A group of key changes: each rolled forward in order from its audit row or live state (a stop can leave
 * any prefix of the group run, and any prefix of its rows written); one row owed per change that ran
 * without one.
 */
function recoverGroup(r: MasterRecord, input: RecoveryInput): Recovery {
  const group = r.pending!.group!;
  const { pending: _group, ...base } = r;
  let rec: MasterRecord = base;
  const audits: OwedAuditEntry[] = [];
  const ran: string[] = [];
  const notRun: string[] = [];
  for (const p of group) {
    const one = recoverOne({ ...rec, pending: p }, input);
    if (one.record) rec = { ...one.record, version: r.version };
    if (one.audit) audits.push(one.audit);
    (one.executed ? ran : notRun).push(p.key_id ?? p.change_id);
  }
  const first = group[0]!;
  const what = `${group.length} key changes of ${first.change_id.split(":")[1] ?? r.plan_id} (run ${first.run_id.slice(0, 8)})`;
  const out: Recovery = {
    planId: r.plan_id,
    pending: r.pending!,
    executed: ran.length > 0,
    expectedVersion: r.version,
    record: rec,
    note: `${what}: ${ran.length} had run, recorded them${notRun.length > 0 ? `; ${notRun.length} did not happen and are planned again` : ""}.`,
  };
  if (audits.length > 0) out.audits = audits;
  return out;
}

export function planRecovery(input: RecoveryInput): RecoveryPlan {
  const recoveries: Recovery[] = [];
  const records: MasterRecord[] = [];
  for (const r of input.records) {
    if (!r.pending) {
      records.push(r);
      continue;
    }
    const rec = r.pending.group ? recoverGroup(r, input) : recoverOne(r, input);
    recoveries.push(rec);
    if (rec.record) records.push(rec.record);
  }
  return { records, recoveries };
}

/** The pending entry a change writes to its plan's record before its first API call. */
export function pendingFor(
  c: Change,
  opts: {
    runId: string;
    actor: string;
    now: string;
    apiGatewayId?: string;
    restoreKeys?: string[];
    fresh: boolean;
  },
): PendingChange {
  const p: PendingChange = {
    run_id: opts.runId,
    change_id: c.id,
    action: c.action,
    resource: c.resource,
    actor: opts.actor,
    started_at: opts.now,
  };
  const id = opts.apiGatewayId ?? c.apiGatewayId ?? c.record?.api_gateway_id;
  if (id) p.api_gateway_id = id;
  if (c.keyId) p.key_id = c.keyId;
  if (c.stage) p.stage = c.stage;
  if (
    c.live &&
    (c.action === "update" ||
      c.action === "delete" ||
      c.action === "adopt" ||
      c.action === "remove" ||
      c.resource === "stage")
  )
    p.before = c.live;
  if (c.desired) {
    const { source: _where, ...desired } = c.desired;
    p.desired = desired;
  }
  const keys = c.resource === "record" || c.action === "adopt" ? c.keys : opts.restoreKeys;
  if (keys) p.keys = [...keys];
  if (opts.fresh) p.fresh = true;
  return p;
}
