/**
 * Watches the real `durable-functions` replay (never replaces it) to learn which task id the package gave each
 * durable call. The package assigns ids as tasks are yielded, and assigns more on its own for retries, HTTP polling
 * and long timers; the host must use exactly those ids in the completion events it sends back. The Durable Task
 * extension gets the same numbering by replaying the actions in C#; we read it off the package instead.
 */
import * as path from "node:path";
import type { RetryOptionsDto, TrackedTask, TrackedTaskRole, DurableHttpRequestDto } from "../core/tasks";
import type { TimerCancellation } from "../api/types";
import { HistoryEventType, type HistoryEvent } from "../history/history-event";
import { HTTP_ACTIVITY_NAME, mismatch, missing, type NondeterminismReport, type TaskMatch } from "../history/task-matching";

/** The slice of the package's task objects this observer reads. */
export interface PackageTask {
  id: number | string | false;
  actionObj: PackageAction | "noOp";
  stateObj: number;
  parent?: PackageTask & { children: PackageTask[]; isCanceled?: boolean };
  children?: PackageTask[];
  result?: { headers?: Record<string, string | string[]> };
}

interface PackageAction {
  actionType: number;
  functionName?: string;
  input?: unknown;
  instanceId?: string;
  version?: string;
  fireAt?: Date;
  isCanceled?: boolean;
  retryOptions?: RetryOptionsDto;
  operation?: string;
  httpRequest?: DurableHttpRequestDto;
  lockSet?: { name: string; key: string }[];
  compoundActions?: PackageAction[];
}

interface ExecutorInternals {
  processEvent(event: unknown): void;
  addToActions(action: PackageAction): void;
  trackOpenTask(task: PackageTask): void;
  recordFireAndForgetAction(action: PackageAction, increment?: number): void;
  execute(...args: unknown[]): Promise<unknown>;
  sequenceNumber: number;
  /** The DurableOrchestrationContext (context.df) of the replay. */
  context?: { currentLock?: { ownedLocks?: readonly { name: string; key: string }[] } };
}

/** The entity instance id DurableTask names an EntityId by (EntityId.getSchedulerIdFromEntityId). */
function schedulerId(entity: { name: string; key: string }): string {
  return `@${entity.name.toLowerCase()}@${entity.key}`;
}

const enum ActionType {
  CallActivity = 0,
  CallActivityWithRetry = 1,
  CallSubOrchestrator = 2,
  CallSubOrchestratorWithRetry = 3,
  ContinueAsNew = 4,
  CreateTimer = 5,
  WaitForExternalEvent = 6,
  CallEntity = 7,
  CallHttp = 8,
  SignalEntity = 9,
  LockEntities = 13,
  ReleaseEntities = 14,
}

const TASK_RUNNING = 0;

/** What a debugger-grade replay (app-host/replay-tracer.ts) is told as the package works. */
export interface TraceHooks {
  beforeEvent(executor: unknown, event: HistoryEvent, index: number): void;
  afterEvent(executor: unknown, event: HistoryEvent, index: number): void;
  /** The app called a durable API that returned this task (method: callActivity, Task.all, …). */
  durableCall(task: object, method: string): void;
  /** The package gave a task an id (including the ones it makes itself for retries, long timers and polling). */
  taskTracked(task: object): void;
  /** The executor that runs this replay, once known. */
  executorStarted(executor: unknown, context: { df?: { Task?: Record<string, unknown> } }): void;
}

interface Recording {
  /** Record where in the app each durable call was made (costly: only for diagnostic replays). */
  captureCallSites: boolean;
  /** A second run of code that already ran (the debugger's traced replay, a diagnostic replay): all of it is replay. */
  rerun: boolean;
  trace?: TraceHooks;
  /** Index of the history event the replay is processing. */
  eventIndex: number;
  /** Index of the history event during which the orchestrator called continueAsNew. */
  continueAsNewAt?: number;
  executor?: { exception?: unknown; openEvents?: Record<string, unknown[]>; currentTask?: PackageTask; context?: { isReplaying?: boolean } };
  tasks: PackageTask[];
  fireAndForget: { firstId: number; count: number; action: PackageAction; releasing?: string[] }[];
}

let current: Recording | undefined;

/**
 * Whether the orchestrator code running at this moment is a replay: the package's own `context.df.isReplaying`, which
 * it sets before each resumption of the generator, or a whole re-run (the debugger's traced replay). False outside
 * orchestrator code (activities, entities, HTTP functions never replay).
 */
