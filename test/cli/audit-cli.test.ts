// `upg audit verify`, `upg history` and `upg unlock LOCK_ID` through the real CLI against the sandbox.
// Tampering goes through the raw DynamoDB document client, as someone with table access would do it.

import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AuditRecord } from "../../src/model/record.js";
import { AUDIT_STREAM, auditHash, LOCK_ITEM_KEY, type Store } from "../../src/store/index.js";
import { type E2E, type Project, startE2E } from "../e2e/harness.js";
import { sampleEntry } from "../store/helpers.js";

let e2e: E2E;
let raw: DynamoDBDocumentClient;
beforeAll(async () => {
  e2e = await startE2E();
  raw = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      region: e2e.sb.region,
      endpoint: e2e.sb.dynamodbEndpoint!,
      credentials: e2e.sb.credentials,
      maxAttempts: 1,
    }),
  );
}, 60_000);
afterAll(async () => {
  raw?.destroy();
  await e2e?.stop();
});

const NO_STACK = /\n\s+at .+\(.+:\d+:\d+\)/;

async function project(): Promise<{ p: Project; store: Store }> {
  const p = await e2e.project();
  const init = await p.upg(["init"]);
  expect(init.code, init.stderr).toBe(0);
  return { p, store: p.store() };
}

async function chainOf(store: Store, n: number): Promise<AuditRecord[]> {
  const rows: AuditRecord[] = [];
  for (let i = 1; i <= n; i++) rows.push(await store.appendAudit(sampleEntry(`plan-${i % 2}`, i)));
  return rows;
}

async function row(p: Project, seq: number): Promise<Record<string, unknown>> {
  const out = await raw.send(
    new GetCommand({ TableName: p.tables.audit, Key: { stream: AUDIT_STREAM, seq } }),
  );
  return out.Item!;
}

async function put(p: Project, item: object): Promise<void> {
  await raw.send(new PutCommand({ TableName: p.tables.audit, Item: item }));
}

async function del(p: Project, seq: number): Promise<void> {
  await raw.send(new DeleteCommand({ TableName: p.tables.audit, Key: { stream: AUDIT_STREAM, seq } }));
}

