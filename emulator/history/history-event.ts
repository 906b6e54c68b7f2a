/**
 * History events in the exact JSON shape the Durable Task extension hands to the `durable-functions` package
 * (PascalCase fields, numeric EventType). The emulator stores, exports and replays these unchanged, so a history
 * saved here can be replayed by the debugger and one exported from Azure can be read here.
 */
export enum HistoryEventType {
  ExecutionStarted = 0,
  ExecutionCompleted = 1,
  ExecutionFailed = 2,
  ExecutionTerminated = 3,
  TaskScheduled = 4,
  TaskCompleted = 5,
  TaskFailed = 6,
  SubOrchestrationInstanceCreated = 7,
  SubOrchestrationInstanceCompleted = 8,
  SubOrchestrationInstanceFailed = 9,
  TimerCreated = 10,
  TimerFired = 11,
  OrchestratorStarted = 12,
  OrchestratorCompleted = 13,
  EventSent = 14,
  EventRaised = 15,
  ContinueAsNew = 16,
  GenericEvent = 17,
  HistoryState = 18,
  ExecutionSuspended = 19,
  ExecutionResumed = 20,
}

/** Orchestration status numbers as DurableTask.Core writes them into ExecutionCompleted events. */
export enum OrchestrationStatusCode {
  Running = 0,
  Completed = 1,
  ContinuedAsNew = 2,
  Failed = 3,
  Canceled = 4,
  Terminated = 5,
  Pending = 6,
  Suspended = 7,
}

export interface FailureDetailsDto {
  ErrorType: string;
  ErrorMessage: string;
  StackTrace?: string;
  IsNonRetriable?: boolean;
  Properties?: Record<string, unknown>;
  InnerFailure?: FailureDetailsDto;
}

export interface HistoryEvent {
  EventType: HistoryEventType;
  EventId: number;
  /** ISO 8601 UTC timestamp. */
  Timestamp: string;
  IsPlayed: boolean;
  Name?: string;
  Version?: string;
  /** JSON text of an input (ExecutionStarted, TaskScheduled, EventRaised, EventSent, SubOrchestrationInstanceCreated). */
  Input?: string;
  /** JSON text of a result (TaskCompleted, SubOrchestrationInstanceCompleted, ExecutionCompleted). */
  Result?: string;
  TaskScheduledId?: number;
  TimerId?: number;
  FireAt?: string;
  /** An ExecutionStarted's scheduled start (ExecutionStartedEvent.ScheduledStartTime): the episode runs no earlier. */
  ScheduledStartTime?: string;
  Reason?: string;
  Details?: string;
  FailureDetails?: FailureDetailsDto;
  OrchestrationStatus?: OrchestrationStatusCode;
  InstanceId?: string;
  /** DurableTask.Core's ParentInstance (ParentInstance.cs) of a sub-orchestration's ExecutionStarted. */
  ParentInstance?: { Name: string; Version?: string; TaskScheduleId: number; OrchestrationInstance: { InstanceId: string; ExecutionId: string } };
  OrchestrationInstance?: { InstanceId: string; ExecutionId: string };
}

export function isoNow(ms: number): string {
  return new Date(ms).toISOString();
}

/** Events that record something the orchestrator scheduled; their EventId is the task id the package assigned. */
export const SCHEDULING_EVENT_TYPES: ReadonlySet<HistoryEventType> = new Set([
  HistoryEventType.TaskScheduled,
  HistoryEventType.TimerCreated,
  HistoryEventType.SubOrchestrationInstanceCreated,
  HistoryEventType.EventSent,
]);

/** Events that complete a scheduled task; they carry the scheduling event's id. */
export function completedTaskId(event: HistoryEvent): number | undefined {
  switch (event.EventType) {
    case HistoryEventType.TaskCompleted:
    case HistoryEventType.TaskFailed:
    case HistoryEventType.SubOrchestrationInstanceCompleted:
    case HistoryEventType.SubOrchestrationInstanceFailed:
      return event.TaskScheduledId;
    case HistoryEventType.TimerFired:
      return event.TimerId;
    default:
      return undefined;
  }
}

/** The task id an event names: its own EventId when it schedules, the scheduling event's id when it completes. */
export function taskIdOf(event: HistoryEvent): number | undefined {
  return SCHEDULING_EVENT_TYPES.has(event.EventType) ? event.EventId : completedTaskId(event);
}

/** The id the next action of an execution takes: one past the highest id its history holds (0 for none). */
export function nextSequenceId(history: readonly HistoryEvent[]): number {
  let max = -1;
  for (const event of history) if (event.EventId > max) max = event.EventId;
  return max + 1;
}

export function eventTypeName(type: HistoryEventType): string {
  return HistoryEventType[type] ?? `EventType${type}`;
}
