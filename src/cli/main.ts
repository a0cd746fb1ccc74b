// The upg command line. Only this file sets process.exitCode. Command modules are light: each
// action imports its heavy dependencies (AWS SDK, zod, yaml) when it runs, so `--help` stays fast.

import { Command, CommanderError } from "commander";
import { errorMessage, UserError } from "../errors.js";
import { type CliContext, registerCommands } from "./commands/index.js";
import { processIo, quietBrokenPipes } from "./output.js";

export const VERSION = "0.1.0";

const EXAMPLES = `
Examples:
  $ upg validate                       check plans/ and upg.config.yaml
  $ upg plan                           show what apply would change, and the drift
  $ upg apply                          make API Gateway match the plan files
  $ upg drift                          the scheduled drift check (exit 2 on drift; --notify, --fix)
  $ upg plan -o markdown > plan.md     a pull-request comment
  $ upg sandbox                        a local API Gateway + DynamoDB to try upg on

Environment:
  AWS_PROFILE, AWS_REGION              standard AWS settings (or --profile, --region)
  AWS_ENDPOINT_URL_API_GATEWAY         point upg at another API Gateway endpoint (e.g. the sandbox)
  AWS_ENDPOINT_URL_DYNAMODB            point upg at another DynamoDB endpoint
  AWS_ENDPOINT_URL_SNS                 point drift alerts at another SNS endpoint
  NO_COLOR                             disable colours

Exit codes: 0 success or nothing to do, 1 error, 2 changes pending (plan --detailed-exitcode) or drift,
            130/143 apply stopped by Ctrl-C/SIGTERM.`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command()
    .name("upg")
    .description(
      "Keep Amazon API Gateway usage plans exactly as declared in YAML plan files:\nvalidate, plan, apply, detect drift, recreate deleted plans.",
    )
    .version(VERSION, "-V, --version")
    .option("-c, --config <file>", "project file", "upg.config.yaml")
    .option("--profile <name>", "AWS profile from ~/.aws/config")
    .option(
      "--account <name>",
      "an account from `accounts:` in the project file (repeatable; default: every account)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      "--region <region>",
      "AWS region (repeatable; default: every region of `regions` in the project file)",
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .option(
      "--timeout <duration>",
      "how long one attempt of an AWS call may take, e.g. 30s (default: timeouts.request in the project file, else 10s)",
    )
    .option("--no-color", "disable colours (also: NO_COLOR=1)")
    .showHelpAfterError("(run with --help for usage)")
    .addHelpText("after", EXAMPLES)
    .exitOverride();
  registerCommands(program, ctx);
  return program;
}

/** Runs the CLI; returns the exit code (also stored in process.exitCode). */
export async function main(argv: readonly string[]): Promise<number> {
  quietBrokenPipes();
  const ctx: CliContext = { io: processIo(), exitCode: 0 };
  const program = buildProgram(ctx);
  let code: number;
  try {
    await program.parseAsync([...argv]);
    code = ctx.exitCode;
  } catch (err) {
    code = handleError(err, ctx);
  }
  process.exitCode = code;
  return code;
}

function handleError(err: unknown, ctx: CliContext): number {
  const io = ctx.io;
  if (err instanceof CommanderError) {
    // Help and version exit 0; usage errors were already printed by commander.
    return err.exitCode === 0 ? 0 : 1;
  }
  if (err instanceof UserError) {
    io.stderr.write(`Error: ${err.message}\n`);
    if (err.hint) io.stderr.write(`${err.hint}\n`);
    return err.exitCode;
  }
  io.stderr.write(`upg: unexpected error (this is a bug; please report it): ${errorMessage(err)}\n`);
  if (err instanceof Error && err.stack) io.stderr.write(`${err.stack}\n`);
  return 1;
}
