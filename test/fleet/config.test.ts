// `regions:` and `accounts:` in upg.config.yaml: read as written, account regions defaulting to the top-level
// ones; duplicate names, invalid regions and malformed role ARNs refused at their line and column, with hints.

import { describe, expect, it } from "vitest";
import { loadConfig } from "../../src/spec/config.js";
import { tmpTrees } from "../helpers/tmp.js";

const tree = tmpTrees();

function load(yaml: string) {
  const t = tree({ "upg.config.yaml": yaml });
  return loadConfig(t.path("upg.config.yaml"));
}

const ROLE = "arn:aws:iam::111111111111:role/upg-deployer";

describe("accounts in upg.config.yaml", () => {
  it("is absent by default; every region is kept", () => {
    const r = load("regions: [us-east-1, eu-west-1]\n");
    expect(r.diagnostics).toEqual([]);
    expect(r.config.accounts).toBeUndefined();
    expect(r.config.regions).toEqual(["us-east-1", "eu-west-1"]);
  });

  it("reads each account; regions default to the top-level regions", () => {
    const r = load(
      [
        "regions: [us-east-1, eu-west-1]",
        "accounts:",
        `  - { name: payments-prod, role_arn: "${ROLE}", external_id: ext-123, session_name: ci-run }`,
        "  - name: payments-dev",
        '    role_arn: "arn:aws-cn:iam::222222222222:role/path/upg"',
        "    regions: [eu-central-1]",
        "",
      ].join("\n"),
    );
    expect(r.diagnostics).toEqual([]);
    expect(r.config.accounts).toEqual([
      {
        name: "payments-prod",
        role_arn: ROLE,
        external_id: "ext-123",
        session_name: "ci-run",
        regions: ["us-east-1", "eu-west-1"],
      },
      {
        name: "payments-dev",
        role_arn: "arn:aws-cn:iam::222222222222:role/path/upg",
        regions: ["eu-central-1"],
      },
    ]);
  });

  it("a duplicate account name is refused at the second one, naming the first", () => {
    const r = load(
      // Two AWS accounts under one name (one account twice is refused on its own, below).
      `accounts:\n  - { name: prod, role_arn: "${ROLE}" }\n  - name: prod\n    role_arn: "${ROLE.replace(/\d{12}/, "210987654321")}"\n`,
    );
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "duplicate_account",
        path: "accounts[1].name",
        line: 3,
        col: 11,
        message: expect.stringContaining("account name `prod` is already used by accounts[0]"),
        hint: "Give every account its own name.",
      }),
    ]);
  });

  it("one AWS account in two entries that share a region is refused at the second; in separate regions it is fine", () => {
    const other = ROLE.replace(/role\/.*/, "role/other");
    const r = load(
      `regions: [us-east-1]\naccounts:\n  - { name: a1, role_arn: "${ROLE}" }\n  - { name: a2, role_arn: "${other}" }\n`,
    );
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        severity: "error",
        code: "duplicate_account_id",
        path: "accounts[1].role_arn",
        line: 4,
        message: expect.stringContaining("account a2 is AWS account"),
        hint: "Keep one entry per AWS account and region: merge the two, or give each its own `regions:`.",
      }),
    ]);
    const apart = load(
      `regions: [us-east-1]\naccounts:\n  - { name: a1, role_arn: "${ROLE}" }\n  - { name: a2, role_arn: "${other}", regions: [eu-west-1] }\n`,
    );
    expect(apart.diagnostics).toEqual([]);
  });

  it("a malformed role ARN is refused with the expected form", () => {
    const r = load("accounts:\n  - name: prod\n    role_arn: arn:aws:iam::123:user/bob\n");
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        severity: "error",
        line: 3,
        col: 15,
        message: expect.stringContaining("not an IAM role ARN"),
        hint: expect.stringContaining("arn:aws:iam::123456789012:role/upg-deployer"),
      }),
    ]);
  });

  it("an invalid region name of an account is refused at its position", () => {
    const r = load(`accounts:\n  - name: prod\n    role_arn: "${ROLE}"\n    regions: [us-east-1, narnia]\n`);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        severity: "error",
        line: 4,
        col: 26,
        message: expect.stringContaining("not an AWS region name"),
        hint: expect.stringContaining("regions: [us-east-1, eu-west-1]"),
      }),
    ]);
  });

  it("an unknown field of an account is refused", () => {
    const r = load(`accounts:\n  - name: prod\n    role: "${ROLE}"\n`);
    expect(r.diagnostics.map((d) => d.line)).toContain(3);
    expect(r.diagnostics.some((d) => d.code === "unknown_field")).toBe(true);
  });
});
