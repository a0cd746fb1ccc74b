// The example GitHub workflows in examples/github/ cannot rot: each is parsed and its structure checked, and
// every `upg` command in their `run:` steps is run through the real CLI against the sandbox, in a project laid
// out like a user's repository (upg.config.yaml, the example plans from plans/), with GITHUB_ACTIONS=true and
// a step-summary file. Shell around the commands (redirections, `|| …`) is emulated explicitly per line, and
// that emulation is checked against bash itself with a stand-in `upg` that exits with a chosen code. The PR
// comment script is run against a fake GitHub API, twice, to show it updates one comment.

import { spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { UpdateUsagePlanCommand } from "@aws-sdk/client-api-gateway";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { type E2E, type Project, pause, startE2E } from "../e2e/harness.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const EXAMPLES = join(ROOT, "examples/github");
const MARKER = "<!-- upg-plan -->";
/** A GitHub Actions expression as written in a workflow: `${{ … }}`. */
const expr = (e: string): string => `\${{ ${e} }}`;

// ---------------------------------------------------------------------------------------------------------
// Workflows and the `upg` calls in them

interface Step {
  name?: string;
  id?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, string>;
  env?: Record<string, string>;
  "working-directory"?: string;
}
interface Job {
  "runs-on": string;
  needs?: string | string[];
  if?: string;
  permissions?: Record<string, string>;
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

function loadWorkflow(file: string): Workflow {
  return parse(readFileSync(join(EXAMPLES, file), "utf8")) as Workflow;
}

const WORKFLOW_FILES = ["drift-check.yml", "pr-check.yml"] as const;

/** One shell line of a `run:` block that invokes upg. */
interface UpgCall {
  workflow: string;
  job: string;
  step: string;
  /** The whole line as written (continuations joined, whitespace collapsed): the key of SHELL below. */
  line: string;
  /** upg's arguments. */
  argv: string[];
  /** Variables the line removes from upg's environment (`env -u NAME`). */
  unset: string[];
  /** `> FILE`: where the line sends upg's stdout. */
  stdoutTo?: string;
}

/** Split a shell line into words and operators; quotes are honoured, expansions are left as written. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur = "";
  let quote: '"' | "'" | undefined;
  let started = false;
  const flush = () => {
    if (started) out.push(cur);
    cur = "";
    started = false;
  };
  for (let i = 0; i < line.length; i++) {
    const c = line[i]!;
    if (quote) {
      if (c === quote) quote = undefined;
      else cur += c;
    } else if (c === '"' || c === "'") {
      quote = c;
      started = true;
    } else if (/\s/.test(c)) flush();
    else if ("|&;><".includes(c)) {
      flush();
      const two = line.slice(i, i + 2);
      if (["||", "&&", ">>"].includes(two)) {
        out.push(two);
        i++;
      } else out.push(c);
    } else {
      cur += c;
      started = true;
    }
  }
  if (quote) throw new Error(`unterminated quote in: ${line}`);
  flush();
  return out;
}

const OPERATORS = new Set(["|", "||", "&&", ";", ">", ">>", "<", "&"]);

/** Every line of a `run:` block, continuations joined, comments and blank lines dropped. */
function shellLines(run: string): string[] {
  return run
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim().replace(/\s+/g, " "))
    .filter((l) => l !== "" && !l.startsWith("#"));
}

function parseUpgLine(line: string): Omit<UpgCall, "workflow" | "job" | "step"> | undefined {
  const w = words(line);
  const at = w.indexOf("upg");
  if (at < 0) return undefined;
  // What runs upg: nothing, or `env [-u NAME]...`.
  const prefix = w.slice(0, at);
  const unset: string[] = [];
  if (prefix.length > 0) {
    if (prefix[0] !== "env")
      throw new Error(`the test does not know how to run upg behind "${prefix.join(" ")}": ${line}`);
    for (let i = 1; i < prefix.length; i += 2) {
      if (prefix[i] !== "-u" || prefix[i + 1] === undefined)
        throw new Error(`unsupported env usage: ${line}`);
      unset.push(prefix[i + 1]!);
    }
  }
  let end = at + 1;
  while (end < w.length && !OPERATORS.has(w[end]!)) end++;
  const argv = w.slice(at + 1, end);
  for (const a of argv) {
    if (a.includes("$") || a.includes("`")) throw new Error(`upg argument with a shell expansion: ${line}`);
  }
  let stdoutTo: string | undefined;
  if (w[end] === ">") {
    stdoutTo = w[end + 1];
    if (!stdoutTo || OPERATORS.has(stdoutTo)) throw new Error(`redirection without a file: ${line}`);
  }
  return { line, argv, unset, ...(stdoutTo ? { stdoutTo } : {}) };
}

function upgCalls(): UpgCall[] {
  const calls: UpgCall[] = [];
  for (const file of WORKFLOW_FILES) {
    const wf = loadWorkflow(file);
    for (const [job, j] of Object.entries(wf.jobs)) {
      for (const s of j.steps) {
        if (!s.run) continue;
        for (const line of shellLines(s.run)) {
          const c = parseUpgLine(line);
          if (c) calls.push({ workflow: file, job, step: s.name ?? s.id ?? "(unnamed)", ...c });
        }
      }
    }
  }
  return calls;
}

/**
 * How the shell around each upg line turns upg's exit code into the step's result (bash -eo pipefail, as
 * GitHub runs `run:` steps). A new upg line in a workflow must be added here, with a scenario that runs it.
 */
const SHELL: Record<string, { passes: (code: number) => boolean }> = {
  "upg validate": { passes: (c) => c === 0 },
  "upg drift --notify": { passes: (c) => c === 0 },
  "env -u GITHUB_STEP_SUMMARY -u GITHUB_ACTIONS upg drift -o sarif > drift.sarif || [ $? -eq 2 ]": {
    passes: (c) => c === 0 || c === 2,
  },
  // The next line of the step fails it on 1 only (--detailed-exitcode: 2 means changes, not failure).
  "upg plan -o markdown --detailed-exitcode > plan.md || code=$?": { passes: (c) => c !== 1 },
};

const CALLS = upgCalls();
const ran = new Set<string>();

function call(workflow: string, step: string): UpgCall {
  const c = CALLS.filter((x) => x.workflow === workflow && x.step === step);
  if (c.length !== 1)
    throw new Error(`expected one upg call in ${workflow} step "${step}", found ${c.length}`);
  return c[0]!;
}

/** The GitHub Actions environment of a runner, as far as upg looks at it. */
function githubEnv(p: Project): Record<string, string> {
  return {
    GITHUB_ACTIONS: "true",
    CI: "true",
    GITHUB_WORKSPACE: p.dir,
    GITHUB_STEP_SUMMARY: join(p.dir, ".github-step-summary.md"),
  };
}

function summaryOf(p: Project): string {
  const f = githubEnv(p).GITHUB_STEP_SUMMARY!;
  return existsSync(f) ? readFileSync(f, "utf8") : "";
}

/** Run one workflow line: upg through the real CLI, the shell around it emulated. */
async function runCall(p: Project, c: UpgCall) {
  const shell = SHELL[c.line];
  if (!shell) throw new Error(`no shell emulation for: ${c.line}`);
  const env: Record<string, string | undefined> = { ...githubEnv(p) };
  for (const name of c.unset) env[name] = undefined;
  // The workflows run under the roles the README describes; the test's own setup and console changes do not.
  e2e.sb.setIamPolicy(await rolePolicy(p, c.workflow));
  let r: Awaited<ReturnType<Project["upg"]>>;
  try {
    r = await p.upg(c.argv, { env });
  } finally {
    e2e.sb.setIamPolicy(ALLOW_ALL);
  }
  expect(r.stderr).not.toMatch(/access denied|not authorized/i);
  if (c.stdoutTo) writeFileSync(join(p.dir, c.stdoutTo), r.stdout);
  ran.add(c.line);
  return { ...r, stepPasses: shell.passes(r.code) };
}

// ---------------------------------------------------------------------------------------------------------
// A project like a user's repository

const PLAN_FILES = readdirSync(join(ROOT, "plans")).filter((f) => f.endsWith(".yaml"));

const ALLOW_ALL = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] };

