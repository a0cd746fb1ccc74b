// Terminal concerns: colour decisions, writing to stdout/stderr, output formats.

import { Chalk } from "chalk";
import { UserError } from "../errors.js";
import { PLAIN, type Style } from "../render/style.js";

export type OutputFormat = "human" | "json" | "markdown";

export interface Io {
  stdout: NodeJS.WritableStream & { isTTY?: boolean };
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  stdin: NodeJS.ReadableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

type ErrorEmitter = NodeJS.WritableStream & { on(event: "error", fn: (err: Error) => void): unknown };

/**
 * A reader that went away (`upg --help | head -1`) ends our output quietly instead of with an EPIPE stack
 * trace. What is still written to that stream is dropped; the command itself runs to its end and exits
 * with its own code, so an apply is never cut short between two changes by a closed pager.
 */
const quieted = new WeakSet<object>();

export function quietBrokenPipes(streams: readonly ErrorEmitter[] = [process.stdout, process.stderr]): void {
  for (const stream of streams) {
    if (quieted.has(stream)) continue;
    quieted.add(stream);
    stream.on("error", (err: Error) => {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === "EPIPE" || code === "ERR_STREAM_DESTROYED") return;
      throw err;
    });
  }
}

export function processIo(): Io {
  return { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };
}

/** Colour only on a TTY; never with --no-color or NO_COLOR (any value); FORCE_COLOR forces it otherwise. */
export function wantsColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag?: boolean): boolean {
  if (flag === false) return false;
  if (env.NO_COLOR !== undefined) return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "0") return true;
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

export function styleFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, flag?: boolean): Style {
  if (!wantsColor(stream, env, flag)) return PLAIN;
  const c = new Chalk({ level: 1 });
  return { red: c.red, green: c.green, yellow: c.yellow, cyan: c.cyan, bold: c.bold, dim: c.dim };
}

export function parseFormat(value: string | undefined, allowed: readonly OutputFormat[]): OutputFormat {
  const v = (value ?? "human") as OutputFormat;
  if (!allowed.includes(v)) {
    throw new UserError(`Unknown output format "${value}".`, { hint: `Use one of: ${allowed.join(", ")}.` });
  }
  return v;
}
