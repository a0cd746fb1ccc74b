// Plans and apply results as text: human (terraform-like), JSON (the plan document itself) and
// markdown (a pull-request comment). Pure functions of data.

import type {
  ApplyResult,
  Change,
  ChangeResult,
  FieldChange,
  Plan,
  PlanProblem,
  Violation,
} from "../model/plan.js";
import type { PlanSettings } from "../model/state.js";
import { PLAIN, plural, type Style } from "./style.js";

export function formatValue(v: unknown): string {
  if (v === undefined || v === null) return "(none)";
  if (typeof v === "string") return JSON.stringify(v);
  return JSON.stringify(v);
}

function fieldLine(f: FieldChange, style: Style): string {
  const stage = /^stages\[([^\]]+)\]$/.exec(f.field);
  if (stage) {
    return f.after === undefined
      ? style.red(`      - stage ${stage[1]}`)
      : style.green(`      + stage ${stage[1]}`);
  }
  if (f.before === undefined) return style.green(`      + ${f.field} = ${formatValue(f.after)}`);
  if (f.after === undefined) return style.red(`      - ${f.field} = ${formatValue(f.before)}`);
  return style.yellow(`      ~ ${f.field}: ${formatValue(f.before)} → ${formatValue(f.after)}`);
}

export function describeSettings(s: PlanSettings): string[] {
  const lines = [`name = ${formatValue(s.name)}`];
  if (s.description !== undefined) lines.push(`description = ${formatValue(s.description)}`);
  if (s.throttle?.rateLimit !== undefined) lines.push(`throttle.rateLimit = ${s.throttle.rateLimit}`);
  if (s.throttle?.burstLimit !== undefined) lines.push(`throttle.burstLimit = ${s.throttle.burstLimit}`);
  if (s.quota)
    lines.push(
      `quota = ${s.quota.limit} per ${s.quota.period}${s.quota.offset ? ` (offset ${s.quota.offset})` : ""}`,
    );
  for (const st of s.stages) {
    lines.push(`stage ${st.apiId}:${st.stage}`);
    for (const [m, t] of Object.entries(st.throttle)) {
      lines.push(`  ${m}: rate ${t.rateLimit ?? "-"} burst ${t.burstLimit ?? "-"}`);
    }
  }
  for (const [k, v] of Object.entries(s.tags)) lines.push(`tags[${k}] = ${formatValue(v)}`);
  return lines;
}

function keyLabel(c: Change): string {
  return c.keyName ? `${c.keyName} (${c.keyId})` : `${c.keyId}`;
}

function changeBlock(c: Change, style: Style): string[] {
  const id = c.apiGatewayId ? ` (${c.apiGatewayId})` : "";
  const why = c.reason ? style.dim(` — ${c.reason}`) : "";
  switch (c.action) {
    case "create":
      return [
        `  ${style.bold(`# ${c.planId}`)} will be created${why}`,
        style.green(`  + usage plan ${formatValue(c.desired?.settings.name)}`),
        ...describeSettings(c.desired!.settings).map((l) => style.green(`      + ${l}`)),
      ];
    case "recreate":
      return [
        `  ${style.bold(`# ${c.planId}`)} will be recreated${why}`,
        style.yellow(
          `-/+ usage plan ${formatValue(c.desired?.settings.name)} (new id; settings from the plan file and master record)`,
        ),
        ...describeSettings(c.desired!.settings).map((l) => style.green(`      + ${l}`)),
      ];
    case "adopt":
      return [
        `  ${style.bold(`# ${c.planId}${id}`)} will be adopted${why}`,
        style.yellow(`  ~ adopt usage plan ${formatValue(c.live?.name)}`),
        ...(c.fields ?? []).map((f) => fieldLine(f, style)),
        ...(c.keys && c.keys.length > 0
          ? [
              style.dim(
                `      ${plural(c.keys.length, "API key", "API keys")} attached, recorded as ${c.keys.length === 1 ? "it is" : "they are"}`,
              ),
            ]
          : []),
      ];
    case "update":
      return [
        `  ${style.bold(`# ${c.planId}${id}`)} will be updated in place${why}`,
        style.yellow(`  ~ usage plan ${formatValue(c.desired?.settings.name)}`),
        ...(c.fields ?? []).map((f) => fieldLine(f, style)),
      ];
    case "delete": {
      const lost = c.lostKeys ?? [];
      return [
        `  ${style.bold(`# ${c.planId}${id}`)} will be deleted${why}`,
        style.red(`  - usage plan ${formatValue(c.live?.name)}`),
        ...(lost.length > 0
          ? [
              style.red(
                `      ${plural(lost.length, "API key loses", "API keys lose")} access: ${lost.map((k) => (k.name ? `${k.name} (${k.id})` : k.id)).join(", ")}`,
              ),
            ]
          : []),
      ];
    }
    case "remove": {
      const lost = c.lostKeys ?? [];
      return [
        `  ${style.bold(`# ${c.planId}${id}`)} will be removed${why}`,
        style.red(`  - usage plan ${formatValue(c.live?.name)}`),
        ...(lost.length > 0
          ? [style.red(`      ${plural(lost.length, "API key loses", "API keys lose")} access`)]
          : []),
      ];
    }
    case "purge":
      return [style.red(`  - record ${c.planId}`) + why];
    case "attach":
      return [style.green(`  + key ${keyLabel(c)} → ${c.planId}`) + why];
    case "detach":
      if (c.resource === "stage") return [style.red(`  - stage ${c.stage} ✕ ${c.planId}${id}`) + why];
      return [style.red(`  - key ${keyLabel(c)} ✕ ${c.planId}`) + why];
    case "sync":
      return [style.cyan(`  ↻ record ${c.planId}`) + why];
    default:
      return [];
  }
}

