// startSandbox({ dataDir }): the API Gateway state and SNS topics survive a restart, every acknowledged change
// is on disk before its answer, and an unusable state file is a clear startup error (never a silent reset).
import { spawnSync } from "node:child_process";
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  type APIGatewayClient,
  CreateApiKeyCommand,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  GetApiKeysCommand,
  GetResourcesCommand,
  GetRestApisCommand,
  GetStagesCommand,
  GetTagsCommand,
  GetUsageCommand,
  GetUsagePlanKeysCommand,
  GetUsagePlansCommand,
  UpdateUsageCommand,
} from "@aws-sdk/client-api-gateway";
import { CreateTopicCommand, ListTopicsCommand, SNSClient } from "@aws-sdk/client-sns";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { type SandboxOptions, STATE_FILE_NAME, startSandbox } from "../../src/sandbox/index.js";
import { LOCK_FILE_NAME } from "../../src/sandbox/persist.js";
import {
  createApiWithStages,
  expectApiError,
  rejectionOf,
  startTestSandbox,
  stopTestSandbox,
  type TestSandbox,
  todayUtc,
} from "./helpers.js";

const dirs: string[] = [];
let running: TestSandbox | undefined;

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "upg-sandbox-data-"));
  dirs.push(d);
  return d;
}

async function start(dataDir: string, opts: SandboxOptions = {}): Promise<TestSandbox> {
  running = await startTestSandbox({ dataDir, ...opts });
  return running;
}

async function stop(): Promise<void> {
  await stopTestSandbox(running);
  running = undefined;
}

afterEach(stop);

/** Temporary files left in the directory (an atomic save leaves none). */
function leftoverTemps(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.includes(".tmp-"));
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Everything a client can read about the account, in a comparable form. */
async function account(client: APIGatewayClient, region: string) {
  const plans = (await client.send(new GetUsagePlansCommand({ limit: 500 }))).items ?? [];
  const keys = (await client.send(new GetApiKeysCommand({ limit: 500, includeValues: true }))).items ?? [];
  const apis = (await client.send(new GetRestApisCommand({ limit: 500 }))).items ?? [];
  const members: Record<string, unknown> = {};
  const usage: Record<string, unknown> = {};
  const planTags: Record<string, unknown> = {};
  for (const p of plans) {
    members[p.id ?? ""] = (await client.send(new GetUsagePlanKeysCommand({ usagePlanId: p.id }))).items;
    usage[p.id ?? ""] = (
      await client.send(
        new GetUsageCommand({ usagePlanId: p.id, startDate: todayUtc(-1), endDate: todayUtc() }),
      )
    ).items;
    const arn = `arn:aws:apigateway:${region}::/usageplans/${p.id}`;
    planTags[p.id ?? ""] = (await client.send(new GetTagsCommand({ resourceArn: arn }))).tags;
  }
  const stages: Record<string, unknown> = {};
  const resources: Record<string, unknown> = {};
  for (const a of apis) {
    stages[a.id ?? ""] = (await client.send(new GetStagesCommand({ restApiId: a.id }))).item;
    resources[a.id ?? ""] = (
      await client.send(new GetResourcesCommand({ restApiId: a.id, limit: 500 }))
    ).items;
  }
  return { plans, keys, apis, members, usage, planTags, stages, resources };
}

