/**
 * One orchestration instance as the debugger shows it: its history, and for every event the orchestrator's state
 * and the source line of the durable call the event belongs to, read off a traced replay of the real package.
 * Everything here is derived from data; stepping back and forth is indexing, so any point is reproduced exactly.
 */
import * as path from "node:path";
import { HistoryEventType, OrchestrationStatusCode, eventTypeName, taskIdOf, type HistoryEvent } from "../emulator/history/history-event";
import type { ReplayTrace, TraceStep, TracedTask } from "../emulator/app-host/protocol";
import type { SourceFrame } from "../emulator/core/functions";
import type { Divergence } from "../emulator/replay/replay-check";

export interface InstanceFacts {
  instanceId: string;
  name: string;
  input: unknown;
  runtimeStatus: string;
  history: HistoryEvent[];
  parentInstanceId?: string;
}

/** A frame of the debugger's stack for one event. */
export interface TimelineFrame {
  name: string;
  source?: SourceFrame;
}

/** Bookkeeping events the debugger does not stop on (they mark episode boundaries; the History scope shows them). */
const SILENT = new Set([HistoryEventType.OrchestratorStarted, HistoryEventType.OrchestratorCompleted]);

export class InstanceTimeline {
  /** Indexes of the history events a step stops on. */
  readonly stops: number[];
  private readonly scheduledById = new Map<number, HistoryEvent>();
  /** The traced step of each event index (undefined for events the package did not process). */
  private readonly stepOfEvent: (TraceStep | undefined)[] = [];
  /** The last traced step at or before each event index. */
  private readonly stateAtEvent: (TraceStep | undefined)[] = [];
  private readonly taskById = new Map<number, TracedTask>();
  /** Timers the orchestrator cancelled, by id: the event it was processing when it did. */
  private readonly canceledAt = new Map<number, number>();

  constructor(
    readonly facts: InstanceFacts,
    readonly trace: ReplayTrace,
    readonly divergence: Divergence | undefined,
  ) {
    this.stops = [];
    facts.history.forEach((event, index) => {
      if (!SILENT.has(event.EventType)) this.stops.push(index);
      if (
        event.EventId >= 0 &&
        (event.EventType === HistoryEventType.TaskScheduled ||
          event.EventType === HistoryEventType.SubOrchestrationInstanceCreated ||
          event.EventType === HistoryEventType.TimerCreated ||
          event.EventType === HistoryEventType.EventSent)
      ) {
        this.scheduledById.set(event.EventId, event);
      }
    });
    for (const step of trace.steps) this.stepOfEvent[step.eventIndex] = step;
    let last: TraceStep | undefined;
    for (let index = 0; index < facts.history.length; index++) {
      last = this.stepOfEvent[index] ?? last;
      this.stateAtEvent[index] = last;
    }
    for (const task of trace.tasks) if (task.id !== undefined && !this.taskById.has(task.id)) this.taskById.set(task.id, task);
    for (const task of trace.tasks) if (task.id !== undefined && task.canceledAtEvent !== undefined) this.canceledAt.set(task.id, task.canceledAtEvent);
  }

  /** The event at which the orchestrator cancelled this timer, if it had by `eventIndex` (default: ever). */
  canceledAtEvent(timerId: number, eventIndex = Number.POSITIVE_INFINITY): number | undefined {
    const at = this.canceledAt.get(timerId);
    return at !== undefined && at <= eventIndex ? at : undefined;
  }

  get history(): HistoryEvent[] {
    return this.facts.history;
  }

  /** The traced state after the event (the last traced state once the orchestrator has finished). */
  stepAt(eventIndex: number): TraceStep | undefined {
    return this.stateAtEvent[Math.min(eventIndex, this.stateAtEvent.length - 1)];
  }

  /** The durable call an event belongs to. */
  taskOf(eventIndex: number): TracedTask | undefined {
    const step = this.stepOfEvent[eventIndex];
    if (step?.eventTask !== undefined) return this.trace.tasks[step.eventTask];
    const event = this.history[eventIndex];
    const id = event ? taskIdOf(event) : undefined;
    return id === undefined ? undefined : this.taskById.get(id);
  }

