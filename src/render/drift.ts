// Views of a drift report: human (grouped by severity, one line per violation that says what to do), JSON,
// markdown (PR comments, GitHub step summaries), SARIF 2.1.0 (code scanning), GitHub annotations. Pure.

import type { DriftReport, DriftViolation } from "../model/drift.js";
import { SEVERITY_ORDER, type Severity, type Violation, type ViolationType } from "../model/plan.js";
import { PLAIN, plural, type Style } from "./style.js";

const WHAT: Record<ViolationType, string> = {
  rate_limit_changed: "rate limit changed outside upg",
  burst_limit_changed: "burst limit changed outside upg",
  quota_limit_changed: "quota limit changed outside upg",
  quota_period_changed: "quota period changed outside upg",
  quota_offset_changed: "quota offset changed outside upg",
  method_throttle_changed: "a method throttle changed outside upg",
  name_changed: "name changed outside upg",
  description_changed: "description changed outside upg",
  tags_changed: "tags changed outside upg",
  stage_added: "a stage was added outside upg",
  stage_removed: "a stage was removed outside upg",
  stage_missing: "a recorded stage no longer exists",
  stage_shared_with_unmanaged_plan: "a plan upg does not manage now covers this managed stage",
  key_added: "an API key was added outside upg",
  key_removed: "an API key was removed outside upg",
  key_joined_deprecated_plan: "an API key joined a Deprecated plan",
  plan_deleted: "the plan was deleted outside upg",
  archived_plan_present: "an Archived plan is back in API Gateway",
  unmanaged_plan_found: "a usage plan upg does not manage",
};

/** What to do about one violation, in one line. */
export function adviceFor(v: Violation): string {
  const where = (v as DriftViolation).declared_at;
  const file = where ? ` in ${where.file}:${where.line}` : " in the plan file";
  switch (v.violation_type) {
    case "plan_deleted":
      return "`upg apply` (or `upg drift --fix`) recreates it with its stages and keys.";
    case "unmanaged_plan_found":
      return "upg never touches it; bring it under upg with `upg import`, or leave it.";
    case "archived_plan_present":
      return "`upg apply` removes it again; or set lifecycle_state: Active to keep it.";
    case "stage_missing":
      return "redeploy the stage, or remove it from the plan file; `upg apply` re-attaches a recreated API's stage.";
    case "stage_shared_with_unmanaged_plan":
      return "its keys reach this stage outside upg's control: remove the stage from that plan, or bring the plan under upg.";
    case "key_joined_deprecated_plan":
      return "`upg apply` detaches it (no new key may join a Deprecated plan); move the customer to the successor.";
    case "key_added":
    case "key_removed":
      return `\`upg apply\` restores the declared keys; or change keys:${file}.`;
    default:
      return `\`upg apply\` restores ${JSON.stringify(v.should_be)}; or declare ${JSON.stringify(v.actually_is)}${file}.`;
  }
}

function planLabel(v: Violation): string {
  const id = v.plan_id ?? v.plan_name ?? "?";
  return v.api_gateway_id ? `${id} (${v.api_gateway_id})` : id;
}

function detail(v: Violation): string {
  const subject = v.subject ? ` ${v.subject}` : "";
  switch (v.violation_type) {
    case "unmanaged_plan_found":
      return `${v.plan_name ?? ""}: ${String(v.actually_is)}`;
    case "stage_shared_with_unmanaged_plan":
      return `${v.subject} is also covered by ${String(v.actually_is)}`;
    case "stage_missing":
      return typeof v.actually_is === "string" && v.actually_is !== "missing"
        ? `${v.subject}: ${v.actually_is}`
        : `${v.subject} does not exist`;
    case "plan_deleted":
      return `${v.api_gateway_id ?? "the plan"} is gone from API Gateway`;
    case "key_added":
      return `key ${v.subject} is attached but not recorded`;
    case "key_removed":
    case "key_joined_deprecated_plan":
      return `key ${v.subject}`;
    default:
      break;
  }
  return `${subject.trim() ? `${subject.trim()}: ` : ""}should be ${JSON.stringify(v.should_be)}, is ${JSON.stringify(v.actually_is)}`;
}

