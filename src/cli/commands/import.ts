import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerImportCommand(program: Command, ctx: CliContext): void {
  program
    .command("import")
    .description("Write plan files for live usage plans, to bring an existing account under upg.")
    .option("--id <id>", "the usage plan with this API Gateway id (repeatable)", collect)
    .option("--name <name>", "the usage plan with this name (repeatable)", collect)
    .option("--tag <key=value>", "usage plans carrying this tag (repeatable: all must match)", collect)
    .option("--unmanaged", "only usage plans upg does not manage yet")
    .option("--out <dir>", "where to write the plan files", "plans")
    .option("--single-file [name]", "one file for all plans (default name: imported.yaml)")
    .option("--force", "overwrite plan files that exist")
    .option("-o, --output <format>", "human or json (the files written)", "human")
    .addHelpText(
      "after",
      `
Without a selector every live usage plan is imported. One file per plan, <plan_id>.yaml, where plan_id is
the ownership tag's plan_id for plans upg tagged, else a slug of the name. Stages are written by REST API
name where that name is unique, keys by name where unique; attached keys become the declared set. Files
that exist are never overwritten without --force. Nothing is written to AWS.

Examples:
  $ upg import --unmanaged --out plans/
  $ upg import --id ab12cd && upg validate && upg apply --adopt
  $ upg import --tag team=edge --single-file edge.yaml

Exit codes: 0 written, 1 error (nothing written).`,
    )
    .action(
      async (
        opts: {
          id?: string[];
          name?: string[];
          tag?: string[];
          unmanaged?: boolean;
          out: string;
          singleFile?: string | boolean;
          force?: boolean;
          output: string;
        },
        cmd: Command,
      ) => {
        const { runImportCommand } = await import("../import-command.js");
        const single =
          opts.singleFile === true ? "imported.yaml" : opts.singleFile ? String(opts.singleFile) : undefined;
        ctx.exitCode = await runImportCommand(
          {
            global: globalOptions(cmd),
            ids: opts.id ?? [],
            names: opts.name ?? [],
            tags: opts.tag ?? [],
            unmanaged: opts.unmanaged === true,
            out: opts.out,
            ...(single ? { singleFile: single } : {}),
            force: opts.force === true,
            output: opts.output,
          },
          ctx.io,
        );
      },
    );
}