  /** The scheduling event a completion answers (for its name and input). */
  origin(event: HistoryEvent): HistoryEvent | undefined {
    const id = event.TaskScheduledId ?? event.TimerId;
    return id === undefined ? undefined : this.scheduledById.get(id);
  }

  /** The name a function breakpoint matches: the activity, sub-orchestrator or event name. */
  nameOf(event: HistoryEvent): string | undefined {
    return event.Name ?? this.origin(event)?.Name;
  }

  frames(eventIndex: number): TimelineFrame[] {
    const event = this.history[eventIndex];
    const step = this.stepAt(eventIndex);
    const task = this.taskOf(eventIndex);
    const label = `${eventTypeName(event.EventType)} #${eventIndex}${step?.isReplaying ? " (replaying)" : ""}`;
    let stack = task?.stack ?? [];
    let call = task ? callText(task) : undefined;
    if (!stack.length) {
      // No call of its own (start, end, suspend…): show where the orchestrator stands.
      const waiting = step?.waitingOn !== undefined ? this.trace.tasks[step.waitingOn] : undefined;
      if (waiting && !step?.finished) stack = waiting.stack;
      else if (this.lastFrameBefore(eventIndex)) stack = this.lastFrameBefore(eventIndex) as SourceFrame[];
    }
    if (!call)
      call =
        event.EventType === HistoryEventType.ExecutionStarted
          ? `${this.facts.name}(${short(this.facts.input)})`
          : eventTypeName(event.EventType)
              .replace(/^Execution/, "orchestration ")
              .toLowerCase();
    const top = stack[0] ?? this.trace.orchestratorSource;
    const frames: TimelineFrame[] = [{ name: `${call} ← ${label}`, source: top }];
    for (const frame of stack.slice(1)) frames.push({ name: frame.name, source: frame });
    if (stack.length === 0 && !top) frames[0].source = undefined;
    return frames;
  }

  private lastFrameBefore(eventIndex: number): SourceFrame[] | undefined {
    for (let index = eventIndex; index >= 0; index--) {
      const task = this.taskOf(index);
      if (task?.stack.length) return task.stack;
    }
    return undefined;
  }

  /** The "Event" scope: the event with its JSON fields parsed. */
  eventView(eventIndex: number): Record<string, unknown> {
    const event = this.history[eventIndex];
    const origin = this.origin(event);
    const view: Record<string, unknown> = { type: eventTypeName(event.EventType), index: eventIndex, eventId: event.EventId, timestamp: event.Timestamp };
    const name = this.nameOf(event);
    if (name !== undefined) view.name = name;
    const taskId = event.TaskScheduledId ?? event.TimerId ?? (origin ? undefined : event.EventId >= 0 ? event.EventId : undefined);
    if (taskId !== undefined) view.taskId = taskId;
    if (event.Input !== undefined) view.input = parse(event.Input);
    else if (origin?.Input !== undefined) view.input = parse(origin.Input);
    if (event.Result !== undefined) view.result = parse(event.Result);
    if (event.FireAt !== undefined) view.fireAt = event.FireAt;
    if (event.Reason !== undefined) view.reason = event.Reason;
    if (event.Details !== undefined) view.details = event.Details;
    if (event.FailureDetails !== undefined) view.failureDetails = event.FailureDetails;
    if (event.InstanceId ?? origin?.InstanceId) view.instanceId = event.InstanceId ?? origin?.InstanceId;
    if (event.OrchestrationStatus !== undefined) view.status = OrchestrationStatusCode[event.OrchestrationStatus];
    if (origin) view.scheduledAt = origin.Timestamp;
    if (event.EventType === HistoryEventType.TimerFired && event.TimerId !== undefined) {
      const canceledAt = this.canceledAtEvent(event.TimerId, eventIndex);
      // Azure still delivers a cancelled timer's firing; the orchestrator ignores it.
      if (canceledAt !== undefined) view.canceled = `cancelled at event #${canceledAt}: the orchestrator ignores this firing`;
    }
    const cancels = [...this.canceledAt].filter(([, at]) => at === eventIndex).map(([id]) => id);
    if (cancels.length) view.cancelsTimers = cancels;
    return view;
  }

