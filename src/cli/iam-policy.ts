// `upg iam-policy`: the IAM policy for this project (tables, regions, account, alert topics).

import type { AwsTarget } from "../aws/client-config.js";
import { UserError } from "../errors.js";
import type { Access } from "../iam/operations.js";
import { buildIamPolicy, commandsCovered, renderPolicyJson, snsTopicsOf } from "../iam/policy.js";
import type { GlobalOptions } from "./global-options.js";
import { type Io, parseFormat } from "./output.js";
import { loadConfigOnly } from "./project.js";

export interface IamPolicyOptions {
  readOnly?: boolean;
  init?: boolean;
  account?: string;
  output: string;
}

const ACCOUNT_RE = /^\d{12}$/;

/** The account of an IAM/STS ARN (`arn:aws:iam::123456789012:user/x`), if it is one. */
export function accountOfArn(arn: string): string | undefined {
  const m = /^arn:[a-z-]+:(?:iam|sts)::(\d{12}):/.exec(arn);
  return m?.[1];
}

function accessOf(opts: IamPolicyOptions): Access {
  if (opts.readOnly && opts.init) {
    throw new UserError("--read-only and --init cannot be combined.", {
      hint: "`upg init` creates tables; print its policy with --init, the read-only one with --read-only.",
    });
  }
  return opts.readOnly ? "read" : opts.init ? "init" : "write";
}

interface AccountAnswer {
  account: string;
  from: string;
}

async function resolveAccount(
  opts: IamPolicyOptions,
  g: GlobalOptions,
  region: string,
): Promise<AccountAnswer> {
  if (opts.account !== undefined) {
    if (!ACCOUNT_RE.test(opts.account)) {
      throw new UserError(`Invalid --account "${opts.account}".`, {
        hint: "An AWS account id is 12 digits.",
      });
    }
    return { account: opts.account, from: "--account" };
  }
  const { resolveCallerIdentity } = await import("../live/identity.js");
  const target: AwsTarget = { region, ...(g.profile ? { profile: g.profile } : {}) };
  const account = accountOfArn(await resolveCallerIdentity(target));
  return account ? { account, from: "the caller identity" } : { account: "*", from: "" };
}

export async function runIamPolicyCommand(g: GlobalOptions, opts: IamPolicyOptions, io: Io): Promise<number> {
  const format = parseFormat(opts.output, ["human", "json"]);
  const access = accessOf(opts);
  const { config, region } = loadConfigOnly(g, io);
  const regions = g.region ? [g.region] : config.regions;
  const { account, from } = await resolveAccount(opts, g, region);
  if (account === "*") {
    io.stderr.write(
      "Note: the AWS account could not be determined (no credentials, or STS did not answer); the table ARNs " +
        "use account *. Pass --account ID to pin them.\n",
    );
  }
  const doc = buildIamPolicy({
    access,
    regions,
    account,
    tables: config.tables,
    snsTopics: snsTopicsOf(config),
    alertState: config.alerts.targets.length > 0,
  });
  if (format === "human") {
    const label = access === "read" ? "read-only" : access === "init" ? "full, with upg init" : "full";
    io.stderr.write(
      `IAM policy (${label}) for: ${commandsCovered(access).join(", ")}.\n` +
        `Regions ${regions.join(", ")}; account ${account}${from ? ` (from ${from})` : ""}; ` +
        `tables ${config.tables.metadata}, ${config.tables.audit}.\n` +
        (access === "write" ? "`upg init` needs the TablesInit statement too: upg iam-policy --init\n" : "") +
        "\n",
    );
  }
  io.stdout.write(renderPolicyJson(doc));
  return 0;
}
