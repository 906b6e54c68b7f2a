/**
 * Replays a whole history through the real `durable-functions` package, without running anything, and records what
 * the orchestrator did after each event: the durable calls it made (with the app's stack at each), what it waits on,
 * its custom status, its logs. The debugger steps through this record; `replay` uses its verdict. Because replay is
 * deterministic, one pass gives every point of the history, forwards and backwards.
 */
import * as path from "node:path";
import { canceledAtEvent, roleOf, type PackageTask, type TraceHooks } from "./replay-observer";
import { captureUserStack } from "./user-stack";
import type { ReplayTrace, TraceStep, TracedTask } from "./protocol";
import type { SourceFrame } from "../core/functions";
import { HistoryEventType, taskIdOf, type HistoryEvent } from "../history/history-event";

/** The slice of the package's executor the tracer reads. */
interface ExecutorView {
  currentTask?: object;
  openEvents?: Record<string, object[]>;
  context?: { currentUtcDateTime?: Date | string; customStatus?: unknown; isReplaying?: boolean };
  orchestratorReturned?: boolean;
  output?: unknown;
  exception?: unknown;
}

interface TaskObject extends PackageTask {
  constructor: { name: string };
}

const TASK_RUNNING = 0;

export interface Tracer {
  hooks: TraceHooks;
  /** Receives what the orchestrator logs while the replay runs. */
  log(level: string, message: string): void;
  /** Builds the record once the replay has finished. */
  finish(history: HistoryEvent[]): Pick<ReplayTrace, "steps" | "tasks">;
}

export function createTracer(detailed: boolean, appRoot: string): Tracer {
  const steps: TraceStep[] = [];
  const taskIndex = new Map<object, number>();
  const taskObjects: TaskObject[] = [];
  const stacks: SourceFrame[][] = [];
  const created: number[] = [];
  const methods: string[] = [];
  let eventIndex = -1;
  let pendingLogs: { level: string; message: string }[] = [];
  let pendingCreated: number[] = [];
  let raisedTask: number | undefined;

  const remember = (task: object, method: string, stack: SourceFrame[]): number => {
    let index = taskIndex.get(task);
    if (index !== undefined) return index;
    index = taskObjects.length;
    taskIndex.set(task, index);
    taskObjects.push(task as TaskObject);
    stacks.push(stack);
    created.push(eventIndex);
    methods.push(method);
    pendingCreated.push(index);
    return index;
  };

  const inheritedStack = (task: TaskObject): SourceFrame[] => {
    for (let node: TaskObject | undefined = task.parent as TaskObject | undefined; node; node = node.parent as TaskObject | undefined) {
      const index = taskIndex.get(node);
      if (index !== undefined) return stacks[index];
    }
    return [];
  };

  const hooks: TraceHooks = {
    executorStarted(_executor, context) {
      const helpers = context.df?.Task;
      if (!helpers) return;
      // Task.all / Task.any live on each context, not on a prototype: wrap them for this replay only.
      for (const name of ["all", "any"]) {
        const original = helpers[name];
        if (typeof original !== "function") continue;
        helpers[name] = (...args: unknown[]) => {
          const task = (original as (...a: unknown[]) => unknown)(...args);
          if (task && typeof task === "object") remember(task, `Task.${name}`, detailed ? captureUserStack() : []);
          return task;
        };
      }
    },
    durableCall(task, method) {
      remember(task, method, detailed ? captureUserStack() : []);
    },
    taskTracked(task) {
      if (!taskIndex.has(task)) remember(task, "internal", detailed ? inheritedStack(task as TaskObject) : []);
    },
    beforeEvent(executor, event, index) {
      eventIndex = index;
      raisedTask = undefined;
      if (event.EventType === HistoryEventType.EventRaised && event.Name !== undefined) {
        // The package hands the event to the newest waiter of that name (a pop); note which one that is.
        const waiters = (executor as ExecutorView).openEvents?.[event.Name];
        const waiter = waiters?.[waiters.length - 1];
        if (waiter) raisedTask = taskIndex.get(waiter);
      }
    },
    afterEvent(executor, _event, index) {
      const view = executor as ExecutorView;
      const context = view.context ?? {};
      const openTaskIds: number[] = [];
      const waitingForEvents = Object.keys(view.openEvents ?? {});
      if (detailed) {
        for (const task of taskObjects) if (typeof task.id === "number" && task.stateObj === TASK_RUNNING && !task.children) openTaskIds.push(task.id);
      }
      const step: TraceStep = {
        eventIndex: index,
        isReplaying: context.isReplaying === true,
        currentUtcDateTime: toIso(context.currentUtcDateTime),
        customStatus: detailed ? cloneJson(context.customStatus) : undefined,
        eventTask: raisedTask,
        waitingOn: view.currentTask ? taskIndex.get(view.currentTask) : undefined,
        created: pendingCreated,
        openTaskIds,
        waitingForEvents,
        logs: pendingLogs,
      };
      if (view.orchestratorReturned) step.finished = { output: cloneJson(view.output) };
      else if (view.exception !== undefined) step.finished = { error: view.exception instanceof Error ? view.exception.message : String(view.exception) };
      steps.push(step);
      pendingLogs = [];
      pendingCreated = [];
    },
  };

  return {
    hooks,
    log(level, message) {
      pendingLogs.push({ level, message });
    },
    finish(history) {
      const tasks: TracedTask[] = taskObjects.map((task, index) => {
        const traced: TracedTask = {
          id: typeof task.id === "number" ? task.id : undefined,
          task: describe(task, methods[index], taskIndex),
          createdAtEvent: created[index],
          stack: relativeTo(appRoot, stacks[index]),
          open: task.stateObj === TASK_RUNNING,
        };
        const canceledAt = canceledAtEvent(task);
        if (canceledAt !== undefined) traced.canceledAtEvent = canceledAt;
        return traced;
      });
      // Completion and scheduling events name their task by id; EventRaised was resolved while it was processed.
      const byId = new Map<number, number>();
      tasks.forEach((task, index) => {
        if (task.id !== undefined && !byId.has(task.id)) byId.set(task.id, index);
      });
      for (const step of steps) {
        if (step.eventTask !== undefined) continue;
        const event = history[step.eventIndex];
        const id = event ? taskIdOf(event) : undefined;
        if (id !== undefined) step.eventTask = byId.get(id);
      }
      return { steps, tasks };
    },
  };
}

function describe(task: TaskObject, method: string, taskIndex: Map<object, number>): TracedTask["task"] {
  if (method === "waitForExternalEvent") return { role: "externalEvent", name: String(task.id) };
  if (method === "Task.all" || method === "Task.any") {
    const childIds = (task.children ?? []).map((child) => (typeof child.id === "number" ? child.id : -1)).filter((id) => id >= 0);
    return { role: method === "Task.all" ? "whenAll" : "whenAny", childIds };
  }
  if (typeof task.id !== "number" && task.children) {
    // A retry, long timer or polling task: what its first attempt is.
    const first = task.children[0] as TaskObject | undefined;
    if (first && taskIndex.has(first)) return roleOf(task.children[0]);
  }
  return roleOf(task);
}

function relativeTo(appRoot: string, frames: SourceFrame[]): SourceFrame[] {
  return appRoot ? frames.map((frame) => ({ ...frame, file: path.resolve(appRoot, frame.file) })) : frames;
}

function toIso(value: Date | string | undefined): string {
  if (value === undefined) return "";
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? String(value) : date.toISOString();
}

function cloneJson(value: unknown): unknown {
  if (value === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(value)) as unknown;
  } catch {
    return String(value);
  }
}
