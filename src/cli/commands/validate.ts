import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

export function registerValidateCommand(program: Command, ctx: CliContext): void {
  program
    .command("validate")
    .argument("[paths...]", "plan files or directories (default: plans/)")
    .description("Check plan files and upg.config.yaml: shape, limits, references. Needs no AWS access.")
    .option("-o, --output <format>", "human or json (a JSON array of problems on stdout)", "human")
    .option("--strict", "treat warnings as errors")
    .addHelpText(
      "after",
      `
Every problem is reported at once, as file:line:col with the field path and a hint.

Examples:
  $ upg validate                          plans/ and upg.config.yaml
  $ upg validate plans/premium.yaml       one file
  $ upg validate -o json | jq '.[].message'
  $ upg validate --strict                 fail on warnings too (e.g. burst below rate)

Exit codes: 0 valid, 1 problems found.`,
    )
    .action(async (paths: string[], opts: { output: string; strict?: boolean }, cmd: Command) => {
      const { runValidate } = await import("../validate.js");
      ctx.exitCode = runValidate(
        { paths, output: opts.output, strict: opts.strict === true, global: globalOptions(cmd) },
        ctx.io,
      );
    });
}
