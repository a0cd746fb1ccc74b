// A counting HTTP proxy: put it in front of dynalite to count DynamoDB calls by operation, or in front of the
// API Gateway emulator to count the answers a client received by status (429s above all).

import { Agent, createServer, request } from "node:http";

/**
 * A proxy in front of `target`: requests counted by `keyOf(req)`, answers by HTTP status. `endpoint` is where
 * clients point; `reset()` zeroes both.
 *
 * `timeScale`: rewrite the sandbox's `Retry-After` to the time-scaled value. The sandbox answers a 429 with
 * `Retry-After` in whole seconds of real time (at least 1) and the exact wait in `x-sandbox-retry-after-ms`; at
 * time scale 0.01 a "1" there stands for 100 s of AWS time, so every client honouring it would wait 100× too
 * long. The rewrite gives what AWS would send (whole seconds, at least 1, of the unscaled wait) multiplied by
 * the time scale, as a decimal (e.g. `0.2` for AWS's `20` at 0.01).
 */
export async function countingProxy(target, keyOf = () => "request", { timeScale } = {}) {
  const counts = {};
  const statuses = {};
  const upstream = new URL(target);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const server = createServer((req, res) => {
    const key = keyOf(req);
    counts[key] = (counts[key] ?? 0) + 1;
    const fwd = request(
      {
        host: upstream.hostname,
        port: upstream.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (up) => {
        const status = up.statusCode ?? 502;
        statuses[status] = (statuses[status] ?? 0) + 1;
        const headers = { ...up.headers };
        const exactMs = Number(headers["x-sandbox-retry-after-ms"]);
        if (timeScale && headers["retry-after"] !== undefined && Number.isFinite(exactMs)) {
          const awsSeconds = Math.max(1, Math.ceil(exactMs / timeScale / 1000));
          headers["retry-after"] = String(Math.round(awsSeconds * timeScale * 1e6) / 1e6);
        }
        res.writeHead(status, headers);
        up.pipe(res);
      },
    );
    fwd.on("error", (err) => {
      res.writeHead(502);
      res.end(String(err));
    });
    req.pipe(fwd);
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const total = (o) => Object.values(o).reduce((x, y) => x + y, 0);
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    counts: () => ({ ...counts, total: total(counts) }),
    /** Answers with status 429 since the last reset. */
    throttled: () => statuses[429] ?? 0,
    statuses: () => ({ ...statuses }),
    reset: () => {
      for (const o of [counts, statuses]) for (const k of Object.keys(o)) delete o[k];
    },
    close: () => {
      agent.destroy();
      server.closeAllConnections?.();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** The DynamoDB operation of a request (`x-amz-target: DynamoDB_20120810.PutItem` → PutItem). */
export const dynamoOperation = (req) =>
  String(req.headers["x-amz-target"] ?? "unknown")
    .split(".")
    .at(-1);