  /** The "Orchestration" scope at an event. */
  orchestrationView(eventIndex: number): Record<string, unknown> {
    const step = this.stepAt(eventIndex);
    const describe = (id: number) => {
      const task = this.taskById.get(id);
      return {
        id,
        call: task ? callText(task) : `task ${id}`,
        line: task?.stack[0] ? `${path.basename(task.stack[0].file)}:${task.stack[0].line}` : undefined,
      };
    };
    // A cancelled timer is still open to the package (its firing will come), but nothing waits for it any more.
    const open = step?.openTaskIds ?? [];
    const pending = open.filter((id) => this.canceledAtEvent(id, eventIndex) === undefined).map(describe);
    const canceledTimers = open
      .filter((id) => this.canceledAtEvent(id, eventIndex) !== undefined)
      .map((id) => ({ ...describe(id), canceledAtEvent: this.canceledAtEvent(id) }));
    const view: Record<string, unknown> = {
      instanceId: this.facts.instanceId,
      name: this.facts.name,
      status: this.statusAt(eventIndex),
      isReplaying: step?.isReplaying ?? false,
      currentUtcDateTime: step?.currentUtcDateTime,
      input: this.facts.input,
      customStatus: step?.customStatus ?? null,
      pendingTasks: pending,
      waitingForEvents: step?.waitingForEvents ?? [],
    };
    if (canceledTimers.length) view.canceledTimers = canceledTimers;
    if (step?.finished) {
      if ("output" in step.finished) view.output = step.finished.output;
      if (step.finished.error !== undefined) view.error = step.finished.error;
    }
    if (this.facts.parentInstanceId) view.parentInstanceId = this.facts.parentInstanceId;
    return view;
  }

  /** Every event up to and including this one, summarised (the "History" scope and `history` in expressions). */
  historyView(eventIndex: number): Record<string, unknown>[] {
    return this.history.slice(0, eventIndex + 1).map((_event, index) => this.eventView(index));
  }

  statusAt(eventIndex: number): string {
    let status = "Running";
    for (let index = 0; index <= eventIndex && index < this.history.length; index++) {
      const event = this.history[index];
      if (event.EventType === HistoryEventType.ExecutionCompleted) status = OrchestrationStatusCode[event.OrchestrationStatus ?? 1] ?? "Completed";
      else if (event.EventType === HistoryEventType.ExecutionTerminated) status = "Terminated";
      else if (event.EventType === HistoryEventType.ExecutionSuspended) status = "Suspended";
      else if (event.EventType === HistoryEventType.ExecutionResumed) status = "Running";
    }
    return status;
  }

  /** Logs the orchestrator wrote while processing this event. */
  logsAt(eventIndex: number): { level: string; message: string; replaying: boolean }[] {
    const step = this.stepOfEvent[eventIndex];
    return (step?.logs ?? []).map((entry) => ({ ...entry, replaying: step?.isReplaying ?? false }));
  }

  /** Whether the instance has ended (nothing more will be appended). */
  get finished(): boolean {
    return ["Completed", "Failed", "Terminated"].includes(this.facts.runtimeStatus);
  }
}

/** How the durable call reads in the orchestrator, e.g. callActivity("SayHello"). */
export function callText(task: TracedTask): string {
  const role = task.task;
  switch (role.role) {
    case "activity":
      return `callActivity("${role.name}")`;
    case "subOrchestration":
      return `callSubOrchestrator("${role.name}")`;
    case "timer":
      return `createTimer(${role.fireAt})`;
    case "retryTimer":
      return "retry timer";
    case "http":
      return `callHttp(${role.request.method} ${role.request.uri})`;
    case "entity":
      return `${role.operation === "call" ? "callEntity" : "signalEntity"}(${role.entityInstanceId}, "${role.operationName}")`;
    case "entityLock":
      return role.operation;
    case "externalEvent":
      return `waitForExternalEvent("${role.name}")`;
    case "whenAll":
      return `Task.all(${role.childIds.length} tasks)`;
    case "whenAny":
      return `Task.any(${role.childIds.length} tasks)`;
    case "event":
      return `sendEvent(${role.instanceId}, "${role.name}")`;
    default:
      return role.description;
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? "";
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}