/** A REST API with stages, two plans (stages, throttles, quota, tags), keys in plans, usage and an extension. */
async function populate(t: TestSandbox) {
  const { client } = t;
  const api = await createApiWithStages(client, ["dev", "prod"], "kept-api");
  const gold = await client.send(
    new CreateUsagePlanCommand({
      name: "gold",
      description: "for partners",
      throttle: { rateLimit: 50, burstLimit: 100 },
      quota: { limit: 1000, period: "DAY", offset: 0 },
      apiStages: [
        { apiId: api.apiId, stage: "prod", throttle: { "/pets/GET": { rateLimit: 5, burstLimit: 10 } } },
      ],
      tags: { team: "payments", "upg:plan-id": "gold" },
    }),
  );
  const free = await client.send(
    new CreateUsagePlanCommand({ name: "free", apiStages: [{ apiId: api.apiId, stage: "dev" }] }),
  );
  const keyIds: string[] = [];
  for (const [i, name] of ["alpha", "beta", "gamma"].entries()) {
    const key = await client.send(
      new CreateApiKeyCommand({
        name,
        enabled: i !== 2,
        customerId: `cust-${name}`,
        description: `${name} key`,
        ...(i === 0 ? { value: "AlphaValue0123456789abcdef" } : {}),
        tags: { owner: name },
      }),
    );
    keyIds.push(key.id ?? "");
  }
  await client.send(
    new CreateUsagePlanKeyCommand({ usagePlanId: gold.id, keyId: keyIds[0], keyType: "API_KEY" }),
  );
  await client.send(
    new CreateUsagePlanKeyCommand({ usagePlanId: gold.id, keyId: keyIds[1], keyType: "API_KEY" }),
  );
  await client.send(
    new CreateUsagePlanKeyCommand({ usagePlanId: free.id, keyId: keyIds[2], keyType: "API_KEY" }),
  );
  await t.sb.admin.recordUsage({
    usagePlanId: gold.id ?? "",
    keyId: keyIds[0] ?? "",
    date: todayUtc(),
    count: 42,
  });
  await t.sb.admin.recordUsage({
    usagePlanId: gold.id ?? "",
    keyId: keyIds[1] ?? "",
    date: todayUtc(-1),
    count: 7,
  });
  await client.send(
    new UpdateUsageCommand({
      usagePlanId: gold.id,
      keyId: keyIds[1],
      patchOperations: [{ op: "replace", path: "/remaining", value: "2000" }],
    }),
  );
  return { api, goldId: gold.id ?? "", freeId: free.id ?? "", keyIds };
}

