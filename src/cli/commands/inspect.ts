import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

export function registerInspectCommands(program: Command, ctx: CliContext): void {
  program
    .command("init")
    .description("Create the DynamoDB tables for master records and the audit log (idempotent).")
    .option("-o, --output <format>", "human or json", "human")
    .addHelpText(
      "after",
      `
Creates usage-plans-metadata and usage-plans-audit (names from upg.config.yaml) with on-demand billing,
and asks for point-in-time recovery, encryption and deletion protection; it reports what the backend refused.

Examples:
  $ upg init
  $ upg --profile prod --region eu-west-1 init`,
    )
    .action(async (opts: { output: string }, cmd: Command) => {
      const { runInitCommand } = await import("../inspect.js");
      ctx.exitCode = await runInitCommand(globalOptions(cmd), opts.output, ctx.io);
    });

  program
    .command("status")
    .argument("[plan_id...]", "only these plans (reads only them from API Gateway)")
    .description(
      "A table of every plan: tier, lifecycle, API Gateway id, stages, keys, and whether it is in sync.",
    )
    .option(
      "-p, --plans <path>",
      "plan files or directories (repeatable; default: plans/)",
      (v: string, p: string[] = []) => [...p, v],
    )
    .option("-o, --output <format>", "human or json", "human")
    .addHelpText(
      "after",
      "\nExamples:\n  $ upg status\n  $ upg status premium-weather basic\n  $ upg status -o json | jq '.[] | select(.state != \"in sync\")'",
    )
    .action(async (planIds: string[], opts: { plans?: string[]; output: string }, cmd: Command) => {
      const { runStatusCommand } = await import("../inspect.js");
      ctx.exitCode = await runStatusCommand(globalOptions(cmd), opts.plans, opts.output, ctx.io, planIds);
    });

  program
    .command("show")
    .argument("<plan_id>", "the plan to show")
    .description("One plan in detail: its master record, what API Gateway has now, and its lineage of ids.")
    .option("-o, --output <format>", "human or json", "human")
    .addHelpText("after", "\nExamples:\n  $ upg show premium-weather\n  $ upg show premium-weather -o json")
    .action(async (planId: string, opts: { output: string }, cmd: Command) => {
      const { runShowCommand } = await import("../inspect.js");
      ctx.exitCode = await runShowCommand(globalOptions(cmd), planId, opts.output, ctx.io);
    });

  program
    .command("unlock")
    .argument("<lock_id>", 'the lock id from the "holds the apply lock (lock id …)" message')
    .description("Release the apply lock left by a crashed run, by its lock id (recorded in the audit log).")
    .requiredOption("--reason <text>", "why the lock is being released")
    .addHelpText(
      "after",
      `
Like \`terraform force-unlock\`: the lock id must be the current lock's, so a lock another run took
meanwhile is never released by mistake. A wrong id releases nothing and names the current holder.

Examples:
  $ upg apply
  Error: Another upg run holds the apply lock (lock id 3f2a9c1e): ci-job-17 since 2026-03-01T12:00:00.000Z …
  $ upg unlock 3f2a9c1e --reason 'CI job 4711 was killed mid-apply'`,
    )
    .action(async (lockId: string, opts: { reason: string }, cmd: Command) => {
      const { runUnlockCommand } = await import("../inspect.js");
      ctx.exitCode = await runUnlockCommand(globalOptions(cmd), lockId, opts.reason, ctx.io);
    });
}
