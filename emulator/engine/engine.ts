/**
 * The durable engine: what the Durable Task extension and its backend do in Azure. It keeps each instance's
 * history and queues, runs episodes (all waiting messages of one instance at once, never two episodes of one
 * instance together), turns the tasks of the package's replay into history events and work, runs activities
 * concurrently up to the host.json limit, fires timers on a wall or time-skipping clock, and commits every step to
 * the store as one batch.
 */
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import {
  HistoryEventType,
  OrchestrationStatusCode,
  completedTaskId,
  type HistoryEvent,
  SCHEDULING_EVENT_TYPES,
  nextSequenceId,
} from "../history/history-event";
import { HTTP_ACTIVITY_NAME } from "../history/task-matching";
import type { PendingMessage, Store, StoreBatch, WorkItem } from "../store/store";
import {
  isTerminal,
  type EngineEvent,
  type FailureInfo,
  type InstanceQuery,
  type InstancePage,
  type InstanceRecord,
  type InstanceStatus,
  type RuntimeStatus,
  type StartOptions,
} from "../api/types";
import { DurableError, badRequest, instanceNotFound, notAnOrchestration, unknownFunction } from "../core/errors";
import { parseJsonText as parseJson } from "../api/json-text";
import type { FunctionRuntime } from "./runtime";
import type { TrackedTask } from "../core/tasks";
import { AppHostExitedError, AppHostReloadedError, type ActivityOutcome, type EpisodeOutcome } from "../app-host/app-host-client";
import { FunctionTimeoutError } from "../app-host/function-timeouts";
import { Clock } from "./clock";
import { TimerQueue } from "./timer-queue";
import { findHeldTimer, type HeldTimer } from "./awaited-event-hold";
import { nextRetry } from "./retry-policy";
import { HttpActivityFailure, pollTarget, runHttpActivity, type HttpActivityInput } from "./http-activity";
import { activityFunctionFailure } from "./dotnet-exceptions";
import { newtonsoftDate, nextTick, notAfter } from "../core/azure-json";
import {
  ENTITY_OPERATION_EVENT,
  entityInstanceId as entityInstanceId_,
  isEntityInstanceId,
  parseEntityInstanceId,
  parseEntityRelease,
  parseEntityRequest,
  responseMessage,
  ENTITY_RELEASE_EVENT,
  batchOutcome,
  callerErrorMessage,
  encodeEntityRequest,
  requestTimestampOf,
  type RequestLabel,
  type EntityBatchOutcome,
  type EntityOutcome,
  type EntityRequest,
} from "./entity-batch";

export interface EngineOptions {
  store: Store;
  runtime: FunctionRuntime;
  /** Jump the clock to the next timer whenever nothing else can run. */
  timeSkipping?: boolean;
  /**
   * With time skipping: never jump to a timer of an instance that waits for an external event (a debug session,
   * where the user may still raise it); such a timer fires on wall time or after advanceClock. Default false.
   */
  holdAtAwaitedEvents?: boolean;
  /** host.json extensions.durableTask.maxConcurrentActivityFunctions (default: 10 per processor, as the real host). */
  maxConcurrentActivityFunctions?: number;
  /** host.json extensions.durableTask.maxConcurrentOrchestratorFunctions (default: 10 per processor). */
  maxConcurrentOrchestratorFunctions?: number;
  /** host.json extensions.durableTask.maxEntityOperationBatchSize: operations one entity runs per batch (default 5000). */
  maxEntityOperationBatchSize?: number;
  /** Test hook: the wall clock. */
  now?: () => number;
}

interface ActiveInstance {
  record: InstanceRecord;
  history: HistoryEvent[];
  scheduled: Map<number, HistoryEvent>;
  completed: Set<number>;
  inbox: PendingMessage[];
  running: boolean;
  /** Set by continue-as-new: the next commit replaces the stored history instead of appending. */
  replaceHistory?: boolean;
  /**
   * The open tasks of a Task.all the orchestrator is blocked on. Their successful completions wait in the inbox
   * without waking the orchestrator until the last one arrives: a replay before then could not make progress, and
   * holding them keeps a large fan-out from replaying once per batch of results.
   */
  waitingForAll?: Set<number>;
  /** Inbox messages that should wake the orchestrator. */
  wakingMessages: number;
  /** Purged while unfinished: what an episode still running for it produces is dropped. */
  purged?: boolean;
}

/** Warnings the engine keeps for the dashboard. */
const MAX_KEPT_WARNINGS = 500;
/** DurableClient.MaxInstanceIdLength (DurableClient.cs:33). */
const MAX_INSTANCE_ID_LENGTH = 256;

/** Attempts an activity or an episode gets when the app host keeps dying under it, before it is failed. */
const MAX_HOST_CRASHES_PER_ACTIVITY = 3;

/** JSON text of a value the user gave (an input, event data); one that cannot be stored as JSON is a bad request. */
function json(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value);
  } catch (error) {
    const reason = error instanceof RangeError ? "it is nested too deeply" : error instanceof Error ? error.message : String(error);
    throw badRequest(`The value cannot be stored as JSON: ${reason}. Send plain JSON data (objects, arrays, strings, numbers, booleans, null).`);
  }
}

/** The event that starts an execution of the instance the record describes. */
function executionStarted(record: InstanceRecord, timestamp: string): HistoryEvent {
  return {
    EventType: HistoryEventType.ExecutionStarted,
    EventId: -1,
    Timestamp: timestamp,
    IsPlayed: false,
    Name: record.name,
    Version: record.version ?? "",
    Input: record.input,
    OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: record.executionId },
    // DurableTask.Core ParentInstance.cs, filled in by TaskOrchestrationDispatcher.ProcessCreateSubOrchestrationInstanceDecision.
    ParentInstance: record.parent
      ? { Name: record.parent.name, Version: "", TaskScheduleId: record.parent.taskId, OrchestrationInstance: { InstanceId: record.parent.instanceId, ExecutionId: record.parent.executionId } }
      : undefined,
  };
}

/** Messages a suspended instance still takes. */
function isControlMessage(message: PendingMessage): boolean {
  const type = message.event.EventType;
  return type === HistoryEventType.ExecutionResumed || type === HistoryEventType.ExecutionTerminated;
}

/** The lock request an EventSent carries (its id and lock set), if it is one. */
function lockRequestOf(event: HistoryEvent): { id: string; lockSet: string[] } | undefined {
  if (event.EventType !== HistoryEventType.EventSent || event.Name !== ENTITY_OPERATION_EVENT || !/"lock[sS]et"/.test(event.Input ?? "")) return undefined;
  const request = parseEntityRequest({ ...event, EventType: HistoryEventType.EventRaised });
  return "unusable" in request || !request.lockSet ? undefined : { id: request.id, lockSet: request.lockSet };
}

/** The entities an orchestration holds locked at the end of its history: granted by the last answer, not yet released. */
export function heldLocks(history: readonly HistoryEvent[]): string[] {
  let pending: { id: string; lockSet: string[] } | undefined;
  let held = new Set<string>();
  for (const event of history) {
    const lock = lockRequestOf(event);
    if (lock) pending = lock;
    else if (pending && event.EventType === HistoryEventType.EventRaised && event.Name === pending.id) {
      held = new Set(pending.lockSet);
      pending = undefined;
    } else if (event.EventType === HistoryEventType.EventSent && event.Name === ENTITY_RELEASE_EVENT && event.InstanceId) held.delete(event.InstanceId);
  }
  return [...held];
}

export function toInstanceStatus(record: InstanceRecord, history?: HistoryEvent[]): InstanceStatus {
  return {
    instanceId: record.instanceId,
    name: record.name,
    runtimeStatus: record.runtimeStatus,
    input: parseJson(record.input) ?? null,
    output: parseJson(record.output) ?? null,
    customStatus: parseJson(record.customStatus) ?? null,
    createdTime: record.createdTime,
    lastUpdatedTime: record.lastUpdatedTime,
    failure: record.failure,
    history,
  };
}

export class Engine {
  private readonly store: Store;
  private readonly runtime: FunctionRuntime;
  readonly clock: Clock;
  private readonly events = new EventEmitter();
  private readonly active = new Map<string, ActiveInstance>();
  private readonly ready = new Set<string>();
  private readonly timers = new TimerQueue();
  private readonly warningLog: { at: string; instanceId?: string; message: string }[] = [];
  /** Sub-orchestration calls the extension would refuse, already warned about (instance|execution|task id). */
  private readonly refusedCalls = new Set<string>();
  /** Time skipping: timers that wait for wall-clock time first (callHttp polls), by message id. */
  private readonly wallClockTimers = new Map<number, { message: PendingMessage; handle: NodeJS.Timeout }>();
  private readonly activityQueue: WorkItem[] = [];
  private activityQueueHead = 0;
  private readonly inFlightWorkItems = new Set<number>();
  private runningEpisodes = 0;
  private runningActivities = 0;
  /** How often the app host died during an episode of an instance, by instance id. */
  private readonly episodeCrashes = new Map<string, number>();
  /** How often the app host died while running a work item, by work item id. */
  private readonly hostCrashes = new Map<number, number>();
  /** Activity slots promised to app-host episodes in flight for eager starts. */
  private reservedActivitySlots = 0;
  private lastId = 0;
  private pumpScheduled = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAt = Number.POSITIVE_INFINITY;
  private closed = false;
  private readonly maxActivities: number;
  private readonly maxEpisodes: number;
  private readonly maxEntityBatch: number;
  private readonly idleWaiters: (() => void)[] = [];
  private readonly holdAtAwaitedEvents: boolean;
  /** The timer the clock last refused to skip to, so each hold is reported once. */
  private reportedHold: number | undefined;

  constructor(options: EngineOptions) {
    const processors = Math.max(1, (require("node:os") as typeof import("node:os")).availableParallelism());
    this.store = options.store;
    this.runtime = options.runtime;
    this.clock = new Clock(options.timeSkipping === true, options.now);
    this.holdAtAwaitedEvents = options.holdAtAwaitedEvents === true;
    this.maxActivities = options.maxConcurrentActivityFunctions ?? 10 * processors;
    this.maxEpisodes = options.maxConcurrentOrchestratorFunctions ?? 10 * processors;
    this.maxEntityBatch = Math.max(1, options.maxEntityOperationBatchSize ?? 5000);
    this.events.setMaxListeners(0);
  }

  /** Opens the store and picks up every unfinished instance and its queued work (after a restart or crash). */
  async start(): Promise<void> {
    const snapshot = await this.store.open();
    this.lastId = snapshot.lastId;
    for (const record of snapshot.activeInstances) {
      const history = snapshot.histories.get(record.instanceId) ?? [];
      this.active.set(record.instanceId, this.activeFrom(record, history));
    }
    for (const message of snapshot.messages) this.deliver(message);
    for (const item of snapshot.workItems) this.activityQueue.push(item);
    this.schedulePump();
  }

  private activeFrom(record: InstanceRecord, history: HistoryEvent[]): ActiveInstance {
    const instance: ActiveInstance = { record, history, scheduled: new Map(), completed: new Set(), inbox: [], running: false, wakingMessages: 0 };
    for (const event of history) this.index(instance, event);
    return instance;
  }

  private index(instance: ActiveInstance, event: HistoryEvent): void {
    if (SCHEDULING_EVENT_TYPES.has(event.EventType)) instance.scheduled.set(event.EventId, event);
    const taskId = completedTaskId(event);
    if (taskId !== undefined) instance.completed.add(taskId);
  }

  // ---------------------------------------------------------------- observation

  on(listener: (event: EngineEvent) => void): () => void {
    this.events.on("event", listener);
    return () => this.events.off("event", listener);
  }

