/**
 * Where the browser opens the dashboard, from the emulator's loopback origin and what the editor maps that origin's
 * root to (vscode.env.asExternalUri). The root is mapped, not the dashboard's own URL, because code-server replaces
 * the whole URL with its proxy's (`/proxy/<port>/`), path and query dropped; the dashboard's path is joined on here.
 * Kept free of the vscode module so it can be tested on its own.
 */
import { KEY_PARAM } from "../emulator/http/forwarded-access";

const DASHBOARD = "_durable/";
const LOOPBACK_NAMES = new Set(["127.0.0.1", "localhost", "[::1]"]);

/** `instanceId`: the instance the page opens with (its address's fragment, which the key's redirect keeps). */
export function dashboardAddress(localOrigin: string, externalRoot: string, forwardingKey: string, instanceId?: string): string {
  const local = new URL(localOrigin);
  const external = new URL(externalRoot);
  // A plain loopback origin is a port mapping (desktop Remote-SSH, or no remote at all). openExternal maps a loopback
  // URL itself, keeping its path, and would map an already-mapped one a second time (to the wrong remote port), so it
  // is given the emulator's own URL. Anything else (a proxy path, another host) is opened as mapped.
  const mappedByPort = LOOPBACK_NAMES.has(external.hostname) && external.pathname === "/";
  const base = mappedByPort ? local : external;
  const address = new URL(DASHBOARD, `${base.origin}${base.pathname.replace(/\/?$/, "/")}`);
  address.search = mappedByPort ? "" : external.search;
  // The browser reaches the emulator under another Host only through the forward, where it must prove the key.
  const reachedDirectly = mappedByPort && portOf(external) === portOf(local);
  if (!reachedDirectly) address.searchParams.set(KEY_PARAM, forwardingKey);
  if (instanceId) address.hash = encodeURIComponent(instanceId);
  return address.toString();
}

function portOf(url: URL): string {
  return url.port || (url.protocol === "https:" ? "443" : "80");
}