describe("startSandbox({ dataDir })", () => {
  it("a restart with the same directory shows the same account: plans, keys, members, stages, usage, tags", async () => {
    const dir = tempDir();
    const first = await start(dir);
    expect(first.sb.data).toMatchObject({ dir, restored: false, stateFile: join(dir, STATE_FILE_NAME) });
    const made = await populate(first);
    const before = await account(first.client, first.sb.region);
    expect(before.plans).toHaveLength(2);
    expect(before.keys).toHaveLength(3);
    await stop();

    const second = await start(dir);
    expect(second.sb.data?.restored).toBe(true);
    expect(second.sb.data?.loaded).toEqual({ usagePlans: 2, apiKeys: 3, restApis: 1, accountRegions: 1 });
    const after = await account(second.client, second.sb.region);
    expect(after).toEqual(before);
    const gold = after.plans.find((p) => p.id === made.goldId);
    expect(gold).toMatchObject({
      name: "gold",
      description: "for partners",
      throttle: { rateLimit: 50, burstLimit: 100 },
      quota: { limit: 1000, period: "DAY", offset: 0 },
      apiStages: [
        { apiId: made.api.apiId, stage: "prod", throttle: { "/pets/GET": { rateLimit: 5, burstLimit: 10 } } },
      ],
    });
    expect(after.planTags[made.goldId]).toEqual({ team: "payments", "upg:plan-id": "gold" });
    const alpha = after.keys.find((k) => k.name === "alpha");
    expect(alpha).toMatchObject({
      value: "AlphaValue0123456789abcdef",
      enabled: true,
      customerId: "cust-alpha",
    });
    expect(after.keys.find((k) => k.name === "gamma")?.enabled).toBe(false);
    // Usage: 42 today for alpha; beta's extension (2000 for today's period) is kept.
    const usage = after.usage[made.goldId] as Record<string, number[][]>;
    expect(usage[made.keyIds[0] ?? ""]?.[1]).toEqual([42, 958]);
    expect(usage[made.keyIds[1] ?? ""]?.[1]).toEqual([0, 2000]);
  });

  it("the id sequence continues: new resources list after the restored ones and reuse no id", async () => {
    const dir = tempDir();
    const first = await start(dir);
    await populate(first);
    const deleted = (await first.client.send(new CreateUsagePlanCommand({ name: "short-lived" }))).id;
    await first.client.send(new DeleteUsagePlanCommand({ usagePlanId: deleted }));
    const before = await account(first.client, first.sb.region);
    await stop();

    const second = await start(dir);
    const plan = await second.client.send(new CreateUsagePlanCommand({ name: "after-restart" }));
    const key = await second.client.send(new CreateApiKeyCommand({ name: "after-restart" }));
    const plans = (await second.client.send(new GetUsagePlansCommand({ limit: 500 }))).items ?? [];
    expect(plans.map((p) => p.name)).toEqual(["gold", "free", "after-restart"]);
    expect(before.plans.map((p) => p.id)).not.toContain(plan.id);
    expect(before.keys.map((k) => k.id)).not.toContain(key.id);
    const keys = (await second.client.send(new GetApiKeysCommand({ limit: 500 }))).items ?? [];
    expect(keys.at(-1)?.id).toBe(key.id);
    // Pagination tokens from before the restart still page the same way.
    const page1 = await second.client.send(new GetUsagePlansCommand({ limit: 1 }));
    const page2 = await second.client.send(new GetUsagePlansCommand({ limit: 1, position: page1.position }));
    expect([page1.items?.[0]?.name, page2.items?.[0]?.name]).toEqual(["gold", "free"]);
  });

  it("a change is on disk before it is answered: a copy of the directory taken right after a 2xx has it", async () => {
    const dir = tempDir();
    const t = await start(dir);
    const plan = await t.client.send(new CreateUsagePlanCommand({ name: "acknowledged" }));
    const copy = tempDir();
    // The files as they are on disk right now (the lock belongs to the running sandbox, not to the state).
    cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith(LOCK_FILE_NAME) });
    const other = await startTestSandbox({ dataDir: copy });
    try {
      const plans = (await other.client.send(new GetUsagePlansCommand({}))).items ?? [];
      expect(plans.map((p) => [p.id, p.name])).toEqual([[plan.id, "acknowledged"]]);
    } finally {
      await stopTestSandbox(other);
    }
    expect(leftoverTemps(dir)).toEqual([]);
  });

  it("reads and failed requests do not write the file", async () => {
    const dir = tempDir();
    const t = await start(dir);
    await t.client.send(new CreateUsagePlanCommand({ name: "one" }));
    const file = join(dir, STATE_FILE_NAME);
    const saved = readFileSync(file, "utf8");
    writeFileSync(file, saved.replace('"savedAt":"', '"savedAt":"X'));
    await t.client.send(new GetUsagePlansCommand({}));
    await expectApiError(t.client.send(new CreateUsagePlanCommand({ name: "" })), 400, "BadRequestException");
    expect(readFileSync(file, "utf8")).toContain('"savedAt":"X');
  });

  it("keeps SNS topics created through the SNS API", async () => {
    const dir = tempDir();
    const t = await start(dir);
    const sns = new SNSClient({
      endpoint: t.sb.sns.endpoint,
      region: t.sb.region,
      credentials: t.sb.credentials,
    });
    const created = await sns.send(new CreateTopicCommand({ Name: "team-alerts" }));
    sns.destroy();
    await stop();
    const again = await start(dir);
    const sns2 = new SNSClient({
      endpoint: again.sb.sns.endpoint,
      region: again.sb.region,
      credentials: again.sb.credentials,
    });
    const topics = (await sns2.send(new ListTopicsCommand({}))).Topics?.map((x) => x.TopicArn);
    sns2.destroy();
    expect(topics).toEqual([created.TopicArn, again.sb.sns.topicArn].sort());
  });

  it("seed: true seeds a new directory once; a restored account is not seeded again", async () => {
    const dir = tempDir();
    const first = await start(dir, { seed: true });
    const seeded = (await first.client.send(new GetRestApisCommand({}))).items?.map((a) => a.id);
    expect(seeded).toHaveLength(1);
    await stop();
    const second = await start(dir, { seed: true });
    expect((await second.client.send(new GetRestApisCommand({}))).items?.map((a) => a.id)).toEqual(seeded);
    expect((await second.client.send(new GetApiKeysCommand({}))).items).toHaveLength(3);
  });

  it("without dataDir nothing is written and there is no data info", async () => {
    const t = await startTestSandbox();
    try {
      expect(t.sb.data).toBeUndefined();
    } finally {
      await stopTestSandbox(t);
    }
  });

  it("a state file that cannot be saved answers 500 InternalFailure naming the problem", async () => {
    const dir = tempDir();
    const t = await start(dir);
    await t.client.send(new CreateUsagePlanCommand({ name: "saved" }));
    const file = join(dir, STATE_FILE_NAME);
    rmSync(file);
    mkdirSync(file); // a directory where the file should be: the rename fails
    await expectApiError(
      t.client.send(new CreateUsagePlanCommand({ name: "not-saved" })),
      500,
      "InternalFailure",
      /^The sandbox could not save its state: /,
    );
    expect(leftoverTemps(dir)).toEqual([]);
  });
});

