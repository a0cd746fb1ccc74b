/**
 * Memory benchmark: N usage plans + N API keys (key i in plan i) created through the HTTP API with throttling
 * off, then the process's RSS and heap are measured. The figures include the HTTP client in the same process,
 * so they over-state the emulator's own footprint. Run with `node --expose-gc` for steadier numbers.
 */
import { Agent, request } from "node:http";
import { startSandbox } from "./index.js";

export interface MemoryBenchOptions {
  /** Plans and keys to create (default 10,000 each). */
  count?: number;
  /** Requests in flight at once (default 16). */
  concurrency?: number;
}

export interface MemoryBenchResult {
  plans: number;
  keys: number;
  durationMs: number;
  baselineRssBytes: number;
  baselineHeapUsedBytes: number;
  rssBytes: number;
  heapUsedBytes: number;
  rssMB: number;
  heapUsedMB: number;
}

const MB = 1024 * 1024;

function measure(): NodeJS.MemoryUsage {
  (globalThis as { gc?: () => void }).gc?.();
  return process.memoryUsage();
}

/** POST JSON with node:http (lighter than fetch, so the client adds little to the figures); returns `id`. */
function post(agent: Agent, url: string, body: unknown): Promise<string> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: "POST", agent, headers: { "content-type": "application/json" } },
      (res) => {
        let data = "";
        res.setEncoding("utf8");
        res.on("data", (chunk: string) => {
          data += chunk;
        });
        res.on("end", () => {
          const parsed = JSON.parse(data) as { id?: string; message?: string };
          if (res.statusCode === 201 && parsed.id) resolve(parsed.id);
          else reject(new Error(`POST ${url} failed (${res.statusCode}): ${parsed.message ?? ""}`));
        });
      },
    );
    req.on("error", reject);
    req.end(text);
  });
}

/** Run `task(i)` for i in 0..count-1 with at most `concurrency` in flight. */
async function pool(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export async function benchMemory(opts: MemoryBenchOptions = {}): Promise<MemoryBenchResult> {
  const count = opts.count ?? 10_000;
  const sb = await startSandbox({
    throttling: false,
    dynamo: false,
    limits: { usagePlans: count, apiKeys: count },
  });
  const concurrency = opts.concurrency ?? 16;
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  try {
    const baseline = measure();
    const start = performance.now();
    const base = sb.apigatewayEndpoint;
    await pool(count, concurrency, async (i) => {
      const planId = await post(agent, `${base}/usageplans`, {
        name: `plan-${i}`,
        description: `benchmark plan ${i}`,
        throttle: { rateLimit: 100, burstLimit: 200 },
        quota: { limit: 100_000, period: "MONTH" },
        tags: { owner: "bench" },
      });
      const keyId = await post(agent, `${base}/apikeys`, {
        name: `key-${i}`,
        enabled: true,
        customerId: `customer-${i}`,
      });
      await post(agent, `${base}/usageplans/${planId}/keys`, { keyId, keyType: "API_KEY" });
    });
    const durationMs = performance.now() - start;
    const after = measure();
    return {
      plans: count,
      keys: count,
      durationMs: Math.round(durationMs),
      baselineRssBytes: baseline.rss,
      baselineHeapUsedBytes: baseline.heapUsed,
      rssBytes: after.rss,
      heapUsedBytes: after.heapUsed,
      rssMB: Math.round((after.rss / MB) * 10) / 10,
      heapUsedMB: Math.round((after.heapUsed / MB) * 10) / 10,
    };
  } finally {
    agent.destroy();
    await sb.stop();
  }
}
