/**
 * The messages between `replay` (sdk-replay-host.ts) and the user's Durable Task SDK worker running under our preload
 * (sdk-replay-preload.ts), over the child's IPC channel. Protocol messages travel as base64 of their binary form: the
 * parent builds and reads them with the SDK's generated pb classes, the child hands the bytes to the worker as they are.
 */

/** The environment variable that tells the preload which file is the worker entry (it resolves the SDK from there). */
export const SDK_REPLAY_ENTRY_VARIABLE = "DURABLE_DEVKIT_REPLAY_ENTRY";
/** The SDK package whose TaskHubGrpcWorker the preload patches (the one the app's package.json names). */
export const SDK_REPLAY_PACKAGE_VARIABLE = "DURABLE_DEVKIT_REPLAY_SDK";
export const DEFAULT_SDK_PACKAGE = "@microsoft/durabletask-js";

export type ReplayParentMessage = {
  type: "replay";
  id: number;
  /** The orchestrator the history belongs to, to pick the worker that registered it. */
  orchestrator: string;
  /** A serialized OrchestratorRequest. */
  request: string;
  /** Also record, event by event, what the orchestrator did (sdk-replay-tracer.ts): for the replay debugger. */
  trace?: boolean;
};

/** A position in the app's code: the first stack frame outside node_modules and Node's own modules. */
export interface SdkTraceFrame {
  name: string;
  file: string;
  line: number;
  column: number;
}

/** One durable call the orchestrator made on its context during the traced replay. */
export interface SdkTracedCall {
  /** The context method: callActivity, callSubOrchestrator, createTimer, sendEvent, waitForExternalEvent, callEntity, signalEntity, lockEntities. */
  method: string;
  /** The action id the SDK gave it (its sequence number); waitForExternalEvent makes no action. */
  id?: number;
  /** The action it created, serialized (a pb.OrchestratorAction), for the parent to read as any action. */
  action?: string;
  /** waitForExternalEvent: the event's name. */
  eventName?: string;
  /** Index of the request's event (past events, then new ones) being processed when the call was made. */
  atEvent: number;
  frame?: SdkTraceFrame;
}

/** The orchestrator's state right after the SDK processed one event of the request. */
export interface SdkTracedStep {
  /** Index of the event in the request (past events, then new ones). */
  event: number;
  isReplaying: boolean;
  currentUtcDateTime?: string;
  /** The custom status as the SDK holds it (JSON text). */
  customStatus?: string;
  /** Indexes into the calls of the tasks not complete after the event (signals and sendEvent are never waited for). */
  open: number[];
  /** Indexes into the calls of the tasks that completed while the event was processed. */
  completed: number[];
  /** Index into the calls of what the orchestrator's last yield waits on (a child of it, for whenAll/whenAny). */
  waitingOn?: number;
  /** Whether the orchestrator had finished (returned, thrown, continued as new) by then. */
  complete: boolean;
}

export interface SdkReplayTraceRecord {
  calls: SdkTracedCall[];
  steps: SdkTracedStep[];
}

export type ReplayChildMessage =
  /** The entry registered its first orchestrator (so a worker that never starts can be told from no worker at all). */
  | { type: "registered" }
  /** The entry called start() on a TaskHubGrpcWorker: its orchestrators are registered. */
  | { type: "started" }
  /** The entry failed before it started a worker (it threw while loading, or the SDK cannot be found). */
  | { type: "loadFailed"; message: string; stack?: string }
  /** The serialized OrchestratorResponse of a replay. */
  | { type: "replayed"; id: number; response: string; trace?: SdkReplayTraceRecord }
  /** No started worker registered the orchestrator. */
  | { type: "unknownOrchestrator"; id: number; registered: string[] }
  /** processOrchestratorRequest threw (the SDK failed outside the orchestration, which it would report as a failure). */
  | { type: "replayFailed"; id: number; message: string };
