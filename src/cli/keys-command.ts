// `upg keys list|create|import|rotate|enable|disable|delete`. Key values are never printed or stored, except
// the value AWS generates for `create`/`rotate`: written to --value-file (mode 0600) or printed once with
// --reveal. Writes take the apply lock and append one audit row each.

import { randomUUID } from "node:crypto";
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { createInterface } from "node:readline";
import { UserError } from "../errors.js";
import { buildKeysCsv, checkKeysCsv, MAX_API_KEYS } from "../keys/csv.js";
import { type KeyPlan, label, parseOverlap, plansByKey, resolveKey, resolvePlan } from "../keys/resolve.js";
import type { ApiKeyInfo, CreatedApiKey } from "../live/types.js";
import type { MasterRecord } from "../model/record.js";
import type { LivePlan, LiveState } from "../model/state.js";
import { type KeyRow, renderCsvProblems, renderKeysCsv, renderKeysTable } from "../render/keys.js";
import { editPlanText, type PlanEdit } from "../spec/edit.js";
import { DEFAULT_PLANS_DIR, loadSpecs } from "../spec/load.js";
import type { AuditEntry, RotationRecord } from "../store/types.js";
import { openDeps, type RunDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, styleFor } from "./output.js";
import { loadConfigOnly } from "./project.js";

/** The plan_id of audit rows about a key that is in no managed plan (reserved: no plan can have it). */
export const KEYS_AUDIT_PLAN_ID = "__upg_keys__";

export interface Estate {
  records: MasterRecord[];
  live: LiveState;
  keys: ApiKeyInfo[];
  plansOf: Map<string, KeyPlan[]>;
  /** The config's project: keys and usage commands act only on its plans. */
  scope: { project?: string };
}

export interface KeysSession {
  deps: RunDeps;
  config: ReturnType<typeof loadConfigOnly>["config"];
  region: string;
}

export async function openSession(g: GlobalOptions, io: Io): Promise<KeysSession> {
  const { config, region } = loadConfigOnly(g, io);
  const deps = await openDeps(g, config, region);
  return { deps, config, region };
}

/** Master records, live plans (managed ones with their keys) and every API key, without values. */
export async function readEstate(s: KeysSession): Promise<Estate> {
  await s.deps.store.checkTables();
  const records = await s.deps.store.listRecords();
  const [live, keys] = await Promise.all([
    s.deps.live.readLive({
      ownershipTagKey: s.config.ownership_tag_key,
      recordIds: records.flatMap((r) => (r.api_gateway_id ? [r.api_gateway_id] : [])),
      apiIds: [],
      apiNames: [],
    }),
    s.deps.live.listApiKeys(),
  ]);
  const scope = s.config.project !== undefined ? { project: s.config.project } : {};
  return { records, live, keys, plansOf: plansByKey(live.plans, records), scope };
}

/**
 * Runs `work` holding the apply lock; `audit` appends one row after a fencing check (a run that lost the
 * lock writes nothing more).
 */
