/**
 * Replaying a chain's next episode ahead of the emulator's request. When the only task an orchestration waits on is
 * an activity the app host ran eagerly, its next episode is predictable: the emulator will send the activity's
 * TaskScheduled, OrchestratorCompleted, then OrchestratorStarted and its TaskCompleted. The app host replays that
 * history while the emulator commits the step, and answers the request from it when it comes, if it brings exactly
 * those events. Nothing is sent ahead and nothing runs that the emulator did not ask for: the activities the
 * episode schedules start only with the request's eager slots, and the replay's logs are held until it is used.
 *
 * The one thing the app host cannot predict is the new OrchestratorStarted's time. So the replay sees a time of its
 * own, and is used only if the orchestrator never read `currentUtcDateTime` (nor called newGuid or made a timer,
 * which read it) after the package moved its clock to that time: its decision is then the same at any time.
 */
import { HistoryEventType as T, type HistoryEvent } from "../history/history-event";
import { orchestratorCompleted, orchestratorStarted, taskCompleted, taskScheduled } from "../core/history-events";

/**
 * The events the emulator will send for the next episode once the eagerly run activity `taskId` has completed;
 * undefined when its input or result is not JSON (the emulator will fail the step instead).
 */
export function predictedEvents(taskId: number, name: string, input: unknown, result: unknown, at: string): HistoryEvent[] | undefined {
  let inputText: string;
  let resultText: string;
  try {
    inputText = JSON.stringify(input) ?? "null";
    resultText = JSON.stringify(result) ?? "null";
  } catch {
    return undefined;
  }
  return [taskScheduled(taskId, name, inputText, at), orchestratorCompleted(at), orchestratorStarted(at), taskCompleted(taskId, resultText, at)];
}

/** Whether the emulator's events are the predicted ones, times aside (the replay did not depend on them). */
export function sameEventsApartFromTime(actual: readonly HistoryEvent[], predicted: readonly HistoryEvent[]): boolean {
  if (actual.length !== predicted.length) return false;
  return actual.every((event, index) => sameApartFromTime(event, predicted[index]));
}

const IGNORED = new Set(["Timestamp", "IsPlayed"]);

function sameApartFromTime(a: HistoryEvent, b: HistoryEvent): boolean {
  const left = a as unknown as Record<string, unknown>;
  const right = b as unknown as Record<string, unknown>;
  const keys = new Set([...Object.keys(left), ...Object.keys(right)]);
  for (const key of keys) {
    if (IGNORED.has(key)) continue;
    if (left[key] !== right[key] && !(left[key] === undefined && right[key] === undefined)) return false;
  }
  return true;
}

/** A time after every OrchestratorStarted in the history, so that the package moves its clock to it. */
export function speculativeStartTime(history: readonly HistoryEvent[], now: number): number {
  for (let i = history.length - 1; i >= 0; i--) {
    if (history[i].EventType === T.OrchestratorStarted) return Math.max(now, timeOf(history[i].Timestamp) + 1);
  }
  return now;
}

function timeOf(timestamp: unknown): number {
  return timestamp instanceof Date ? timestamp.getTime() : new Date(String(timestamp)).getTime();
}

/**
 * Watches the orchestration context the package assigns to `context.df`, and reports whether its
 * `currentUtcDateTime` was read once it had been set to `startMs` (the speculative episode's time).
 */
export function watchClockReads(invocationContext: object, startMs: number): () => boolean {
  let readAfterStart = false;
  let df: unknown;
  Object.defineProperty(invocationContext, "df", {
    configurable: true,
    enumerable: true,
    get: () => df,
    set: (value: unknown) => {
      df = value;
      if (typeof value !== "object" || value === null) return;
      let current = (value as { currentUtcDateTime?: unknown }).currentUtcDateTime;
      let started = timeOf(current) === startMs;
      Object.defineProperty(value, "currentUtcDateTime", {
        configurable: true,
        enumerable: true,
        get: () => {
          if (started) readAfterStart = true;
          return current;
        },
        set: (next: unknown) => {
          current = next;
          if (timeOf(next) === startMs) started = true;
        },
      });
    },
  });
  return () => readAfterStart;
}
