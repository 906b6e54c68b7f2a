/**
 * A reverse proxy that serves loopback ports under /proxy/<port>/ the way code-server does: it strips the prefix and
 * forwards the request with its headers unchanged, Host included (so the emulator sees the proxy's Host), streaming
 * both ways (the dashboard's event stream passes through as it arrives).
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface PathPrefixProxy {
  origin: string;
  /** The address under which the proxy serves `port`, with a trailing slash. */
  root(port: number): string;
  close(): Promise<void>;
}

export async function startPathPrefixProxy(): Promise<PathPrefixProxy> {
  const server = http.createServer((request, response) => {
    const match = /^\/proxy\/(\d+)(\/.*)?$/.exec(request.url ?? "");
    if (!match) {
      response.writeHead(404).end("not a /proxy/<port>/ address");
      return;
    }
    const upstream = http.request(
      { host: "127.0.0.1", port: Number(match[1]), method: request.method, path: match[2] ?? "/", headers: request.headers },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on("error", (error) => (response.headersSent ? response.destroy() : response.writeHead(502).end(error.message)));
    response.on("close", () => upstream.destroy());
    request.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    origin,
    root: (port) => `${origin}/proxy/${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