  private emit(event: EngineEvent): void {
    if (event.kind === "warning") {
      // Kept for the dashboard, which may open after the warning was printed.
      this.warningLog.push({ at: new Date(this.clock.now()).toISOString(), instanceId: event.instanceId, message: event.message });
      if (this.warningLog.length > MAX_KEPT_WARNINGS) this.warningLog.splice(0, this.warningLog.length - MAX_KEPT_WARNINGS);
    }
    if (this.events.listenerCount("event") > 0) this.events.emit("event", event);
  }

  /** The most recent warnings (of one instance, or all), oldest first. */
  recentWarnings(instanceId?: string): { at: string; instanceId?: string; message: string }[] {
    return instanceId === undefined ? this.warningLog.slice() : this.warningLog.filter((warning) => warning.instanceId === instanceId);
  }

  /** Gives a warning where the engine's own go: the log of `durable-devkit start`, the dashboard, the debugger. */
  warn(message: string, instanceId?: string): void {
    this.emit({ kind: "warning", instanceId, message });
  }

  /** Resolves when the instance reaches Completed, Failed or Terminated. */
  waitForCompletion(instanceId: string, timeoutMs?: number): Promise<InstanceStatus> {
    const current = this.store.getInstance(instanceId);
    if (!current) return Promise.reject(instanceNotFound(instanceId));
    if (isTerminal(current.runtimeStatus)) return Promise.resolve(toInstanceStatus(current));
    return new Promise((resolve, reject) => {
      let timeout: NodeJS.Timeout | undefined;
      const off = this.on((event) => {
        if (event.kind === "instanceUpdated" && event.instance.instanceId === instanceId && isTerminal(event.instance.runtimeStatus)) {
          off();
          if (timeout) clearTimeout(timeout);
          resolve(toInstanceStatus(event.instance));
        }
      });
      if (timeoutMs !== undefined) {
        timeout = setTimeout(() => {
          off();
          reject(new Error(`Instance ${instanceId} did not finish within ${timeoutMs} ms.`));
        }, timeoutMs);
      }
    });
  }

