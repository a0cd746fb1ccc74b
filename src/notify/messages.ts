// Pure message builders: one Alert rendered for each kind of sink. No I/O, no clock.

import { SEVERITY_ORDER, type Severity } from "../model/plan.js";
import type { LifecycleState } from "../model/spec.js";
import { ALERT_FORMAT_VERSION, type Alert, type AlertPlan, type AlertViolation } from "./types.js";

/** SNS: a subject of fewer than 100 characters, no line breaks; we stay within 99 printable ASCII. */
export const MAX_SUBJECT_CHARS = 99;
/** SNS takes 256 KiB per message (attributes included); the text stays well below. */
export const MAX_SNS_MESSAGE_BYTES = 200_000;
/** How many violations a text message lists before "… and N more". */
export const MAX_LISTED_VIOLATIONS = 50;

const EVENT_WORDS = {
  opened: "new",
  reminder: "still open",
  resolved: "resolved",
} as const;

/** Printable ASCII only (SNS subjects refuse control characters and line breaks). */
function asciiLine(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, "?");
}

function truncate(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/** "1 CRITICAL, 2 HIGH": most severe first. */
export function severityCounts(violations: readonly { severity: Severity }[]): string {
  const counts = new Map<Severity, number>();
  for (const v of violations) counts.set(v.severity, (counts.get(v.severity) ?? 0) + 1);
  return [...SEVERITY_ORDER]
    .reverse()
    .filter((s) => counts.has(s))
    .map((s) => `${counts.get(s)} ${s}`)
    .join(", ");
}

function where(a: Alert): string {
  return a.account ? `${a.region}, account ${a.account}` : a.region;
}

function humanType(type: string): string {
  return type.replace(/_/g, " ");
}

/** The one line a person reads first: the SNS subject, the Slack headline, the stdout heading. */
export function alertTitle(a: Alert): string {
  let title: string;
  const n = a.violations.length;
  const first = a.violations[0];
  if (a.event === "lifecycle") {
    title = `upg: plan ${a.plan?.plan_id ?? "?"} is now ${a.plan?.lifecycle_state ?? "changed"} in ${a.region}`;
  } else if (a.event === "recovered") {
    title = `upg: plan ${a.plan?.plan_id ?? "?"} was deleted outside upg and recreated in ${a.region}`;
  } else if (n === 1 && first) {
    const what = `${first.severity} ${humanType(first.violation_type)} on ${first.plan_id ?? first.api_gateway_id ?? "?"}`;
    title =
      a.event === "opened"
        ? `upg drift: ${what} in ${a.region}`
        : `upg drift ${EVENT_WORDS[a.event]}: ${what} in ${a.region}`;
  } else {
    const lead = a.event === "opened" ? "upg drift:" : `upg drift ${EVENT_WORDS[a.event]}:`;
    const counts = a.event === "resolved" ? plural(n, "violation") : severityCounts(a.violations);
    title = `${lead} ${counts} in ${a.region}`;
  }
  return truncate(asciiLine(title), MAX_SUBJECT_CHARS);
}

/** A value in a message: numbers and strings as they are, lists and objects as short JSON, none for null. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return truncate(JSON.stringify(value), 120);
}

/** "premium-weather: rate limit changed (throttle.rateLimit): should be 200, is 500 [plans/p.yaml:7]". */
export function describeViolation(v: AlertViolation): string {
  const who = v.plan_id ?? (v.api_gateway_id ? `plan ${v.api_gateway_id}` : "(unmanaged)");
  const subject = v.subject ? ` (${v.subject})` : "";
  const at = v.declared_at ? ` [${v.declared_at.file}:${v.declared_at.line}]` : "";
  return `${who}: ${humanType(v.violation_type)}${subject}: should be ${showValue(v.should_be)}, is ${showValue(v.actually_is)}${at}`;
}

function violationLines(a: Alert, bullet: (v: AlertViolation) => string): string[] {
  const shown = a.violations.slice(0, MAX_LISTED_VIOLATIONS).map(bullet);
  const more = a.violations.length - shown.length;
  return more > 0 ? [...shown, `... and ${more} more (run \`upg drift\` to see all)`] : shown;
}

function planLines(a: Alert): string[] {
  const p = a.plan;
  if (!p) return [];
  const name = p.plan_name ? ` (${p.plan_name})` : "";
  if (a.event === "lifecycle") {
    const lines = [`Plan ${p.plan_id}${name} is now ${p.lifecycle_state ?? "changed"}.`];
    if (p.lifecycle_state === "Deprecated")
      lines.push("Existing API keys keep working; no new key may join it.");
    if (p.lifecycle_state === "Archived")
      lines.push("It has no keys and was removed from API Gateway; its record stays.");
    if (p.successor) lines.push(`Customers should move to ${p.successor}.`);
    return lines;
  }
  const lines = [
    `Plan ${p.plan_id}${name} (API Gateway id ${p.old_api_gateway_id ?? "?"}) was deleted outside upg.`,
    `upg recreated it as ${p.new_api_gateway_id ?? "?"}` +
      (p.restored_stages !== undefined || p.restored_keys !== undefined
        ? ` and attached ${plural(p.restored_stages ?? 0, "stage")} and ${plural(p.restored_keys ?? 0, "API key")} again.`
        : "."),
    "Find out who deleted it: CloudTrail DeleteUsagePlan events; `upg history` shows upg's side.",
  ];
  return lines;
}

function nextStep(a: Alert): string | undefined {
  if (a.event === "opened" || a.event === "reminder") {
    return "Run `upg drift` for details; `upg drift --fix` repairs what the auto-fix policy allows, `upg apply` the rest.";
  }
  return undefined;
}

function intro(a: Alert): string {
  const by = a.actor ? ` by ${a.actor}` : "";
  switch (a.event) {
    case "opened":
      return `upg drift check in ${where(a)} at ${a.at}: ${plural(a.violations.length, "new violation")} (settings changed outside upg).`;
    case "reminder":
      return `upg drift check in ${where(a)} at ${a.at}: ${plural(a.violations.length, "violation")} still open.`;
    case "resolved":
      return `upg drift check in ${where(a)} at ${a.at}: ${plural(a.violations.length, "violation")} resolved.`;
    case "lifecycle":
      return `upg changed a plan's lifecycle in ${where(a)} at ${a.at}${by}.`;
    case "recovered":
      return `upg recovered a deleted plan in ${where(a)} at ${a.at}${by}.`;
  }
}

function since(v: AlertViolation, a: Alert): string {
  return a.event === "reminder" && v.first_seen ? ` (open since ${v.first_seen})` : "";
}

/** The plain-text body: SNS Message, stdout. */
export function alertText(a: Alert): string {
  const lines = [intro(a), ""];
  lines.push(...planLines(a));
  lines.push(...violationLines(a, (v) => `- [${v.severity}] ${describeViolation(v)}${since(v, a)}`));
  const next = nextStep(a);
  if (next) lines.push("", next);
  return `${lines.join("\n").trimEnd()}\n`;
}

export interface SnsMessageAttributeValue {
  DataType: "String" | "String.Array";
  StringValue: string;
}

export interface SnsMessageParts {
  Subject: string;
  Message: string;
  MessageAttributes: Record<string, SnsMessageAttributeValue>;
}

function utf8Truncate(s: string, maxBytes: number): string {
  if (Buffer.byteLength(s) <= maxBytes) return s;
  const marker = "\n... (truncated; run `upg drift` for the whole report)\n";
  let cut = s.slice(0, maxBytes - marker.length);
  while (Buffer.byteLength(cut) > maxBytes - marker.length) cut = cut.slice(0, -1);
  return cut + marker;
}

/**
 * SNS: the subject, the text, and attributes subscribers can filter on — `severity` (the alert's highest),
 * `violation_type` (String, or String.Array when several types), `event`, `region`, `plan_id` (one plan).
 */
export function snsMessage(a: Alert): SnsMessageParts {
  const attrs: Record<string, SnsMessageAttributeValue> = {
    severity: { DataType: "String", StringValue: a.severity },
    event: { DataType: "String", StringValue: a.event },
    region: { DataType: "String", StringValue: a.region },
  };
  const types = [...new Set(a.violations.map((v) => v.violation_type))].sort();
  if (types.length === 1) attrs.violation_type = { DataType: "String", StringValue: types[0]! };
  else if (types.length > 1)
    attrs.violation_type = { DataType: "String.Array", StringValue: JSON.stringify(types) };
  const plans = new Set(
    [...a.violations.map((v) => v.plan_id), a.plan?.plan_id].filter((p) => p !== undefined),
  );
  if (plans.size === 1) attrs.plan_id = { DataType: "String", StringValue: [...plans][0]! };
  return {
    Subject: alertTitle(a),
    Message: utf8Truncate(alertText(a), MAX_SNS_MESSAGE_BYTES),
    MessageAttributes: attrs,
  };
}

/** The generic webhook document (and each line of a file target). */
export interface WebhookPayload {
  kind: "upg-alert";
  format_version: number;
  event: Alert["event"];
  severity: Severity;
  title: string;
  region: string;
  account?: string;
  at: string;
  actor?: string;
  summary: { violations: number; by_severity: Record<Severity, number> };
  violations: AlertViolation[];
  plan?: AlertPlan;
}

export function webhookPayload(a: Alert): WebhookPayload {
  const by = Object.fromEntries(SEVERITY_ORDER.map((s) => [s, 0])) as Record<Severity, number>;
  for (const v of a.violations) by[v.severity] += 1;
  return {
    kind: "upg-alert",
    format_version: ALERT_FORMAT_VERSION,
    event: a.event,
    severity: a.severity,
    title: alertTitle(a),
    region: a.region,
    ...(a.account !== undefined ? { account: a.account } : {}),
    at: a.at,
    ...(a.actor !== undefined ? { actor: a.actor } : {}),
    summary: { violations: a.violations.length, by_severity: by },
    violations: a.violations,
    ...(a.plan ? { plan: a.plan } : {}),
  };
}

/** A JSON line for a file target: the webhook document on one line. */
export function alertJsonLine(a: Alert): string {
  return `${JSON.stringify(webhookPayload(a))}\n`;
}

/** Slack escapes only these three in message text. */
function slackEscape(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

const SLACK_ICON: Record<Severity, string> = {
  CRITICAL: ":rotating_light:",
  HIGH: ":red_circle:",
  MEDIUM: ":large_orange_circle:",
  LOW: ":white_circle:",
};

/** A Slack incoming webhook (or anything that takes `{ text }` in Slack's mrkdwn). */
export function slackPayload(a: Alert): { text: string } {
  const icon = a.event === "resolved" ? ":white_check_mark:" : SLACK_ICON[a.severity];
  const lines = [`${icon} *${slackEscape(alertTitle(a))}*`, slackEscape(intro(a))];
  lines.push(...planLines(a).map(slackEscape));
  lines.push(
    ...violationLines(a, (v) => `• \`${v.severity}\` ${slackEscape(describeViolation(v) + since(v, a))}`),
  );
  const next = nextStep(a);
  if (next) lines.push(`_${slackEscape(next)}_`);
  return { text: lines.join("\n") };
}

export interface LifecycleAlertOptions {
  region: string;
  at: string;
  account?: string;
  planName?: string;
  successor?: string;
  actor?: string;
}

/** "plan deprecated" (and archived / activated): sent by apply when it changes a plan's lifecycle state. */
export function lifecycleAlert(planId: string, state: LifecycleState, opts: LifecycleAlertOptions): Alert {
  return {
    event: "lifecycle",
    severity: state === "Active" ? "LOW" : "MEDIUM",
    region: opts.region,
    ...(opts.account !== undefined ? { account: opts.account } : {}),
    at: opts.at,
    violations: [],
    plan: {
      plan_id: planId,
      ...(opts.planName !== undefined ? { plan_name: opts.planName } : {}),
      lifecycle_state: state,
      ...(opts.successor !== undefined ? { successor: opts.successor } : {}),
    },
    ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
  };
}

export interface RecoveryAlertOptions extends Omit<LifecycleAlertOptions, "successor"> {
  restoredStages?: number;
  restoredKeys?: number;
}

/** "plan deleted and recovered": sent by apply / drift --fix after recreating a plan deleted outside upg. */
export function recoveryAlert(
  planId: string,
  oldId: string,
  newId: string,
  opts: RecoveryAlertOptions,
): Alert {
  return {
    event: "recovered",
    severity: "CRITICAL",
    region: opts.region,
    ...(opts.account !== undefined ? { account: opts.account } : {}),
    at: opts.at,
    violations: [],
    plan: {
      plan_id: planId,
      ...(opts.planName !== undefined ? { plan_name: opts.planName } : {}),
      old_api_gateway_id: oldId,
      new_api_gateway_id: newId,
      ...(opts.restoredStages !== undefined ? { restored_stages: opts.restoredStages } : {}),
      ...(opts.restoredKeys !== undefined ? { restored_keys: opts.restoredKeys } : {}),
    },
    ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
  };
}