function colour(style: Style, s: Severity): (t: string) => string {
  if (s === "CRITICAL" || s === "HIGH") return style.red;
  if (s === "MEDIUM") return style.yellow;
  return style.dim;
}

export function renderDriftHuman(report: DriftReport, style: Style = PLAIN): string {
  const out: string[] = [];
  if (report.violations.length === 0 && report.not_checked.length === 0) {
    out.push(style.green(`No drift in ${report.region}: API Gateway matches what upg last applied.`));
  }
  for (const sev of [...SEVERITY_ORDER].reverse()) {
    const vs = report.violations.filter((v) => v.severity === sev);
    if (vs.length === 0) continue;
    out.push(style.bold(colour(style, sev)(`${sev} (${vs.length})`)));
    for (const v of vs) {
      out.push(`  ${planLabel(v)}: ${v.violation_type} — ${WHAT[v.violation_type]}. ${detail(v)}.`);
      out.push(style.dim(`      → ${adviceFor(v)}`));
    }
    out.push("");
  }
  if (report.pending.length > 0) {
    out.push(style.bold("Pending plan-file edits (not drift; `upg apply` makes them):"));
    for (const p of report.pending) out.push(`  ${p.action} ${p.plan_id}${p.reason ? ` — ${p.reason}` : ""}`);
    out.push("");
  }
  if (report.not_checked.length > 0) {
    out.push(style.bold(style.yellow("Not checked (this report is partial):")));
    for (const n of report.not_checked)
      out.push(`  ${n.what}${n.plan_id ? ` (${n.plan_id})` : ""}: ${n.reason}`);
    out.push("");
  }
  if (report.other_projects && report.other_projects.length > 0) {
    const owner = (p: string | null) => (p ? `project ${p}` : "no project");
    out.push(
      style.dim(
        `Owned by other projects (not checked here): ${report.other_projects
          .map((o) => `${o.plan_id ?? o.plan_name} (${o.api_gateway_id}, ${owner(o.project)})`)
          .join(", ")}.`,
      ),
    );
  }
  const s = report.summary;
  const parts = SEVERITY_ORDER.filter((x) => s.by_severity[x] > 0)
    .reverse()
    .map((x) => `${s.by_severity[x]} ${x}`);
  out.push(
    `Drift: ${plural(s.violations, "violation")}${parts.length > 0 ? ` (${parts.join(", ")})` : ""}, ${plural(s.pending, "pending edit")}, ${s.not_checked} not checked.`,
  );
  return `${out.join("\n")}\n`;
}

