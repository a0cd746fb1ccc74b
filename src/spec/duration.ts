// Durations as users write them: "500ms", "10s", "5m", "1h", or a bare number of seconds.

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;
const FACTOR = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 } as const;

export const DURATION_FORMAT = "a duration such as 500ms, 10s or 2m (a bare number means seconds)";

/** Milliseconds, or undefined when `value` is not a duration. */
export function durationMs(value: string | number): number | undefined {
  if (typeof value === "number")
    return Number.isFinite(value) && value >= 0 ? Math.round(value * 1000) : undefined;
  const m = DURATION_RE.exec(value.trim());
  if (!m) return undefined;
  const ms = Math.round(Number(m[1]) * FACTOR[(m[2] ?? "s") as keyof typeof FACTOR]);
  return Number.isFinite(ms) ? ms : undefined;
}

/** "10 s", "500 ms", "2 min": for messages. */
export function describeMs(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  if (ms < 120_000 || ms % 60_000 !== 0) return `${ms / 1000} s`;
  return `${ms / 60_000} min`;
}

/** Bounds of the per-attempt timeouts (timeouts.connect, timeouts.request, --timeout), in ms. */
export const TIMEOUT_BOUNDS = {
  connect: { min: 100, max: 60_000 },
  request: { min: 100, max: 600_000 },
} as const;
