/** `upg sandbox`: run the local AWS sandbox (API Gateway emulator, DynamoDB, SNS, STS) until Ctrl-C or SIGTERM. */
import { type Command, InvalidArgumentError } from "commander";
import type { ErrorRates, Sandbox, SeedResult } from "../../sandbox/index.js";
import { globalOptions } from "../global-options.js";

export const DEFAULT_SANDBOX_PORT = 4567;

export interface SandboxCommandOptions {
  port: number;
  dynamoPort?: number;
  host: string;
  region: string;
  timeScale: number;
  throttling: boolean;
  data?: string;
  seed: boolean;
  latency?: number;
  errorRate?: ErrorRates;
  /** An IAM policy file every call is checked against. */
  iamPolicy?: string;
  /** Seed account-regions created on demand like the default one (with seed; default true). */
  seedAccountRegions?: boolean;
  /** Role ARNs AssumeRole refuses (403 AccessDenied). */
  denyRole?: string[];
}

export interface SandboxCommandIo {
  write(text: string): void;
  /** Resolves when the sandbox should stop (a signal in the real command). */
  waitForStop(): Promise<void>;
}

const EXAMPLES = `
Examples:
  $ upg sandbox                              # API Gateway on :${DEFAULT_SANDBOX_PORT}, DynamoDB on :${DEFAULT_SANDBOX_PORT + 1}
  $ upg sandbox --port 0                     # any free ports
  $ upg sandbox --time-scale 0.01            # AWS rate limits, 100x faster (20 s becomes 200 ms)
  $ upg sandbox --no-throttling --no-seed    # empty account, no rate limits
  $ upg sandbox --data ./.sandbox-data       # keep the whole account (API Gateway, DynamoDB, SNS) between runs
  $ upg sandbox --latency 200 --error-rate 429=0.1,500=0.05
  $ upg iam-policy --read-only -o json > ro.json && upg sandbox --iam-policy ro.json
  $ upg sandbox --deny-role arn:aws:iam::222222222222:role/upg   # AssumeRole of that role: AccessDenied

Then paste the printed export lines into another shell and run upg against the sandbox.
One sandbox serves every account and region: the region comes from each request's signature, the account
from its credentials (the printed ones are account 123456789012; STS AssumeRole of
arn:aws:iam::ACCOUNT:role/NAME hands out credentials of ACCOUNT). Each account-region has its own usage
plans, keys, REST APIs, DynamoDB tables, SNS topics and rate limits, and is seeded like the default one.
Admin endpoints (faults, counters, usage records) live under http://HOST:PORT/_sandbox/; add
?account=ACCOUNT&region=REGION to address another account-region.`;

function parsePort(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535)
    throw new InvalidArgumentError("expected a port number (0-65535)");
  return n;
}

function parsePositive(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("expected a number greater than 0");
  return n;
}

function parseNonNegative(raw: string): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < 0) throw new InvalidArgumentError("expected a number of milliseconds >= 0");
  return n;
}

/** --deny-role, repeatable: every ARN given so far. */
export function collectRoleArn(arn: string, all: string[] = []): string[] {
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/.test(arn))
    throw new InvalidArgumentError(`expected a role ARN arn:aws:iam::ACCOUNT:role/NAME, got '${arn}'`);
  return [...all, arn];
}

/** "429=0.1,500=0.05" → { "429": 0.1, "500": 0.05 }. */
export function parseErrorRates(spec: string): ErrorRates {
  const rates: ErrorRates = {};
  for (const part of spec.split(",")) {
    const [status = "", raw = ""] = part.split("=").map((s) => s.trim());
    const rate = Number(raw);
    if (
      (status !== "429" && status !== "500" && status !== "503") ||
      raw === "" ||
      !(rate >= 0 && rate <= 1)
    ) {
      throw new InvalidArgumentError(
        `expected STATUS=FRACTION pairs with STATUS 429, 500 or 503, got '${part}'`,
      );
    }
    rates[status] = rate;
  }
  return rates;
}

