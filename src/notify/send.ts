// Senders: deliver alerts to every configured target and report per target. Never throws: a caller prints its
// report first, then the delivery failures, and exits 1 when any target failed.

import { appendFile } from "node:fs/promises";
import type { SNSClient } from "@aws-sdk/client-sns";
import {
  type AwsTarget,
  isTimeout,
  limitTimeoutRetries,
  sdkClientConfig,
  timeoutsOf,
} from "../aws/client-config.js";
import { formatSeconds } from "../aws/errors.js";
import type { AlertTarget } from "../model/spec.js";
import {
  alertJsonLine,
  alertText,
  alertTitle,
  slackPayload,
  snsMessage,
  webhookPayload,
} from "./messages.js";
import type { Alert, DeliveryResult } from "./types.js";

/** How long a webhook may take to answer, unless told otherwise. */
export const DEFAULT_WEBHOOK_TIMEOUT_MS = 10_000;

export interface SendDeps {
  /**
   * The run's AWS target (profile, credentials, timeouts, an explicit endpoint in tests). An SNS topic is
   * published to in its own region (the one in its ARN), which is what AWS requires.
   */
  target: AwsTarget;
  /** Per-request timeout of a webhook (default 10 s). */
  webhookTimeoutMs?: number;
  /** Where the stdout target writes (default process.stdout). Under `-o json`, pass stderr's writer. */
  write?: (text: string) => void;
  /** Injected for tests; default the global fetch. */
  fetch?: typeof fetch;
  /** Injected for tests; default @aws-sdk/client-sns, loaded on first use. */
  snsClient?: (region: string) => Promise<Pick<SNSClient, "send" | "destroy">>;
}

/** Alert `index` could not be delivered: the message and whether to stop sending to this target. */
class DeliveryError extends Error {}

/** A webhook's name on screen: its origin only, since webhook paths and queries often hold a secret. */
export function webhookLabel(url: string): string {
  try {
    const u = new URL(url);
    const hidden = u.pathname !== "/" || u.search !== "" ? "/…" : "";
    return `webhook ${u.protocol}//${u.host}${hidden}`;
  } catch {
    return "webhook (invalid URL)";
  }
}

export function targetLabel(t: AlertTarget): string {
  switch (t.type) {
    case "sns":
      return `SNS topic ${t.topic_arn}`;
    case "webhook":
      return t.format === "slack" ? `Slack ${webhookLabel(t.url)}` : webhookLabel(t.url);
    case "file":
      return `file ${t.path}`;
    case "stdout":
      return "stdout";
  }
}

/** The region of an SNS topic ARN (arn:PARTITION:sns:REGION:ACCOUNT:NAME). */
export function topicRegion(arn: string): string | undefined {
  const parts = arn.split(":");
  return parts.length >= 6 && parts[2] === "sns" && /^[a-z0-9-]+$/.test(parts[3] ?? "")
    ? parts[3]
    : undefined;
}

