/**
 * What an instance is waiting for, answered from what is stored: the external events its last episode reported
 * (the record) and the tasks the history schedules without completing them. Used by the dashboard's read API,
 * and through it by the extension, so that a waiting instance says what would move it on.
 */
import { isTerminal, type InstanceRecord, type InstanceWaits } from "../api/types";
import { HistoryEventType, completedTaskId, type HistoryEvent } from "../history/history-event";

export function noWaits(): InstanceWaits {
  return { events: [], timers: [], activities: [], subOrchestrations: [] };
}

export function instanceWaits(record: InstanceRecord, history: readonly HistoryEvent[]): InstanceWaits {
  const waits = noWaits();
  // Pending: not started yet, nothing asked for. ContinuedAsNew: between executions, the next one will say.
  if (isTerminal(record.runtimeStatus) || record.runtimeStatus === "Pending" || record.runtimeStatus === "ContinuedAsNew") return waits;
  const completed = new Set<number>();
  for (const event of history) {
    const taskId = completedTaskId(event);
    if (taskId !== undefined) completed.add(taskId);
  }
  // A cancelled timer stays open until it fires (its firing is then ignored), but nothing waits for it.
  const canceled = new Set(record.canceledTimerIds ?? []);
  for (const event of history) {
    if (completed.has(event.EventId)) continue;
    switch (event.EventType) {
      case HistoryEventType.TimerCreated:
        if (!canceled.has(event.EventId) && event.FireAt) waits.timers.push({ taskId: event.EventId, fireAt: event.FireAt });
        break;
      case HistoryEventType.TaskScheduled:
        waits.activities.push({ taskId: event.EventId, name: event.Name ?? "", scheduledAt: event.Timestamp });
        break;
      case HistoryEventType.SubOrchestrationInstanceCreated:
        waits.subOrchestrations.push({ taskId: event.EventId, name: event.Name ?? "", instanceId: event.InstanceId, scheduledAt: event.Timestamp });
        break;
      default:
        break;
    }
  }
  waits.timers.sort((a, b) => Date.parse(a.fireAt) - Date.parse(b.fireAt));
  waits.events = [...(record.waitingForEvents ?? [])];
  return waits;
}
