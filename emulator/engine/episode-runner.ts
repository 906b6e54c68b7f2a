/**
 * Episodes: all waiting messages of one instance at once, never two episodes of one instance together. An episode
 * appends the messages to the history, has the worker replay the orchestration on it, applies what the replay asked
 * for (actions.ts), ends or continues the execution, and commits it all as one batch. Work lost with a worker is
 * undone and runs again.
 */
import { HistoryEventType, OrchestrationStatusCode, completedTaskId, type HistoryEvent } from "../history/history-event";
import type { PendingMessage, StoreBatch } from "../store/store";
import { isTerminal, type InstanceRecord } from "../api/types";
import { parseJsonText as parseJson } from "../api/json-text";
import type { OrchestrationDecision } from "../core/worker-port";
import { FunctionTimedOutError, WorkerLostError } from "../core/worker-errors";
import { isControlMessage, json, type ActiveInstance } from "./instance-state";
import type { EngineState } from "./engine-state";
import type { EntityRunner } from "./entity-runner";
import type { ExecutionEnd } from "./execution-end";
import type { ActionApplier } from "./action-applier";
import { executionCompleted, orchestratorCompleted, orchestratorStarted } from "../core/history-events";

/** The largest custom status the Durable extension takes, in KB of UTF-16 (DurableOrchestrationContext.cs:225-229). */
const MAX_CUSTOM_STATUS_KB = 16;

export class EpisodeRunner {
  constructor(
    private readonly state: EngineState,
    private readonly actions: ActionApplier,
    private readonly entities: EntityRunner,
    private readonly end: ExecutionEnd,
  ) {}

  async runEpisode(instance: ActiveInstance): Promise<void> {
    instance.running = true;
    this.state.runningEpisodes++;
    try {
      if (instance.record.entity) await this.entities.runEntity(instance);
      else await this.executeEpisode(instance);
    } catch (error) {
      this.state.emit({
        kind: "warning",
        instanceId: instance.record.instanceId,
        message: `Episode failed unexpectedly: ${error instanceof Error ? error.stack : String(error)}`,
      });
    } finally {
      instance.running = false;
      this.state.runningEpisodes--;
      if (this.state.active.get(instance.record.instanceId) === instance && this.state.hasRunnableMessages(instance))
        this.state.ready.add(instance.record.instanceId);
      this.state.wake();
    }
  }

