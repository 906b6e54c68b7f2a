/**
 * Records a Durable Task SDK replay event by event, for the replay debugger: the SDK's own replay runs unchanged
 * (processOrchestratorRequest), and wrappers around its methods only watch it. It runs in the user's worker process,
 * loaded by sdk-replay-preload.ts, so it loads nothing of ours but the protocol's types.
 *
 * - OrchestrationExecutor.prototype.processEvent: after each event of the request (not those a resume replays from
 *   inside one: they belong to the ExecutionResumed that released them), the context's state — replaying or not, its
 *   clock, custom status, which recorded tasks are still open, which just completed, what the last yield waits on.
 * - The context's durable calls (callActivity, callSubOrchestrator, createTimer, sendEvent, waitForExternalEvent, and
 *   the entity feature's callEntity, signalEntity, lockEntities): the action each creates (its id is the SDK's
 *   sequence number, the EventId of its scheduling event in the history) and the app's source frame of the call.
 *
 * The prototypes are patched on the first context a traced replay sees, so the classes are those of the SDK the app
 * itself loaded, whatever its path. What a trace collects lives in an AsyncLocalStorage store, so replays that are
 * not traced (`replay`'s) and traced ones never mix, even when the worker runs them concurrently.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import * as path from "node:path";
import { fileURLToPath } from "node:url";
import type { SdkReplayTraceRecord, SdkTraceFrame, SdkTracedCall } from "./sdk-replay-protocol";

/** What the tracer reads of the SDK's context: its private state, as 0.4.0 names it (a later SDK may rename it). */
interface ContextInternals {
  _sequenceNumber?: number;
  _pendingActions?: Record<number, { serializeBinary?: () => Uint8Array }>;
  _isReplaying?: boolean;
  _currentUtcDatetime?: Date;
  _previousTask?: object;
  _isComplete?: boolean;
  getCustomStatus?: () => string | undefined;
  entities?: object;
}

interface TaskLike {
  isComplete?: boolean;
  _tasks?: unknown[];
}

type Method = (this: unknown, ...args: unknown[]) => unknown;

interface Recording extends SdkReplayTraceRecord {
  /** The task object each call returned, by call index (undefined for calls that return none). */
  tasks: (TaskLike | undefined)[];
  taskIndex: WeakMap<object, number>;
  reportedComplete: Set<number>;
  /** The request's event being processed (-1 before the first). */
  processing: number;
  nextEvent: number;
  depth: number;
}

const storage = new AsyncLocalStorage<Recording>();
const TRACED = Symbol("durableDevkitTraced");
const CONTEXT_METHODS = ["callActivity", "callSubOrchestrator", "createTimer", "sendEvent", "waitForExternalEvent"];
const ENTITY_METHODS = ["callEntity", "signalEntity", "lockEntities"];

/** Patches the executor (once); `traced` then runs one replay with a recording. */
export function installTracer(executorPrototype: { processEvent?: Method }): void {
  const original = executorPrototype.processEvent;
  if (typeof original !== "function" || (original as unknown as Record<symbol, boolean>)[TRACED]) return;
  const processEvent = async function (this: unknown, ...args: unknown[]): Promise<unknown> {
    const recording = storage.getStore();
    const ctx = args[0] as ContextInternals | undefined;
    if (!recording || !ctx || recording.depth > 0) return original.apply(this, args);
    patchContext(ctx);
    const index = recording.nextEvent++;
    recording.processing = index;
    recording.depth++;
    try {
      return await original.apply(this, args);
    } finally {
      recording.depth--;
      recording.steps.push(snapshot(recording, ctx, index));
    }
  };
  (processEvent as unknown as Record<symbol, boolean>)[TRACED] = true;
  executorPrototype.processEvent = processEvent;
}

/** Runs `replay` (the SDK's processOrchestratorRequest) recording what the orchestrator does. */
export async function traced<T>(replay: () => Promise<T>): Promise<{ result: T; trace: SdkReplayTraceRecord }> {
  const recording: Recording = {
    calls: [],
    steps: [],
    tasks: [],
    taskIndex: new WeakMap(),
    reportedComplete: new Set(),
    processing: -1,
    nextEvent: 0,
    depth: 0,
  };
  const result = await storage.run(recording, replay);
  return { result, trace: { calls: recording.calls, steps: recording.steps } };
}

