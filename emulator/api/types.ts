/** The types every user of the emulator sees: the CLI, the HTTP host, the debugger and the extension. */
import type { HistoryEvent } from "../history/history-event";

export type RuntimeStatus = "Pending" | "Running" | "Completed" | "ContinuedAsNew" | "Failed" | "Terminated" | "Suspended";

export const TERMINAL_STATUSES: ReadonlySet<RuntimeStatus> = new Set(["Completed", "Failed", "Terminated"]);

export function isTerminal(status: RuntimeStatus): boolean {
  return TERMINAL_STATUSES.has(status);
}

export interface FailureInfo {
  message: string;
  errorType?: string;
  stack?: string;
}

/** One orchestration instance as stored. Inputs, outputs and custom status are JSON text. */
export interface InstanceRecord {
  instanceId: string;
  name: string;
  executionId: string;
  runtimeStatus: RuntimeStatus;
  input?: string;
  output?: string;
  customStatus?: string;
  failure?: FailureInfo;
  /** ISO 8601 UTC. */
  createdTime: string;
  lastUpdatedTime: string;
  parent?: { instanceId: string; executionId: string; taskId: number; name: string };
  version?: string;
  /** External events the orchestrator was waiting for after its last episode. */
  waitingForEvents?: string[];
  /** Timers the orchestrator had cancelled but that had not fired after its last episode: no longer waited for. */
  canceledTimerIds?: number[];
  /**
   * Every timer this execution's orchestrator cancelled (timer.cancel()), with the history event during whose
   * processing it did: the event that won the timer's race. The history cannot say it (Azure records no cancellation:
   * the timer's TimerFired still comes, or never does once the instance has ended), so the timeline reads it here.
   * Kept after the instance ends; a new execution starts without.
   */
  timerCancellations?: TimerCancellation[];
  /**
   * The reason given with the last suspend or resume of this execution (null: none given). Azure Storage writes it
   * into the instance's output column, so until the instance finishes its status shows it as the output.
   */
  controlReason?: string | null;
  /**
   * Set for durable entities (instance ids `@name@key`): whether the entity exists, its state as JSON text, and the
   * orchestration that holds its lock (SchedulerState.LockedBy), if one does.
   */
  entity?: { exists: boolean; state?: string; lockedBy?: string };
}

/** A timer the orchestrator cancelled, and the index in the history of the event it was processing when it did. */
export interface TimerCancellation {
  timerId: number;
  eventIndex: number;
}

/**
 * What a running instance waits for, from its record and history (see engine/instance-waits.ts). All empty once
 * it has ended. Times are ISO 8601 UTC.
 */
export interface InstanceWaits {
  /** External event names the orchestrator waits for (waitForExternalEvent), in the order it asked. */
  events: string[];
  /** Durable timers created and not fired, soonest first; cancelled ones are left out. */
  timers: { taskId: number; fireAt: string }[];
  /** Activities (and durable HTTP calls) scheduled and not yet answered. */
  activities: { taskId: number; name: string; scheduledAt: string }[];
  /** Sub-orchestrations started and not yet finished. */
  subOrchestrations: { taskId: number; name: string; instanceId?: string; scheduledAt: string }[];
}

/** A row of the dashboard read API's instance list (GET /_durable/api/instances). */
export interface InstanceSummary {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  createdTime: string;
  lastUpdatedTime: string;
  /** Set on Running and Suspended instances. */
  waits?: InstanceWaits;
}

/** GET /_durable/api/instances/<id>: the instance and what it waits for, cheap enough to poll. */
export interface InstanceWaitsAnswer extends InstanceSummary {
  /** The emulator's clock (it differs from the wall clock when time skips). */
  now: string;
  waits: InstanceWaits;
}

export interface InstanceQuery {
  runtimeStatus?: RuntimeStatus[];
  createdTimeFrom?: string;
  createdTimeTo?: string;
  instanceIdPrefix?: string;
  name?: string;
  /** Page size; all when unset. */
  top?: number;
  /** Opaque token from the previous page. */
  continuationToken?: string;
  /** true: only durable entities; otherwise only orchestration instances. */
  entities?: boolean;
}

export interface InstancePage {
  instances: InstanceRecord[];
  continuationToken?: string;
}

/** The status shape the Durable HTTP API and the JS client use (values parsed from JSON). */
export interface InstanceStatus {
  instanceId: string;
  name: string;
  runtimeStatus: RuntimeStatus;
  input: unknown;
  output: unknown;
  customStatus: unknown;
  createdTime: string;
  lastUpdatedTime: string;
  failure?: FailureInfo;
  history?: HistoryEvent[];
}

export interface StartOptions {
  instanceId?: string;
  input?: unknown;
  version?: string;
  /** Start no earlier than this time (ISO): the instance stays Pending until then (a Durable Task SDK's startAt). */
  scheduledStartTime?: string;
}

/** What the engine reports as it works; the CLI progress, the dashboard and the debugger all listen to it. */
export type EngineEvent =
  | { kind: "instanceUpdated"; instance: InstanceRecord }
  | { kind: "historyAppended"; instanceId: string; executionId: string; events: HistoryEvent[] }
  | { kind: "activityStarted"; instanceId: string; taskId: number; name: string }
  | { kind: "activityFinished"; instanceId: string; taskId: number; name: string; ok: boolean; durationMs: number }
  | { kind: "log"; level: string; functionName?: string; message: string }
  | { kind: "warning"; instanceId?: string; message: string }
  /** Time skipping stopped short of a timer because its instance waits for an external event (holdAtAwaitedEvents). */
  | { kind: "timeHeld"; instanceId: string; name: string; events: string[]; fireAt: string };

/** How the last reload of a watched app went (app/reload-report.ts builds it). */
export interface SourceProblem {
  /** Absolute path. */
  file: string;
  /** 1-based. */
  line: number;
  /** 1-based. */
  column: number;
  message: string;
}

export type ReloadReport =
  | { state: "loaded"; at: string }
  | {
      state: "failed";
      at: string;
      message: string;
      /** true when the build failed, so the old code still runs; false when the new code failed to load and work waits for a change that loads. */
      previousCodeRuns: boolean;
      problems: SourceProblem[];
    };
