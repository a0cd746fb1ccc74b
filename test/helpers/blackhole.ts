// Servers that misbehave the way a broken network or proxy does: one that accepts connections and never
// answers, and one that answers every request with an HTML error page.

import { createServer as createHttpServer } from "node:http";
import { createServer, type Socket } from "node:net";

export interface TestServer {
  url: string;
  /** Connections accepted so far. */
  connections(): number;
  close(): Promise<void>;
}

/** A TCP server that accepts every connection, reads whatever is sent, and never answers. */
export async function startBlackhole(): Promise<TestServer> {
  const sockets = new Set<Socket>();
  let count = 0;
  const server = createServer((socket) => {
    count++;
    sockets.add(socket);
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
    socket.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP server that answers every request with `status` and an HTML page, as a proxy in trouble does. */
export async function startHtmlErrorServer(status = 500): Promise<TestServer> {
  let count = 0;
  const server = createHttpServer((req, res) => {
    count++;
    req.resume();
    req.on("end", () => {
      res.writeHead(status, { "content-type": "text/html; charset=utf-8" });
      res.end(
        `<html><head><title>${status} Internal Server Error</title></head><body><h1>Oops</h1></body></html>`,
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    connections: () => count,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
