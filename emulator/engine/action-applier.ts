/**
 * What each kind of task a worker's episode asks for becomes: its scheduling event in the history and the work that
 * answers it (a work item, a timer, a child instance, an entity message), one method per kind, as the Durable
 * extension's out-of-process shim applies a JavaScript orchestration's actions (OutOfProcOrchestrationShim). A call
 * the extension would fail the orchestration for comes back as that failure.
 */
import { HistoryEventType, type HistoryEvent } from "../history/history-event";
import { HTTP_ACTIVITY_NAME } from "../history/task-matching";
import type { StoreBatch } from "../store/store";
import { isTerminal, type FailureInfo, type InstanceRecord } from "../api/types";
import type { TrackedTask, TrackedTaskRole } from "../core/tasks";
import type { ActivityResult } from "../core/worker-port";
import { nextRetry } from "./retry-policy";
import { pollTarget, type HttpActivityInput } from "./http-activity";
import { ENTITY_OPERATION_EVENT, ENTITY_RELEASE_EVENT, encodeEntityRequest, isEntityInstanceId, type EntityRequest } from "./entity-batch";
import { randomUUID } from "node:crypto";
import { json, type ActiveInstance } from "./instance-state";
import type { EngineState } from "./engine-state";
import type { ActivityRunner } from "./activity-runner";
import type { EntityRunner } from "./entity-runner";
import { lockRequestIdOf } from "./entity-locks";
import { eventRaised, eventSent, subOrchestrationCreated, subOrchestrationFailed, taskScheduled, timerCreated, timerFired } from "../core/history-events";

/** One task of an episode, and where what it produces goes. */
interface ActionStep {
  batch: StoreBatch;
  instance: ActiveInstance;
  record: InstanceRecord;
  id: number;
  now: number;
  timestamp: string;
  /** The scheduling events of this episode so far (appended to the history after the last task). */
  produced: HistoryEvent[];
  eagerOutcome?: Promise<ActivityResult>;
}

export class ActionApplier {
  /** Sub-orchestration calls the extension would refuse, already warned about (instance|execution|task id). */
  private readonly refusedCalls = new Set<string>();

  constructor(
    private readonly state: EngineState,
    private readonly activities: ActivityRunner,
    private readonly entities: EntityRunner,
  ) {}

  /** Turns one new task of the episode into its scheduling event and work. Returns a failure if it cannot be done. */
  schedule(
    batch: StoreBatch,
    instance: ActiveInstance,
    record: InstanceRecord,
    tracked: TrackedTask,
    now: number,
    produced: HistoryEvent[],
    eagerOutcome?: Promise<ActivityResult>,
  ): FailureInfo | undefined {
    const step: ActionStep = { batch, instance, record, id: tracked.id, now, timestamp: new Date(now).toISOString(), produced, eagerOutcome };
    const task = tracked.task;
    switch (task.role) {
      case "activity":
        return this.scheduleActivity(step, task);
      case "http":
        return this.scheduleHttpCall(step, task);
      case "timer":
        return this.scheduleTimer(step, task);
      case "retryTimer":
        return this.scheduleRetryTimer(step, task);
      case "subOrchestration":
        return this.startSubOrchestration(step, task);
      case "entity":
        return this.sendEntityOperation(step, task);
      case "entityLock":
        return this.lockOrRelease(step, task);
      case "event":
        return this.sendEvent(step, task);
      default:
        return {
          message: `Orchestrator function '${record.name}' failed: the emulator does not know how to run ${task.description}.`,
          errorType: "NotSupportedException",
        };
    }
  }

