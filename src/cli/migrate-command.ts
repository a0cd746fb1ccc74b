// `upg migrate FROM --to TO`: a dry-run table by default; with --confirm the keys move through the apply
// engine (lock, journal, audit rows, progress, signals), then a follow-up run detaches attach-first keys and
// re-attaches to FROM any key that left it but could not join TO.

import { makePlan, type Snapshot } from "../apply/make-plan.js";
import { UserError } from "../errors.js";
import {
  followUpChanges,
  type KeyMove,
  type Migration,
  migrateChanges,
  migrationPlan,
  type Outcomes,
  planMigration,
} from "../lifecycle/migrate.js";
import type { ApplyResult, Change, ChangeResult, Plan } from "../model/plan.js";
import { renderApplySummary } from "../render/plan.js";
import type { Style } from "../render/style.js";
import { openDeps, type RunDeps } from "./deps.js";
import type { GlobalOptions } from "./global-options.js";
import { stagePlanEdits } from "./lifecycle-command.js";
import { type Io, parseFormat, styleFor } from "./output.js";
import { loadProject, type Project, scopeTargets } from "./project.js";
import { snapshot } from "./reconcile.js";
import { exitCodeOf, headLine, runChanges } from "./run-changes.js";

export interface MigrateCommandOptions {
  global: GlobalOptions;
  from: string;
  to?: string;
  keys: string[];
  batch?: number;
  confirm: boolean;
  plans: string[];
  output: string;
}

function what(m: Migration, k: KeyMove): string {
  if (k.attachOnly) return `left ${m.from} in a stopped run, in no plan now: attach to ${m.to}`;
  if (k.detachOnly) return `already on ${m.to}: detach from ${m.from}`;
  return k.order === "detach-first"
    ? `detach from ${m.from}, then attach to ${m.to} (shared stage)`
    : `attach to ${m.to}, then detach from ${m.from}`;
}

/** Requests each key made on FROM so far in its quota period (or this month), or undefined when unknown. */
export interface PeriodUsage {
  from: string;
  to: string;
  used: Map<string, number> | undefined;
}

function usedOf(u: PeriodUsage | undefined, keyId: string): string {
  if (!u?.used) return "?";
  return String(u.used.get(keyId) ?? 0);
}

function renderTable(m: Migration, usage?: PeriodUsage): string {
  const rows = m.moves.map((k) => [k.name ?? "-", k.id, usedOf(usage, k.id), what(m, k)]);
  const head = ["key", "id", usage ? `used ${usage.from}..${usage.to}` : "used", "what happens"];
  const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `  ${r.map((c, i) => c.padEnd(w[i]!)).join("  ")}`.trimEnd();
  return [line(head), ...rows.map(line)].join("\n") + "\n";
}

function migrationJson(m: Migration, usage?: PeriodUsage) {
  return {
    from: m.from,
    ...(usage ? { usage_period: { from: usage.from, to: usage.to } } : {}),
    to: m.to,
    shared_stages: m.sharedStages,
    keys: m.moves.map((k) => ({
      id: k.id,
      name: k.name ?? null,
      used_this_period: usage?.used ? (usage.used.get(k.id) ?? 0) : null,
      order: k.order,
      detach_only: k.detachOnly,
      attach_only: k.attachOnly === true,
      what: what(m, k),
    })),
    remaining_after: m.remaining,
  };
}

/**
 * Keys an earlier migrate detached from FROM (its audit rows, or a detach still in its journal) that are in no
 * plan now: that run stopped between the detach and the attach.
 */
async function orphansOf(
  deps: RunDeps,
  from: string,
  to: string | undefined,
  snap: Snapshot,
): Promise<string[]> {
  const rows = await deps.store.listAudit({ planId: from });
  // The seq of the last attach of each key to TO: a key that joined TO after it left FROM is not owed.
  const joined = new Map<string, number>();
  if (to) {
    for (const r of await deps.store.listAudit({ planId: to }))
      if (r.action === "attach-key" && r.outcome === "ok" && r.key_id) joined.set(r.key_id, r.seq);
  }
  const ids = rows
    .filter(
      (r) =>
        r.trigger === "migrate" &&
        r.action === "detach-key" &&
        r.outcome === "ok" &&
        r.key_id &&
        (joined.get(r.key_id) ?? 0) < r.seq,
    )
    .map((r) => r.key_id!);
  const pending = snap.records.find((r) => r.plan_id === from)?.pending;
  if (pending?.action === "detach" && pending.key_id) ids.push(pending.key_id);
  const inSomePlan = new Set(snap.live.plans.flatMap((p) => p.keys));
  return [...new Set(ids)].filter((id) => !inSomePlan.has(id));
}