describe("upg audit verify", () => {
  it("an intact chain: exit 0, row count and the head's seq and hash", async () => {
    const { p, store } = await project();
    const empty = await p.upg(["audit", "verify"]);
    expect(empty).toMatchObject({ code: 0, stdout: "Audit log OK: no rows yet.\n" });
    const rows = await chainOf(store, 3);
    const r = await p.upg(["audit", "verify"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(`Audit log OK: 3 rows, head seq 3 hash ${rows[2]!.hash}\n`);
    const json = await p.upg(["audit", "verify", "-o", "json"]);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toEqual({
      ok: true,
      count: 3,
      head: { seq: 3, hash: rows[2]!.hash, updated_at: expect.any(String) },
      first_problem: null,
      problems: [],
    });
  });

  it("an edited row: exit 1 naming it", async () => {
    const { p, store } = await project();
    await chainOf(store, 4);
    await put(p, { ...(await row(p, 2)), actor: "mallory" });
    const r = await p.upg(["audit", "verify"]);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toBe(
      "Audit log BROKEN at seq 2: hash does not match the row's content (the row was changed)",
    );
    expect(r.stderr).toBe("");
  });

  it("a deleted middle row: exit 1 naming the gap", async () => {
    const { p, store } = await project();
    await chainOf(store, 4);
    await del(p, 2);
    const r = await p.upg(["audit", "verify", "-o", "json"]);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout).first_problem).toEqual({
      seq: 3,
      kind: "gap",
      reason: "gap: seq 2 missing before seq 3",
    });
  });

  it("a deleted newest row: exit 1, the head points past the last row", async () => {
    const { p, store } = await project();
    const rows = await chainOf(store, 4);
    await del(p, 4);
    const r = await p.upg(["audit", "verify"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe(
      [
        "Audit log BROKEN at seq 4: the chain head is at seq 4 but the last row is seq 3: seq 4 (the newest row) deleted",
        `Checked 3 rows; head seq 4 hash ${rows[3]!.hash}.`,
        "",
      ].join("\n"),
    );
  });

  it("an inserted row: exit 1 naming the first row that does not fit", async () => {
    const { p, store } = await project();
    const rows = await chainOf(store, 4);
    // A forged seq 2, self-consistent but not what seq 3 was chained to.
    const forged = { ...sampleEntry("plan-x", 99), stream: AUDIT_STREAM, seq: 2, prev_hash: rows[0]!.hash };
    await put(p, { ...forged, hash: auditHash(forged) });
    const r = await p.upg(["audit", "verify"]);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toBe(
      "Audit log BROKEN at seq 3: prev_hash does not match the hash of seq 2",
    );
  });

  it("a correctly chained row past the head: exit 1, worded as interrupted append or outside upg", async () => {
    const { p, store } = await project();
    const rows = await chainOf(store, 2);
    const extra = { ...sampleEntry("plan-x", 3), stream: AUDIT_STREAM, seq: 3, prev_hash: rows[1]!.hash };
    await put(p, { ...extra, hash: auditHash(extra) });
    const r = await p.upg(["audit", "verify"]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      "Audit log BROKEN at seq 3: seq 3 past the chain head (seq 2): an interrupted append (the next apply completes it) or rows added outside upg",
    );
    expect(r.stdout).toContain("the next `upg apply` completes its audit append");
  });

  it("a malformed row: exit 1 naming it, never a stack trace", async () => {
    const { p, store } = await project();
    await chainOf(store, 3);
    const { hash: _gone, ...rest } = await row(p, 2);
    await put(p, { ...rest, at: 12345 });
    const r = await p.upg(["audit", "verify"]);
    expect(r.code).toBe(1);
    expect(r.stdout.split("\n")[0]).toBe(
      "Audit log BROKEN at seq 2: malformed row: `hash` is missing; `at` is a number, not a string",
    );
    expect(r.stderr).not.toMatch(NO_STACK);
  });
});

describe("upg history", () => {
  it("one line per row, newest last; filtered by plan; --limit; -o json", async () => {
    const { p, store } = await project();
    await store.appendAudit({
      ...sampleEntry("premium-weather", 1),
      actor: "arn:aws:iam::123456789012:user/alice",
      action: "create",
      api_gateway_id: "ab12cd",
    });
    await store.appendAudit({
      ...sampleEntry("free-weather", 2),
      actor: "ci",
      action: "recreate",
      api_gateway_id: "zz99yy",
      previous_api_gateway_id: "qq11rr",
    });
    await store.appendAudit({
      ...sampleEntry("premium-weather", 3),
      actor: "ci",
      action: "attach_key",
      outcome: "failed",
      api_gateway_id: "ab12cd",
      key_id: "k7x8y9",
    });

    const r = await p.upg(["history"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe(
      [
        "#1  2026-01-01T00:00:01.000Z  arn:aws:iam::123456789012:user/alice  create      premium-weather  ok      ab12cd",
        "#2  2026-01-01T00:00:02.000Z  ci                                    recreate    free-weather     ok      zz99yy (was qq11rr)",
        "#3  2026-01-01T00:00:03.000Z  ci                                    attach_key  premium-weather  failed  ab12cd key k7x8y9",
        "",
      ].join("\n"),
    );

    const premium = await p.upg(["history", "premium-weather"]);
    expect(
      premium.stdout
        .trim()
        .split("\n")
        .map((l) => l.split(/\s+/)[0]),
    ).toEqual(["#1", "#3"]);

    const latest = await p.upg(["history", "--limit", "2"]);
    expect(latest.stdout.trim().split("\n")).toEqual([
      expect.stringMatching(/^#2 /),
      expect.stringMatching(/^#3 /),
      "(the latest 2 rows; --limit N for more, --limit 0 for all)",
    ]);

    const json = await p.upg(["history", "premium-weather", "-o", "json"]);
    expect(json.code).toBe(0);
    const rows = JSON.parse(json.stdout) as AuditRecord[];
    expect(rows.map((x) => [x.seq, x.action, x.api_gateway_id])).toEqual([
      [1, "create", "ab12cd"],
      [3, "attach_key", "ab12cd"],
    ]);
    expect(rows[1]).toMatchObject({ key_id: "k7x8y9", outcome: "failed", hash: expect.any(String) });

    expect((await p.upg(["history", "nobody"])).stdout).toBe("No audit rows for nobody.\n");
    const bad = await p.upg(["history", "--limit", "-3"]);
    expect(bad.code).toBe(1);
  });
});

describe("upg unlock LOCK_ID", () => {
  it("apply names the lock id; a wrong id releases nothing; the right id releases and audits", async () => {
    const { p, store } = await project();
    p.writePlan(
      "free.yaml",
      "plan_id: free\nname: Free\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n",
    );
    const lock = await store.acquireLock({ owner: "ci-job-17", runId: "other-run", ttlSeconds: 600 });
    const held = await p.upg(["apply", "--auto-approve"]);
    expect(held.code).toBe(1);
    expect(held.stderr).toContain(
      `Another upg run holds the apply lock (lock id ${lock.lock_id}): ci-job-17 since ${lock.acquired_at}`,
    );
    expect(held.stderr).toContain(`upg unlock ${lock.lock_id} --reason`);

    const missing = await p.upg(["unlock", "--reason", "x"]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("missing required argument 'lock_id'");

    const wrong = await p.upg(["unlock", "deadbeef", "--reason", "ci-job-17 was killed"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain(
      `Error: Lock id deadbeef is not the current apply lock: that is lock id ${lock.lock_id}, held by ci-job-17 since ${lock.acquired_at}. Nothing was released.`,
    );
    expect(await store.getLock()).toMatchObject({ lock_id: lock.lock_id });
    expect(await store.listAudit()).toEqual([]);

    const right = await p.upg(["unlock", lock.lock_id, "--reason", "ci-job-17 was killed"]);
    expect(right.code, right.stderr).toBe(0);
    expect(right.stdout).toBe(
      `Released the lock held by ci-job-17 since ${lock.acquired_at} (lock id ${lock.lock_id}).\n`,
    );
    expect(await store.getLock()).toBeUndefined();
    const audit = await store.listAudit();
    expect(audit).toMatchObject([
      {
        action: "force_unlock",
        plan_id: LOCK_ITEM_KEY,
        before: { owner: "ci-job-17", lock_id: lock.lock_id },
        after: { reason: "ci-job-17 was killed" },
      },
    ]);
    const history = await p.upg(["history"]);
    expect(history.stdout).toMatch(/^#1 .* force_unlock {2}\(apply lock\) {2}ok\n$/);
    expect((await p.upg(["audit", "verify"])).code).toBe(0);
  }, 60_000);
});

describe("plan and apply check the chain head", () => {
  const FREE =
    "plan_id: free\nname: Free\nrate_limit: 5\nburst_limit: 10\nstages: [{ api_name: weather-api, stage: dev }]\n";

  it("deleting the newest row makes plan and apply warn and point at `upg audit verify`", async () => {
    const { p } = await project();
    p.writePlan("free.yaml", FREE);
    const first = await p.upg(["apply", "--auto-approve"]);
    expect(first.code, first.stderr).toBe(0);
    const head = /Audit log head: seq (\d+), sha256 ([0-9a-f]{64})/.exec(first.stdout);
    expect(head, first.stdout).not.toBeNull();
    expect((await p.upg(["plan"])).stderr).not.toContain("Warning");
    await del(p, Number(head![1]));
    const plan = await p.upg(["plan"]);
    expect(plan.code).toBe(0);
    expect(plan.stderr).toContain(
      `Warning: the audit log's head says row ${head![1]} is the newest, but the log is empty: rows were deleted. Run \`upg audit verify\`.`,
    );
    p.writePlan("free.yaml", FREE.replace("rate_limit: 5", "rate_limit: 6"));
    const apply = await p.upg(["apply", "--auto-approve"]);
    expect(apply.stderr).toContain("rows were deleted. Run `upg audit verify`.");
  });

  it("a row added after the head is reported by plan", async () => {
    const { p, store } = await project();
    const rows = await chainOf(store, 2);
    const extra = { ...rows[1]!, seq: 3, prev_hash: rows[1]!.hash, change_id: "added" };
    await put(p, { ...extra, hash: auditHash(extra) });
    p.writePlan("free.yaml", FREE);
    const plan = await p.upg(["plan"]);
    expect(plan.stderr).toContain("the audit log has rows after its head (row 2; newest 3)");
  });
});
