/**
 * The durable engine: what the Durable Task extension and its backend do in Azure. This class is its client API —
 * start, raise, terminate, suspend, resume, rewind, restart, purge, query, entities — over the parts that do the
 * work: the shared state and store plumbing (engine-state.ts), the scheduler (scheduler.ts), episodes
 * (episode-runner.ts) and what their tasks become (action-applier.ts), how executions end (execution-end.ts),
 * activities (activity-runner.ts), entities (entity-runner.ts; their client side entity-client.ts), rewind (rewind.ts) and purge (purge.ts). Every step
 * is committed to the store as one batch.
 */
import { randomUUID } from "node:crypto";
import { availableParallelism } from "node:os";
import { HistoryEventType, type HistoryEvent } from "../history/history-event";
import type { Store, StoreBatch } from "../store/store";
import { isTerminal, type EngineEvent, type InstanceQuery, type InstancePage, type InstanceRecord, type InstanceStatus, type StartOptions } from "../api/types";
import { DurableError, badRequest, instanceNotFound } from "../core/errors";
import type { WorkerPort } from "../core/worker-port";
import { WorkerRouter } from "./worker-router";
import { Clock } from "./clock";
import { json, toInstanceStatus } from "./instance-state";
import { EngineState } from "./engine-state";
import { Scheduler } from "./scheduler";
import { ActivityRunner } from "./activity-runner";
import { EntityRunner } from "./entity-runner";
import { ExecutionEnd } from "./execution-end";
import { ActionApplier } from "./action-applier";
import { EpisodeRunner } from "./episode-runner";
import { Rewinder } from "./rewind";
import { Purger } from "./purge";
import { EntityClient } from "./entity-client";
import { requireFunction, requireOrchestration, requireRunning } from "./client-checks";

export { toInstanceStatus } from "./instance-state";
export { heldLocks } from "./entity-locks";

export interface EngineOptions {
  store: Store;
  /** What runs the app's functions: each function goes to the worker that registered it. */
  workers: readonly WorkerPort[];
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

/** DurableClient.MaxInstanceIdLength (DurableClient.cs:33). */
const MAX_INSTANCE_ID_LENGTH = 256;

export class Engine {
  readonly clock: Clock;
  private readonly state: EngineState;
  private readonly scheduler: Scheduler;
  private readonly entities: EntityRunner;
  private readonly episodes: EpisodeRunner;
  private readonly rewinder: Rewinder;
  private readonly purger: Purger;
  private readonly entityClient: EntityClient;

  constructor(options: EngineOptions) {
    const processors = Math.max(1, availableParallelism());
    this.clock = new Clock(options.timeSkipping === true, options.now);
    this.state = new EngineState(options.store, new WorkerRouter(options.workers), this.clock, {
      maxActivities: options.maxConcurrentActivityFunctions ?? 10 * processors,
      maxEpisodes: options.maxConcurrentOrchestratorFunctions ?? 10 * processors,
      maxEntityBatch: Math.max(1, options.maxEntityOperationBatchSize ?? 5000),
    });
    const activities = new ActivityRunner(this.state);
    this.entities = new EntityRunner(this.state);
    const end = new ExecutionEnd(this.state);
    this.episodes = new EpisodeRunner(this.state, new ActionApplier(this.state, activities, this.entities), this.entities, end);
    this.scheduler = new Scheduler(this.state, this.episodes, activities, options.holdAtAwaitedEvents === true);
    this.rewinder = new Rewinder(this.state, activities);
    this.purger = new Purger(this.state);
    this.entityClient = new EntityClient(this.state, this.entities);
  }

  /** Opens the store and picks up every unfinished instance and its queued work (after a restart or crash). */
  async start(): Promise<void> {
    const snapshot = await this.state.store.open();
    this.state.restoreLastId(snapshot.lastId);
    for (const record of snapshot.activeInstances) {
      const history = snapshot.histories.get(record.instanceId) ?? [];
      this.state.active.set(record.instanceId, this.state.activeFrom(record, history));
    }
    for (const message of snapshot.messages) this.state.deliver(message);
    for (const item of snapshot.workItems) this.state.activityQueue.push(item);
    this.scheduler.schedulePump();
  }

  // ---------------------------------------------------------------- observation

  on(listener: (event: EngineEvent) => void): () => void {
    return this.state.on(listener);
  }

  /** The most recent warnings (of one instance, or all), oldest first. */
  recentWarnings(instanceId?: string): { at: string; instanceId?: string; message: string }[] {
    return this.state.recentWarnings(instanceId);
  }

  /** Gives a warning where the engine's own go: the log of `durable-devkit start`, the dashboard, the debugger. */
  warn(message: string, instanceId?: string): void {
    this.state.emit({ kind: "warning", instanceId, message });
  }

  /** Resolves when the instance reaches Completed, Failed or Terminated. */
  waitForCompletion(instanceId: string, timeoutMs?: number): Promise<InstanceStatus> {
    const current = this.state.store.getInstance(instanceId);
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
    return this.scheduler.whenIdle();
  }

