/**
 * Messages between the emulator (parent) and the app host (a child Node process that loads the user's app).
 * Both directions send arrays of messages, so a burst of invocations or results costs one IPC write.
 */
import type { HistoryEvent } from "../history/history-event";
import type { TimerCancellation } from "../api/types";
import type { NondeterminismReport } from "../history/task-matching";
import type { TrackedTask, TrackedTaskRole } from "../core/tasks";
import type { RegisteredFunction, SourceFrame } from "../core/functions";
import type { EntityBatchResult, EntityOperation, WorkerError } from "../core/worker-port";

/** The IPC carries the worker port's own shapes for errors and entity batches (core/worker-port.ts). */
export type ErrorDto = WorkerError;
export type EntityOperationDto = EntityOperation;
export type EntityBatchResultDto = EntityBatchResult;

export interface AppHostStartOptions {
  appDir: string;
  entryFiles: string[];
  /** Orchestrator code that runs this long without yielding is reported (see episode-watchdog.ts); unset: never. */
  episodeLimitMs?: number;
}

/** The package's OrchestratorState, less its actions (the host works from the tracked tasks instead). */
export interface OrchestratorStateDto {
  isDone: boolean;
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion: number;
  /** How many actions the package emitted in all (schema V2+ lists are cumulative). */
  actionCount: number;
}

export interface OrchestrationEpisodeResult {
  instanceId: string;
  executionId: string;
  state: OrchestratorStateDto;
  /** Set when the orchestrator function threw (the package wraps it in an OrchestrationFailureError). */
  failure?: { message: string; stack?: string };
  /** Tasks of this replay that the history does not record yet: the work to schedule now. */
  newTasks: TrackedTask[];
  /** External events the orchestrator waits for at the end of this replay. */
  waitingForEvents: string[];
  /**
   * Set when the orchestrator waits on Task.all over plain tasks: the ids still open. Until all have completed (or
   * one fails) another replay could not make progress, so the host may hold their completions back.
   */
  waitingForAll?: number[];
  /**
   * Ids of the replay's tasks that have not completed, less cancelled timers and entity signals. DurableTask.Core
   * does not complete an orchestration while such tasks are open, even if the orchestrator has returned.
   */
  openTaskIds: number[];
  /** Ids of timers the orchestrator cancelled that have not fired: they are no longer waited for. */
  canceledTimerIds: number[];
  /** Every timer the orchestrator cancelled in this replay (fired or not), and the event it was processing then. */
  timerCancellations: TimerCancellation[];
  /** Set when the replay no longer matches the history. */
  nondeterminism?: NondeterminismReport;
  /** Ids of new activity tasks the child started itself (see eagerActivitySlots); their results follow. */
  eagerTaskIds: number[];
  /**
   * The ContinueAsNew action, when the orchestrator asked for one, and the index of the history event during whose
   * replay it was called: events raised after that one carry over to the next execution.
   */
  continueAsNew?: { input: unknown; calledAtEvent: number };
}

/** An HTTP request for an httpTrigger function, in the shape the Functions host sends (RpcHttpData). */
export interface HttpRequestDto {
  method: string;
  url: string;
  headers: Record<string, string>;
  query: Record<string, string>;
  params: Record<string, string>;
  /** The body, base64-encoded (absent when empty). */
  bodyBase64?: string;
}

export interface HttpResponseDto {
  status: number;
  headers: Record<string, string>;
  cookies: { name: string; value: string; [attribute: string]: unknown }[];
  bodyBase64: string;
}

/** A durable task the traced replay created, with the app's stack where it was created. */
export interface TracedTask {
  /** The package's task id; external event waits have none. */
  id?: number;
  task: TrackedTaskRole | { role: "externalEvent"; name: string } | { role: "whenAll" | "whenAny"; childIds: number[] };
  /** Index of the history event whose processing created it (-1: before the first event). */
  createdAtEvent: number;
  /** The app's frames at the durable call, innermost first. */
  stack: SourceFrame[];
  /** Whether the replay ended with it still waiting. */
  open: boolean;
  /** A timer the orchestrator cancelled: the index of the history event it was processing when it did. */
  canceledAtEvent?: number;
}

/** Whether a traced task is one the history records (an activity, timer, …) rather than a wait or a group. */
export function isRecordedRole(role: TracedTask["task"]): role is TrackedTaskRole {
  return role.role !== "externalEvent" && role.role !== "whenAll" && role.role !== "whenAny";
}

