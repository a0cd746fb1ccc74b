import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

export function registerIamPolicyCommand(program: Command, ctx: CliContext): void {
  program
    .command("iam-policy")
    .description(
      "Print the least-privilege IAM policy upg needs for this project (tables, regions, account).",
    )
    .option("--read-only", "only what plan, status, show, drift, audit verify and history need")
    .option("--init", "also what `upg init` needs to create the tables (a separate TablesInit statement)")
    .option("--account <id>", "the AWS account of the table ARNs (default: the caller's, from STS)")
    .option(
      "-o, --output <format>",
      "human (notes on stderr) or json; stdout is the policy document in both",
      "human",
    )
    .addHelpText(
      "after",
      `
The policy is built from the list of AWS calls upg makes, so it names exactly the API Gateway paths,
the two DynamoDB tables and the SNS alert topics of upg.config.yaml. Without --account the account comes
from the caller identity (STS); if that fails, the table ARNs use * and a note says so.

Examples:
  $ upg iam-policy > upg-policy.json
  $ upg iam-policy --read-only --account 123456789012 -o json
  $ aws iam put-role-policy --role-name upg-ci --policy-name upg \\
      --policy-document "$(upg iam-policy --read-only -o json)"`,
    )
    .action(
      async (
        opts: { readOnly?: boolean; init?: boolean; account?: string; output: string },
        cmd: Command,
      ) => {
        const { runIamPolicyCommand } = await import("../iam-policy.js");
        // The global --account (an account name from `accounts:`, repeatable) takes the option's place when
        // commander gives the value to it: here --account is an account id, one value.
        const global = cmd.optsWithGlobals() as { account?: string[] | string };
        const account =
          opts.account ?? (Array.isArray(global.account) ? global.account.at(-1) : global.account);
        ctx.exitCode = await runIamPolicyCommand(
          { ...globalOptions(cmd), accounts: [] },
          { ...opts, ...(account !== undefined ? { account } : {}) },
          ctx.io,
        );
      },
    );
}