export async function underLock<T>(
  s: KeysSession,
  io: Io,
  reason: string,
  work: (ctx: {
    actor: string;
    audit: (
      e: Omit<AuditEntry, "at" | "actor" | "run_id" | "change_id" | "outcome"> & Partial<AuditEntry>,
    ) => Promise<void>;
    /** Keep master records' key lists in step with a key that joined or left their plans. */
    recordKeys: (
      planIds: readonly (string | undefined)[],
      change: { add?: string; remove?: string },
    ) => Promise<void>;
  }) => Promise<T>,
): Promise<T> {
  const { deps } = s;
  const actor = await deps.live.callerIdentity();
  const lock = await deps.store.acquireLock({
    owner: actor,
    runId: deps.runId,
    ttlSeconds: s.config.lock.ttl_seconds,
    reason,
  });
  if (lock.replaced) {
    io.stderr.write(
      `Took over an expired apply lock held by ${lock.replaced.owner} (run ${lock.replaced.run_id}) since ${lock.replaced.acquired_at}; recorded in the audit log.\n`,
    );
  }
  try {
    return await work({
      actor,
      audit: async (e) => {
        await deps.store.checkLock(deps.runId);
        await deps.store.appendAudit({
          at: deps.clock().toISOString(),
          actor,
          run_id: deps.runId,
          change_id: randomUUID(),
          outcome: "ok",
          ...e,
        });
      },
      recordKeys: async (planIds, change) => {
        for (const planId of new Set(planIds)) {
          if (planId === undefined) continue;
          const rec = await deps.store.getRecord(planId);
          if (!rec) continue;
          const keys = new Set(rec.keys);
          if (change.add) keys.add(change.add);
          if (change.remove) keys.delete(change.remove);
          const pendingKeys = (rec.pending_keys ?? []).filter((k) => k !== change.remove);
          if (keys.size === rec.keys.length && pendingKeys.length === (rec.pending_keys ?? []).length)
            continue;
          await deps.store.checkLock(deps.runId);
          const { pending_keys: _pk, ...rest } = rec;
          await deps.store.putRecord(
            {
              ...rest,
              keys: [...keys].sort(),
              ...(pendingKeys.length > 0 ? { pending_keys: pendingKeys } : {}),
              updated_at: deps.clock().toISOString(),
              updated_by: actor,
            },
            rec.version,
          );
        }
      },
    });
  } finally {
    await deps.store.releaseLock(deps.runId);
  }
}

function plansLabel(plans: readonly KeyPlan[] | undefined): string[] {
  return (plans ?? []).map(label);
}

function keyRows(estate: Estate, planFilter?: LivePlan): KeyRow[] {
  return estate.keys
    .filter((k) => !planFilter || planFilter.keys.includes(k.id))
    .map((k) => ({
      id: k.id,
      ...(k.name ? { name: k.name } : {}),
      enabled: k.enabled,
      plans: plansLabel(estate.plansOf.get(k.id)),
      ...(k.createdDate ? { created: k.createdDate } : {}),
      ...(k.lastUpdatedDate ? { last_updated: k.lastUpdatedDate } : {}),
    }));
}

export async function runKeysList(
  g: GlobalOptions,
  opts: { plan?: string; output: string },
  io: Io,
): Promise<number> {
  if (!["human", "json", "csv"].includes(opts.output)) {
    throw new UserError(`Unknown output format "${opts.output}".`, { hint: "Use one of: human, json, csv." });
  }
  const s = await openSession(g, io);
  try {
    const estate = await readEstate(s);
    const plan = opts.plan
      ? resolvePlan(estate.live.plans, estate.records, opts.plan, estate.scope).plan
      : undefined;
    const rows = keyRows(estate, plan);
    if (opts.output === "json") io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
    else if (opts.output === "csv") io.stdout.write(renderKeysCsv(rows));
    else io.stdout.write(renderKeysTable(rows, styleFor(io.stdout, io.env, g.color)));
    return 0;
  } finally {
    s.deps.close();
  }
}

/** "yes" typed on a terminal; without a terminal, refused (pass --yes). */
async function askYes(io: Io, question: string): Promise<boolean> {
  if (io.stdin.isTTY !== true) {
    throw new UserError("Refusing to delete without confirmation: standard input is not a terminal.", {
      hint: "Pass --yes (or --auto-approve) to delete non-interactively.",
    });
  }
  io.stderr.write(`${question}\nOnly 'yes' will be accepted: `);
  const rl = createInterface({ input: io.stdin, terminal: false });
  try {
    const answer = await new Promise<string>((done) => rl.once("line", done).once("close", () => done("")));
    return answer.trim() === "yes";
  } finally {
    rl.close();
  }
}

// ---- delivering a generated value ----

export interface Delivery {
  valueFile?: string;
  reveal?: boolean;
}

