/**
 * Raw HTTP clients for tests: one that lets them set any header, Host included (fetch would not), a reader of
 * server-sent event streams, and a socket one for bytes no client library would send.
 */
import * as http from "node:http";
import * as net from "node:net";

export interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
  json: () => any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** Rejects when the server fails the exchange: a dropped connection, or (with timeoutMs) no whole answer in time. */
export function request(
  url: string,
  options: { method?: string; headers?: Record<string, string>; body?: string | Buffer; timeoutMs?: number } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: options.method ?? "GET", headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk) => chunks.push(chunk));
      res.on("error", reject); // the connection dropped mid-answer
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text) });
      });
    });
    req.on("error", reject);
    if (options.timeoutMs !== undefined) {
      const timer = setTimeout(() => req.destroy(new Error(`no whole answer within ${options.timeoutMs} ms`)), options.timeoutMs);
      req.on("response", (res) => res.on("end", () => clearTimeout(timer)));
      req.on("error", () => clearTimeout(timer));
    }
    if (options.body !== undefined) req.write(options.body);
    req.end();
  });
}

export interface EventStream {
  headers: http.IncomingHttpHeaders;
  /** Resolves when what the stream sent so far matches; rejects if it closes first. */
  waitFor(pattern: RegExp): Promise<void>;
  close(): void;
}

/** Opens a server-sent event stream (rejecting unless it answers 200) and reads it as text as it arrives. */
export async function openEventStream(url: string, headers: Record<string, string> = {}): Promise<EventStream> {
  let text = "";
  let closed = false;
  const listeners = new Set<() => void>();
  const req = http.get(url, { headers });
  const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
    req.on("response", resolve);
    req.on("error", reject);
  });
  response.setEncoding("utf8");
  if (response.statusCode !== 200) {
    const body = await new Promise<string>((resolve) => {
      let rest = "";
      response.on("data", (chunk: string) => (rest += chunk));
      response.on("end", () => resolve(rest));
    });
    throw new Error(`The event stream ${url} answered ${response.statusCode}: ${body}`);
  }
  response.on("data", (chunk: string) => {
    text += chunk;
    for (const listener of listeners) listener();
  });
  response.on("close", () => {
    closed = true;
    for (const listener of listeners) listener();
  });
  return {
    headers: response.headers,
    waitFor: (pattern) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (pattern.test(text)) {
            listeners.delete(check);
            resolve();
          } else if (closed) {
            listeners.delete(check);
            reject(new Error(`the event stream closed before ${pattern} arrived; it sent: ${text}`));
          }
        };
        listeners.add(check);
        check();
      }),
    close: () => req.destroy(),
  };
}

export interface RawAnswer {
  /** Everything the server sent before it closed the connection (latin1, so any bytes survive). */
  text: string;
  /** The status of the first status line, or undefined when the server sent none. */
  status?: number;
  /** How the exchange ended: the server closed the connection, or we gave up waiting. */
  ending: "closed" | "timedOut";
}

/**
 * Writes `chunks` to a fresh connection (one write each, in order) and collects what comes back until the server
 * closes the connection. The socket is never half-closed by us: a server must answer bytes it cannot parse, not
 * wait for us to leave. Gives up after `timeoutMs`, so a server that holds a connection shows as "timedOut".
 */
export function rawExchange(port: number, chunks: (string | Buffer)[], timeoutMs = 30_000): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const received: Buffer[] = [];
    const socket = net.connect(port, "127.0.0.1");
    let settled = false;
    const finish = (ending: RawAnswer["ending"]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(received).toString("latin1");
      const statusLine = /^HTTP\/1\.[01] (\d{3}) /.exec(text);
      resolve({ text, status: statusLine ? Number(statusLine[1]) : undefined, ending });
    };
    const timer = setTimeout(() => finish("timedOut"), timeoutMs);
    socket.on("connect", () => {
      for (const chunk of chunks) socket.write(chunk);
    });
    socket.on("data", (chunk) => received.push(chunk));
    // A reset after the answer still counts as an answer: what arrived before it is kept.
    socket.on("error", () => finish("closed"));
    socket.on("close", () => finish("closed"));
  });
}
