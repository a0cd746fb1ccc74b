import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

interface UsageCliOptions {
  plan?: string;
  key?: string;
  from?: string;
  to?: string;
  top?: string;
  by?: string;
  output: string;
}

// `usage extend KEY` is read as arguments of `usage` rather than as a subcommand, so that `--plan` and `-o`
// after it reach it (commander would give them to `usage` itself).
export function registerUsageCommand(program: Command, ctx: CliContext): void {
  program
    .command("usage")
    .argument("[extend]", "`extend`: grant a key extra requests for the current quota period (UpdateUsage)")
    .argument("[key]", "with extend: the key (id or name)")
    .description(
      "Requests per key per day (GetUsage): totals, quota, used and remaining, a sparkline per key; `usage extend` grants more.",
    )
    .option("--plan <plan_id>", "only this plan (with extend: the plan whose quota is extended)")
    .option("--key <key>", "only this key (id or name)")
    .option("--from <date>", "first day, YYYY-MM-DD (default: 6 days before --to)")
    .option("--to <date>", "last day, YYYY-MM-DD (default: today, UTC)")
    .option("--top <n>", "only the N heaviest keys")
    .option("--by <n>", "with extend: how many requests to add to what remains")
    .option("-o, --output <format>", "human, json or csv (one line per key per day)", "human")
    .addHelpText(
      "after",
      `
Days are UTC and both ends are inclusive; a range is at most 366 days. "used" is how much of the current
quota period the key has used as of the last day; "remaining" is what AWS reports left.

usage extend KEY --plan ID --by N adds N requests to what the key has left in the plan's current quota
period (UpdateUsage), under the apply lock, audited as usage-extend.

Examples:
  $ upg usage
  $ upg usage --plan premium-weather --from 2026-11-01 --to 2026-11-30
  $ upg usage --top 5 -o json
  $ upg usage extend acme-prod --plan premium-weather --by 5000`,
    )
    .action(
      async (verb: string | undefined, key: string | undefined, opts: UsageCliOptions, cmd: Command) => {
        const [{ runUsage, runUsageExtend }, { UserError }] = await Promise.all([
          import("../usage-command.js"),
          import("../../errors.js"),
        ]);
        const g = globalOptions(cmd);
        if (verb === undefined) {
          if (opts.by !== undefined)
            throw new UserError("--by belongs to `upg usage extend KEY --plan ID --by N`.");
          ctx.exitCode = await runUsage(g, opts, ctx.io);
          return;
        }
        if (verb !== "extend") {
          throw new UserError(`Unknown usage action "${verb}".`, {
            hint: "upg usage [extend KEY --plan ID --by N]",
          });
        }
        if (!key || !opts.plan || opts.by === undefined) {
          throw new UserError("usage extend needs a key, --plan and --by.", {
            hint: "upg usage extend acme-prod --plan premium-weather --by 5000",
          });
        }
        ctx.exitCode = await runUsageExtend(
          g,
          key,
          { plan: opts.plan, by: opts.by, output: opts.output },
          ctx.io,
        );
      },
    );
}
