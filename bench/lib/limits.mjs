// AWS's API Gateway control-plane limits per account and region, the pacing that matches a time-scaled
// sandbox, and the floor those limits set on a run's wall time.

/** 10 requests/s with a burst of 40; one UpdateUsagePlan every 20 s. */
export const AWS_LIMITS = Object.freeze({ requestsPerSecond: 10, burst: 40, updateIntervalMs: 20_000 });

/** upg's default headroom under them (pacing.headroom). */
export const DEFAULT_HEADROOM = 0.1;

/**
 * upg's pacing for the sandbox at `timeScale`: AWS's limits with time scaled. A rate is per unit of time and
 * scales; a burst is a number of tokens and does not (40 at any time scale).
 */
export function scaledPacing(timeScale) {
  return {
    requests_per_second: AWS_LIMITS.requestsPerSecond / timeScale,
    burst: AWS_LIMITS.burst,
    update_usage_plan_interval_ms: AWS_LIMITS.updateIntervalMs * timeScale,
  };
}

/**
 * The least wall time (ms, at time scale 1) AWS's limits allow for `calls` requests of which `updates` are
 * UpdateUsagePlan: the calls beyond the burst at 10/s, and the updates 20 s apart (the first one free), the
 * two phases one after the other (reads come before writes in every scenario measured). `headroom` gives the
 * floor of a client paced that far under the limits (the burst and rate shrink; the update interval does not).
 */
export function floorMs({ calls, updates = 0 }, headroom = 0) {
  const rate = AWS_LIMITS.requestsPerSecond * (1 - headroom);
  const burst = Math.floor(AWS_LIMITS.burst * (1 - headroom));
  const others = Math.max(0, calls - updates);
  const rateMs = (Math.max(0, others - burst) / rate) * 1000;
  const updateMs = Math.max(0, updates - 1) * AWS_LIMITS.updateIntervalMs;
  return rateMs + updateMs;
}
