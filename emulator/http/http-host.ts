/**
 * The emulator's HTTP front door, a drop-in for `func start` for durable apps: the app's httpTrigger functions under
 * /api, the Durable HTTP management API under /runtime/webhooks/durabletask (which the real JS durable client calls),
 * on 127.0.0.1 only, with Host and Origin checks, capped bodies and bounded request times. Nothing a request sends
 * can crash it, and every request gets an answer.
 */
import * as http from "node:http";
import { send } from "./respond";
import { constants as bufferConstants } from "node:buffer";
import type { AddressInfo } from "node:net";
import type { Engine } from "../engine/engine";
import type { AppHostClient } from "../app-host/app-host-client";
import type { RegisteredFunction } from "../core/functions";
import { PortInUseError } from "../core/errors";
import type { HttpRequestDto } from "../app-host/protocol";
import { AppRoutes } from "./app-routes";
import { durableClientBinding, WEBHOOK_PATH } from "./client-binding";
import { HttpError, checkOrigin, isOwnAuthority, readBody } from "./request-guard";
import { ForwardedAccess } from "./forwarded-access";
import { requestUrl } from "./request-target";
import { ManagementApi } from "./management-api";
import { DashboardRoutes, DASHBOARD_PATH } from "./dashboard-routes";
import { AppClientEndpoint, APP_CLIENT_PATH } from "./app-client-endpoint";
import { answerProtocolErrors } from "./protocol-errors";
import type { ReloadReport } from "../app/reload-report";

export interface HttpHostOptions {
  /** 0 picks a free port. */
  port: number;
  /** host.json extensions.http.routePrefix (default "api"). */
  routePrefix?: string;
  /** local.settings.json Host.CORS origins allowed to make state-changing requests. */
  allowedOrigins?: string[];
  /** The key a browser proves to reach the emulator through a forwarded port (see ForwardedAccess); default: a fresh one. */
  forwardingKey?: string;
  taskHubName?: string;
  /** Largest request body the app's functions accept (the Functions host allows 100 MB). */
  maxAppBodyBytes?: number;
  /** How long a request may take to arrive; see RequestTimeouts. */
  requestTimeouts?: Partial<Pick<RequestTimeouts, "headersMs" | "requestMs">>;
  onLog?: (line: string) => void;
}

/**
 * Deadlines for receiving a request, so a client that sends part of one cannot hold a connection: its headers
 * within headersMs, the whole request (body included) within requestMs of its start. They end once the request has
 * arrived, so a long answer (a long poll, the dashboard's event stream) is never cut. Node checks them every
 * checkIntervalMs, so a slow client is answered 408 at most that much after its deadline.
 */
export interface RequestTimeouts {
  headersMs: number;
  requestMs: number;
  checkIntervalMs: number;
}

export interface AttachedEmulator {
  engine: Engine;
  /** The app's functions and how its HTTP functions run; a Durable Task SDK app has no HTTP functions. */
  host: { readonly functions: readonly RegisteredFunction[]; invokeHttp: AppHostClient["invokeHttp"] };
  app: { appDir: string };
  store: { description: string };
}

/** What the Functions host accepts by default (its MaxRequestBodySize, 104857600 bytes), the management API included. */
const FUNCTIONS_HOST_MAX_BODY_BYTES = 100 * 1024 * 1024;
/**
 * The app's own durable client is trusted as `durable-devkit run --input @file` is: its bodies are capped only by
 * what can still be read as one JSON text.
 */
const APP_CLIENT_MAX_BODY_BYTES = bufferConstants.MAX_STRING_LENGTH;
const DEFAULT_HEADERS_TIMEOUT_MS = 20_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000;
const TIMEOUT_CHECK_INTERVAL_MS = 1_000;

