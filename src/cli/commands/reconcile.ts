import type { Command } from "commander";
import { globalOptions } from "../global-options.js";
import type { CliContext } from "./index.js";

const collect = (v: string, prev: string[] = []) => [...prev, v];

export function registerPlanCommand(program: Command, ctx: CliContext): void {
  program
    .command("plan")
    .description("Show what `upg apply` would change in API Gateway, and what changed outside upg (drift).")
    .option("-p, --plans <path>", "plan files or directories (repeatable; default: plans/)", collect)
    .option("-t, --target <plan_id>", "only this plan (repeatable)", collect)
    .option(
      "-o, --output <format>",
      "human, json (a versioned plan document) or markdown (for a PR comment)",
      "human",
    )
    .option("--out <file>", "also save the plan as JSON, to apply exactly it later with `upg apply FILE`")
    .option("--detailed-exitcode", "exit 2 when there are changes (0 none, 1 error)")
    .option("--adopt", "bring live plans upg does not manage under upg when a plan file names them")
    .option("--allow-key-loss", "allow deleting plans that still have API keys attached")
    .addHelpText(
      "after",
      `
Symbols: + create   ~ update in place   ~ adopt   -/+ recreate (deleted outside upg)   - delete
         + key attach   - key detach   ↻ master record sync
Nothing is written: plan only reads API Gateway and the master records.

Examples:
  $ upg plan
  $ upg plan --target premium-weather
  $ upg plan -o markdown > plan.md          post as a pull-request comment
  $ upg plan --out plan.json && upg apply plan.json
  $ upg plan --detailed-exitcode || echo "changes or error: $?"

Over several account-regions (\`regions:\` and \`accounts:\` in upg.config.yaml; --account NAME and --region R
narrow), each is planned side by side into one report; \`upg apply\` works on one account-region at a time.

Exit codes: 0 no changes (or changes without --detailed-exitcode), 1 error or problems, 2 changes (--detailed-exitcode).
Over several account-regions: 1 if any failed, else 2 if any has changes (--detailed-exitcode), else 0.`,
    )
    .action(
      async (
        opts: {
          plans?: string[];
          target?: string[];
          output: string;
          out?: string;
          detailedExitcode?: boolean;
          adopt?: boolean;
          allowKeyLoss?: boolean;
        },
        cmd: Command,
      ) => {
        const { runPlanCommand } = await import("../reconcile.js");
        ctx.exitCode = await runPlanCommand(
          {
            global: globalOptions(cmd),
            plans: opts.plans ?? [],
            targets: opts.target ?? [],
            output: opts.output,
            ...(opts.out ? { out: opts.out } : {}),
            detailedExitcode: opts.detailedExitcode === true,
            ...(opts.adopt ? { adopt: true } : {}),
            ...(opts.allowKeyLoss ? { allowKeyLoss: true } : {}),
          },
          ctx.io,
        );
      },
    );
}

export function registerApplyCommand(program: Command, ctx: CliContext): void {
  program
    .command("apply")
    .argument("[planfile]", "a plan saved with `upg plan --out`; applied exactly, refused if stale")
    .description(
      "Make API Gateway match the plan files: create, update, recreate deleted plans, restore stages and keys.",
    )
    .option("-p, --plans <path>", "plan files or directories (repeatable; default: plans/)", collect)
    .option("-t, --target <plan_id>", "only this plan (repeatable)", collect)
    .option("--auto-approve", "do not ask for confirmation")
    .option("--lock-timeout <duration>", "wait this long for another run's lock (e.g. 30s, 5m)")
    .option("-o, --output <format>", "human or json (the per-change results)", "human")
    .option("--adopt", "bring live plans upg does not manage under upg when a plan file names them")
    .option("--allow-key-loss", "allow deleting plans that still have API keys attached")
    .addHelpText(
      "after",
      `
apply shows the plan and asks before changing anything (unless --auto-approve, or a saved plan is given).
Only one apply runs at a time (a lock in DynamoDB). Each change is printed as it completes (✓ ok, ✗ failed)
and written to the audit log; its intent is journaled on the plan's master record first, so a run stopped
at any moment (Ctrl-C, kill -9, a lost connection) is finished by the next apply. Ctrl-C stops before the
next change and exits 130 (SIGTERM: 143); a second Ctrl-C exits at once. A failed run can simply be run
again: it converges without duplicates.

Examples:
  $ upg apply
  $ upg apply --auto-approve --target basic-weather
  $ upg plan --out plan.json && upg apply plan.json
  $ upg apply --lock-timeout 5m            wait for a running apply to finish

Exit codes: 0 applied (or nothing to do), 1 error or a change failed (the output lists what was applied),
            130/143 stopped by SIGINT/SIGTERM.`,
    )
    .action(
      async (
        planfile: string | undefined,
        opts: {
          plans: string[];
          target: string[];
          autoApprove?: boolean;
          lockTimeout?: string;
          output: string;
          adopt?: boolean;
          allowKeyLoss?: boolean;
        },
        cmd: Command,
      ) => {
        const { runApplyCommand } = await import("../apply-command.js");
        ctx.exitCode = await runApplyCommand(
          {
            global: globalOptions(cmd),
            ...(planfile ? { planFile: planfile } : {}),
            plans: opts.plans ?? [],
            targets: opts.target ?? [],
            autoApprove: opts.autoApprove === true,
            ...(opts.lockTimeout ? { lockTimeout: opts.lockTimeout } : {}),
            output: opts.output,
            ...(opts.adopt ? { adopt: true } : {}),
            ...(opts.allowKeyLoss ? { allowKeyLoss: true } : {}),
          },
          ctx.io,
        );
      },
    );
}