/** The orchestrator's state right after the package processed one history event. */
export interface TraceStep {
  eventIndex: number;
  isReplaying: boolean;
  currentUtcDateTime: string;
  customStatus?: unknown;
  /** Index into ReplayTrace.tasks of the durable call this event belongs to, if any. */
  eventTask?: number;
  /** Index into ReplayTrace.tasks of what the orchestrator waits on after this event (its `yield`). */
  waitingOn?: number;
  /** Indexes into ReplayTrace.tasks of the tasks created while this event was processed. */
  created: number[];
  /** Ids of the tasks still open after this event. */
  openTaskIds: number[];
  waitingForEvents: string[];
  /** What the orchestrator logged (context.log or console) while this event was processed. */
  logs: { level: string; message: string }[];
  /** Set once the orchestrator has returned or thrown. */
  finished?: { output?: unknown; error?: string };
}

/** One replay of a whole history against the current code, recorded event by event for the debugger and `replay`. */
export interface ReplayTrace {
  steps: TraceStep[];
  tasks: TracedTask[];
  state: { isDone: boolean; output?: unknown; error?: string; customStatus?: unknown };
  failure?: { message: string; stack?: string };
  /** Tasks the current code makes that the history does not record (pending work at the end of the history). */
  newTasks: TrackedTask[];
  nondeterminism?: NondeterminismReport;
  /** The orchestrator's registration, for a frame when no durable call is on the stack. */
  orchestratorSource?: SourceFrame;
}

export type ParentToChild =
  | {
      type: "orchestrate";
      requestId: number;
      functionName: string;
      instanceId: string;
      executionId: string;
      /** How many events the child should already hold for this execution; it sends needHistory if it does not. */
      knownEvents: number;
      newEvents: HistoryEvent[];
      input: unknown;
      parentInstanceId?: string;
      upperSchemaVersion: number;
      /**
       * How many of the activities this episode schedules the child may start at once, right after it answers,
       * instead of waiting for the emulator to dispatch them: it saves a round trip per step of a chain.
       */
      eagerActivitySlots: number;
      /** The emulator's own replay (not an invocation on Azure): the invocation hooks do not run. */
      check?: boolean;
      timerSettings: { maximumShortTimerDuration: string; longRunningTimerIntervalDuration: string; defaultHttpAsyncRequestSleepTimeMillseconds: number };
    }
  | { type: "activity"; requestId: number; functionName: string; instanceId: string; taskId: number; input: unknown }
  | {
      type: "trace";
      requestId: number;
      functionName: string;
      instanceId: string;
      /** The events, or the export file holding them (read by the child: a long history then crosses no pipe). */
      history: HistoryEvent[] | { file: string };
      input: unknown;
      parentInstanceId?: string;
      upperSchemaVersion: number;
      timerSettings: { maximumShortTimerDuration: string; longRunningTimerIntervalDuration: string; defaultHttpAsyncRequestSleepTimeMillseconds: number };
      /** false: only the verdict (fast, for `replay`); true: steps with stacks and logs (for the debugger). */
      detailed: boolean;
    }
  | { type: "forget"; instanceId: string; executionId: string }
  /** The host stops the worker (the Functions host's WorkerTerminate): appTerminate hooks run, then the process exits. */
  | { type: "terminate" }
  | {
      type: "entity";
      requestId: number;
      functionName: string;
      entity: { name: string; key: string };
      exists: boolean;
      state?: string;
      batch: EntityOperationDto[];
    }
  | {
      type: "http";
      requestId: number;
      functionName: string;
      request: HttpRequestDto;
      /** What a durableClient input binding receives (the management URLs of this emulator). */
      durableClient: unknown;
    };

export type ChildToParent =
  | { type: "ready"; functions: RegisteredFunction[]; durableFunctionsVersion: string }
  /** stack: where the app's code failed, for the editor (a SyntaxError's stack starts with the file and line). */
  | { type: "loadError"; message: string; stack?: string }
  /** Sent straight away before each entry file runs, so a file that never finishes loading can be named. */
  | { type: "loading"; file: string }
  | { type: "needHistory"; requestId: number }
  | { type: "orchestrationResult"; requestId: number; result: OrchestrationEpisodeResult }
  | { type: "traceResult"; requestId: number; result: ReplayTrace }
  | { type: "activityResult"; requestId: number; ok: true; result: unknown }
  | { type: "activityResult"; requestId: number; ok: false; error: ErrorDto }
  | ({ type: "eagerActivityResult"; instanceId: string; executionId: string; taskId: number } & (
      { ok: true; result: unknown } | { ok: false; error: ErrorDto }
    ))
  | { type: "invocationError"; requestId: number; message: string }
  | { type: "entityResult"; requestId: number; result: EntityBatchResultDto }
  | { type: "httpResult"; requestId: number; ok: true; response: HttpResponseDto }
  | { type: "httpResult"; requestId: number; ok: false; error: ErrorDto }
  | { type: "log"; level: string; functionName?: string; message: string };
