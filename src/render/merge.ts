// The fleet report: one document over many account-region targets (`upg plan|drift|status` over a fleet, or
// `upg report merge` over the `-o json` results of shards), and its human and markdown views. Pure: the same
// results give the same document, so merging the shards of a run gives that run's document.

import type { DriftReport } from "../model/drift.js";
import { type ApplyResult, type Plan, SEVERITY_ORDER, type Severity } from "../model/plan.js";
import { renderDriftHuman, renderDriftMarkdown } from "./drift.js";
import { renderApplySummary, renderPlanHuman, renderPlanMarkdown } from "./plan.js";
import { renderStatusTable, type StatusRow } from "./status.js";
import { PLAIN, plural, type Style } from "./style.js";

export const FLEET_FORMAT_VERSION = 1;

export type FleetCommand = "plan" | "drift" | "status" | "apply";
const COMMANDS: readonly FleetCommand[] = ["plan", "drift", "status", "apply"];

export interface FleetResult {
  /** The account's name in `accounts:`; null for the current credentials' account. */
  account: string | null;
  region: string;
  status: "ok" | "error";
  exit_code: number;
  error?: string;
  /** What to do about the error, when upg knows. */
  hint?: string;
  /** The command's own `-o json` document for this target (items carry `account` and `region`). */
  report?: unknown;
}

export interface FleetReport {
  kind: "upg-fleet-report";
  format_version: number;
  command: FleetCommand;
  generated_at: string;
  results: FleetResult[];
  exit_code: number;
}

/** Thrown for shards that cannot be merged; the message says which file and why. */
export class MergeError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = "MergeError";
  }
}

/** 1 if any target errored (or exited 1), else 2 if any has drift or changes, else 0. */
export function combinedExitCode(results: readonly Pick<FleetResult, "status" | "exit_code">[]): number {
  if (results.some((r) => r.status === "error" || r.exit_code === 1)) return 1;
  if (results.some((r) => r.exit_code === 2)) return 2;
  return results.some((r) => r.exit_code !== 0) ? 1 : 0;
}

/** `payments-prod/eu-west-1`, or just the region for the current credentials' account. */
export function fleetLabel(r: { account: string | null; region: string }): string {
  return r.account ? `${r.account}/${r.region}` : r.region;
}

type Where = { account: string | null; region: string };

function tagList<T>(list: readonly T[] | undefined, where: Where): Array<T & Where> | undefined {
  return list?.map((item) => ({ ...item, ...where }));
}

/**
 * A target's report with `account` on the document and `account` and `region` on every item (violations,
 * changes, pending edits, problems, status rows), so items stay attributable once results are flattened.
 */
export function tagReport(command: FleetCommand, report: unknown, where: Where): unknown {
  if (command === "status") return (report as StatusRow[]).map((row) => ({ ...row, ...where }));
  if (command === "apply") {
    const a = report as ApplyResult;
    return { ...a, account: where.account, region: where.region, results: tagList(a.results, where) };
  }
  if (command === "drift") {
    const d = report as DriftReport;
    return {
      ...d,
      account: where.account,
      violations: tagList(d.violations, where),
      pending: tagList(d.pending, where),
      not_checked: tagList(d.not_checked, where),
    };
  }
  const p = report as Plan;
  return {
    ...p,
    account: where.account,
    changes: tagList(p.changes, where),
    violations: tagList(p.violations, where),
    problems: tagList(p.problems, where),
  };
}

