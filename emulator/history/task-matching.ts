/**
 * How the task ids a replay produced are checked against the scheduling events already in the history, as
 * DurableTask.Core does when it replays an orchestration: a task whose id is in the history must be the same kind of
 * call with the same name, every scheduled event must be produced again, and the tasks that are not in the history
 * are new work. (The matching itself runs in the app host: app-host/replay-observer.ts.)
 */
import { HistoryEventType, type HistoryEvent, eventTypeName } from "./history-event";
import type { TrackedTask, TrackedTaskRole } from "../core/tasks";

export const HTTP_ACTIVITY_NAME = "BuiltIn::HttpActivity";

export interface NondeterminismReport {
  eventId: number;
  /** What the history says happened at this id. */
  expected: string;
  /** What the current code did at this id. */
  actual: string;
  /** The app's source line that made the call which no longer matches, when it could be found. */
  sourceLine?: string;
  message: string;
}

export interface TaskMatch {
  newTasks: TrackedTask[];
  nondeterminism?: NondeterminismReport;
}

export function expectedEventFor(role: TrackedTaskRole): { type: HistoryEventType; name?: string } | undefined {
  switch (role.role) {
    case "activity":
      return { type: HistoryEventType.TaskScheduled, name: role.name };
    case "http":
      return { type: HistoryEventType.TaskScheduled, name: HTTP_ACTIVITY_NAME };
    case "subOrchestration":
      return { type: HistoryEventType.SubOrchestrationInstanceCreated, name: role.name };
    case "timer":
    case "retryTimer":
      return { type: HistoryEventType.TimerCreated };
    case "entity":
    case "entityLock":
    case "event":
      return { type: HistoryEventType.EventSent };
    default:
      return undefined;
  }
}

export function describeTask(role: TrackedTaskRole): string {
  switch (role.role) {
    case "activity":
      return `call of activity '${role.name}'`;
    case "http":
      return `durable HTTP call (${role.request.method} ${role.request.uri})`;
    case "subOrchestration":
      return `call of sub-orchestration '${role.name}'`;
    case "timer":
      return `timer (fires at ${role.fireAt})`;
    case "retryTimer":
      return "retry timer";
    case "entity":
      return `entity ${role.operation} of '${role.operationName}' on ${role.entityInstanceId}`;
    case "entityLock":
      return `entity ${role.operation}`;
    case "event":
      return `event '${role.name}' sent to ${role.instanceId}`;
    default:
      return role.description;
  }
}

export function describeScheduledEvent(event: HistoryEvent): string {
  switch (event.EventType) {
    case HistoryEventType.TaskScheduled:
      return event.Name === HTTP_ACTIVITY_NAME ? "durable HTTP call" : `call of activity '${event.Name}'`;
    case HistoryEventType.SubOrchestrationInstanceCreated:
      return `call of sub-orchestration '${event.Name}'`;
    case HistoryEventType.TimerCreated:
      return `timer (fires at ${event.FireAt})`;
    case HistoryEventType.EventSent:
      return `event '${event.Name}' sent to ${event.InstanceId}`;
    default:
      return eventTypeName(event.EventType);
  }
}

export function mismatch(eventId: number, event: HistoryEvent, now: TrackedTaskRole, sourceLine?: string): NondeterminismReport {
  const was = describeScheduledEvent(event);
  const actual = describeTask(now);
  return {
    eventId,
    expected: was,
    actual,
    sourceLine,
    message:
      `Non-deterministic workflow detected: a previous execution of this orchestration made a ${was} as task ${eventId}, ` +
      `but the current code makes a ${actual} there${sourceLine ? ` (at ${sourceLine})` : ""}. Was the orchestrator code changed after this instance started?`,
  };
}

export function missing(eventId: number, event: HistoryEvent): NondeterminismReport {
  const was = describeScheduledEvent(event);
  return {
    eventId,
    expected: was,
    actual: "nothing",
    message:
      `Non-deterministic workflow detected: a previous execution of this orchestration made a ${was} as task ${eventId}, ` +
      "but the current code has not made it. Was the orchestrator code changed after this instance started?",
  };
}