export function violationLine(v: Violation, style: Style = PLAIN): string {
  const sev =
    v.severity === "CRITICAL" || v.severity === "HIGH"
      ? style.red(v.severity.padEnd(8))
      : style.yellow(v.severity.padEnd(8));
  const what = v.subject ? ` ${v.subject}` : "";
  return `  ${sev} ${v.plan_id ?? "-"}${v.api_gateway_id ? ` (${v.api_gateway_id})` : ""}: ${v.violation_type}${what}: should be ${formatValue(v.should_be)}, is ${formatValue(v.actually_is)}`;
}

export function problemLine(p: PlanProblem): string {
  const at = p.file ? `${p.file}:${p.line}:${p.col}: ` : "";
  return `  ${at}${p.planId}: ${p.message}`;
}

export interface PlanCounts {
  adopt: number;
  create: number;
  update: number;
  recreate: number;
  delete: number;
  attach: number;
  detach: number;
  sync: number;
}

export function countChanges(plan: Plan): PlanCounts {
  const n = (action: Change["action"]) => plan.changes.filter((c) => c.action === action).length;
  return {
    adopt: n("adopt"),
    create: n("create"),
    update: n("update"),
    recreate: n("recreate"),
    delete: n("delete"),
    attach: n("attach"),
    detach: n("detach"),
    sync: n("sync"),
  };
}

export function summaryLine(plan: Plan): string {
  const c = countChanges(plan);
  if (plan.changes.length === 0 && plan.problems.length > 0)
    return "No changes planned: fix the problems above first.";
  if (plan.changes.length === 0)
    return "No changes. API Gateway and the master records match the plan files.";
  const cleanup = plan.changes.filter(
    (x) => x.action === "remove" || x.action === "purge" || x.resource === "stage",
  );
  if (cleanup.length > 0) {
    const n = (f: (x: Change) => boolean) => plan.changes.filter(f).length;
    return `Cleanup: ${plural(
      n((x) => x.resource === "plan"),
      "plan",
    )} to delete, ${plural(
      n((x) => x.resource === "stage"),
      "stage",
    )} to detach, ${plural(
      n((x) => x.action === "purge"),
      "record",
    )} to remove.`;
  }
  const adopt = c.adopt > 0 ? `${c.adopt} to adopt, ` : "";
  const lost = plan.changes.reduce((n, x) => n + (x.lostKeys?.length ?? 0), 0);
  const loss =
    lost > 0 ? ` ${plural(lost, "API key loses", "API keys lose")} access with the deleted plans.` : "";
  return (
    `Plan: ${adopt}${c.create} to create, ${c.update} to update, ${c.recreate} to recreate, ${c.delete} to delete; ` +
    `${plural(c.attach, "key to attach", "keys to attach")}, ${plural(c.detach, "key to detach", "keys to detach")}; ` +
    `${plural(c.sync, "record to sync", "records to sync")}.${loss}`
  );
}

export function renderPlanHuman(plan: Plan, style: Style = PLAIN): string {
  const out: string[] = [];
  if (plan.changes.length > 0) {
    out.push("upg will perform the following actions:", "");
    plan.changes.forEach((c, i) => {
      out.push(...changeBlock(c, style));
      // One line per key or record change, grouped; a blank line after each plan block.
      const next = plan.changes[i + 1];
      if (c.resource === "plan" || !next || next.resource === "plan") out.push("");
    });
  }
  if (plan.violations.length > 0) {
    out.push(style.bold("Changed outside upg (drift):"));
    out.push(...plan.violations.map((v) => violationLine(v, style)), "");
  }
  if (plan.problems.length > 0) {
    out.push(style.red(style.bold("Problems (fix these before apply; nothing will be written):")));
    out.push(...plan.problems.map(problemLine), "");
  }
  out.push(style.bold(summaryLine(plan)));
  return `${out.join("\n")}\n`;
}

export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