describe("an unusable state file is a startup error, never a silent reset", () => {
  const cases: Array<[string, string, RegExp]> = [
    ["not JSON", "{ this is not json", /not valid JSON/],
    ["truncated", '{"format":"upg-sandbox-state","version":1,"savedAt":"x","plans":[', /not valid JSON/],
    ["JSON of another shape", JSON.stringify({ hello: "world" }), /not a saved sandbox state \(format: /],
    ["an empty file", "", /not valid JSON/],
  ];

  it.each(cases)(
    "%s: UserError naming the file and what to do; the file is left as it was",
    async (_, text, why) => {
      const dir = tempDir();
      const file = join(dir, STATE_FILE_NAME);
      writeFileSync(file, text);
      const err = await rejectionOf(startSandbox({ dataDir: dir, dynamo: false, throttling: false }));
      expect(err).toBeInstanceOf(UserError);
      expect((err as UserError).message).toContain(`Cannot load the sandbox state from ${file}: `);
      expect((err as UserError).message).toMatch(why);
      expect((err as UserError).hint).toMatch(/move it away .* or start with another --data directory/);
      expect(readFileSync(file, "utf8")).toBe(text);
    },
  );

  it("a state file that cannot be read (a directory in its place) is a startup error naming it", async () => {
    const dir = tempDir();
    const file = join(dir, STATE_FILE_NAME);
    mkdirSync(file);
    const err = await rejectionOf(startSandbox({ dataDir: dir, dynamo: false }));
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain(`Cannot load the sandbox state from ${file}: `);
    expect((err as UserError).message).toContain("EISDIR");
  });

  it("a state saved for another region is refused with the region to use", async () => {
    const dir = tempDir();
    const t = await start(dir, { region: "eu-west-1" });
    await t.client.send(new CreateUsagePlanCommand({ name: "eu" }));
    await stop();
    const err = await rejectionOf(startSandbox({ dataDir: dir, dynamo: false, region: "us-east-1" }));
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toContain("belongs to region eu-west-1");
    expect((err as UserError).hint).toContain("--region eu-west-1");
    const back = await start(dir, { region: "eu-west-1" });
    expect((await back.client.send(new GetUsagePlansCommand({}))).items?.map((p) => p.name)).toEqual(["eu"]);
  });
});

describe("one sandbox per data directory", () => {
  it("a second sandbox on a directory in use is refused, naming the process; stop() frees the directory", async () => {
    const dir = tempDir();
    await start(dir);
    expect(readFileSync(join(dir, LOCK_FILE_NAME), "utf8").trim()).toBe(String(process.pid));
    const err = await rejectionOf(startSandbox({ dataDir: dir, dynamo: false }));
    expect(err).toBeInstanceOf(UserError);
    expect((err as UserError).message).toBe(
      `The sandbox data directory ${dir} is in use by another sandbox (process ${process.pid}).`,
    );
    expect((err as UserError).hint).toContain("another --data directory");
    await stop();
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
    await start(dir);
  });

  it("a lock left by a sandbox that is gone (killed with -9) is taken over", async () => {
    const dir = tempDir();
    const gone = spawnSync(process.execPath, ["-e", ""]).pid;
    writeFileSync(join(dir, LOCK_FILE_NAME), `${gone}\n`);
    const t = await start(dir);
    expect(t.sb.data?.restored).toBe(false);
    expect(readFileSync(join(dir, LOCK_FILE_NAME), "utf8").trim()).toBe(String(process.pid));
  });

  it("a start that fails on the state file leaves no lock behind", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, STATE_FILE_NAME), "not json");
    await rejectionOf(startSandbox({ dataDir: dir, dynamo: false }));
    expect(existsSync(join(dir, LOCK_FILE_NAME))).toBe(false);
  });
});