  /** An activity: its TaskScheduled and work item (or the outcome the worker already has, when it started it eagerly). */
  private scheduleActivity(step: ActionStep, task: Extract<TrackedTaskRole, { role: "activity" }>): FailureInfo | undefined {
    const { batch, instance, record, id, timestamp, produced, eagerOutcome } = step;
    const activities = this.state.workers.functions.filter((fn) => fn.kind === "activity").map((fn) => fn.name);
    if (!activities.includes(task.name) && !this.state.workers.servesAnyFunction) {
      return {
        message:
          `Orchestrator function '${record.name}' failed: The function '${task.name}' doesn't exist, is disabled, or is not an activity or orchestrator function. ` +
          `Additional info: the following are the known activity functions: ${activities.map((n) => `'${n}'`).join(", ") || "(none)"}.`,
        errorType: "ArgumentException",
      };
    }
    const input = json(task.input) ?? "null";
    produced.push(taskScheduled(id, task.name, input, timestamp));
    this.activities.addWorkItem(batch, instance, id, task.name, input, eagerOutcome);
    return undefined;
  }

  /** A durable HTTP call (callHttp), run by the emulator as the extension's built-in HTTP activity; a poll waits for its timer. */
  private scheduleHttpCall(step: ActionStep, task: Extract<TrackedTaskRole, { role: "http" }>): FailureInfo | undefined {
    const { batch, instance, record, id, timestamp, produced } = step;
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
        this.state.emit({
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
        this.state.emit({
          kind: "warning",
          instanceId: record.instanceId,
          message:
            `${record.name} (${record.instanceId}): callHttp got 202 with Location "${task.pollLocation}", which is not an absolute http(s) URL. ` +
            `On Azure (Linux) the Durable extension polls it as a ${target.unsupportedScheme}: URI and the poll fails with "The '${target.unsupportedScheme}' scheme is not supported."; ` +
            "it fails the same way here. Have the server return an absolute Location URL.",
        });
      }
    }
    const tokenSource = (task.request as { tokenSource?: { resource?: string } }).tokenSource;
    if (tokenSource && task.pollLocation === undefined) {
      // TaskHttpActivityShim.cs:154-157 adds "Authorization: Bearer <token>" from the app's managed identity; there
      // is none here, so the request goes without it.
      this.state.emit({
        kind: "warning",
        instanceId: record.instanceId,
        message:
          `${record.name} (${record.instanceId}): callHttp to ${task.request.uri} has a tokenSource (managed identity, resource "${tokenSource.resource ?? ""}"). ` +
          "On Azure the Durable extension adds an Authorization: Bearer header with a token from the app's managed identity; the emulator has no managed identity and sends the request without it.",
      });
    }
    const input = JSON.stringify({ ...task.request, pollLocation: task.pollLocation } satisfies HttpActivityInput);
    produced.push(taskScheduled(id, HTTP_ACTIVITY_NAME, input, timestamp));
    this.activities.addWorkItem(batch, instance, id, HTTP_ACTIVITY_NAME, input);
    return undefined;
  }

  /** A durable timer: TimerCreated now, its TimerFired when it is due. */
  private scheduleTimer(step: ActionStep, task: Extract<TrackedTaskRole, { role: "timer" }>): FailureInfo | undefined {
    const { batch, instance, id, timestamp, produced } = step;
    // A timer cancelled before it was scheduled is still created, as the Durable extension does; it no longer
    // holds the orchestration open, and its firing is ignored. A callHttp poll's timer waits on wall time.
    this.createTimer(batch, instance, id, Date.parse(task.fireAt), timestamp, produced, task.httpPoll === true);
    return undefined;
  }