let e2e: E2E;
beforeAll(async () => {
  // The sandbox checks every call against an IAM policy: setting up the project is allowed everything, the
  // workflow steps run under the policy examples/github/README.md tells users to give the role.
  e2e = await startE2E({ iamPolicy: ALLOW_ALL } as unknown as Parameters<typeof startE2E>[0]);
}, 60_000);

interface PolicyDoc {
  Version: string;
  Statement: unknown[];
}

/** The extra statement examples/github/README.md gives the drift role (the ```json block after its marker). */
function readmeAlertStateStatement(metadataTable: string): unknown {
  const readme = readFileSync(join(EXAMPLES, "README.md"), "utf8");
  const m = readme.match(/<!-- drift-role-extra -->\s*```json\n([\s\S]*?)```/);
  if (!m) throw new Error("examples/github/README.md: no ```json block after <!-- drift-role-extra -->");
  return JSON.parse(m[1]!.replaceAll("usage-plans-metadata", metadataTable));
}

/**
 * The policy examples/github/README.md tells users to give each workflow's role: `upg iam-policy --read-only`
 * for the PR check; that plus the README's alert-state statement for the drift check.
 */
async function rolePolicy(p: Project, workflow: string): Promise<PolicyDoc> {
  const r = await p.upg(["iam-policy", "--read-only", "-o", "json"]);
  expect(r.code, r.stderr).toBe(0);
  const doc = JSON.parse(r.stdout) as PolicyDoc;
  if (workflow === "drift-check.yml") doc.Statement.push(readmeAlertStateStatement(p.tables.metadata));
  return doc;
}
afterAll(async () => {
  await e2e?.stop();
});

