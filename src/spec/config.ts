// upg.config.yaml: region(s), table names, ownership tag, policy limits, alerts, auto-fix, pacing.

import { existsSync } from "node:fs";
import { DEFAULT_TIMEOUTS } from "../aws/client-config.js";
import type { UpgConfig } from "../model/spec.js";
import type { Diagnostic } from "./diagnostics.js";
import { durationMs } from "./duration.js";
import { type ConfigFileDoc, configFileSchema } from "./schema.js";
import { loadYamlFile } from "./yaml-source.js";
import { issuesToDiagnostics, withoutBadFields } from "./zod-issues.js";

export const DEFAULT_CONFIG_FILE = "upg.config.yaml";

export const DEFAULT_CONFIG: UpgConfig = {
  regions: ["us-east-1"],
  tables: { metadata: "usage-plans-metadata", audit: "usage-plans-audit" },
  ownership_tag_key: "upg:plan-id",
  policy: { max_rate_limit: 10000, require_quota: false },
  alerts: { targets: [], quiet_period_ms: 24 * 3_600_000 },
  auto_fix: { enabled: false, max_severity: "MEDIUM" },
  pacing: {
    requests_per_second: 10,
    burst: 40,
    update_usage_plan_interval_ms: 20000,
    concurrency: 4,
    headroom: 0.1,
  },
  lock: { ttl_seconds: 900 },
  apply: { concurrency: 8 },
  fleet: { concurrency: 8 },
  timeouts: { connect_ms: DEFAULT_TIMEOUTS.connectMs, request_ms: DEFAULT_TIMEOUTS.requestMs },
};

function durationOr(value: string | number | undefined, fallback: number): number {
  return value === undefined ? fallback : (durationMs(value) ?? fallback);
}

export function configFromDoc(doc: ConfigFileDoc, source?: string): UpgConfig {
  const d = DEFAULT_CONFIG;
  const regions = doc.regions ?? d.regions;
  return {
    regions,
    ...(doc.accounts
      ? {
          accounts: doc.accounts.map((a) => ({
            name: a.name,
            role_arn: a.role_arn,
            ...(a.external_id !== undefined ? { external_id: a.external_id } : {}),
            ...(a.session_name !== undefined ? { session_name: a.session_name } : {}),
            regions: a.regions ?? regions,
          })),
        }
      : {}),
    tables: {
      metadata: doc.tables?.metadata ?? d.tables.metadata,
      audit: doc.tables?.audit ?? d.tables.audit,
    },
    ownership_tag_key: doc.ownership_tag_key ?? d.ownership_tag_key,
    policy: {
      max_rate_limit: doc.policy?.max_rate_limit ?? d.policy.max_rate_limit,
      ...(doc.policy?.max_burst_limit !== undefined ? { max_burst_limit: doc.policy.max_burst_limit } : {}),
      ...(doc.policy?.max_quota_limit !== undefined ? { max_quota_limit: doc.policy.max_quota_limit } : {}),
      require_quota: doc.policy?.require_quota ?? d.policy.require_quota,
    },
    alerts: {
      targets: doc.alerts?.targets ?? [],
      quiet_period_ms: durationOr(doc.alerts?.quiet_period, d.alerts.quiet_period_ms),
    },
    auto_fix: {
      enabled: doc.auto_fix?.enabled ?? d.auto_fix.enabled,
      max_severity: doc.auto_fix?.max_severity ?? d.auto_fix.max_severity,
      ...(doc.auto_fix?.violation_types ? { violation_types: doc.auto_fix.violation_types } : {}),
    },
    pacing: { ...d.pacing, ...doc.pacing },
    lock: { ttl_seconds: doc.lock?.ttl_seconds ?? d.lock.ttl_seconds },
    apply: { concurrency: doc.apply?.concurrency ?? d.apply.concurrency },
    fleet: { concurrency: doc.fleet?.concurrency ?? d.fleet.concurrency },
    timeouts: {
      connect_ms: durationOr(doc.timeouts?.connect, d.timeouts.connect_ms),
      request_ms: durationOr(doc.timeouts?.request, d.timeouts.request_ms),
    },
    ...(doc.project !== undefined ? { project: doc.project } : {}),
    ...(source ? { source } : {}),
  };
}

export interface LoadedConfig {
  config: UpgConfig;
  diagnostics: Diagnostic[];
}

/**
 * Load the project file. A missing default file means defaults; a missing file the user named is an
 * error. Problems come back as diagnostics, and the defaults are used in their place.
 */
export function loadConfig(file?: string): LoadedConfig {
  const path = file ?? DEFAULT_CONFIG_FILE;
  if (!existsSync(path)) {
    if (file === undefined) return { config: DEFAULT_CONFIG, diagnostics: [] };
    return {
      config: DEFAULT_CONFIG,
      diagnostics: [
        {
          severity: "error",
          code: "unreadable",
          file: path,
          line: 1,
          col: 1,
          path: "",
          message: "Config file not found.",
          hint: `Create it, or omit --config to use ${DEFAULT_CONFIG_FILE} or the defaults.`,
        },
      ],
    };
  }
  const y = loadYamlFile(path);
  const diagnostics = [...y.diagnostics];
  const docs = y.docs.filter((d) => d.value !== null && d.value !== undefined);
  const doc = docs[0];
  if (!doc) return { config: { ...DEFAULT_CONFIG, source: path }, diagnostics };
  if (docs.length > 1) {
    const pos = docs[1]!.locate([]);
    diagnostics.push({
      severity: "error",
      code: "multiple_documents",
      file: path,
      ...pos,
      path: "",
      message: "The config file must hold one YAML document.",
      hint: "Merge the documents into one and remove the `---` between them.",
    });
  }
  const parsed = configFileSchema.safeParse(doc.value);
  if (!parsed.success) {
    diagnostics.push(
      ...issuesToDiagnostics(parsed.error.issues, { file: path, doc, schema: configFileSchema }),
    );
    // Keep the sections that are valid (e.g. a policy), so plans are not checked against defaults the
    // user already changed; the sections with errors fall back to their defaults.
    const rest = configFileSchema.safeParse(withoutBadFields(doc.value, parsed.error.issues, false));
    return {
      config: rest.success ? configFromDoc(rest.data, path) : { ...DEFAULT_CONFIG, source: path },
      diagnostics,
    };
  }
  return { config: configFromDoc(parsed.data, path), diagnostics };
}
