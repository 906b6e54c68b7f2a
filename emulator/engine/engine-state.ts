/**
 * What every part of the engine shares: the store, the clock, the instances in memory and their inboxes, the timer
 * and activity queues, the counters the scheduler limits by, the event stream, and the plumbing that writes a step
 * to the store as one batch and routes its messages in memory. The parts (episodes, activities, entities, actions,
 * rewind, purge) change the engine only through this.
 */
import { EventEmitter } from "node:events";
import { randomUUID } from "node:crypto";
import { HistoryEventType, completedTaskId, type HistoryEvent, SCHEDULING_EVENT_TYPES } from "../history/history-event";
import type { PendingMessage, Store, StoreBatch, WorkItem } from "../store/store";
import type { EngineEvent, InstanceRecord } from "../api/types";
import type { WorkerPort } from "../core/worker-port";
import { Clock } from "./clock";
import { TimerQueue } from "./timer-queue";
import { WorkerLossPolicy } from "./worker-loss";
import { executionStarted, isControlMessage, json, type ActiveInstance } from "./instance-state";

/** Warnings the engine keeps for the dashboard. */
const MAX_KEPT_WARNINGS = 500;

export interface EngineLimits {
  maxActivities: number;
  maxEpisodes: number;
  maxEntityBatch: number;
}

export class EngineState {
  readonly active = new Map<string, ActiveInstance>();
  /** Instances with messages that can run, waiting for an episode slot. */
  readonly ready = new Set<string>();
  readonly timers = new TimerQueue();
  /** Time skipping: timers that wait for wall-clock time first (callHttp polls), by message id. */
  readonly wallClockTimers = new Map<number, { message: PendingMessage; handle: NodeJS.Timeout }>();
  readonly activityQueue: WorkItem[] = [];
  activityQueueHead = 0;
  readonly inFlightWorkItems = new Set<number>();
  runningEpisodes = 0;
  runningActivities = 0;
  /** Activity slots promised to episodes in flight for the worker to start eagerly. */
  reservedActivitySlots = 0;
  closed = false;
  /** Work that the worker running it lost, and how often: one policy for episodes, entity batches and activities. */
  readonly workerLoss = new WorkerLossPolicy();
  /** Set by the scheduler: something may be runnable now. */
  wake: () => void = () => undefined;
  private lastId = 0;
  private readonly events = new EventEmitter();
  private readonly warningLog: { at: string; instanceId?: string; message: string }[] = [];

  constructor(
    readonly store: Store,
    readonly workers: WorkerPort,
    readonly clock: Clock,
    readonly limits: EngineLimits,
  ) {
    this.events.setMaxListeners(0);
  }

  /** A new id for a message or work item (ids grow across restarts: the store keeps the last one). */
  nextId(): number {
    return ++this.lastId;
  }

  restoreLastId(lastId: number): void {
    this.lastId = lastId;
  }

  /** An ISO timestamp of the engine's clock. */
  nowIso(): string {
    return new Date(this.clock.now()).toISOString();
  }

  activeFrom(record: InstanceRecord, history: HistoryEvent[]): ActiveInstance {
    const instance: ActiveInstance = { record, history, scheduled: new Map(), completed: new Set(), inbox: [], running: false, wakingMessages: 0 };
    for (const event of history) this.index(instance, event);
    return instance;
  }

  index(instance: ActiveInstance, event: HistoryEvent): void {
    if (SCHEDULING_EVENT_TYPES.has(event.EventType)) instance.scheduled.set(event.EventId, event);
    const taskId = completedTaskId(event);
    if (taskId !== undefined) instance.completed.add(taskId);
  }

  emit(event: EngineEvent): void {
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

  on(listener: (event: EngineEvent) => void): () => void {
    this.events.on("event", listener);
    return () => this.events.off("event", listener);
  }

  commit(batch: StoreBatch): void {
    this.store.commit(batch);
    for (const record of batch.upsertInstances ?? []) this.emit({ kind: "instanceUpdated", instance: record });
    this.wake();
  }

  upsert(batch: StoreBatch, record: InstanceRecord): void {
    const list = (batch.upsertInstances ??= []);
    const index = list.findIndex((r) => r.instanceId === record.instanceId);
    if (index >= 0) list[index] = record;
    else list.push(record);
  }

  /** Adds a message to the batch and routes it in memory: to a timer, or to the instance's inbox. */
  enqueue(batch: StoreBatch, message: PendingMessage): void {
    const isTimer = message.visibleAt !== undefined && message.visibleAt > this.clock.now();
    if (!isTimer && !this.active.has(message.instanceId)) return; // nobody will ever read it
    (batch.addMessages ??= []).push(message);
    this.deliver(message);
  }

  deliver(message: PendingMessage): void {
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
      this.wake();
    }, wait);
    this.wallClockTimers.set(message.id, { message, handle });
  }

  /** A successful completion of a Task.all member, while other members are still open. */
  isHeldBack(instance: ActiveInstance, message: PendingMessage): boolean {
    const waiting = instance.waitingForAll;
    if (!waiting) return false;
    const type = message.event.EventType;
    const success =
      type === HistoryEventType.TaskCompleted || type === HistoryEventType.TimerFired || type === HistoryEventType.SubOrchestrationInstanceCompleted;
    const taskId = completedTaskId(message.event);
    if (!success || taskId === undefined || !waiting.delete(taskId)) return false;
    return waiting.size > 0;
  }

  hasRunnableMessages(instance: ActiveInstance): boolean {
    if (instance.record.runtimeStatus !== "Suspended") return instance.wakingMessages > 0;
    return instance.inbox.some(isControlMessage);
  }

  createInstance(
    batch: StoreBatch,
    spec: {
      instanceId: string;
      name: string;
      input: unknown;
      version?: string;
      parent?: InstanceRecord["parent"];
      reuse: boolean;
      inputJson?: string;
      scheduledStartTime?: string;
    },
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
      if (old) this.workers.forget(spec.instanceId, old.record.executionId);
      (batch.history ??= []).push({ instanceId: spec.instanceId, events: [], replace: true });
    }
    this.upsert(batch, record);
    this.active.set(spec.instanceId, this.activeFrom(record, []));
    const started = executionStarted(record, now);
    // As a scheduled start on DTS or Azure Storage: the start message is not visible before its time.
    if (spec.scheduledStartTime) started.ScheduledStartTime = spec.scheduledStartTime;
    const visibleAt = spec.scheduledStartTime ? Date.parse(spec.scheduledStartTime) : undefined;
    this.enqueue(batch, { id: this.nextId(), instanceId: spec.instanceId, executionId, visibleAt, event: started });
  }

  /** The instance was purged while its episode ran: only the messages it took are deleted; nothing else is written. */
  purgedDuring(instance: ActiveInstance, batch: StoreBatch): boolean {
    if (this.active.get(instance.record.instanceId) === instance) return false;
    if (batch.deleteMessages?.length) this.commit({ deleteMessages: batch.deleteMessages });
    return true;
  }

  dropPendingWork(batch: StoreBatch, instanceId: string): void {
    const timers = this.timers.removeWhere((m) => m.instanceId === instanceId);
    for (const [id, held] of this.wallClockTimers) {
      if (held.message.instanceId !== instanceId) continue;
      clearTimeout(held.handle);
      this.wallClockTimers.delete(id);
      timers.push(held.message);
    }
    if (timers.length) (batch.deleteMessages ??= []).push(...timers.map((m) => m.id));
  }
}
