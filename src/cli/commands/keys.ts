import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

export function registerKeysCommands(program: Command, ctx: CliContext): void {
  const keys = program
    .command("keys")
    .description(
      "API keys: list, create, import, rotate, enable, disable, delete (never prints a key value).",
    )
    .addHelpText(
      "after",
      `
Examples:
  $ upg keys list
  $ upg keys list --plan premium-weather -o csv
  $ upg keys create acme-prod --plan premium-weather --value-file acme.key
  $ upg keys import partners.csv --plan basic-weather
  $ upg keys rotate acme-prod --overlap 7d --value-file acme-next.key
  $ upg keys rotate --finish
  $ upg keys disable acme-prod
  $ upg keys delete acme-prod --yes`,
    );

  keys
    .command("list")
    .description("Every API key: id, name, enabled, plans (by plan_id), created, last updated.")
    .option("--plan <plan_id>", "only the keys of this plan")
    .option("-o, --output <format>", "human, json or csv", "human")
    .addHelpText(
      "after",
      "\nExamples:\n  $ upg keys list\n  $ upg keys list --plan premium-weather -o json\n  $ upg keys list -o csv > keys.csv",
    )
    .action(async (opts: { plan?: string; output: string }, cmd: Command) => {
      const { runKeysList } = await import("../keys-command.js");
      ctx.exitCode = await runKeysList(globalOptions(cmd), opts, ctx.io);
    });

  keys
    .command("create")
    .argument("<name>", "the key's name")
    .description("Create an API key (AWS generates the value) and add it to a plan.")
    .requiredOption("--plan <plan_id>", "the plan the key joins")
    .option("--value-file <file>", "write the value to this new file (mode 0600)")
    .option("--reveal", "print the value once")
    .option("-o, --output <format>", "human or json (json never contains the value)", "human")
    .addHelpText(
      "after",
      `
The value is delivered once: to --value-file (a new file only you can read) or on screen with --reveal.
upg never stores it. Audited as create-apikey.

Examples:
  $ upg keys create acme-prod --plan premium-weather --value-file acme.key
  $ upg keys create acme-test --plan free-weather --reveal`,
    )
    .action(
      async (
        name: string,
        opts: { plan: string; valueFile?: string; reveal?: boolean; output: string },
        cmd: Command,
      ) => {
        const { runKeysCreate } = await import("../keys-command.js");
        ctx.exitCode = await runKeysCreate(globalOptions(cmd), name, opts, ctx.io);
      },
    );

  keys
    .command("import")
    .argument("<file>", "a CSV file in AWS's API-key format")
    .description("Import API keys from a CSV file, checked locally first (every bad row with its line).")
    .option("--plan <plan_id>", "add every imported key to this plan")
    .option("-o, --output <format>", "human or json", "human")
    .addHelpText(
      "after",
      `
The file has a header row naming the columns, in any order and case: Name and Key (required), Description,
Enabled (true/false, default true) and UsagePlanIds (API Gateway plan ids, quoted when several: "ab12cd,ef34gh").
Values are 20-128 letters and digits, each unique. A BOM, CRLF line ends, unknown columns and more keys than
AWS allows are refused with their line numbers; then ImportApiKeys runs with failOnWarnings, so a file is
imported whole or not at all. Audited as import-apikeys.

Examples:
  $ upg keys import partners.csv
  $ upg keys import partners.csv --plan basic-weather`,
    )
    .action(async (file: string, opts: { plan?: string; output: string }, cmd: Command) => {
      const { runKeysImport } = await import("../keys-command.js");
      ctx.exitCode = await runKeysImport(globalOptions(cmd), file, opts, ctx.io);
    });

  keys
    .command("rotate")
    .argument("[key]", "the key to rotate (id or name)")
    .description("Create a successor key in the same plans; --finish retires old keys whose overlap ended.")
    .option("--overlap <duration>", "how long both keys work: 7d, 36h, 90m", "7d")
    .option("--finish", "disable then delete every old key whose overlap has ended")
    .option("--name <name>", "the successor's name (default: NAME-rotated-DATE)")
    .option("--value-file <file>", "write the successor's value to this new file (mode 0600)")
    .option("--reveal", "print the successor's value once")
    .option("-o, --output <format>", "human or json", "human")
    .addHelpText(
      "after",
      `
The pair is recorded in the metadata table; rotate --finish (run it from a schedule) disables the old key,
then deletes it, once the overlap has ended. Audited as rotate-apikey and rotate-finish.

Examples:
  $ upg keys rotate acme-prod --overlap 7d --value-file acme-next.key
  $ upg keys rotate --finish`,
    )
    .action(
      async (
        key: string | undefined,
        opts: {
          overlap: string;
          finish?: boolean;
          name?: string;
          valueFile?: string;
          reveal?: boolean;
          output: string;
        },
        cmd: Command,
      ) => {
        const m = await import("../keys-command.js");
        const g = globalOptions(cmd);
        if (opts.finish) {
          if (key)
            throw new (await import("../../errors.js")).UserError(
              "--finish takes no key: it finishes every rotation whose overlap ended.",
            );
          ctx.exitCode = await m.runKeysRotateFinish(g, opts, ctx.io);
        } else if (!key) {
          throw new (await import("../../errors.js")).UserError("Name the key to rotate, or pass --finish.");
        } else ctx.exitCode = await m.runKeysRotate(g, key, opts, ctx.io);
      },
    );

  for (const [verb, enabled] of [
    ["enable", true],
    ["disable", false],
  ] as const) {
    keys
      .command(verb)
      .argument("<key>", "id or name")
      .description(`${enabled ? "Enable" : "Disable"} an API key (audited).`)
      .addHelpText("after", `\nExamples:\n  $ upg keys ${verb} acme-prod\n  $ upg keys ${verb} x5k3eopvub`)
      .action(async (key: string, _opts: unknown, cmd: Command) => {
        const { runKeysSetEnabled } = await import("../keys-command.js");
        ctx.exitCode = await runKeysSetEnabled(globalOptions(cmd), key, enabled, ctx.io);
      });
  }

  keys
    .command("delete")
    .argument("<key>", "id or name")
    .description("Delete an API key: asks first, naming the plans it leaves (audited).")
    .option("-y, --yes", "do not ask")
    .option("--auto-approve", "do not ask (same as --yes)")
    .addHelpText("after", "\nExamples:\n  $ upg keys delete acme-old\n  $ upg keys delete x5k3eopvub --yes")
    .action(async (key: string, opts: { yes?: boolean; autoApprove?: boolean }, cmd: Command) => {
      const { runKeysDelete } = await import("../keys-command.js");
      ctx.exitCode = await runKeysDelete(
        globalOptions(cmd),
        key,
        { yes: opts.yes === true || opts.autoApprove === true },
        ctx.io,
      );
    });
}
