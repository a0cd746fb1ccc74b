// What one run leaves of the request budget, for the next run against the same endpoint. AWS's bucket
// belongs to the account and region, not to the process: a `plan` that spent the burst and an `apply`
// started a second later would otherwise begin with a full burst of their own and meet 429s. Best effort:
// a missing, unreadable or stale file means a full bucket, and a file that cannot be written is skipped.

import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";

/** Tokens left in the pacer's bucket at `at` (epoch ms). */
export interface SavedPace {
  at: number;
  tokens: number;
}

export interface PaceMemory {
  load(): SavedPace | undefined;
  save(pace: SavedPace): void;
}

/** Where the budget is remembered: per user, outside the project. */
export function defaultPaceDir(): string {
  let user = "user";
  try {
    user = String(userInfo().uid >= 0 ? userInfo().uid : userInfo().username);
  } catch {}
  return join(tmpdir(), `upg-pace-${user}`);
}

/** One file per endpoint, region and credentials identity (profile or access key id), never the secret. */
export function paceKey(parts: { endpoint: string; region: string; profile?: string; accessKeyId?: string }) {
  return createHash("sha256")
    .update(JSON.stringify([parts.endpoint, parts.region, parts.profile ?? "", parts.accessKeyId ?? ""]))
    .digest("hex")
    .slice(0, 24);
}

function isSavedPace(v: unknown): v is SavedPace {
  const o = v as Partial<SavedPace> | null;
  return (
    typeof o === "object" &&
    o !== null &&
    typeof o.at === "number" &&
    typeof o.tokens === "number" &&
    Number.isFinite(o.at) &&
    Number.isFinite(o.tokens)
  );
}

export function filePaceMemory(key: string, dir: string = defaultPaceDir()): PaceMemory {
  const file = join(dir, `${key}.json`);
  return {
    load() {
      try {
        const v: unknown = JSON.parse(readFileSync(file, "utf8"));
        return isSavedPace(v) ? v : undefined;
      } catch {
        return undefined;
      }
    },
    save(pace) {
      try {
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const tmp = `${file}.${process.pid}.tmp`;
        writeFileSync(tmp, JSON.stringify(pace), { mode: 0o600 });
        renameSync(tmp, file);
      } catch {}
    },
  };
}

const flushers = new Set<() => void>();
let hooked = false;

/** Runs `flush` when the process exits (normally or by process.exit); returns a function that cancels it. */
export function flushOnExit(flush: () => void): () => void {
  if (!hooked) {
    hooked = true;
    process.once("exit", () => {
      for (const f of flushers) f();
    });
  }
  flushers.add(flush);
  return () => flushers.delete(flush);
}
