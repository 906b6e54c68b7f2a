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
};

export type ReplayChildMessage =
  /** The entry registered its first orchestrator (so a worker that never starts can be told from no worker at all). */
  | { type: "registered" }
  /** The entry called start() on a TaskHubGrpcWorker: its orchestrators are registered. */
  | { type: "started" }
  /** The entry failed before it started a worker (it threw while loading, or the SDK cannot be found). */
  | { type: "loadFailed"; message: string; stack?: string }
  /** The serialized OrchestratorResponse of a replay. */
  | { type: "replayed"; id: number; response: string }
  /** No started worker registered the orchestrator. */
  | { type: "unknownOrchestrator"; id: number; registered: string[] }
  /** processOrchestratorRequest threw (the SDK failed outside the orchestration, which it would report as a failure). */
  | { type: "replayFailed"; id: number; message: string };
