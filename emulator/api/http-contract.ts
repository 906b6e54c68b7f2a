/**
 * The emulator's HTTP API as its clients see it — the dashboard's read API under /_durable/api and the Durable
 * management API under /runtime/webhooks/durabletask: the answers' shapes, written once. The server's routes
 * (http/dashboard-routes.ts) are checked against them; every client (emulator-client.ts: the extension, the
 * debugger's attach, the dashboard page, the tests) reads them from here.
 */
import type { HistoryEvent } from "../history/history-event";
import type { InstanceRecord, InstanceSummary, InstanceWaits, InstanceWaitsAnswer, ReloadReport, RuntimeStatus } from "./types";

export type { InstanceRecord, InstanceSummary, InstanceWaits, InstanceWaitsAnswer, ReloadReport };

export const DASHBOARD_API = "/_durable/api";
export const MANAGEMENT_API = "/runtime/webhooks/durabletask";

export interface FunctionInfo {
  name: string;
  kind: "orchestration" | "activity" | "entity" | "http" | "other";
  source?: { file: string; line: number; column: number };
}

/** GET /_durable/api/info */
export interface EmulatorInfo {
  appDir: string;
  /** The store the emulator runs on ("memory", or the sql.js file). */
  store: string;
  taskHubName: string;
  timeSkipping: boolean;
  /** The emulator's clock. */
  now: string;
  functions: FunctionInfo[];
  /** How the last reload of the watched app went. */
  reload: ReloadReport;
}

/** GET /_durable/api/instances?status&search&offset&limit: newest first. */
export interface InstancePageAnswer {
  total: number;
  instances: InstanceSummary[];
}

export interface InstanceListQuery {
  status?: RuntimeStatus;
  /** An instance id prefix or a part of the orchestrator's name. */
  search?: string;
  offset?: number;
  /** At most 200. */
  limit?: number;
}

export interface EngineWarning {
  at: string;
  instanceId?: string;
  message: string;
}

/** GET /_durable/api/instances/<id>/history */
export interface InstanceHistoryAnswer {
  instance: InstanceRecord;
  now: string;
  history: HistoryEvent[];
  waits: InstanceWaits;
  warnings: EngineWarning[];
}

/** GET /_durable/api/warnings */
export interface WarningsAnswer {
  warnings: EngineWarning[];
}

/** The server-sent events of GET /_durable/api/events, by event name. */
export interface EmulatorStreamEvents {
  instance: { instanceId: string; name: string; runtimeStatus: RuntimeStatus; lastUpdatedTime: string };
  warning: { instanceId?: string; message: string };
  reload: ReloadReport;
}

/** POST /runtime/webhooks/durabletask/orchestrators/<name>: the check-status links (HttpManagementPayload). */
export interface StartAnswer {
  id: string;
  statusQueryGetUri: string;
  sendEventPostUri: string;
  terminatePostUri: string;
  purgeHistoryDeleteUri: string;
}

/** GET /runtime/webhooks/durabletask/instances/<id> (StatusResponsePayload). */
export interface StatusAnswer {
  name: string;
  instanceId: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  customStatus: unknown;
  output: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  historyEvents?: Record<string, unknown>[];
}

export type InstanceAction = "terminate" | "suspend" | "resume" | "rewind" | "restart";