export function orchestratorReplaying(): boolean {
  const recording = current;
  if (!recording) return false;
  return recording.rerun || recording.executor?.context?.isReplaying === true;
}

/**
 * `globalThis.__durableDevkit.replaying`, read by a breakpoint condition (the VS Code extension adds
 * `!globalThis.__durableDevkit?.replaying` to JavaScript breakpoints so they stop only where code runs the first time).
 */
function exposeReplayState(): void {
  const state = Object.freeze(Object.defineProperty({}, "replaying", { get: orchestratorReplaying, enumerable: true }));
  Object.defineProperty(globalThis, "__durableDevkit", { value: state, configurable: true, enumerable: false, writable: false });
}

/** Patches the app's own copy of the package so every replay reports its task ids to the active recording. */
export function installReplayObserver(durableFunctionsRoot: string): void {
  const executorPath = path.join(durableFunctionsRoot, "lib", "src", "orchestrations", "TaskOrchestrationExecutor.js");

  const executorModule = require(executorPath) as { TaskOrchestrationExecutor?: { prototype: ExecutorInternals } };
  const proto = executorModule.TaskOrchestrationExecutor?.prototype;
  if (!proto || typeof proto.trackOpenTask !== "function" || typeof proto.recordFireAndForgetAction !== "function") {
    throw new Error(
      `This version of durable-functions (${durableFunctionsRoot}) is not one the emulator knows how to host. ` +
        "Use durable-functions 3.x (npm install durable-functions@3).",
    );
  }
  exposeReplayState();
  const originalExecute = proto.execute;
  proto.execute = function (this: ExecutorInternals, ...args: unknown[]) {
    if (current) current.executor = this as unknown as Recording["executor"];
    current?.trace?.executorStarted(this, args[0] as { df?: { Task?: Record<string, unknown> } });
    return originalExecute.apply(this, args);
  };
  patchCallSites(durableFunctionsRoot);
  patchTimerCancel(durableFunctionsRoot);
  const originalProcessEvent = proto.processEvent;
  proto.processEvent = function (this: ExecutorInternals, event: unknown) {
    if (current) current.eventIndex++;
    const trace = current?.trace;
    if (!trace) return originalProcessEvent.call(this, event);
    const index = current?.eventIndex ?? 0;
    trace.beforeEvent(this, event as HistoryEvent, index);
    originalProcessEvent.call(this, event);
    trace.afterEvent(this, event as HistoryEvent, index);
  };
  const originalAddToActions = proto.addToActions;
  proto.addToActions = function (this: ExecutorInternals, action: PackageAction) {
    if (current && action.actionType === ActionType.ContinueAsNew && current.continueAsNewAt === undefined) {
      current.continueAsNewAt = current.eventIndex;
    }
    return originalAddToActions.call(this, action);
  };
  const originalTrack = proto.trackOpenTask;
  proto.trackOpenTask = function (this: ExecutorInternals, task: PackageTask) {
    const hadId = typeof task.id === "number";
    originalTrack.call(this, task);
    if (current && !hadId && typeof task.id === "number" && !task.children) current.tasks.push(task);
    if (current?.trace && !hadId) current.trace.taskTracked(task);
  };
  const originalFireAndForget = proto.recordFireAndForgetAction;
  proto.recordFireAndForgetAction = function (this: ExecutorInternals, action: PackageAction, increment = 1) {
    const firstId = this.sequenceNumber;
    // A release takes one id per locked entity; the lock being released is still the context's current one.
    const releasing = action.actionType === ActionType.ReleaseEntities ? this.context?.currentLock?.ownedLocks?.map(schedulerId) : undefined;
    originalFireAndForget.call(this, action, increment);
    const count = this.sequenceNumber - firstId;
    if (current && count > 0) current.fireAndForget.push({ firstId, count, action, releasing });
  };
}

const CANCELED_AT = Symbol("durable-devkit canceled at event");

/**
 * Notes on a timer the index of the history event the replay was processing when the orchestrator cancelled it (the
 * event that won its race). The package only sets a flag on the action; the history never says it.
 */
function patchTimerCancel(durableFunctionsRoot: string): void {
  for (const file of ["DFTimerTask.js", "LongTimerTask.js"]) {
    let module: Record<string, { prototype?: { cancel?: unknown } } | undefined>;
    try {
      module = require(path.join(durableFunctionsRoot, "lib", "src", "task", file)) as typeof module;
    } catch {
      continue; // another layout of the package: cancellations go unnoticed, nothing else changes
    }
    const proto = module[file.replace(/\.js$/, "")]?.prototype;
    const original = proto?.cancel;
    if (!proto || typeof original !== "function") continue;
    proto.cancel = function (this: Record<symbol, number | undefined>, ...args: unknown[]) {
      const value = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (current && this[CANCELED_AT] === undefined) this[CANCELED_AT] = Math.max(0, current.eventIndex);
      return value;
    };
  }
}