function exportLines(sb: Sandbox): string {
  return Object.entries(sb.env())
    .map(([k, v]) => `export ${k}=${v}\n`)
    .join("");
}

function seedLines(seed: SeedResult): string {
  const stages = Object.entries(seed.stages).map(
    ([name, deployment]) => `${name} (deployment ${deployment})`,
  );
  // Key values are never printed (like every upg command); the ids are enough to use them.
  const keys = seed.apiKeys.map((k) => `    ${k.name.padEnd(16)} id ${k.id}\n`).join("");
  return (
    `Seeded REST API ${seed.restApiName} (id ${seed.restApiId})\n` +
    `  stages:   ${stages.join(", ")}\n` +
    `  methods:  ${seed.methods.join(", ")}\n` +
    `  API keys:\n${keys}`
  );
}

/** The default account (in the seeded topic's ARN). */
function accountOf(sb: Sandbox): string {
  return sb.sns.topicArn.split(":")[4] ?? "";
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? "" : "s"}`;
}

/** Where the account is kept, and whether it was restored. */
function dataLine(sb: Sandbox): string {
  const data = sb.data;
  if (!data) return "  Data         in memory (gone when the sandbox stops; keep it with --data DIR)\n";
  const { usagePlans, apiKeys, restApis, accountRegions } = data.loaded;
  const where = accountRegions > 1 ? ` in ${accountRegions} account-regions` : "";
  const state = data.restored
    ? `restored ${plural(usagePlans, "usage plan")}, ${plural(apiKeys, "API key")}, ${plural(restApis, "REST API")}${where}`
    : "new";
  return (
    `  Data         ${data.dir}   (API Gateway, DynamoDB and SNS topics kept across restarts; ${state})\n` +
    `               API Gateway state: ${data.stateFile}\n`
  );
}

export function formatBanner(sb: Sandbox, opts: SandboxCommandOptions, seed: SeedResult | undefined): string {
  const throttling = opts.throttling ? `on (time scale ${opts.timeScale})` : "off";
  return (
    "upg sandbox is running. Press Ctrl-C to stop.\n\n" +
    `  API Gateway  ${sb.apigatewayEndpoint}   (admin: ${sb.apigatewayEndpoint}/_sandbox/status)\n` +
    `  DynamoDB     ${sb.dynamodbEndpoint ?? "off"}\n` +
    `  SNS          ${sb.sns.endpoint}   (topic ${sb.sns.topicArn}; published: ${sb.apigatewayEndpoint}/_sandbox/sns/messages)\n` +
    `  STS          ${sb.sts.endpoint}   (AssumeRole hands out credentials of the role's account)\n` +
    `  Region       ${sb.region} (default; every region is served)   account ${accountOf(sb)}   throttling ${throttling}\n` +
    dataLine(sb) +
    (opts.denyRole?.length ? `  Denied roles ${opts.denyRole.join(", ")} (AssumeRole: AccessDenied)\n` : "") +
    (opts.iamPolicy
      ? `  IAM policy   ${opts.iamPolicy} (calls it does not allow get AccessDeniedException)\n`
      : "") +
    "\n" +
    `Paste into another shell:\n\n${exportLines(sb)}\n` +
    (seed ? `${seedLines(seed)}\n` : "") +
    (opts.seed && sb.data?.restored
      ? "Not seeded: the account was restored from the data directory.\n\n"
      : "")
  );
}