function patchContext(ctx: ContextInternals): void {
  const contextPrototype = Object.getPrototypeOf(ctx) as Record<string, unknown>;
  for (const method of CONTEXT_METHODS) wrap(contextPrototype, method, (self) => self as ContextInternals);
  const entities = ctx.entities;
  if (entities) {
    const entityPrototype = Object.getPrototypeOf(entities) as Record<string, unknown>;
    for (const method of ENTITY_METHODS) wrap(entityPrototype, method, (self) => (self as { context?: ContextInternals }).context);
  }
}

function wrap(prototype: Record<string, unknown>, method: string, contextOf: (self: unknown) => ContextInternals | undefined): void {
  const original = prototype[method];
  if (typeof original !== "function" || (original as unknown as Record<symbol, boolean>)[TRACED]) return;
  const wrapped = function (this: unknown, ...args: unknown[]): unknown {
    const recording = storage.getStore();
    const ctx = contextOf(this);
    if (!recording || !ctx) return (original as Method).apply(this, args);
    const before = ctx._sequenceNumber ?? 0;
    const frame = callerFrame();
    const result = (original as Method).apply(this, args);
    const call: SdkTracedCall = { method, atEvent: recording.processing, frame };
    // Each of these calls takes the next sequence number first: that is its action's id.
    const id = before + 1;
    const action = (ctx._sequenceNumber ?? 0) >= id ? ctx._pendingActions?.[id] : undefined;
    if (action?.serializeBinary) {
      call.id = id;
      call.action = Buffer.from(action.serializeBinary()).toString("base64");
    }
    if (method === "waitForExternalEvent") call.eventName = String(args[0]);
    const index = recording.calls.push(call) - 1;
    if (result && typeof result === "object") {
      recording.tasks[index] = result as TaskLike;
      recording.taskIndex.set(result, index);
    }
    return result;
  };
  (wrapped as unknown as Record<symbol, boolean>)[TRACED] = true;
  prototype[method] = wrapped;
}

function snapshot(recording: Recording, ctx: ContextInternals, event: number): SdkReplayTraceRecord["steps"][number] {
  const open: number[] = [];
  const completed: number[] = [];
  recording.tasks.forEach((task, index) => {
    if (!task) return;
    if (!task.isComplete) open.push(index);
    else if (!recording.reportedComplete.has(index)) {
      recording.reportedComplete.add(index);
      completed.push(index);
    }
  });
  return {
    event,
    isReplaying: ctx._isReplaying === true,
    currentUtcDateTime: ctx._currentUtcDatetime instanceof Date ? ctx._currentUtcDatetime.toISOString() : undefined,
    customStatus: typeof ctx.getCustomStatus === "function" ? ctx.getCustomStatus() : undefined,
    open,
    completed,
    waitingOn: waitingOn(recording, ctx._previousTask),
    complete: ctx._isComplete === true,
  };
}

/** The recorded task the last yield waits on: the task itself, or for whenAll/whenAny the first open child of it. */
function waitingOn(recording: Recording, task: object | undefined): number | undefined {
  if (!task) return undefined;
  const own = recording.taskIndex.get(task);
  if (own !== undefined) return own;
  const children = (task as TaskLike)._tasks ?? [];
  const indexes = children.map((child) => (child && typeof child === "object" ? recording.taskIndex.get(child) : undefined));
  const open = indexes.find((index) => index !== undefined && !recording.tasks[index]?.isComplete);
  return open ?? indexes.find((index) => index !== undefined);
}

const FRAME = /^\s*at (?:async )?(?:(.*?) \()?(.*?):(\d+):(\d+)\)?$/;

/** The app's frame of the call: the first frame outside node_modules, Node's own modules and this file. */
function callerFrame(): SdkTraceFrame | undefined {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 40;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  for (const line of stack.split("\n").slice(1)) {
    const match = FRAME.exec(line);
    if (!match) continue;
    let file = match[2];
    if (file.startsWith("file://")) file = fileURLToPath(file);
    if (file === __filename || file.startsWith("node:") || !path.isAbsolute(file) || file.split(/[\\/]/).includes("node_modules")) continue;
    return { name: match[1] ?? "<anonymous>", file, line: Number(match[3]), column: Number(match[4]) };
  }
  return undefined;
}