/** Where the orchestrator cancelled this timer (or the long timer it is part of), if it did. */
export function canceledAtEvent(task: object): number | undefined {
  const own = (task as Record<symbol, number | undefined>)[CANCELED_AT];
  if (own !== undefined) return own;
  const parent = (task as PackageTask).parent as (object & Record<symbol, number | undefined>) | undefined;
  return parent?.[CANCELED_AT];
}

const CALL_SITE = Symbol("durable-devkit call site");
const DURABLE_CALLS = [
  "callActivity",
  "callActivityWithRetry",
  "callSubOrchestrator",
  "callSubOrchestratorWithRetry",
  "callHttp",
  "createTimer",
  "callEntity",
  "waitForExternalEvent",
];
let appRoot = "";

/** Remembers, on each task the app creates, the app's source line that created it (when a recording asks). */
function patchCallSites(durableFunctionsRoot: string): void {
  const contextPath = path.join(durableFunctionsRoot, "lib", "src", "orchestrations", "DurableOrchestrationContext.js");

  const contextModule = require(contextPath) as { DurableOrchestrationContext?: { prototype: Record<string, unknown> } };
  const proto = contextModule.DurableOrchestrationContext?.prototype;
  if (!proto) return;
  const packageDir = `${path.sep}durable-functions${path.sep}`;
  for (const name of DURABLE_CALLS) {
    const original = proto[name];
    if (typeof original !== "function") continue;
    proto[name] = function (this: unknown, ...args: unknown[]) {
      const task = (original as (...a: unknown[]) => unknown).apply(this, args);
      if (current?.trace && task && typeof task === "object") current.trace.durableCall(task, name);
      if (current?.captureCallSites && task && typeof task === "object") {
        const frames = (new Error().stack ?? "").split("\n").slice(2);
        const frame = frames.find((line) => !line.includes(packageDir) && !line.includes("node:internal") && !line.includes("replay-observer"));
        const location = frame ? /\(?([^()\s]+:\d+:\d+)\)?$/.exec(frame.trim())?.[1] : undefined;
        if (location) (task as Record<symbol, string>)[CALL_SITE] = appRoot && location.startsWith(appRoot) ? path.relative(appRoot, location) : location;
      }
      return task;
    };
  }
}

/** Where the app created the task (retry attempts, timers of long timers and HTTP polls count as their parent's call). */
function callSiteOf(task: PackageTask | undefined): string | undefined {
  for (let node: PackageTask | undefined = task; node; node = node.parent) {
    const site = (node as unknown as Record<symbol, string | undefined>)[CALL_SITE];
    if (site) return site;
  }
  return undefined;
}

/** Lets call sites be shown relative to the app folder. */
export function setAppRoot(root: string): void {
  appRoot = root;
}

/** Runs `replay` (which must run the orchestrator synchronously, as the package does) and returns its task ids. */
export interface ReplayRecording<T> {
  value: T;
  /** Matches the replay's tasks against the history's scheduling events (see history/task-matching). */
  analyze: (scheduled: ReadonlyMap<number, HistoryEvent>, replayFailed: boolean) => ReplayAnalysis;
  /** What the orchestrator threw, with its stack (the package keeps only the message). */
  thrown: () => unknown;
  /** Names of the external events the orchestrator is waiting for. */
  waitingForEvents: () => string[];
  /**
   * Index of the history event being replayed when the orchestrator called continueAsNew. Events raised after it
   * belong to the next execution (DurableTask.Core's carry-over).
   */
  continueAsNewAt: () => number | undefined;
  /**
   * When the orchestrator is blocked on Task.all over plain tasks, the ids of those still open: it cannot observe
   * any of them until all have completed (or one failed).
   */
  waitingForAll: () => number[] | undefined;
}