  /** Takes the messages this episode may process; a suspended instance only takes resume and terminate. */
  private takeInbox(instance: ActiveInstance): PendingMessage[] {
    instance.wakingMessages = 0;
    instance.waitingForAll = undefined;
    if (!instance.history.length && !instance.inbox.some((m) => m.event.EventType === HistoryEventType.ExecutionStarted)) {
      // Not started yet (a scheduled start): events wait for the start, as its queue holds them; a terminate goes ahead.
      const terminate = instance.inbox.filter((m) => m.event.EventType === HistoryEventType.ExecutionTerminated);
      instance.inbox = instance.inbox.filter((m) => !terminate.includes(m));
      return terminate;
    }
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
    const lossKey = `instance ${record.instanceId}`;
    const batch: StoreBatch = { deleteMessages: messages.map((m) => m.id) };
    const now = this.state.clock.now();
    const timestamp = new Date(now).toISOString();
    const newEvents: HistoryEvent[] = [orchestratorStarted(timestamp)];
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
        this.state.index(instance, event);
      }
    };

    if (newEvents.length === 1 && !wake) {
      // Nothing left to deliver (duplicates or stale messages): just drop the messages.
      this.state.commit(batch);
      return;
    }

    if (terminateReason !== undefined) {
      appendHistory(newEvents);
      this.entities.releaseLocksAtEnd(batch, instance, record, timestamp, "terminated");
      this.end.finish(batch, instance, record, "Terminated", json(terminateReason), undefined, [
        executionCompleted(OrchestrationStatusCode.Terminated, json(terminateReason), timestamp),
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
    let result: OrchestrationDecision;
    const eagerActivitySlots = Math.max(
      0,
      this.state.limits.maxActivities -
        this.state.runningActivities -
        this.state.reservedActivitySlots -
        (this.state.activityQueue.length - this.state.activityQueueHead),
    );
    this.state.reservedActivitySlots += eagerActivitySlots;
    try {
      result = await this.replay(instance, eagerActivitySlots);
    } catch (error) {
      this.state.reservedActivitySlots -= eagerActivitySlots;
      if (this.state.closed) return;
      if (this.state.purgedDuring(instance, batch)) return;
      // The worker died under this episode (maybe because of another instance's activity): run it again, unless the
      // orchestrator itself keeps taking the worker down.
      if (!instance.purged && this.state.workerLoss.runAgain(lossKey, error)) {
        this.undoEpisode(instance, messages, historyBefore);
        if (!(error as WorkerLostError).deliberate) {
          this.state.emit({
            kind: "warning",
            instanceId: record.instanceId,
            message: `${(error as Error).message} Running the episode of ${record.name} again.`,
          });
        }
        return;
      }
      this.state.workerLoss.settled(lossKey);
      const message =
        error instanceof FunctionTimedOutError ? error.message : `The orchestrator could not run: ${error instanceof Error ? error.message : String(error)}`;
      this.end.fail(batch, instance, record, { message, errorType: error instanceof Error ? error.name : "Error" }, timestamp);
      this.commitEpisode(batch, instance, record, historyBefore);
      return;
    }
    this.state.reservedActivitySlots -= eagerActivitySlots;
    this.state.workerLoss.settled(lossKey);
    if (this.state.closed) return;
    if (this.state.purgedDuring(instance, batch)) return;
    this.applyResult(batch, instance, record, result, now);
    this.commitEpisode(batch, instance, record, historyBefore);
  }

  /** Has the app replay the instance's current history (the orchestrator function runs in the app host). */
  private replay(instance: ActiveInstance, eagerActivitySlots: number, check = false): Promise<OrchestrationDecision> {
    const record = instance.record;
    return this.state.workers.orchestrate({
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
    instance.entityLabels = undefined; // rebuilt from what is left
  }

  private applyResult(batch: StoreBatch, instance: ActiveInstance, record: InstanceRecord, result: OrchestrationDecision, now: number): void {
    const timestamp = new Date(now).toISOString();
    const customStatus = json(result.customStatus);
    // The extension sets the custom status before it schedules anything (OutOfProcOrchestrationShim.cs:78-83) and
    // refuses one over 16 KB of UTF-16 (MessagePayloadDataConverter.cs:60-71) with an ArgumentException, which fails
    // the orchestration (TaskOrchestrationShim.cs:174-206).
    const customStatusKb = customStatus === undefined ? 0 : Math.floor((customStatus.length * 2) / 1024);
    if (customStatusKb > MAX_CUSTOM_STATUS_KB) {
      const reason = `The UTF-16 size of the JSON-serialized payload must not exceed ${MAX_CUSTOM_STATUS_KB} KB. The current payload size is ${customStatusKb.toLocaleString("en-US")} KB.`;
      this.end.fail(
        batch,
        instance,
        record,
        { message: `Orchestrator function '${record.name}' failed: ${reason}`, errorType: "ArgumentException" },
        timestamp,
      );
      return;
    }
    record.customStatus = customStatus;
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
      this.end.fail(batch, instance, record, { message: result.nondeterminism.message, errorType: "NonDeterministicOrchestrationException" }, timestamp);
      return;
    }
    const produced: HistoryEvent[] = [];
    for (const task of result.newTasks) {
      const failure = this.actions.schedule(batch, instance, record, task, now, produced, result.eagerActivities.get(task.id));
      if (failure) {
        this.appendProduced(instance, produced);
        this.end.fail(batch, instance, record, failure, timestamp);
        return;
      }
    }
    this.appendProduced(instance, produced);
    if (result.done || result.failure) {
      const stillOpen = result.openTaskIds.filter((id) => !instance.completed.has(id));
      if (stillOpen.length) {
        // DurableTask.Core completes an orchestration only when none of its tasks is open: a timer that lost a
        // race and was not cancelled keeps it Running until it fires. Azure behaves the same.
        this.state.emit({
          kind: "warning",
          instanceId: record.instanceId,
          message:
            `${record.name} (${record.instanceId}) has ${result.failure ? "failed" : "returned"}, but task${stillOpen.length > 1 ? "s" : ""} ` +
            `${stillOpen.join(", ")} ${stillOpen.length > 1 ? "are" : "is"} still open, so it stays Running until they finish, as it would in Azure. ` +
            "Cancel timers you no longer need (timer.cancel()).",
        });
        record.runtimeStatus = "Running";
        instance.history.push(orchestratorCompleted(timestamp));
        return;
      }
    }
    if (result.failure) {
      this.entities.releaseLocksAtEnd(batch, instance, record, timestamp, "failed");
      this.end.fail(
        batch,
        instance,
        record,
        result.failure.errorType === undefined
          ? { message: `Orchestrator function '${record.name}' failed: ${result.failure.message}`, stack: result.failure.stack, errorType: "Error" }
          : { message: result.failure.message, stack: result.failure.stack, errorType: result.failure.errorType },
        timestamp,
      );
      return;
    }
    if (result.done) {
      this.entities.releaseLocksAtEnd(batch, instance, record, timestamp, "completed");
      if (result.continueAsNew) {
        const carryover =
          result.continueAsNew.carryover ??
          instance.history.slice(result.continueAsNew.calledAtEvent + 1).filter((e) => e.EventType === HistoryEventType.EventRaised);
        this.end.continueAsNew(batch, instance, record, result.continueAsNew.input, timestamp, carryover);
      } else {
        const output = json(result.output) ?? "null";
        this.end.finish(batch, instance, record, "Completed", output, undefined, [executionCompleted(OrchestrationStatusCode.Completed, output, timestamp)]);
      }
      return;
    }
    record.runtimeStatus = "Running";
    instance.history.push(orchestratorCompleted(timestamp));
  }

  private appendProduced(instance: ActiveInstance, produced: HistoryEvent[]): void {
    for (const event of produced) {
      instance.history.push(event);
      this.state.index(instance, event);
    }
  }

  private commitEpisode(batch: StoreBatch, instance: ActiveInstance, record: InstanceRecord, historyBefore: number): void {
    if (instance.purged) {
      // Purged while this episode ran: only the messages it took go, nothing of what it produced is kept.
      this.state.commit({ deleteMessages: batch.deleteMessages });
      return;
    }
    const replace = instance.replaceHistory === true;
    instance.replaceHistory = false;
    const appended = replace ? instance.history.slice() : instance.history.slice(historyBefore);
    (batch.history ??= []).push({ instanceId: record.instanceId, events: appended, replace });
    instance.record = record;
    this.state.upsert(batch, record);
    if (isTerminal(record.runtimeStatus)) {
      this.state.active.delete(record.instanceId);
      this.state.ready.delete(record.instanceId);
      this.state.workers.forget(record.instanceId, record.executionId);
      if (instance.inbox.length) (batch.deleteMessages ??= []).push(...instance.inbox.map((m) => m.id));
      instance.inbox.length = 0;
    }
    this.state.commit(batch);
    if (appended.length) this.state.emit({ kind: "historyAppended", instanceId: record.instanceId, executionId: record.executionId, events: appended });
  }

  /**
   * Replays every unfinished instance that is not busy against the app's current code (after a reload) and fails
   * those whose history the code no longer matches, with the nondeterminism report. Returns what it found.
   */
  async revalidate(): Promise<{ replayed: number; failed: { instanceId: string; message: string }[] }> {
    const failed: { instanceId: string; message: string }[] = [];
    let replayed = 0;
    for (const instance of [...this.state.active.values()]) {
      const record = instance.record;
      if (instance.running || this.state.closed || !instance.history.some((e) => e.EventType === HistoryEventType.OrchestratorStarted)) continue;
      instance.running = true;
      this.state.runningEpisodes++;
      try {
        const result = await this.replay(instance, 0, true);
        replayed++;
        if (result.nondeterminism && !this.state.closed) {
          const batch: StoreBatch = {};
          const updated = { ...record };
          const historyBefore = instance.history.length;
          this.end.fail(
            batch,
            instance,
            updated,
            { message: result.nondeterminism.message, errorType: "NonDeterministicOrchestrationException" },
            new Date(this.state.clock.now()).toISOString(),
          );
          this.commitEpisode(batch, instance, updated, historyBefore);
          failed.push({ instanceId: record.instanceId, message: result.nondeterminism.message });
        }
      } catch {
        // The app could not replay it now; its next episode will tell.
      } finally {
        instance.running = false;
        this.state.runningEpisodes--;
        if (this.state.active.get(record.instanceId) === instance && this.state.hasRunnableMessages(instance)) this.state.ready.add(record.instanceId);
        this.state.wake();
      }
    }
    return { replayed, failed };
  }
}
