/**
 * The sandbox's API Gateway state of every account-region (plans, API keys, usage-plan keys, REST APIs with their resources, deployments
 * and stages, usage counters and quota extensions, the id sequence) and its SNS topics, kept in one JSON file in
 * the `dataDir` beside dynalite's tables (version 2; a version 1 file, from when the sandbox served one
 * account-region, is loaded as the default account-region).
 *
 * Guarantee: the file is rewritten after every request that changed something and BEFORE that request is
 * answered, atomically (a temporary file in the same directory, fsync, rename). A client that saw a 2xx keeps
 * that change across a crash or `kill -9` of the sandbox; a request the sandbox never answered may or may not be
 * kept. Requests that change nothing (reads, and every failed request: failures leave the state untouched) do
 * not write. Not kept: throttle buckets, faults, counters, account limits and published SNS messages (they are
 * test controls, set again by whoever starts the sandbox). When the file cannot be written (disk full, permissions)
 * the request is answered 500 InternalFailure saying so: the change is then in memory but not on disk.
 *
 * Cost: only with `dataDir` (without it nothing here runs). Each change rewrites the whole file: about 1.2 MB
 * and 20–40 ms for an account of 300 plans × 20 keys, so a large apply against a persistent sandbox is slower
 * than against an in-memory one; reads cost nothing extra.
 *
 * A file that cannot be read or does not hold a saved state is a startup error naming the file; it is never
 * replaced by an empty state. One sandbox at a time uses a directory (`sandbox.lock`, see DataDirLock).
 */
import {
  closeSync,
  fsyncSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { UserError } from "../errors.js";
import { fail } from "./errors.js";
import type { SnsState, SnsTopic } from "./sns/state.js";
import type { ApiKey, RestApi, SandboxState, UsagePlan } from "./state.js";
import type { Tenants } from "./tenants.js";

/** The state file's name inside the data directory (dynalite's LevelDB files ignore it). */
export const STATE_FILE_NAME = "apigateway-state.json";
/** Held (with the holder's pid) while a sandbox uses the data directory. */
export const LOCK_FILE_NAME = "sandbox.lock";

const FORMAT = "upg-sandbox-state";
/** 2: every account-region of the sandbox (1: its only one, still loaded). */
const VERSION = 2;

/** Maps are written as `{"$map": [[key, value], …]}`, so keys such as "__proto__" survive. */
function mapJson(m: ReadonlyMap<unknown, unknown>): { $map: unknown[] } {
  return { $map: [...m].map(([k, v]) => [k, plain(v)]) };
}

/** `value` with every Map (at any depth) in its `$map` form: what JSON.stringify can write as is. */
function plain(value: unknown): unknown {
  if (value instanceof Map) return mapJson(value);
  if (Array.isArray(value)) return value.map(plain);
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

// Plans and keys are the bulk of a large account (300 plans × 20 keys): they are converted field by field,
// which is several times faster than a JSON.stringify replacer called for every value.
const planJson = (p: UsagePlan) => ({
  ...p,
  apiStages: p.apiStages.map((st) => ({ ...st, throttle: mapJson(st.throttle) })),
  tags: mapJson(p.tags),
});
const keyJson = (k: ApiKey) => ({ ...k, tags: mapJson(k.tags) });

function reviver(_key: string, value: unknown): unknown {
  if (typeof value === "object" && value !== null && !Array.isArray(value)) {
    const entries = (value as { $map?: unknown }).$map;
    if (Object.keys(value).length === 1 && Array.isArray(entries)) {
      return new Map(entries as Array<[unknown, unknown]>);
    }
  }
  return value;
}

const map = z.instanceof(Map);
const seq = z.number().int().min(0);

const planSchema = z.looseObject({
  seq,
  id: z.string().min(1),
  name: z.string(),
  apiStages: z.array(z.looseObject({ apiId: z.string(), stage: z.string(), throttle: map })),
  tags: map,
});
const keySchema = z.looseObject({
  seq,
  id: z.string().min(1),
  value: z.string().min(1),
  enabled: z.boolean(),
  stageKeys: z.array(z.string()),
  tags: map,
});
const restApiSchema = z.looseObject({
  seq,
  id: z.string().min(1),
  name: z.string(),
  resources: map,
  deployments: map,
  stages: map,
  tags: map,
});
const topicSchema = z.looseObject({
  arn: z.string(),
  name: z.string(),
  region: z.string(),
  attributes: map,
  tags: map,
});

/** One account-region's API Gateway state. */
const accountRegionFields = {
  accountId: z.string(),
  region: z.string(),
  seq,
  plans: z.array(planSchema),
  keys: z.array(keySchema),
  /** planId → [keyId, membership seq] in membership order. */
  planKeys: z.array(z.tuple([z.string(), z.array(z.tuple([z.string(), seq]))])),
  restApis: z.array(restApiSchema),
  /** "{planId} {keyId}" → [epoch day, requests]. */
  usage: z.array(z.tuple([z.string(), z.array(z.tuple([z.number().int(), z.number().int().min(0)]))])),
  extensions: z.array(z.tuple([z.string(), z.number()])),
};
const accountRegionSchema = z.strictObject(accountRegionFields);

/** Version 1: one account-region (the sandbox's only one). Still loaded. */
const snapshotV1Schema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(1),
  savedAt: z.string(),
  ...accountRegionFields,
  snsTopics: z.array(topicSchema),
});

