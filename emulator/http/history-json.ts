/**
 * History as the management API's `historyEvents` shows it: a port of the Durable extension's
 * DurableClient.GetDurableOrchestrationStatusAsync (src/WebJobs.Extensions.DurableTask/ContextImplementations/
 * DurableClient.cs:938-1042), applied to the stored events, whose fields are DurableTask.Core's. Event types become
 * names; a completion or failure takes its scheduling event's FunctionName, ScheduledTime and Input, and the
 * scheduling event is dropped; one still in flight stays as it is (TaskScheduled, SubOrchestrationInstanceCreated);
 * OrchestratorStarted and OrchestratorCompleted go; EventId and IsPlayed go. Inputs stay the raw JSON text the
 * history holds (an activity's wrapped in an array, as DurableTask.Core stores it), shown unless showInput=false;
 * results appear only with showHistoryOutput, parsed.
 */
import { HistoryEventType, eventTypeName, type HistoryEvent } from "../history/history-event";
import { parseToJToken, newtonsoftDate } from "../core/azure-json";

/** DurableTask.Core's OrchestrationStatus names, by number (ExecutionCompleted's OrchestrationStatus). */
const ORCHESTRATION_STATUS = ["Running", "Completed", "ContinuedAsNew", "Failed", "Canceled", "Terminated", "Pending", "Suspended"];

/** Fields that hold a DateTime in DurableTask.Core's events: written as Newtonsoft.Json writes a DateTime. */
const DATE_FIELDS = ["Timestamp", "FireAt", "ScheduledStartTime"];

export function renderHistory(history: HistoryEvent[], options: { showHistoryOutput: boolean; showInput: boolean }): Record<string, unknown>[] {
  const { showHistoryOutput, showInput } = options;
  // The rewritten events, and the positions to drop afterwards (DurableClient.cs:948-949, 1031-1037).
  const items: Record<string, unknown>[] = history.map((event) => ({ ...storedShape(event) }));
  const scheduled = new Map<string, { index: number; name: unknown; date: unknown; input: unknown }>();
  const dropped = new Set<number>();
  const aggregate = (prefix: string, item: Record<string, unknown>) => {
    const origin = scheduled.get(`${prefix}_${String(item.TaskScheduledId)}`);
    if (!origin) return;
    item.ScheduledTime = origin.date;
    item.FunctionName = origin.name;
    if (showInput) item.Input = origin.input;
    dropped.add(origin.index);
  };
  items.forEach((item, index) => {
    const type = history[index].EventType;
    const name = eventTypeName(type);
    item.EventType = name;
    switch (type) {
      case HistoryEventType.TaskScheduled:
      case HistoryEventType.SubOrchestrationInstanceCreated:
        // DurableTask.Core schedules an activity with its parameters as an array (TaskOrchestrationContext.cs:130,
        // SerializeInternal(object[] parameters)): `["Tokyo"]`; a sub-orchestration's input as it is (line 236).
        if (type === HistoryEventType.TaskScheduled) item.Input = `[${(item.Input as string | undefined) ?? "null"}]`;
        scheduled.set(`${name}_${String(item.EventId)}`, { index, name: item.Name, date: item.Timestamp, input: item.Input });
        delete item.Version;
        break;
      case HistoryEventType.TaskCompleted:
      case HistoryEventType.TaskFailed:
      case HistoryEventType.SubOrchestrationInstanceCompleted:
      case HistoryEventType.SubOrchestrationInstanceFailed: {
        const sub = type === HistoryEventType.SubOrchestrationInstanceCompleted || type === HistoryEventType.SubOrchestrationInstanceFailed;
        aggregate(sub ? "SubOrchestrationInstanceCreated" : "TaskScheduled", item);
        delete item.TaskScheduledId;
        const completed = type === HistoryEventType.TaskCompleted || type === HistoryEventType.SubOrchestrationInstanceCompleted;
        if (completed && !showHistoryOutput) delete item.Result;
        if (completed && showHistoryOutput) item.Result = parseToJToken(item.Result as string | undefined);
        break;
      }
      case HistoryEventType.ExecutionStarted:
        item.FunctionName = item.Name;
        delete item.Name;
        delete item.OrchestrationInstance;
        delete item.ParentInstance;
        delete item.Version;
        delete item.Tags;
        break;
      case HistoryEventType.ExecutionCompleted:
        item.OrchestrationStatus = ORCHESTRATION_STATUS[item.OrchestrationStatus as number] ?? item.OrchestrationStatus;
        if (showHistoryOutput) item.Result = parseToJToken(item.Result as string | undefined);
        else delete item.Result;
        break;
      case HistoryEventType.TimerFired:
        delete item.TimerId;
        break;
      case HistoryEventType.OrchestratorStarted:
      case HistoryEventType.OrchestratorCompleted:
        dropped.add(index);
        break;
    }
    if (!showInput) delete item.Input;
    delete item.EventId;
    delete item.IsPlayed;
  });
  return items.filter((_, index) => !dropped.has(index));
}

/**
 * The event as DurableTask.Core stores it, where the emulator keeps it otherwise: a termination's reason and the
 * result of the termination it causes are the reason's raw text (TaskHubClient.TerminateInstanceAsync puts the
 * reason itself into ExecutionTerminatedEvent.Input), not JSON; a GenericEvent's text is its Data.
 */
function storedShape(event: HistoryEvent): Record<string, unknown> {
  const shape: Record<string, unknown> = { ...event };
  if (event.EventType === HistoryEventType.ExecutionTerminated) shape.Input = rawReason(event.Input);
  if (event.EventType === HistoryEventType.ExecutionCompleted && event.OrchestrationStatus === 5) shape.Result = rawReason(event.Result);
  if (event.EventType === HistoryEventType.GenericEvent) {
    shape.Data = event.Reason;
    delete shape.Reason;
  }
  for (const field of DATE_FIELDS) if (typeof shape[field] === "string") shape[field] = newtonsoftDate(shape[field] as string);
  return shape;
}

/** The emulator keeps a termination reason as JSON text (a string, or null); DurableTask.Core keeps the text itself. */
export function rawReason(jsonText: string | undefined): string | null {
  if (jsonText === undefined) return null;
  try {
    const value = JSON.parse(jsonText) as unknown;
    return value === null ? null : typeof value === "string" ? value : jsonText;
  } catch {
    return jsonText;
  }
}
