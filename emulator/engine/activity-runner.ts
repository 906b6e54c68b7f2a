/**
 * Activities (and durable HTTP calls): queued as work items, run by the worker (or already started by it during the
 * episode that scheduled them), and answered to their orchestration as TaskCompleted / TaskFailed, worded as the
 * Durable extension words them. Runs at least once: work lost with a worker runs again.
 */
import { HistoryEventType, type HistoryEvent } from "../history/history-event";
import { HTTP_ACTIVITY_NAME } from "../history/task-matching";
import type { StoreBatch, WorkItem } from "../store/store";
import type { ActivityResult } from "../core/worker-port";
import { FunctionTimedOutError, WorkerLostError } from "../core/worker-errors";
import { HttpActivityFailure, runHttpActivity, type HttpActivityInput } from "./http-activity";
import { activityFunctionFailure } from "./dotnet-exceptions";
import { MAX_WORKER_LOSSES } from "./worker-loss";
import { json, type ActiveInstance } from "./instance-state";
import type { EngineState } from "./engine-state";
import { taskCompleted, taskFailed } from "../core/history-events";

export class ActivityRunner {
  constructor(private readonly state: EngineState) {}

  /** Queues an activity, or, when the app host already started it, waits for its outcome instead. */
  addWorkItem(batch: StoreBatch, instance: ActiveInstance, taskId: number, name: string, input: string, eagerOutcome?: Promise<ActivityResult>): void {
    const item: WorkItem = {
      id: this.state.nextId(),
      kind: name === HTTP_ACTIVITY_NAME ? "http" : "activity",
      instanceId: instance.record.instanceId,
      executionId: instance.record.executionId,
      taskId,
      name,
      input,
    };
    (batch.addWorkItems ??= []).push(item);
    if (eagerOutcome) void this.runWorkItem(item, eagerOutcome);
    else this.state.activityQueue.push(item);
  }

  async runWorkItem(item: WorkItem, eagerOutcome?: Promise<ActivityResult>): Promise<void> {
    if (this.state.inFlightWorkItems.has(item.id)) return;
    const instance = this.state.active.get(item.instanceId);
    if (!instance || instance.record.executionId !== item.executionId) {
      this.state.commit({ deleteWorkItems: [item.id] }); // its orchestration ended or moved on
      return;
    }
    const lossKey = `work item ${item.id}`;
    this.state.inFlightWorkItems.add(item.id);
    this.state.runningActivities++;
    const started = Date.now();
    this.state.emit({ kind: "activityStarted", instanceId: item.instanceId, taskId: item.taskId, name: item.name });
    let completion: HistoryEvent;
    const timestamp = () => new Date(this.state.clock.now()).toISOString();
    try {
      const input = JSON.parse(item.input) as unknown;
      if (item.kind === "http") {
        try {
          const response = await runHttpActivity(input as HttpActivityInput);
          completion = taskCompleted(item.taskId, JSON.stringify(response), timestamp());
        } catch (error) {
          if (!(error instanceof HttpActivityFailure)) throw error;
          completion = taskFailed(item.taskId, error.reason, error.details, timestamp());
          if (error.failureDetails) completion.FailureDetails = error.failureDetails;
        }
      } else {
        const outcome = await (eagerOutcome ??
          this.state.workers.runActivity({ functionName: item.name, instanceId: item.instanceId, taskId: item.taskId, input }));
        completion = outcome.ok
          ? taskCompleted(item.taskId, json(outcome.result) ?? "null", timestamp())
          : this.activityFailed(item, outcome.error.message, outcome.error.stack, timestamp(), outcome.error.failureDetailsJson);
      }
    } catch (error) {
      // As in Azure, work lost with a crashed worker runs again; after a few crashes it is treated as poison.
      if (!this.state.closed && this.state.workerLoss.runAgain(lossKey, error)) {
        this.state.activityQueue.push(item);
        if (!(error as WorkerLostError).deliberate) {
          this.state.emit({ kind: "warning", instanceId: item.instanceId, message: `${(error as Error).message} Running activity '${item.name}' again.` });
        }
        this.state.wake();
        return; // the finally block below frees its slot
      }
      const detail =
        error instanceof WorkerLostError
          ? `${error.message} It did so ${MAX_WORKER_LOSSES} times; giving up.`
          : error instanceof Error
            ? error.message
            : String(error);
      // A timeout's stack is the emulator's, not the app's: the message says it all.
      const stack = error instanceof Error && !(error instanceof FunctionTimedOutError) ? error.stack : undefined;
      completion = this.failedActivity(item, detail, stack, timestamp());
    } finally {
      this.state.inFlightWorkItems.delete(item.id);
      this.state.runningActivities--;
    }
    this.state.workerLoss.settled(lossKey);
    this.state.emit({
      kind: "activityFinished",
      instanceId: item.instanceId,
      taskId: item.taskId,
      name: item.name,
      ok: completion.EventType === HistoryEventType.TaskCompleted,
      durationMs: Date.now() - started,
    });
    if (this.state.closed) return;
    const batch: StoreBatch = { deleteWorkItems: [item.id] };
    this.state.enqueue(batch, { id: this.state.nextId(), instanceId: item.instanceId, executionId: item.executionId, event: completion });
    this.state.commit(batch);
  }

  /**
   * An activity that threw, as it reaches the orchestrator on Azure: the Reason and Details of
   * dotnet-exceptions.ts's activityFunctionFailure, from which the package builds `new Error(Reason + " \n " +
   * Details)`. FailureDetails are added only when the app registered an exception properties provider, whose JSON
   * the package's activity wrapper produced.
   */
  private activityFailed(item: WorkItem, message: string, stack: string | undefined, timestamp: string, failureDetailsJson?: string): HistoryEvent {
    const { reason, details } = activityFunctionFailure(item.name, message, stack);
    return this.failedActivity(item, message, stack, timestamp, failureDetailsJson, { reason, details });
  }

  /**
   * A failed activity as the Durable extension records it: Reason "Activity function 'X' failed: <message>" and the
   * details, from which the package builds `new Error(Reason + " \n " + Details)`.
   */
  private failedActivity(
    item: WorkItem,
    message: string,
    stack: string | undefined,
    timestamp: string,
    failureDetailsJson?: string,
    text?: { reason: string; details: string },
  ): HistoryEvent {
    const event = taskFailed(item.taskId, text?.reason ?? `Activity function '${item.name}' failed: ${message}`, text?.details ?? stack ?? message, timestamp);
    if (failureDetailsJson) {
      const details = JSON.parse(failureDetailsJson) as {
        errorType?: string;
        errorMessage?: string;
        stackTrace?: string;
        isNonRetriable?: boolean;
        properties?: Record<string, unknown>;
      };
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
}
