// Plan files from live usage plans (`upg import`). Pure: live state and the time in, file texts out; the
// command writes them. What it writes loads back to exactly the live settings, so adopting the imported
// plans changes nothing:
//
//   plan_id   the ownership tag's plan_id when upg already tagged the plan, else a slug of the name (unique)
//   stages    { api_name, stage } where the REST API's name is unique, else API_ID:STAGE (object form when
//             the stage has per-method throttles); a stage whose REST API is gone is left out, with a warning
//   keys      declared by name where the name is unique, else by id; omitted (observed) when none is attached
//   tags      the plan's tags, without upg's ownership tag

import { stringify } from "yaml";
import type { LivePlan, LiveState } from "../model/state.js";
import { PLAN_ID_RE } from "./schema.js";

export interface ImportSelection {
  /** API Gateway ids. */
  ids?: readonly string[];
  /** Plan names (exact). */
  names?: readonly string[];
  /** Tags every chosen plan carries (`k=v`). */
  tags?: Readonly<Record<string, string>>;
  /** Only plans upg does not manage (no ownership tag, no master record). */
  unmanaged?: boolean;
}

export interface EmitInput {
  live: LiveState;
  /** API Gateway ids master records point at (managed even when untagged). */
  recordIds: readonly string[];
  selection: ImportSelection;
  /** One file for all plans (this name), instead of one file per plan. */
  singleFile?: string;
  /**
   * Plans the plan files in the output directory declare already: a live plan with one's name keeps its
   * plan_id (imported again), and no other plan gets one of their plan_ids.
   */
  declared?: ReadonlyArray<{ planId: string; name: string }>;
  /** Where and when, for the header comment. */
  region: string;
  account: string | null;
  now: string;
}

export interface EmittedFile {
  /** File name inside the output directory. */
  name: string;
  text: string;
  plans: Array<{ planId: string; name: string; apiGatewayId: string }>;
}

export interface EmitResult {
  files: EmittedFile[];
  /** Things the user must know (a stage left out); the files are still written. */
  warnings: string[];
  /** Why nothing may be written (duplicate names, a selector that matches nothing). */
  errors: string[];
}

/** `Premium Weather API` → `premium-weather-api`. */
export function slugify(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 56)
    .replace(/-+$/g, "");
  return slug === "" ? "plan" : slug;
}

function uniqueId(base: string, taken: Set<string>): string {
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  taken.add(id);
  return id;
}

function selected(p: LivePlan, sel: ImportSelection, recordIds: ReadonlySet<string>): boolean {
  if (sel.ids && sel.ids.length > 0 && !sel.ids.includes(p.id)) return false;
  if (sel.names && sel.names.length > 0 && !sel.names.includes(p.settings.name)) return false;
  for (const [k, v] of Object.entries(sel.tags ?? {})) if (p.settings.tags[k] !== v) return false;
  if (sel.unmanaged && (p.ownerPlanId !== undefined || recordIds.has(p.id))) return false;
  return true;
}

function throttleDoc(t: { rateLimit?: number; burstLimit?: number }): Record<string, number> {
  return {
    ...(t.rateLimit !== undefined ? { rate_limit: t.rateLimit } : {}),
    ...(t.burstLimit !== undefined ? { burst_limit: t.burstLimit } : {}),
  };
}

function countBy<T>(items: readonly T[], key: (t: T) => string | undefined): Map<string, number> {
  const out = new Map<string, number>();
  for (const i of items) {
    const k = key(i);
    if (k !== undefined) out.set(k, (out.get(k) ?? 0) + 1);
  }
  return out;
}