/** Version 2: every account-region; `accountId` and `region` are the sandbox's default ones. */
const snapshotSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.literal(VERSION),
  savedAt: z.string(),
  accountId: z.string(),
  region: z.string(),
  accountRegions: z.array(accountRegionSchema),
  /** Every account's topics (the account is in each ARN). */
  snsTopics: z.array(topicSchema),
});

type Snapshot = z.infer<typeof snapshotSchema>;
type AccountRegionSnapshot = z.infer<typeof accountRegionSchema>;

/** What the state file holds: every account-region, and the SNS topics of every account. */
export interface PersistedSandbox {
  tenants: Tenants;
  /** The SNS state of every account that has one. */
  snsStates(): SnsState[];
  /** The SNS state of an account (created when missing). */
  snsFor(accountId: string): SnsState;
}

function accountRegionJson(state: SandboxState) {
  return {
    accountId: state.config.accountId,
    region: state.config.region,
    seq: state.lastSeq,
    plans: [...state.plans.values()].map(planJson),
    keys: [...state.keys.values()].map(keyJson),
    planKeys: [...state.planKeys].map(([planId, keys]) => [planId, [...keys]]),
    restApis: [...state.restApis.values()].map(plain),
    usage: [...state.usage].map(([k, days]) => [k, [...days]]),
    extensions: [...state.extensions],
  };
}

/** The whole sandbox as the JSON text of the file. */
export function serializeState(sandbox: PersistedSandbox, now: Date): string {
  const d = sandbox.tenants.defaultTenant;
  const snapshot = {
    format: FORMAT,
    version: VERSION,
    savedAt: now.toISOString(),
    accountId: d.accountId,
    region: d.region,
    accountRegions: sandbox.tenants.all().map((t) => accountRegionJson(t.state)),
    snsTopics: sandbox.snsStates().flatMap((sns) => sns.allTopics().map(plain)),
  };
  return JSON.stringify(snapshot);
}

function parseSnapshot(text: string): Snapshot {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text, reviver);
  } catch (err) {
    throw new Error(`not valid JSON (${(err as Error).message})`);
  }
  const version = (parsed as { version?: unknown } | null)?.version;
  const result = (version === 1 ? snapshotV1Schema : snapshotSchema).safeParse(parsed);
  if (result.success) {
    if (result.data.version === VERSION) return result.data;
    const { format, savedAt, accountId, region, snsTopics, ...rest } = result.data;
    const accountRegion = { accountId, region, ...rest };
    return {
      format,
      version: VERSION,
      savedAt,
      accountId,
      region,
      accountRegions: [accountRegion],
      snsTopics,
    };
  }
  const first = result.error.issues[0];
  throw new Error(
    `not a saved sandbox state (${first ? `${first.path.join(".") || "top level"}: ${first.message}` : "invalid"})`,
  );
}

function highestSeq(s: AccountRegionSnapshot): number {
  const seqs = [
    s.seq,
    ...s.plans.map((p) => p.seq),
    ...s.keys.map((k) => k.seq),
    ...s.restApis.map((a) => a.seq),
    ...s.planKeys.flatMap(([, keys]) => keys.map(([, n]) => n)),
  ];
  return Math.max(0, ...seqs);
}

/** Replace the (fresh) state with the snapshot's; the derived indexes are rebuilt. */
function restore(state: SandboxState, s: AccountRegionSnapshot): void {
  state.reset();
  for (const p of s.plans) state.plans.set(p.id, p as unknown as UsagePlan);
  for (const k of s.keys) {
    state.keys.set(k.id, k as unknown as ApiKey);
    state.keyIdByValue.set(k.value, k.id);
  }
  for (const a of s.restApis) state.restApis.set(a.id, a as unknown as RestApi);
  for (const [planId, keys] of s.planKeys) {
    if (!state.plans.has(planId)) continue;
    const members = new Map<string, number>();
    for (const [keyId, n] of keys) {
      if (!state.keys.has(keyId)) continue;
      members.set(keyId, n);
      let plans = state.keyPlans.get(keyId);
      if (!plans) {
        plans = new Set();
        state.keyPlans.set(keyId, plans);
      }
      plans.add(planId);
    }
    state.planKeys.set(planId, members);
  }
  for (const [k, days] of s.usage) state.usage.set(k, new Map(days));
  for (const [k, v] of s.extensions) state.extensions.set(k, v);
  state.continueSeqAfter(highestSeq(s));
}

