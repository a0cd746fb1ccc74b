import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

export const UPG_BIN = fileURLToPath(new URL("../../bin/upg", import.meta.url));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the built CLI as a user would (requires `npm run build`). */
export function runCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; input?: string; timeoutMs?: number } = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      NO_COLOR: "1",
      FORCE_COLOR: undefined,
      ...opts.env,
    };
    for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
    const child = spawn(process.execPath, [UPG_BIN, ...args], {
      cwd: opts.cwd,
      env: env as NodeJS.ProcessEnv,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    child.stdin.end(opts.input ?? "");
  });
}

export interface StreamChunk {
  /** ms since the child was spawned. */
  at: number;
  stream: "stdout" | "stderr";
  text: string;
}

export interface LiveCliRun extends CliRun {
  /** The signal that ended the child, if one did. */
  signal: NodeJS.Signals | null;
  /** ms since spawn when the child exited. */
  exitedAt: number;
}

/** A CLI child still running: signal it, write to it, and watch its output as it streams. */
export interface LiveCli {
  readonly child: ChildProcessWithoutNullStreams;
  readonly chunks: readonly StreamChunk[];
  stdout(): string;
  stderr(): string;
  /**
   * Resolves with the time (ms since spawn) at which `pattern` had appeared on `stream` (default: either).
   * Rejects when the child exits first or after `timeoutMs`.
   */
  waitFor(
    pattern: RegExp | string,
    opts?: { stream?: "stdout" | "stderr"; timeoutMs?: number },
  ): Promise<number>;
  kill(signal: NodeJS.Signals): void;
  readonly done: Promise<LiveCliRun>;
}

const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;

/**
 * Start the built CLI and return at once. With `tty: true` it runs inside a pseudo-terminal
 * (util-linux `script`): stdin/stdout/stderr are a terminal, and writing "\x03" to `child.stdin` is a
 * Ctrl-C typed at it (then stdout carries both streams, with the terminal's line endings).
 */
export function spawnCli(
  args: string[],
  opts: { cwd?: string; env?: Record<string, string | undefined>; timeoutMs?: number; tty?: boolean } = {},
): LiveCli {
  const env: Record<string, string | undefined> = {
    ...process.env,
    NO_COLOR: "1",
    FORCE_COLOR: undefined,
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const argv = [process.execPath, UPG_BIN, ...args];
  const child = opts.tty
    ? // A pty made from a pipe has no size; give it one, as a terminal window has.
      spawn(
        "script",
        ["-qfec", `stty cols 120 rows 40; exec ${argv.map(shellQuote).join(" ")}`, "/dev/null"],
        {
          cwd: opts.cwd,
          env: env as NodeJS.ProcessEnv,
        },
      )
    : spawn(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: env as NodeJS.ProcessEnv });
  const t0 = Date.now();
  const chunks: StreamChunk[] = [];
  const text = { stdout: "", stderr: "" };
  const watchers = new Set<() => void>();
  let exited = false;
  const onData = (stream: "stdout" | "stderr") => (d: Buffer) => {
    const s = d.toString();
    chunks.push({ at: Date.now() - t0, stream, text: s });
    text[stream] += s;
    for (const w of [...watchers]) w();
  };
  child.stdout.on("data", onData("stdout"));
  child.stderr.on("data", onData("stderr"));
  const timer = setTimeout(() => child.kill("SIGKILL"), opts.timeoutMs ?? 60_000);
  const done = new Promise<LiveCliRun>((resolve, reject) => {
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      exited = true;
      for (const w of [...watchers]) w();
      resolve({
        code: code ?? -1,
        signal,
        stdout: text.stdout,
        stderr: text.stderr,
        exitedAt: Date.now() - t0,
      });
    });
  });
  if (!opts.tty) child.stdin.end();
  const matches = (pattern: RegExp | string, s: string) =>
    typeof pattern === "string" ? s.includes(pattern) : pattern.test(s);
  return {
    child,
    chunks,
    stdout: () => text.stdout,
    stderr: () => text.stderr,
    waitFor(pattern, o = {}) {
      const seen = () =>
        o.stream
          ? matches(pattern, text[o.stream])
          : matches(pattern, text.stdout) || matches(pattern, text.stderr);
      return new Promise<number>((resolve, reject) => {
        const limit = setTimeout(() => {
          watchers.delete(check);
          reject(
            new Error(`timed out waiting for ${pattern}\nstdout:\n${text.stdout}\nstderr:\n${text.stderr}`),
          );
        }, o.timeoutMs ?? 30_000);
        const check = () => {
          if (seen()) {
            watchers.delete(check);
            clearTimeout(limit);
            resolve(Date.now() - t0);
          } else if (exited) {
            watchers.delete(check);
            clearTimeout(limit);
            reject(new Error(`exited before ${pattern}\nstdout:\n${text.stdout}\nstderr:\n${text.stderr}`));
          }
        };
        watchers.add(check);
        check();
      });
    },
    kill: (signal) => {
      child.kill(signal);
    },
    done,
  };
}
