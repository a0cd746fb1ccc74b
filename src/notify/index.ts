// Alerts for drift, lifecycle changes and recoveries: pure planning and message builders, and the senders.
//
//   const open = await store.listOpenViolations();
//   const { alerts, updates } = planAlerts({ report, open, now: new Date(), quietPeriodMs: config.alerts.quiet_period_ms });
//   const results = await sendAlerts(alerts, config.alerts.targets, { target });
//   await store.saveViolationState(updatesAfterDelivery(updates, results));
//   // print the report, then describeDeliveryFailures(results); exit 1 when any result is not ok

export {
  alertJsonLine,
  alertText,
  alertTitle,
  describeViolation,
  type LifecycleAlertOptions,
  lifecycleAlert,
  MAX_SUBJECT_CHARS,
  type RecoveryAlertOptions,
  recoveryAlert,
  type SnsMessageParts,
  severityCounts,
  slackPayload,
  snsMessage,
  type WebhookPayload,
  webhookPayload,
} from "./messages.js";
export {
  alertDelivered,
  maxSeverity,
  planAlerts,
  updatesAfterDelivery,
  violationKey,
} from "./plan-alerts.js";
export {
  DEFAULT_WEBHOOK_TIMEOUT_MS,
  describeDeliveryFailures,
  type SendDeps,
  sendAlerts,
  targetLabel,
  topicRegion,
  webhookLabel,
} from "./send.js";
export type * from "./types.js";
export { ALERT_FORMAT_VERSION } from "./types.js";
