// The alerts section of upg.config.yaml: targets (a webhook may say `format: slack`) and the quiet period.
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_CONFIG, loadConfig } from "../../src/spec/config.js";
import { tmpTree } from "../helpers/tmp.js";

let cleanup: (() => void) | undefined;
afterEach(() => cleanup?.());

function load(yaml: string) {
  const t = tmpTree({ "upg.config.yaml": yaml });
  cleanup = t.cleanup;
  return loadConfig(t.path("upg.config.yaml"));
}

describe("alerts config", () => {
  it("defaults to no targets and a 24h quiet period", () => {
    expect(DEFAULT_CONFIG.alerts).toEqual({ targets: [], quiet_period_ms: 86_400_000 });
    expect(load("regions: [us-east-1]\n").config.alerts.quiet_period_ms).toBe(86_400_000);
  });

  it("reads targets, a slack webhook and the quiet period", () => {
    const { config, diagnostics } = load(
      "alerts:\n  quiet_period: 6h\n  targets:\n" +
        "    - { type: sns, topic_arn: 'arn:aws:sns:us-east-1:123456789012:upg-alerts' }\n" +
        "    - { type: webhook, url: 'https://hooks.slack.com/services/T/B/X', format: slack }\n" +
        "    - { type: webhook, url: 'https://example.com/upg' }\n" +
        "    - { type: file, path: alerts.jsonl }\n    - { type: stdout }\n",
    );
    expect(diagnostics).toEqual([]);
    expect(config.alerts.quiet_period_ms).toBe(6 * 3_600_000);
    expect(config.alerts.targets[1]).toEqual({
      type: "webhook",
      url: "https://hooks.slack.com/services/T/B/X",
      format: "slack",
    });
    expect(config.alerts.targets).toHaveLength(5);
  });

  it("refuses an unknown webhook format and an out-of-range or malformed quiet period, with hints", () => {
    const bad = load(
      "alerts:\n  quiet_period: 10s\n  targets:\n    - { type: webhook, url: 'https://x.example', format: teams }\n",
    );
    const byPath = Object.fromEntries(bad.diagnostics.map((d) => [d.path, d]));
    expect(Object.keys(byPath).sort()).toEqual(["alerts.quiet_period", "alerts.targets[0].format"]);
    expect(byPath["alerts.quiet_period"]?.message).toMatch(/out of range/);
    expect(byPath["alerts.targets[0].format"]?.hint).toMatch(/slack/);
    expect(byPath["alerts.quiet_period"]?.line).toBe(2);
    const malformed = load("alerts:\n  quiet_period: soon\n");
    expect(malformed.diagnostics[0]?.message).toMatch(/quiet_period must be a duration/);
    // A bad alerts section falls back to its defaults.
    expect(malformed.config.alerts.quiet_period_ms).toBe(86_400_000);
  });
});
