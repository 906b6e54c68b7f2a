/**
 * Requests through a forwarded port: code-server's /proxy/<port>/, Codespaces, dev tunnels and SSH forwarding deliver
 * them addressed to another host than this loopback one, which is what a DNS-rebinding page's requests look like too.
 * So a foreign Host is accepted only from a browser that proves this run's forwarding key: once in the dashboard's
 * address (`?key=`, which VS Code's "Durable: Open Dashboard" adds and `durable-devkit start` prints), answered with a
 * redirect that drops it from the address and sets an HttpOnly, SameSite=Strict cookie, then by that cookie. Through
 * the forward, state changes must come from the origin the Host names (the proxy's own page) or from no browser.
 * Requests addressed to this host keep request-guard's local rules.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { HttpError } from "./request-guard";

/** How `durable-devkit start` is handed the key by whoever starts it (the extension). */
export const FORWARDING_KEY_ENV = "DURABLE_DEVKIT_FORWARDING_KEY";
/** The query parameter that carries the key into a dashboard page's address. */
export const KEY_PARAM = "key";

/** 22 base64url characters hold 132 bits: the least a key may have. */
const MIN_KEY_LENGTH = 22;
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Why a key cannot be used, or undefined when it can. */
export function forwardingKeyProblem(key: string): string | undefined {
  if (!/^[A-Za-z0-9_-]*$/.test(key)) return 'may hold only the characters A-Z, a-z, 0-9, "-" and "_"';
  if (key.length < MIN_KEY_LENGTH) return `must be at least ${MIN_KEY_LENGTH} characters long (128 bits or more), not ${key.length}`;
  return undefined;
}

export function newForwardingKey(): string {
  return randomBytes(32).toString("base64url");
}

export class ForwardedAccess {
  readonly key: string;
  /** Cookies are shared by every port of a host, so the name says whose key it is. */
  readonly cookieName: string;
  private readonly keyDigest: Buffer;

  constructor(
    private readonly port: number,
    key: string = newForwardingKey(),
  ) {
    const problem = forwardingKeyProblem(key);
    if (problem) throw new Error(`The forwarding key ${problem}.`);
    this.key = key;
    this.keyDigest = digest(key);
    this.cookieName = `durable_devkit_key_${port}`;
  }

  /** The dashboard's address through a forwarded port, with the key, for people to paste. */
  keyedPath(dashboardPath: string): string {
    return `${dashboardPath}/?${KEY_PARAM}=${this.key}`;
  }

  /**
   * Answers a GET of a dashboard page (or of /) whose address carries the key: the right key is exchanged for the
   * cookie, on a redirect to the same page without it. Returns whether it answered. A wrong key through a forward is
   * a 421 that says the key is stale; on this host's own address it is ignored, as no key is needed there.
   */
  exchangeKey(request: IncomingMessage, response: ServerResponse, url: URL, isPage: boolean, local: boolean): boolean {
    const method = (request.method ?? "GET").toUpperCase();
    const offered = url.searchParams.get(KEY_PARAM);
    if (offered === null || !isPage || (method !== "GET" && method !== "HEAD")) return false;
    if (!this.matches(offered)) {
      if (local) return false;
      throw new HttpError(421, `The key in this address is not this emulator's: a new key is made each time the emulator starts. ${this.howToOpen()}`);
    }
    const rest = new URLSearchParams(url.searchParams);
    rest.delete(KEY_PARAM);
    const query = rest.toString();
    response.writeHead(303, {
      // Relative: the proxy's path prefix is not ours to know, but the last segment of the path is the same on both sides.
      Location: `./${url.pathname.slice(url.pathname.lastIndexOf("/") + 1)}${query ? `?${query}` : ""}`,
      // Path=/ for the same reason: the browser sends it under whatever prefix the proxy serves this port at.
      "Set-Cookie": `${this.cookieName}=${this.key}; Path=/; HttpOnly; SameSite=Strict`,
      "Cache-Control": "no-store",
      "Referrer-Policy": "no-referrer",
    });
    response.end();
    return true;
  }

  /**
   * Lets a request addressed to a foreign host through only with the key's cookie, and a state-changing one only
   * from the origin its Host names (or from outside a browser), unless the app's Host.CORS allows the origin.
   */
  admit(request: IncomingMessage, host: string, allowedOrigins: readonly string[]): void {
    const cookies = cookieValues(request.headers.cookie, this.cookieName);
    if (!cookies.some((value) => this.matches(value))) {
      const stale = cookies.length > 0 ? " Its key cookie is from an earlier run of the emulator (a new key is made at each start)." : "";
      throw new HttpError(
        421,
        `This emulator answers requests addressed to 127.0.0.1:${this.port} or localhost:${this.port}; this one is addressed to "${host}".${stale} ` +
          `If it came through a forwarded port (code-server, Codespaces, a tunnel, SSH), ${this.howToOpen()}`,
      );
    }
    if (SAFE_METHODS.has((request.method ?? "GET").toUpperCase())) return;
    const origin = request.headers.origin;
    if (origin === undefined || isOriginOf(origin, host) || allowedOrigins.includes("*") || allowedOrigins.includes(origin)) return;
    throw new HttpError(
      403,
      `Requests that change state through a forwarded port are accepted only from its own pages (${host}), not from the origin "${origin}".`,
    );
  }

  private howToOpen(): string {
    return `open the dashboard with "Durable: Open Dashboard" in VS Code, or add the ?${KEY_PARAM}= that \`durable-devkit start\` prints to the dashboard's address (…/_durable/?${KEY_PARAM}=…).`;
  }

  /** Compared by digest, in constant time, so neither the key's bytes nor its length leak through timing. */
  private matches(candidate: string): boolean {
    return timingSafeEqual(digest(candidate), this.keyDigest);
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Every value the Cookie header holds for `name` (a browser may send several, set under different paths). */
function cookieValues(header: string | undefined, name: string): string[] {
  if (!header) return [];
  const values: string[] = [];
  for (const pair of header.split(";")) {
    const equals = pair.indexOf("=");
    if (equals > 0 && pair.slice(0, equals).trim() === name) values.push(pair.slice(equals + 1).trim());
  }
  return values;
}

/** Whether an Origin is the site a Host header names: the proxy may end TLS, so the scheme is not compared. */
function isOriginOf(origin: string, host: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return false;
  const name = host.toLowerCase();
  const defaultPort = url.protocol === "https:" ? "443" : "80";
  return url.host === name || `${url.hostname}:${url.port || defaultPort}` === name;
}