  /** Instances that cannot progress by themselves (waiting for an external event or a far timer). */
  pendingTimerCount(): number {
    return this.scheduler.pendingTimerCount();
  }

  /** Timers that wait for wall-clock time even with time skipping (callHttp polls). */
  wallClockTimerCount(): number {
    return this.scheduler.wallClockTimerCount();
  }

  /** Moves the emulator's clock forward (the debugger's `advance`); timers that are due by then fire. */
  advanceClock(ms: number): void {
    this.scheduler.advanceClock(ms);
  }

  /** Moves the clock to the next pending timer, which then fires (the debugger's `advance` without a duration). */
  advanceClockToNextTimer(): { fireAt: number } | undefined {
    return this.scheduler.advanceClockToNextTimer();
  }

  // ---------------------------------------------------------------- client API

  /** The registered functions of the app. */
  get functions() {
    return this.state.workers.functions;
  }

  async startNew(name: string, options: StartOptions = {}): Promise<string> {
    requireFunction(this.state.workers, name, "orchestration");
    const instanceId = options.instanceId ?? randomUUID().replace(/-/g, "");
    // As DurableClient.StartNewAsync (DurableClient.cs:185-201): no "@" first, none of / \ # ? or control
    // characters, at most 256 characters.
    if (!instanceId || /[/\\#?\u0000-\u001f\u007f-\u009f]/.test(instanceId) || instanceId.startsWith("@") || instanceId.length > MAX_INSTANCE_ID_LENGTH) {
      throw badRequest(
        `"${instanceId.slice(0, 300)}" is not a valid instance id: it must be non-empty, at most ${MAX_INSTANCE_ID_LENGTH} characters long, must not start with @ ` +
          "and must not contain / \\ # ? or control characters.",
      );
    }
    const existing = this.state.store.getInstance(instanceId);
    if (existing && !isTerminal(existing.runtimeStatus)) {
      throw new DurableError(
        "InstanceAlreadyExists",
        `An orchestration instance with the id "${instanceId}" already exists and is ${existing.runtimeStatus}. ` +
          "Wait for it to finish, terminate it, or start with another id.",
        { instanceId, runtimeStatus: existing.runtimeStatus },
      );
    }
    const batch: StoreBatch = {};
    this.state.createInstance(batch, {
      instanceId,
      name,
      input: options.input,
      version: options.version,
      reuse: existing !== undefined,
      scheduledStartTime: options.scheduledStartTime,
    });
    this.state.commit(batch);
    await this.state.store.flush();
    return instanceId;
  }

  getStatus(instanceId: string, options: { showHistory?: boolean } = {}): InstanceStatus | undefined {
    const record = this.state.store.getInstance(instanceId);
    if (!record) return undefined;
    return toInstanceStatus(record, options.showHistory ? this.state.store.getHistory(instanceId) : undefined);
  }

  getHistory(instanceId: string): HistoryEvent[] {
    if (!this.state.store.getInstance(instanceId)) throw instanceNotFound(instanceId);
    return this.state.store.getHistory(instanceId);
  }

  getRecord(instanceId: string): InstanceRecord | undefined {
    return this.state.store.getInstance(instanceId);
  }

  list(query: InstanceQuery = {}): InstancePage {
    return this.state.store.listInstances(query);
  }

  private async sendControl(instanceId: string, event: Omit<HistoryEvent, "EventId" | "Timestamp" | "IsPlayed">): Promise<void> {
    const batch: StoreBatch = {};
    this.state.enqueue(batch, {
      id: this.state.nextId(),
      instanceId,
      event: { EventId: -1, Timestamp: new Date(this.state.clock.now()).toISOString(), IsPlayed: false, ...event },
    });
    this.state.commit(batch);
    await this.state.store.flush();
  }

  async raiseEvent(instanceId: string, eventName: string, data?: unknown): Promise<void> {
    if (!eventName) throw badRequest("An event name is required.");
    requireRunning(this.state.store, instanceId, `raise event "${eventName}" to`);
    await this.sendControl(instanceId, { EventType: HistoryEventType.EventRaised, Name: eventName, Input: json(data) });
  }

  async terminate(instanceId: string, reason?: string): Promise<void> {
    requireRunning(this.state.store, instanceId, "terminate");
    await this.sendControl(instanceId, { EventType: HistoryEventType.ExecutionTerminated, Input: json(reason ?? null) });
  }

  /** Suspends a running instance; one already suspended is refused, as DurableClient.SuspendAsync does (DurableClient.cs:406-421). */
  async suspend(instanceId: string, reason?: string): Promise<void> {
    const record = requireRunning(this.state.store, instanceId, "suspend");
    if (record.runtimeStatus === "Suspended") {
      throw new DurableError("InvalidState", `Cannot suspend instance "${instanceId}": it is already Suspended. Resume it first.`, {
        instanceId,
        runtimeStatus: record.runtimeStatus,
      });
    }
    await this.sendControl(instanceId, { EventType: HistoryEventType.ExecutionSuspended, Reason: reason });
  }

  async resume(instanceId: string, reason?: string): Promise<void> {
    const record = requireRunning(this.state.store, instanceId, "resume");
    if (record.runtimeStatus !== "Suspended") {
      throw new DurableError("InvalidState", `Cannot resume instance "${instanceId}": it is ${record.runtimeStatus}, not Suspended.`, {
        instanceId,
        runtimeStatus: record.runtimeStatus,
      });
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
    const record = requireOrchestration(this.state.store, instanceId, "rewind");
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
    this.rewinder.rewindInto(batch, record, reason);
    this.state.commit(batch);
    await this.state.store.flush();
  }

  /** Starts the instance again with its original input (under the same id, or a new one). Returns the id. */
  async restart(instanceId: string, options: { newInstanceId?: boolean } = {}): Promise<string> {
    const record = requireOrchestration(this.state.store, instanceId, "restart");
    if (!options.newInstanceId && !isTerminal(record.runtimeStatus)) {
      // DurableClient.RestartAsync starts it again under its id (DurableClient.cs:1151-1152), which the
      // de-duplication of unfinished instances refuses.
      throw new DurableError(
        "InstanceAlreadyExists",
        `Cannot restart instance "${instanceId}" under the same id while it is ${record.runtimeStatus}. Terminate it first, or restart with a new instance id.`,
        { instanceId, runtimeStatus: record.runtimeStatus },
      );
    }
    requireFunction(this.state.workers, record.name, "orchestration");
    const newId = options.newInstanceId ? randomUUID().replace(/-/g, "") : instanceId;
    const batch: StoreBatch = {};
    this.state.createInstance(batch, {
      instanceId: newId,
      name: record.name,
      input: undefined,
      inputJson: record.input,
      version: record.version,
      reuse: newId === instanceId,
    });
    this.state.commit(batch);
    await this.state.store.flush();
    return newId;
  }

  /**
   * Replays every unfinished instance that is not busy against the app's current code (after a reload) and fails
   * those whose history the code no longer matches, with the nondeterminism report. Returns what it found.
   */
  revalidate(): Promise<{ replayed: number; failed: { instanceId: string; message: string }[] }> {
    return this.episodes.revalidate();
  }

  async close(): Promise<void> {
    this.state.closed = true;
    this.scheduler.stop();
    for (const { handle } of this.state.wallClockTimers.values()) clearTimeout(handle);
    this.state.wallClockTimers.clear();
    await this.state.store.flush();
    await this.state.store.close();
  }

  /** Signals an entity from outside an orchestration (the CLI, the durable client, the management API, a gRPC client). */
  signalEntity(name: string, key: string, operation: string, input?: unknown, options: { scheduledTime?: string } = {}): Promise<void> {
    return this.entityClient.signal(name, key, operation, input, options);
  }

  /** An entity's state (JSON text parsed), or undefined when it does not exist (see entity-client.ts). */
  readEntity(name: string, key: string): { exists: boolean; state: unknown; lastUpdatedTime: string } | undefined {
    return this.entityClient.read(name, key);
  }

  /** Every durable entity's record (existing or emptied). */
  listEntities(): InstanceRecord[] {
    return this.entityClient.list();
  }

  /** Removes the records of entities that no longer exist and have nothing queued, as Azure's clean entity storage. */
  cleanEntityStorage(): Promise<number> {
    return this.entityClient.clean();
  }

  /** Releases the locks of entities whose holder has ended or is gone. Returns how many. */
  releaseOrphanedLocks(): Promise<number> {
    return this.entityClient.releaseOrphanedLocks();
  }

  /** Messages queued for an entity that no batch has taken yet. */
  queuedMessages(entityInstanceId: string): number {
    return this.entityClient.queuedMessages(entityInstanceId);
  }

  /**
   * Deletes an instance and its history. Returns whether there was one. An unfinished instance is refused unless
   * `unfinished` is "delete": what the Durable HTTP API does, as Azure Storage deletes whatever the id names
   * (AzureTableTrackingStore.PurgeInstanceHistoryAsync). Its pending work is dropped, and a warning says so.
   */
  purge(instanceId: string, options: { unfinished?: "refuse" | "delete" } = {}): Promise<boolean> {
    return this.purger.purge(instanceId, options);
  }

  /**
   * Purges the instances that match the query. Returns how many were deleted. By default only finished ones go (a
   * status filter naming only unfinished statuses deletes nothing); with `includeUnfinished` the query is taken as
   * it is, unfinished instances included, and with `includeEntities` durable entities match too: both as Azure
   * Storage's purge by filter does (its Instances table holds entities as well).
   */
  purgeWhere(query: InstanceQuery, options: { includeUnfinished?: boolean; includeEntities?: boolean } = {}): Promise<number> {
    return this.purger.purgeWhere(query, options);
  }
}