/** Checked before anything is created: exactly one way to deliver, and a value file that can be created. */
export function checkDelivery(d: Delivery & { output?: string }, command: string): void {
  if (d.valueFile && d.reveal) throw new UserError("Give either --value-file or --reveal, not both.");
  if (d.reveal && d.output === "json") {
    throw new UserError("-o json never contains a key value: use --value-file FILE with -o json.", {
      hint: "Nothing was created.",
    });
  }
  if (!d.valueFile && !d.reveal) {
    throw new UserError(
      `${command} needs --value-file FILE or --reveal: the key's value is shown only once.`,
      {
        hint: "--value-file writes it to a new file readable only by you (mode 0600); --reveal prints it once.",
      },
    );
  }
  if (d.valueFile) {
    const path = resolve(d.valueFile);
    if (existsSync(path)) {
      throw new UserError(`${d.valueFile} exists already; upg does not overwrite a value file.`, {
        hint: "Name a new file, or remove that one first.",
      });
    }
    if (!existsSync(dirname(path))) throw new UserError(`The directory of ${d.valueFile} does not exist.`);
  }
}

function deliver(d: Delivery, key: CreatedApiKey, io: Io): void {
  if (d.valueFile) {
    const fd = openSync(resolve(d.valueFile), "wx", 0o600);
    try {
      writeSync(fd, `${key.value}\n`);
    } finally {
      closeSync(fd);
    }
    io.stdout.write(`The key's value is in ${d.valueFile} (mode 0600); it is not shown anywhere else.\n`);
  } else {
    io.stdout.write(`Value (shown once, not stored by upg): ${key.value}\n`);
  }
}

/** New texts of the plan files to write after the AWS change, for the plans among planIds that declare keys. */
export interface KeyFileEdits {
  files: Array<{ file: string; text: string }>;
  /** Plans whose record says they declare keys but whose plan file was not found (told, not edited). */
  unedited: string[];
}

/**
 * Prepared before anything is changed in AWS: a plan file that declares keys but cannot be edited (malformed)
 * stops the command with its location, so nothing is half-done.
 */
export function prepareKeyEdits(
  s: KeysSession,
  estate: Estate,
  planIds: readonly (string | undefined)[],
  edit: PlanEdit,
): KeyFileEdits {
  const wanted = [...new Set(planIds.filter((x): x is string => x !== undefined))];
  if (wanted.length === 0) return { files: [], unedited: [] };
  const loaded = existsSync(DEFAULT_PLANS_DIR)
    ? loadSpecs([DEFAULT_PLANS_DIR], s.config, { cwd: process.cwd() })
    : { plans: [], diagnostics: [] };
  const specs = loaded.plans;
  const broken = loaded.diagnostics.find((d) => d.severity === "error");
  const texts = new Map<string, string>();
  const unedited: string[] = [];
  for (const planId of wanted) {
    const spec = specs.find((x) => x.planId === planId);
    if (!spec) {
      if (!estate.records.find((r) => r.plan_id === planId)?.keys_declared) continue;
      if (broken) {
        throw new UserError(
          `Plan ${planId} declares its keys, but its file cannot be edited: ${broken.file}:${broken.line}:${broken.col}: ${broken.message}`,
          {
            hint: "Fix the plan files (`upg validate` lists every problem) and run again. Nothing was changed.",
          },
        );
      }
      unedited.push(planId);
      continue;
    }
    if (spec.keys === undefined) continue;
    const file = spec.source.file;
    const text = texts.get(file) ?? readFileSync(file, "utf8");
    const out = editPlanText(text, planId, edit);
    if (!out.ok) {
      throw new UserError(`${file}:${out.error.line}:${out.error.col}: ${out.error.message}`, {
        hint: `Plan ${planId} declares its keys and its file must name the key; fix the file and run again. Nothing was changed.`,
      });
    }
    texts.set(file, out.text);
  }
  return { files: [...texts].map(([file, text]) => ({ file, text })), unedited };
}

export function writeKeyEdits(edits: KeyFileEdits, what: string, io: Io, verb: "add" | "remove"): void {
  for (const f of edits.files) {
    writeFileSync(f.file, f.text);
    io.stderr.write(
      `Edited ${f.file}: ${verb === "add" ? `added ${what} to` : `removed ${what} from`} keys:.\n`,
    );
  }
  io.stderr.write(declaredNote(edits.unedited, what, verb));
}