/** Topics grouped by the account in their ARN. */
function topicsByAccount(topics: readonly SnsTopic[]): Map<string, SnsTopic[]> {
  const out = new Map<string, SnsTopic[]>();
  for (const t of topics) {
    const account = t.arn.split(":")[4] ?? "";
    out.set(account, [...(out.get(account) ?? []), t]);
  }
  return out;
}

function readError(file: string, why: string): UserError {
  return new UserError(`Cannot load the sandbox state from ${file}: ${why}.`, {
    hint:
      "Nothing was changed. Restore the file from a backup, or move it away to start this directory's API " +
      "Gateway account afresh (its DynamoDB tables are kept), or start with another --data directory.",
  });
}

/** The sandbox's state file: loaded once at start, saved after every change. */
export class StateFile {
  readonly path: string;
  private readonly tmpPath: string;

  constructor(
    dataDir: string,
    private readonly sandbox: PersistedSandbox,
  ) {
    this.path = join(dataDir, STATE_FILE_NAME);
    this.tmpPath = `${this.path}.tmp-${process.pid}`;
  }

  /**
   * Load the saved state, if any. Returns false when there is no file yet (a new data directory), true when
   * the state was restored; throws a UserError naming the file when it cannot be read or is not a saved state,
   * or was saved for another region or account.
   */
  load(): boolean {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw readError(this.path, (err as Error).message);
    }
    let snapshot: Snapshot;
    try {
      snapshot = parseSnapshot(text);
    } catch (err) {
      throw readError(this.path, (err as Error).message);
    }
    const { accountId, region } = this.sandbox.tenants.defaultTenant;
    if (snapshot.region !== region || snapshot.accountId !== accountId) {
      throw new UserError(
        `The sandbox state in ${this.path} belongs to region ${snapshot.region}, account ${snapshot.accountId}; ` +
          `this sandbox serves region ${region}, account ${accountId}.`,
        { hint: `Start it with --region ${snapshot.region}, or use another --data directory.` },
      );
    }
    for (const ar of snapshot.accountRegions) {
      restore(this.sandbox.tenants.create(ar.accountId, ar.region).state, ar);
    }
    for (const [account, topics] of topicsByAccount(snapshot.snsTopics as unknown as SnsTopic[])) {
      this.sandbox.snsFor(account).restoreTopics(topics);
    }
    return true;
  }

  /** Write the whole state atomically: temporary file, fsync, rename over the old file. */
  save(): void {
    const text = serializeState(this.sandbox, new Date());
    try {
      const fd = openSync(this.tmpPath, "w", 0o600);
      try {
        writeSync(fd, text);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(this.tmpPath, this.path);
    } catch (err) {
      rmSync(this.tmpPath, { force: true });
      throw err;
    }
  }
}

/** Saved before the answer is sent, so a change the client saw acknowledged survives a crash of the sandbox. */
export function persistOrFail(deps: { persist?: () => void }): void {
  if (!deps.persist) return;
  try {
    deps.persist();
  } catch (err) {
    fail("InternalFailure", `The sandbox could not save its state: ${(err as Error).message}`);
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

function heldBy(path: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(path, "utf8"), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * One sandbox per data directory: two would overwrite each other's state file. The lock file holds the pid of
 * the sandbox using the directory; a lock whose process is gone (a sandbox killed with -9) is taken over.
 */
export class DataDirLock {
  private constructor(readonly path: string) {}

  static acquire(dataDir: string): DataDirLock {
    const path = join(dataDir, LOCK_FILE_NAME);
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        writeFileSync(path, `${process.pid}\n`, { flag: "wx", mode: 0o600 });
        return new DataDirLock(path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "EEXIST") {
          throw new UserError(`Cannot lock the sandbox data directory ${dataDir}: ${(err as Error).message}`);
        }
      }
      const pid = heldBy(path);
      if (pid !== undefined && isRunning(pid)) {
        throw new UserError(
          `The sandbox data directory ${dataDir} is in use by another sandbox (process ${pid}).`,
          {
            hint: "Stop that sandbox first, or start this one with another --data directory.",
          },
        );
      }
      rmSync(path, { force: true }); // left by a sandbox that is gone
    }
    throw new UserError(`Cannot lock the sandbox data directory ${dataDir}: ${path} keeps coming back.`);
  }

  release(): void {
    if (heldBy(this.path) === process.pid) rmSync(this.path, { force: true });
  }
}