export function renderDriftJson(report: DriftReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function mdCell(v: unknown): string {
  return String(typeof v === "string" ? v : JSON.stringify(v))
    .replace(/\|/g, "\\|")
    .replace(/\n/g, " ");
}

export function renderDriftMarkdown(report: DriftReport): string {
  const out: string[] = [];
  const s = report.summary;
  const title =
    s.violations === 0 && s.not_checked === 0
      ? `### ✅ upg drift: no drift in ${report.region}`
      : `### ⚠️ upg drift: ${plural(s.violations, "violation")} in ${report.region}`;
  out.push(title, "");
  if (report.violations.length > 0) {
    out.push(
      "| severity | plan | violation | subject | should be | is | what to do |",
      "|---|---|---|---|---|---|---|",
    );
    for (const v of report.violations) {
      out.push(
        `| ${v.severity} | ${mdCell(planLabel(v))} | ${v.violation_type} | ${mdCell(v.subject ?? "")} | ${mdCell(v.should_be)} | ${mdCell(v.actually_is)} | ${mdCell(adviceFor(v))} |`,
      );
    }
    out.push("");
  }
  if (report.pending.length > 0) {
    out.push(
      `**Pending plan-file edits** (not drift): ${report.pending.map((p) => `\`${p.change_id}\``).join(", ")}`,
      "",
    );
  }
  if (report.not_checked.length > 0) {
    out.push("**Not checked** (the report is partial):", "");
    for (const n of report.not_checked) out.push(`- ${mdCell(n.what)}: ${mdCell(n.reason)}`);
    out.push("");
  }
  out.push(`_Checked ${report.generated_at}._`);
  return `${out.join("\n")}\n`;
}

const SARIF_LEVEL: Record<Severity, "error" | "warning" | "note"> = {
  CRITICAL: "error",
  HIGH: "error",
  MEDIUM: "warning",
  LOW: "note",
};

/**
 * SARIF 2.1.0: one run, one rule per violation type, one result per violation located at the plan-file line
 * that declares the drifted value (violations with no plan file — unmanaged plans — at `fallbackUri`).
 */
type Tagged = { account?: string | null; region?: string };

/** `account/region` (or the region) of a violation a fleet report tagged; undefined for a one-region report's. */
function targetOf(v: object): string | undefined {
  const t = v as Tagged;
  if (typeof t.region !== "string") return undefined;
  return t.account ? `${t.account}/${t.region}` : t.region;
}

export function renderDriftSarif(
  report: DriftReport,
  opts: { version: string; fallbackUri: string },
): string {
  const types = [...new Set(report.violations.map((v) => v.violation_type))].sort();
  const rules = types.map((t) => ({
    id: t,
    name: t
      .split("_")
      .map((w) => w[0]!.toUpperCase() + w.slice(1))
      .join(""),
    shortDescription: { text: WHAT[t] },
  }));
  const results = report.violations.map((v) => {
    const where = v.declared_at;
    // In a fleet's SARIF every violation carries its account-region: in the message, and in the fingerprint so
    // the same drift in two account-regions stays two alerts.
    const target = targetOf(v);
    return {
      ruleId: v.violation_type,
      ruleIndex: types.indexOf(v.violation_type),
      level: SARIF_LEVEL[v.severity],
      message: {
        text: `${target ? `[${target}] ` : ""}${planLabel(v)}: ${WHAT[v.violation_type]}. ${detail(v)}. ${adviceFor(v)}`,
      },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: where?.file ?? opts.fallbackUri },
            region: { startLine: where?.line ?? 1, startColumn: where?.col ?? 1 },
          },
        },
      ],
      partialFingerprints: {
        "upgViolation/v1": `${v.plan_id ?? v.api_gateway_id ?? ""}|${v.violation_type}|${v.subject ?? ""}${target ? `|${target}` : ""}`,
      },
      properties: {
        ...(target ? { account: (v as Tagged).account ?? null, region: (v as Tagged).region } : {}),
        severity: v.severity,
        auto_fixable: v.auto_fixable,
        should_be: v.should_be,
        actually_is: v.actually_is,
      },
    };
  });
  const doc = {
    $schema: "https://json.schemastore.org/sarif-2.1.0.json",
    version: "2.1.0",
    runs: [
      {
        tool: {
          driver: { name: "upg", version: opts.version, rules },
        },
        results,
      },
    ],
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Escape a GitHub workflow-command message. */
export function escapeData(s: string): string {
  return s.replace(/%/g, "%25").replace(/\r/g, "%0D").replace(/\n/g, "%0A");
}

/** Escape a GitHub workflow-command property (file, title). */
export function escapeProperty(s: string): string {
  return escapeData(s).replace(/:/g, "%3A").replace(/,/g, "%2C");
}

/** GitHub workflow commands: one `::error`/`::warning`/`::notice` per violation, at its plan-file line. */
export function renderDriftAnnotations(report: DriftReport): string {
  return report.violations
    .map((v) => {
      const kind = v.severity === "LOW" ? "notice" : v.severity === "MEDIUM" ? "warning" : "error";
      const where = v.declared_at
        ? `file=${escapeProperty(v.declared_at.file)},line=${v.declared_at.line},`
        : "";
      const title = escapeProperty(`upg drift ${v.severity}: ${v.violation_type}`);
      return `::${kind} ${where}title=${title}::${escapeData(`${planLabel(v)}: ${detail(v)}. ${adviceFor(v)}`)}\n`;
    })
    .join("");
}
