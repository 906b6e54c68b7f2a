/**
 * Rebuilds a full history from the management API's folded one. The API drops task ids and scheduling events
 * (DurableClient.GetDurableOrchestrationStatusAsync folds each TaskScheduled into its completion), so the ids are
 * recovered the way they were first made: by replaying the current code one completion at a time and giving each
 * completion to the open call it answers (same function, same input when the API showed inputs, oldest first).
 * When the code has no such call, the history and the code have diverged, which is what a replay is asked to find.
 */
import { HistoryEventType, OrchestrationStatusCode, type HistoryEvent } from "../history/history-event";
import { HTTP_ACTIVITY_NAME } from "../history/task-matching";
import type { ReplayTrace } from "../app-host/protocol";
import type { TrackedTaskRole } from "../core/tasks";
import type { ApiHistoryEvent, HistorySource } from "./history-source";

export interface RebuiltHistory {
  events: HistoryEvent[];
  /** Set when a completion in the API history answers no call the current code makes. */
  divergence?: { eventIndex: number; expected: string; actual: string; message: string };
}

/** A replay of the history so far; only the calls the code makes beyond it are read (so any replay can rebuild). */
type Replay = (history: HistoryEvent[]) => Promise<Pick<ReplayTrace, "newTasks">>;

const SKIPPED = new Set([
  "OrchestratorStarted",
  "OrchestratorCompleted",
  "TaskScheduled",
  "SubOrchestrationInstanceCreated",
  "TimerCreated",
  "EventSent",
  "ExecutionStarted",
  "ContinueAsNew",
]);

export async function rebuildFromApi(source: HistorySource, replay: Replay): Promise<RebuiltHistory> {
  const api = source.apiEvents ?? [];
  const started = api.find((event) => event.EventType === "ExecutionStarted") as ApiHistoryEvent;
  const startedAt = started.Timestamp ?? new Date(0).toISOString();
  const events: HistoryEvent[] = [
    event(HistoryEventType.OrchestratorStarted, startedAt),
    {
      ...event(HistoryEventType.ExecutionStarted, startedAt),
      Name: source.name,
      Input: source.input === undefined ? undefined : JSON.stringify(source.input),
      OrchestrationInstance: { InstanceId: source.instanceId, ExecutionId: "rebuilt-from-api" },
    },
  ];
  const open = new Map<number, TrackedTaskRole>();
  const sentEntityInputs = api.filter((e) => e.EventType === "EventSent" && typeof e.Input === "string").map((e) => e.Input as string);

  const episode = async (at: string): Promise<void> => {
    const trace = await replay(events);
    for (const { id, task } of trace.newTasks) {
      events.push(schedulingEvent(id, task, at, sentEntityInputs));
      open.set(id, task);
    }
    events.push(event(HistoryEventType.OrchestratorCompleted, at));
  };

  await episode(startedAt);
  for (const item of api) {
    if (SKIPPED.has(item.EventType)) continue;
    // A TimerFired's Timestamp is when its timer was created: the episode that saw it ran once it fired.
    const stamped = item.Timestamp ?? events[events.length - 1].Timestamp;
    const at = item.EventType === "TimerFired" && item.FireAt && Date.parse(item.FireAt) > Date.parse(stamped) ? item.FireAt : stamped;
    const type = HistoryEventType[item.EventType as keyof typeof HistoryEventType];
    if (type === HistoryEventType.ExecutionCompleted) {
      events.push({
        ...event(type, at),
        OrchestrationStatus:
          OrchestrationStatusCode[(item.OrchestrationStatus ?? "Completed") as keyof typeof OrchestrationStatusCode] ?? OrchestrationStatusCode.Completed,
        // A failed orchestration's result is its failure message itself (TaskOrchestrationContext.FailOrchestration).
        Result: typeof item.Result === "string" && item.OrchestrationStatus === "Failed" ? item.Result : jsonText(item.Result),
      });
      continue;
    }
    let completion: HistoryEvent;
    if (
      type === HistoryEventType.TaskCompleted ||
      type === HistoryEventType.TaskFailed ||
      type === HistoryEventType.SubOrchestrationInstanceCompleted ||
      type === HistoryEventType.SubOrchestrationInstanceFailed
    ) {
      const wantsSub = type === HistoryEventType.SubOrchestrationInstanceCompleted || type === HistoryEventType.SubOrchestrationInstanceFailed;
      const id = findOpenCall(open, item, wantsSub);
      if (id === undefined) {
        const expected = `${wantsSub ? "sub-orchestration" : "activity"} '${item.FunctionName ?? "?"}' completing`;
        const waiting = [...open.values()].map(describeRole);
        return {
          events,
          divergence: {
            eventIndex: events.length,
            expected,
            actual: waiting.length ? `the code waits on ${waiting.join(", ")}` : "the code has no open call",
            message:
              `Non-deterministic workflow detected: the history has ${expected} (${item.EventType} at ${at}), ` +
              `but the current code has no such call open at that point (${waiting.length ? `it waits on ${waiting.join(", ")}` : "it has nothing open"}). Was the orchestrator code changed after this instance ran?`,
          },
        };
      }
      open.delete(id);
      completion = { ...event(type, at), TaskScheduledId: id };
      if (type === HistoryEventType.TaskCompleted || type === HistoryEventType.SubOrchestrationInstanceCompleted)
        completion.Result = jsonText(item.Result) ?? "null";
      else Object.assign(completion, { Reason: item.Reason, Details: item.Details, FailureDetails: item.FailureDetails });
    } else if (type === HistoryEventType.TimerFired) {
      const id = findOpenTimer(open, item.FireAt);
      if (id === undefined) continue; // a timer the code no longer waits on: the replay verdict will say so
      open.delete(id);
      completion = { ...event(type, at), TimerId: id, FireAt: item.FireAt };
    } else {
      // An EventRaised's Input is shown as the JSON text it carries (renderHistory keeps inputs raw): it stays that
      // text, not encoded again (the code would receive the string "true" for the event's true).
      const input = typeof item.Input === "string" ? item.Input : jsonText(item.Input);
      completion = { ...event(type, at), Name: item.Name, Input: input, Reason: item.Reason };
    }
    events.push(event(HistoryEventType.OrchestratorStarted, at), completion);
    await episode(at);
  }
  return { events };
}