export function recordReplay<T>(replay: () => T, options: { captureCallSites?: boolean; trace?: TraceHooks; rerun?: boolean } = {}): ReplayRecording<T> {
  const recording: Recording = {
    captureCallSites: options.captureCallSites === true,
    rerun: options.rerun === true,
    trace: options.trace,
    eventIndex: -1,
    tasks: [],
    fireAndForget: [],
  };
  current = recording;
  try {
    const value = replay();
    return {
      value,
      analyze: (scheduled, replayFailed) => analyze(recording, scheduled, replayFailed),
      thrown: () => recording.executor?.exception,
      waitingForEvents: () => Object.keys(recording.executor?.openEvents ?? {}),
      continueAsNewAt: () => recording.continueAsNewAt,
      waitingForAll: () => openChildrenOfWhenAll(recording.executor?.currentTask),
    };
  } finally {
    current = undefined;
  }
}

export interface ReplayAnalysis extends TaskMatch {
  /** Tasks that have not completed, less cancelled timers and entity signals: they hold the orchestration open. */
  openTaskIds: number[];
  /** Timers the orchestrator cancelled that are still open (their firing will be ignored). */
  canceledTimerIds: number[];
  /** Every timer the orchestrator cancelled, open or not, and the event it was processing then. */
  timerCancellations: TimerCancellation[];
}

/**
 * One pass over the replay's tasks. Tasks the history already records are checked without building descriptions
 * (this runs on every episode, and a long orchestration has thousands of them); new ones are described for the host.
 */
function analyze(recording: Recording, scheduled: ReadonlyMap<number, HistoryEvent>, replayFailed: boolean): ReplayAnalysis {
  const newTasks: TrackedTask[] = [];
  const openTaskIds: number[] = [];
  const canceledTimerIds: number[] = [];
  const timerCancellations: TimerCancellation[] = [];
  let matched = 0;
  let nondeterminism: NondeterminismReport | undefined;
  for (const task of recording.tasks) {
    const id = task.id as number;
    const open = task.stateObj === TASK_RUNNING;
    const event = scheduled.get(id);
    if (event) {
      matched++;
      if (!nondeterminism && !recordedBy(task, event)) nondeterminism = mismatch(id, event, roleOf(task), callSiteOf(task));
    } else {
      newTasks.push({ id, open, task: roleOf(task) });
    }
    if (open) {
      if (isTimer(task) && isCanceledTimer(task)) canceledTimerIds.push(id);
      else openTaskIds.push(id);
    }
    if (isTimer(task)) {
      const eventIndex = canceledAtEvent(task);
      if (eventIndex !== undefined) timerCancellations.push({ timerId: id, eventIndex });
    }
  }
  for (const entry of recording.fireAndForget) {
    for (let id = entry.firstId; id < entry.firstId + entry.count; id++) {
      const role: TrackedTaskRole =
        entry.action.actionType === ActionType.ReleaseEntities
          ? { role: "entityLock", operation: "release", entityInstanceId: entry.releasing?.[id - entry.firstId] ?? "" }
          : {
              role: "entity",
              operation: "signal",
              entityInstanceId: entry.action.instanceId ?? "",
              operationName: entry.action.operation ?? "",
              input: entry.action.input,
            };
      const event = scheduled.get(id);
      if (event) {
        matched++;
        if (!nondeterminism && event.EventType !== HistoryEventType.EventSent) nondeterminism = mismatch(id, event, role);
      } else {
        newTasks.push({ id, open: false, task: role });
      }
    }
  }
  if (!nondeterminism && !replayFailed && matched < scheduled.size) {
    const replayed = new Set<number>(recording.tasks.map((task) => task.id as number));
    for (const entry of recording.fireAndForget) for (let i = 0; i < entry.count; i++) replayed.add(entry.firstId + i);
    for (const [eventId, event] of scheduled) {
      if (!replayed.has(eventId)) {
        nondeterminism = missing(eventId, event);
        break;
      }
    }
  }
  newTasks.sort((a, b) => a.id - b.id);
  return { newTasks, nondeterminism, openTaskIds, canceledTimerIds, timerCancellations };
}

function isTimer(task: PackageTask): boolean {
  return task.actionObj !== "noOp" && task.actionObj.actionType === ActionType.CreateTimer;
}

function isCanceledTimer(task: PackageTask): boolean {
  return (task.actionObj as PackageAction).isCanceled === true || task.parent?.isCanceled === true;
}