function declaredNote(planIds: readonly string[], keyName: string, verb: "add" | "remove"): string {
  if (planIds.length === 0) return "";
  const where = planIds.join(", ");
  return verb === "add"
    ? `Note: ${where} declares its keys: add "${keyName}" to \`keys:\` in its plan file, or the next \`upg apply\` detaches it.\n`
    : `Note: ${where} declares its keys: remove "${keyName}" from \`keys:\` in its plan file, or the next \`upg plan\` reports it as unknown.\n`;
}

function requireActive(estate: Estate, planId: string): void {
  const r = estate.records.find((x) => x.plan_id === planId);
  if (r && r.lifecycle_state !== "Active") {
    throw new UserError(`Plan ${planId} is ${r.lifecycle_state}: no new key may join it.`, {
      hint: r.successor ? `Its successor is ${r.successor}.` : "Choose an Active plan.",
    });
  }
}

export async function runKeysCreate(
  g: GlobalOptions,
  name: string,
  opts: { plan: string; output: string } & Delivery,
  io: Io,
): Promise<number> {
  checkDelivery(opts, "keys create");
  if (name.trim() === "" || name.length > 1024) throw new UserError("A key name is 1 to 1024 characters.");
  const s = await openSession(g, io);
  try {
    const estate = await readEstate(s);
    const { plan } = resolvePlan(estate.live.plans, estate.records, opts.plan, estate.scope);
    requireActive(estate, opts.plan);
    const edits = prepareKeyEdits(s, estate, [opts.plan], { addKeys: [name] });
    if (estate.keys.length >= MAX_API_KEYS) {
      throw new UserError(
        `The account has ${estate.keys.length} API keys; AWS allows ${MAX_API_KEYS} per region.`,
      );
    }
    const created = await underLock(s, io, "upg keys create", async ({ audit, recordKeys }) => {
      const key = await s.deps.live.createApiKey({ name });
      try {
        await s.deps.live.attachKey(plan.id, key.id);
      } catch (err) {
        await s.deps.live.deleteApiKey(key.id).catch(() => {});
        throw new UserError(
          `Created API key ${key.id} but could not add it to ${opts.plan}; the key was deleted again. Nothing else changed.`,
          { cause: err, hint: err instanceof Error ? err.message : String(err) },
        );
      }
      await audit({
        plan_id: opts.plan,
        action: "create-apikey",
        key_id: key.id,
        api_gateway_id: plan.id,
        after: { id: key.id, name, enabled: true, plans: [opts.plan] },
      });
      await recordKeys([opts.plan], { add: key.id });
      return key;
    });
    const { value: _value, ...shown } = created;
    if (opts.output === "json") {
      io.stdout.write(`${JSON.stringify({ ...shown, plans: [opts.plan] }, null, 2)}\n`);
      if (opts.valueFile) deliver(opts, created, { ...io, stdout: io.stderr });
    } else {
      io.stdout.write(`Created API key ${created.id} ("${name}") in ${opts.plan}.\n`);
      deliver(opts, created, io);
    }
    writeKeyEdits(edits, `"${name}"`, io, "add");
    return 0;
  } finally {
    s.deps.close();
  }
}

export async function runKeysSetEnabled(
  g: GlobalOptions,
  ref: string,
  enabled: boolean,
  io: Io,
): Promise<number> {
  const s = await openSession(g, io);
  try {
    const estate = await readEstate(s);
    const key = resolveKey(estate.keys, ref);
    const word = enabled ? "enabled" : "disabled";
    if (key.enabled === enabled) {
      io.stdout.write(`API key ${key.id}${key.name ? ` ("${key.name}")` : ""} is already ${word}.\n`);
      return 0;
    }
    const plans = estate.plansOf.get(key.id) ?? [];
    await underLock(s, io, `upg keys ${enabled ? "enable" : "disable"}`, async ({ audit }) => {
      await s.deps.live.setApiKeyEnabled(key.id, enabled);
      await audit({
        plan_id: plans[0]?.plan_id ?? KEYS_AUDIT_PLAN_ID,
        action: enabled ? "enable-apikey" : "disable-apikey",
        key_id: key.id,
        before: { enabled: key.enabled },
        after: { enabled, plans: plansLabel(plans) },
      });
    });
    io.stdout.write(`API key ${key.id}${key.name ? ` ("${key.name}")` : ""} ${word}.\n`);
    if (!enabled && plans.length > 0) {
      io.stdout.write(
        `Its requests to ${plansLabel(plans).join(", ")} are refused once AWS applies it (up to a few minutes).\n`,
      );
    }
    return 0;
  } finally {
    s.deps.close();
  }
}