function event(type: HistoryEventType, timestamp: string): HistoryEvent {
  return { EventType: type, EventId: -1, Timestamp: timestamp, IsPlayed: false };
}

/** The API shows results parsed (showHistoryOutput) but inputs as the JSON text the events carried. */
function jsonText(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return JSON.stringify(value);
}

function schedulingEvent(id: number, task: TrackedTaskRole, at: string, sentEntityInputs: string[]): HistoryEvent {
  const base = { EventId: id, Timestamp: at, IsPlayed: false };
  switch (task.role) {
    case "activity":
      return { ...base, EventType: HistoryEventType.TaskScheduled, Name: task.name, Input: JSON.stringify(task.input ?? null) };
    case "http":
      return { ...base, EventType: HistoryEventType.TaskScheduled, Name: HTTP_ACTIVITY_NAME, Input: JSON.stringify(task.request) };
    case "subOrchestration":
      return {
        ...base,
        EventType: HistoryEventType.SubOrchestrationInstanceCreated,
        Name: task.name,
        InstanceId: task.instanceId,
        Input: JSON.stringify(task.input),
      };
    case "timer":
      return { ...base, EventType: HistoryEventType.TimerCreated, FireAt: task.fireAt };
    case "retryTimer":
      return { ...base, EventType: HistoryEventType.TimerCreated, FireAt: at };
    case "entity":
      return {
        ...base,
        EventType: HistoryEventType.EventSent,
        Name: "op",
        InstanceId: task.entityInstanceId,
        Input: sentEntityInputs.shift() ?? JSON.stringify({ op: task.operationName }),
      };
    default:
      return { ...base, EventType: HistoryEventType.EventSent, Name: "op" };
  }
}

function findOpenCall(open: Map<number, TrackedTaskRole>, item: ApiHistoryEvent, subOrchestration: boolean): number | undefined {
  const candidates: { id: number; input: unknown }[] = [];
  for (const [id, role] of open) {
    if (
      subOrchestration
        ? role.role === "subOrchestration" && role.name === item.FunctionName
        : (role.role === "activity" && role.name === item.FunctionName) || (role.role === "http" && item.FunctionName === HTTP_ACTIVITY_NAME)
    ) {
      candidates.push({ id, input: role.role === "http" ? role.request : "input" in role ? role.input : undefined });
    }
  }
  if (typeof item.Input === "string") {
    // An activity's input is shown as DurableTask.Core scheduled it, wrapped in an array (ScheduleTaskInternal
    // serializes its parameters, TaskOrchestrationContext.cs:130); a sub-orchestration's as it is.
    const shown = normalizeJson(item.Input);
    const sameInput = candidates.find((candidate) => {
      const input = JSON.stringify(candidate.input ?? null);
      return input === shown || (!subOrchestration && `[${input}]` === shown);
    });
    if (sameInput) return sameInput.id;
  }
  return candidates[0]?.id;
}

function normalizeJson(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}

function findOpenTimer(open: Map<number, TrackedTaskRole>, fireAt: string | undefined): number | undefined {
  let first: number | undefined;
  for (const [id, role] of open) {
    if (role.role !== "timer" && role.role !== "retryTimer") continue;
    if (role.role === "timer" && fireAt && Date.parse(role.fireAt) === Date.parse(fireAt)) return id;
    first ??= id;
  }
  return first;
}

function describeRole(role: TrackedTaskRole): string {
  switch (role.role) {
    case "activity":
    case "subOrchestration":
      return `'${role.name}'`;
    case "timer":
      return `a timer (${role.fireAt})`;
    default:
      return role.role;
  }
}
