/**
 * The dashboard at /_durable/: its static files (built into dist/emulator/dashboard, no CDN), a few read-only
 * endpoints the page and the extension need beyond the management API (raw histories, what an instance waits for,
 * app info), and a server-sent event stream of instance changes for live updates. Actions go through the management
 * API, same-origin. Every URL the page uses is relative, so it works under any path prefix (code-server serves a
 * forwarded port at /proxy/<port>/).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Engine } from "../engine/engine";
import type { RegisteredFunction } from "../core/functions";
import type { InstanceRecord, InstanceSummary, InstanceWaits, InstanceWaitsAnswer } from "../api/types";
import { instanceWaits, noWaits } from "../engine/instance-waits";
import { HttpError } from "./request-guard";
import type { ReloadReport } from "../app/reload-report";
import type { EmulatorInfo, EmulatorStreamEvents, InstanceHistoryAnswer, InstancePageAnswer, WarningsAnswer } from "../api/http-contract";
import { send } from "./respond";
import { MAX_INT32, decodePathSegment, runtimeStatusParam, wholeNumberParam } from "./url-values";

export const DASHBOARD_PATH = "/_durable";

function mayWait(record: InstanceRecord): boolean {
  return record.runtimeStatus === "Running" || record.runtimeStatus === "Suspended";
}

const STATIC_FILES: Record<string, string> = {
  "/": "index.html",
  "/index.html": "index.html",
  "/app.js": "app.js",
  "/app.js.map": "app.js.map",
  "/styles.css": "styles.css",
};
const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".css": "text/css; charset=utf-8",
};
/** The page may talk to this server only, and may not be framed by another site (its buttons change state). */
const SECURITY_HEADERS = {
  "Content-Security-Policy": "default-src 'self'; style-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
  "X-Frame-Options": "DENY",
  "X-Content-Type-Options": "nosniff",
  "Cache-Control": "no-cache",
};

export interface DashboardContext {
  engine: Engine;
  functions: readonly RegisteredFunction[];
  appDir: string;
  store: string;
  taskHubName: string;
  reloadReport: () => ReloadReport;
  /** Calls back when a reload of the watched app is reported; returns the unsubscribe. */
  onReload?: (listener: (report: ReloadReport) => void) => () => void;
}

export class DashboardRoutes {
  // dist/emulator/http → dist/emulator/dashboard when built; out/ → out/dashboard inside the extension's bundle.
  private readonly root =
    [path.resolve(__dirname, "..", "dashboard"), path.resolve(__dirname, "dashboard")].find((dir) => fs.existsSync(path.join(dir, "index.html"))) ??
    path.resolve(__dirname, "..", "dashboard");

  constructor(private readonly context: DashboardContext) {}

  handle(request: IncomingMessage, response: ServerResponse, url: URL): void {
    const method = (request.method ?? "GET").toUpperCase();
    if (method !== "GET" && method !== "HEAD") throw new HttpError(405, "The dashboard's own routes are read-only; actions go through the management API.");
    const rest = url.pathname.slice(DASHBOARD_PATH.length) || "";
    if (rest === "") {
      // Relative, and the page's own URLs too, so the dashboard works under a forwarded port's path prefix.
      response.writeHead(308, { Location: `./${DASHBOARD_PATH.slice(1)}/${url.search}` });
      response.end();
      return;
    }
    if (rest.startsWith("/api/")) return this.api(request, response, rest.slice("/api".length), url.searchParams);
    const file = STATIC_FILES[rest];
    if (!file) throw new HttpError(404, `The dashboard has no ${rest}.`);
    const full = path.join(this.root, file);
    if (!fs.existsSync(full)) throw new HttpError(500, `The dashboard is not built (${full} is missing). Run \`npm run build\`.`);
    response.writeHead(200, { "Content-Type": CONTENT_TYPES[path.extname(file)] ?? "application/octet-stream", ...SECURITY_HEADERS });
    response.end(method === "HEAD" ? undefined : fs.readFileSync(full));
  }