export async function runKeysDelete(
  g: GlobalOptions,
  ref: string,
  opts: { yes: boolean },
  io: Io,
): Promise<number> {
  const s = await openSession(g, io);
  try {
    const estate = await readEstate(s);
    const key = resolveKey(estate.keys, ref);
    const plans = estate.plansOf.get(key.id) ?? [];
    const what = `API key ${key.id}${key.name ? ` ("${key.name}")` : ""}`;
    const leaves = plans.length > 0 ? `it leaves ${plansLabel(plans).join(", ")}` : "it is in no plan";
    if (
      !opts.yes &&
      !(await askYes(
        io,
        `Delete ${what}? ${leaves[0]!.toUpperCase()}${leaves.slice(1)}; its customers lose access. This cannot be undone.`,
      ))
    ) {
      io.stderr.write("Nothing was deleted.\n");
      return 1;
    }
    const edits = prepareKeyEdits(
      s,
      estate,
      plans.map((p) => p.plan_id),
      { removeKeys: [key.id, ...(key.name ? [key.name] : [])] },
    );
    await underLock(s, io, "upg keys delete", async ({ audit, recordKeys }) => {
      await s.deps.live.deleteApiKey(key.id);
      await audit({
        plan_id: plans[0]?.plan_id ?? KEYS_AUDIT_PLAN_ID,
        action: "delete-apikey",
        key_id: key.id,
        before: { id: key.id, name: key.name, enabled: key.enabled, plans: plansLabel(plans) },
      });
      await recordKeys(
        plans.map((p) => p.plan_id),
        { remove: key.id },
      );
    });
    io.stdout.write(`Deleted ${what}; ${leaves}.\n`);
    writeKeyEdits(edits, `"${key.name ?? key.id}"`, io, "remove");
    return 0;
  } finally {
    s.deps.close();
  }
}

export async function runKeysImport(
  g: GlobalOptions,
  file: string,
  opts: { plan?: string; output: string },
  io: Io,
): Promise<number> {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UserError(`Cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}.`);
  }
  const style = styleFor(io.stderr, io.env, g.color);
  const local = checkKeysCsv(text);
  if (local.problems.length > 0) {
    io.stderr.write(renderCsvProblems(file, local.problems, style));
    return 1;
  }
  const s = await openSession(g, io);
  try {
    const estate = await readEstate(s);
    const room = MAX_API_KEYS - estate.keys.length;
    const checked = checkKeysCsv(text, { maxRows: room });
    const problems = [...checked.problems];
    const known = new Map(estate.live.plans.map((p) => [p.id, p]));
    for (const r of checked.rows) {
      for (const id of r.usagePlanIds) {
        if (!known.has(id)) problems.push({ line: r.line, message: `no usage plan ${id} in API Gateway` });
      }
    }
    if (problems.length > 0) {
      io.stderr.write(
        renderCsvProblems(
          file,
          problems.sort((a, b) => a.line - b.line),
          style,
        ),
      );
      return 1;
    }
    const target = opts.plan
      ? resolvePlan(estate.live.plans, estate.records, opts.plan, estate.scope)
      : undefined;
    if (opts.plan) requireActive(estate, opts.plan);
    const importEdits = prepareKeyEdits(s, estate, [opts.plan], {
      addKeys: checked.rows.map((r) => r.name).filter((n) => n !== ""),
    });
    const body = buildKeysCsv(checked.rows, target ? [target.plan.id] : []);
    const result = await underLock(s, io, "upg keys import", async ({ audit, recordKeys }) => {
      const out = await s.deps.live.importApiKeys(body);
      if (out.conflict) return out;
      await audit({
        plan_id: opts.plan ?? KEYS_AUDIT_PLAN_ID,
        action: "import-apikeys",
        ...(target ? { api_gateway_id: target.plan.id } : {}),
        after: {
          file,
          key_ids: out.ids,
          rows: checked.rows.map((r) => ({ line: r.line, name: r.name, plans: r.usagePlanIds })),
        },
      });
      for (const id of target ? out.ids : []) await recordKeys([opts.plan], { add: id });
      return out;
    });
    if (result.conflict) {
      io.stderr.write(
        `${file}: API Gateway refused the import (409 ConflictException): ${result.conflict}\n`,
      );
      io.stderr.write(
        "A key value in the file exists already (as another key). Nothing was imported: ImportApiKeys ran with failOnWarnings.\n",
      );
      return 1;
    }
    const rows = checked.rows.map((r, i) => ({
      line: r.line,
      id: result.ids[i] ?? null,
      name: r.name,
      plans: [...r.usagePlanIds, ...(target ? [target.plan.id] : [])],
    }));
    if (opts.output === "json")
      io.stdout.write(`${JSON.stringify({ imported: rows, warnings: result.warnings }, null, 2)}\n`);
    else {
      for (const r of rows)
        io.stdout.write(`  ✓ line ${r.line}: ${r.id ?? "?"} ${r.name ? `"${r.name}"` : ""}\n`);
      io.stdout.write(`Imported ${rows.length} API keys${opts.plan ? ` into ${opts.plan}` : ""}.\n`);
    }
    writeKeyEdits(importEdits, "the imported keys", io, "add");
    return 0;
  } finally {
    s.deps.close();
  }
}