export class HttpHost {
  private attached: { emulator: AttachedEmulator; routes: AppRoutes; management: ManagementApi; dashboard: DashboardRoutes } | undefined;
  private readonly appClient = new AppClientEndpoint();
  private reload: ReloadReport = { state: "loaded", at: new Date().toISOString() };
  private readonly reloadListeners = new Set<(report: ReloadReport) => void>();
  readonly forwarded: ForwardedAccess;

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    private readonly options: HttpHostOptions,
  ) {
    this.forwarded = new ForwardedAccess(port, options.forwardingKey);
  }

  /** Listens on 127.0.0.1 before the app starts, so the app's environment can name the real port. */
  static async listen(options: HttpHostOptions): Promise<HttpHost> {
    const server = http.createServer({ connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS });
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "EADDRINUSE"
            ? new PortInUseError(
                options.port,
                `Port ${options.port} on 127.0.0.1 is in use (by \`func start\`, or another emulator?). Choose another with --port.`,
              )
            : error,
        ),
      );
      server.listen(options.port, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const host = new HttpHost(server, port, options);
    host.setRequestTimeouts({ headersMs: DEFAULT_HEADERS_TIMEOUT_MS, requestMs: DEFAULT_REQUEST_TIMEOUT_MS, ...options.requestTimeouts });
    answerProtocolErrors(server);
    server.on("request", (request, response) => void host.handle(request, response));
    return host;
  }

  get requestTimeouts(): RequestTimeouts {
    return { headersMs: this.server.headersTimeout, requestMs: this.server.requestTimeout, checkIntervalMs: TIMEOUT_CHECK_INTERVAL_MS };
  }

  /** Takes effect for requests in progress too (Node reads the deadlines at each check). */
  setRequestTimeouts(timeouts: Pick<RequestTimeouts, "headersMs" | "requestMs">): void {
    if (!(timeouts.headersMs > 0 && timeouts.requestMs >= timeouts.headersMs)) {
      throw new Error(`Request timeouts need 0 < headersMs <= requestMs (got ${timeouts.headersMs} and ${timeouts.requestMs}).`);
    }
    this.server.headersTimeout = timeouts.headersMs;
    this.server.requestTimeout = timeouts.requestMs;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get taskHubName(): string {
    return this.options.taskHubName ?? "TestHubName";
  }

  attach(emulator: AttachedEmulator): void {
    const routes = new AppRoutes(emulator.host.functions, this.options.routePrefix ?? "api");
    const management = new ManagementApi(emulator.engine, this.origin, this.taskHubName, { onLog: this.options.onLog });
    const dashboard = new DashboardRoutes({
      engine: emulator.engine,
      // Read when asked: Durable Task workers connect, and name their functions, after the dashboard is up.
      get functions() {
        return emulator.host.functions;
      },
      appDir: emulator.app.appDir,
      store: emulator.store.description,
      taskHubName: this.taskHubName,
      reloadReport: () => this.reload,
      onReload: (listener) => {
        this.reloadListeners.add(listener);
        return () => this.reloadListeners.delete(listener);
      },
    });
    this.attached = { emulator, routes, management, dashboard };
  }

  /** How the last reload of a watched app went (the dashboard's info route answers it). */
  reportReload(report: ReloadReport): void {
    this.reload = report;
    for (const listener of this.reloadListeners) listener(report);
  }

  /** The app's HTTP functions with their URLs, as `func start` lists them. */
  functionUrls(): { name: string; methods: string[]; url: string }[] {
    return (this.attached?.routes.routes ?? []).map((route) => ({
      name: route.functionName,
      methods: route.methods,
      url: `${this.origin}${route.displayPath}`,
    }));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    try {
      const host = (request.headers.host ?? "").toLowerCase();
      const local = isOwnAuthority(host, this.port);
      const url = requestUrl(request.url ?? "/", this.origin, this.port, local ? undefined : host);
      const path = url.pathname;
      const isDashboard = path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`);
      if (this.forwarded.exchangeKey(request, response, url, path === "/" || isDashboard, local)) return;
      if (local) checkOrigin(request, this.port, this.options.allowedOrigins ?? []);
      else this.forwarded.admit(request, host, this.options.allowedOrigins ?? []);
      if (!this.attached) throw new HttpError(503, "The emulator is still starting.");
      if (path === WEBHOOK_PATH || path.startsWith(`${WEBHOOK_PATH}/`)) {
        await this.callManagementApi(request, response, path.slice(WEBHOOK_PATH.length), url, FUNCTIONS_HOST_MAX_BODY_BYTES);
        return;
      }
      const appClient = this.appClient.match(path);
      if (appClient.kind === "app") {
        await this.callManagementApi(request, response, appClient.path, url, APP_CLIENT_MAX_BODY_BYTES);
        return;
      }
      if (appClient.kind === "forbidden") {
        throw new HttpError(
          403,
          `${APP_CLIENT_PATH}/ is the app's own durable client's endpoint. Call the Durable HTTP API at ${this.origin}${WEBHOOK_PATH}/ instead.`,
        );
      }
      if (isDashboard) {
        this.attached.dashboard.handle(request, response, url);
        return;
      }
      await this.invokeAppFunction(request, response, url);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      if (!(error instanceof HttpError))
        this.options.onLog?.(`HTTP ${request.method} ${this.loggablePath(request)} failed: ${error instanceof Error ? error.stack : String(error)}`);
      // Node reads and drops a body the route did not read, so the connection stays usable, unless it is not worth it.
      const close: Record<string, string> = error instanceof HttpError && error.closeConnection ? { Connection: "close" } : {};
      send(response, status, close, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async callManagementApi(request: http.IncomingMessage, response: http.ServerResponse, path: string, url: URL, maxBodyBytes: number): Promise<void> {
    const management = (this.attached as NonNullable<HttpHost["attached"]>).management;
    const body = await readBody(request, maxBodyBytes);
    const answer = await management.handle(request.method ?? "GET", path, url.search, body, request.headers, url.href);
    sendJson(response, answer.status, answer.headers ?? {}, answer.body);
  }

  /** The request's path for the log, without the app client's secret. */
  private loggablePath(request: http.IncomingMessage): string {
    const path = request.url ?? "/";
    return this.appClient.match(path.split("?")[0]).kind === "app" ? `${APP_CLIENT_PATH}/…` : path;
  }

  private async invokeAppFunction(request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void> {
    const attached = this.attached as NonNullable<HttpHost["attached"]>;
    const method = (request.method ?? "GET").toUpperCase();
    const match = attached.routes.match(method, url.pathname);
    if (match.kind === "none" && url.pathname === "/" && (method === "GET" || method === "HEAD")) {
      // Forwarded ports open at the port's root (code-server's /proxy/<port>/); relative, as the proxy's prefix is unknown.
      response.writeHead(302, { Location: `./${DASHBOARD_PATH.slice(1)}/` });
      response.end();
      return;
    }
    if (match.kind === "none")
      throw new HttpError(
        404,
        `No function answers ${url.pathname}. The app's HTTP functions: ${
          this.functionUrls()
            .map((f) => f.url)
            .join(", ") || "none"
        }.`,
      );
    if (match.kind === "wrongMethod") {
      response.setHeader("Allow", match.allowed.join(", "));
      throw new HttpError(405, `${url.pathname} accepts ${match.allowed.join(", ")}, not ${request.method}.`);
    }
    const body = await readBody(request, this.options.maxAppBodyBytes ?? 100 * 1024 * 1024);
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(request.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(", ") : value;
    }
    const dto: HttpRequestDto = {
      method: (request.method ?? "GET").toUpperCase(),
      url: url.toString(),
      headers,
      query: Object.fromEntries(url.searchParams),
      params: match.params,
      bodyBase64: body.length ? body.toString("base64") : undefined,
    };
    const started = Date.now();
    const outcome = await attached.emulator.host.invokeHttp(
      match.route.functionName,
      dto,
      durableClientBinding(this.origin, this.taskHubName, this.appClient.baseUrl(this.origin)),
    );
    if (!outcome.ok) {
      this.options.onLog?.(`Executed '${match.route.functionName}' (Failed, ${Date.now() - started} ms): ${outcome.error.stack ?? outcome.error.message}`);
      throw new HttpError(500, `The function '${match.route.functionName}' failed: ${outcome.error.message}`);
    }
    this.options.onLog?.(`Executed '${match.route.functionName}' (Succeeded, ${Date.now() - started} ms) → ${outcome.response.status}`);
    const { status, headers: responseHeaders, cookies, bodyBase64 } = outcome.response;
    for (const [name, value] of Object.entries(responseHeaders)) response.setHeader(name, value);
    if (cookies.length) response.setHeader("Set-Cookie", cookies.map(serializeCookie));
    response.writeHead(status);
    response.end(Buffer.from(bodyBase64, "base64"));
  }
}

function serializeCookie(cookie: { name: string; value: string; [attribute: string]: unknown }): string {
  const parts = [`${cookie.name}=${cookie.value}`];
  if (cookie.path) parts.push(`Path=${String(cookie.path)}`);
  if (cookie.domain) parts.push(`Domain=${String(cookie.domain)}`);
  if (cookie.maxAge !== undefined && cookie.maxAge !== null) parts.push(`Max-Age=${String(cookie.maxAge)}`);
  if (cookie.secure) parts.push("Secure");
  if (cookie.httpOnly) parts.push("HttpOnly");
  if (cookie.sameSite) parts.push(`SameSite=${String(cookie.sameSite)}`);
  return parts.join("; ");
}

/** Writes a JSON value (a string too, as JSON) or, for undefined, no body at all; never throws. */
export function sendJson(response: http.ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  if (body === undefined) {
    response.writeHead(status, headers);
    response.end();
    return;
  }
  response.writeHead(status, { "Content-Type": "application/json; charset=utf-8", ...headers });
  response.end(JSON.stringify(body));
}
