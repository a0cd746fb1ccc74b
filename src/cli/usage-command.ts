// `upg usage` (GetUsage per plan, every page) and `upg usage extend` (UpdateUsage, audited under the lock).

import { UserError } from "../errors.js";
import { planIdOf, resolveKey, resolvePlan } from "../keys/resolve.js";
import { formatDay, type KeyUsage, keyUsages, topUsages, usageRange } from "../keys/usage.js";
import type { LivePlan } from "../model/state.js";
import { renderUsageCsv, renderUsageTable } from "../render/usage.js";
import type { GlobalOptions } from "./global-options.js";
import { openSession, readEstate, underLock } from "./keys-command.js";
import { type Io, styleFor } from "./output.js";

export interface UsageOptions {
  plan?: string;
  key?: string;
  from?: string;
  to?: string;
  output: string;
  top?: string;
}

function parseTop(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new UserError(`--top "${value}" is not a positive whole number.`);
  return n;
}

export async function runUsage(g: GlobalOptions, opts: UsageOptions, io: Io): Promise<number> {
  if (!["human", "json", "csv"].includes(opts.output)) {
    throw new UserError(`Unknown output format "${opts.output}".`, { hint: "Use one of: human, json, csv." });
  }
  const top = parseTop(opts.top);
  const range = usageRange(opts.from, opts.to, new Date());
  const s = await openSession(g, io);
  try {
    const estate = await readEstate(s);
    const key = opts.key ? resolveKey(estate.keys, opts.key) : undefined;
    let plans: LivePlan[];
    if (opts.plan) plans = [resolvePlan(estate.live.plans, estate.records, opts.plan, estate.scope).plan];
    else plans = estate.live.plans.filter((p) => planIdOf(p, estate.records) !== undefined);
    if (key) plans = plans.filter((p) => p.keys.includes(key.id));
    if (key && plans.length === 0) {
      throw new UserError(
        `API key ${key.id} is in no ${opts.plan ? `plan ${opts.plan}` : "plan upg manages"}: it has no usage to show.`,
      );
    }
    const names = new Map(estate.keys.map((k) => [k.id, k.name]));
    const rows: KeyUsage[] = [];
    for (const p of plans) {
      const page = await s.deps.live.getUsage(p.id, range.from, range.to, key?.id);
      rows.push(
        ...keyUsages({
          plan_id: planIdOf(p, estate.records) ?? p.id,
          api_gateway_id: p.id,
          ...(p.settings.quota
            ? { quota: { limit: p.settings.quota.limit, period: p.settings.quota.period } }
            : {}),
          from: range.from,
          to: range.to,
          values: page.values,
          keyNames: names,
        }),
      );
    }
    const shown = topUsages(rows, top);
    if (opts.output === "json") {
      io.stdout.write(
        `${JSON.stringify({ kind: "upg-usage", from: range.from, to: range.to, keys: shown }, null, 2)}\n`,
      );
    } else if (opts.output === "csv") io.stdout.write(renderUsageCsv(shown));
    else io.stdout.write(renderUsageTable(shown, range, styleFor(io.stdout, io.env, g.color)));
    return 0;
  } finally {
    s.deps.close();
  }
}

export async function runUsageExtend(
  g: GlobalOptions,
  ref: string,
  opts: { plan: string; by: string; output: string },
  io: Io,
): Promise<number> {
  const by = Number(opts.by);
  if (!Number.isInteger(by) || by < 1 || by > 2_147_483_647) {
    throw new UserError(`--by "${opts.by}" is not a positive whole number of requests.`);
  }
  const s = await openSession(g, io);
  try {
    const estate = await readEstate(s);
    const key = resolveKey(estate.keys, ref);
    const { plan } = resolvePlan(estate.live.plans, estate.records, opts.plan, estate.scope);
    if (!plan.keys.includes(key.id)) throw new UserError(`API key ${key.id} is not in plan ${opts.plan}.`);
    const quota = plan.settings.quota;
    if (!quota) {
      throw new UserError(`Plan ${opts.plan} has no quota: there is nothing to extend.`);
    }
    const today = formatDay(Date.now());
    const result = await underLock(s, io, "upg usage extend", async ({ audit }) => {
      const page = await s.deps.live.getUsage(plan.id, today, today, key.id);
      const before = Number(page.values[key.id]?.at(-1)?.[1] ?? quota.limit);
      const after = before + by;
      await s.deps.live.setRemaining(plan.id, key.id, after);
      await audit({
        plan_id: opts.plan,
        action: "usage-extend",
        key_id: key.id,
        api_gateway_id: plan.id,
        before: { remaining: before },
        after: { remaining: after, by, quota: quota.limit, period: quota.period },
      });
      return { before, after };
    });
    const doc = {
      plan_id: opts.plan,
      key_id: key.id,
      by,
      remaining_before: result.before,
      remaining: result.after,
    };
    if (opts.output === "json") io.stdout.write(`${JSON.stringify(doc, null, 2)}\n`);
    else {
      io.stdout.write(
        `Extended ${key.name ? `"${key.name}" (${key.id})` : key.id} in ${opts.plan} by ${by} requests for the current ${quota.period.toLowerCase()}: remaining ${result.before} → ${result.after}.\n`,
      );
    }
    return 0;
  } finally {
    s.deps.close();
  }
}
