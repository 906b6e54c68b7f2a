/**
 * The URL a request addresses, from its request target. Resolving the target against the origin would read "//x"
 * as a host name (and throw on "//"), so a path is appended to the origin instead; an absolute URL (which HTTP/1.1
 * servers must accept) must name this server, as the Host header must, or, through a forwarded port, the host the
 * Host header names.
 */
import { HttpError, isOwnAuthority } from "./request-guard";

export function requestUrl(target: string, origin: string, port: number, forwardedHost?: string): URL {
  if (target.startsWith("/")) return parse(`${origin}${target}`, target);
  if (/^http:\/\//i.test(target)) {
    const url = parse(target, target);
    if (!isOwnAuthority(url.host, port) && url.host !== forwardedHost) {
      throw new HttpError(421, `This emulator only answers requests addressed to 127.0.0.1:${port} or localhost:${port} (the request names "${url.host}").`);
    }
    return url;
  }
  throw new HttpError(
    400,
    `The request target "${target.slice(0, 100)}" is not a path; request a path such as /api/<route> or /runtime/webhooks/durabletask/instances.`,
  );
}

function parse(text: string, target: string): URL {
  try {
    return new URL(text);
  } catch {
    throw new HttpError(400, `The request target "${target.slice(0, 100)}" is not a valid URL path.`);
  }
}