  /** The timer before a retry (callActivityWithRetry...), unless the retry policy says to stop. */
  private scheduleRetryTimer(step: ActionStep, task: Extract<TrackedTaskRole, { role: "retryTimer" }>): FailureInfo | undefined {
    const { batch, instance, record, id, now, timestamp, produced } = step;
    const first = instance.scheduled.get(task.firstAttemptId);
    const firstAt = first ? Date.parse(first.Timestamp) : now;
    const decision = nextRetry(task.retryOptions, task.failures, firstAt, now);
    if (!decision.retry) {
      this.state.emit({
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

  /** A sub-orchestration: its creation event and the child instance, unless the extension would refuse the call. */
  private startSubOrchestration(step: ActionStep, task: Extract<TrackedTaskRole, { role: "subOrchestration" }>): FailureInfo | undefined {
    const { batch, record, id, timestamp, produced } = step;
    const orchestrations = this.state.workers.functions.filter((fn) => fn.kind === "orchestration").map((fn) => fn.name);
    if (!orchestrations.includes(task.name) && !this.state.workers.servesAnyFunction) {
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
      this.state.emit({
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
    if (task.version) {
      // The extension drops the version: the out-of-process action has no field for it
      // (OutOfProcOrchestrationShim.cs:304-340), and every sub-orchestration starts with version ""
      // (DurableOrchestrationContext.cs:561-562, "TODO: Support for versioning").
      this.state.emit({
        kind: "warning",
        instanceId: record.instanceId,
        message:
          `${record.name} (${record.instanceId}) called sub-orchestration '${task.name}' with version "${task.version}", which the Durable extension ignores: ` +
          'the sub-orchestration starts with version "" on Azure, and here too (its context.df.version is "").',
      });
    }
    produced.push(subOrchestrationCreated(id, task.name, childId, input, timestamp));
    const existing = this.state.store.getInstance(childId);
    if (existing && !isTerminal(existing.runtimeStatus)) {
      this.state.enqueue(batch, {
        id: this.state.nextId(),
        instanceId: record.instanceId,
        executionId: record.executionId,
        event: subOrchestrationFailed(id, `An orchestration instance with the id "${childId}" already exists and is ${existing.runtimeStatus}.`, "", timestamp),
      });
      return undefined;
    }
    this.state.createInstance(batch, {
      instanceId: childId,
      name: task.name,
      input: task.input,
      inputJson: input,
      parent: { instanceId: record.instanceId, executionId: record.executionId, taskId: id, name: record.name },
      reuse: existing !== undefined,
    });
    return undefined;
  }

  /**
   * An event for another instance: EventSent in the sender's history and EventRaised in the target's queue, as
   * DurableTask.Core's dispatcher turns a SendEventOrchestratorAction into (TaskOrchestrationDispatcher.cs,
   * ProcessSendEventDecision). A target that does not exist or has finished never reads it. An event to an entity is
   * one of the classic entity messages (the .NET SDK on plain gRPC sends its entity calls so: "op" and "release" with
   * the RequestMessage JSON): it goes to the entity's queue, which it creates, as DurableTask.Core's entity backend does.
   */
  private sendEvent(step: ActionStep, task: Extract<TrackedTaskRole, { role: "event" }>): FailureInfo | undefined {
    const { batch, id, timestamp, produced } = step;
    const input = json(task.input);
    produced.push(eventSent(id, task.instanceId, task.name, input ?? "null", timestamp));
    const entityFunction = isEntityInstanceId(task.instanceId) ? this.entities.entityFunctionFor(task.instanceId) : undefined;
    // The message is the SDK's RequestMessage text, as it sent it (its input is a JSON string of that text).
    const message = typeof task.input === "string" ? task.input : (input ?? "");
    if (entityFunction && task.name === ENTITY_OPERATION_EVENT) this.entities.sendToEntity(batch, task.instanceId, entityFunction, message);
    else if (entityFunction && task.name === ENTITY_RELEASE_EVENT) this.entities.sendEntityMessage(batch, task.instanceId, ENTITY_RELEASE_EVENT, message);
    else this.state.enqueue(batch, { id: this.state.nextId(), instanceId: task.instanceId, event: eventRaised(task.name, input, timestamp) });
    return undefined;
  }

  /** callEntity / signalEntity: the request message, sent to the entity's queue. */
  private sendEntityOperation(step: ActionStep, task: Extract<TrackedTaskRole, { role: "entity" }>): FailureInfo | undefined {
    const { batch, instance, record, id, timestamp, produced } = step;
    const entityFunction = this.entities.entityFunctionFor(task.entityInstanceId);
    if (!entityFunction) {
      const known = this.state.workers.functions.filter((fn) => fn.kind === "entity").map((fn) => `'${fn.name}'`);
      return {
        message: `Orchestrator function '${record.name}' failed: there is no entity function for ${task.entityInstanceId}. Known entity functions: ${known.join(", ") || "(none)"}.`,
        errorType: "ArgumentException",
      };
    }
    const request: EntityRequest = {
      id: task.requestId ?? randomUUID(),
      op: task.operationName,
      signal: task.operation === "signal",
      input: json(task.input),
      // The sender, for signals too (DurableOrchestrationContext.cs:679-687; the lock holder check); only calls are answered.
      parent: record.instanceId,
      parentExecution: record.executionId,
      due: task.scheduledTime,
    };
    const input = encodeEntityRequest(request, this.entities.orchestrationLabel(instance, task.entityInstanceId, timestamp));
    produced.push(eventSent(id, task.entityInstanceId, ENTITY_OPERATION_EVENT, input, timestamp));
    const due = task.scheduledTime === undefined ? undefined : Date.parse(task.scheduledTime);
    this.entities.sendToEntity(batch, task.entityInstanceId, entityFunction, input, undefined, due);
    return undefined;
  }

  /** A critical section: the lock request (to the first entity of the lock set) or one entity's release. */
  private lockOrRelease(step: ActionStep, task: Extract<TrackedTaskRole, { role: "entityLock" }>): FailureInfo | undefined {
    const { batch, instance, record, id, timestamp, produced } = step;
    if (task.operation === "release") {
      // DurableOrchestrationContext.ReleaseLocks: one release message per locked entity.
      const release = { parent: record.instanceId, id: lockRequestIdOf(instance.history, produced) };
      const input = JSON.stringify(release);
      produced.push(eventSent(id, task.entityInstanceId, ENTITY_RELEASE_EVENT, input, timestamp));
      this.entities.sendEntityMessage(batch, task.entityInstanceId, ENTITY_RELEASE_EVENT, input);
      return undefined;
    }
    // DurableOrchestrationContext.LockAsync: the lock request goes to the first entity of the (sorted) lock set,
    // which passes it on once it has granted its lock; the last one answers.
    const known = this.state.workers.functions.filter((fn) => fn.kind === "entity").map((fn) => `'${fn.name}'`);
    const unknown = task.entityInstanceIds.find((entityId) => !this.entities.entityFunctionFor(entityId));
    if (unknown !== undefined || !task.entityInstanceIds.length) {
      return {
        message: `Orchestrator function '${record.name}' failed: there is no entity function for ${unknown ?? "(an empty lock set)"}. Known entity functions: ${known.join(", ") || "(none)"}.`,
        errorType: "ArgumentException",
      };
    }
    const request: EntityRequest = {
      id: task.requestId ?? randomUUID(),
      op: "",
      signal: false,
      parent: record.instanceId,
      parentExecution: record.executionId,
      lockSet: task.entityInstanceIds,
      pos: 0,
    };
    const first = task.entityInstanceIds[0];
    const input = encodeEntityRequest(request, this.entities.orchestrationLabel(instance, first, timestamp));
    produced.push(eventSent(id, first, ENTITY_OPERATION_EVENT, input, timestamp));
    this.entities.sendToEntity(batch, first, this.entities.entityFunctionFor(first) as string, input);
    return undefined;
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

  private createTimer(
    batch: StoreBatch,
    instance: ActiveInstance,
    id: number,
    fireAt: number,
    timestamp: string,
    produced: HistoryEvent[],
    wallClock = false,
  ): void {
    const fireAtIso = new Date(fireAt).toISOString();
    produced.push(timerCreated(id, fireAtIso, timestamp));
    this.state.enqueue(batch, {
      id: this.state.nextId(),
      instanceId: instance.record.instanceId,
      executionId: instance.record.executionId,
      visibleAt: fireAt,
      wallClockDueAt: wallClock && this.state.clock.skipping ? this.state.clock.wall() + Math.max(0, fireAt - this.state.clock.now()) : undefined,
      // TaskOrchestrationDispatcher.cs:1252 builds the TimerFired message with the decision, so its Timestamp
      // (HistoryEvent.cs:55, DateTime.UtcNow) is when the timer was created; FireAt is when it fires.
      event: timerFired(id, fireAtIso, timestamp),
    });
  }
}
