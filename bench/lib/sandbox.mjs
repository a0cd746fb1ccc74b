// The time-scaled sandbox started in this process from the built code (dist/), with counting proxies in
// front of its API Gateway endpoint (answers by status: the 429s a client received) and of dynalite
// (DynamoDB calls by operation).

import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ROOT } from "./cli.mjs";
import { countingProxy, dynamoOperation } from "./proxy.mjs";

/**
 * startSandbox() from dist/sandbox/index.js, plus proxies; `env()` points a child upg at the proxies. With
 * `scaleRetryAfter`, the API Gateway proxy time-scales the sandbox's Retry-After (see countingProxy).
 */
export async function startBenchSandbox(opts, { scaleRetryAfter = false } = {}) {
  const mod = await import(pathToFileURL(join(ROOT, "dist", "sandbox", "index.js")).href);
  const sb = await mod.startSandbox(opts);
  const gateway = await countingProxy(
    sb.apigatewayEndpoint,
    () => "request",
    scaleRetryAfter ? { timeScale: opts.timeScale ?? 1 } : {},
  );
  const dynamo = await countingProxy(sb.dynamodbEndpoint, dynamoOperation);
  return {
    sb,
    gateway,
    dynamo,
    defaultAccountId: mod.DEFAULT_ACCOUNT_ID,
    /** Environment for a child upg: the sandbox's credentials and region, endpoints through the proxies. */
    env: () => ({
      ...sb.env(),
      AWS_ENDPOINT_URL_API_GATEWAY: gateway.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_STS: `${gateway.endpoint}${mod.STS_PATH}`,
    }),
    /** Zero the sandbox's call counters (every account-region) and both proxies' counts. */
    async resetCounts() {
      await sb.admin.resetCounters();
      gateway.reset();
      dynamo.reset();
    },
    async stop() {
      await dynamo.close();
      await gateway.close();
      await sb.stop();
    },
  };
}

/** Create API keys by name in the sandbox's default account-region (set-up: call with throttling off). */
export async function createApiKeys(endpoint, names, inFlight = 16) {
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const name = names[next++];
      const res = await fetch(`${endpoint}/apikeys`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name, enabled: true, customerId: name }),
      });
      if (res.status !== 201) throw new Error(`creating API key ${name}: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
}

/** Run `fn` over `items` with at most `n` at once; results in order. */
export async function mapLimit(items, n, fn) {
  const out = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(n, items.length)) }, worker));
  return out;
}
