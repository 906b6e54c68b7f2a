/**
 * The one client of the emulator's HTTP API (http-contract.ts), on `fetch`, so the same code runs in the extension,
 * the debugger, the tests (Node) and the dashboard page (a browser, with relative bases that keep a proxy's path
 * prefix; loopback-client.ts makes one for an origin). A refused request throws EmulatorRequestError with the emulator's explanation (error-answer.ts).
 */
import { errorMessage } from "./error-answer";
import type {
  EmulatorInfo,
  InstanceAction,
  InstanceHistoryAnswer,
  InstanceListQuery,
  InstancePageAnswer,
  InstanceWaitsAnswer,
  StartAnswer,
  StatusAnswer,
  WarningsAnswer,
} from "./http-contract";

export class EmulatorRequestError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly route: string,
  ) {
    super(message);
    this.name = "EmulatorRequestError";
  }
}

export class EmulatorApiClient {
  constructor(
    /** Where the dashboard's read API is (absolute, or relative to a page). */
    readonly apiBase: string,
    /** Where the management API is. */
    readonly managementBase: string,
  ) {}

  protected async request<T>(method: string, url: string, body?: unknown): Promise<T> {
    const response = await fetch(url, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new EmulatorRequestError(errorMessage(response, text) || `${method} ${url} answered ${response.status}`, response.status, url);
    return (text ? JSON.parse(text) : undefined) as T;
  }

  info(): Promise<EmulatorInfo> {
    return this.request("GET", `${this.apiBase}/info`);
  }

  instancePage(query: InstanceListQuery = {}): Promise<InstancePageAnswer> {
    const params = new URLSearchParams();
    if (query.status) params.set("status", query.status);
    if (query.search) params.set("search", query.search);
    if (query.offset !== undefined) params.set("offset", String(query.offset));
    if (query.limit !== undefined) params.set("limit", String(query.limit));
    const search = params.toString();
    return this.request("GET", `${this.apiBase}/instances${search ? `?${search}` : ""}`);
  }

  /** The newest instances (up to 200). */
  async instances(): Promise<InstancePageAnswer["instances"]> {
    return (await this.instancePage({ limit: 200 })).instances;
  }

  /** The instance's record and history, with the emulator's clock, what it waits for and its warnings. */
  history(instanceId: string): Promise<InstanceHistoryAnswer> {
    return this.request("GET", `${this.apiBase}/instances/${encodeURIComponent(instanceId)}/history`);
  }

  /** The instance's status and what it waits for; cheap (no history in the answer). */
  waits(instanceId: string): Promise<InstanceWaitsAnswer> {
    return this.request("GET", `${this.apiBase}/instances/${encodeURIComponent(instanceId)}`);
  }

  warnings(): Promise<WarningsAnswer> {
    return this.request("GET", `${this.apiBase}/warnings`);
  }

  async start(orchestrator: string, input: unknown, instanceId?: string): Promise<string> {
    const route = `${this.managementBase}/orchestrators/${encodeURIComponent(orchestrator)}${instanceId ? `/${encodeURIComponent(instanceId)}` : ""}`;
    return (await this.request<StartAnswer>("POST", route, input ?? null)).id;
  }

  status(instanceId: string): Promise<StatusAnswer> {
    return this.request("GET", `${this.managementBase}/instances/${encodeURIComponent(instanceId)}`);
  }

  async raise(instanceId: string, eventName: string, data: unknown): Promise<void> {
    await this.request("POST", `${this.managementBase}/instances/${encodeURIComponent(instanceId)}/raiseEvent/${encodeURIComponent(eventName)}`, data ?? null);
  }

  /** terminate, suspend, resume, rewind or restart (restart: under a new id with `newInstanceId`). */
  act(instanceId: string, action: InstanceAction, options: { reason?: string; newInstanceId?: boolean } = {}): Promise<unknown> {
    const params = new URLSearchParams();
    if (options.reason) params.set("reason", options.reason);
    if (action === "restart" && options.newInstanceId !== undefined) params.set("restartWithNewInstanceId", String(options.newInstanceId));
    const search = params.toString();
    return this.request("POST", `${this.managementBase}/instances/${encodeURIComponent(instanceId)}/${action}${search ? `?${search}` : ""}`);
  }

  async purge(instanceId: string): Promise<void> {
    await this.request("DELETE", `${this.managementBase}/instances/${encodeURIComponent(instanceId)}`);
  }
}
