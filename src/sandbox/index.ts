/**
 * The local AWS sandbox: an API Gateway v1 control-plane emulator speaking the real REST-JSON wire protocol,
 * plus dynalite (DynamoDB) in the same process, SNS (query protocol) under /sns and STS (query protocol) under
 * /sts on the API Gateway port.
 *
 * One sandbox serves every account and region. A request's region is the one of its SigV4 credential scope,
 * its account the one of its access key: the sandbox's own credentials (and any key it did not hand out) are
 * the default account, keys from STS AssumeRole are the role's account. Each account-region has its own API
 * Gateway state, usage, throttle buckets, DynamoDB tables and SNS topics (see tenants.ts, dynamo.ts, sts.ts);
 * it is created on first use, seeded like the default one when the sandbox seeds (`seedAccountRegions`).
 *
 * With `dataDir` everything survives a restart: dynalite keeps its tables there (other account-regions' in
 * subdirectories), and the API Gateway state of every account-region and the SNS topics are saved to
 * `dataDir/apigateway-state.json` before each change is answered (see persist.ts).
 *
 * Not emulated on purpose: SigV4 checks (any credentials are accepted; only a signature scoped to a region name
 * AWS does not have is refused, 403 InvalidSignatureException).
 */

import { mkdirSync } from "node:fs";
import type { IncomingMessage, Server } from "node:http";
import { parseFaults } from "./admin.js";
import { createAdminClient, createStsAdmin } from "./admin-client.js";
import { type DynamoServer, startDynamo, urlHost } from "./dynamo.js";
import { Counters, FaultInjector } from "./faults.js";
import { SandboxIam } from "./iam.js";
import { DataDirLock, StateFile } from "./persist.js";
import { createRouter } from "./routes.js";
import { seedSampleData } from "./seed.js";
import { close, createApiServer, listen } from "./server.js";
import { createSnsAdmin } from "./sns/admin-client.js";
import { SEEDED_TOPIC_NAME, SNS_OPERATIONS, SNS_PATH, SnsState, topicArn } from "./sns/index.js";
import { credentialScope, STS_PATH, StsState } from "./sts.js";
import { Tenants, tenantKey } from "./tenants.js";
import { Throttler } from "./throttle.js";
import type { Sandbox, SandboxDataInfo, SandboxOptions, SeedResult } from "./types.js";

export { STATE_FILE_NAME } from "./persist.js";
export { DEFAULT_LIMITS } from "./state.js";
export { STS_PATH } from "./sts.js";
export type * from "./types.js";

/** The account of the sandbox's own credentials (and of any access key it did not hand out). */
export const DEFAULT_ACCOUNT_ID = "123456789012";

export const SANDBOX_CREDENTIALS = Object.freeze({ accessKeyId: "sandbox", secretAccessKey: "sandbox" });

function checkTimeScale(timeScale: number): number {
  if (!Number.isFinite(timeScale) || timeScale <= 0)
    throw new Error(`timeScale must be > 0, got ${timeScale}`);
  return timeScale;
}

function envOf(
  sb: Omit<Sandbox, "env" | "stop" | "admin" | "sns" | "sts" | "setIamPolicy">,
  snsEndpoint: string,
): Record<string, string> {
  return {
    AWS_ENDPOINT_URL_API_GATEWAY: sb.apigatewayEndpoint,
    ...(sb.dynamodbEndpoint ? { AWS_ENDPOINT_URL_DYNAMODB: sb.dynamodbEndpoint } : {}),
    AWS_ENDPOINT_URL_SNS: snsEndpoint,
    AWS_ENDPOINT_URL_STS: `${sb.apigatewayEndpoint}${STS_PATH}`,
    AWS_REGION: sb.region,
    AWS_ACCESS_KEY_ID: sb.credentials.accessKeyId,
    AWS_SECRET_ACCESS_KEY: sb.credentials.secretAccessKey,
  };
}

interface Emulator {
  server: Server;
  tenants: Tenants;
  sts: StsState;
  data?: SandboxDataInfo;
  lock?: DataDirLock;
}

/** Every account's SNS state (one log of published messages); the default account's exists from the start. */
function snsAccounts(accountId: string, region: string) {
  const byAccount = new Map<string, SnsState>();
  const main = new SnsState(accountId, region);
  byAccount.set(accountId, main);
  const snsFor = (account: string): SnsState => {
    let sns = byAccount.get(account);
    if (!sns) {
      sns = new SnsState(account, region, main.messages);
      byAccount.set(account, sns);
    }
    return sns;
  };
  return { main, snsFor, snsStates: () => [...byAccount.values()] };
}

