// runFleet: every target's job with its own deps, a bounded number at once; a failing target (its deps, its
// role, its job) is reported with its reason while the others finish; results in target order.

import { describe, expect, it } from "vitest";
import type { CredentialCache } from "../../src/fleet/credentials.js";
import { accountIdOf, runFleet } from "../../src/fleet/run.js";
import type { FleetTarget } from "../../src/fleet/targets.js";

const acct = (name: string) => ({ name, role_arn: `arn:aws:iam::111111111111:role/${name}`, regions: [] });

const TARGETS: FleetTarget[] = [
  { account: acct("prod"), region: "us-east-1" },
  { account: acct("prod"), region: "eu-west-1" },
  { account: acct("broken"), region: "us-east-1" },
  { account: acct("dev"), region: "us-east-1" },
  { account: acct("dev"), region: "eu-west-1" },
];

function fakeCreds(assumed: string[]): CredentialCache {
  return {
    forAccount: async (account) => {
      assumed.push(account.name);
      if (account.name === "broken") throw new Error("Cannot assume the role: AccessDenied");
      return { accessKeyId: `AK-${account.name}`, secretAccessKey: "s" };
    },
  };
}

describe("runFleet", () => {
  it("runs each target with its own deps, at most `concurrency` at once; one failure does not stop the rest", async () => {
    let running = 0;
    let peak = 0;
    const opened: string[] = [];
    let closed = 0;
    const assumed: string[] = [];
    const results = await runFleet({
      targets: TARGETS,
      concurrency: 2,
      credentials: fakeCreds(assumed),
      open: async (region, credentials) => {
        opened.push(`${credentials?.accessKeyId}@${region}`);
        return { live: { callerIdentity: async () => "arn" }, close: () => closed++, region };
      },
      job: async (t, deps) => {
        running++;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        if (t.account === "dev" && t.region === "eu-west-1") throw new Error("region unreachable");
        return { exit_code: t.region === "us-east-1" ? 2 : 0, report: { at: deps.region } };
      },
    });
    expect(peak).toBe(2);
    expect(results).toEqual([
      { account: "prod", region: "us-east-1", status: "ok", exit_code: 2, report: { at: "us-east-1" } },
      { account: "prod", region: "eu-west-1", status: "ok", exit_code: 0, report: { at: "eu-west-1" } },
      {
        account: "broken",
        region: "us-east-1",
        status: "error",
        exit_code: 1,
        error: "Cannot assume the role: AccessDenied",
      },
      { account: "dev", region: "us-east-1", status: "ok", exit_code: 2, report: { at: "us-east-1" } },
      { account: "dev", region: "eu-west-1", status: "error", exit_code: 1, error: "region unreachable" },
    ]);
    expect(opened.sort()).toEqual([
      "AK-dev@eu-west-1",
      "AK-dev@us-east-1",
      "AK-prod@eu-west-1",
      "AK-prod@us-east-1",
    ]);
    expect(closed).toBe(4);
  });

  it("without accounts the targets use the run's own credentials and carry no account name", async () => {
    const results = await runFleet({
      targets: [{ region: "us-east-1" }, { region: "eu-west-1" }],
      credentials: fakeCreds([]),
      open: async (_region, credentials) => {
        expect(credentials).toBeUndefined();
        return { live: { callerIdentity: async () => "arn" }, close: () => {} };
      },
      job: async () => ({ exit_code: 0, report: null }),
    });
    expect(results.map((r) => [r.account, r.region, r.status])).toEqual([
      [null, "us-east-1", "ok"],
      [null, "eu-west-1", "ok"],
    ]);
  });

  it("accountIdOf reads the account from a caller ARN", () => {
    expect(accountIdOf("arn:aws:sts::123456789012:assumed-role/upg/s")).toBe("123456789012");
    expect(accountIdOf("unknown:alice")).toBeNull();
  });
});
