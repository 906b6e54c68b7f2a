/**
 * How an execution ends: completed, failed or terminated (the final events, the status, the parent told, pending
 * timers dropped), or continued as new (the next execution started with the events that arrived after the call).
 */
import { randomUUID } from "node:crypto";
import { HistoryEventType, OrchestrationStatusCode, nextSequenceId, type HistoryEvent } from "../history/history-event";
import type { StoreBatch } from "../store/store";
import type { FailureInfo, InstanceRecord } from "../api/types";
import { parseJsonText as parseJson } from "../api/json-text";
import { executionStarted, json, type ActiveInstance } from "./instance-state";
import type { EngineState } from "./engine-state";
import { executionCompleted, orchestratorCompleted, subOrchestrationCompleted, subOrchestrationFailed } from "../core/history-events";

export class ExecutionEnd {
  constructor(private readonly state: EngineState) {}

  fail(batch: StoreBatch, instance: ActiveInstance, record: InstanceRecord, failure: FailureInfo, timestamp: string): void {
    this.finish(batch, instance, record, "Failed", json(failure.message), failure, [
      // TaskOrchestrationContext.FailOrchestration: the result is the failure's message itself, not JSON.
      executionCompleted(OrchestrationStatusCode.Failed, failure.message, timestamp),
    ]);
  }

  /** Ends the execution: final events, status, parent notification, and the instance's pending timers and work dropped. */
  finish(
    batch: StoreBatch,
    instance: ActiveInstance,
    record: InstanceRecord,
    status: "Completed" | "Failed" | "Terminated",
    output: string | undefined,
    failure: FailureInfo | undefined,
    finalEvents: HistoryEvent[],
  ): void {
    const timestamp = finalEvents[0]?.Timestamp ?? new Date(this.state.clock.now()).toISOString();
    // TaskOrchestrationContext.CompleteOrchestration takes the next id of the sequence (idCounter++) for the
    // ExecutionCompletedEvent (TaskOrchestrationDispatcher.cs:1026), as for any other action.
    const nextId = nextSequenceId(instance.history);
    for (const event of finalEvents) instance.history.push(event.EventType === HistoryEventType.ExecutionCompleted ? { ...event, EventId: nextId } : event);
    instance.history.push(orchestratorCompleted(timestamp));
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
          ? subOrchestrationCompleted(parent.taskId, output ?? "null", timestamp)
          : subOrchestrationFailed(
              parent.taskId,
              status === "Terminated"
                ? `Sub-orchestration '${record.name}' (${record.instanceId}) was terminated: ${parseJson(output) ?? ""}`
                : (failure?.message ?? "failed"),
              // Always a string: the package cannot read a failure without Details (Azure sends none for terminations).
              failure ? `Message: ${failure.message}, StackTrace: ${failure.stack ?? ""}` : "",
              timestamp,
            );
      this.state.enqueue(batch, { id: this.state.nextId(), instanceId: parent.instanceId, executionId: parent.executionId, event });
    }
    this.state.dropPendingWork(batch, record.instanceId);
  }

  /**
   * Starts the next execution. Events raised after the orchestrator called continueAsNew carry over to it, as
   * DurableTask.Core does on the Azure Storage backend by default (JS cannot ask for preserveUnprocessedEvents).
   */
  continueAsNew(batch: StoreBatch, instance: ActiveInstance, record: InstanceRecord, input: unknown, timestamp: string, carryover: HistoryEvent[]): void {
    const oldExecution = record.executionId;
    this.state.workers.forget(record.instanceId, oldExecution);
    this.state.dropPendingWork(batch, record.instanceId);
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
    instance.entityLabels = undefined;
    instance.scheduled.clear();
    instance.completed.clear();
    instance.replaceHistory = true;
    this.state.enqueue(batch, {
      id: this.state.nextId(),
      instanceId: record.instanceId,
      executionId: record.executionId,
      event: executionStarted(record, timestamp),
    });
    for (const event of carryover) this.state.enqueue(batch, { id: this.state.nextId(), instanceId: record.instanceId, event: { ...event, IsPlayed: false } });
  }
}