/** Whether account-regions created on demand get the sample data (default: when the sandbox seeds). */
function seedsNewAccountRegions(opts: SandboxOptions): boolean {
  return opts.seedAccountRegions ?? opts.seed ?? false;
}

/** The emulator, with the state saved in `dataDir` loaded (a UserError when that file is unusable). */
function createEmulator(opts: SandboxOptions, region: string, timeScale: number, iam?: SandboxIam): Emulator {
  const accountId = opts.accountId ?? DEFAULT_ACCOUNT_ID;
  const sns = snsAccounts(accountId, region);
  const seedNew = seedsNewAccountRegions(opts);
  const tenants = new Tenants({
    accountId,
    region,
    ...(opts.listTags ? { listTags: opts.listTags } : {}),
    ...(opts.limits ? { limits: opts.limits } : {}),
    ...(opts.regions ? { regions: opts.regions } : {}),
    onCreate: (t) => {
      if (!seedNew) return;
      seedSampleData(t.state, Date.now());
      sns.snsFor(t.accountId).createTopic(t.region, SEEDED_TOPIC_NAME, new Map(), new Map());
    },
  });
  const sts = new StsState(accountId, opts.roles ?? []);
  const router = createRouter();
  const operations = [...router.operations(), ...SNS_OPERATIONS];
  const faults = new FaultInjector(timeScale);
  if (opts.faults) faults.set(parseFaults(opts.faults, operations));
  const throttler = new Throttler(timeScale, opts.throttling ?? true);
  let stateFile: StateFile | undefined;
  let data: SandboxDataInfo | undefined;
  let lock: DataDirLock | undefined;
  if (opts.dataDir) {
    mkdirSync(opts.dataDir, { recursive: true });
    lock = DataDirLock.acquire(opts.dataDir);
    stateFile = new StateFile(opts.dataDir, { tenants, snsFor: sns.snsFor, snsStates: sns.snsStates });
    let restored: boolean;
    try {
      restored = stateFile.load();
    } catch (err) {
      lock.release();
      throw err;
    }
    const all = tenants.all().map((t) => t.state);
    const sum = (f: (s: (typeof all)[number]) => number) => all.reduce((n, s) => n + f(s), 0);
    const loaded = {
      usagePlans: sum((s) => s.plans.size),
      apiKeys: sum((s) => s.keys.size),
      restApis: sum((s) => s.restApis.size),
      accountRegions: all.length,
    };
    data = { dir: opts.dataDir, stateFile: stateFile.path, restored, loaded };
  }
  const server = createApiServer({
    tenants,
    router,
    throttler,
    faults,
    counters: new Counters(),
    timeScale,
    operations,
    sns: sns.main,
    snsFor: sns.snsFor,
    sts,
    ...(iam ? { iam } : {}),
    ...(stateFile ? { persist: () => stateFile.save() } : {}),
  });
  return { server, tenants, sts, ...(data ? { data } : {}), ...(lock ? { lock } : {}) };
}

/** The account-region a DynamoDB request addresses; undefined for the default one (or an unsigned request). */
function dynamoRoute(tenants: Tenants, sts: StsState) {
  const d = tenants.defaultTenant;
  return (req: IncomingMessage): string | undefined => {
    const scope = credentialScope(req);
    if (!scope || !tenants.serves(scope.region)) return undefined;
    const key = tenantKey(sts.callerOf(scope.accessKeyId).accountId, scope.region);
    return key === d.key ? undefined : key;
  };
}

/** dynalite on port+1 when a port was given, else on dynamoPort or a free port; closes `server` on failure. */
async function startDynamoBeside(
  emulator: Emulator,
  opts: SandboxOptions,
  host: string,
  port: number,
  iam?: SandboxIam,
) {
  const { server } = emulator;
  if (opts.dynamo === false) return undefined;
  try {
    const dynamoPort = opts.dynamoPort ?? (opts.port ? port + 1 : 0);
    return await startDynamo({
      host,
      port: dynamoPort,
      dataDir: opts.dataDir,
      route: dynamoRoute(emulator.tenants, emulator.sts),
      ...(iam ? { iam } : {}),
    });
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
    sts: createStsAdmin(endpoint),
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
      : new SandboxIam({ region, accountId: opts.accountId ?? DEFAULT_ACCOUNT_ID }, opts.iamPolicy);
  const emulator = createEmulator(opts, region, checkTimeScale(opts.timeScale ?? 1), iam);
  const { server, data, lock } = emulator;
  let port: number;
  let dynamo: DynamoServer | undefined;
  try {
    port = await listen(server, opts.port ?? 0, host);
    dynamo = await startDynamoBeside(emulator, opts, host, port, iam);
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
      accountId: opts.accountId ?? DEFAULT_ACCOUNT_ID,
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