  private api(request: IncomingMessage, response: ServerResponse, route: string, query: URLSearchParams): void {
    const { engine } = this.context;
    if (route === "/info") {
      send(response, 200, SECURITY_HEADERS, {
        appDir: this.context.appDir,
        store: this.context.store,
        taskHubName: this.context.taskHubName,
        timeSkipping: engine.clock.skipping,
        now: new Date(engine.clock.now()).toISOString(),
        functions: this.context.functions.map((fn) => ({ name: fn.name, kind: fn.kind, source: fn.source })),
        reload: this.context.reloadReport(),
      } satisfies EmulatorInfo);
      return;
    }
    if (route === "/instances") {
      const status = query.get("status");
      const search = (query.get("search") ?? "").toLowerCase();
      const offset = wholeNumberParam(query, "offset", 0, MAX_INT32) ?? 0;
      const limit = wholeNumberParam(query, "limit", 1, 200) ?? 25;
      const all = engine
        .list({ runtimeStatus: status ? [runtimeStatusParam(status)] : undefined })
        .instances.filter((record) => !search || record.instanceId.toLowerCase().startsWith(search) || record.name.toLowerCase().includes(search))
        .reverse(); // newest first
      const instances = all.slice(offset, offset + limit).map((record) => this.summary(record));
      send(response, 200, SECURITY_HEADERS, { total: all.length, instances } satisfies InstancePageAnswer);
      return;
    }
    const one = /^\/instances\/([^/]+)$/.exec(route);
    if (one) {
      const record = this.record(decodePathSegment(one[1]));
      // One history read: the list row's own `waits` would read it again.
      const answer: InstanceWaitsAnswer = { ...rowOf(record), now: new Date(engine.clock.now()).toISOString(), waits: this.waitsOf(record) };
      send(response, 200, SECURITY_HEADERS, answer);
      return;
    }
    const history = /^\/instances\/([^/]+)\/history$/.exec(route);
    if (history) {
      const record = this.record(decodePathSegment(history[1]));
      const events = engine.getHistory(record.instanceId);
      send(response, 200, SECURITY_HEADERS, {
        instance: record,
        now: new Date(engine.clock.now()).toISOString(),
        history: events,
        waits: instanceWaits(record, events),
        warnings: engine.recentWarnings(record.instanceId),
      } satisfies InstanceHistoryAnswer);
      return;
    }
    if (route === "/warnings") {
      send(response, 200, SECURITY_HEADERS, { warnings: engine.recentWarnings() } satisfies WarningsAnswer);
      return;
    }
    if (route === "/events") {
      this.stream(request, response);
      return;
    }
    throw new HttpError(404, `The dashboard API has no ${route}.`);
  }

  private record(instanceId: string): InstanceRecord {
    const record = this.context.engine.getRecord(instanceId);
    if (!record) throw new HttpError(404, `No instance with ID '${instanceId}' was found.`);
    return record;
  }

  /** Reads the history only for instances that can be waiting: a page of finished ones costs no history reads. */
  private waitsOf(record: InstanceRecord): InstanceWaits {
    return mayWait(record) ? instanceWaits(record, this.context.engine.getHistory(record.instanceId)) : noWaits();
  }

  /** One row of the instance list; running and suspended ones say what they wait for. */
  private summary(record: InstanceRecord): InstanceSummary {
    const summary: InstanceSummary = rowOf(record);
    if (mayWait(record)) summary.waits = this.waitsOf(record);
    return summary;
  }

  /**
   * Server-sent events: one `instance` event per instance change, a `warning` event for each warning the engine
   * gives (a purge of a running instance, say), a `reload` event per reload of the app, and a comment every 15 s to
   * keep proxies open.
   */
  private stream(request: IncomingMessage, response: ServerResponse): void {
    response.writeHead(200, { "Content-Type": "text/event-stream", Connection: "keep-alive", ...SECURITY_HEADERS });
    response.write(": connected\n\n");
    const write = <E extends keyof EmulatorStreamEvents>(name: E, data: EmulatorStreamEvents[E]) =>
      response.write(`event: ${name}\ndata: ${JSON.stringify(data)}\n\n`);
    const off = this.context.engine.on((event) => {
      if (event.kind === "warning") {
        write("warning", { instanceId: event.instanceId, message: event.message });
        return;
      }
      if (event.kind !== "instanceUpdated") return;
      const { instanceId, name, runtimeStatus, lastUpdatedTime } = event.instance;
      write("instance", { instanceId, name, runtimeStatus, lastUpdatedTime });
    });
    const offReload = this.context.onReload?.((report) => write("reload", report));
    const keepAlive = setInterval(() => response.write(": keep-alive\n\n"), 15_000);
    request.on("close", () => {
      off();
      offReload?.();
      clearInterval(keepAlive);
    });
  }
}

function rowOf({ instanceId, name, runtimeStatus, createdTime, lastUpdatedTime }: InstanceRecord): InstanceSummary {
  return { instanceId, name, runtimeStatus, createdTime, lastUpdatedTime };
}
