/** dynalite (DynamoDB on LevelDB) in the same process, on its own port. */
import { mkdir } from "node:fs/promises";
import dynalite from "dynalite";
import type { SandboxIam } from "./iam.js";
import { close, listen } from "./server.js";

export interface DynamoServer {
  endpoint: string;
  stop(): Promise<void>;
}

export interface DynamoOptions {
  host: string;
  port: number;
  /** Persist tables here; in memory when absent. */
  dataDir?: string;
  /** Check every request against this IAM policy before dynalite sees it. */
  iam?: SandboxIam;
}

/** "::1" → "[::1]" for URLs. */
export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

export async function startDynamo(opts: DynamoOptions): Promise<DynamoServer> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path: opts.dataDir });
  opts.iam?.gateDynamo(server);
  const port = await listen(server, opts.port, opts.host);
  return { endpoint: `http://${urlHost(opts.host)}:${port}`, stop: () => close(server) };
}
