import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

export function registerReportCommands(program: Command, ctx: CliContext): void {
  const report = program
    .command("report")
    .description("Work with the -o json reports of runs (e.g. shards of a fleet run on many CI runners).");
  report
    .command("merge")
    .argument("<files...>", "the -o json output of `upg plan`, `upg drift` or `upg status` shards")
    .description("Merge the JSON reports of shards (one account/region each) into one report.")
    .option("-o, --output <format>", "human, json (an upg-fleet-report) or markdown", "human")
    .option(
      "--fail-on <severity>",
      "drift reports: exit 2 for drift at or above this severity (as `upg drift`)",
      "LOW",
    )
    .option(
      "--fail-on-pending",
      "drift reports: also exit 2 for plan-file edits not applied yet (as `upg drift`)",
    )
    .option(
      "--detailed-exitcode",
      "plan documents: exit 2 when a shard has changes (as `upg plan --detailed-exitcode`)",
    )
    .addHelpText(
      "after",
      `
Each shard is one run with --account NAME and/or --region R and -o json. Fleet reports, drift reports and
plan documents can be merged (one command's reports per merge); an account-region in two shards is an error.
A fleet report keeps its targets' exit codes; a one-target report's exit code follows the options here, so
give merge the same --fail-on / --fail-on-pending / --detailed-exitcode as the shards had.

Examples:
  $ upg drift --account payments-prod --region eu-west-1 -o json > drift-payments-prod-eu-west-1.json
  $ upg report merge drift-*.json
  $ upg report merge -o markdown shards/*.json >> "$GITHUB_STEP_SUMMARY"

Exit codes: 1 if any shard failed (or a file cannot be merged), else 2 if any has drift or changes, else 0.`,
    )
    .action(
      async (
        files: string[],
        opts: { output: string; failOn: string; failOnPending?: boolean; detailedExitcode?: boolean },
        cmd: Command,
      ) => {
        const { runReportMerge } = await import("../report-command.js");
        ctx.exitCode = runReportMerge(
          {
            files,
            output: opts.output,
            failOn: opts.failOn,
            failOnPending: opts.failOnPending === true,
            detailedExitcode: opts.detailedExitcode === true,
            global: globalOptions(cmd),
          },
          ctx.io,
        );
      },
    );
}
