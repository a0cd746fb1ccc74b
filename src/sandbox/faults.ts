/** Fault injection (latency, error rates, dropped connections, one failing operation) and request counters. */
import { ApiError, codeForStatus, retryAfterHeaders } from "./errors.js";
import type { FaultConfig } from "./types.js";

const INJECTED_MESSAGES: Readonly<Record<number, string>> = {
  429: "Too Many Requests",
  500: "Internal server error",
  503: "Service Unavailable",
};

/** Faults settable at run time; `null` clears a field. */
export type FaultPatch = { [K in keyof FaultConfig]?: FaultConfig[K] | null };

export class FaultInjector {
  private config: FaultConfig = {};
  private dropRemaining: number | undefined;

  constructor(
    private readonly timeScale: number,
    private readonly random: () => number = Math.random,
  ) {}

  set(patch: FaultPatch): void {
    if (patch.latencyMs !== undefined) this.config.latencyMs = patch.latencyMs ?? undefined;
    if (patch.errorRate !== undefined) this.config.errorRate = patch.errorRate ?? undefined;
    if (patch.failOperation !== undefined) {
      this.config.failOperation = patch.failOperation ? { ...patch.failOperation } : undefined;
    }
    if (patch.dropAfter !== undefined) this.dropRemaining = patch.dropAfter ?? undefined;
  }

  reset(): void {
    this.config = {};
    this.dropRemaining = undefined;
  }

  /** Current faults; `dropAfter` is the number of requests still to be served before dropping starts. */
  snapshot(): FaultConfig {
    const { latencyMs, errorRate, failOperation } = this.config;
    return { latencyMs, errorRate, failOperation, dropAfter: this.dropRemaining };
  }

  /** Counts one request toward `dropAfter`; true when its connection must be destroyed. */
  shouldDrop(): boolean {
    if (this.dropRemaining === undefined) return false;
    if (this.dropRemaining === 0) return true;
    this.dropRemaining -= 1;
    return false;
  }

  delayMs(): number {
    return (this.config.latencyMs ?? 0) * this.timeScale;
  }

  /** The injected error for this request, if any: the named failing operation first, then the error rates. */
  errorFor(op: string): ApiError | undefined {
    const fail = this.config.failOperation;
    if (fail && fail.operation === op) {
      if (fail.count !== undefined && --fail.count <= 0) delete this.config.failOperation;
      return this.injected(fail.status, fail.code ?? codeForStatus(fail.status), `Injected fault for ${op}`);
    }
    const rates = this.config.errorRate ?? {};
    const r = this.random();
    let acc = 0;
    for (const status of [429, 500, 503] as const) {
      acc += rates[status] ?? 0;
      if (r < acc) return this.injected(status, codeForStatus(status));
    }
    return undefined;
  }

  /** Injected 429/503 answers carry Retry-After for one (scaled) second. */
  private injected(status: number, code: string, message = INJECTED_MESSAGES[status]): ApiError {
    const headers = status === 429 || status === 503 ? retryAfterHeaders(1000 * this.timeScale) : {};
    return new ApiError(status, code, message ?? `Injected fault (${status})`, headers);
  }
}

/**
 * Per-operation request counters (SDK operation names) plus "total"; admin calls are not counted. Every API
 * request that reached the server counts, including throttled, faulted and dropped ones (they are API calls
 * a client made); an unknown route counts in "total" only.
 */
export class Counters {
  private readonly counts = new Map<string, number>();
  private total = 0;

  record(op: string | undefined): void {
    this.total += 1;
    if (op) this.counts.set(op, (this.counts.get(op) ?? 0) + 1);
  }

  snapshot(): Record<string, number> {
    return { ...Object.fromEntries(this.counts), total: this.total };
  }

  reset(): void {
    this.counts.clear();
    this.total = 0;
  }
}