// ---- rotation ----

function successorName(key: ApiKeyInfo, now: Date): string {
  return `${key.name ?? key.id}-rotated-${now.toISOString().slice(0, 10)}`;
}

export async function runKeysRotate(
  g: GlobalOptions,
  ref: string,
  opts: { overlap: string; output: string; name?: string } & Delivery,
  io: Io,
): Promise<number> {
  const overlapMs = parseOverlap(opts.overlap);
  checkDelivery(opts, "keys rotate");
  const s = await openSession(g, io);
  try {
    const estate = await readEstate(s);
    const key = resolveKey(estate.keys, ref);
    const plans = estate.plansOf.get(key.id) ?? [];
    const pending = await s.deps.store.listRotations();
    const already = pending.find((r) => r.old_key_id === key.id || r.new_key_id === key.id);
    if (already) {
      throw new UserError(
        `API key ${key.id} is already being rotated (${already.old_key_id} → ${already.new_key_id}, overlap ends ${already.overlap_ends_at}).`,
        { hint: "Finish that rotation first: upg keys rotate --finish" },
      );
    }
    const now = s.deps.clock();
    const name = opts.name ?? successorName(key, now);
    const edits = prepareKeyEdits(
      s,
      estate,
      plans.map((p) => p.plan_id),
      { addKeys: [name] },
    );
    const rotation = await underLock(s, io, "upg keys rotate", async ({ actor, audit, recordKeys }) => {
      const next = await s.deps.live.createApiKey({ name });
      const attached: KeyPlan[] = [];
      try {
        for (const p of plans) {
          await s.deps.live.attachKey(p.api_gateway_id, next.id);
          attached.push(p);
        }
      } catch (err) {
        await s.deps.live.deleteApiKey(next.id).catch(() => {});
        throw new UserError(
          `Created successor key ${next.id} but could not add it to every plan of ${key.id}; the successor was deleted again and ${key.id} is unchanged.`,
          { cause: err, hint: err instanceof Error ? err.message : String(err) },
        );
      }
      const record: RotationRecord = {
        old_key_id: key.id,
        ...(key.name ? { old_key_name: key.name } : {}),
        new_key_id: next.id,
        new_key_name: name,
        plans: attached.map((p) => ({
          api_gateway_id: p.api_gateway_id,
          ...(p.plan_id ? { plan_id: p.plan_id } : {}),
        })),
        started_at: now.toISOString(),
        overlap_ends_at: new Date(now.getTime() + overlapMs).toISOString(),
        actor,
      };
      await s.deps.store.checkLock(s.deps.runId);
      await s.deps.store.putRotation(record);
      await audit({
        plan_id: plans[0]?.plan_id ?? KEYS_AUDIT_PLAN_ID,
        action: "rotate-apikey",
        key_id: next.id,
        before: { id: key.id, name: key.name, plans: plansLabel(plans) },
        after: { id: next.id, name, plans: plansLabel(attached), overlap_ends_at: record.overlap_ends_at },
      });
      await recordKeys(
        attached.map((p) => p.plan_id),
        { add: next.id },
      );
      return { record, next };
    });
    const { record, next } = rotation;
    if (opts.output === "json") {
      io.stdout.write(`${JSON.stringify(record, null, 2)}\n`);
      if (opts.valueFile) deliver(opts, next, { ...io, stdout: io.stderr });
    } else {
      io.stdout.write(
        `Created ${next.id} ("${name}") as the successor of ${key.id} in ${plansLabel(plans).join(", ") || "no plan"}.\n` +
          `Both keys work until ${record.overlap_ends_at}; then \`upg keys rotate --finish\` disables and deletes ${key.id}.\n`,
      );
      deliver(opts, next, io);
    }
    writeKeyEdits(edits, `"${name}"`, io, "add");
    return 0;
  } finally {
    s.deps.close();
  }
}

