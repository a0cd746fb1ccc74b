/**
 * The local AWS sandbox: an API Gateway v1 control-plane emulator speaking the real REST-JSON wire protocol,
 * plus dynalite (DynamoDB) in the same process, and SNS (query protocol) on the API Gateway port under /sns.
 *
 * With `dataDir` everything an account holds survives a restart: dynalite keeps its tables there, and the API
 * Gateway state (plans, keys, usage-plan keys, REST APIs and stages, usage, the id sequence) and the SNS topics
 * are saved to `dataDir/apigateway-state.json` before each change is answered (see persist.ts).
 *
 * Not emulated on purpose: SigV4 checks (any credentials are accepted; only a signature scoped to another region
 * is refused, 403 InvalidSignatureException).
 */

import { mkdirSync } from "node:fs";
import type { Server } from "node:http";
import { parseFaults } from "./admin.js";
import { createAdminClient } from "./admin-client.js";
import { type DynamoServer, startDynamo, urlHost } from "./dynamo.js";
import { Counters, FaultInjector } from "./faults.js";
import { SandboxIam } from "./iam.js";
import { DataDirLock, StateFile } from "./persist.js";
import { createRouter } from "./routes.js";
import { close, createApiServer, listen } from "./server.js";
import { createSnsAdmin } from "./sns/admin-client.js";
import { SEEDED_TOPIC_NAME, SNS_OPERATIONS, SNS_PATH, SnsState, topicArn } from "./sns/index.js";
import { SandboxState } from "./state.js";
import { Throttler } from "./throttle.js";
import type { Sandbox, SandboxDataInfo, SandboxOptions, SeedResult } from "./types.js";

export { STATE_FILE_NAME } from "./persist.js";
export { DEFAULT_LIMITS } from "./state.js";
export type * from "./types.js";

export const SANDBOX_CREDENTIALS = Object.freeze({ accessKeyId: "sandbox", secretAccessKey: "sandbox" });

function checkTimeScale(timeScale: number): number {
  if (!Number.isFinite(timeScale) || timeScale <= 0)
    throw new Error(`timeScale must be > 0, got ${timeScale}`);
  return timeScale;
}

function envOf(
  sb: Omit<Sandbox, "env" | "stop" | "admin" | "sns" | "setIamPolicy">,
  snsEndpoint: string,
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_API_GATEWAY: sb.apigatewayEndpoint,
    ...(sb.dynamodbEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: sb.dynamodbEndpoint } : {}),
    AWS_ENDPOINT_URL_SNS: snsEndpoint,
    AWS_REGION: sb.region,
    AWS_ACCESS_KEY_ID: sb.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.credentials.secretAccessKey,
  };
}

interface Emulator {
  server: Server;
  data?: SandboxDataInfo;
  lock?: DataDirLock;
}

/** The emulator, with the state saved in `dataDir` loaded (a UserError when that file is unusable). */
function createEmulator(opts: SandboxOptions, region: string, timeScale: number, iam?: SandboxIam): Emulator {
  const accountId = opts.accountId ?? "123456789012";
  const state = new SandboxState(
    {
      accountId,
      region,
      ...(opts.listTags ? { listTags: opts.listTags } : {}),
    },
    opts.limits,
  );
  const router = createRouter();
  const operations = [...router.operations(), ...SNS_OPERATIONS];
  const faults = new FaultInjector(timeScale);
  if (opts.faults) faults.set(parseFaults(opts.faults, operations));
  const throttler = new Throttler(timeScale, opts.throttling ?? true);
  const sns = new SnsState(accountId, region);
  let stateFile: StateFile | undefined;
  let data: SandboxDataInfo | undefined;
  let lock: DataDirLock | undefined;
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    lock = DataDirLock.acquire(opts.dataDir);
    stateFile = new StateFile(opts.dataDir, state, sns);
    let restored: boolean;
    try {
      restored = stateFile.load();
    } catch (err) {
      lock.release();
      throw err;
    }
    const loaded = { usagePlans: state.plans.size, apiKeys: state.keys.size, restApis: state.restApis.size };
    data = { dir: opts.dataDir, stateFile: stateFile.path, restored, loaded };
  }
  const server = createApiServer({
    state,
    router,
    throttler,
    faults,
    counters: new Counters(),
    timeScale,
    operations,
    sns,
    ...(iam ? { iam } : {}),
    ...(stateFile ? { persist: () => stateFile.save() } : {}),
  });
  return { server, ...(data ? { data } : {}), ...(lock ? { lock } : {}) };
}