function byTarget(a: Where, b: Where): number {
  const ka = `${a.account ?? ""}\u0000${a.region}`;
  const kb = `${b.account ?? ""}\u0000${b.region}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** The fleet document: results sorted by account and region, every item tagged, the combined exit code. */
export function fleetReport(
  command: FleetCommand,
  results: readonly FleetResult[],
  generatedAt: string,
): FleetReport {
  const sorted = [...results].sort(byTarget).map((r) => {
    const where = { account: r.account, region: r.region };
    const out: FleetResult = {
      account: r.account,
      region: r.region,
      status: r.status,
      exit_code: r.exit_code,
    };
    if (r.error !== undefined) out.error = r.error;
    if (r.hint !== undefined) out.hint = r.hint;
    if (r.report !== undefined) out.report = tagReport(command, r.report, where);
    return out;
  });
  return {
    kind: "upg-fleet-report",
    format_version: FLEET_FORMAT_VERSION,
    command,
    generated_at: generatedAt,
    results: sorted,
    exit_code: combinedExitCode(sorted),
  };
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** How a one-target report's exit code is worked out: the options its run had (`upg drift`'s, `upg plan`'s). */
export interface ExitRules {
  /** drift --fail-on (default LOW). */
  failOn?: Severity;
  /** drift --fail-on-pending. */
  failOnPending?: boolean;
  /** plan --detailed-exitcode. */
  detailedExitcode?: boolean;
}

/** A single-target drift report's exit code under `upg drift`'s rules. */
function driftCode(d: DriftReport, rules: ExitRules): number {
  const floor = SEVERITY_ORDER.indexOf(rules.failOn ?? "LOW");
  if (d.violations.some((v) => SEVERITY_ORDER.indexOf(v.severity) >= floor)) return 2;
  if (d.not_checked.length > 0) return 1;
  return rules.failOnPending && d.pending.length > 0 ? 2 : 0;
}

/** A single-target plan document's exit code: 1 with problems; 2 with changes under --detailed-exitcode. */
function planCode(p: Plan, detailed: boolean): number {
  if (p.problems.length > 0) return 1;
  return detailed && p.changes.length > 0 ? 2 : 0;
}

interface Shard {
  command: FleetCommand;
  results: FleetResult[];
}

function shardOf(name: string, doc: unknown, rules: ExitRules): Shard {
  if (isObject(doc) && doc.kind === "upg-fleet-report") {
    if (doc.format_version !== FLEET_FORMAT_VERSION || !COMMANDS.includes(doc.command as FleetCommand)) {
      throw new MergeError(
        `${name}: a fleet report of format_version ${String(doc.format_version)} for "${String(doc.command)}", which this upg cannot merge.`,
        "Produce every shard with the same upg version.",
      );
    }
    return { command: doc.command as FleetCommand, results: (doc.results as FleetResult[]) ?? [] };
  }
  const account = isObject(doc) && typeof doc.account === "string" ? doc.account : null;
  if (isObject(doc) && doc.kind === "upg-drift-report" && typeof doc.region === "string") {
    const d = doc as unknown as DriftReport;
    return {
      command: "drift",
      results: [{ account, region: d.region, status: "ok", exit_code: driftCode(d, rules), report: doc }],
    };
  }
  if (
    isObject(doc) &&
    Array.isArray(doc.changes) &&
    isObject(doc.fingerprint) &&
    typeof doc.region === "string"
  ) {
    const p = doc as unknown as Plan;
    return {
      command: "plan",
      results: [
        {
          account,
          region: p.region,
          status: "ok",
          exit_code: planCode(p, rules.detailedExitcode === true),
          report: doc,
        },
      ],
    };
  }
  throw new MergeError(
    `${name} is not an upg report that can be merged.`,
    "Merge the `-o json` output of `upg plan`, `upg drift` or `upg status` shards (fleet reports, drift reports or plan documents).",
  );
}

/**
 * Merge the `-o json` documents of shards into one fleet report. Fleet reports keep their targets' exit codes;
 * a one-target report gets its exit code from `options` (the flags its run had). All must be of one command; an
 * account-region in two shards is an error (a shard ran twice, or two shards overlap).
 */
export function mergeReports(
  docs: ReadonlyArray<{ name: string; doc: unknown }>,
  options: { generatedAt: string } & ExitRules,
): FleetReport {
  if (docs.length === 0) throw new MergeError("Nothing to merge.", "Name the shards' JSON files.");
  let command: FleetCommand | undefined;
  let first = "";
  const seen = new Map<string, string>();
  const results: FleetResult[] = [];
  for (const { name, doc } of docs) {
    const shard = shardOf(name, doc, options);
    if (command === undefined) {
      command = shard.command;
      first = name;
    } else if (shard.command !== command) {
      throw new MergeError(
        `${name} is a ${shard.command} report, ${first} a ${command} report: one merge takes one command's reports.`,
        "Merge the shards of one command at a time.",
      );
    }
    for (const r of shard.results) {
      const key = fleetLabel(r);
      const other = seen.get(key);
      if (other !== undefined) {
        throw new MergeError(
          `${key} is in both ${other} and ${name}.`,
          "Each account-region must be in exactly one shard; drop the duplicate file or fix the matrix.",
        );
      }
      seen.set(key, name);
      results.push(r);
    }
  }
  return fleetReport(command!, results, options.generatedAt);
}

