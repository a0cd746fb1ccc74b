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

/** What to do about a lock another run holds; `where` adds the flags that reach its account-region in a fleet. */
export function unlockHint(lockId: string | undefined, where = ""): string {
  return `Wait for it to finish, retry with --lock-timeout 5m, or if that run crashed: upg unlock ${lockId ?? "LOCK_ID"}${where ? ` ${where}` : ""} --reason '…'.`;
}

/** The apply lock is held by another run. */
export class LockHeldError extends UserError {
  constructor(
    readonly owner: string,
    readonly acquiredAt: string,
    readonly expiresAt: number,
    readonly reason?: string,
    /** The id `upg unlock` requires; undefined only for callers that do not know it. */
    readonly lockId?: string,
  ) {
    const id = lockId === undefined ? "" : ` (lock id ${lockId})`;
    super(
      `Another upg run holds the apply lock${id}: ${owner} since ${acquiredAt} (expires ${new Date(expiresAt).toISOString()}).`,
      { hint: unlockHint(lockId) },
    );
    this.name = "LockHeldError";
  }
}

/**
 * This run no longer holds the apply lock (it expired, another run took it over, or `upg unlock` removed it).
 * Fencing: a run that gets this must make no further write of any kind.
 */
export class LockLostError extends UserError {
  constructor(
    readonly runId: string,
    readonly why: string,
  ) {
    super(`This run no longer holds the apply lock: ${why}.`, {
      hint: "Stopped before the next write. Run `upg plan` to see the current state, then apply again.",
    });
    this.name = "LockLostError";
  }
}

/** `upg unlock LOCK_ID` named a lock id that is not the current lock's. */
export class LockIdMismatchError extends UserError {
  constructor(
    readonly given: string,
    readonly current: { lockId: string; owner: string; acquiredAt: string },
  ) {
    super(
      `Lock id ${given} is not the current apply lock: that is lock id ${current.lockId}, held by ${current.owner} since ${current.acquiredAt}. Nothing was released.`,
      {
        hint: `Check that ${current.owner}'s run really crashed, then: upg unlock ${current.lockId} --reason '…'.`,
      },
    );
    this.name = "LockIdMismatchError";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
