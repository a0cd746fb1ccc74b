/** HTTP client for the `/_sandbox/` admin endpoints. */
import { STS_PATH } from "./sts.js";
import type {
  AccountLimits,
  CallerIdentity,
  FaultConfig,
  RoleRule,
  SandboxAdmin,
  SandboxStatus,
  SandboxSts,
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

export function createAdminClient(endpoint: string, query = ""): SandboxAdmin {
  const send = async (method: string, path: string, body?: unknown) => {
    await call(endpoint, method, `${path}${query}`, body);
  };
  const get = (method: string, path: string) => call(endpoint, method, `${path}${query}`);
  return {
    setFaults: (f: Partial<FaultConfig>) => send("PUT", "faults", f),
    resetFaults: () => send("DELETE", "faults"),
    counters: async () => (await get("GET", "counters")) as Record<string, number>,
    resetCounters: () => send("DELETE", "counters"),
    recordUsage: (u: UsageRecord) => send("POST", "usage", u),
    setThrottling: (on: boolean) => send("PUT", "throttling", { enabled: on }),
    setRegions: (regions: string[] | null) => send("PUT", "regions", { regions }),
    reset: () => send("POST", "reset"),
    identity: async () => (await get("GET", "identity")) as CallerIdentity,
    status: async () => (await get("GET", "status")) as SandboxStatus,
    setLimits: (l: Partial<AccountLimits>) => send("PUT", "limits", l),
    seed: async () => (await get("POST", "seed")) as SeedResult,
    at: (where) => {
      const q = new URLSearchParams();
      if (where.account !== undefined) q.set("account", where.account);
      if (where.region !== undefined) q.set("region", where.region);
      const text = q.toString();
      return createAdminClient(endpoint, text ? `?${text}` : "");
    },
  };
}

/** The STS role rules (`/_sandbox/sts/roles`). */
export function createStsAdmin(endpoint: string): SandboxSts {
  return {
    endpoint: `${endpoint}${STS_PATH}`,
    setRole: async (rule: RoleRule) => {
      await call(endpoint, "PUT", "sts/roles", rule);
    },
    roles: async () => (await call(endpoint, "GET", "sts/roles")) as RoleRule[],
    resetRoles: async () => {
      await call(endpoint, "DELETE", "sts/roles");
    },
  };
}
