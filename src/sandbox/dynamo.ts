/**
 * dynalite (DynamoDB on LevelDB) in the same process, on its own port: one dynalite per account-region, as
 * DynamoDB tables are regional. The default account-region's dynalite owns the port (and `dataDir` itself);
 * a request for another account-region (`route`) goes to a dynalite created on first use, with its tables in
 * `dataDir/dynamodb-ACCOUNT-REGION/`. Requests are handed to the right dynalite in the same process, not proxied.
 */
import { mkdirSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import type { IncomingMessage, RequestListener, Server, ServerResponse } from "node:http";
import { join } from "node:path";
import dynalite from "dynalite";
import type { SandboxIam } from "./iam.js";
import { close, listen } from "./server.js";

export interface DynamoServer {
  endpoint: string;
  /** "ACCOUNT/REGION" of every account-region that has its own dynalite (the default one not included). */
  accountRegions(): string[];
  stop(): Promise<void>;
}

export interface DynamoOptions {
  host: string;
  port: number;
  /** Persist tables here; in memory when absent. */
  dataDir?: string;
  /** Check every request against this IAM policy before dynalite sees it. */
  iam?: SandboxIam;
  /**
   * The account-region ("ACCOUNT/REGION") a request addresses, or undefined for the default one. Without it
   * every request goes to the default dynalite.
   */
  route?: (req: IncomingMessage) => string | undefined;
}

/** "::1" → "[::1]" for URLs. */
export function urlHost(host: string): string {
  return host.includes(":") ? `[${host}]` : host;
}

/** The subdirectory of `dataDir` holding one account-region's tables. */
export function dynamoSubdir(key: string): string {
  return `dynamodb-${key.replace("/", "-")}`;
}

function createDynalite(path: string | undefined, iam: SandboxIam | undefined, key?: string): Server {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0, path });
  if (iam) {
    const [accountId, region] = key?.split("/") ?? [];
    iam.gateDynamo(server, accountId && region ? { accountId, region } : iam.where);
  }
  return server;
}

export async function startDynamo(opts: DynamoOptions): Promise<DynamoServer> {
  if (opts.dataDir) await mkdir(opts.dataDir, { recursive: true });
  const server = createDynalite(opts.dataDir, opts.iam);
  // Other account-regions' dynalites listen on a free loopback port of their own only so that they close
  // (and release their LevelDB files) like the default one; requests reach them through the default port.
  const others = new Map<string, { server: Server; listening: Promise<unknown> }>();
  const instance = (key: string): Server => {
    const found = others.get(key);
    if (found) return found.server;
    let path: string | undefined;
    if (opts.dataDir) {
      path = join(opts.dataDir, dynamoSubdir(key));
      mkdirSync(path, { recursive: true });
    }
    const created = createDynalite(path, opts.iam, key);
    others.set(key, { server: created, listening: listen(created, 0, opts.host).catch(() => undefined) });
    return created;
  };
  const route = opts.route;
  if (route) {
    const own = server.listeners("request") as RequestListener[];
    server.removeAllListeners("request");
    server.on("request", (req: IncomingMessage, res: ServerResponse) => {
      const key = route(req);
      if (key === undefined) for (const h of own) h.call(server, req, res);
      else instance(key).emit("request", req, res);
    });
  }
  const port = await listen(server, opts.port, opts.host);
  return {
    endpoint: `http://${urlHost(opts.host)}:${port}`,
    accountRegions: () => [...others.keys()],
    stop: async () => {
      await Promise.all([
        close(server),
        ...[...others.values()].map(async (o) => {
          await o.listening;
          await close(o.server);
        }),
      ]);
    },
  };
}
