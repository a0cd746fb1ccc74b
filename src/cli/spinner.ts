// Spinners only on a TTY (stderr), never in CI or pipes; otherwise a no-op.

import type { Io } from "./output.js";

export interface Spinner {
  text(t: string): void;
  stop(): void;
}

const NOOP: Spinner = { text: () => {}, stop: () => {} };

export async function startSpinner(io: Io, text: string): Promise<Spinner> {
  // A terminal that reports no width (some pseudo-terminals) would make the spinner redraw forever.
  const columns = (io.stderr as { columns?: number }).columns ?? 0;
  if (io.stderr.isTTY !== true || io.env.CI !== undefined || columns <= 0) return NOOP;
  const { default: ora } = await import("ora");
  const s = ora({ text, stream: io.stderr as NodeJS.WriteStream }).start();
  return {
    text: (t) => {
      s.text = t;
    },
    stop: () => {
      s.stop();
    },
  };
}