export async function runKeysRotateFinish(
  g: GlobalOptions,
  opts: { output: string },
  io: Io,
): Promise<number> {
  const s = await openSession(g, io);
  try {
    await s.deps.store.checkTables();
    const rotations = await s.deps.store.listRotations();
    const now = s.deps.clock();
    const due = rotations.filter((r) => Date.parse(r.overlap_ends_at) <= now.getTime());
    const waiting = rotations.filter((r) => !due.includes(r));
    const finished: string[] = [];
    if (due.length > 0) {
      await underLock(s, io, "upg keys rotate --finish", async ({ audit, recordKeys }) => {
        const existing = new Set((await s.deps.live.listApiKeys()).map((k) => k.id));
        for (const r of due) {
          if (existing.has(r.old_key_id)) {
            await s.deps.live.setApiKeyEnabled(r.old_key_id, false);
            await s.deps.live.deleteApiKey(r.old_key_id);
          }
          await audit({
            plan_id: r.plans[0]?.plan_id ?? KEYS_AUDIT_PLAN_ID,
            action: "rotate-finish",
            key_id: r.old_key_id,
            before: {
              id: r.old_key_id,
              name: r.old_key_name,
              plans: r.plans.map((p) => p.plan_id ?? p.api_gateway_id),
            },
            after: { successor: r.new_key_id, deleted: true },
          });
          await recordKeys(
            r.plans.map((p) => p.plan_id),
            { remove: r.old_key_id },
          );
          await s.deps.store.deleteRotation(r.old_key_id);
          finished.push(r.old_key_id);
          const edits = prepareKeyEdits(
            s,
            { records: await s.deps.store.listRecords() } as Estate,
            r.plans.map((p) => p.plan_id),
            { removeKeys: [r.old_key_id, ...(r.old_key_name ? [r.old_key_name] : [])] },
          );
          writeKeyEdits(edits, `"${r.old_key_name ?? r.old_key_id}"`, io, "remove");
        }
      });
    }
    if (opts.output === "json") {
      io.stdout.write(`${JSON.stringify({ finished: due, waiting }, null, 2)}\n`);
      return 0;
    }
    for (const r of due)
      io.stdout.write(`  ✓ ${r.old_key_id} disabled and deleted; ${r.new_key_id} carries on.\n`);
    for (const r of waiting) {
      io.stdout.write(
        `  … ${r.old_key_id} → ${r.new_key_id}: overlap ends ${r.overlap_ends_at}; not finished.\n`,
      );
    }
    io.stdout.write(
      rotations.length === 0
        ? "No key rotations in progress.\n"
        : `${finished.length} rotations finished, ${waiting.length} still in their overlap.\n`,
    );
    return 0;
  } finally {
    s.deps.close();
  }
}
