import type { Command } from "commander";
import { UserError } from "../../errors.js";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

function positiveInt(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    throw new UserError(`Invalid --batch "${v}".`, { hint: "Use a whole number of keys, 1 or more." });
  }
  return n;
}

export function registerMigrateCommand(program: Command, ctx: CliContext): void {
  program
    .command("migrate")
    .argument("<from>", "the plan whose API keys move (usually a Deprecated plan)")
    .description(
      "Move API keys from one plan to another, keeping each key and its value. Dry run unless --confirm.",
    )
    .option("--to <plan_id>", "the plan the keys join (default: FROM's successor)")
    .option("-k, --key <name_or_id>", "move only this key (repeatable)", collect)
    .option("--batch <n>", "move at most N keys this run; run again for the rest", positiveInt)
    .option("--confirm", "move the keys (without it: only show what would happen)")
    .option("-p, --plans <path>", "plan files or directories (repeatable; default: plans/)", collect)
    .option("-o, --output <format>", "human or json", "human")
    .addHelpText(
      "after",
      `
Without --confirm nothing is written: a table shows each key and what would happen. With --confirm the keys
move through the apply engine (lock, journal, one audit row per detach/attach, Ctrl-C stops between keys; a
stopped run is finished by the next). When the plans share a stage, a key leaves FROM before it joins TO
(AWS allows a key in one plan per stage); if it cannot join TO it is attached to FROM again, so no customer
is left without a plan. Plan files that declare keys: are edited too (the key leaves FROM's list and joins
TO's), so the next \`upg plan\` is clean. TO must be Active and cover every stage of FROM.

Examples:
  $ upg migrate free-weather                            dry run, to free-weather's successor
  $ upg migrate free-weather --to basic-weather --confirm
  $ upg migrate free-weather --key initech-batch --confirm
  $ upg migrate free-weather --batch 50 --confirm       50 keys now; run again for the next 50

Exit codes: 0 done (or dry run), 1 error or a key that could not move (the output says which).`,
    )
    .action(
      async (
        from: string,
        opts: {
          to?: string;
          key?: string[];
          batch?: number;
          confirm?: boolean;
          plans?: string[];
          output: string;
        },
        cmd: Command,
      ) => {
        const { runMigrateCommand } = await import("../migrate-command.js");
        ctx.exitCode = await runMigrateCommand(
          {
            global: globalOptions(cmd),
            from,
            ...(opts.to !== undefined ? { to: opts.to } : {}),
            keys: opts.key ?? [],
            ...(opts.batch !== undefined ? { batch: opts.batch } : {}),
            confirm: opts.confirm === true,
            plans: opts.plans ?? [],
            output: opts.output,
          },
          ctx.io,
        );
      },
    );
}