export function renderPlanMarkdown(plan: Plan): string {
  const out = ["### upg plan", "", `**${summaryLine(plan)}**`, ""];
  if (plan.changes.length > 0) {
    out.push("| action | plan | detail |", "|---|---|---|");
    for (const ch of plan.changes) {
      const lost = ch.lostKeys ?? [];
      const detail =
        ch.resource === "key"
          ? `key ${keyLabel(ch)}`
          : `${ch.reason ?? ""}${lost.length > 0 ? `; ${plural(lost.length, "API key loses", "API keys lose")} access: ${lost.map((k) => k.name ?? k.id).join(", ")}` : ""}`;
      out.push(`| ${ch.action} | \`${ch.planId}\` | ${detail.replace(/\|/g, "\\|")} |`);
    }
    out.push("");
  }
  if (plan.violations.length > 0) {
    out.push(
      `**Drift:** ${plural(plan.violations.length, "finding")} (${plan.violations.filter((v) => v.severity === "CRITICAL" || v.severity === "HIGH").length} high or critical).`,
      "",
    );
  }
  if (plan.problems.length > 0) {
    out.push(
      "**Problems (apply is blocked):**",
      "",
      ...plan.problems.map((p) => `- ${problemLine(p).trim()}`),
      "",
    );
  }
  if (plan.changes.length + plan.violations.length > 0) {
    out.push(
      "<details><summary>Full plan</summary>",
      "",
      "```diff",
      renderPlanHuman(plan).trimEnd(),
      "```",
      "",
      "</details>",
      "",
    );
  }
  return `${out.join("\n")}\n`;
}

function seconds(ms: number | undefined): string {
  if (ms === undefined) return "";
  return ms < 1000 ? ` ${ms} ms` : ` ${(ms / 1000).toFixed(1)} s`;
}

/** One line per finished change, as apply prints it the moment the change completes. */
export function renderChangeResult(r: ChangeResult, c: Change | undefined, style: Style = PLAIN): string {
  const label =
    c?.resource === "key"
      ? `${r.action} key ${c.keyName ?? c.keyId} → ${r.planId}`
      : c?.resource === "stage"
        ? `detach stage ${c.stage} from ${r.planId}`
        : `${r.action} ${r.planId}`;
  const idPart = r.previousApiGatewayId
    ? ` (${r.previousApiGatewayId} → ${r.apiGatewayId})`
    : r.apiGatewayId && r.action === "create"
      ? ` (${r.apiGatewayId})`
      : "";
  const time = style.dim(seconds(r.ms));
  const out: string[] = [];
  if (r.outcome === "ok") out.push(`${style.green(`  ✓ ${label}${idPart}`)}${time}`);
  else if (r.outcome === "failed") out.push(`${style.red(`  ✗ ${label}: ${r.error}`)}${time}`);
  else out.push(style.dim(`  - ${label}: ${r.error ?? "skipped"}`));
  if (r.outcome === "ok" && r.error) out.push(style.yellow(`    (${r.error})`));
  if (r.auditError) out.push(style.yellow(`    (audit row not written: ${r.auditError})`));
  return `${out.join("\n")}\n`;
}

/** How many change ids "Not run:" names before it says how many more there are. */
export const NOT_RUN_SHOWN = 10;

/** The closing lines of an apply: counts, what was not run, and why the run stopped. */
export function renderApplySummary(result: ApplyResult, style: Style = PLAIN): string {
  const out: string[] = [];
  const ok = result.results.filter((r) => r.outcome === "ok").length;
  const failed = result.results.filter((r) => r.outcome === "failed");
  const notRun = result.results.filter((r) => r.outcome === "skipped" && r.error?.startsWith("not run"));
  const skipped = result.results.filter((r) => r.outcome === "skipped").length;
  out.push("");
  if (result.stopped) out.push(style.yellow(`Stopped: ${result.stopped}`));
  if (failed.length === 0 && skipped === 0 && !result.stopped) {
    out.push(style.green(style.bold(`Apply complete: ${plural(ok, "change")} applied.`)));
  } else {
    out.push(
      style.red(style.bold(`Apply incomplete: ${ok} applied, ${failed.length} failed, ${skipped} skipped.`)),
    );
    if (notRun.length > 0) {
      // A long list is cut: the first few say what kind of work is left; -o json lists every one.
      const ids = notRun.map((r) => r.changeId);
      const shown = ids.length > NOT_RUN_SHOWN ? ids.slice(0, NOT_RUN_SHOWN) : ids;
      const more = ids.length - shown.length;
      out.push(
        `Not run: ${shown.join(", ")}${more > 0 ? ` and ${more} more (-o json lists them all)` : ""}.`,
      );
    }
    // Stopped by a signal there is nothing to fix: running again finishes the work.
    const interrupted = result.stopped?.startsWith("interrupted") === true && failed.length === 0;
    out.push(
      interrupted
        ? "The changes marked ✓ were applied; the others were not. Run `upg apply` again to finish: it picks up where this run stopped."
        : "The changes marked ✓ were applied; the others were not. Fix the cause and run `upg apply` again: it picks up where this run stopped.",
    );
  }
  return `${out.join("\n")}\n`;
}

export function renderApplyHuman(result: ApplyResult, plan: Plan, style: Style = PLAIN): string {
  const byId = new Map(plan.changes.map((c) => [c.id, c]));
  const lines = result.results
    .filter((r) => !(r.outcome === "skipped" && r.error?.startsWith("not run")))
    .map((r) => renderChangeResult(r, byId.get(r.changeId), style))
    .join("");
  return `${lines}${renderApplySummary(result, style)}`;
}
