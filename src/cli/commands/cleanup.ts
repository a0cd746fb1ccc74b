import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerCleanupCommand(program: Command, ctx: CliContext): void {
  // The global --region is one value; cleanup takes it repeatedly, so every occurrence is collected here.
  const regions: string[] = [];
  program.on("option:region", (v: string) => regions.push(v));
  program
    .command("cleanup")
    .description(
      "Remove usage plans, stage attachments and master records that are no longer wanted. Dry run unless --confirm.",
    )
    .option("--orphans", "unmanaged plans with no stages and no keys")
    .option("--name-prefix <prefix>", "plans whose name starts with PREFIX (repeatable)", collect)
    .option("--tag <k=v>", "plans carrying this tag (repeatable: every tag must match)", collect)
    .option("--id <id>", "the plan with this API Gateway id (repeatable)", collect)
    .option(
      "--stage <api:stage>",
      "detach this stage (API id or REST API name) from every plan, keep the plans",
      collect,
    )
    .option("--archived", "what Archived plans left behind: live plans still in API Gateway")
    .option("--records", "master records of plans gone for good (the audit log keeps their history)")
    .option("--allow-key-loss", "allow removals that take API keys' access away")
    .option("--confirm", "remove it (without it: only show what would be removed)")
    .option("--auto-approve", "with --confirm: do not ask (needed when stdin is not a terminal)")
    .option("-p, --plans <path>", "plan files or directories (repeatable; default: plans/)", collect)
    .option("-o, --output <format>", "human or json", "human")
    .addHelpText(
      "after",
      `
Scopes (at least one; they combine): --orphans, --archived, --records, --stage, and plans chosen by
--name-prefix / --tag / --id (the only way a plan upg does not manage, with stages or keys, is touched; with
--orphans, --archived or --stage they narrow the scope instead). --region is repeatable: each region in turn.

Without --confirm nothing is written: a table shows each plan, stage and record, the keys that would lose
access (names and counts, never values), and what is kept and why. Never removed: plans of another project,
plans with deletion_protection: true, and managed plans a plan file still declares (remove the file and
apply, or \`upg lifecycle archive\`). A removal that takes keys' access away needs --allow-key-loss.
With --confirm the removals run like apply: under the lock, paced, one audit row each (trigger cleanup);
Ctrl-C stops before the next removal, and running the same cleanup again finishes what is left.

Examples:
  $ upg cleanup --orphans                                  what would go
  $ upg cleanup --orphans --confirm --auto-approve
  $ upg cleanup --name-prefix test- --allow-key-loss --confirm
  $ upg cleanup --stage weather-api:dev --confirm           stage-only removal, plans stay
  $ upg cleanup --archived --records --confirm
  $ upg cleanup --orphans --region us-east-1 --region eu-west-1

Exit codes: 0 done (or dry run), 1 error, a refused removal or one that failed (the output says which),
            130/143 stopped by Ctrl-C/SIGTERM.`,
    )
    .action(
      async (
        opts: {
          orphans?: boolean;
          namePrefix?: string[];
          tag?: string[];
          id?: string[];
          stage?: string[];
          archived?: boolean;
          records?: boolean;
          allowKeyLoss?: boolean;
          confirm?: boolean;
          autoApprove?: boolean;
          plans?: string[];
          output: string;
        },
        cmd: Command,
      ) => {
        const { runCleanupCommand } = await import("../cleanup-command.js");
        ctx.exitCode = await runCleanupCommand(
          {
            global: globalOptions(cmd),
            regions: [...regions],
            orphans: opts.orphans === true,
            archived: opts.archived === true,
            records: opts.records === true,
            namePrefixes: opts.namePrefix ?? [],
            tags: opts.tag ?? [],
            ids: opts.id ?? [],
            stages: opts.stage ?? [],
            allowKeyLoss: opts.allowKeyLoss === true,
            confirm: opts.confirm === true,
            autoApprove: opts.autoApprove === true,
            plans: opts.plans ?? [],
            output: opts.output,
          },
          ctx.io,
        );
      },
    );
}
