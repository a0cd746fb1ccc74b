import { type Command, InvalidArgumentError } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

function parseLimit(v: string): number {
  const n = Number(v);
  if (!/^\d+$/.test(v.trim()) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("expected a whole number of rows (0 = all)");
  return n;
}

export function registerAuditCommands(program: Command, ctx: CliContext): void {
  const audit = program
    .command("audit")
    .description("Check the hash-chained audit log in DynamoDB.")
    .addHelpText("after", "\nExamples:\n  $ upg audit verify\n  $ upg audit verify -o json");

  audit
    .command("verify")
    .description("Check the whole audit chain and its head; exit 1 naming the first bad row.")
    .option("-o, --output <format>", "human or json", "human")
    .addHelpText(
      "after",
      `
Finds an edited row (its hash no longer matches its content), a deleted row (a gap in seq, or the chain
head pointing past the last row when the newest rows were deleted), an inserted or replaced row (its
prev_hash does not link to the row before), a malformed row (missing or ill-typed fields), and rows past
the chain head: either an apply interrupted between writing its audit row and moving the head (the next
apply completes it) or rows added outside upg. Each of these fails the check.

On success it prints the head's seq and hash; keep a copy outside DynamoDB (CI logs) to compare later.

Examples:
  $ upg audit verify
  Audit log OK: 42 rows, head seq 42 hash 3f2a9c1e…
  $ upg audit verify -o json | jq .first_problem

Exit codes: 0 the chain checks out, 1 a problem (named) or an error.`,
    )
    .action(async (opts: { output: string }, cmd: Command) => {
      const { runAuditVerifyCommand } = await import("../audit.js");
      ctx.exitCode = await runAuditVerifyCommand(globalOptions(cmd), opts.output, ctx.io);
    });

  program
    .command("history")
    .argument("[plan_id]", "only the changes of this plan")
    .description("Who changed what and when, from the audit log (newest last).")
    .option("-n, --limit <n>", "the latest N rows (0 = all)", parseLimit, 50)
    .option("-o, --output <format>", "human or json (the audit rows as stored)", "human")
    .addHelpText(
      "after",
      `
One line per audit row, oldest first and newest last: seq, time, actor, action, plan_id, outcome, and the
API Gateway id(s) and API key id the change touched. Rows hold key ids, never key values.

Examples:
  $ upg history
  $ upg history premium-weather --limit 10
  $ upg history -o json | jq '.[] | select(.outcome == "failed")'`,
    )
    .action(async (planId: string | undefined, opts: { limit: number; output: string }, cmd: Command) => {
      const { runHistoryCommand } = await import("../audit.js");
      ctx.exitCode = await runHistoryCommand(
        globalOptions(cmd),
        { ...(planId !== undefined ? { planId } : {}), limit: opts.limit, output: opts.output },
        ctx.io,
      );
    });
}
