/**
 * Matches the task ids a replay produced against the scheduling events already in the history, as DurableTask.Core
 * does when it replays an orchestration: a task whose id is in the history must be the same kind of call with the
 * same name, every scheduled event must be produced again, and the tasks that are not in the history are new work.
 */
import { HistoryEventType, type HistoryEvent, eventTypeName } from "./history-event";
import type { TrackedTask, TrackedTaskRole } from "../app-host/protocol";

export const HTTP_ACTIVITY_NAME = "BuiltIn::HttpActivity";

export interface NondeterminismReport {
  eventId: number;
  /** What the history says happened at this id. */
  expected: string;
  /** What the current code did at this id. */
  actual: string;
  message: string;
}

export interface TaskMatch {
  newTasks: TrackedTask[];
  nondeterminism?: NondeterminismReport;
}

function expectedEventFor(role: TrackedTaskRole): { type: HistoryEventType; name?: string } | undefined {
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
      return `entity ${role.operation}`;
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

/**
 * @param scheduled the history's scheduling events (TaskScheduled, TimerCreated, SubOrchestrationInstanceCreated,
 *   EventSent) by EventId
 * @param replayFailed the orchestrator threw during this replay, so it may legitimately not reach every call
 */
export function matchTasksToHistory(
  tracked: readonly TrackedTask[],
  scheduled: ReadonlyMap<number, HistoryEvent>,
  replayFailed: boolean,
): TaskMatch {
  const newTasks: TrackedTask[] = [];
  const seen = new Set<number>();
  for (const task of tracked) {
    seen.add(task.id);
    const event = scheduled.get(task.id);
    if (!event) {
      newTasks.push(task);
      continue;
    }
    const expected = expectedEventFor(task.task);
    const sameKind = expected !== undefined && expected.type === event.EventType;
    const sameName = expected?.name === undefined || expected.name === event.Name;
    if (!sameKind || !sameName) {
      const was = describeScheduledEvent(event);
      const now = describeTask(task.task);
      return {
        newTasks,
        nondeterminism: {
          eventId: task.id,
          expected: was,
          actual: now,
          message:
            `Non-deterministic workflow detected: a previous execution of this orchestration made a ${was} as task ${task.id}, ` +
            `but the current code makes a ${now} there. Was the orchestrator code changed after this instance started?`,
        },
      };
    }
  }
  if (!replayFailed) {
    for (const [eventId, event] of scheduled) {
      if (seen.has(eventId)) continue;
      const was = describeScheduledEvent(event);
      return {
        newTasks,
        nondeterminism: {
          eventId,
          expected: was,
          actual: "nothing",
          message:
            `Non-deterministic workflow detected: a previous execution of this orchestration made a ${was} as task ${eventId}, ` +
            "but the current code has not made it. Was the orchestrator code changed after this instance started?",
        },
      };
    }
  }
  return { newTasks };
}
