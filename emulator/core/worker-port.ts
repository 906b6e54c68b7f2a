/**
 * The seam between the engine and whatever runs the user's functions — a worker. The engine hands a worker an
 * orchestration's history and gets back what the orchestration decided in that episode, hands it an activity's
 * input and gets the result, hands it an entity's operations and gets the batch's outcome; it knows nothing of how.
 * The Node app host (app-host/app-host-worker.ts) is one worker; a Durable Task SDK connected over gRPC is another;
 * the engine's unit tests use a scripted one. Several may be connected: the engine routes each function name to the
 * worker that registered it (engine/worker-router.ts).
 */
import type { HistoryEvent } from "../history/history-event";
import type { NondeterminismReport } from "../history/task-matching";
import type { TimerCancellation } from "../api/types";
import type { RegisteredFunction } from "./functions";
import type { TrackedTask } from "./tasks";

export interface OrchestrationRequest {
  functionName: string;
  instanceId: string;
  executionId: string;
  /** The whole history of this execution (a worker may keep what it saw and take only the rest). */
  history: readonly HistoryEvent[];
  input: unknown;
  parentInstanceId?: string;
  /** How many of the episode's new activities the worker may start right away (their results come with the decision). */
  eagerActivitySlots?: number;
  /** The engine's own replay (checking determinism after a reload), not an invocation. */
  check?: boolean;
}

/** What an orchestration decided in one episode. */
export interface OrchestrationDecision {
  /** Tasks the history does not record yet, with the ids the orchestration gave them: the work to schedule now. */
  newTasks: TrackedTask[];
  /** Ids of tasks not completed, less cancelled timers and signals: the orchestration does not complete while any is open. */
  openTaskIds: number[];
  /** The orchestrator function returned (with `output`, or having asked for `continueAsNew`). */
  done: boolean;
  output?: unknown;
  /**
   * The orchestrator function threw. A worker whose SDK describes its own failures (a Durable Task SDK's
   * failureDetails) sets errorType; the message is then stored as it is, as the Durable Task Scheduler stores it.
   */
  failure?: { message: string; stack?: string; errorType?: string };
  /**
   * ContinueAsNew, and the index of the history event during whose replay it was called (later events carry over),
   * or the events to carry over when the worker names them itself (a Durable Task SDK's carryoverEvents).
   */
  continueAsNew?: { input: unknown; calledAtEvent: number; carryover?: HistoryEvent[] };
  customStatus?: unknown;
  /** External events it waits for. */
  waitingForEvents: string[];
  /** Timers it cancelled that have not fired: no longer waited for. */
  canceledTimerIds: number[];
  /** Every timer it cancelled in this execution, and the history event it was processing then. */
  timerCancellations?: TimerCancellation[];
  /**
   * A hint: it waits on all of these (Task.all over plain tasks). Their successful completions may be held back until
   * the last one arrives, as another episode before then could not make progress.
   */
  waitingForAll?: number[];
  /** The orchestration no longer matches its history. */
  nondeterminism?: NondeterminismReport;
  /** Activities the worker started at once (within eagerActivitySlots), by task id, with their results to come. */
  eagerActivities: ReadonlyMap<number, Promise<ActivityResult>>;
}

export interface ActivityRequest {
  functionName: string;
  instanceId: string;
  taskId: number;
  input: unknown;
}

/** What the user's code threw. */
export interface WorkerError {
  name: string;
  message: string;
  stack?: string;
  /** FailureDetails JSON the worker's SDK produced, if any. */
  failureDetailsJson?: string;
}

export type ActivityResult = { ok: true; result: unknown } | { ok: false; error: WorkerError };

export interface EntityOperation {
  name: string;
  /** JSON text of the input, or undefined. */
  input?: string;
  id: string;
  isSignal: boolean;
}

export interface EntityBatchRequest {
  functionName: string;
  entity: { name: string; key: string };
  exists: boolean;
  /** JSON text of the state, undefined when the entity does not exist. */
  state: string | undefined;
  operations: EntityOperation[];
}

/** How an entity operation failed, when the worker's SDK describes it (a Durable Task SDK's TaskFailureDetails). */
export interface EntityOperationFailure {
  errorType: string;
  errorMessage: string;
  stackTrace?: string;
}

/** What one batch of an entity's operations came to: the state after it, one result per operation, the signals sent. */
export interface EntityBatchResult {
  entityExists: boolean;
  entityState?: string;
  results: { isError: boolean; duration: number; startTime: number; result?: string; failure?: EntityOperationFailure }[];
  /** scheduledTime: a signal delivered no earlier than this time (ISO). */
  signals: { target: { name: string; key: string }; name: string; input: string; requestId: string; requestTime: number; scheduledTime?: string }[];
  /** Callers are answered as DurableTask.Core answers (a Durable Task SDK worker): see engine/entity-batch.ts responseMessage. */
  coreResponses?: boolean;
  /** Orchestrations the operations started (a Durable Task SDK entity's context.scheduleNewOrchestration). */
  startedOrchestrations?: { name: string; instanceId?: string; input?: string; version?: string }[];
  /** What the failed operations threw (by index in the batch), for the engine's warnings. */
  thrown?: { index: number; description: string }[];
}

export interface WorkerPort {
  /** The functions this worker registered (it may change: a reload). */
  readonly functions: readonly RegisteredFunction[];
  /**
   * The worker does not say which functions it has (a Durable Task SDK connected without work-item filters): work for
   * names no worker registered goes to it, and the engine does not refuse such names up front. The worker's SDK
   * answers for a name it lacks, as it would against the Durable Task Scheduler.
   */
  readonly servesAnyFunction?: boolean;
  orchestrate(request: OrchestrationRequest): Promise<OrchestrationDecision>;
  runActivity(request: ActivityRequest): Promise<ActivityResult>;
  runEntityBatch(request: EntityBatchRequest): Promise<EntityBatchResult>;
  /** The execution ended or was reset: whatever the worker keeps for it may go. */
  forget(instanceId: string, executionId: string): void;
}
