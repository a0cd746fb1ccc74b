// The account-region targets of a run: config × --account × --region, and the errors for names and regions the
// config does not list.

import { describe, expect, it } from "vitest";
import { UserError } from "../../src/errors.js";
import { resolveTargets, targetLabel } from "../../src/fleet/targets.js";
import type { UpgConfig } from "../../src/model/spec.js";
import { DEFAULT_CONFIG } from "../../src/spec/config.js";

const FLEET: UpgConfig = {
  ...DEFAULT_CONFIG,
  regions: ["us-east-1", "eu-west-1"],
  accounts: [
    { name: "prod", role_arn: "arn:aws:iam::111111111111:role/upg", regions: ["us-east-1", "eu-west-1"] },
    { name: "dev", role_arn: "arn:aws:iam::222222222222:role/upg", regions: ["eu-west-1"] },
  ],
};

const labels = (config: UpgConfig, accounts: string[] = [], regions: string[] = []) =>
  resolveTargets(config, { accounts, regions }).map(targetLabel);

function errorOf(fn: () => unknown): UserError {
  try {
    fn();
  } catch (err) {
    if (err instanceof UserError) return err;
    throw err;
  }
  throw new Error("expected a UserError");
}

describe("resolveTargets", () => {
  it("without accounts: the current credentials' account in every region (one region: as before)", () => {
    expect(labels(DEFAULT_CONFIG)).toEqual(["us-east-1"]);
    expect(labels({ ...DEFAULT_CONFIG, regions: ["us-east-1", "eu-west-1"] })).toEqual([
      "us-east-1",
      "eu-west-1",
    ]);
    expect(resolveTargets(DEFAULT_CONFIG, { accounts: [], regions: [] })).toEqual([{ region: "us-east-1" }]);
  });

  it("without accounts, --region picks the regions (as it always has), duplicates once", () => {
    expect(labels(DEFAULT_CONFIG, [], ["eu-west-1", "eu-west-1", "ap-south-1"])).toEqual([
      "eu-west-1",
      "ap-south-1",
    ]);
  });

  it("with accounts: every account × its regions, in config order", () => {
    expect(labels(FLEET)).toEqual(["prod/us-east-1", "prod/eu-west-1", "dev/eu-west-1"]);
    expect(resolveTargets(FLEET, { accounts: [], regions: [] })[2]!.account?.role_arn).toBe(
      "arn:aws:iam::222222222222:role/upg",
    );
  });

  it("--account and --region narrow to one shard", () => {
    expect(labels(FLEET, ["dev"])).toEqual(["dev/eu-west-1"]);
    expect(labels(FLEET, [], ["eu-west-1"])).toEqual(["prod/eu-west-1", "dev/eu-west-1"]);
    expect(labels(FLEET, ["prod"], ["eu-west-1"])).toEqual(["prod/eu-west-1"]);
    expect(labels(FLEET, [], ["us-east-1"])).toEqual(["prod/us-east-1"]);
  });

  it("an unknown --account is an error naming the accounts there are", () => {
    const e = errorOf(() => labels(FLEET, ["prdo"]));
    expect(e.message).toBe("--account names no account in upg.config.yaml: prdo.");
    expect(e.hint).toBe("Use one of: prod, dev.");
  });

  it("a region no chosen account has is an error naming the regions there are", () => {
    const e = errorOf(() => labels(FLEET, ["dev"], ["us-east-1"]));
    expect(e.message).toBe("--region us-east-1: not a region of account dev in upg.config.yaml.");
    expect(e.hint).toContain("Use one of: eu-west-1");
    expect(errorOf(() => labels(FLEET, [], ["ap-south-1"])).message).toBe(
      "--region ap-south-1: not a region of any account in upg.config.yaml.",
    );
  });

  it("--account without accounts in the config is an error that says how to add them", () => {
    const e = errorOf(() => labels(DEFAULT_CONFIG, ["prod"]));
    expect(e.message).toBe("--account prod: upg.config.yaml lists no accounts.");
    expect(e.hint).toContain("accounts:");
  });
});
