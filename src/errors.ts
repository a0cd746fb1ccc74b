// Errors the user can act on. Anything else reaching the top is a bug and prints its stack.

export interface UserErrorOptions {
  /** What to do about it, printed after the message. */
  hint?: string;
  cause?: unknown;
  /** Process exit code; 1 unless said otherwise. */
  exitCode?: number;
}

export class UserError extends Error {
  readonly hint?: string;
  readonly exitCode: number;

  constructor(message: string, opts: UserErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = "UserError";
    this.hint = opts.hint;
    this.exitCode = opts.exitCode ?? 1;
  }
}

/** A conditional write lost: someone else changed the record since it was read. */
export class StaleRecordError extends UserError {
  constructor(planId: string, expectedVersion: number) {
    super(`The master record of ${planId} changed since it was read (expected version ${expectedVersion}).`, {
      hint: "Another run wrote it meanwhile. Run `upg plan` again to see the current state.",
    });
    this.name = "StaleRecordError";
  }
}

/** The apply lock is held by another run. */
export class LockHeldError extends UserError {
  constructor(
    readonly owner: string,
    readonly acquiredAt: string,
    readonly expiresAt: number,
    readonly reason?: string,
  ) {
    super(
      `Another upg run holds the apply lock: ${owner} since ${acquiredAt} (expires ${new Date(expiresAt).toISOString()}).`,
      {
        hint: "Wait for it to finish, retry with --lock-timeout 5m, or if that run crashed: upg unlock --reason '…'.",
      },
    );
    this.name = "LockHeldError";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