async function userRepo(): Promise<Project> {
  // Alerts go to the sandbox's SNS topic, as a user's would go to theirs.
  e2e.sb.setIamPolicy(ALLOW_ALL);
  const p = await e2e.project({
    config: `alerts: { targets: [{ type: sns, topic_arn: "${e2e.sb.sns.topicArn}" }] }`,
  });
  await e2e.sb.sns.clearMessages();
  for (const f of PLAN_FILES) copyFileSync(join(ROOT, "plans", f), join(p.dir, "plans", f));
  const init = await p.upg(["init"]);
  expect(init.code, init.stderr).toBe(0);
  return p;
}

/** The state after a merge to main: the plans applied. */
async function applied(): Promise<Project> {
  const p = await userRepo();
  const r = await p.upg(["apply", "--auto-approve"]);
  expect(r.code, r.stdout + r.stderr).toBe(0);
  // apply alerted that beta-weather is Deprecated; the drift check starts from a quiet topic.
  await e2e.sb.sns.clearMessages();
  return p;
}

function editPlan(p: Project, file: string, from: string, to: string): void {
  const path = join(p.dir, "plans", file);
  const text = readFileSync(path, "utf8");
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

// ---------------------------------------------------------------------------------------------------------
// Structure

function stepsOf(wf: Workflow): Array<Step & { job: string }> {
  return Object.entries(wf.jobs).flatMap(([job, j]) => j.steps.map((s) => ({ ...s, job })));
}

function usesOf(wf: Workflow): string[] {
  return stepsOf(wf).flatMap((s) => (s.uses ? [s.uses] : []));
}

/** A job that runs upg checks out its repository, then upg, installs it and puts its bin/ on PATH. */
function expectInstallsUpg(wf: Workflow, jobName: string): void {
  const steps = wf.jobs[jobName]!.steps;
  const upgCheckout = steps.findIndex(
    (s) => s.uses === "actions/checkout@v4" && s.with?.repository === expr("env.UPG_REPOSITORY"),
  );
  expect(upgCheckout, `${jobName}: checks out upg`).toBeGreaterThan(0);
  // The repository's own checkout comes first: a checkout at the root cleans the workspace.
  expect(steps.findIndex((s) => s.uses === "actions/checkout@v4" && !s.with?.repository)).toBe(0);
  const dir = steps[upgCheckout]!.with!.path!;
  expect(steps[upgCheckout]!.with!.ref).toBe(expr("env.UPG_REF"));
  const install = steps.findIndex((s) => s["working-directory"] === dir && /\bnpm ci\b/.test(s.run ?? ""));
  expect(install, `${jobName}: runs npm ci in ${dir}`).toBeGreaterThan(upgCheckout);
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));
  // dist/ is not in git: npm ci must build it through `prepare`, and bin/upg is the command.
  expect(pkg.scripts.prepare).toMatch(/\bbuild\b/);
  expect(pkg.bin).toEqual({ upg: "bin/upg" });
  expect(steps[install]!.run).toContain(`echo "$GITHUB_WORKSPACE/${dir}/bin" >> "$GITHUB_PATH"`);
  const setupNode = steps.findIndex((s) => s.uses === "actions/setup-node@v4");
  expect(setupNode).toBeGreaterThan(-1);
  expect(setupNode).toBeLessThan(install);
  expect(Number(steps[setupNode]!.with!["node-version"])).toBeGreaterThanOrEqual(20);
  // Every upg step comes after the install.
  steps.forEach((s, i) => {
    if (s.run && shellLines(s.run).some((l) => parseUpgLine(l))) expect(i).toBeGreaterThan(install);
  });
  const env = wf.env ?? {};
  expect(env.UPG_REPOSITORY).toMatch(/^[\w.-]+\/[\w.-]+$/);
  expect(env.UPG_REF).toBe(`v${pkg.version}`);
}

