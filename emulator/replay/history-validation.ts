/**
 * Checks a history read from a file before the package replays it: what the package would trip over with a raw
 * stack (a completion that names no task, a result that is not JSON text), and what would otherwise replay as
 * "ok" without meaning anything (events repeated, a file whose name disagrees with its ExecutionStarted event).
 */
import { HistoryEventType, SCHEDULING_EVENT_TYPES, completedTaskId, type HistoryEvent } from "../history/history-event";
import { HistoryFileError } from "./history-file-error";

const COMPLETION_EVENT_TYPES: ReadonlySet<HistoryEventType> = new Set([
  HistoryEventType.TaskCompleted,
  HistoryEventType.TaskFailed,
  HistoryEventType.SubOrchestrationInstanceCompleted,
  HistoryEventType.SubOrchestrationInstanceFailed,
  HistoryEventType.TimerFired,
]);

/** Fields the package parses with JSON.parse, by event type. */
const JSON_TEXT_FIELDS: Partial<Record<HistoryEventType, (keyof HistoryEvent)[]>> = {
  [HistoryEventType.ExecutionStarted]: ["Input"],
  [HistoryEventType.TaskCompleted]: ["Result"],
  [HistoryEventType.SubOrchestrationInstanceCompleted]: ["Result"],
  [HistoryEventType.EventRaised]: ["Input"],
};

export function validateHistory(history: readonly HistoryEvent[], origin: string, fileName?: string): void {
  const scheduledAt = new Map<number, number>();
  let startedAt: number | undefined;
  history.forEach((event, index) => {
    const type = HistoryEventType[event.EventType];
    const where = `Event ${index} of ${origin} (${type})`;
    if (event.EventType === HistoryEventType.ExecutionStarted) {
      if (startedAt !== undefined)
        throw new HistoryFileError(
          `${where} is a second ExecutionStarted (the first is event ${startedAt}): the history holds events twice, or two executions. Export it again.`,
        );
      startedAt = index;
    }
    if (SCHEDULING_EVENT_TYPES.has(event.EventType) && event.EventId >= 0) {
      const first = scheduledAt.get(event.EventId);
      if (first !== undefined)
        throw new HistoryFileError(
          `${where} repeats task id ${event.EventId}, which event ${first} already scheduled: the history holds events twice. Export it again.`,
        );
      scheduledAt.set(event.EventId, index);
    }
    if (COMPLETION_EVENT_TYPES.has(event.EventType) && typeof completedTaskId(event) !== "number") {
      const field = event.EventType === HistoryEventType.TimerFired ? "TimerId" : "TaskScheduledId";
      throw new HistoryFileError(`${where} has no ${field}, so it completes no task. Each completion names the id of the event that scheduled it.`);
    }
    for (const field of JSON_TEXT_FIELDS[event.EventType] ?? []) {
      const value = event[field];
      if (value === undefined || value === null) continue;
      if (typeof value !== "string") throw new HistoryFileError(`${where}: ${field} must be JSON text (a string), not ${typeof value}.`);
      try {
        JSON.parse(value);
      } catch (error) {
        throw new HistoryFileError(
          `${where}: ${field} is not JSON text (${(error as Error).message}): ${value.length > 60 ? `${value.slice(0, 60)}…` : value}`,
        );
      }
    }
  });
  const started = startedAt === undefined ? undefined : history[startedAt];
  if (fileName && started?.Name && started.Name !== fileName) {
    throw new HistoryFileError(
      `${origin} says it is a history of "${fileName}", but its ExecutionStarted event started "${started.Name}". Replay it as "${started.Name}", or export the history again.`,
    );
  }
}
