// Stopping work that is waiting, without pretending to stop work that is already in flight.

/** Thrown by the pacer when a call was about to wait or be sent after the run was told to stop: nothing was sent. */
export class CallNotSent extends Error {
  constructor(readonly operation: string) {
    super(`${operation} was not sent: the run is stopping`);
    this.name = "CallNotSent";
  }
}

/** `work`, or an Interrupted rejection as soon as `signal` aborts (the work itself is left to settle). */
export function interruptible<T>(
  work: Promise<T>,
  signal: AbortSignal,
  onLate?: (value: T) => void,
): Promise<T> {
  if (signal.aborted) {
    work.then(onLate, () => {});
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    let done = false;
    const onAbort = () => {
      if (done) return;
      done = true;
      work.then(onLate, () => {});
      reject(signal.reason);
    };
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        if (done) return;
        done = true;
        resolve(v);
      },
      (err) => {
        signal.removeEventListener("abort", onAbort);
        if (done) return;
        done = true;
        reject(err);
      },
    );
  });
}
