// Every command, registered on the program. Keep imports here light (commander only).

import type { Command } from "commander";
import type { Io } from "../output.js";
import { registerAuditCommands } from "./audit.js";
import { registerCleanupCommand } from "./cleanup.js";
import { registerDriftCommand } from "./drift.js";
import { registerIamPolicyCommand } from "./iam-policy.js";
import { registerImportCommand } from "./import.js";
import { registerInspectCommands } from "./inspect.js";
import { registerKeysCommands } from "./keys.js";
import { registerLifecycleCommands } from "./lifecycle.js";
import { registerMigrateCommand } from "./migrate.js";
import { registerApplyCommand, registerPlanCommand } from "./reconcile.js";
import { registerReportCommands } from "./report.js";
import { registerSandboxCommand } from "./sandbox.js";
import { registerSchemaCommand } from "./schema.js";
import { registerUsageCommand } from "./usage.js";
import { registerValidateCommand } from "./validate.js";

export interface CliContext {
  io: Io;
  /** The process exit code the command asks for; main.ts applies it. */
  exitCode: number;
}

export function registerCommands(program: Command, ctx: CliContext): void {
  registerValidateCommand(program, ctx);
  registerPlanCommand(program, ctx);
  registerApplyCommand(program, ctx);
  registerDriftCommand(program, ctx);
  registerInspectCommands(program, ctx);
  registerLifecycleCommands(program, ctx);
  registerMigrateCommand(program, ctx);
  registerKeysCommands(program, ctx);
  registerUsageCommand(program, ctx);
  registerAuditCommands(program, ctx);
  registerSchemaCommand(program, ctx);
  registerIamPolicyCommand(program, ctx);
  registerImportCommand(program, ctx);
  registerCleanupCommand(program, ctx);
  registerReportCommands(program, ctx);
  registerSandboxCommand(program);
}