function renderOne(command: FleetCommand, report: unknown, style: Style): string {
  if (command === "drift") return renderDriftHuman(report as DriftReport, style);
  if (command === "plan") return renderPlanHuman(report as Plan, style);
  if (command === "apply") {
    const a = report as ApplyResult & { audit_head?: { seq: number; hash: string } };
    const head = a.audit_head ? `Audit log head: seq ${a.audit_head.seq}, sha256 ${a.audit_head.hash}\n` : "";
    return `${renderApplySummary(a, style).replace(/^\n/, "")}${head}`;
  }
  return renderStatusTable(report as StatusRow[], style);
}

function summary(doc: FleetReport): string {
  const n = doc.results.length;
  if (doc.command === "apply") {
    if (n === 0) return "No changes in any target.";
    // Not applied: the target failed before its first change; incomplete: some of its changes ran.
    const notApplied = doc.results.filter((r) => r.status === "error");
    const incomplete = doc.results.filter((r) => r.status === "ok" && r.exit_code !== 0);
    const applied = n - notApplied.length - incomplete.length;
    if (applied === n) return `${plural(n, "target")}: all applied.`;
    const parts = [`${applied} applied`];
    if (incomplete.length > 0)
      parts.push(`${incomplete.length} incomplete (${incomplete.map(fleetLabel).join(", ")})`);
    if (notApplied.length > 0)
      parts.push(`${notApplied.length} not applied (${notApplied.map(fleetLabel).join(", ")})`);
    return `${plural(n, "target")}: ${parts.join(", ")}.`;
  }
  const failed = doc.results.filter((r) => r.status === "error");
  return failed.length === 0
    ? `${plural(n, "target")}: all read.`
    : `${plural(n, "target")}: ${n - failed.length} read, ${failed.length} failed (${failed.map(fleetLabel).join(", ")}).`;
}

/** Every target under a header naming it, each of its lines prefixed with it; failed targets say why. */
export function renderFleetHuman(doc: FleetReport, style: Style = PLAIN): string {
  const out: string[] = [];
  for (const r of doc.results) {
    const label = fleetLabel(r);
    out.push(style.bold(`== ${label} ==`));
    if (r.status === "error") {
      out.push(`${label}  ${style.red(`Error: ${r.error ?? "failed"}`)}`);
      if (r.hint) out.push(`${label}  ${r.hint}`);
    } else {
      const text = renderOne(doc.command, r.report, style).replace(/\n+$/, "");
      for (const line of text.split("\n")) out.push(line === "" ? "" : `${label}  ${line}`);
    }
    out.push("");
  }
  out.push(summary(doc));
  return `${out.join("\n")}\n`;
}

function demote(markdown: string): string {
  return markdown.replace(/^(#{1,5}) /gm, "#$1 ");
}

export function renderFleetMarkdown(doc: FleetReport): string {
  const out = [`## upg ${doc.command}: ${summary(doc)}`, ""];
  for (const r of doc.results) {
    const label = fleetLabel(r);
    out.push(`### ${label}`, "");
    if (r.status === "error") out.push(`**Error:** ${r.error ?? "failed"}${r.hint ? ` ${r.hint}` : ""}`, "");
    // The command's own heading goes one level under the target's.
    else if (doc.command === "drift") out.push(demote(renderDriftMarkdown(r.report as DriftReport)));
    else if (doc.command === "plan") out.push(demote(renderPlanMarkdown(r.report as Plan)));
    else if (doc.command === "apply")
      out.push(renderApplySummary(r.report as ApplyResult).replace(/^\n/, ""));
    else out.push("```", renderStatusTable(r.report as StatusRow[]).replace(/\n+$/, ""), "```", "");
  }
  return `${out.join("\n").replace(/\n+$/, "")}\n`;
}

export function renderFleetJson(doc: FleetReport): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}