function errName(err: unknown): string {
  return typeof err === "object" && err !== null && "name" in err ? String(err.name) : "Error";
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The socket error code (ECONNREFUSED, ENOTFOUND, …) of a fetch or SDK failure, looking through `cause`. */
function socketCode(err: unknown): string | undefined {
  for (let e: unknown = err, i = 0; e && i < 4; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z_]+$/.test(code)) return code;
    const inner = (e as { errors?: unknown }).errors;
    if (Array.isArray(inner) && inner.length > 0) e = inner[0];
    else e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeSnsError(err: unknown, arn: string, region: string, target: AwsTarget): string {
  const name = errName(err);
  const message = errMessage(err);
  if (name === "NotFoundException") {
    return `SNS topic ${arn} does not exist (looked in ${region}). Create it, or fix topic_arn in upg.config.yaml.`;
  }
  if (name === "InvalidParameterException") {
    return (
      `SNS refused topic ${arn} (${message}). Check topic_arn in upg.config.yaml: ` +
      `a topic is published to in its own region (here ${region}).`
    );
  }
  if (name === "AuthorizationErrorException" || name === "AccessDeniedException" || name === "AccessDenied") {
    return `Not allowed to publish to ${arn}: ${message} Grant sns:Publish on the topic (see \`upg iam-policy\`).`;
  }
  if (isTimeout(err)) {
    return `SNS in ${region} did not answer within ${formatSeconds(timeoutsOf(target).requestMs)} s; the alert was not sent.`;
  }
  const code = socketCode(err);
  if (code) return `SNS in ${region} could not be reached (${code}); the alert was not sent.`;
  return `SNS Publish to ${arn} failed: ${name}: ${message}`;
}

async function defaultSnsClient(target: AwsTarget, region: string) {
  const { SNSClient } = await import("@aws-sdk/client-sns");
  return limitTimeoutRetries(new SNSClient(sdkClientConfig({ ...target, region })));
}

async function sendSns(
  t: Extract<AlertTarget, { type: "sns" }>,
  alerts: readonly Alert[],
  deps: SendDeps,
  delivered: number[],
): Promise<void> {
  const region = topicRegion(t.topic_arn) ?? deps.target.region;
  const client = await (deps.snsClient ?? ((r) => defaultSnsClient(deps.target, r)))(region);
  try {
    const { PublishCommand } = await import("@aws-sdk/client-sns");
    for (const [i, alert] of alerts.entries()) {
      try {
        await client.send(new PublishCommand({ TopicArn: t.topic_arn, ...snsMessage(alert) }));
      } catch (err) {
        throw new DeliveryError(describeSnsError(err, t.topic_arn, region, deps.target));
      }
      delivered.push(i);
    }
  } finally {
    client.destroy();
  }
}

async function postJson(url: string, body: unknown, deps: SendDeps): Promise<void> {
  const label = webhookLabel(url);
  const timeoutMs = deps.webhookTimeoutMs ?? DEFAULT_WEBHOOK_TIMEOUT_MS;
  let res: Response;
  try {
    res = await (deps.fetch ?? fetch)(url, {
      method: "POST",
      headers: { "content-type": "application/json", "user-agent": "upg-alerts" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(timeoutMs),
      redirect: "error",
    });
  } catch (err) {
    const name = errName(err);
    if (name === "TimeoutError" || name === "AbortError") {
      throw new DeliveryError(
        `${label} did not answer within ${timeoutMs / 1000} s; the alert was not sent.`,
      );
    }
    const code = socketCode(err);
    throw new DeliveryError(
      `${label} could not be reached${code ? ` (${code})` : `: ${errMessage(err)}`}; the alert was not sent.`,
    );
  }
  let text = "";
  try {
    text = await res.text();
  } catch {
    // The status says enough; a body cut off (or timed out) after it does not change the outcome.
  }
  if (!res.ok) {
    const detail = text.trim().replace(/\s+/g, " ").slice(0, 200);
    throw new DeliveryError(
      `${label} answered HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}` +
        `${detail ? `: ${detail}` : ""}; the alert was not sent.`,
    );
  }
}

async function deliver(
  target: AlertTarget,
  alerts: readonly Alert[],
  deps: SendDeps,
  delivered: number[],
): Promise<void> {
  switch (target.type) {
    case "sns":
      return sendSns(target, alerts, deps, delivered);
    case "webhook":
      for (const [i, a] of alerts.entries()) {
        await postJson(target.url, target.format === "slack" ? slackPayload(a) : webhookPayload(a), deps);
        delivered.push(i);
      }
      return;
    case "file":
      try {
        await appendFile(target.path, alerts.map(alertJsonLine).join(""), "utf8");
      } catch (err) {
        const code = socketCode(err);
        throw new DeliveryError(
          `Could not append alerts to ${target.path}${code ? ` (${code})` : ""}: ${errMessage(err)}`,
        );
      }
      delivered.push(...alerts.keys());
      return;
    case "stdout": {
      const write = deps.write ?? ((s: string) => process.stdout.write(s));
      for (const [i, a] of alerts.entries()) {
        write(`${alertTitle(a)}\n${alertText(a)}\n`);
        delivered.push(i);
      }
      return;
    }
  }
}

/**
 * Send every alert to every target: targets in parallel, alerts in order within a target; a target stops at
 * its first failure (the rest would most likely fail the same way, each costing a timeout). One result per
 * target, in the order of `targets`. Never throws.
 */
export async function sendAlerts(
  alerts: readonly Alert[],
  targets: readonly AlertTarget[],
  deps: SendDeps,
): Promise<DeliveryResult[]> {
  if (alerts.length === 0) {
    return targets.map((target) => ({ target, label: targetLabel(target), ok: true, delivered: [] }));
  }
  return Promise.all(
    targets.map(async (target): Promise<DeliveryResult> => {
      const label = targetLabel(target);
      const delivered: number[] = [];
      try {
        await deliver(target, alerts, deps, delivered);
        return { target, label, ok: true, delivered };
      } catch (err) {
        const reason =
          err instanceof DeliveryError ? err.message : `${label}: ${errName(err)}: ${errMessage(err)}`;
        const unsent = alerts.length - delivered.length;
        const tail = delivered.length > 0 ? ` (${unsent} of ${alerts.length} alerts not sent)` : "";
        return { target, label, ok: false, error: `${reason}${tail}`, delivered };
      }
    }),
  );
}

/** One line per failed target, for the CLI to print after the report ("" when all succeeded). */
export function describeDeliveryFailures(results: readonly DeliveryResult[]): string {
  return results
    .filter((r) => !r.ok)
    .map((r) => `Alert delivery failed: ${r.label}: ${r.error ?? "unknown error"}\n`)
    .join("");
}
