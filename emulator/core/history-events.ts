/**
 * The history events the engine writes, one factory per kind, in DurableTask.Core's shape (history/history-event.ts
 * has the types): an event that schedules something carries its task id as EventId, every other one -1 until it is
 * given a place. Times are ISO 8601 UTC.
 */
import { HistoryEventType as T, OrchestrationStatusCode, type HistoryEvent } from "../history/history-event";

// Each factory writes its object literal out (no spread of a base): literals of one shape stay fast to build and to
// serialize, which a fan-out of thousands of events per episode notices.
function event(type: T, at: string, eventId = -1): HistoryEvent {
  return { EventType: type, EventId: eventId, Timestamp: at, IsPlayed: false };
}

export const orchestratorStarted = (at: string): HistoryEvent => event(T.OrchestratorStarted, at);
export const orchestratorCompleted = (at: string): HistoryEvent => event(T.OrchestratorCompleted, at);

/** An activity (or the built-in HTTP activity) scheduled as task `id`; `input` is JSON text. */
export const taskScheduled = (id: number, name: string, input: string, at: string): HistoryEvent => ({
  EventType: T.TaskScheduled,
  EventId: id,
  Timestamp: at,
  IsPlayed: false,
  Name: name,
  Input: input,
});
export const taskCompleted = (taskId: number, result: string, at: string): HistoryEvent => ({
  EventType: T.TaskCompleted,
  EventId: -1,
  Timestamp: at,
  IsPlayed: false,
  TaskScheduledId: taskId,
  Result: result,
});
export const taskFailed = (taskId: number, reason: string, details: string, at: string): HistoryEvent => ({
  EventType: T.TaskFailed,
  EventId: -1,
  Timestamp: at,
  IsPlayed: false,
  TaskScheduledId: taskId,
  Reason: reason,
  Details: details,
});

export const timerCreated = (id: number, fireAt: string, at: string): HistoryEvent => ({
  EventType: T.TimerCreated,
  EventId: id,
  Timestamp: at,
  IsPlayed: false,
  FireAt: fireAt,
});
/** Stamped when the timer is created (TaskOrchestrationDispatcher builds it with the decision); it fires at FireAt. */
export const timerFired = (timerId: number, fireAt: string, createdAt: string): HistoryEvent => ({
  EventType: T.TimerFired,
  EventId: -1,
  Timestamp: createdAt,
  IsPlayed: false,
  TimerId: timerId,
  FireAt: fireAt,
});

export const eventRaised = (name: string, input: string | undefined, at: string): HistoryEvent => ({
  EventType: T.EventRaised,
  EventId: -1,
  Timestamp: at,
  IsPlayed: false,
  Name: name,
  Input: input,
});
/** A message the orchestration sent (task `id`) to another instance: an entity operation or release. */
export const eventSent = (id: number, instanceId: string, name: string, input: string, at: string): HistoryEvent => ({
  EventType: T.EventSent,
  EventId: id,
  Timestamp: at,
  IsPlayed: false,
  InstanceId: instanceId,
  Name: name,
  Input: input,
});

/** A sub-orchestration started as task `id`, under `instanceId`; `input` is JSON text (not wrapped, as an activity's is). */
export const subOrchestrationCreated = (id: number, name: string, instanceId: string, input: string | undefined, at: string): HistoryEvent => ({
  EventType: T.SubOrchestrationInstanceCreated,
  EventId: id,
  Timestamp: at,
  IsPlayed: false,
  Name: name,
  Version: "",
  InstanceId: instanceId,
  Input: input,
});
export const subOrchestrationCompleted = (taskId: number, result: string, at: string): HistoryEvent => ({
  EventType: T.SubOrchestrationInstanceCompleted,
  EventId: -1,
  Timestamp: at,
  IsPlayed: false,
  TaskScheduledId: taskId,
  Result: result,
});
export const subOrchestrationFailed = (taskId: number, reason: string, details: string, at: string): HistoryEvent => ({
  EventType: T.SubOrchestrationInstanceFailed,
  EventId: -1,
  Timestamp: at,
  IsPlayed: false,
  TaskScheduledId: taskId,
  Reason: reason,
  Details: details,
});

/** The execution's end; its EventId is set when it takes its place in the sequence (execution-end.ts). */
export const executionCompleted = (status: OrchestrationStatusCode, result: string | undefined, at: string): HistoryEvent => ({
  EventType: T.ExecutionCompleted,
  EventId: -1,
  Timestamp: at,
  IsPlayed: false,
  OrchestrationStatus: status,
  Result: result,
});

/** A note in the history that wakes the orchestration (a rewind). */
export const genericEvent = (reason: string, at: string): HistoryEvent => ({
  EventType: T.GenericEvent,
  EventId: -1,
  Timestamp: at,
  IsPlayed: false,
  Reason: reason,
});