/** dynalite on port+1 when a port was given, else on dynamoPort or a free port; closes `server` on failure. */
async function startDynamoBeside(
  server: Server,
  opts: SandboxOptions,
  host: string,
  port: number,
  iam?: SandboxIam,
) {
  if (opts.dynamo === false) return undefined;
  try {
    const dynamoPort = opts.dynamoPort ?? (opts.port ? port + 1 : 0);
    return await startDynamo({ host, port: dynamoPort, dataDir: opts.dataDir, ...(iam ? { iam } : {}) });
  } catch (err) {
    await close(server);
    throw err;
  }
}

function sandboxOf(
  server: Server,
  dynamo: DynamoServer | undefined,
  endpoint: string,
  opts: { region: string; accountId: string; data?: SandboxDataInfo; lock?: DataDirLock },
  iam?: SandboxIam,
): Sandbox {
  const { region } = opts;
  const base = { apigatewayEndpoint: endpoint, dynamodbEndpoint: dynamo?.endpoint, region };
  const info = { ...base, credentials: { ...SANDBOX_CREDENTIALS } };
  const sns = createSnsAdmin(
    endpoint,
    `${endpoint}${SNS_PATH}`,
    topicArn(region, opts.accountId, SEEDED_TOPIC_NAME),
  );
  let stopped: Promise<void> | undefined;
  return {
    ...info,
    ...(opts.data ? { data: { ...opts.data } } : {}),
    admin: createAdminClient(endpoint),
    sns,
    env: () => envOf(info, sns.endpoint),
    setIamPolicy: (doc) => {
      if (!iam)
        throw new Error("This sandbox was started without an IAM policy (startSandbox({ iamPolicy })).");
      iam.setPolicy(doc);
    },
    stop: () => {
      stopped ??= Promise.all([close(server), dynamo?.stop()]).then(() => opts.lock?.release());
      return stopped;
    },
  };
}

/** Start the emulator (and dynalite unless `dynamo: false`) on loopback. */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
  const host = opts.host ?? "127.0.0.1";
  const region = opts.region ?? "us-east-1";
  const iam =
    opts.iamPolicy === undefined
      ? undefined
      : new SandboxIam({ region, accountId: opts.accountId ?? "123456789012" }, opts.iamPolicy);
  const { server, data, lock } = createEmulator(opts, region, checkTimeScale(opts.timeScale ?? 1), iam);
  let port: number;
  let dynamo: DynamoServer | undefined;
  try {
    port = await listen(server, opts.port ?? 0, host);
    dynamo = await startDynamoBeside(server, opts, host, port, iam);
  } catch (err) {
    lock?.release();
    throw err;
  }
  const sandbox = sandboxOf(
    server,
    dynamo,
    `http://${urlHost(host)}:${port}`,
    {
      region,
      accountId: opts.accountId ?? "123456789012",
      ...(data ? { data } : {}),
      ...(lock ? { lock } : {}),
    },
    iam,
  );
  // A restored account is never seeded again (it would get a second weather-api).
  if (opts.seed && !data?.restored) await seedSample(sandbox);
  return sandbox;
}

/** Seed weather-api (stages dev and prod, four methods) and three API keys; returns their ids. */
export function seedSample(sb: Sandbox): Promise<SeedResult> {
  return sb.admin.seed();
}