  /** Resolves when nothing can run now: no episode, no activity, no due timer (future timers may remain on wall time). */
  whenIdle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    const nextDue = this.timers.peekDue() ?? Infinity;
    const dueTimer = this.timers.size > 0 && ((this.clock.skipping && !this.heldTimer()) || nextDue <= this.clock.now());
    return (
      this.runningEpisodes === 0 &&
      this.runningActivities === 0 &&
      this.ready.size === 0 &&
      this.activityQueueHead >= this.activityQueue.length &&
      !dueTimer
    );
  }

  /** Instances that cannot progress by themselves (waiting for an external event or a far timer). */
  pendingTimerCount(): number {
    return this.timers.size + this.wallClockTimers.size;
  }

  /** Timers that wait for wall-clock time even with time skipping (callHttp polls). */
  wallClockTimerCount(): number {
    return this.wallClockTimers.size;
  }

  // ---------------------------------------------------------------- client API

  private requireFunction(name: string, kind: "orchestration" | "activity"): void {
    const functions = this.runtime.functions.filter((fn) => fn.kind === kind);
    if (!functions.some((fn) => fn.name === name)) throw unknownFunction(kind, name, functions.map((fn) => fn.name));
  }

  /** The registered functions of the app. */
  get functions() {
    return this.runtime.functions;
  }

  async startNew(name: string, options: StartOptions = {}): Promise<string> {
    this.requireFunction(name, "orchestration");
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, "");
    // As DurableClient.StartNewAsync (DurableClient.cs:185-201): no "@" first, none of / \ # ? or control
    // characters, at most 256 characters.
    if (!instanceId || /[/\\#?\u0000-\u001f\u007f-\u009f]/.test(instanceId) || instanceId.startsWith("@") || instanceId.length > MAX_INSTANCE_ID_LENGTH) {
      throw badRequest(
        `"${instanceId.slice(0, 300)}" is not a valid instance id: it must be non-empty, at most ${MAX_INSTANCE_ID_LENGTH} characters long, must not start with @ ` +
          "and must not contain / \\ # ? or control characters.",
      );
    }
    const existing = this.store.getInstance(instanceId);
    if (existing && !isTerminal(existing.runtimeStatus)) {
      throw new DurableError(
        "InstanceAlreadyExists",
        `An orchestration instance with the id "${instanceId}" already exists and is ${existing.runtimeStatus}. ` +
          "Wait for it to finish, terminate it, or start with another id.",
        { instanceId, runtimeStatus: existing.runtimeStatus },
      );
    }
    const batch: StoreBatch = {};
    this.createInstance(batch, { instanceId, name, input: options.input, version: options.version, reuse: existing !== undefined });
    this.commit(batch);
    await this.store.flush();
    return instanceId;
  }

  private createInstance(
    batch: StoreBatch,
    spec: { instanceId: string; name: string; input: unknown; version?: string; parent?: InstanceRecord["parent"]; reuse: boolean; inputJson?: string },
  ): void {
    const now = new Date(this.clock.now()).toISOString();
    const executionId = randomUUID().replace(/-/g, "");
    const inputJson = spec.inputJson ?? json(spec.input);
    const record: InstanceRecord = {
      instanceId: spec.instanceId,
      name: spec.name,
      executionId,
      runtimeStatus: "Pending",
      input: inputJson,
      createdTime: now,
      lastUpdatedTime: now,
      parent: spec.parent,
      version: spec.version,
    };
    if (spec.reuse) {
      const old = this.active.get(spec.instanceId);
      if (old) this.runtime.forget(spec.instanceId, old.record.executionId);
      (batch.history ??= []).push({ instanceId: spec.instanceId, events: [], replace: true });
    }
    this.upsert(batch, record);
    this.active.set(spec.instanceId, this.activeFrom(record, []));
    this.enqueue(batch, { id: ++this.lastId, instanceId: spec.instanceId, executionId, event: executionStarted(record, now) });
  }

  getStatus(instanceId: string, options: { showHistory?: boolean } = {}): InstanceStatus | undefined {
    const record = this.store.getInstance(instanceId);
    if (!record) return undefined;
    return toInstanceStatus(record, options.showHistory ? this.store.getHistory(instanceId) : undefined);
  }

  getHistory(instanceId: string): HistoryEvent[] {
    if (!this.store.getInstance(instanceId)) throw instanceNotFound(instanceId);
    return this.store.getHistory(instanceId);
  }

  getRecord(instanceId: string): InstanceRecord | undefined {
    return this.store.getInstance(instanceId);
  }

  list(query: InstanceQuery = {}): InstancePage {
    return this.store.listInstances(query);
  }

  private requireInstance(instanceId: string): InstanceRecord {
    const record = this.store.getInstance(instanceId);
    if (!record) throw instanceNotFound(instanceId);
    return record;
  }

  /** Orchestration-only operations refuse entity ids before they can put a message in an entity's queue. */
  private requireOrchestration(instanceId: string, action: string): InstanceRecord {
    const record = this.requireInstance(instanceId);
    if (record.entity || isEntityInstanceId(instanceId)) throw notAnOrchestration(instanceId, action);
    return record;
  }

  /** An orchestration that has not finished; a finished one is InstanceFinished (the extension answers 410 Gone). */
  private requireRunning(instanceId: string, action: string): InstanceRecord {
    const record = this.requireOrchestration(instanceId, action);
    if (isTerminal(record.runtimeStatus)) {
      throw new DurableError("InstanceFinished", `Cannot ${action} instance "${instanceId}": it is already ${record.runtimeStatus}.`, {
        instanceId,
        runtimeStatus: record.runtimeStatus,
      });
    }
    return record;
  }

  private async sendControl(instanceId: string, event: Omit<HistoryEvent, "EventId" | "Timestamp" | "IsPlayed">): Promise<void> {
    const batch: StoreBatch = {};
    this.enqueue(batch, {
      id: ++this.lastId,
      instanceId,
      event: { EventId: -1, Timestamp: new Date(this.clock.now()).toISOString(), IsPlayed: false, ...event },
    });
    this.commit(batch);
    await this.store.flush();
  }

  async raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    if (!eventName) throw badRequest("An event name is required.");
    this.requireRunning(instanceId, `raise event "${eventName}" to`);
    await this.sendControl(instanceId, { EventType: HistoryEventType.EventRaised, Name: eventName, Input: json(data) });
  }

  async terminate(instanceId: string, reason?: string): Promise<void> {
    this.requireRunning(instanceId, "terminate");
    await this.sendControl(instanceId, { EventType: HistoryEventType.ExecutionTerminated, Input: json(reason ?? null) });
  }

  /** Suspends a running instance; one already suspended is refused, as DurableClient.SuspendAsync does (DurableClient.cs:406-421). */
  async suspend(instanceId: string, reason?: string): Promise<void> {
    const record = this.requireRunning(instanceId, "suspend");
    if (record.runtimeStatus === "Suspended") {
      throw new DurableError("InvalidState", `Cannot suspend instance "${instanceId}": it is already Suspended. Resume it first.`, { instanceId, runtimeStatus: record.runtimeStatus });
    }
    await this.sendControl(instanceId, { EventType: HistoryEventType.ExecutionSuspended, Reason: reason });
  }

  async resume(instanceId: string, reason?: string): Promise<void> {
    const record = this.requireRunning(instanceId, "resume");
    if (record.runtimeStatus !== "Suspended") {
      throw new DurableError("InvalidState", `Cannot resume instance "${instanceId}": it is ${record.runtimeStatus}, not Suspended.`, { instanceId, runtimeStatus: record.runtimeStatus });
    }
    await this.sendControl(instanceId, { EventType: HistoryEventType.ExecutionResumed, Reason: reason });
  }

  /**
   * Rewinds a Failed instance: its history is cut back to just before the episode that first failed (a failed
   * activity or sub-orchestration, or the orchestrator's own failure), and everything that was in flight at that
   * point runs again: activities are re-run, timers re-armed, finished sub-orchestrations report again and failed
   * ones are rewound too, and events raised after that point are delivered again. The orchestrator then replays
   * from there. (The Durable extension instead rewrites failures into GenericEvents, which cannot cope with the
   * retry timers the package schedules after a failure.)
   */
  async rewind(instanceId: string, reason = "rewound"): Promise<void> {
    const record = this.requireOrchestration(instanceId, "rewind");
    if (record.runtimeStatus !== "Failed") {
      // A finished instance is Gone to the extension (HttpApiHandler.cs:961-967); an unfinished one is refused by
      // DurableClient.RewindAsync (DurableClient.cs:449-452).
      throw new DurableError(
        isTerminal(record.runtimeStatus) ? "InstanceFinished" : "InvalidState",
        `Cannot rewind instance "${instanceId}": only Failed instances can be rewound, and it is ${record.runtimeStatus}.`,
        { instanceId, runtimeStatus: record.runtimeStatus },
      );
    }
    const batch: StoreBatch = {};
    this.rewindInto(batch, record, reason);
    this.commit(batch);
    await this.store.flush();
  }

  private rewindInto(batch: StoreBatch, record: InstanceRecord, reason: string): void {
    const old = this.store.getHistory(record.instanceId);
    const now = new Date(this.clock.now()).toISOString();
    const isFailure = (e: HistoryEvent) =>
      e.EventType === HistoryEventType.TaskFailed ||
      e.EventType === HistoryEventType.SubOrchestrationInstanceFailed ||
      e.EventType === HistoryEventType.ExecutionCompleted;
    const firstFailure = old.findIndex(isFailure);
    let cut = firstFailure < 0 ? old.length : firstFailure;
    while (cut > 0 && old[cut].EventType !== HistoryEventType.OrchestratorStarted) cut--;
    const kept = old.slice(0, cut);
    const dropped = old.slice(cut);
    kept.push({ EventType: HistoryEventType.GenericEvent, EventId: -1, Timestamp: now, IsPlayed: false, Reason: `Rewound: ${reason}` });

    const updated: InstanceRecord = { ...record, runtimeStatus: "Running", output: undefined, failure: undefined, lastUpdatedTime: now, waitingForEvents: undefined, canceledTimerIds: undefined, timerCancellations: undefined, controlReason: undefined };
    (batch.history ??= []).push({ instanceId: record.instanceId, events: kept, replace: true });
    this.upsert(batch, updated);
    const instance = this.activeFrom(updated, kept);
    this.active.set(record.instanceId, instance);
    const message = (event: HistoryEvent, executionId?: string): PendingMessage => ({ id: ++this.lastId, instanceId: record.instanceId, executionId, event });

    for (const [taskId, scheduled] of instance.scheduled) {
      if (instance.completed.has(taskId)) continue;
      switch (scheduled.EventType) {
        case HistoryEventType.TaskScheduled:
          this.addWorkItem(batch, instance, taskId, scheduled.Name ?? "", scheduled.Input ?? "null");
          break;
        case HistoryEventType.TimerCreated: {
          const fireAt = scheduled.FireAt ?? now;
          this.enqueue(batch, { ...message({ EventType: HistoryEventType.TimerFired, EventId: -1, Timestamp: scheduled.Timestamp, IsPlayed: false, TimerId: taskId, FireAt: fireAt }, record.executionId), visibleAt: Date.parse(fireAt) });
          break;
        }
        case HistoryEventType.SubOrchestrationInstanceCreated: {
          const child = scheduled.InstanceId ? this.store.getInstance(scheduled.InstanceId) : undefined;
          if (child?.runtimeStatus === "Failed") this.rewindInto(batch, child, reason);
          else if (child?.runtimeStatus === "Completed") {
            this.enqueue(batch, message({ EventType: HistoryEventType.SubOrchestrationInstanceCompleted, EventId: -1, Timestamp: now, IsPlayed: false, TaskScheduledId: taskId, Result: child.output ?? "null" }, record.executionId));
          }
          break;
        }
      }
    }
    for (const event of dropped) {
      if (event.EventType === HistoryEventType.EventRaised) this.enqueue(batch, message(event));
      // Failed in its first episode: the execution starts again (on Azure it replays from the same ExecutionStarted).
      if (event.EventType === HistoryEventType.ExecutionStarted) this.enqueue(batch, message({ ...event, IsPlayed: false }, record.executionId));
    }
    // Wake the orchestrator so it replays the shortened history even when nothing else is due.
    this.enqueue(batch, message({ EventType: HistoryEventType.GenericEvent, EventId: -1, Timestamp: now, IsPlayed: false, Reason: `Rewind: ${reason}` }, record.executionId));
  }

  /** Starts the instance again with its original input (under the same id, or a new one). Returns the id. */
  async restart(instanceId: string, options: { newInstanceId?: boolean } = {}): Promise<string> {
    const record = this.requireOrchestration(instanceId, "restart");
    if (!options.newInstanceId && !isTerminal(record.runtimeStatus)) {
      // DurableClient.RestartAsync starts it again under its id (DurableClient.cs:1151-1152), which the
      // de-duplication of unfinished instances refuses.
      throw new DurableError(
        "InstanceAlreadyExists",
        `Cannot restart instance "${instanceId}" under the same id while it is ${record.runtimeStatus}. Terminate it first, or restart with a new instance id.`,
        { instanceId, runtimeStatus: record.runtimeStatus },
      );
    }
    this.requireFunction(record.name, "orchestration");
    const newId = options.newInstanceId ? randomUUID().replace(/-/g, "") : instanceId;
    const batch: StoreBatch = {};
    this.createInstance(batch, { instanceId: newId, name: record.name, input: undefined, inputJson: record.input, version: record.version, reuse: newId === instanceId });
    this.commit(batch);
    await this.store.flush();
    return newId;
  }

  /**
   * Deletes an instance and its history. Returns whether there was one. An unfinished instance is refused unless
   * `unfinished` is "delete": what the Durable HTTP API does, as Azure Storage deletes whatever the id names
   * (AzureTableTrackingStore.PurgeInstanceHistoryAsync). Its pending work is dropped, and a warning says so.
   */
  async purge(instanceId: string, options: { unfinished?: "refuse" | "delete" } = {}): Promise<boolean> {
    const record = this.store.getInstance(instanceId);
    if (!record) return false;
    if (!isTerminal(record.runtimeStatus) && options.unfinished !== "delete") {
      throw new DurableError("InvalidState", `Cannot purge instance "${instanceId}" while it is ${record.runtimeStatus}. Terminate it first.`, {
        instanceId,
        runtimeStatus: record.runtimeStatus,
      });
    }
    this.commitPurge([record]);
    await this.store.flush();
    return true;
  }

  /**
   * Purges the instances that match the query. Returns how many were deleted. By default only finished ones go (a
   * status filter naming only unfinished statuses deletes nothing); with `includeUnfinished` the query is taken as
   * it is, unfinished instances included, and with `includeEntities` durable entities match too: both as Azure
   * Storage's purge by filter does (its Instances table holds entities as well).
   */
  async purgeWhere(query: InstanceQuery, options: { includeUnfinished?: boolean; includeEntities?: boolean } = {}): Promise<number> {
    let statuses = query.runtimeStatus;
    if (!options.includeUnfinished) {
      statuses = (statuses?.length ? statuses : (["Completed", "Failed", "Terminated"] as RuntimeStatus[])).filter((s) => isTerminal(s));
      // Asked only for unfinished statuses: nothing may go (an empty status filter would match every instance).
      if (!statuses.length) return 0;
    }
    const matching = (entities: boolean) => this.store.listInstances({ ...query, runtimeStatus: statuses, top: undefined, continuationToken: undefined, entities }).instances;
    const records = [...matching(false), ...(options.includeEntities ? matching(true) : [])].filter((r) => options.includeUnfinished || isTerminal(r.runtimeStatus));
    if (records.length) {
      this.commitPurge(records);
      await this.store.flush();
    }
    return records.length;
  }

  /** Deletes the instances; unfinished ones lose their queued messages, timers and work, and a warning names them. */
  private commitPurge(records: InstanceRecord[]): void {
    const batch: StoreBatch = { purgeInstances: records.map((r) => r.instanceId) };
    const unfinished = records.filter((r) => !isTerminal(r.runtimeStatus));
    for (const record of unfinished) {
      const id = record.instanceId;
      const instance = this.active.get(id);
      if (instance) {
        instance.purged = true;
        (batch.deleteMessages ??= []).push(...instance.inbox.map((m) => m.id));
        instance.inbox.length = 0;
        this.active.delete(id);
        this.ready.delete(id);
        if (!instance.record.entity) this.runtime.forget(id, instance.record.executionId);
      }
      this.dropPendingWork(batch, id);
      const queued = this.activityQueue.slice(this.activityQueueHead).filter((item) => item.instanceId === id);
      if (queued.length) (batch.deleteWorkItems ??= []).push(...queued.map((item) => item.id));
    }
    this.commit(batch);
    for (const record of unfinished) {
      this.emit({
        kind: "warning",
        instanceId: record.instanceId,
        message:
          `Purged ${record.entity ? "entity" : "instance"} ${record.instanceId} while it was ${record.runtimeStatus}: its history and state are gone and its pending work was dropped. ` +
          "Azure Storage purges unfinished instances just the same (nothing checks the status), so a purge by filter can delete instances that are still running. " +
          "Terminate instances and let them finish before purging them.",
      });
    }
  }

  /**
   * Replays every unfinished instance that is not busy against the app's current code (after a reload) and fails
   * those whose history the code no longer matches, with the nondeterminism report. Returns what it found.
   */
  async revalidate(): Promise<{ replayed: number; failed: { instanceId: string; message: string }[] }> {
    const failed: { instanceId: string; message: string }[] = [];
    let replayed = 0;
    for (const instance of [...this.active.values()]) {
      const record = instance.record;
      if (instance.running || this.closed || !instance.history.some((e) => e.EventType === HistoryEventType.OrchestratorStarted)) continue;
      instance.running = true;
      this.runningEpisodes++;
      try {
        const result = await this.replay(instance, 0, true);
        replayed++;
        if (result.nondeterminism && !this.closed) {
          const batch: StoreBatch = {};
          const updated = { ...record };
          const historyBefore = instance.history.length;
          this.fail(batch, instance, updated, { message: result.nondeterminism.message, errorType: "NonDeterministicOrchestrationException" }, new Date(this.clock.now()).toISOString());
          this.commitEpisode(batch, instance, updated, historyBefore);
          failed.push({ instanceId: record.instanceId, message: result.nondeterminism.message });
        }
      } catch {
        // The app could not replay it now; its next episode will tell.
      } finally {
        instance.running = false;
        this.runningEpisodes--;
        if (this.active.get(record.instanceId) === instance && this.hasRunnableMessages(instance)) this.ready.add(record.instanceId);
        this.schedulePump();
      }
    }
    return { replayed, failed };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    for (const { handle } of this.wallClockTimers.values()) clearTimeout(handle);
    this.wallClockTimers.clear();
    await this.store.flush();
    await this.store.close();
  }

  // ---------------------------------------------------------------- plumbing

  private commit(batch: StoreBatch): void {
    this.store.commit(batch);
    for (const record of batch.upsertInstances ?? []) this.emit({ kind: "instanceUpdated", instance: record });
    this.schedulePump();
  }

  private upsert(batch: StoreBatch, record: InstanceRecord): void {
    const list = (batch.upsertInstances ??= []);
    const index = list.findIndex((r) => r.instanceId === record.instanceId);
    if (index >= 0) list[index] = record;
    else list.push(record);
  }

  /** Adds a message to the batch and routes it in memory: to a timer, or to the instance's inbox. */
  private enqueue(batch: StoreBatch, message: PendingMessage): void {
    const isTimer = message.visibleAt !== undefined && message.visibleAt > this.clock.now();
    if (!isTimer && !this.active.has(message.instanceId)) return; // nobody will ever read it
    (batch.addMessages ??= []).push(message);
    this.deliver(message);
  }

  private deliver(message: PendingMessage): void {
    if (message.wallClockDueAt !== undefined && this.clock.skipping && message.wallClockDueAt > this.clock.wall()) {
      this.holdUntilWallClock(message);
      return;
    }
    if (message.visibleAt !== undefined && message.visibleAt > this.clock.now()) {
      this.timers.push(message);
      return;
    }
    const instance = this.active.get(message.instanceId);
    if (!instance) {
      // The instance is gone or finished: the message can never be processed. Drop it from the store too.
      this.store.commit({ deleteMessages: [message.id] });
      return;
    }
    instance.inbox.push(message);
    if (!this.isHeldBack(instance, message)) instance.wakingMessages++;
    if (!instance.running && this.hasRunnableMessages(instance)) this.ready.add(message.instanceId);
  }

  /**
   * Keeps a timer out of time skipping until its wall-clock time (a callHttp poll: the server it polls lives in real
   * time, and Azure waits Retry-After, or the default interval, before each poll). It then fires as any timer.
   */
  private holdUntilWallClock(message: PendingMessage): void {
    const wait = Math.min(2 ** 31 - 1, Math.max(0, (message.wallClockDueAt ?? 0) - this.clock.wall()));
    const handle = setTimeout(() => {
      this.wallClockTimers.delete(message.id);
      if (this.closed) return;
      message.wallClockDueAt = undefined;
      this.deliver(message);
      this.schedulePump();
    }, wait);
    this.wallClockTimers.set(message.id, { message, handle });
  }

  /** A successful completion of a Task.all member, while other members are still open. */
  private isHeldBack(instance: ActiveInstance, message: PendingMessage): boolean {
    const waiting = instance.waitingForAll;
    if (!waiting) return false;
    const type = message.event.EventType;
    const success = type === HistoryEventType.TaskCompleted || type === HistoryEventType.TimerFired || type === HistoryEventType.SubOrchestrationInstanceCompleted;
    const taskId = completedTaskId(message.event);
    if (!success || taskId === undefined || !waiting.delete(taskId)) return false;
    return waiting.size > 0;
  }

  private hasRunnableMessages(instance: ActiveInstance): boolean {
    if (instance.record.runtimeStatus !== "Suspended") return instance.wakingMessages > 0;
    return instance.inbox.some(isControlMessage);
  }

  /** Queues an activity, or, when the app host already started it, waits for its outcome instead. */
  private addWorkItem(batch: StoreBatch, instance: ActiveInstance, taskId: number, name: string, input: string, eagerOutcome?: Promise<ActivityOutcome>): void {
    const item: WorkItem = {
      id: ++this.lastId,
      kind: name === HTTP_ACTIVITY_NAME ? "http" : "activity",
      instanceId: instance.record.instanceId,
      executionId: instance.record.executionId,
      taskId,
      name,
      input,
    };
    (batch.addWorkItems ??= []).push(item);
    if (eagerOutcome) void this.runWorkItem(item, eagerOutcome);
    else this.activityQueue.push(item);
  }

  /** Moves the emulator's clock forward (the debugger's `advance`); timers that are due by then fire. */
  advanceClock(ms: number): void {
    this.clock.advanceBy(ms);
    this.schedulePump();
  }

  /** Moves the clock to the next pending timer, which then fires (the debugger's `advance` without a duration). */
  advanceClockToNextTimer(): { fireAt: number } | undefined {
    const due = this.timers.peekDue();
    if (due === undefined) return undefined;
    const ahead = due - this.clock.now();
    if (ahead > 0) this.clock.advanceBy(ahead);
    this.schedulePump();
    return { fireAt: due };
  }

  /** The next timer, when skipping to it is held back because its instance waits for an external event. */
  private heldTimer(): HeldTimer | undefined {
    if (!this.holdAtAwaitedEvents || !this.clock.skipping) return undefined;
    const due = this.timers.peekDue();
    if (due === undefined) return undefined;
    return findHeldTimer(this.timers.dueBy(due), (instanceId) => this.active.get(instanceId)?.record);
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.closed) return;
    this.pumpScheduled = true;
    setImmediate(() => this.pump());
  }

  private pump(): void {
    this.pumpScheduled = false;
    if (this.closed) return;
    for (const message of this.timers.popDue(this.clock.now())) {
      message.visibleAt = undefined;
      this.deliver(message);
    }
    for (const instanceId of this.ready) {
      if (this.runningEpisodes >= this.maxEpisodes) break;
      this.ready.delete(instanceId);
      const instance = this.active.get(instanceId);
      if (instance && !instance.running && instance.inbox.length) void this.runEpisode(instance);
    }
    while (this.runningActivities < this.maxActivities && this.activityQueueHead < this.activityQueue.length) {
      const item = this.activityQueue[this.activityQueueHead++];
      void this.runWorkItem(item);
    }
    if (this.activityQueueHead > 1024 && this.activityQueueHead * 2 > this.activityQueue.length) {
      this.activityQueue.splice(0, this.activityQueueHead);
      this.activityQueueHead = 0;
    }
    const busy = this.runningEpisodes > 0 || this.runningActivities > 0 || this.ready.size > 0;
    const nextDue = this.timers.peekDue();
    const held = !busy && nextDue !== undefined ? this.heldTimer() : undefined;
    if (!busy && nextDue !== undefined && this.clock.skipping && !held) {
      this.clock.advanceTo(nextDue);
      this.schedulePump();
      return;
    }
    if (held && held.messageId !== this.reportedHold) {
      this.reportedHold = held.messageId;
      this.emit({ kind: "timeHeld", instanceId: held.instanceId, name: held.name, events: held.events, fireAt: new Date(held.fireAt).toISOString() });
    }
    // On wall time, and while skipping is held, the next timer fires when it is due.
    if (nextDue !== undefined && (!this.clock.skipping || held)) this.wakeUpAt(nextDue);
    if (this.isIdle()) {
      const waiters = this.idleWaiters.splice(0);
      for (const resolve of waiters) resolve();
    }
  }

  private wakeUpAt(due: number): void {
    if (due >= this.wakeAt && this.wakeTimer) return;
    if (this.wakeTimer) clearTimeout(this.wakeTimer);
    this.wakeAt = due;
    this.wakeTimer = setTimeout(() => {
      this.wakeTimer = undefined;
      this.wakeAt = Number.POSITIVE_INFINITY;
      this.schedulePump();
    }, Math.min(2 ** 31 - 1, Math.max(0, due - this.clock.now())));
  }

  // ---------------------------------------------------------------- activities

  private async runWorkItem(item: WorkItem, eagerOutcome?: Promise<ActivityOutcome>): Promise<void> {
    if (this.inFlightWorkItems.has(item.id)) return;
    const instance = this.active.get(item.instanceId);
    if (!instance || instance.record.executionId !== item.executionId) {
      this.commit({ deleteWorkItems: [item.id] }); // its orchestration ended or moved on
      return;
    }
    this.inFlightWorkItems.add(item.id);
    this.runningActivities++;
    const started = Date.now();
    this.emit({ kind: "activityStarted", instanceId: item.instanceId, taskId: item.taskId, name: item.name });
    let completion: HistoryEvent;
    const timestamp = () => new Date(this.clock.now()).toISOString();
    try {
      const input = JSON.parse(item.input) as unknown;
      if (item.kind === "http") {
        try {
          const response = await runHttpActivity(input as HttpActivityInput);
          completion = { EventType: HistoryEventType.TaskCompleted, EventId: -1, Timestamp: timestamp(), IsPlayed: false, TaskScheduledId: item.taskId, Result: JSON.stringify(response) };
        } catch (error) {
          if (!(error instanceof HttpActivityFailure)) throw error;
          completion = { EventType: HistoryEventType.TaskFailed, EventId: -1, Timestamp: timestamp(), IsPlayed: false, TaskScheduledId: item.taskId, Reason: error.reason, Details: error.details };
          if (error.failureDetails) completion.FailureDetails = error.failureDetails;
        }
      } else {
        const outcome = await (eagerOutcome ?? this.runtime.runActivity(item.name, item.instanceId, item.taskId, input));
        completion = outcome.ok
          ? { EventType: HistoryEventType.TaskCompleted, EventId: -1, Timestamp: timestamp(), IsPlayed: false, TaskScheduledId: item.taskId, Result: json(outcome.result) ?? "null" }
          : this.activityFailed(item, outcome.error.message, outcome.error.stack, timestamp(), outcome.error.failureDetailsJson);
      }
    } catch (error) {
      if (error instanceof AppHostExitedError && !this.closed) {
        // As in Azure, work lost with a crashed worker runs again; after a few crashes it is treated as poison.
        // A deliberate reload (the app's code changed) does not count as a crash.
        const crashes = (this.hostCrashes.get(item.id) ?? 0) + (error instanceof AppHostReloadedError ? 0 : 1);
        this.hostCrashes.set(item.id, crashes);
        if (crashes < MAX_HOST_CRASHES_PER_ACTIVITY) {
          this.activityQueue.push(item);
          if (!(error instanceof AppHostReloadedError)) {
            this.emit({ kind: "warning", instanceId: item.instanceId, message: `${error.message} Running activity '${item.name}' again (attempt ${crashes + 1}).` });
          }
          this.schedulePump();
          return; // the finally block below frees its slot
        }
      }
      const detail = error instanceof AppHostExitedError ? `${error.message} It did so ${MAX_HOST_CRASHES_PER_ACTIVITY} times; giving up.` : error instanceof Error ? error.message : String(error);
      // A timeout's stack is the emulator's, not the app's: the message says it all.
      const stack = error instanceof Error && !(error instanceof FunctionTimeoutError) ? error.stack : undefined;
      completion = this.taskFailed(item, detail, stack, timestamp());
    } finally {
      this.inFlightWorkItems.delete(item.id);
      this.runningActivities--;
    }
    this.hostCrashes.delete(item.id);
    this.emit({
      kind: "activityFinished",
      instanceId: item.instanceId,
      taskId: item.taskId,
      name: item.name,
      ok: completion.EventType === HistoryEventType.TaskCompleted,
      durationMs: Date.now() - started,
    });
    if (this.closed) return;
    const batch: StoreBatch = { deleteWorkItems: [item.id] };
    this.enqueue(batch, { id: ++this.lastId, instanceId: item.instanceId, executionId: item.executionId, event: completion });
    this.commit(batch);
  }

  /**
   * An activity that threw, as it reaches the orchestrator on Azure: the Reason and Details of
   * dotnet-exceptions.ts's activityFunctionFailure, from which the package builds `new Error(Reason + " \n " +
   * Details)`. FailureDetails are added only when the app registered an exception properties provider, whose JSON
   * the package's activity wrapper produced.
   */
  private activityFailed(item: WorkItem, message: string, stack: string | undefined, timestamp: string, failureDetailsJson?: string): HistoryEvent {
    const { reason, details } = activityFunctionFailure(item.name, message, stack);
    return this.taskFailed(item, message, stack, timestamp, failureDetailsJson, { reason, details });
  }

  /**
   * A failed activity as the Durable extension records it: Reason "Activity function 'X' failed: <message>" and the
   * details, from which the package builds `new Error(Reason + " \n " + Details)`.
   */
  private taskFailed(item: WorkItem, message: string, stack: string | undefined, timestamp: string, failureDetailsJson?: string, text?: { reason: string; details: string }): HistoryEvent {
    const event: HistoryEvent = {
      EventType: HistoryEventType.TaskFailed,
      EventId: -1,
      Timestamp: timestamp,
      IsPlayed: false,
      TaskScheduledId: item.taskId,
      Reason: text?.reason ?? `Activity function '${item.name}' failed: ${message}`,
      Details: text?.details ?? stack ?? message,
    };
    if (failureDetailsJson) {
      const details = JSON.parse(failureDetailsJson) as { errorType?: string; errorMessage?: string; stackTrace?: string; isNonRetriable?: boolean; properties?: Record<string, unknown> };
      event.FailureDetails = {
        ErrorType: details.errorType ?? "Error",
        ErrorMessage: details.errorMessage ?? message,
        StackTrace: details.stackTrace,
        IsNonRetriable: details.isNonRetriable,
        Properties: details.properties,
      };
    }
    return event;
  }

  // ---------------------------------------------------------------- episodes

  private async runEpisode(instance: ActiveInstance): Promise<void> {
    instance.running = true;
    this.runningEpisodes++;
    try {
      if (instance.record.entity) await this.runEntity(instance);
      else await this.executeEpisode(instance);
    } catch (error) {
      this.emit({ kind: "warning", instanceId: instance.record.instanceId, message: `Episode failed unexpectedly: ${error instanceof Error ? error.stack : String(error)}` });
    } finally {
      instance.running = false;
      this.runningEpisodes--;
      if (this.active.get(instance.record.instanceId) === instance && this.hasRunnableMessages(instance)) this.ready.add(instance.record.instanceId);
      this.schedulePump();
    }
  }

  /** Takes the messages this episode may process; a suspended instance only takes resume and terminate. */
  private takeInbox(instance: ActiveInstance): PendingMessage[] {
    instance.wakingMessages = 0;
    instance.waitingForAll = undefined;
    if (instance.record.runtimeStatus !== "Suspended") return instance.inbox.splice(0);
    const taken = instance.inbox.filter(isControlMessage);
    instance.inbox = instance.inbox.filter((m) => !isControlMessage(m));
    instance.wakingMessages = instance.inbox.length; // they all wake it once it is resumed
    return taken;
  }

  private async executeEpisode(instance: ActiveInstance): Promise<void> {
    const messages = this.takeInbox(instance);
    if (!messages.length) return;
    const record = { ...instance.record };
    const batch: StoreBatch = { deleteMessages: messages.map((m) => m.id) };
    const now = this.clock.now();
    const timestamp = new Date(now).toISOString();
    const newEvents: HistoryEvent[] = [{ EventType: HistoryEventType.OrchestratorStarted, EventId: -1, Timestamp: timestamp, IsPlayed: false }];
    /** Set when the episode terminates the instance: the reason, or null when none was given (as in Azure). */
    let terminateReason: string | null | undefined;
    let wake = false;
    for (const message of messages) {
      const event = message.event;
      if (message.executionId && message.executionId !== record.executionId) continue; // for an earlier execution
      const taskId = completedTaskId(event);
      if (taskId !== undefined) {
        // Completions for unknown or already completed tasks are duplicates (activities run at least once).
        if (!instance.scheduled.has(taskId) || instance.completed.has(taskId)) continue;
        instance.completed.add(taskId);
      }
      switch (event.EventType) {
        case HistoryEventType.ExecutionStarted:
          if (instance.history.some((e) => e.EventType === HistoryEventType.ExecutionStarted)) continue;
          record.runtimeStatus = "Running";
          break;
        case HistoryEventType.ExecutionTerminated:
          terminateReason = (parseJson(event.Input) as string | null | undefined) ?? null;
          break;
        case HistoryEventType.ExecutionSuspended:
          record.runtimeStatus = "Suspended";
          record.controlReason = event.Reason ?? null;
          break;
        case HistoryEventType.ExecutionResumed:
          record.runtimeStatus = "Running";
          record.controlReason = event.Reason ?? null;
          break;
        case HistoryEventType.GenericEvent:
          wake = true;
          continue;
      }
      newEvents.push(event);
    }
    const historyBefore = instance.history.length;
    const appendHistory = (events: HistoryEvent[]) => {
      for (const event of events) {
        instance.history.push(event);
        this.index(instance, event);
      }
    };

    if (newEvents.length === 1 && !wake) {
      // Nothing left to deliver (duplicates or stale messages): just drop the messages.
      this.commit(batch);
      return;
    }

    if (terminateReason !== undefined) {
      appendHistory(newEvents);
      this.releaseLocksAtEnd(batch, instance, record, timestamp, "terminated");
      this.finish(batch, instance, record, "Terminated", json(terminateReason), undefined, [
        { EventType: HistoryEventType.ExecutionCompleted, EventId: -1, Timestamp: timestamp, IsPlayed: false, OrchestrationStatus: OrchestrationStatusCode.Terminated, Result: json(terminateReason) },
      ]);
      this.commitEpisode(batch, instance, record, historyBefore);
      return;
    }

    if (record.runtimeStatus === "Suspended") {
      appendHistory(newEvents);
      record.lastUpdatedTime = timestamp;
      this.commitEpisode(batch, instance, record, historyBefore);
      return;
    }

    appendHistory(newEvents);
    let result: EpisodeOutcome;
    const eagerActivitySlots = Math.max(0, this.maxActivities - this.runningActivities - this.reservedActivitySlots - (this.activityQueue.length - this.activityQueueHead));
    this.reservedActivitySlots += eagerActivitySlots;
    try {
      result = await this.replay(instance, eagerActivitySlots);
    } catch (error) {
      this.reservedActivitySlots -= eagerActivitySlots;
      if (this.closed) return;
      if (this.purgedDuring(instance, batch)) return;
      if (error instanceof AppHostExitedError) {
        // The app process died under this episode (maybe because of another instance's activity): run it again,
        // unless the orchestrator itself keeps taking the process down.
        const crashes = (this.episodeCrashes.get(record.instanceId) ?? 0) + (error instanceof AppHostReloadedError ? 0 : 1);
        this.episodeCrashes.set(record.instanceId, crashes);
        if (crashes < MAX_HOST_CRASHES_PER_ACTIVITY && !instance.purged) {
          this.undoEpisode(instance, messages, historyBefore);
          if (!(error instanceof AppHostReloadedError)) {
            this.emit({ kind: "warning", instanceId: record.instanceId, message: `${error.message} Running the episode of ${record.name} again.` });
          }
          return;
        }
      }
      this.episodeCrashes.delete(record.instanceId);
      const message = error instanceof FunctionTimeoutError ? error.message : `The orchestrator could not run: ${error instanceof Error ? error.message : String(error)}`;
      this.fail(batch, instance, record, { message, errorType: error instanceof Error ? error.name : "Error" }, timestamp);
      this.commitEpisode(batch, instance, record, historyBefore);
      return;
    }
    this.reservedActivitySlots -= eagerActivitySlots;
    this.episodeCrashes.delete(record.instanceId);
    if (this.closed) return;
    if (this.purgedDuring(instance, batch)) return;
    this.applyResult(batch, instance, record, result, now);
    this.commitEpisode(batch, instance, record, historyBefore);
  }

  /** The instance was purged while its episode ran: only the messages it took are deleted; nothing else is written. */
  private purgedDuring(instance: ActiveInstance, batch: StoreBatch): boolean {
    if (this.active.get(instance.record.instanceId) === instance) return false;
    if (batch.deleteMessages?.length) this.commit({ deleteMessages: batch.deleteMessages });
    return true;
  }

  /** Has the app replay the instance's current history (the orchestrator function runs in the app host). */
  private replay(instance: ActiveInstance, eagerActivitySlots: number, check = false): Promise<EpisodeOutcome> {
    const record = instance.record;
    return this.runtime.orchestrate({
      functionName: record.name,
      instanceId: record.instanceId,
      executionId: record.executionId,
      history: instance.history,
      input: parseJson(record.input),
      parentInstanceId: record.parent?.instanceId,
      eagerActivitySlots,
      check,
    });
  }

  /** Forgets an episode that could not run: its events leave the history and its messages go back to the inbox. */
  private undoEpisode(instance: ActiveInstance, messages: PendingMessage[], historyBefore: number): void {
    for (const event of instance.history.splice(historyBefore)) {
      const taskId = completedTaskId(event);
      if (taskId !== undefined) instance.completed.delete(taskId);
    }
    instance.inbox.unshift(...messages);
    instance.wakingMessages += messages.length;
  }

  private applyResult(batch: StoreBatch, instance: ActiveInstance, record: InstanceRecord, result: EpisodeOutcome, now: number): void {
    const timestamp = new Date(now).toISOString();
    record.customStatus = json(result.state.customStatus);
    record.lastUpdatedTime = timestamp;
    record.waitingForEvents = result.waitingForEvents.length ? result.waitingForEvents : undefined;
    record.canceledTimerIds = result.canceledTimerIds.length ? result.canceledTimerIds : undefined;
    // Each replay sees the whole execution, so its list is complete; it outlives the instance, for the timeline.
    record.timerCancellations = result.timerCancellations?.length ? result.timerCancellations : undefined;
    if (result.waitingForAll?.length) {
      const waiting = new Set(result.waitingForAll);
      // Completions that arrived during this episode are already in the inbox (and will wake it anyway).
      for (const message of instance.inbox) {
        const taskId = completedTaskId(message.event);
        if (taskId !== undefined) waiting.delete(taskId);
      }
      instance.waitingForAll = waiting;
    }
    if (result.nondeterminism) {
      this.fail(batch, instance, record, { message: result.nondeterminism.message, errorType: "NonDeterministicOrchestrationException" }, timestamp);
      return;
    }
    const produced: HistoryEvent[] = [];
    for (const task of result.newTasks) {
      const failure = this.scheduleTask(batch, instance, record, task, now, produced, result.eagerActivities.get(task.id));
      if (failure) {
        this.appendProduced(instance, produced);
        this.fail(batch, instance, record, failure, timestamp);
        return;
      }
    }
    this.appendProduced(instance, produced);
    if (result.state.isDone || result.failure) {
      const stillOpen = result.openTaskIds.filter((id) => !instance.completed.has(id));
      if (stillOpen.length) {
        // DurableTask.Core completes an orchestration only when none of its tasks is open: a timer that lost a
        // race and was not cancelled keeps it Running until it fires. Azure behaves the same.
        this.emit({
          kind: "warning",
          instanceId: record.instanceId,
          message:
            `${record.name} (${record.instanceId}) has ${result.failure ? "failed" : "returned"}, but task${stillOpen.length > 1 ? "s" : ""} ` +
            `${stillOpen.join(", ")} ${stillOpen.length > 1 ? "are" : "is"} still open, so it stays Running until they finish, as it would in Azure. ` +
            "Cancel timers you no longer need (timer.cancel()).",
        });
        record.runtimeStatus = "Running";
        instance.history.push({ EventType: HistoryEventType.OrchestratorCompleted, EventId: -1, Timestamp: timestamp, IsPlayed: false });
        return;
      }
    }
    if (result.failure) {
      this.releaseLocksAtEnd(batch, instance, record, timestamp, "failed");
      this.fail(
        batch,
        instance,
        record,
        { message: `Orchestrator function '${record.name}' failed: ${result.failure.message}`, stack: result.failure.stack, errorType: "Error" },
        timestamp,
      );
      return;
    }
    if (result.state.isDone) {
      this.releaseLocksAtEnd(batch, instance, record, timestamp, "completed");
      if (result.continueAsNew) {
        const carryover = instance.history.slice(result.continueAsNew.calledAtEvent + 1).filter((e) => e.EventType === HistoryEventType.EventRaised);
        this.continueAsNew(batch, instance, record, result.continueAsNew.input, timestamp, carryover);
      } else {
        const output = json(result.state.output) ?? "null";
        this.finish(batch, instance, record, "Completed", output, undefined, [
          { EventType: HistoryEventType.ExecutionCompleted, EventId: -1, Timestamp: timestamp, IsPlayed: false, OrchestrationStatus: OrchestrationStatusCode.Completed, Result: output },
        ]);
      }
      return;
    }
    record.runtimeStatus = "Running";
    instance.history.push({ EventType: HistoryEventType.OrchestratorCompleted, EventId: -1, Timestamp: timestamp, IsPlayed: false });
  }

  /**
   * Why the Durable extension refuses a sub-orchestration instance id (DurableOrchestrationContext.cs:594-607): the
   * orchestration's own id or its parent's (compared ignoring case), or one that starts with "@".
   */
  private subOrchestrationIdRefusal(record: InstanceRecord, instanceId: string | undefined): string | undefined {
    if (!instanceId) return undefined;
    const same = (other: string | undefined) => other !== undefined && other.toLowerCase() === instanceId.toLowerCase();
    if (same(record.instanceId) || same(record.parent?.instanceId)) {
      return "The instance ID of a sub-orchestration must be different than the instance ID of a parent orchestration.";
    }
    if (instanceId.startsWith("@")) return "Orchestration instance ids must not start with @.";
    return undefined;
  }

  /** A callHttp poll (task `id`) whose timer (task `id - 1`) has not fired yet. */
  private pollWaitsForTimer(instance: ActiveInstance, id: number, produced: HistoryEvent[]): boolean {
    const timer = instance.scheduled.get(id - 1) ?? produced.find((event) => event.EventId === id - 1);
    return timer?.EventType === HistoryEventType.TimerCreated && !instance.completed.has(id - 1);
  }

  private appendProduced(instance: ActiveInstance, produced: HistoryEvent[]): void {
    for (const event of produced) {
      instance.history.push(event);
      this.index(instance, event);
    }
  }

  /** Turns one new task of the replay into its scheduling event and work. Returns a failure if it cannot be done. */
  private scheduleTask(
    batch: StoreBatch,
    instance: ActiveInstance,
    record: InstanceRecord,
    tracked: TrackedTask,
    now: number,
    produced: HistoryEvent[],
    eagerOutcome?: Promise<ActivityOutcome>,
  ): FailureInfo | undefined {
    const timestamp = new Date(now).toISOString();
    const task = tracked.task;
    const id = tracked.id;
    switch (task.role) {
      case "activity": {
        const activities = this.runtime.functions.filter((fn) => fn.kind === "activity").map((fn) => fn.name);
        if (!activities.includes(task.name)) {
          return {
            message:
              `Orchestrator function '${record.name}' failed: The function '${task.name}' doesn't exist, is disabled, or is not an activity or orchestrator function. ` +
              `Additional info: the following are the known activity functions: ${activities.map((n) => `'${n}'`).join(", ") || "(none)"}.`,
            errorType: "ArgumentException",
          };
        }
        const input = json(task.input) ?? "null";
        produced.push({ EventType: HistoryEventType.TaskScheduled, EventId: id, Timestamp: timestamp, IsPlayed: false, Name: task.name, Input: input });
        this.addWorkItem(batch, instance, id, task.name, input, eagerOutcome);
        return undefined;
      }
      case "http": {
        if (task.pollLocation !== undefined && this.pollWaitsForTimer(instance, id, produced)) {
          // The package tracks the poll as soon as the 202 arrives, but the Durable extension schedules it only once
          // the timer before it has fired (DurableOrchestrationContext.CallHttpAsync): a later replay schedules it.
          return undefined;
        }
        if (task.pollLocation !== undefined) {
          const target = pollTarget(task.pollLocation);
          if ("invalid" in target) {
            // CreateLocationPollRequest's new Uri(Location) throws in the extension's orchestration code, and the
            // out-of-process shim swallows it (OutOfProcOrchestrationShim.ProcessAsyncActionsV2): no poll, ever.
            this.emit({
              kind: "warning",
              instanceId: record.instanceId,
              message:
                `${record.name} (${record.instanceId}): callHttp got 202 with Location "${task.pollLocation}", which is not an absolute URL. ` +
                "On Azure the Durable extension cannot poll it (new Uri() throws) and the orchestration waits forever; it waits here too. " +
                "Have the server return an absolute Location URL.",
            });
            return undefined;
          }
          if ("unsupportedScheme" in target) {
            this.emit({
              kind: "warning",
              instanceId: record.instanceId,
              message:
                `${record.name} (${record.instanceId}): callHttp got 202 with Location "${task.pollLocation}", which is not an absolute http(s) URL. ` +
                `On Azure (Linux) the Durable extension polls it as a ${target.unsupportedScheme}: URI and the poll fails with "The '${target.unsupportedScheme}' scheme is not supported."; ` +
                "it fails the same way here. Have the server return an absolute Location URL.",
            });
          }
        }
        const input = JSON.stringify({ ...task.request, pollLocation: task.pollLocation } satisfies HttpActivityInput);
        produced.push({ EventType: HistoryEventType.TaskScheduled, EventId: id, Timestamp: timestamp, IsPlayed: false, Name: HTTP_ACTIVITY_NAME, Input: input });
        this.addWorkItem(batch, instance, id, HTTP_ACTIVITY_NAME, input);
        return undefined;
      }
      case "timer": {
        // A timer cancelled before it was scheduled is still created, as the Durable extension does; it no longer
        // holds the orchestration open, and its firing is ignored. A callHttp poll's timer waits on wall time.
        this.createTimer(batch, instance, id, Date.parse(task.fireAt), timestamp, produced, task.httpPoll === true);
        return undefined;
      }
      case "retryTimer": {
        const first = instance.scheduled.get(task.firstAttemptId);
        const firstAt = first ? Date.parse(first.Timestamp) : now;
        const decision = nextRetry(task.retryOptions, task.failures, firstAt, now);
        if (!decision.retry) {
          this.emit({
            kind: "warning",
            instanceId: record.instanceId,
            message:
              `Not retrying task ${task.firstAttemptId} of ${record.instanceId}: ${decision.reason}. Azure stops retrying here too, and ` +
              "durable-functions for JavaScript then waits for a retry timer that never comes, so the orchestration hangs. Limit retries with maxNumberOfAttempts instead.",
          });
          return undefined;
        }
        this.createTimer(batch, instance, id, decision.fireAt, timestamp, produced);
        return undefined;
      }
      case "subOrchestration": {
        const orchestrations = this.runtime.functions.filter((fn) => fn.kind === "orchestration").map((fn) => fn.name);
        if (!orchestrations.includes(task.name)) {
          return {
            message:
              `Orchestrator function '${record.name}' failed: The function '${task.name}' doesn't exist, is disabled, or is not an activity or orchestrator function. ` +
              `Additional info: the following are the known orchestrator functions: ${orchestrations.map((n) => `'${n}'`).join(", ")}.`,
            errorType: "ArgumentException",
          };
        }
        const refusal = this.subOrchestrationIdRefusal(record, task.instanceId);
        if (refusal) {
          // Every later replay asks again; it is said once per call.
          const key = `${record.instanceId}|${record.executionId}|${id}`;
          if (this.refusedCalls.has(key)) return undefined;
          this.refusedCalls.add(key);
          // DurableOrchestrationContext.CallDurableTaskFunctionAsync throws ArgumentException in the extension's
          // orchestration code, and OutOfProcOrchestrationShim.ProcessAsyncActionsV2 swallows it: nothing is
          // scheduled and the orchestrator waits for this call forever. The same here, said out loud.
          this.emit({
            kind: "warning",
            instanceId: record.instanceId,
            message:
              `${record.name} (${record.instanceId}) called sub-orchestration '${task.name}' with instance id "${task.instanceId}": ${refusal} ` +
              "On Azure the Durable extension throws that (ArgumentException) inside its own replay and swallows it, so the call is never made and the orchestration waits forever; it waits here too. Give the sub-orchestration another id.",
          });
          return undefined;
        }
        // DurableTask.Core's default sub-orchestration id: the parent's execution id and the task id.
        const childId = task.instanceId || `${record.executionId}:${id}`;
        const input = json(task.input);
        produced.push({
          EventType: HistoryEventType.SubOrchestrationInstanceCreated,
          EventId: id,
          Timestamp: timestamp,
          IsPlayed: false,
          Name: task.name,
          Version: task.version ?? "",
          InstanceId: childId,
          Input: input,
        });
        const existing = this.store.getInstance(childId);
        if (existing && !isTerminal(existing.runtimeStatus)) {
          this.enqueue(batch, {
            id: ++this.lastId,
            instanceId: record.instanceId,
            executionId: record.executionId,
            event: {
              EventType: HistoryEventType.SubOrchestrationInstanceFailed,
              EventId: -1,
              Timestamp: timestamp,
              IsPlayed: false,
              TaskScheduledId: id,
              Reason: `An orchestration instance with the id "${childId}" already exists and is ${existing.runtimeStatus}.`,
              Details: "",
            },
          });
          return undefined;
        }
        this.createInstance(batch, {
          instanceId: childId,
          name: task.name,
          input: task.input,
          inputJson: input,
          version: task.version,
          parent: { instanceId: record.instanceId, executionId: record.executionId, taskId: id, name: record.name },
          reuse: existing !== undefined,
        });
        return undefined;
      }
      case "entity": {
        const entityFunction = this.entityFunctionFor(task.entityInstanceId);
        if (!entityFunction) {
          const known = this.runtime.functions.filter((fn) => fn.kind === "entity").map((fn) => `'${fn.name}'`);
          return {
            message: `Orchestrator function '${record.name}' failed: there is no entity function for ${task.entityInstanceId}. Known entity functions: ${known.join(", ") || "(none)"}.`,
            errorType: "ArgumentException",
          };
        }
        const request: EntityRequest = {
          id: randomUUID(),
          op: task.operationName,
          signal: task.operation === "signal",
          input: json(task.input),
          // The sender, for signals too (DurableOrchestrationContext.cs:679-687; the lock holder check); only calls are answered.
          parent: record.instanceId,
          parentExecution: record.executionId,
        };
        const input = encodeEntityRequest(request, this.orchestrationLabel(instance, produced, task.entityInstanceId, timestamp));
        produced.push({ EventType: HistoryEventType.EventSent, EventId: id, Timestamp: timestamp, IsPlayed: false, InstanceId: task.entityInstanceId, Name: ENTITY_OPERATION_EVENT, Input: input });
        this.sendToEntity(batch, task.entityInstanceId, entityFunction, input);
        return undefined;
      }
      case "entityLock": {
        if (task.operation === "release") {
          // DurableOrchestrationContext.ReleaseLocks: one release message per locked entity.
          const release = { parent: record.instanceId, id: this.lockRequestIdOf(instance, produced) };
          const input = JSON.stringify(release);
          produced.push({ EventType: HistoryEventType.EventSent, EventId: id, Timestamp: timestamp, IsPlayed: false, InstanceId: task.entityInstanceId, Name: ENTITY_RELEASE_EVENT, Input: input });
          this.sendEntityMessage(batch, task.entityInstanceId, ENTITY_RELEASE_EVENT, input);
          return undefined;
        }
        // DurableOrchestrationContext.LockAsync: the lock request goes to the first entity of the (sorted) lock set,
        // which passes it on once it has granted its lock; the last one answers.
        const known = this.runtime.functions.filter((fn) => fn.kind === "entity").map((fn) => `'${fn.name}'`);
        const unknown = task.entityInstanceIds.find((entityId) => !this.entityFunctionFor(entityId));
        if (unknown !== undefined || !task.entityInstanceIds.length) {
          return {
            message: `Orchestrator function '${record.name}' failed: there is no entity function for ${unknown ?? "(an empty lock set)"}. Known entity functions: ${known.join(", ") || "(none)"}.`,
            errorType: "ArgumentException",
          };
        }
        const request: EntityRequest = { id: randomUUID(), op: "", signal: false, parent: record.instanceId, parentExecution: record.executionId, lockSet: task.entityInstanceIds, pos: 0 };
        const first = task.entityInstanceIds[0];
        const input = encodeEntityRequest(request, this.orchestrationLabel(instance, produced, first, timestamp));
        produced.push({ EventType: HistoryEventType.EventSent, EventId: id, Timestamp: timestamp, IsPlayed: false, InstanceId: first, Name: ENTITY_OPERATION_EVENT, Input: input });
        this.sendToEntity(batch, first, this.entityFunctionFor(first) as string, input);
        return undefined;
      }
      default:
        return { message: `Orchestrator function '${record.name}' failed: the emulator does not know how to run ${task.description}.`, errorType: "NotSupportedException" };
    }
  }

  // ---------------------------------------------------------------- entities

  /** The registered entity function an entity instance id (`@name@key`) names; names match case-insensitively. */
  private entityFunctionFor(entityInstanceId: string): string | undefined {
    if (!isEntityInstanceId(entityInstanceId)) return undefined;
    const { name } = parseEntityInstanceId(entityInstanceId);
    return this.runtime.functions.find((fn) => fn.kind === "entity" && fn.name.toLowerCase() === name.toLowerCase())?.name;
  }

  /** Queues a message of another kind (a lock release) for an entity. */
  private sendEntityMessage(batch: StoreBatch, entityInstanceId: string, name: string, input: string): void {
    const entityFunction = this.entityFunctionFor(entityInstanceId);
    if (!entityFunction) return;
    this.ensureEntity(batch, entityInstanceId, entityFunction);
    this.enqueue(batch, {
      id: ++this.lastId,
      instanceId: entityInstanceId,
      event: { EventType: HistoryEventType.EventRaised, EventId: -1, Timestamp: new Date(this.clock.now()).toISOString(), IsPlayed: false, Name: name, Input: input },
    });
  }

  /** The id of the orchestration's last lock request (its EventSent), which its releases name. */
  private lockRequestIdOf(instance: ActiveInstance, produced: HistoryEvent[]): string | undefined {
    for (const events of [produced, instance.history]) {
      for (let i = events.length - 1; i >= 0; i--) {
        const lock = lockRequestOf(events[i]);
        if (lock) return lock.id;
      }
    }
    return undefined;
  }

  /**
   * TaskOrchestrationShim.cs:106-108: an orchestration that completes (or continues as new) while it holds locks has
   * them released for it. A failed or terminated one does not: its entities stay locked, as on Azure, and the
   * emulator says so loudly.
   */
  private releaseLocksAtEnd(batch: StoreBatch, instance: ActiveInstance, record: InstanceRecord, timestamp: string, ending: "completed" | "failed" | "terminated"): void {
    const held = heldLocks(instance.history);
    if (!held.length) return;
    if (ending !== "completed") {
      this.emit({
        kind: "warning",
        instanceId: record.instanceId,
        message:
          `${record.name} (${record.instanceId}) ${ending} inside a critical section: ${held.join(", ")} stay${held.length === 1 ? "s" : ""} locked by it, as on Azure, where the extension releases locks only when an orchestration completes. ` +
          "Every other operation on them waits forever. Release the lock in a finally block (lock.release()).",
      });
      return;
    }
    const release = JSON.stringify({ parent: record.instanceId, id: this.lockRequestIdOf(instance, []) });
    let nextId = nextSequenceId(instance.history);
    for (const entityId of held) {
      const event: HistoryEvent = { EventType: HistoryEventType.EventSent, EventId: nextId++, Timestamp: timestamp, IsPlayed: false, InstanceId: entityId, Name: ENTITY_RELEASE_EVENT, Input: release };
      instance.history.push(event);
      this.index(instance, event);
      this.sendEntityMessage(batch, entityId, ENTITY_RELEASE_EVENT, release);
    }
  }

  /** Creates the record of an entity that has none yet (on its first message). */
  private ensureEntity(batch: StoreBatch, entityInstanceId: string, entityFunction: string): void {
    if (this.active.has(entityInstanceId)) return;
    const existing = this.store.getInstance(entityInstanceId);
    const now = new Date(this.clock.now()).toISOString();
    const record: InstanceRecord = existing ?? {
      instanceId: entityInstanceId,
      name: entityFunction,
      executionId: "",
      runtimeStatus: "Running",
      createdTime: now,
      lastUpdatedTime: now,
      entity: { exists: false },
    };
    if (!existing) this.upsert(batch, record);
    this.active.set(entityInstanceId, this.activeFrom(record, []));
  }

  /**
   * Queues an operation for an entity, creating the entity's record on its first operation. The message is the
   * request as encodeEntityRequest writes it (a request object is encoded here, unlabelled or labelled now).
   */
  private sendToEntity(batch: StoreBatch, entityInstanceId: string, entityFunction: string, request: EntityRequest | string, label?: RequestLabel): void {
    this.ensureEntity(batch, entityInstanceId, entityFunction);
    this.enqueue(batch, {
      id: ++this.lastId,
      instanceId: entityInstanceId,
      event: {
        EventType: HistoryEventType.EventRaised,
        EventId: -1,
        Timestamp: new Date(this.clock.now()).toISOString(),
        IsPlayed: false,
        Name: ENTITY_OPERATION_EVENT,
        Input: typeof request === "string" ? request : encodeEntityRequest(request, label),
      },
    });
  }

  /**
   * The sorter's label of a message an orchestration sends to an entity (DurableOrchestrationContext.cs:1181 calls
   * MessageSorter.LabelOutgoingMessage with the orchestration's current time): that time, one tick after the last
   * message to the same entity if it is not later, and that last message's time as Predecessor. The sorter's memory
   * is rebuilt by every replay, so it is this execution's earlier messages.
   */
  private orchestrationLabel(instance: ActiveInstance, produced: HistoryEvent[], destination: string, timestamp: string): RequestLabel {
    let predecessor: string | undefined;
    for (const events of [produced, instance.history]) {
      for (let i = events.length - 1; i >= 0 && predecessor === undefined; i--) {
        const event = events[i];
        if (event.EventType === HistoryEventType.EventSent && event.Name === ENTITY_OPERATION_EVENT && event.InstanceId?.toLowerCase() === destination.toLowerCase()) predecessor = requestTimestampOf(event.Input);
      }
    }
    const now = newtonsoftDate(timestamp);
    return { timestamp: predecessor !== undefined && notAfter(now, predecessor) ? nextTick(predecessor) : now, predecessor };
  }

  /** Signals an entity from outside an orchestration (the CLI, the durable client, the management API). */
  async signalEntity(name: string, key: string, operation: string, input?: unknown): Promise<void> {
    // As the extension's EntityId (EntityScheduler/EntityId.cs:22-29): a name is needed; an empty key and an empty
    // operation name are allowed (HttpApiHandler.cs:1060 signals "" when the request names no operation).
    if (!name) throw badRequest("Invalid entity id: entity name must not be a null or empty string.");
    const entityInstanceId = entityInstanceId_(name, key);
    const entityFunction = this.entityFunctionFor(entityInstanceId);
    if (!entityFunction) throw unknownFunction("entity", name, this.runtime.functions.filter((fn) => fn.kind === "entity").map((fn) => fn.name));
    const batch: StoreBatch = {};
    this.sendToEntity(batch, entityInstanceId, entityFunction, { id: randomUUID(), op: operation, signal: true, input: json(input) });
    this.commit(batch);
    await this.store.flush();
  }

  /** An entity's state (JSON text parsed), or undefined when it does not exist. */
  readEntity(name: string, key: string): { exists: boolean; state: unknown; lastUpdatedTime: string } | undefined {
    const record = this.store.getInstance(entityInstanceId_(name, key));
    if (!record?.entity?.exists) return undefined;
    return { exists: true, state: parseJson(record.entity.state), lastUpdatedTime: record.lastUpdatedTime };
  }

  /** Every durable entity's record (existing or emptied). */
  listEntities(): InstanceRecord[] {
    return this.store.listInstances({ entities: true }).instances;
  }

  /** Removes the records of entities that no longer exist and have nothing queued, as Azure's clean entity storage. */
  async cleanEntityStorage(): Promise<number> {
    const empty = this.listEntities()
      .filter((record) => !record.entity?.exists && !record.entity?.lockedBy)
      .filter((record) => {
        const instance = this.active.get(record.instanceId);
        return !instance || (!instance.running && instance.inbox.length === 0);
      })
      .map((record) => record.instanceId);
    if (!empty.length) return 0;
    for (const id of empty) this.active.delete(id);
    this.commit({ purgeInstances: empty });
    await this.store.flush();
    return empty.length;
  }

  /**
   * One batch of an entity, as the Durable extension schedules it (DurableTaskExtension.cs:866-1000, SchedulerState.cs,
   * TaskEntityShim.ProcessLockRequest): releases from the lock holder unlock it; while it is locked only the holder's
   * messages are taken (they go first), the others wait; a lock request ends the batch and is granted after the
   * operations before it ran, then passed on to the next entity of the lock set, or answered to the orchestration.
   */
  private async runEntity(instance: ActiveInstance): Promise<void> {
    const record = { ...instance.record };
    const entity = record.entity ?? { exists: false };
    let lockedBy = entity.lockedBy;
    const taken: PendingMessage[] = [];
    const queue: { message: PendingMessage; request: EntityRequest }[] = [];
    for (const message of instance.inbox) {
      const release = parseEntityRelease(message.event);
      if (release) {
        if (lockedBy !== undefined && lockedBy === release.parent) lockedBy = undefined;
        taken.push(message);
        continue;
      }
      const parsed = parseEntityRequest(message.event);
      if ("unusable" in parsed) {
        // Dead-lettered: removed with the batch below, and said out loud; the operations around it still run.
        this.emit({ kind: "warning", instanceId: record.instanceId, message: `Entity ${record.instanceId} dropped a message it cannot process: ${parsed.unusable}.` });
        taken.push(message);
        continue;
      }
      queue.push({ message, request: parsed });
    }
    // The lock holder's messages go to the front of the queue; the others wait while it holds the lock.
    const ordered = lockedBy === undefined ? queue : [...queue.filter((q) => q.request.parent === lockedBy), ...queue.filter((q) => q.request.parent !== lockedBy)];
    const requests: EntityRequest[] = [];
    let lockRequest: EntityRequest | undefined;
    for (const { message, request } of ordered) {
      if (lockedBy !== undefined && request.parent !== lockedBy) break;
      if (requests.length >= this.maxEntityBatch) break;
      taken.push(message);
      if (request.lockSet) {
        lockRequest = request;
        break;
      }
      requests.push(request);
    }
    const takenIds = new Set(taken.map((m) => m.id));
    instance.inbox = instance.inbox.filter((m) => !takenIds.has(m.id));
    const holderAfter = lockRequest?.parent ?? lockedBy;
    // What is left wakes the entity again only if it can be taken (a new message re-evaluates the rest).
    instance.wakingMessages = instance.inbox.some((m) => holderAfter === undefined || this.senderOf(m) === holderAfter) ? instance.inbox.length : 0;
    if (!taken.length) return;
    const self = parseEntityInstanceId(record.instanceId);
    let outcome: EntityBatchOutcome;
    try {
      outcome = requests.length
        ? batchOutcome(
            requests,
            await this.runtime.runEntityBatch(
              record.name,
              self,
              entity.exists,
              entity.state,
              requests.map((request) => ({ name: request.op, input: request.input, id: request.id, isSignal: request.signal })),
            ),
          )
        : { outcomes: [], signals: [], exists: entity.exists, state: entity.state };
    } catch (error) {
      if (this.closed) return;
      const crashes = (this.episodeCrashes.get(record.instanceId) ?? 0) + (error instanceof AppHostReloadedError ? 0 : 1);
      this.episodeCrashes.set(record.instanceId, crashes);
      if (error instanceof AppHostExitedError && crashes < MAX_HOST_CRASHES_PER_ACTIVITY && !instance.purged) {
        instance.inbox = [...taken, ...instance.inbox].sort((a, b) => a.id - b.id);
        instance.wakingMessages = instance.inbox.length;
        return;
      }
      // The batch cannot run: every caller gets the error, and the operations are dropped.
      const reason = error instanceof Error ? error.message : String(error);
      outcome = { outcomes: requests.map((request) => ({ request, failed: true, errorResult: JSON.stringify(`Error: ${reason}`) })), signals: [], exists: entity.exists, state: entity.state };
    }
    this.episodeCrashes.delete(record.instanceId);
    if (this.closed) return;
    if (this.purgedDuring(instance, { deleteMessages: taken.map((m) => m.id) })) return;
    const now = new Date(this.clock.now()).toISOString();
    const batch: StoreBatch = { deleteMessages: taken.map((m) => m.id) };
    for (const result of outcome.outcomes) {
      const request = result.request;
      if (result.thrown !== undefined) this.warnEntityOperationFailed(record.instanceId, result);
      if (request.signal || !request.parent) continue;
      this.enqueue(batch, {
        id: ++this.lastId,
        instanceId: request.parent,
        executionId: request.parentExecution,
        event: { EventType: HistoryEventType.EventRaised, EventId: -1, Timestamp: now, IsPlayed: false, Name: request.id, Input: responseMessage(result) },
      });
    }
    for (const signal of outcome.signals) {
      const target = entityInstanceId_(signal.target.name, signal.target.key);
      const targetFunction = this.entityFunctionFor(target);
      if (!targetFunction) {
        this.emit({ kind: "warning", instanceId: record.instanceId, message: `Entity ${record.instanceId} signalled ${target}, but no entity function has that name; the signal is dropped.` });
        continue;
      }
      // DurableEntityContext.cs:699 labels an entity's signals with the time they are sent.
      this.sendToEntity(batch, target, targetFunction, { id: randomUUID(), op: signal.name, signal: true, input: signal.input || undefined, parent: record.instanceId }, { timestamp: newtonsoftDate(now) });
    }
    if (instance.purged) {
      this.commit({ deleteMessages: batch.deleteMessages });
      return;
    }
    if (lockRequest) {
      lockedBy = this.grantLock(batch, record.instanceId, lockRequest, now);
    }
    record.entity = { exists: outcome.exists, state: outcome.exists ? outcome.state : undefined, lockedBy };
    record.lastUpdatedTime = now;
    instance.record = record;
    this.upsert(batch, record);
    this.commit(batch);
  }

  /** Who sent a queued entity message (the lock holder check of SchedulerState.MayDequeue). */
  private senderOf(message: PendingMessage): string | undefined {
    const release = parseEntityRelease(message.event);
    if (release) return release.parent;
    const parsed = parseEntityRequest(message.event);
    return "unusable" in parsed ? undefined : parsed.parent;
  }

  /**
   * TaskEntityShim.ProcessLockRequest: the entity is now locked by the requesting orchestration; the request goes on
   * to the next entity of the lock set, or, after the last, the orchestration hears that it holds them all
   * (DurableEntityContext.SendLockResponseMessage). Returns the holder.
   */
  private grantLock(batch: StoreBatch, entityId: string, request: EntityRequest, now: string): string | undefined {
    const lockSet = request.lockSet ?? [];
    const position = (request.pos ?? 0) + 1;
    if (position < lockSet.length) {
      const next = lockSet[position];
      const nextFunction = this.entityFunctionFor(next);
      if (nextFunction) this.sendToEntity(batch, next, nextFunction, { ...request, pos: position }, { timestamp: newtonsoftDate(now) });
      else this.emit({ kind: "warning", instanceId: request.parent, message: `The lock request of ${request.parent} cannot go on from ${entityId} to ${next}: no entity function has that name.` });
    } else if (request.parent) {
      this.enqueue(batch, {
        id: ++this.lastId,
        instanceId: request.parent,
        executionId: request.parentExecution,
        event: { EventType: HistoryEventType.EventRaised, EventId: -1, Timestamp: now, IsPlayed: false, Name: request.id, Input: JSON.stringify({ result: "Lock Acquisition Completed" }) },
      });
    }
    return request.parent;
  }

  /**
   * An entity operation threw. The package keeps no rollback and records JSON.stringify(error) as the result
   * (lib/src/entities/Entity.js:36-50), so on Azure the state it set before throwing stays, and an Error's message
   * never reaches the caller. The emulator does the same, and says so.
   */
  private warnEntityOperationFailed(entityId: string, outcome: EntityOutcome): void {
    const request = outcome.request;
    const seen = callerErrorMessage(outcome);
    const caller = request.signal
      ? "It was a signal: nobody sees the error."
      : seen !== "" && (outcome.thrown ?? "").includes(seen)
        ? `The caller's callEntity fails with "${seen}".`
        : `The caller's callEntity fails with "${seen}", not your message: durable-functions records JSON.stringify(error) for a failed operation, and an Error serializes as {}.`;
    this.emit({
      kind: "warning",
      instanceId: entityId,
      message:
        `Entity ${entityId} operation '${request.op}' threw ${outcome.thrown}. As on Azure, the state it set before throwing is kept (durable-functions does not roll back). ${caller} ` +
        "Return an error value, or throw a string, to tell the caller what went wrong.",
    });
  }

  private createTimer(batch: StoreBatch, instance: ActiveInstance, id: number, fireAt: number, timestamp: string, produced: HistoryEvent[], wallClock = false): void {
    const fireAtIso = new Date(fireAt).toISOString();
    produced.push({ EventType: HistoryEventType.TimerCreated, EventId: id, Timestamp: timestamp, IsPlayed: false, FireAt: fireAtIso });
    this.enqueue(batch, {
      id: ++this.lastId,
      instanceId: instance.record.instanceId,
      executionId: instance.record.executionId,
      visibleAt: fireAt,
      wallClockDueAt: wallClock && this.clock.skipping ? this.clock.wall() + Math.max(0, fireAt - this.clock.now()) : undefined,
      // TaskOrchestrationDispatcher.cs:1252 builds the TimerFired message with the decision, so its Timestamp
      // (HistoryEvent.cs:55, DateTime.UtcNow) is when the timer was created; FireAt is when it fires.
      event: { EventType: HistoryEventType.TimerFired, EventId: -1, Timestamp: timestamp, IsPlayed: false, TimerId: id, FireAt: fireAtIso },
    });
  }

  private fail(batch: StoreBatch, instance: ActiveInstance, record: InstanceRecord, failure: FailureInfo, timestamp: string): void {
    this.finish(batch, instance, record, "Failed", json(failure.message), failure, [
      {
        EventType: HistoryEventType.ExecutionCompleted,
        EventId: -1,
        Timestamp: timestamp,
        IsPlayed: false,
        OrchestrationStatus: OrchestrationStatusCode.Failed,
        // TaskOrchestrationContext.FailOrchestration: the result is the failure's message itself, not JSON.
        Result: failure.message,
      },
    ]);
  }

  /** Ends the execution: final events, status, parent notification, and the instance's pending timers and work dropped. */
  private finish(
    batch: StoreBatch,
    instance: ActiveInstance,
    record: InstanceRecord,
    status: "Completed" | "Failed" | "Terminated",
    output: string | undefined,
    failure: FailureInfo | undefined,
    finalEvents: HistoryEvent[],
  ): void {
    const timestamp = finalEvents[0]?.Timestamp ?? new Date(this.clock.now()).toISOString();
    // TaskOrchestrationContext.CompleteOrchestration takes the next id of the sequence (idCounter++) for the
    // ExecutionCompletedEvent (TaskOrchestrationDispatcher.cs:1026), as for any other action.
    const nextId = nextSequenceId(instance.history);
    for (const event of finalEvents) instance.history.push(event.EventType === HistoryEventType.ExecutionCompleted ? { ...event, EventId: nextId } : event);
    instance.history.push({ EventType: HistoryEventType.OrchestratorCompleted, EventId: -1, Timestamp: timestamp, IsPlayed: false });
    record.runtimeStatus = status;
    record.waitingForEvents = undefined;
    record.canceledTimerIds = undefined;
    record.output = output;
    record.failure = failure;
    record.lastUpdatedTime = timestamp;
    const parent = record.parent;
    if (parent) {
      const event: HistoryEvent =
        status === "Completed"
          ? { EventType: HistoryEventType.SubOrchestrationInstanceCompleted, EventId: -1, Timestamp: timestamp, IsPlayed: false, TaskScheduledId: parent.taskId, Result: output ?? "null" }
          : {
              EventType: HistoryEventType.SubOrchestrationInstanceFailed,
              EventId: -1,
              Timestamp: timestamp,
              IsPlayed: false,
              TaskScheduledId: parent.taskId,
              Reason: status === "Terminated" ? `Sub-orchestration '${record.name}' (${record.instanceId}) was terminated: ${parseJson(output) ?? ""}` : (failure?.message ?? "failed"),
              // Always a string: the package cannot read a failure without Details (Azure sends none for terminations).
              Details: failure ? `Message: ${failure.message}, StackTrace: ${failure.stack ?? ""}` : "",
            };
      this.enqueue(batch, { id: ++this.lastId, instanceId: parent.instanceId, executionId: parent.executionId, event });
    }
    this.dropPendingWork(batch, record.instanceId);
  }

  private dropPendingWork(batch: StoreBatch, instanceId: string): void {
    const timers = this.timers.removeWhere((m) => m.instanceId === instanceId);
    for (const [id, held] of this.wallClockTimers) {
      if (held.message.instanceId !== instanceId) continue;
      clearTimeout(held.handle);
      this.wallClockTimers.delete(id);
      timers.push(held.message);
    }
    if (timers.length) (batch.deleteMessages ??= []).push(...timers.map((m) => m.id));
  }

  /**
   * Starts the next execution. Events raised after the orchestrator called continueAsNew carry over to it, as
   * DurableTask.Core does on the Azure Storage backend by default (JS cannot ask for preserveUnprocessedEvents).
   */
  private continueAsNew(batch: StoreBatch, instance: ActiveInstance, record: InstanceRecord, input: unknown, timestamp: string, carryover: HistoryEvent[]): void {
    const oldExecution = record.executionId;
    this.runtime.forget(record.instanceId, oldExecution);
    this.dropPendingWork(batch, record.instanceId);
    record.executionId = randomUUID().replace(/-/g, "");
    record.runtimeStatus = "ContinuedAsNew";
    record.input = json(input);
    record.output = undefined;
    record.controlReason = undefined;
    record.lastUpdatedTime = timestamp;
    record.timerCancellations = undefined; // event indexes of the history that goes
    // Each generation's ExecutionStarted sets CreatedTime (AzureTableTrackingStore.UpdateStateAsync).
    record.createdTime = timestamp;
    // The finished execution's history is replaced, as the Azure Storage backend does.
    instance.history.length = 0;
    instance.scheduled.clear();
    instance.completed.clear();
    instance.replaceHistory = true;
    this.enqueue(batch, { id: ++this.lastId, instanceId: record.instanceId, executionId: record.executionId, event: executionStarted(record, timestamp) });
    for (const event of carryover) this.enqueue(batch, { id: ++this.lastId, instanceId: record.instanceId, event: { ...event, IsPlayed: false } });
  }

  private commitEpisode(batch: StoreBatch, instance: ActiveInstance, record: InstanceRecord, historyBefore: number): void {
    if (instance.purged) {
      // Purged while this episode ran: only the messages it took go, nothing of what it produced is kept.
      this.commit({ deleteMessages: batch.deleteMessages });
      return;
    }
    const replace = instance.replaceHistory === true;
    instance.replaceHistory = false;
    const appended = replace ? instance.history.slice() : instance.history.slice(historyBefore);
    (batch.history ??= []).push({ instanceId: record.instanceId, events: appended, replace });
    instance.record = record;
    this.upsert(batch, record);
    if (isTerminal(record.runtimeStatus)) {
      this.active.delete(record.instanceId);
      this.ready.delete(record.instanceId);
      this.runtime.forget(record.instanceId, record.executionId);
      if (instance.inbox.length) (batch.deleteMessages ??= []).push(...instance.inbox.map((m) => m.id));
      instance.inbox.length = 0;
    }
    this.commit(batch);
    if (appended.length) this.emit({ kind: "historyAppended", instanceId: record.instanceId, executionId: record.executionId, events: appended });
  }
}
