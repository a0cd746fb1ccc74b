import type { Command } from "commander";
import type { CliContext } from "./index.js";

export function registerSchemaCommand(program: Command, ctx: CliContext): void {
  program
    .command("schema")
    .description("Print the JSON Schema of plan files (or of upg.config.yaml with --config-file).")
    .option("--config-file", "the schema of upg.config.yaml instead")
    .addHelpText(
      "after",
      `
Editors that speak the YAML language server autocomplete and check plan files with it.

Examples:
  $ upg schema > upg-plan.schema.json
  then put this first line in each plan file:
  # yaml-language-server: $schema=../upg-plan.schema.json`,
    )
    .action(async (opts: { configFile?: boolean }) => {
      const { configJsonSchema, planJsonSchema } = await import("../../spec/json-schema.js");
      const schema = opts.configFile ? configJsonSchema() : planJsonSchema();
      ctx.io.stdout.write(`${JSON.stringify(schema, null, 2)}\n`);
      ctx.exitCode = 0;
    });
}
