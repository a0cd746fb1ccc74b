// `regions:` and `accounts:` in upg.config.yaml: read as written, account regions defaulting to the top-level
// ones; duplicate names, invalid regions and malformed role ARNs refused at their line and column, with hints.

import { afterEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/spec/config.js";
import { tmpTree } from "../helpers/tmp.js";

let cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups) c();
  cleanups = [];
});

function load(yaml: string) {
  const t = tmpTree({ "upg.config.yaml": yaml });
  cleanups.push(t.cleanup);
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
      `accounts:\n  - { name: prod, role_arn: "${ROLE}" }\n  - name: prod\n    role_arn: "${ROLE}"\n`,
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
