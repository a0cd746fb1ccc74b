// `npm run demo`: upg against an embedded sandbox, end to end. It starts the local API Gateway and
// DynamoDB, applies the example plans, then plays a console user who raises a rate limit and
// deletes a plan, and shows upg catching and repairing both.

import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import {
  APIGatewayClient,
  CreateUsagePlanKeyCommand,
  DeleteUsagePlanCommand,
  GetApiKeysCommand,
  GetUsagePlansCommand,
  UpdateUsagePlanCommand,
  type UsagePlan,
} from "@aws-sdk/client-api-gateway";
import { startSandbox } from "../sandbox/index.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const BIN = join(ROOT, "bin", "upg");
const TIME_SCALE = 0.01;

const bold = (s: string) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s);

function say(text: string): void {
  process.stdout.write(`\n${bold(`▶ ${text}`)}\n`);
}

/** Run the real CLI in a child process (asynchronously: the sandbox serves from this process). */
function upg(cwd: string, env: Record<string, string>, ...args: string[]): Promise<number> {
  process.stdout.write(`\n$ upg ${args.join(" ")}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, ...env },
      stdio: ["ignore", "inherit", "inherit"],
    });
    child.on("close", (code) => resolve(code ?? 1));
    child.on("error", () => resolve(1));
  });
}

function projectDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "upg-demo-"));
  cpSync(join(ROOT, "plans"), join(dir, "plans"), { recursive: true });
  // AWS's control-plane limits, scaled like the sandbox: the rate and the UpdateUsagePlan interval scale
  // with time; the burst is a number of requests and stays 40.
  writeFileSync(
    join(dir, "upg.config.yaml"),
    [
      "regions: [us-east-1]",
      "pacing:",
      `  requests_per_second: ${10 / TIME_SCALE}`,
      "  burst: 40",
      `  update_usage_plan_interval_ms: ${20000 * TIME_SCALE}`,
      "",
    ].join("\n"),
  );
  return dir;
}

async function findPlan(client: APIGatewayClient, name: string): Promise<UsagePlan> {
  const plans = (await client.send(new GetUsagePlansCommand({ limit: 500 }))).items ?? [];
  const plan = plans.find((p) => p.name === name);
  if (!plan?.id) throw new Error(`demo: plan "${name}" was not applied`);
  return plan;
}

async function supportEngineer(client: APIGatewayClient): Promise<void> {
  const free = await findPlan(client, "Free Weather API");
  const keys = (await client.send(new GetApiKeysCommand({ nameQuery: "initech-batch" }))).items ?? [];
  say(
    `Support gives customer initech a key on the Free plan, in the console. Free observes its keys (no \`keys:\` in its file), so that is not drift.`,
  );
  await client.send(
    new CreateUsagePlanKeyCommand({ usagePlanId: free.id, keyId: keys[0]?.id, keyType: "API_KEY" }),
  );
}

async function consoleUser(client: APIGatewayClient): Promise<void> {
  const premium = await findPlan(client, "Premium Weather API");
  const free = await findPlan(client, "Free Weather API");
  say(
    `A colleague raises Premium's rate limit from 500 to 5000 requests/s in the console (plan ${premium.id})…`,
  );
  await client.send(
    new UpdateUsagePlanCommand({
      usagePlanId: premium.id,
      patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "5000" }],
    }),
  );
  await new Promise((r) => setTimeout(r, 20000 * TIME_SCALE));
  say(`…and deletes the Free plan (${free.id}) while cleaning up.`);
  const stages = (free.apiStages ?? []).map((s) => ({
    op: "remove" as const,
    path: "/apiStages",
    value: `${s.apiId}:${s.stage}`,
  }));
  await client.send(new UpdateUsagePlanCommand({ usagePlanId: free.id, patchOperations: stages }));
  await client.send(new DeleteUsagePlanCommand({ usagePlanId: free.id }));
}

async function main(): Promise<number> {
  // As in bin/upg: the SDK's notice that its future releases need Node 22 is noise here.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  const sb = await startSandbox({ timeScale: TIME_SCALE, seed: true });
  const cwd = projectDir();
  const env = { ...sb.env(), NO_COLOR: process.env.NO_COLOR ?? "" };
  if (!process.env.NO_COLOR) delete (env as Record<string, string | undefined>).NO_COLOR;
  const client = new APIGatewayClient({
    endpoint: sb.apigatewayEndpoint,
    region: sb.region,
    credentials: sb.credentials,
  });
  try {
    say(
      `A local API Gateway (${sb.apigatewayEndpoint}) and DynamoDB (${sb.dynamodbEndpoint}) are running, with a REST API "weather-api".`,
    );
    say("1. Check the example plan files. No AWS needed.");
    const steps: Array<[string | undefined, () => Promise<number>, number]> = [
      [undefined, () => upg(cwd, env, "validate"), 0],
      ["2. Create the DynamoDB tables for master records and the audit log.", () => upg(cwd, env, "init"), 0],
      ["3. What would apply do?", () => upg(cwd, env, "plan"), 0],
      ["4. Apply it.", () => upg(cwd, env, "apply", "--auto-approve"), 0],
      [undefined, () => supportEngineer(client).then(() => 0), 0],
      [
        "5. apply records the keys it observes in the master record.",
        () => upg(cwd, env, "apply", "--auto-approve"),
        0,
      ],
      [undefined, () => consoleUser(client).then(() => 0), 0],
      [
        "6. The scheduled drift check catches both, most severe first, each with what to do (exit 2: drift).",
        () => upg(cwd, env, "drift"),
        2,
      ],
      [
        "7. upg plan shows the repair: restore the limit, recreate the deleted plan (exit 2: changes pending).",
        () => upg(cwd, env, "plan", "--detailed-exitcode"),
        2,
      ],
      [
        "8. Repair: restore the limit, recreate the plan with its stage and the key it had.",
        () => upg(cwd, env, "apply", "--auto-approve"),
        0,
      ],
      ["9. No drift, and everything matches the plan files again.", () => upg(cwd, env, "drift"), 0],
      [undefined, () => upg(cwd, env, "plan", "--detailed-exitcode"), 0],
      [
        "10. The recreated plan keeps its plan_id; its record remembers the old id; the audit log verifies.",
        () => upg(cwd, env, "show", "free-weather"),
        0,
      ],
      [undefined, () => upg(cwd, env, "audit", "verify"), 0],
      [undefined, () => upg(cwd, env, "status"), 0],
    ];
    for (const [heading, step, expected] of steps) {
      if (heading) say(heading);
      const code = await step();
      if (code !== expected) {
        process.stderr.write(`\ndemo: a step exited ${code}, expected ${expected}.\n`);
        return 1;
      }
    }
    say(
      "Done. Try it yourself: `npx upg sandbox` in one shell, then the printed exports and `npx upg plan` in another.",
    );
    return 0;
  } finally {
    client.destroy();
    await sb.stop();
    rmSync(cwd, { recursive: true, force: true });
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`demo failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exitCode = 1;
  },
);