/** Whether the history event is the one this task produces (same kind of event and, for calls, same name). */
function recordedBy(task: PackageTask, event: HistoryEvent): boolean {
  let action = task.actionObj;
  if (action === "noOp") {
    const parent = task.parent;
    if (!parent || parent.actionObj === "noOp") return false;
    if (parent.children.indexOf(task) % 2 === 1) return event.EventType === HistoryEventType.TimerCreated;
    action = parent.actionObj;
  }
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      return event.EventType === HistoryEventType.TaskScheduled && event.Name === action.functionName;
    case ActionType.CallHttp:
      return event.EventType === HistoryEventType.TaskScheduled && event.Name === HTTP_ACTIVITY_NAME;
    case ActionType.CallSubOrchestrator:
    case ActionType.CallSubOrchestratorWithRetry:
      return event.EventType === HistoryEventType.SubOrchestrationInstanceCreated && event.Name === action.functionName;
    case ActionType.CreateTimer:
      return event.EventType === HistoryEventType.TimerCreated;
    case ActionType.CallEntity:
    case ActionType.LockEntities:
      return event.EventType === HistoryEventType.EventSent;
    default:
      return false;
  }
}

function openChildrenOfWhenAll(task: PackageTask | undefined): number[] | undefined {
  // Subclasses of WhenAllTask (retries, long timers) complete on their own terms: only the plain Task.all counts.
  if (!task || task.constructor.name !== "WhenAllTask" || task.stateObj !== TASK_RUNNING || !task.children) return undefined;
  const open: number[] = [];
  for (const child of task.children) {
    if (child.children || typeof child.id !== "number") return undefined; // nested compound task or event wait
    if (child.stateObj === TASK_RUNNING) open.push(child.id);
  }
  return open;
}

/** Activity-style inputs arrive JSON-encoded when they were strings (the package's Utils.processInput). */
function decodeProcessedInput(input: unknown): unknown {
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

function describeCall(action: PackageAction): TrackedTaskRole {
  switch (action.actionType) {
    case ActionType.CallActivity:
    case ActionType.CallActivityWithRetry:
      return { role: "activity", name: action.functionName ?? "", input: decodeProcessedInput(action.input) };
    case ActionType.CallSubOrchestrator:
      return { role: "subOrchestration", name: action.functionName ?? "", input: action.input, instanceId: action.instanceId, version: action.version };
    case ActionType.CallSubOrchestratorWithRetry:
      return {
        role: "subOrchestration",
        name: action.functionName ?? "",
        input: decodeProcessedInput(action.input),
        instanceId: action.instanceId,
        version: action.version,
      };
    case ActionType.CreateTimer:
      return { role: "timer", fireAt: (action.fireAt as Date).toISOString(), canceled: action.isCanceled === true };
    case ActionType.CallHttp:
      return { role: "http", request: action.httpRequest as DurableHttpRequestDto };
    case ActionType.CallEntity:
      return { role: "entity", operation: "call", entityInstanceId: action.instanceId ?? "", operationName: action.operation ?? "", input: action.input };
    case ActionType.LockEntities:
      return { role: "entityLock", operation: "lock", entityInstanceIds: (action.lockSet ?? []).map(schedulerId) };
    default:
      return { role: "unknown", description: `action type ${action.actionType}` };
  }
}

/** What a task the package tracks stands for (exported for the tracer). */
export function roleOf(task: PackageTask): TrackedTaskRole {
  const parent = task.parent;
  if (task.actionObj === "noOp") {
    // A RetryableTask's children are: the first attempt, then (timer, next attempt) pairs.
    if (!parent || parent.actionObj === "noOp") return { role: "unknown", description: "no-op task without a retry parent" };
    const index = parent.children.indexOf(task);
    const retryAction = parent.actionObj;
    if (index % 2 === 1) {
      return {
        role: "retryTimer",
        firstAttemptId: parent.children[0].id as number,
        failures: (index + 1) / 2,
        retryOptions: { ...(retryAction.retryOptions as RetryOptionsDto) },
      };
    }
    return describeCall(retryAction);
  }
  const role = describeCall(task.actionObj);
  if (role.role === "timer" && parent?.isCanceled) role.canceled = true;
  // CallHttpWithPollingTask's children are the first call, then (timer, poll) pairs.
  if (role.role === "timer" && parent && parent.actionObj !== "noOp" && parent.actionObj.actionType === ActionType.CallHttp) role.httpPoll = true;
  if (role.role === "http" && parent?.children) {
    // Under HTTP polling the children are: the first call, then (timer, poll) pairs; a poll GETs the last Location.
    const index = parent.children.indexOf(task);
    const previousCall = index >= 2 ? parent.children[index - 2] : undefined;
    const headers = previousCall?.result?.headers ?? {};
    const key = Object.keys(headers).find((name) => name.toLowerCase() === "location");
    const location = key ? headers[key] : undefined;
    if (location) role.pollLocation = Array.isArray(location) ? location[0] : location;
  }
  return role;
}
