// Spinners only on a TTY (stderr), never in CI or pipes; otherwise a no-op. Lines printed while a spinner
// runs go above it. The spinner never reads stdin, so Ctrl-C stays a signal.

import { type Io, wantsColor } from "./output.js";

export interface Spinner {
  text(t: string): void;
  /** Write a finished line to `stream` without tearing the spinner. */
  print(stream: NodeJS.WritableStream, line: string): void;
  stop(): void;
  /** True when a spinner is really drawn (a TTY). */
  readonly live: boolean;
}

function plain(): Spinner {
  return { text: () => {}, print: (stream, line) => stream.write(line), stop: () => {}, live: false };
}

export async function startSpinner(io: Io, text: string): Promise<Spinner> {
  // A terminal that reports no width (some pseudo-terminals) would make the spinner redraw forever.
  const columns = (io.stderr as { columns?: number }).columns ?? 0;
  // Lines go to stdout: when it is piped (`upg apply | cat`), a spinner on the terminal would tear them.
  if (io.stderr.isTTY !== true || io.stdout.isTTY !== true || io.env.CI !== undefined || columns <= 0)
    return plain();
  const { default: ora } = await import("ora");
  // discardStdin: false — ora would otherwise put stdin in raw mode, and Ctrl-C would never become SIGINT.
  // ora's colours ignore NO_COLOR (chalk only honours --no-color and FORCE_COLOR): upg's own rule decides.
  const s = ora({
    text,
    stream: io.stderr as NodeJS.WriteStream,
    discardStdin: false,
    color: wantsColor(io.stderr, io.env) ? "cyan" : false,
  }).start();
  return {
    live: true,
    text: (t) => {
      s.text = t;
    },
    print: (stream, line) => {
      if (!s.isSpinning) {
        stream.write(line);
        return;
      }
      s.clear();
      stream.write(line);
      s.render();
    },
    stop: () => {
      s.stop();
    },
  };
}

/**
 * The read every command starts with (API Gateway and the master records), under a spinner. With a signal, an
 * interrupt removes the spinner at once (the reads themselves end at their next pacing turn).
 */
export async function reading<T>(
  io: Io,
  region: string,
  work: () => Promise<T>,
  signal?: AbortSignal,
): Promise<T> {
  const spin = await startSpinner(io, `Reading API Gateway (${region}) and the master records…`);
  signal?.addEventListener("abort", () => spin.stop(), { once: true });
  try {
    return await work();
  } finally {
    spin.stop();
  }
}
