// Every command, registered on the program. Keep imports here light (commander only).

import type { Command } from "commander";
import type { Io } from "../output.js";
// SANDBOX-IMPORT
import { registerSchemaCommand } from "./schema.js";
import { registerValidateCommand } from "./validate.js";

export interface CliContext {
  io: Io;
  /** The process exit code the command asks for; main.ts applies it. */
  exitCode: number;
}

export function registerCommands(program: Command, ctx: CliContext): void {
  registerValidateCommand(program, ctx);
  registerSchemaCommand(program, ctx);
  // SANDBOX-REGISTER
}
