// The naive client of the side-by-side benchmark: the AWS SDK v3 API Gateway client with its default retry
// settings and no pacing, doing each job the obvious way.
//
//   reads (plan, drift)  list every usage plan with the SDK's paginator (no `limit`: API Gateway's default page
//                        of 25), then the keys of every plan at once (Promise.all over plans, each through the
//                        key paginator: one call for up to 25 keys). No REST API, stage or key-name lookups:
//                        GetUsagePlanKeys already names each key.
//   targeted plan        list every usage plan (paginator), pick the one by name, list its keys.
//   apply-create         list every API key (paginator) to map names to ids; then for each plan in turn:
//                        CreateUsagePlan, then all of its keys at once (Promise.all of CreateUsagePlanKey).
//   apply-update         list every usage plan (paginator); then for each plan in turn, UpdateUsagePlan.
//   fleet                every account-region at once: AssumeRole, then the reads above.
//
// "Default retry settings": the SDK's standard retry strategy (3 attempts, a retry quota of 500 tokens, 5 per
// throttled retry, jittered exponential backoff from 100 ms, 500 ms for throttling, honouring Retry-After).
// The one change: its backoff delays are multiplied by the sandbox's time scale, like every other period in
// the run, so a retry waits what it would against AWS relative to AWS's limits. A call that still fails is
// counted and the run goes on; a run with any failed call is a failed run.

import {
  APIGatewayClient,
  CreateUsagePlanCommand,
  CreateUsagePlanKeyCommand,
  paginateGetApiKeys,
  paginateGetUsagePlanKeys,
  paginateGetUsagePlans,
  UpdateUsagePlanCommand,
} from "@aws-sdk/client-api-gateway";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

/** An API Gateway client with the SDK's defaults (its retry backoff scaled by `timeScale`). */
export async function naiveClient({ endpoint, region, credentials, timeScale }) {
  const client = new APIGatewayClient({ endpoint, region, credentials });
  const strategy = await client.config.retryStrategy();
  const backoff = strategy.retryBackoffStrategy;
  if (!backoff || typeof backoff.computeNextBackoffDelay !== "function")
    throw new Error("the SDK's retry strategy has changed: cannot scale its backoff");
  const compute = backoff.computeNextBackoffDelay.bind(backoff);
  backoff.computeNextBackoffDelay = (i) => Math.floor(compute(i) * timeScale);
  return client;
}

/** Counts failures instead of stopping at the first (Promise.allSettled), so a run reports all it met. */
function tally() {
  const errors = [];
  return {
    errors,
    async run(fn) {
      try {
        return await fn();
      } catch (err) {
        errors.push(err?.name ?? String(err));
        return undefined;
      }
    },
  };
}

async function listAll(paginator) {
  const items = [];
  for await (const page of paginator) items.push(...(page.items ?? []));
  return items;
}

async function timed(fn) {
  const t = tally();
  const start = process.hrtime.bigint();
  const value = await fn(t);
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return {
    ms,
    value,
    failedCalls: t.errors.length,
    errors: [...new Set(t.errors)],
    failed: t.errors.length > 0,
  };
}

/** plan / drift: every plan, then every plan's keys at once. */
export function naiveReadAll(client) {
  return timed(async (t) => {
    const plans = (await t.run(() => listAll(paginateGetUsagePlans({ client }, {})))) ?? [];
    await Promise.all(
      plans.map((p) => t.run(() => listAll(paginateGetUsagePlanKeys({ client }, { usagePlanId: p.id })))),
    );
    return { plans: plans.length };
  });
}

/** plan --target: find the plan by name in the full list, then its keys. */
export function naiveTargeted(client, name) {
  return timed(async (t) => {
    const plans = (await t.run(() => listAll(paginateGetUsagePlans({ client }, {})))) ?? [];
    const plan = plans.find((p) => p.name === name);
    if (!plan) throw new Error(`naive client: no usage plan named ${name}`);
    await t.run(() => listAll(paginateGetUsagePlanKeys({ client }, { usagePlanId: plan.id })));
    return { plans: plans.length };
  });
}

/** apply-create: `specs` = [{ name, rateLimit, burstLimit, apiStages, keys: [name] }]. */
export function naiveCreate(client, specs) {
  return timed(async (t) => {
    const keys = (await t.run(() => listAll(paginateGetApiKeys({ client }, {})))) ?? [];
    const idOf = new Map(keys.map((k) => [k.name, k.id]));
    let changes = 0;
    for (const s of specs) {
      const plan = await t.run(() =>
        client.send(
          new CreateUsagePlanCommand({
            name: s.name,
            throttle: { rateLimit: s.rateLimit, burstLimit: s.burstLimit },
            apiStages: s.apiStages,
          }),
        ),
      );
      if (!plan) continue;
      changes++;
      await Promise.all(
        s.keys.map((k) =>
          t.run(async () => {
            await client.send(
              new CreateUsagePlanKeyCommand({ usagePlanId: plan.id, keyId: idOf.get(k), keyType: "API_KEY" }),
            );
            changes++;
          }),
        ),
      );
    }
    return { changes };
  });
}

/** apply-update: every plan's rate, one UpdateUsagePlan after another. */
export function naiveUpdate(client, rateOf) {
  return timed(async (t) => {
    const plans = (await t.run(() => listAll(paginateGetUsagePlans({ client }, {})))) ?? [];
    let changes = 0;
    for (const p of plans) {
      const ok = await t.run(() =>
        client.send(
          new UpdateUsagePlanCommand({
            usagePlanId: p.id,
            patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: String(rateOf(p)) }],
          }),
        ),
      );
      if (ok) changes++;
    }
    return { changes };
  });
}

/** Credentials of `roleArn` through STS (the SDK's defaults). */
export async function assumeRole({ stsEndpoint, region, credentials, roleArn }) {
  const sts = new STSClient({ endpoint: stsEndpoint, region, credentials });
  try {
    const c = (await sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "naive" })))
      .Credentials;
    return { accessKeyId: c.AccessKeyId, secretAccessKey: c.SecretAccessKey, sessionToken: c.SessionToken };
  } finally {
    sts.destroy();
  }
}

/** fleet: every account-region at once, each assuming its role and reading everything. */
export async function naiveFleet(targets, { endpoint, stsEndpoint, credentials, timeScale }) {
  const res = await timed(async (t) => {
    const results = await Promise.all(
      targets.map((target) =>
        t.run(async () => {
          const creds = await assumeRole({
            stsEndpoint,
            region: target.region,
            credentials,
            roleArn: target.roleArn,
          });
          const client = await naiveClient({
            endpoint,
            region: target.region,
            credentials: creds,
            timeScale,
          });
          try {
            return await naiveReadAll(client);
          } finally {
            client.destroy();
          }
        }),
      ),
    );
    return {
      failedCalls: results.reduce((n, r) => n + (r?.failedCalls ?? 0), 0),
      errors: results.flatMap((r) => r?.errors ?? []),
      slowestMs: Math.max(...results.map((r) => r?.ms ?? 0)),
    };
  });
  // A target's own failed calls count with the ones its set-up (AssumeRole) met.
  const failedCalls = res.failedCalls + res.value.failedCalls;
  return {
    ...res,
    failedCalls,
    failed: failedCalls > 0,
    errors: [...new Set([...res.errors, ...res.value.errors])],
  };
}
