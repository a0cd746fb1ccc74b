import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerLifecycleCommands(program: Command, ctx: CliContext): void {
  const lifecycle = program
    .command("lifecycle")
    .description(
      "Deprecate, archive or re-activate a plan (edits its plan file), or show where a plan stands.",
    )
    .addHelpText(
      "after",
      `
A plan goes Active → Deprecated → Archived. Deprecated: existing keys keep working, no new key may join.
Archived: the plan is removed from API Gateway; its master record stays for audit. activate brings it back.

Examples:
  $ upg lifecycle deprecate free-weather --successor basic-weather
  $ upg lifecycle status free-weather
  $ upg migrate free-weather                     move its keys to the successor
  $ upg lifecycle archive free-weather
  $ upg apply`,
    );
  for (const action of ["deprecate", "archive", "activate"] as const) {
    lifecycle
      .command(action)
      .argument("<plan_id>", "the plan to change")
      .description(
        {
          deprecate:
            "Mark a plan Deprecated in its plan file: no new key may join; name where customers move.",
          archive: "Mark a Deprecated plan Archived in its plan file (refused while keys are on it).",
          activate: "Make a Deprecated or Archived plan Active again in its plan file.",
        }[action],
      )
      .option("-p, --plans <path>", "plan files or directories (repeatable; default: plans/)", collect)
      .option(
        "--successor <plan_id>",
        "the Active plan customers move to (deprecate; archive keeps the file's successor)",
      )
      .addHelpText(
        "after",
        `
Edits the plan file in place (comments, order and formatting kept), checks the result as \`upg validate\`
does before writing it, and shows the plan \`upg apply\` would run. Nothing is sent to API Gateway until
you run \`upg apply\`.${action === "archive" ? "\n\nArchiving is refused while keys are on the plan (attached in API Gateway or declared in its file):\nmove them first with `upg migrate PLAN_ID --to SUCCESSOR`." : ""}

Examples:
  $ upg lifecycle ${action} free-weather${action === "deprecate" ? " --successor basic-weather" : ""}
  $ upg apply`,
      )
      .action(async (planId: string, opts: { plans?: string[]; successor?: string }, cmd: Command) => {
        const { runLifecycleChange } = await import("../lifecycle-command.js");
        ctx.exitCode = await runLifecycleChange(
          {
            global: globalOptions(cmd),
            action,
            planId,
            plans: opts.plans ?? [],
            ...(opts.successor !== undefined ? { successor: opts.successor } : {}),
          },
          ctx.io,
        );
      });
  }
  lifecycle
    .command("status")
    .argument("[plan_id]", "one plan (default: every plan)")
    .description(
      "State, successor, since when (audit log), keys still on the plan, keys that joined after deprecation.",
    )
    .option("-p, --plans <path>", "plan files or directories (repeatable; default: plans/)", collect)
    .option("-o, --output <format>", "human or json", "human")
    .addHelpText(
      "after",
      `
Only reads. "declared" is the plan file; "applied" is what upg last applied (the master record).

Examples:
  $ upg lifecycle status
  $ upg lifecycle status free-weather -o json | jq '.[0].keys | length'

Exit codes: 0 ok, 1 error (an unknown plan, AWS unreachable).`,
    )
    .action(async (planId: string | undefined, opts: { plans?: string[]; output: string }, cmd: Command) => {
      const { runLifecycleStatus } = await import("../lifecycle-command.js");
      ctx.exitCode = await runLifecycleStatus(
        {
          global: globalOptions(cmd),
          plans: opts.plans ?? [],
          output: opts.output,
          ...(planId !== undefined ? { planId } : {}),
        },
        ctx.io,
      );
    });
}
