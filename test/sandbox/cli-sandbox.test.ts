import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { APIGatewayClient, CreateUsagePlanCommand, GetRestApisCommand } from "@aws-sdk/client-api-gateway";
import { AssumeRoleCommand, STSClient, STSServiceException } from "@aws-sdk/client-sts";
import { Command } from "commander";
import { describe, expect, it } from "vitest";
import {
  collectRoleArn,
  parseErrorRates,
  registerSandboxCommand,
  runSandbox,
  type SandboxCommandOptions,
} from "../../src/cli/commands/sandbox.js";

function program(): Command {
  const p = new Command("upg").exitOverride();
  registerSandboxCommand(p);
  return p;
}

const sandboxCommand = (p: Command) => p.commands.find((c) => c.name() === "sandbox");

describe("upg sandbox", () => {
  it("registers the command with its options and an Examples section", () => {
    const cmd = sandboxCommand(program());
    let help = "";
    cmd?.configureOutput({ writeOut: (s) => (help += s) }).outputHelp();
    for (const option of [
      "--port <n>",
      "--dynamo-port <n>",
      "--host",
      "--region",
      "--time-scale <x>",
      "--no-throttling",
      "--data <dir>",
      "--no-seed",
      "--latency <ms>",
      "--error-rate <spec>",
    ]) {
      expect(help).toContain(option);
    }
    expect(help).toContain("Examples:");
    const flat = help.replace(/\s+/g, " ");
    expect(flat).toMatch(
      /--data <dir> keep the account in this directory across restarts: API Gateway state/,
    );
    expect(flat).toContain(
      "With --data DIR the whole account is kept in DIR: every change is saved before it is answered",
    );
  });

  it("rejects bad option values", async () => {
    const p = program();
    sandboxCommand(p)?.configureOutput({ writeErr: () => undefined });
    await expect(p.parseAsync(["sandbox", "--error-rate", "404=0.5"], { from: "user" })).rejects.toThrow(
      /STATUS/,
    );
    await expect(p.parseAsync(["sandbox", "--port", "70000"], { from: "user" })).rejects.toThrow(/port/);
    await expect(p.parseAsync(["sandbox", "--time-scale", "0"], { from: "user" })).rejects.toThrow(
      /greater than 0/,
    );
  });

  it("parses error-rate specs", () => {
    expect(parseErrorRates("429=0.1,500=0.05")).toEqual({ "429": 0.1, "500": 0.05 });
    expect(() => parseErrorRates("503=1.5")).toThrow();
    expect(() => parseErrorRates("500")).toThrow();
  });

  it("starts both servers, prints endpoints, export lines and seeded ids, then stops cleanly", async () => {
    let output = "";
    let endpoint = "";
    const opts: SandboxCommandOptions = {
      port: 0,
      host: "127.0.0.1",
      region: "eu-west-1",
      timeScale: 0.01,
      throttling: true,
      seed: true,
      latency: 1,
    };
    await runSandbox(opts, {
      write: (text) => {
        output += text;
      },
      waitForStop: async () => {
        endpoint = /export AWS_ENDPOINT_URL_API_GATEWAY=(\S+)/.exec(output)?.[1] ?? "";
        const client = new APIGatewayClient({
          endpoint,
          region: "eu-west-1",
          credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
          maxAttempts: 1,
        });
        const apis = await client.send(new GetRestApisCommand({}));
        expect(apis.items?.[0]?.name).toBe("weather-api");
        client.destroy();
      },
    });
    expect(output).toMatch(/export AWS_ENDPOINT_URL_DYNAMODB=http:\/\/127\.0\.0\.1:\d+/);
    expect(output).toContain("export AWS_REGION=eu-west-1");
    expect(output).toContain("export AWS_ACCESS_KEY_ID=sandbox");
    expect(output).toContain("export AWS_SECRET_ACCESS_KEY=sandbox");
    expect(output).toMatch(/Seeded REST API weather-api \(id [a-z0-9]{10}\)/);
    expect(output).toContain("acme-dashboard");
    expect(output).not.toMatch(/value|[A-Za-z0-9]{40}/); // API key values are never printed
    expect(output).toContain("throttling on (time scale 0.01)");
    expect(output.trimEnd().endsWith("upg sandbox stopped.")).toBe(true);
    await expect(fetch(`${endpoint}/usageplans`)).rejects.toThrow();
  });

  it("with --data: says where the account is kept; a restart restores it and does not seed again", async () => {
    const dir = mkdtempSync(join(tmpdir(), "upg-cli-sandbox-data-"));
    const opts: SandboxCommandOptions = {
      port: 0,
      host: "127.0.0.1",
      region: "us-east-1",
      timeScale: 0.01,
      throttling: false,
      seed: true,
      data: dir,
    };
    const run = async (during?: (endpoint: string) => Promise<void>) => {
      let output = "";
      await runSandbox(opts, {
        write: (text) => {
          output += text;
        },
        waitForStop: async () => {
          const endpoint = /export AWS_ENDPOINT_URL_API_GATEWAY=(\S+)/.exec(output)?.[1] ?? "";
          await during?.(endpoint);
        },
      });
      return output;
    };
    try {
      const first = await run(async (endpoint) => {
        const client = new APIGatewayClient({
          endpoint,
          region: "us-east-1",
          credentials: { accessKeyId: "sandbox", secretAccessKey: "sandbox" },
          maxAttempts: 1,
        });
        await client.send(new CreateUsagePlanCommand({ name: "kept" }));
        client.destroy();
      });
      expect(first).toContain(
        `  Data         ${dir}   (API Gateway, DynamoDB and SNS topics kept across restarts; new)\n`,
      );
      expect(first).toContain(`API Gateway state: ${join(dir, "apigateway-state.json")}`);
      expect(first).toContain("Seeded REST API weather-api");
      const second = await run();
      expect(second).toContain("restored 1 usage plan, 3 API keys, 1 REST API)");
      expect(second).toContain("Not seeded: the account was restored from the data directory.");
      expect(second).not.toContain("Seeded REST API");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("without --data: the banner says the account is in memory", async () => {
    let output = "";
    await runSandbox(
      { port: 0, host: "127.0.0.1", region: "us-east-1", timeScale: 1, throttling: false, seed: false },
      {
        write: (text) => {
          output += text;
        },
        waitForStop: async () => undefined,
      },
    );
    expect(output).toContain("Data         in memory (gone when the sandbox stops; keep it with --data DIR)");
  });

  it("serves every account-region: prints the STS endpoint, refuses --deny-role roles, --no-seed-account-regions leaves other regions empty", async () => {
    const denied = "arn:aws:iam::222222222222:role/locked";
    let output = "";
    const opts: SandboxCommandOptions = {
      port: 0,
      host: "127.0.0.1",
      region: "us-east-1",
      timeScale: 1,
      throttling: false,
      seed: true,
      seedAccountRegions: false,
      denyRole: [denied],
    };
    await runSandbox(opts, {
      write: (text) => {
        output += text;
      },
      waitForStop: async () => {
        const endpoint = /export AWS_ENDPOINT_URL_API_GATEWAY=(\S+)/.exec(output)?.[1] ?? "";
        expect(output).toContain(`export AWS_ENDPOINT_URL_STS=${endpoint}/sts\n`);
        const credentials = { accessKeyId: "sandbox", secretAccessKey: "sandbox" };
        const sts = new STSClient({ endpoint: `${endpoint}/sts`, region: "us-east-1", credentials });
        const err = await sts
          .send(new AssumeRoleCommand({ RoleArn: denied, RoleSessionName: "s1" }))
          .catch((e: unknown) => e);
        expect(err).toBeInstanceOf(STSServiceException);
        expect((err as STSServiceException).name).toBe("AccessDenied");
        sts.destroy();
        const west = new APIGatewayClient({ endpoint, region: "eu-west-1", credentials, maxAttempts: 1 });
        expect((await west.send(new GetRestApisCommand({}))).items).toEqual([]);
        west.destroy();
      },
    });
    expect(output).toMatch(/ {2}STS {10}http:\/\/127\.0\.0\.1:\d+\/sts/);
    expect(output).toContain(
      "Region       us-east-1 (default; every region is served)   account 123456789012",
    );
    expect(output).toContain(`Denied roles ${denied} (AssumeRole: AccessDenied)`);
  });

  it("--deny-role takes role ARNs only, and collects them", () => {
    expect(collectRoleArn("arn:aws:iam::111111111111:role/a", ["arn:aws:iam::1:role/x"])).toEqual([
      "arn:aws:iam::1:role/x",
      "arn:aws:iam::111111111111:role/a",
    ]);
    expect(() => collectRoleArn("arn:aws:iam::111111111111:user/a")).toThrow(/expected a role ARN/);
  });
});
