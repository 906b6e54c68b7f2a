/**
 * The emulator's HTTP front door, a drop-in for `func start` for durable apps: the app's httpTrigger functions under
 * /api, the Durable HTTP management API under /runtime/webhooks/durabletask (which the real JS durable client calls),
 * on 127.0.0.1 only, with Host and Origin checks and capped bodies. Nothing a request sends can crash it.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Engine } from "../engine/engine";
import type { AppHostClient } from "../app-host/app-host-client";
import type { HttpRequestDto } from "../app-host/protocol";
import { AppRoutes } from "./app-routes";
import { durableClientBinding, WEBHOOK_PATH } from "./client-binding";
import { HttpError, checkHost, checkOrigin, readBody } from "./request-guard";
import { ManagementApi } from "./management-api";
import { DashboardRoutes, DASHBOARD_PATH } from "./dashboard-routes";

export interface HttpHostOptions {
  /** 0 picks a free port. */
  port: number;
  /** host.json extensions.http.routePrefix (default "api"). */
  routePrefix?: string;
  /** local.settings.json Host.CORS origins allowed to make state-changing requests. */
  allowedOrigins?: string[];
  taskHubName?: string;
  /** Largest request body the app's functions accept (the Functions host allows 100 MB). */
  maxAppBodyBytes?: number;
  onLog?: (line: string) => void;
}

export interface AttachedEmulator {
  engine: Engine;
  host: AppHostClient;
  app: { appDir: string };
  store: { description: string };
}

const MAX_MANAGEMENT_BODY_BYTES = 1024 * 1024;

export class HttpHost {
  private attached: { emulator: AttachedEmulator; routes: AppRoutes; management: ManagementApi; dashboard: DashboardRoutes } | undefined;

  private constructor(
    private readonly server: http.Server,
    readonly port: number,
    private readonly options: HttpHostOptions,
  ) {}

  /** Listens on 127.0.0.1 before the app starts, so the app's environment can name the real port. */
  static async listen(options: HttpHostOptions): Promise<HttpHost> {
    const server = http.createServer();
    server.headersTimeout = 30_000;
    server.requestTimeout = 120_000;
    await new Promise<void>((resolve, reject) => {
      server.once("error", (error: NodeJS.ErrnoException) =>
        reject(
          error.code === "EADDRINUSE"
            ? new Error(`Port ${options.port} on 127.0.0.1 is in use (by \`func start\`, or another emulator?). Choose another with --port.`)
            : error,
        ),
      );
      server.listen(options.port, "127.0.0.1", () => resolve());
    });
    const port = (server.address() as AddressInfo).port;
    const host = new HttpHost(server, port, options);
    server.on("request", (request, response) => void host.handle(request, response));
    server.on("clientError", (_error, socket) => socket.destroy());
    return host;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get taskHubName(): string {
    return this.options.taskHubName ?? "TestHubName";
  }

  attach(emulator: AttachedEmulator): void {
    const routes = new AppRoutes(emulator.host.functions, this.options.routePrefix ?? "api");
    const management = new ManagementApi(emulator.engine, this.origin, this.taskHubName);
    const dashboard = new DashboardRoutes({
      engine: emulator.engine,
      functions: emulator.host.functions,
      appDir: emulator.app.appDir,
      store: emulator.store.description,
      taskHubName: this.taskHubName,
    });
    this.attached = { emulator, routes, management, dashboard };
  }

  /** The app's HTTP functions with their URLs, as `func start` lists them. */
  functionUrls(): { name: string; methods: string[]; url: string }[] {
    return (this.attached?.routes.routes ?? []).map((route) => ({ name: route.functionName, methods: route.methods, url: `${this.origin}${route.displayPath}` }));
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private async handle(request: http.IncomingMessage, response: http.ServerResponse): Promise<void> {
    try {
      checkHost(request, this.port);
      checkOrigin(request, this.port, this.options.allowedOrigins ?? []);
      const url = new URL(request.url ?? "/", this.origin);
      if (!this.attached) throw new HttpError(503, "The emulator is still starting.");
      const path = url.pathname;
      if (path === WEBHOOK_PATH || path.startsWith(`${WEBHOOK_PATH}/`)) {
        const body = await readBody(request, MAX_MANAGEMENT_BODY_BYTES);
        const answer = await this.attached.management.handle(request.method ?? "GET", path.slice(WEBHOOK_PATH.length), url.searchParams, body, request.headers);
        send(response, answer.status, answer.headers ?? {}, answer.body);
        return;
      }
      if (path === DASHBOARD_PATH || path.startsWith(`${DASHBOARD_PATH}/`)) {
        this.attached.dashboard.handle(request, response, path);
        return;
      }
      await this.invokeAppFunction(request, response, url);
    } catch (error) {
      const status = error instanceof HttpError ? error.status : 500;
      if (!(error instanceof HttpError)) this.options.onLog?.(`HTTP ${request.method} ${request.url} failed: ${error instanceof Error ? error.stack : String(error)}`);
      // A body we did not read leaves the connection unusable: close it after answering.
      const close: Record<string, string> = request.headers.connection === "close" || !request.complete ? { Connection: "close" } : {};
      send(response, status, close, { error: error instanceof Error ? error.message : String(error) });
    }
  }

  private async invokeAppFunction(request: http.IncomingMessage, response: http.ServerResponse, url: URL): Promise<void> {
    const attached = this.attached as NonNullable<HttpHost["attached"]>;
    const match = attached.routes.match(request.method ?? "GET", url.pathname);
    if (match.kind === "none") throw new HttpError(404, `No function answers ${url.pathname}. The app's HTTP functions: ${this.functionUrls().map((f) => f.url).join(", ") || "none"}.`);
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
    const outcome = await attached.emulator.host.invokeHttp(match.route.functionName, dto, durableClientBinding(this.origin, this.taskHubName));
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

/** Writes a JSON (or empty) answer; never throws, even on a connection that went away. */
export function send(response: http.ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  if (response.headersSent) {
    response.end();
    return;
  }
  const text = body === undefined ? "" : typeof body === "string" ? body : JSON.stringify(body);
  const contentType = body === undefined ? {} : { "Content-Type": typeof body === "string" ? "text/plain; charset=utf-8" : "application/json; charset=utf-8" };
  response.writeHead(status, { ...contentType, ...headers });
  response.end(text);
}