/** Start, print, wait, stop. Exported for tests, which pass their own `io`. */
export async function runSandbox(opts: SandboxCommandOptions, io: SandboxCommandIo): Promise<void> {
  const { startSandbox, seedSample } = await import("../../sandbox/index.js");
  const { loadIamPolicyFile } = await import("../../sandbox/iam.js");
  const iamPolicy = opts.iamPolicy === undefined ? undefined : loadIamPolicyFile(opts.iamPolicy);
  const faults = {
    ...(opts.latency !== undefined ? { latencyMs: opts.latency } : {}),
    ...(opts.errorRate ? { errorRate: opts.errorRate } : {}),
  };
  const sb = await startSandbox({
    port: opts.port,
    dynamoPort: opts.dynamoPort,
    host: opts.host,
    region: opts.region,
    timeScale: opts.timeScale,
    throttling: opts.throttling,
    dataDir: opts.data,
    seedAccountRegions: opts.seed && opts.seedAccountRegions !== false,
    roles: (opts.denyRole ?? []).map((roleArn) => ({ roleArn, assumable: false })),
    faults,
    ...(iamPolicy === undefined ? {} : { iamPolicy }),
  });
  try {
    // A restored account already has what it had (seeding again would add a second weather-api).
    const seed = opts.seed && !sb.data?.restored ? await seedSample(sb) : undefined;
    io.write(formatBanner(sb, opts, seed));
    await io.waitForStop();
  } finally {
    await sb.stop();
  }
  io.write("upg sandbox stopped.\n");
}

function waitForSignal(): Promise<void> {
  return new Promise((resolve) => {
    const stop = () => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      resolve();
    };
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
}

export function registerSandboxCommand(program: Command): void {
  program
    .command("sandbox")
    .summary("Run a local API Gateway + DynamoDB to try upg on (no AWS account needed).")
    .description(
      "Run a local AWS sandbox on loopback: an API Gateway control-plane emulator (usage plans, API keys, " +
        "usage, stages, tags; AWS rate limits, input limits and error codes), DynamoDB (dynalite) and SNS. " +
        "Seeds a sample weather-api with stages dev and prod and a few API keys, prints ready-to-paste " +
        "export lines, and runs until Ctrl-C. With --data DIR the whole account is kept in DIR: every change " +
        "is saved before it is answered, and the next start with the same DIR restores it (and does not seed).",
    )
    .option("--port <n>", "API Gateway port (0 = any free port)", parsePort, DEFAULT_SANDBOX_PORT)
    .option("--dynamo-port <n>", "DynamoDB port (default: the API Gateway port + 1)", parsePort)
    .option("--host <address>", "address to listen on", "127.0.0.1")
    .option(
      "--region <region>",
      "default region (of the printed AWS_REGION; every region is served)",
      "us-east-1",
    )
    .option("--time-scale <x>", "multiply every throttle period and injected latency by x", parsePositive, 1)
    .option("--no-throttling", "turn off the emulated API Gateway control-plane rate limits")
    .option(
      "--data <dir>",
      "keep the account in this directory across restarts: API Gateway state (plans, keys, stages, usage), " +
        "DynamoDB tables and SNS topics (default: in memory)",
    )
    .option("--no-seed", "start with an empty account (no weather-api, no API keys)")
    .option(
      "--no-seed-account-regions",
      "leave other account-regions empty when first used (default: seeded like the default one)",
    )
    .option(
      "--deny-role <arn>",
      "refuse STS AssumeRole of this role with AccessDenied (repeatable)",
      collectRoleArn,
    )
    .option("--latency <ms>", "add this latency to every API Gateway call", parseNonNegative)
    .option(
      "--error-rate <spec>",
      "answer a fraction of calls with errors, e.g. 429=0.1,500=0.05",
      parseErrorRates,
    )
    .option(
      "--iam-policy <file>",
      "check every call against this IAM policy (JSON), e.g. from `upg iam-policy`",
    )
    .addHelpText("after", EXAMPLES)
    .action(async (opts: SandboxCommandOptions, cmd: Command) => {
      const signalled = waitForSignal(); // listen before starting, so an early Ctrl-C also stops cleanly
      // `upg sandbox --region R` may be parsed as upg's global --region: either way, it is the sandbox's.
      const region = globalOptions(cmd).region ?? opts.region;
      await runSandbox(
        { ...opts, region },
        { write: (text) => process.stdout.write(text), waitForStop: () => signalled },
      );
      process.exit(0);
    });
}
