/**
 * What keeps a web page from driving the emulator: requests must be addressed to this loopback host and port
 * (a DNS-rebinding page sends its own host name), and state-changing requests from a browser must come from a
 * loopback origin or one the app allows in local.settings.json (Host.CORS). Bodies are read with a size cap.
 */
import type { IncomingMessage } from "node:http";

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "HttpError";
  }
}

export function checkHost(request: IncomingMessage, port: number): void {
  const host = (request.headers.host ?? "").toLowerCase();
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
  const hostPort = match?.[2] ? Number(match[2]) : 80;
  if (!match || !LOOPBACK_NAMES.has(match[1]) || hostPort !== port) {
    throw new HttpError(421, `This emulator only answers requests addressed to 127.0.0.1:${port} or localhost:${port} (got Host "${host}").`);
  }
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function checkOrigin(request: IncomingMessage, port: number, allowedOrigins: readonly string[]): void {
  if (SAFE_METHODS.has((request.method ?? "GET").toUpperCase())) return;
  const origin = request.headers.origin;
  if (origin === undefined) return; // not a browser request (curl, scripts, the durable client)
  if (isLoopbackOrigin(origin, port) || allowedOrigins.includes("*") || allowedOrigins.includes(origin)) return;
  throw new HttpError(403, `Requests that change state are not accepted from the origin "${origin}". Allow it in local.settings.json ("Host": { "CORS": "${origin}" }) if you mean to.`);
}

function isLoopbackOrigin(origin: string, port: number): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") && LOOPBACK_NAMES.has(url.hostname.startsWith("[") ? url.hostname : url.hostname.toLowerCase()) && Number(url.port || 80) === port;
  } catch {
    return false;
  }
}

/** Beyond this an oversized upload is cut off instead of drained. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

/**
 * Reads the body, refusing one larger than `limitBytes` with a 413. An oversized upload is drained (up to 64 MB) so
 * the client reads the answer instead of a reset connection; past that, or when the declared length alone is too
 * large, the connection is closed after the answer.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = (size: string) => new HttpError(413, `The request body is ${size}; this endpoint accepts at most ${limitBytes} bytes.`);
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > MAX_DRAIN_BYTES) {
    request.headers.connection = "close";
    return Promise.reject(tooLarge(`${declared} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) request.destroy();
    });
    request.on("end", () => (size > limitBytes ? reject(tooLarge(`${size} bytes`)) : resolve(Buffer.concat(chunks))));
    request.on("error", reject);
    request.on("close", () => {
      if (!request.complete) reject(new HttpError(400, "The request ended before its body did."));
    });
  });
}

/** Parses a JSON body; an empty body is `undefined`. Bad JSON is a 400 that says where it broke. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const text = body.toString("utf8");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new HttpError(400, `The request body is not valid JSON: ${error instanceof Error ? error.message : String(error)}`);
  }
}
