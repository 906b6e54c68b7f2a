/** An instance as the engine holds it in memory, and the values it builds from one (its start event, its status). */
import { HistoryEventType, type HistoryEvent } from "../history/history-event";
import type { PendingMessage } from "../store/store";
import type { InstanceRecord, InstanceStatus } from "../api/types";
import { badRequest } from "../core/errors";
import { parseJsonText as parseJson } from "../api/json-text";

export interface ActiveInstance {
  record: InstanceRecord;
  history: HistoryEvent[];
  scheduled: Map<number, HistoryEvent>;
  completed: Set<number>;
  inbox: PendingMessage[];
  running: boolean;
  /** Set by continue-as-new: the next commit replaces the stored history instead of appending. */
  replaceHistory?: boolean;
  /**
   * The open tasks of a Task.all the orchestrator is blocked on. Their successful completions wait in the inbox
   * without waking the orchestrator until the last one arrives: a replay before then could not make progress, and
   * holding them keeps a large fan-out from replaying once per batch of results.
   */
  waitingForAll?: Set<number>;
  /** Inbox messages that should wake the orchestrator. */
  wakingMessages: number;
  /**
   * The entity message sorter's memory (see EntityRunner.orchestrationLabel): the label of this execution's last
   * message to each entity (by lower-cased id). Built from the history when first needed; dropped with the history.
   */
  entityLabels?: Map<string, string>;
  /** Purged while unfinished: what an episode still running for it produces is dropped. */
  purged?: boolean;
}

/** JSON text of a value the user gave (an input, event data); one that cannot be stored as JSON is a bad request. */
export function json(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  try {
    return JSON.stringify(value);
  } catch (error) {
    const reason = error instanceof RangeError ? "it is nested too deeply" : error instanceof Error ? error.message : String(error);
    throw badRequest(`The value cannot be stored as JSON: ${reason}. Send plain JSON data (objects, arrays, strings, numbers, booleans, null).`);
  }
}

/** The event that starts an execution of the instance the record describes. */
export function executionStarted(record: InstanceRecord, timestamp: string): HistoryEvent {
  return {
    EventType: HistoryEventType.ExecutionStarted,
    EventId: -1,
    Timestamp: timestamp,
    IsPlayed: false,
    Name: record.name,
    Version: record.version ?? "",
    Input: record.input,
    OrchestrationInstance: { InstanceId: record.instanceId, ExecutionId: record.executionId },
    // DurableTask.Core ParentInstance.cs, filled in by TaskOrchestrationDispatcher.ProcessCreateSubOrchestrationInstanceDecision.
    ParentInstance: record.parent
      ? {
          Name: record.parent.name,
          Version: "",
          TaskScheduleId: record.parent.taskId,
          OrchestrationInstance: { InstanceId: record.parent.instanceId, ExecutionId: record.parent.executionId },
        }
      : undefined,
  };
}

/** Messages a suspended instance still takes. */
export function isControlMessage(message: PendingMessage): boolean {
  const type = message.event.EventType;
  return type === HistoryEventType.ExecutionResumed || type === HistoryEventType.ExecutionTerminated;
}

export function toInstanceStatus(record: InstanceRecord, history?: HistoryEvent[]): InstanceStatus {
  return {
    instanceId: record.instanceId,
    name: record.name,
    runtimeStatus: record.runtimeStatus,
    input: parseJson(record.input) ?? null,
    output: parseJson(record.output) ?? null,
    customStatus: parseJson(record.customStatus) ?? null,
    createdTime: record.createdTime,
    lastUpdatedTime: record.lastUpdatedTime,
    failure: record.failure,
    history,
  };
}
