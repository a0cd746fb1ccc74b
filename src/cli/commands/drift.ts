import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerDriftCommand(program: Command, ctx: CliContext): void {
  program
    .command("drift")
    .description(
      "Compare live API Gateway with what upg last applied (the master records) and report every violation.",
    )
    .option("-p, --plans <path>", "plan files or directories (repeatable; default: plans/)", collect)
    .option("-t, --target <plan_id>", "only this plan (repeatable)", collect)
    .option("-o, --output <format>", "human, json (a versioned report), markdown or sarif", "human")
    .option("--fail-on <severity>", "exit 2 for drift at or above LOW, MEDIUM, HIGH or CRITICAL", "LOW")
    .option("--fail-on-pending", "also exit 2 when plan-file edits are not applied yet")
    .option(
      "--fix",
      "repair what the auto_fix policy in upg.config.yaml allows (through apply: lock, journal, audit)",
    )
    .option("--auto-approve", "with --fix: do not ask for confirmation")
    .option(
      "--notify",
      "send alerts to alerts.targets: once when drift appears, again when resolved or after the quiet period",
    )
    .addHelpText(
      "after",
      `
drift only reads: it writes nothing to API Gateway. Plan-file edits that are not applied yet are listed apart
as pending (they are not drift). Anything it could not read (a denied GetTags, a failed stage listing) is
listed under "not checked": a partial read is never reported as clean.

In GitHub Actions it also appends a markdown summary to $GITHUB_STEP_SUMMARY and, when GITHUB_ACTIONS=true,
annotates each violation at the plan-file line that declares the drifted value.

Examples:
  $ upg drift
  $ upg drift --fail-on HIGH                 exit 2 only for HIGH or CRITICAL drift
  $ upg drift -o sarif > drift.sarif         for GitHub code scanning
  $ upg drift -o json | jq '.summary'
  $ upg drift --fix --auto-approve           repair what auto_fix allows; report the rest
  $ upg drift --notify                       alert once per incident (SNS, webhook, file, stdout)

Over several account-regions (\`regions:\` and \`accounts:\` in upg.config.yaml; --account NAME and --region R
narrow), each is read side by side and one report names the account-region on every section and line; -o json
is one upg-fleet-report. Merge the -o json of shards run elsewhere with \`upg report merge\`.

Exit codes: 0 no drift, 1 error or a partial read, 2 drift at or above --fail-on (or pending edits with
--fail-on-pending). Over several account-regions: 1 if any failed, else 2 if any has drift, else 0.`,
    )
    .action(
      async (
        opts: {
          plans?: string[];
          target?: string[];
          output: string;
          failOn: string;
          failOnPending?: boolean;
          fix?: boolean;
          autoApprove?: boolean;
          notify?: boolean;
        },
        cmd: Command,
      ) => {
        const { runDriftCommand } = await import("../drift-command.js");
        ctx.exitCode = await runDriftCommand(
          {
            global: globalOptions(cmd),
            plans: opts.plans ?? [],
            targets: opts.target ?? [],
            output: opts.output,
            failOn: opts.failOn,
            failOnPending: opts.failOnPending === true,
            fix: opts.fix === true,
            autoApprove: opts.autoApprove === true,
            notify: opts.notify === true,
          },
          ctx.io,
        );
      },
    );
}
