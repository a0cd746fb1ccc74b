// SIGINT and SIGTERM during a run that writes: the first one stops the run before its next change (the
// change in flight finishes and is recorded, the lock is released, what ran is printed) and the command
// exits 130 / 143. A second one exits at once; the journal lets the next run finish the work.

import type { Io } from "./output.js";

export class Interrupted extends Error {
  constructor(readonly signalName: NodeJS.Signals) {
    super(`interrupted by ${signalName}`);
    this.name = "Interrupted";
  }

  /** What a run that stopped says ("Stopped: interrupted by SIGINT"), not "Interrupted: interrupted by …". */
  override toString(): string {
    return this.message;
  }
}

export interface Interrupts {
  /** Aborted on the first signal; its reason is an Interrupted. */
  readonly signal: AbortSignal;
  /** 130 (SIGINT) or 143 (SIGTERM) once a signal arrived, else undefined. */
  exitCode(): number | undefined;
  /** What the first signal does from now on (said as "SIGINT received: WHAT."). */
  setAction(what: string): void;
  /** Said when a second signal exits at once (e.g. which lock stays held, and until when); undefined: nothing. */
  setExitNote(note: string | undefined): void;
  dispose(): void;
}

const CODES: Partial<Record<NodeJS.Signals, number>> = { SIGINT: 130, SIGTERM: 143 };

export function trapInterrupts(io: Io, what: string): Interrupts {
  const controller = new AbortController();
  let first: NodeJS.Signals | undefined;
  let action = what;
  let exitNote: string | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (first) {
      io.stderr.write(
        `\n${sig} again: exiting now. The next \`upg apply\` finishes what this run started.\n${exitNote ? `${exitNote}\n` : ""}`,
      );
      process.exit(CODES[sig] ?? 130);
    }
    first = sig;
    // The action says what a second Ctrl-C does; a SIGTERM is repeated as a SIGTERM.
    const said = sig === "SIGINT" ? action : action.replace("press Ctrl-C again", `send ${sig} again`);
    io.stderr.write(`\n${sig} received: ${said}.\n`);
    controller.abort(new Interrupted(sig));
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    signal: controller.signal,
    exitCode: () => (first ? (CODES[first] ?? 130) : undefined),
    setAction(w) {
      action = w;
    },
    setExitNote(note) {
      exitNote = note;
    },
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
    },
  };
}

export { interruptible } from "../abort.js";