/** Reads live state afresh (under the lock) and builds the migrate plan for exactly the keys chosen. */
async function freshPlan(
  project: Project,
  deps: RunDeps,
  current: Plan,
  build: (m: Migration) => Change[],
  chosen: Migration,
): Promise<{ plan: Plan; migration: Migration }> {
  const snap = await makePlan({ specs: project.specs, config: project.config, targets: [] }, deps);
  const res = planMigration(
    {
      from: chosen.from,
      to: chosen.to,
      keys: chosen.moves.map((k) => k.id),
      orphans: await orphansOf(deps, chosen.from, chosen.to, snap),
    },
    snap.resolved.desired,
    snap.recovery.records,
    snap.live,
  );
  // Keys that already moved (a resumed run) are simply not there any more.
  const migration: Migration = res.ok
    ? res.migration
    : { ...chosen, moves: [], remaining: chosen.remaining + chosen.moves.length };
  const changes = build(migration);
  const ids = new Set(changes.map((c) => c.id));
  const other = current.changes.filter(
    (c) => (c.planId === chosen.from || c.planId === chosen.to) && !ids.has(c.id) && c.resource === "plan",
  );
  if (other.length > 0) {
    throw new UserError(
      `${chosen.from} or ${chosen.to} has plan-file edits not applied yet (${other.map((c) => c.id).join(", ")}); nothing was moved.`,
      { hint: "Run `upg apply` first, then migrate." },
    );
  }
  return { plan: migrationPlan(current, changes, snap.resolved.desired, snap.live), migration };
}

interface RunOutcome {
  result?: ApplyResult;
  code?: number;
}

async function runMigratePlan(
  project: Project,
  deps: RunDeps,
  io: Io,
  style: Style,
  out: NodeJS.WritableStream,
  build: (current: Plan) => Promise<Plan>,
): Promise<RunOutcome> {
  const run = await runChanges({
    project,
    targets: [],
    deps,
    io,
    style,
    planStream: out,
    lockWaitMs: 0,
    autoApprove: true,
    trigger: "migrate",
    choose: async (current) => ({ plan: await build(current) }),
  });
  if (run.kind === "interrupted") return { code: run.code };
  const { outcome, interrupts } = run;
  if (outcome.kind !== "applied") return {};
  const code = exitCodeOf(outcome.result, interrupts);
  return { result: outcome.result, ...(outcome.result.stopped ? { code } : {}) };
}

function outcomes(results: readonly ChangeResult[]): Outcomes {
  return new Map(results.map((r) => [r.changeId, r.outcome]));
}

