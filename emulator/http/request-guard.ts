/**
 * What keeps a web page from driving the emulator: requests must be addressed to this loopback host and port
 * (a DNS-rebinding page sends its own host name; forwarded-access.ts admits forwarded ports that prove the run's
 * key), and state-changing requests from a browser must come from a loopback origin or one the app allows in
 * local.settings.json (Host.CORS). Bodies are read with a size cap.
 */
import type { IncomingMessage } from "node:http";

const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

export class HttpError extends Error {
  /** Close the connection after the answer: the rest of the request is not worth reading. */
  readonly closeConnection: boolean;

  constructor(
    readonly status: number,
    message: string,
    options: { closeConnection?: boolean } = {},
  ) {
    super(message);
    this.name = "HttpError";
    this.closeConnection = options.closeConnection ?? false;
  }
}

/** Whether a Host header (or the authority of an absolute URL) names this loopback server. */
export function isOwnAuthority(authority: string, port: number): boolean {
  const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(authority.toLowerCase());
  if (!match) return false;
  return LOOPBACK_NAMES.has(match[1]) && (match[2] ? Number(match[2]) : 80) === port;
}

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

export function checkOrigin(request: IncomingMessage, port: number, allowedOrigins: readonly string[]): void {
  if (SAFE_METHODS.has((request.method ?? "GET").toUpperCase())) return;
  const origin = request.headers.origin;
  if (origin === undefined) return; // not a browser request (curl, scripts, the durable client)
  if (isLoopbackOrigin(origin, port) || allowedOrigins.includes("*") || allowedOrigins.includes(origin)) return;
  throw new HttpError(
    403,
    `Requests that change state are not accepted from the origin "${origin}". Allow it in local.settings.json ("Host": { "CORS": "${origin}" }) if you mean to.`,
  );
}

function isLoopbackOrigin(origin: string, port: number): boolean {
  try {
    const url = new URL(origin);
    return (
      (url.protocol === "http:" || url.protocol === "https:") &&
      LOOPBACK_NAMES.has(url.hostname.startsWith("[") ? url.hostname : url.hostname.toLowerCase()) &&
      Number(url.port || 80) === port
    );
  } catch {
    return false;
  }
}

/**
 * How far past its cap an upload is still read and thrown away, so the client reads the 413 instead of a reset
 * connection (Node reads the rest of a declared body after the answer); past that the connection is closed.
 */
const MAX_DRAIN_BYTES = 16 * 1024 * 1024;

/**
 * Reads the body, refusing one larger than `limitBytes` with a 413: at once when the declared length says so,
 * before any of it is read, else when the (chunked) body passes the cap.
 */
export function readBody(request: IncomingMessage, limitBytes: number): Promise<Buffer> {
  const tooLarge = (size: string, closeConnection: boolean) =>
    new HttpError(413, `The request body is ${size}; this endpoint accepts at most ${limitBytes} bytes.`, { closeConnection });
  const declared = Number(request.headers["content-length"] ?? 0);
  if (declared > limitBytes) return Promise.reject(tooLarge(`${declared} bytes`, declared > limitBytes + MAX_DRAIN_BYTES));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limitBytes) chunks.push(chunk);
      else if (size > limitBytes + MAX_DRAIN_BYTES) reject(tooLarge(`over ${limitBytes + MAX_DRAIN_BYTES} bytes`, true));
    });
    request.on("end", () => (size > limitBytes ? reject(tooLarge(`${size} bytes`, false)) : resolve(Buffer.concat(chunks))));
    // A client that goes away mid-body is no fault of ours: "aborted" is an error event on the request.
    const brokenOff = () => reject(new HttpError(400, "The request ended before its body did."));
    request.on("error", brokenOff);
    request.on("close", () => {
      if (!request.complete) brokenOff();
    });
  });
}