describe("example workflows: structure", () => {
  it("every upg line has a shell emulation, and every emulation a line", () => {
    expect(CALLS.length).toBeGreaterThan(0);
    expect([...new Set(CALLS.map((c) => c.line))].sort()).toEqual(Object.keys(SHELL).sort());
  });

  it("drift-check.yml: every 30 minutes and on demand, OIDC, upg drift --notify, SARIF uploaded always", () => {
    const wf = loadWorkflow("drift-check.yml");
    expect(wf.on.schedule).toEqual([{ cron: "*/30 * * * *" }]);
    expect(wf.on).toHaveProperty("workflow_dispatch");
    expect(Object.keys(wf.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    expect(wf.permissions).toEqual({
      "id-token": "write",
      contents: "read",
      "security-events": "write",
    });
    expect(Object.keys(wf.jobs)).toEqual(["drift"]);
    expectInstallsUpg(wf, "drift");
    const steps = wf.jobs.drift!.steps;
    const creds = steps.findIndex((s) => s.uses === "aws-actions/configure-aws-credentials@v4");
    expect(steps[creds]!.with).toMatchObject({
      "role-to-assume": expr("vars.UPG_ROLE_ARN"),
      "aws-region": expr("vars.AWS_REGION"),
    });
    const drift = steps.findIndex((s) => s.run?.trim() === "upg drift --notify");
    expect(drift).toBeGreaterThan(creds);
    expect(steps[drift]!.if).toBeUndefined(); // its exit code is the job's result
    const sarif = steps.findIndex((s) => s.run?.includes("upg drift -o sarif > drift.sarif"));
    expect(sarif).toBeGreaterThan(drift);
    expect(steps[sarif]!.if).toBe("always()");
    const upload = steps.findIndex((s) => s.uses === "github/codeql-action/upload-sarif@v3");
    expect(upload).toBeGreaterThan(sarif);
    expect(steps[upload]!.if).toMatch(/^always\(\)/);
    expect(steps[upload]!.with!.sarif_file).toBe(call("drift-check.yml", steps[sarif]!.name!).stdoutTo);
  });

  it("pr-check.yml: on plan changes, validate for every PR, plan with a read-only role, one PR comment", () => {
    const wf = loadWorkflow("pr-check.yml");
    expect(Object.keys(wf.on)).toEqual(["pull_request"]);
    expect(wf.on.pull_request).toEqual({ paths: ["plans/**", "upg.config.yaml"] });
    expect(wf.permissions).toEqual({ contents: "read" });
    expect(Object.keys(wf.jobs)).toEqual(["validate", "plan"]);
    expectInstallsUpg(wf, "validate");
    expectInstallsUpg(wf, "plan");
    // validate needs no AWS: no credentials, no extra permissions.
    expect(wf.jobs.validate!.permissions).toBeUndefined();
    expect(usesOf({ ...wf, jobs: { validate: wf.jobs.validate! } })).not.toContain(
      "aws-actions/configure-aws-credentials@v4",
    );
    expect(call("pr-check.yml", "upg validate").job).toBe("validate");

    const plan = wf.jobs.plan!;
    expect(plan.needs).toBe("validate");
    expect(plan.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
    expect(plan.permissions).toEqual({ "id-token": "write", contents: "read", "pull-requests": "write" });
    const creds = plan.steps.find((s) => s.uses === "aws-actions/configure-aws-credentials@v4")!;
    expect(creds.with).toMatchObject({
      "role-to-assume": expr("vars.UPG_PLAN_ROLE_ARN"),
      "aws-region": expr("vars.AWS_REGION"),
    });
    const planStep = plan.steps.find((s) => s.id === "plan")!;
    expect(planStep.run).toContain('echo "exitcode=$code" >> "$GITHUB_OUTPUT"');
    const comment = plan.steps.find((s) => s.uses === "actions/github-script@v7")!;
    expect(comment.if).toBe("always() && steps.plan.outcome != 'skipped'");
    expect(comment.env).toEqual({
      PLAN_FILE: call("pr-check.yml", planStep.name!).stdoutTo,
      PLAN_EXITCODE: expr("steps.plan.outputs.exitcode"),
    });
    expect(comment.with!.script).toContain(`const marker = "${MARKER}";`);
  });

  it("only first-party actions (actions/, aws-actions/, github/), pinned to a major version", () => {
    for (const f of WORKFLOW_FILES) {
      for (const u of usesOf(loadWorkflow(f)))
        expect(u).toMatch(/^(actions|aws-actions|github)\/[\w/-]+@v\d+$/);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// The shell emulation, checked against bash

describe("example workflows: shell", () => {
  it("each upg step passes or fails in bash as the test's emulation says, for exit codes 0, 1 and 2", () => {
    const bin = mkdtempSync(join(tmpdir(), "upg-fake-"));
    try {
      // A stand-in `upg` that exits with $FAKE_UPG_EXIT and records whether GitHub's variables reached it.
      writeFileSync(
        join(bin, "upg"),
        // biome-ignore lint/suspicious/noTemplateCurlyInString: a shell script, not a template
        '#!/bin/sh\necho "upg $* summary=${GITHUB_STEP_SUMMARY:-unset} actions=${GITHUB_ACTIONS:-unset}" >&2\nexit "$FAKE_UPG_EXIT"\n',
      );
      chmodSync(join(bin, "upg"), 0o755);
      for (const file of WORKFLOW_FILES) {
        for (const [, job] of Object.entries(loadWorkflow(file).jobs)) {
          for (const s of job.steps) {
            const lines = s.run ? shellLines(s.run) : [];
            const upgLines = lines.filter((l) => parseUpgLine(l));
            if (upgLines.length === 0) continue;
            expect(upgLines).toHaveLength(1);
            const c = parseUpgLine(upgLines[0]!)!;
            for (const code of [0, 1, 2]) {
              const out = join(bin, "github-output");
              writeFileSync(out, "");
              const r = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", s.run!], {
                cwd: bin,
                env: {
                  PATH: `${bin}:${process.env.PATH}`,
                  FAKE_UPG_EXIT: String(code),
                  GITHUB_OUTPUT: out,
                  GITHUB_ACTIONS: "true",
                  GITHUB_STEP_SUMMARY: join(bin, "summary.md"),
                },
                encoding: "utf8",
              });
              expect(r.status === 0, `${file} "${s.name}" with upg exiting ${code}: ${r.stderr}`).toBe(
                SHELL[c.line]!.passes(code),
              );
              // The variables the line unsets do not reach upg; the others do.
              const seen = r.stderr.match(/summary=(\S+) actions=(\S+)/)!;
              expect(seen[1] === "unset").toBe(c.unset.includes("GITHUB_STEP_SUMMARY"));
              expect(seen[2] === "unset").toBe(c.unset.includes("GITHUB_ACTIONS"));
              if (c.stdoutTo) expect(existsSync(join(bin, c.stdoutTo))).toBe(true);
              if (s.id === "plan") expect(readFileSync(out, "utf8")).toBe(`exitcode=${code}\n`);
            }
          }
        }
      }
    } finally {
      rmSync(bin, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------------------
// The PR comment script, against a fake GitHub

interface FakeComment {
  id: number;
  body: string;
  user: { login: string; type: "User" | "Bot" };
}

function fakeGitHub(initial: FakeComment[]) {
  const comments = initial.map((c) => ({ ...c }));
  const writes: string[] = [];
  let next = 100;
  const rest = {
    issues: {
      listComments: async (_: { issue_number: number }) => ({ data: comments.map((c) => ({ ...c })) }),
      createComment: async ({ body, issue_number }: { body: string; issue_number: number }) => {
        expect(issue_number).toBe(7);
        writes.push("create");
        comments.push({ id: next++, body, user: { login: "github-actions[bot]", type: "Bot" } });
      },
      updateComment: async ({ comment_id, body }: { comment_id: number; body: string }) => {
        writes.push(`update ${comment_id}`);
        comments.find((c) => c.id === comment_id)!.body = body;
      },
    },
  };
  const github = {
    rest,
    paginate: async <P>(fn: (p: P) => Promise<{ data: unknown[] }>, params: P) => (await fn(params)).data,
  };
  return { github, comments, writes };
}

const context = {
  serverUrl: "https://github.com",
  repo: { owner: "acme", repo: "api-plans" },
  runId: 4242,
  issue: { number: 7 },
  payload: { pull_request: { head: { sha: "0123456789abcdef0123456789abcdef01234567" } } },
};

/** Run the workflow's github-script body as actions/github-script does: an async function of its globals. */
async function postComment(github: unknown, env: Record<string, string>): Promise<void> {
  const wf = loadWorkflow("pr-check.yml");
  const script = wf.jobs.plan!.steps.find((s) => s.uses === "actions/github-script@v7")!.with!.script!;
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
    ...args: string[]
  ) => (...a: unknown[]) => Promise<void>;
  const fn = new AsyncFunction("github", "context", "core", "require", "process", script);
  await fn(github, context, {}, createRequire(import.meta.url), { env });
}

// ---------------------------------------------------------------------------------------------------------
// Scenarios: every upg call of the workflows, through the real CLI against the sandbox

describe("pr-check.yml against the sandbox", () => {
  it("a PR that changes a plan: validate 0, plan 2 with markdown and a step summary, one comment updated on the next push", async () => {
    const p = await applied();
    editPlan(p, "premium-and-enterprise.yaml", "rate_limit: 500\n", "rate_limit: 750\n");

    const validate = await runCall(p, call("pr-check.yml", "upg validate"));
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    expect(validate.stepPasses).toBe(true);

    const planCall = call("pr-check.yml", "upg plan");
    const plan = await runCall(p, planCall);
    expect(plan.code, plan.stderr).toBe(2);
    expect(plan.stepPasses).toBe(true);
    const md = readFileSync(join(p.dir, planCall.stdoutTo!), "utf8");
    expect(md.startsWith("### upg plan\n")).toBe(true);
    expect(md).toContain("`premium-weather`");
    expect(md).toContain("throttle.rateLimit: 500 → 750");
    expect(summaryOf(p)).toContain("### upg plan");

    // First push: the script creates the comment; a human comment is left alone, even one quoting the marker.
    const human: FakeComment = {
      id: 1,
      body: `${MARKER} quoted by a person`,
      user: { login: "dev", type: "User" },
    };
    const gh = fakeGitHub([human]);
    const env = { PLAN_FILE: join(p.dir, planCall.stdoutTo!), PLAN_EXITCODE: String(plan.code) };
    await postComment(gh.github, env);
    expect(gh.writes).toEqual(["create"]);
    const posted = gh.comments.find((c) => c.user.type === "Bot")!;
    expect(posted.body.startsWith(`${MARKER}\n${md.trim()}\n`)).toBe(true);
    expect(posted.body).toContain("`upg apply` will make these changes after merge.");
    expect(posted.body).toContain("https://github.com/acme/api-plans/actions/runs/4242");
    expect(posted.body).toContain("Plan of 0123456");

    // Next push: the plan changed; the same comment is updated, none added.
    editPlan(p, "premium-and-enterprise.yaml", "rate_limit: 750\n", "rate_limit: 800\n");
    const again = await runCall(p, planCall);
    expect(again.code).toBe(2);
    await postComment(gh.github, env);
    expect(gh.writes).toEqual(["create", `update ${posted.id}`]);
    expect(gh.comments).toHaveLength(2);
    expect(gh.comments.find((c) => c.id === posted.id)!.body).toContain("throttle.rateLimit: 500 → 800");
    expect(gh.comments.find((c) => c.id === 1)).toEqual(human);
  }, 90_000);

  it("a PR with nothing to apply: plan 0; a PR with a problem: plan 1 fails the step and the comment shows it", async () => {
    const p = await applied();
    const planCall = call("pr-check.yml", "upg plan");
    const clean = await runCall(p, planCall);
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stepPasses).toBe(true);
    expect(readFileSync(join(p.dir, "plan.md"), "utf8")).toContain("No changes");

    // An API key name that does not exist: a problem, apply would refuse.
    editPlan(p, "basic.yaml", "  - globex-mobile\n", "  - globex-mobile\n  - no-such-key\n");
    const bad = await runCall(p, planCall);
    expect(bad.code).toBe(1);
    expect(bad.stepPasses).toBe(false);
    const md = readFileSync(join(p.dir, planCall.stdoutTo!), "utf8");
    expect(md).toContain("**Problems (apply is blocked):**");
    expect(md).toContain("no-such-key");
    expect(bad.stderr).toMatch(/^::error file=plans\/basic\.yaml,line=\d+,/m);
    const gh = fakeGitHub([]);
    await postComment(gh.github, {
      PLAN_FILE: join(p.dir, planCall.stdoutTo!),
      PLAN_EXITCODE: String(bad.code),
    });
    expect(gh.comments[0]!.body.startsWith(`${MARKER}\n### upg plan\n`)).toBe(true);
    expect(gh.comments[0]!.body).toContain("upg plan failed: apply would be refused.");

    // upg never got to print a plan: the comment says so and links the run.
    const none = fakeGitHub([]);
    await postComment(none.github, { PLAN_FILE: join(p.dir, "missing.md"), PLAN_EXITCODE: "" });
    expect(none.comments[0]!.body).toContain(`${MARKER}\n**upg plan failed before printing a plan.**`);
  }, 90_000);

  it("validate fails the check on a broken plan file", async () => {
    const p = await userRepo();
    editPlan(p, "free.yaml", "rate_limit: 5\n", "rate_limit: 5\nquota_limt: 3\n");
    const r = await runCall(p, call("pr-check.yml", "upg validate"));
    expect(r.code).toBe(1);
    expect(r.stepPasses).toBe(false);
    expect(r.stdout + r.stderr).toContain("Unknown field `quota_limt`");
  }, 60_000);
});

describe("drift-check.yml against the sandbox", () => {
  it("clean: exit 0, no alert, a summary; SARIF valid with no results", async () => {
    const p = await applied();
    const drift = await runCall(p, call("drift-check.yml", "upg drift"));
    expect(drift.code, drift.stdout + drift.stderr).toBe(0);
    expect(drift.stepPasses).toBe(true);
    expect(drift.stdout).not.toContain("::error");
    expect(summaryOf(p)).toMatch(/^#+ /m);
    expect(await e2e.sb.sns.messages()).toEqual([]);

    const sarifCall = call("drift-check.yml", "upg drift (SARIF)");
    const before = summaryOf(p);
    const sarif = await runCall(p, sarifCall);
    expect(sarif.code, sarif.stderr).toBe(0);
    expect(sarif.stepPasses).toBe(true);
    const doc = JSON.parse(readFileSync(join(p.dir, sarifCall.stdoutTo!), "utf8"));
    expect(doc.version).toBe("2.1.0");
    expect(doc.runs[0].results).toEqual([]);
    expect(summaryOf(p)).toBe(before);
  }, 90_000);

  it("a console change: exit 2 fails the job, annotated and summarised, alerted once over two runs; SARIF points at the plan file", async () => {
    const p = await applied();
    const premium = await e2e.planByName("Premium Weather API");
    await pause();
    await e2e.sdk.send(
      new UpdateUsagePlanCommand({
        usagePlanId: premium.id,
        patchOperations: [{ op: "replace", path: "/throttle/rateLimit", value: "5000" }],
      }),
    );

    const driftCall = call("drift-check.yml", "upg drift");
    const drift = await runCall(p, driftCall);
    expect(drift.code, drift.stdout + drift.stderr).toBe(2);
    expect(drift.stepPasses).toBe(false);
    expect(drift.stdout).toMatch(
      /^::error file=plans\/premium-and-enterprise\.yaml,line=7,title=upg drift HIGH%3A rate_limit_changed::/m,
    );
    const summary = summaryOf(p);
    expect(summary).toMatch(/^#+ /m);
    expect(summary).toContain("rate_limit_changed");
    const alerts = await e2e.sb.sns.messages();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]!.topicArn).toBe(e2e.sb.sns.topicArn);
    expect(alerts[0]!.message).toContain("premium-weather");

    // The next scheduled run: still drift, still a failed job, no second alert.
    const second = await runCall(p, driftCall);
    expect(second.code).toBe(2);
    expect(await e2e.sb.sns.messages()).toHaveLength(1);

    // The SARIF step tolerates 2, writes neither summary nor annotations again, and points at the plan file.
    const sarifCall = call("drift-check.yml", "upg drift (SARIF)");
    const before = summaryOf(p);
    const sarif = await runCall(p, sarifCall);
    expect(sarif.code).toBe(2);
    expect(sarif.stepPasses).toBe(true);
    expect(sarif.stderr).not.toContain("::error");
    expect(summaryOf(p)).toBe(before);
    const doc = JSON.parse(readFileSync(join(p.dir, sarifCall.stdoutTo!), "utf8"));
    expect(doc.version).toBe("2.1.0");
    const results = doc.runs[0].results as Array<{
      ruleId: string;
      locations: Array<{
        physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } };
      }>;
    }>;
    expect(results.map((r) => r.ruleId)).toEqual(["rate_limit_changed"]);
    const loc = results[0]!.locations[0]!.physicalLocation;
    expect(loc).toMatchObject({
      artifactLocation: { uri: "plans/premium-and-enterprise.yaml" },
      region: { startLine: 7 },
    });
    // Relative to the repository root, where upload-sarif resolves it.
    expect(existsSync(join(p.dir, loc.artifactLocation.uri))).toBe(true);

    // Repaired (by an apply after review): the next scheduled run is green and sends one "resolved" alert.
    const repair = await p.upg(["apply", "--auto-approve"]);
    expect(repair.code, repair.stdout + repair.stderr).toBe(0);
    const clean = await runCall(p, driftCall);
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stepPasses).toBe(true);
    const after = await e2e.sb.sns.messages();
    expect(after).toHaveLength(2);
    expect(`${after[1]!.subject}\n${after[1]!.message}`).toMatch(/resolved/i);
  }, 90_000);
});

describe("example workflows: coverage", () => {
  it("every upg line of the workflows ran through the real CLI", () => {
    expect([...ran].sort()).toEqual(Object.keys(SHELL).sort());
  });
});