function planDoc(
  p: LivePlan,
  planId: string,
  live: LiveState,
  warnings: string[],
): { doc: Record<string, unknown>; leftOut: string[] } {
  const s = p.settings;
  const apiNames = countBy(live.restApis, (a) => a.name);
  const keyNames = countBy(live.apiKeys, (k) => k.name);
  const doc: Record<string, unknown> = { plan_id: planId, name: s.name };
  if (s.description !== undefined && s.description !== "") doc.description = s.description;
  Object.assign(doc, throttleDoc(s.throttle ?? {}));
  if (s.quota) {
    doc.quota_limit = s.quota.limit;
    doc.quota_period = s.quota.period;
    doc.quota_offset = s.quota.offset;
  }
  const stages: unknown[] = [];
  const leftOut: string[] = [];
  for (const st of s.stages) {
    const api = live.restApis.find((a) => a.id === st.apiId);
    if (!api) {
      leftOut.push(`${st.apiId}:${st.stage}`);
      warnings.push(
        `${planId} (${p.id}): stage ${st.apiId}:${st.stage} left out of the plan file: REST API ${st.apiId} no longer exists. Adopting the plan removes the stage from it.`,
      );
      continue;
    }
    const throttles = Object.fromEntries(
      Object.entries(st.throttle).map(([m, t]) => [m, throttleDoc(t)] as const),
    );
    const hasThrottles = Object.keys(throttles).length > 0;
    const ref =
      apiNames.get(api.name) === 1
        ? { api_name: api.name, stage: st.stage }
        : hasThrottles
          ? { api_id: st.apiId, stage: st.stage }
          : `${st.apiId}:${st.stage}`;
    stages.push(typeof ref === "string" || !hasThrottles ? ref : { ...ref, method_throttles: throttles });
  }
  if (stages.length > 0) doc.stages = stages;
  if (p.keys.length > 0) {
    doc.keys = p.keys
      .map((id) => {
        const name = live.apiKeys.find((k) => k.id === id)?.name;
        return name !== undefined && name !== "" && keyNames.get(name) === 1 ? name : id;
      })
      .sort();
  }
  if (Object.keys(s.tags).length > 0) doc.tags = { ...s.tags };
  return { doc, leftOut };
}

function header(input: EmitInput): string {
  const where = `API Gateway ${input.region}${input.account ? `, account ${input.account}` : ""}`;
  return `# Imported by \`upg import\` from ${where} at ${input.now}.\n`;
}

export function emitPlanFiles(input: EmitInput): EmitResult {
  const recordIds = new Set(input.recordIds);
  const chosen = input.live.plans.filter((p) => selected(p, input.selection, recordIds));
  const errors: string[] = [];
  const warnings: string[] = [];
  if (chosen.length === 0) {
    errors.push("No live usage plan matches the selection; nothing was written.");
    return { files: [], warnings, errors };
  }
  const byName = new Map<string, LivePlan[]>();
  for (const p of input.live.plans) byName.set(p.settings.name, [...(byName.get(p.settings.name) ?? []), p]);
  for (const p of chosen) {
    const same = byName.get(p.settings.name)!;
    if (same.length > 1 && same[0] === p) {
      errors.push(
        `${same.length} live plans are named ${JSON.stringify(p.settings.name)} (${same.map((x) => x.id).join(", ")}); plan names must be unique for upg. Rename all but one in API Gateway, then import again.`,
      );
    } else if (same.length > 1 && !chosen.includes(same[0]!)) {
      errors.push(
        `${same.length} live plans are named ${JSON.stringify(p.settings.name)} (${same.map((x) => x.id).join(", ")}); plan names must be unique for upg. Rename all but one in API Gateway, then import again.`,
      );
    }
  }
  if (errors.length > 0) return { files: [], warnings, errors: [...new Set(errors)] };

  // Tagged plans keep their plan_id; the rest get a slug of their name that no other plan uses.
  const taken = new Set([
    ...input.live.plans.flatMap((p) => (p.ownerPlanId ? [p.ownerPlanId] : [])),
    ...(input.declared ?? []).map((d) => d.planId),
  ]);
  const docs = chosen
    .sort((a, b) => a.settings.name.localeCompare(b.settings.name) || a.id.localeCompare(b.id))
    .map((p) => {
      const again = input.declared?.find((d) => d.name === p.settings.name)?.planId;
      const planId =
        p.ownerPlanId && PLAN_ID_RE.test(p.ownerPlanId)
          ? p.ownerPlanId
          : (again ?? uniqueId(slugify(p.settings.name), taken));
      const { doc, leftOut } = planDoc(p, planId, input.live, warnings);
      const notes = [
        `# usage plan ${p.id}${p.ownerPlanId ? ` (already tagged for upg as ${p.ownerPlanId})` : ""}`,
        ...leftOut.map((s) => `# left out: stage ${s} (its REST API no longer exists)`),
      ];
      return {
        planId,
        plan: p,
        body: `${notes.join("\n")}\n${stringify(doc, { lineWidth: 0 })}`,
      };
    });
  const files: EmittedFile[] = input.singleFile
    ? [
        {
          name: input.singleFile,
          text: `${header(input)}${docs.map((d) => d.body).join("---\n")}`,
          plans: docs.map((d) => ({ planId: d.planId, name: d.plan.settings.name, apiGatewayId: d.plan.id })),
        },
      ]
    : docs.map((d) => ({
        name: `${d.planId}.yaml`,
        text: `${header(input)}${d.body}`,
        plans: [{ planId: d.planId, name: d.plan.settings.name, apiGatewayId: d.plan.id }],
      }));
  return { files, warnings, errors };
}
