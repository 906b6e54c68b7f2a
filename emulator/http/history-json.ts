/**
 * History as the management API's `historyEvents` shows it (the Durable extension's format): event types as
 * names, scheduling events folded into their completions (with Name and ScheduledTime), orchestrator bookkeeping
 * events left out, results only with showHistoryOutput.
 */
import { HistoryEventType, eventTypeName, SCHEDULING_EVENT_TYPES, completedTaskId, type HistoryEvent } from "../history/history-event";
import { parseJsonText as parse } from "../api/json-text";

const HIDDEN = new Set([HistoryEventType.OrchestratorStarted, HistoryEventType.OrchestratorCompleted, HistoryEventType.TaskScheduled, HistoryEventType.SubOrchestrationInstanceCreated]);


export function renderHistory(history: HistoryEvent[], showOutput: boolean): Record<string, unknown>[] {
  const scheduled = new Map<number, HistoryEvent>();
  for (const event of history) if (SCHEDULING_EVENT_TYPES.has(event.EventType)) scheduled.set(event.EventId, event);
  const rendered: Record<string, unknown>[] = [];
  for (const event of history) {
    if (HIDDEN.has(event.EventType)) continue;
    const json: Record<string, unknown> = { EventType: eventTypeName(event.EventType), Timestamp: event.Timestamp };
    const origin = scheduled.get(completedTaskId(event) ?? -2);
    switch (event.EventType) {
      case HistoryEventType.ExecutionStarted:
        json.FunctionName = event.Name;
        if (showOutput) json.Input = parse(event.Input);
        break;
      case HistoryEventType.ExecutionCompleted:
        json.OrchestrationStatus = ["Running", "Completed", "ContinuedAsNew", "Failed", "Canceled", "Terminated", "Pending", "Suspended"][event.OrchestrationStatus ?? 0];
        if (showOutput) json.Result = parse(event.Result);
        break;
      case HistoryEventType.TaskCompleted:
      case HistoryEventType.SubOrchestrationInstanceCompleted:
        json.FunctionName = origin?.Name;
        json.ScheduledTime = origin?.Timestamp;
        if (event.EventType === HistoryEventType.SubOrchestrationInstanceCompleted) json.InstanceId = origin?.InstanceId;
        if (showOutput) json.Result = parse(event.Result);
        break;
      case HistoryEventType.TaskFailed:
      case HistoryEventType.SubOrchestrationInstanceFailed:
        json.FunctionName = origin?.Name;
        json.ScheduledTime = origin?.Timestamp;
        json.Reason = event.Reason;
        json.Details = event.Details;
        break;
      case HistoryEventType.TimerCreated:
      case HistoryEventType.TimerFired:
        json.FireAt = event.FireAt;
        break;
      case HistoryEventType.EventRaised:
      case HistoryEventType.EventSent:
        json.Name = event.Name;
        if (showOutput) json.Input = parse(event.Input);
        break;
      case HistoryEventType.ExecutionTerminated:
      case HistoryEventType.ExecutionSuspended:
      case HistoryEventType.ExecutionResumed:
        json.Reason = event.Reason ?? parse(event.Input);
        break;
      case HistoryEventType.GenericEvent:
        json.Data = event.Reason;
        break;
    }
    rendered.push(json);
  }
  return rendered;
}
