// A real sandbox per test file (API Gateway only, AWS's throttles ×100 faster) and a gateway paced the same way.
// Fixtures the gateway cannot create (API keys, REST APIs) are made with the SDK directly.

import { APIGatewayClient, CreateApiKeyCommand, CreateRestApiCommand } from "@aws-sdk/client-api-gateway";
import { createLiveGateway } from "../../src/live/gateway.js";
import type { LiveGateway, LiveReadScope } from "../../src/live/types.js";
import type { PacingLimits } from "../../src/model/spec.js";
import { type Sandbox, type SeedResult, seedSample, startSandbox } from "../../src/sandbox/index.js";

export const OWNER_TAG = "upg:plan-id";
export const TIME_SCALE = 0.01;
/**
 * AWS's control-plane limits with time ×100 faster, matching the sandbox's time scale: the rate and the
 * UpdateUsagePlan interval scale, the burst (a number of tokens) does not. Paced 10% under, like the default.
 */
export const PACING: PacingLimits = {
  requests_per_second: 1000,
  burst: 40,
  update_usage_plan_interval_ms: 200,
  concurrency: 8,
  headroom: 0.1,
};

export interface GatewaySandbox {
  sb: Sandbox;
  seed: SeedResult;
  /** A gateway on the sandbox, destroyed by stop(). */
  gateway(opts?: { pageSize?: number; maxAttempts?: number; pacing?: Partial<PacingLimits> }): LiveGateway;
  createApiKeys(names: string[]): Promise<string[]>;
  createRestApi(name: string): Promise<string>;
  stop(): Promise<void>;
}

export function scope(overrides: Partial<LiveReadScope> = {}): LiveReadScope {
  return { ownershipTagKey: OWNER_TAG, recordIds: [], apiIds: [], apiNames: [], ...overrides };
}

export async function startGatewaySandbox(): Promise<GatewaySandbox> {
  const sb = await startSandbox({ timeScale: TIME_SCALE, dynamo: false });
  const seed = await seedSample(sb);
  const opened: Array<{ destroy(): void }> = [];
  const target = { region: sb.region, endpoint: sb.apigatewayEndpoint, credentials: sb.credentials };
  const sdk = new APIGatewayClient({ ...target, maxAttempts: 5 });
  opened.push(sdk);
  return {
    sb,
    seed,
    gateway: (opts = {}) => {
      const gw = createLiveGateway({
        target: { ...target, maxAttempts: opts.maxAttempts ?? 3 },
        pacing: { ...PACING, ...opts.pacing },
        ...(opts.pageSize ? { pageSize: opts.pageSize } : {}),
      });
      opened.push(gw);
      return gw;
    },
    createApiKeys: async (names) => {
      const ids: string[] = [];
      for (const name of names) {
        const key = await sdk.send(new CreateApiKeyCommand({ name, enabled: ids.length % 2 === 0 }));
        ids.push(key.id ?? "");
      }
      return ids;
    },
    createRestApi: async (name) => (await sdk.send(new CreateRestApiCommand({ name }))).id ?? "",
    stop: async () => {
      for (const x of opened) x.destroy();
      await sb.stop();
    },
  };
}
