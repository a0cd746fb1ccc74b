/** HTTP client for the `/_sandbox/` admin endpoints. */
import type {
  AccountLimits,
  CallerIdentity,
  FaultConfig,
  SandboxAdmin,
  SandboxStatus,
  SeedResult,
  UsageRecord,
} from "./types.js";

async function call(endpoint: string, method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${endpoint}/_sandbox/${path}`, {
    method,
    headers: body === undefined ? {} : { "content-type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const parsed: unknown = text ? JSON.parse(text) : undefined;
  if (!res.ok) {
    const message =
      typeof parsed === "object" && parsed !== null && "message" in parsed ? String(parsed.message) : text;
    throw new Error(`sandbox admin ${method} /_sandbox/${path} failed (${res.status}): ${message}`);
  }
  return parsed;
}

export function createAdminClient(endpoint: string): SandboxAdmin {
  const send = async (method: string, path: string, body?: unknown) => {
    await call(endpoint, method, path, body);
  };
  return {
    setFaults: (f: Partial<FaultConfig>) => send("PUT", "faults", f),
    resetFaults: () => send("DELETE", "faults"),
    counters: async () => (await call(endpoint, "GET", "counters")) as Record<string, number>,
    resetCounters: () => send("DELETE", "counters"),
    recordUsage: (u: UsageRecord) => send("POST", "usage", u),
    setThrottling: (on: boolean) => send("PUT", "throttling", { enabled: on }),
    reset: () => send("POST", "reset"),
    identity: async () => (await call(endpoint, "GET", "identity")) as CallerIdentity,
    status: async () => (await call(endpoint, "GET", "status")) as SandboxStatus,
    setLimits: (l: Partial<AccountLimits>) => send("PUT", "limits", l),
    seed: async () => (await call(endpoint, "POST", "seed")) as SeedResult,
  };
}
