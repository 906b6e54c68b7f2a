/**
 * Where the app's own durable client reaches the management API: a path that holds a secret made fresh for each
 * emulator process, handed only to the app (in its durableClient binding's rpcBaseUrl). It plays the part of the
 * Durable extension's local RPC endpoint in Azure, which only the worker on the same machine can reach: calls that
 * come in on it are the app's, so they are not held to the caps meant for other callers (a 2 MB orchestration input
 * from `client.startNew` works, as it does in Azure and with `durable-devkit run --input @file`).
 */
import { randomBytes, timingSafeEqual } from "node:crypto";

export const APP_CLIENT_PATH = "/_durable-client";

export type AppClientMatch =
  /** The app's own call: `path` is relative to the management API, e.g. /orchestrators/hello. */
  | { kind: "app"; path: string }
  /** Under the app client's path, but without this process's secret. */
  | { kind: "forbidden" }
  | { kind: "none" };

export class AppClientEndpoint {
  private readonly secret = randomBytes(32).toString("base64url");

  /** The binding's rpcBaseUrl; the durable client resolves its routes against it, so it ends with a slash. */
  baseUrl(origin: string): string {
    return `${origin}${APP_CLIENT_PATH}/${this.secret}/`;
  }

  match(path: string): AppClientMatch {
    if (path !== APP_CLIENT_PATH && !path.startsWith(`${APP_CLIENT_PATH}/`)) return { kind: "none" };
    const rest = path.slice(APP_CLIENT_PATH.length + 1);
    const slash = rest.indexOf("/");
    const given = slash < 0 ? rest : rest.slice(0, slash);
    return this.holdsSecret(given) ? { kind: "app", path: slash < 0 ? "" : rest.slice(slash) } : { kind: "forbidden" };
  }

  /** Compared in constant time, so response timing does not leak the secret a character at a time. */
  private holdsSecret(given: string): boolean {
    const expected = Buffer.from(this.secret);
    const actual = Buffer.from(given);
    return actual.length === expected.length && timingSafeEqual(actual, expected);
  }
}
