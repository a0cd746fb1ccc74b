import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { UPG_BIN } from "../helpers/cli.js";

describe("upg sandbox as a process", () => {
  it.each([
    ["SIGTERM", undefined],
    ["SIGINT", "eu-west-1"],
  ] as const)(
    "serves until %s, then stops cleanly with exit 0 (--region %s is the sandbox's default region)",
    async (signal, region) => {
      const args = [UPG_BIN, "sandbox", "--port", "0", "--time-scale", "0.01"];
      const child = spawn(process.execPath, region ? [...args, "--region", region] : args, {
        env: { ...process.env, NO_COLOR: "1" },
      });
      let out = "";
      child.stdout.on("data", (d) => {
        out += d;
      });
      const endpoint = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no export line in: ${out}`)), 15_000);
        child.stdout.on("data", () => {
          const m = /export AWS_ENDPOINT_URL_API_GATEWAY=(\S+)/.exec(out);
          if (m && /Seeded REST API/.test(out)) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      expect(out).toMatch(/export AWS_ENDPOINT_URL_DYNAMODB=http:\/\/127\.0\.0\.1:\d+/);
      expect(out).toContain(`export AWS_REGION=${region ?? "us-east-1"}`);
      const res = await fetch(`${endpoint}/restapis`, { headers: { accept: "application/json" } });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { item: Array<{ name: string }> }).item[0]!.name).toBe("weather-api");
      const code = await new Promise<number | null>((resolve) => {
        child.on("close", (c) => resolve(c));
        child.kill(signal);
      });
      expect(code).toBe(0);
      await expect(fetch(`${endpoint}/restapis`)).rejects.toThrow();
    },
  );
});