export async function runMigrateCommand(opts: MigrateCommandOptions, io: Io): Promise<number> {
  const format = parseFormat(opts.output, ["human", "json"]);
  let project = loadProject(opts.global, opts.plans, io);
  const deps = await openDeps(opts.global, project.config, project.region);
  try {
    const snap = await snapshot(project, scopeTargets(project, [], opts.plans), deps, io);
    const planned = planMigration(
      {
        from: opts.from,
        ...(opts.to !== undefined ? { to: opts.to } : {}),
        keys: opts.keys,
        ...(opts.batch !== undefined ? { batch: opts.batch } : {}),
        orphans: await orphansOf(
          deps,
          opts.from,
          opts.to ?? snap.resolved.desired.find((d) => d.planId === opts.from)?.successor,
          snap,
        ),
      },
      snap.resolved.desired,
      snap.recovery.records,
      snap.live,
    );
    if (!planned.ok) throw new UserError(`${planned.message} Nothing was moved.`, { hint: planned.hint });
    const m = planned.migration;
    const human = format === "human";
    const out = human ? io.stdout : io.stderr;
    const style = styleFor(out, io.env, opts.global.color);
    if (m.moves.length === 0) {
      if (human) io.stdout.write(`No API keys on ${m.from}: nothing to move to ${m.to}.\n`);
      else io.stdout.write(`${JSON.stringify({ ...migrationJson(m), dry_run: !opts.confirm }, null, 2)}\n`);
      return 0;
    }
    out.write(
      `${opts.confirm ? "Moving" : "Would move"} ${m.moves.length} API key${m.moves.length > 1 ? "s" : ""} from ${m.from} to ${m.to}${m.remaining > 0 ? ` (${m.remaining} more stay on ${m.from} for a later run)` : ""}:\n`,
    );
    const fromPlan = snap.resolved.desired.find((d) => d.planId === m.from);
    const usage = await periodUsage(deps, m.fromId, fromPlan?.settings.quota?.period, deps.clock());
    out.write(renderTable(m, usage));
    if (!opts.confirm) {
      if (human) io.stdout.write("\nDry run: nothing was changed. Run again with --confirm to move them.\n");
      else io.stdout.write(`${JSON.stringify({ ...migrationJson(m, usage), dry_run: true }, null, 2)}\n`);
      return 0;
    }

    // Plan files that declare keys: the key leaves FROM's list and joins TO's, so the next plan is clean.
    const declared = (planId: string) => project.specs.find((s) => s.planId === planId);
    const fromSpec = declared(m.from);
    const toSpec = declared(m.to);
    const names = (k: KeyMove) => [k.id, ...(k.name ? [k.name] : [])];
    const edits = [
      ...(fromSpec?.keys
        ? [{ file: fromSpec.source.file, planId: m.from, edit: { removeKeys: m.moves.flatMap(names) } }]
        : []),
      ...(toSpec?.keys
        ? [{ file: toSpec.source.file, planId: m.to, edit: { addKeys: m.moves.map((k) => k.name ?? k.id) } }]
        : []),
    ];
    if (edits.length > 0) {
      for (const s of stagePlanEdits(edits, opts.plans, project.config, io, opts.global.color)) s.commit();
      project = loadProject(opts.global, opts.plans, io);
      out.write(`Edited ${[...new Set(edits.map((e) => e.file))].join(" and ")} (keys:).\n`);
    }
    out.write("\n");

    // Keys that did not move go back into FROM's plan file (and out of TO's).
    const undoEdits = (keys: readonly KeyMove[]) => {
      if (edits.length === 0 || keys.length === 0) return;
      const undo = [
        ...(fromSpec?.keys
          ? [
              {
                file: fromSpec.source.file,
                planId: m.from,
                edit: { addKeys: keys.map((k) => k.name ?? k.id) },
              },
            ]
          : []),
        ...(toSpec?.keys
          ? [{ file: toSpec.source.file, planId: m.to, edit: { removeKeys: keys.flatMap(names) } }]
          : []),
      ];
      for (const s of stagePlanEdits(undo, opts.plans, project.config, io, opts.global.color)) s.commit();
      project = loadProject(opts.global, opts.plans, io);
    };

    let migration = m;
    let first: RunOutcome;
    try {
      first = await runMigratePlan(project, deps, io, style, out, async (current) => {
        const fresh = await freshPlan(project, deps, current, migrateChanges, m);
        migration = fresh.migration;
        return fresh.plan;
      });
    } catch (err) {
      // Refused before any change ran (a problem, the lock, AWS unreachable): the files are as they were.
      undoEdits(m.moves.filter((k) => !k.detachOnly));
      throw err;
    }
    const results = [...(first.result?.results ?? [])];
    let reattached: KeyMove[] = [];
    if (first.code === undefined) {
      const done = outcomes(results);
      const follow = followUpChanges(migration, done);
      reattached = follow.reattached.map((k) => migration.moves.find((x) => x.id === k.id)!);
      // Keys that could not move stay in FROM's plan file too.
      const failed = migration.moves.filter(
        (k) => !k.detachOnly && done.get(`attach-key:${m.to}:${k.id}`) !== "ok",
      );
      if (failed.length > 0) undoEdits(failed);
      if (follow.changes.length > 0) {
        if (reattached.length > 0) {
          out.write(
            `\n${reattached.length} key${reattached.length > 1 ? "s" : ""} could not join ${m.to}; attaching back to ${m.from} so no customer is left without a plan.\n`,
          );
        }
        const second = await runMigratePlan(project, deps, io, style, out, async (current) => {
          const snap2 = await makePlan({ specs: project.specs, config: project.config, targets: [] }, deps);
          const changes = followUpChanges(migration, done).changes;
          // A key that could not join TO is not owed to TO: its record forgets it (no restore later).
          const to = snap2.resolved.desired.find((d) => d.planId === m.to);
          const toLive = snap2.live.plans.find((p) => p.id === m.toId);
          if (reattached.length > 0 && to && !to.keys && toLive) {
            changes.push({
              id: `sync:${m.to}`,
              action: "sync",
              resource: "record",
              planId: m.to,
              apiGatewayId: m.toId,
              desired: { ...to, keys: [...toLive.keys] },
              keys: [...toLive.keys],
              reason: `forget the keys that could not join ${m.to}`,
            });
          }
          return migrationPlan(current, changes, snap2.resolved.desired, snap2.live);
        });
        results.push(...(second.result?.results ?? []));
        if (second.code !== undefined) first.code = second.code;
      }
    }
    const all: ApplyResult = {
      run_id: first.result?.run_id ?? deps.runId,
      started_at: first.result?.started_at ?? deps.clock().toISOString(),
      finished_at: deps.clock().toISOString(),
      results,
      ...(first.result?.stopped ? { stopped: first.result.stopped } : {}),
    };
    if (results.length > 0) out.write(renderApplySummary(all, style));
    const byId = outcomes(results);
    const moved = migration.moves.filter(
      (k) =>
        (k.detachOnly || byId.get(`attach-key:${m.to}:${k.id}`) === "ok") &&
        (k.attachOnly || byId.get(`detach-key:${m.from}:${k.id}`) === "ok"),
    );
    const back = reattached.filter((k) => byId.get(`attach-key:${m.from}:${k.id}`) === "ok");
    const stranded = reattached.filter((k) => !back.includes(k));
    const head = await headLine(deps);
    if (human) {
      io.stdout.write(
        `\nMoved ${moved.length} of ${migration.moves.length} API key${migration.moves.length === 1 ? "" : "s"} from ${m.from} to ${m.to}.\n`,
      );
      if (back.length > 0)
        io.stdout.write(`Attached back to ${m.from}: ${back.map((k) => k.name ?? k.id).join(", ")}.\n`);
      if (stranded.length > 0)
        io.stdout.write(
          `In no plan now (attaching back to ${m.from} failed too): ${stranded.map((k) => k.name ?? k.id).join(", ")}. Run \`upg migrate ${m.from} --to ${m.to} --confirm\` again: it attaches them to ${m.to} first.\n`,
        );
      if (m.remaining > 0)
        io.stdout.write(`${m.remaining} more on ${m.from}: run the same command again for the next batch.\n`);
      if (head) io.stdout.write(`Audit log head: seq ${head.seq}, sha256 ${head.hash}\n`);
    } else {
      io.stdout.write(
        `${JSON.stringify(
          {
            ...migrationJson(migration),
            dry_run: false,
            moved: moved.map((k) => k.id),
            reattached: back.map((k) => k.id),
            in_no_plan: stranded.map((k) => k.id),
            result: all,
            ...(head ? { audit_head: head } : {}),
          },
          null,
          2,
        )}\n`,
      );
    }
    if (first.code !== undefined) return first.code;
    return results.some((r) => r.outcome !== "ok") || moved.length < migration.moves.length ? 1 : 0;
  } finally {
    deps.close();
  }
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/**
 * What each key used on FROM in the current quota period (DAY: today, WEEK: the last 7 days, MONTH or no quota:
 * since the 1st), from GetUsage. Best effort: a failed read shows "?" and never stops a migration.
 */
async function periodUsage(
  deps: RunDeps,
  usagePlanId: string,
  period: "DAY" | "WEEK" | "MONTH" | undefined,
  now: Date,
): Promise<PeriodUsage> {
  const start = new Date(now);
  if (period === "DAY") {
    // today only
  } else if (period === "WEEK") start.setUTCDate(start.getUTCDate() - 6);
  else start.setUTCDate(1);
  const range = { from: day(start), to: day(now) };
  try {
    const page = await deps.live.getUsage(usagePlanId, range.from, range.to);
    const used = new Map<string, number>();
    for (const [keyId, days] of Object.entries(page.values)) {
      used.set(
        keyId,
        days.reduce((sum, d) => sum + (Number(d[0]) || 0), 0),
      );
    }
    return { ...range, used };
  } catch {
    return { ...range, used: undefined };
  }
}
