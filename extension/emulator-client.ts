/** The running emulator's HTTP API (management API and the dashboard's read API), as the extension uses it. */
import { errorMessage } from "../emulator/api/error-answer";
import type { ReloadReport } from "../emulator/app/reload-report";
import type { InstanceRecord, InstanceWaits, InstanceWaitsAnswer } from "../emulator/api/types";
import type { HistoryEvent } from "../emulator/history/history-event";

export type { InstanceWaits, InstanceWaitsAnswer };

export interface FunctionInfo {
  name: string;
  kind: "orchestration" | "activity" | "entity" | "http" | "other";
  source?: { file: string; line: number; column: number };
}

export interface InstanceSummary {
  instanceId: string;
  name: string;
  runtimeStatus: string;
  createdTime: string;
  lastUpdatedTime: string;
  /** What it waits for (Running and Suspended instances only). */
  waits?: InstanceWaits;
}

export interface EmulatorInfo {
  appDir: string;
  functions: FunctionInfo[];
  timeSkipping: boolean;
  now: string;
  /** How the last reload of the watched app went. */
  reload: ReloadReport;
}

export type InstanceAction = "terminate" | "suspend" | "resume" | "rewind" | "restart";

export class EmulatorClient {
  constructor(
    readonly origin: string,
    /** What a browser proves to reach the dashboard through a forwarded port; this client, on loopback, needs none. */
    readonly forwardingKey: string,
  ) {}

  private async request(method: string, route: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${this.origin}${route}`, {
      method,
      headers: body === undefined ? undefined : { "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(errorMessage(response, text) || `${method} ${route} answered ${response.status}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  }

  info(): Promise<EmulatorInfo> {
    return this.request("GET", "/_durable/api/info") as Promise<EmulatorInfo>;
  }

  async instances(): Promise<InstanceSummary[]> {
    const page = (await this.request("GET", "/_durable/api/instances?limit=200")) as { instances: InstanceSummary[] };
    return page.instances;
  }

  /** The instance's record and history, with the emulator's clock and what it waits for. */
  history(instanceId: string): Promise<{ instance: InstanceRecord; history: HistoryEvent[]; now: string; waits: InstanceWaits }> {
    return this.request("GET", `/_durable/api/instances/${encodeURIComponent(instanceId)}/history`) as Promise<{ instance: InstanceRecord; history: HistoryEvent[]; now: string; waits: InstanceWaits }>;
  }

  /** The instance's status and what it waits for; cheap enough to poll (no history in the answer). */
  waits(instanceId: string): Promise<InstanceWaitsAnswer> {
    return this.request("GET", `/_durable/api/instances/${encodeURIComponent(instanceId)}`) as Promise<InstanceWaitsAnswer>;
  }

  async start(orchestrator: string, input: unknown): Promise<string> {
    const answer = (await this.request("POST", `/runtime/webhooks/durabletask/orchestrators/${encodeURIComponent(orchestrator)}`, input ?? null)) as { id: string };
    return answer.id;
  }

  status(instanceId: string): Promise<{ runtimeStatus: string; output: unknown; customStatus: unknown }> {
    return this.request("GET", `/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`) as Promise<{ runtimeStatus: string; output: unknown; customStatus: unknown }>;
  }

  async raise(instanceId: string, eventName: string, data: unknown): Promise<void> {
    await this.request("POST", `/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}/raiseEvent/${encodeURIComponent(eventName)}`, data ?? null);
  }

  async act(instanceId: string, action: InstanceAction, reason?: string): Promise<unknown> {
    const query = reason ? `?reason=${encodeURIComponent(reason)}` : "";
    return this.request("POST", `/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}/${action}${query}`);
  }

  async purge(instanceId: string): Promise<void> {
    await this.request("DELETE", `/runtime/webhooks/durabletask/instances/${encodeURIComponent(instanceId)}`);
  }
}

