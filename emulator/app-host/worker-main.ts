/**
 * Entry point of the app host: a child Node process that loads the user's Functions app the way the Node worker
 * does and runs its handlers on request. It keeps each running orchestration's history so the emulator only sends
 * the events that are new. A crash here never reaches the emulator's store.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { format, inspect } from "node:util";
import { installFunctionsCore, type CapturedFunction, type CapturedRegistrations, type FunctionHandler } from "./functions-core";
import { installReplayObserver, recordReplay, setAppRoot, type ReplayAnalysis } from "./replay-observer";
import { createTracer } from "./replay-tracer";
import { isRecordedRole, type ChildToParent, type EntityBatchResultDto, type ErrorDto, type ParentToChild, type AppHostStartOptions } from "./protocol";
import { SCHEDULING_EVENT_TYPES, type HistoryEvent } from "../history/history-event";
import { mismatch } from "../history/task-matching";
import { predictedEvents, sameEventsApartFromTime, speculativeStartTime, watchClockReads } from "./speculation";
import { describeSerializationError, sendBatch, type SendFunction } from "./ipc-batch";
import { startEpisodeWatchdog, type EpisodeWatchdog } from "./episode-watchdog";
import { captureEntityErrors, installEntityErrorCapture } from "./entity-errors";
import { appStartContext, appTerminateContext, executeHooks, invokeWithHooks, prepareInvocation } from "./hooks";

const outbox: ChildToParent[] = [];
let flushScheduled = false;

function send(message: ChildToParent): void {
  outbox.push(message);
  if (!flushScheduled) {
    flushScheduled = true;
    setImmediate(flush);
  }
}

function flush(): void {
  flushScheduled = false;
  if (outbox.length === 0 || !process.send) return;
  const send = process.send.bind(process) as SendFunction<ChildToParent>;
  // A lost channel means the emulator is gone; 'disconnect' ends this process.
  sendBatch(send, outbox.splice(0, outbox.length), unsendableResult, () => undefined);
}

/**
 * What the emulator gets instead of a result JSON cannot hold: the invocation fails with the reason, as it does
 * under the Node worker (which converts return values with JSON.stringify). Only that invocation fails.
 */
function unsendableResult(message: ChildToParent, error: Error): ChildToParent | undefined {
  const reason = describeSerializationError(error);
  const failure: ErrorDto = { name: "TypeError", message: `The function's result cannot be sent to the host: ${reason}.` };
  switch (message.type) {
    case "activityResult":
      return { type: "activityResult", requestId: message.requestId, ok: false, error: failure };
    case "eagerActivityResult":
      return {
        type: "eagerActivityResult",
        instanceId: message.instanceId,
        executionId: message.executionId,
        taskId: message.taskId,
        ok: false,
        error: failure,
      };
    case "httpResult":
      return { type: "httpResult", requestId: message.requestId, ok: false, error: failure };
    case "orchestrationResult": {
      const { result } = message;
      return {
        type: "orchestrationResult",
        requestId: message.requestId,
        result: {
          instanceId: result.instanceId,
          executionId: result.executionId,
          state: { isDone: false, schemaVersion: result.state.schemaVersion, actionCount: 0 },
          failure: { message: `its output, custom status or an input it passes on cannot be converted to JSON: ${reason}` },
          newTasks: [],
          waitingForEvents: [],
          openTaskIds: [],
          canceledTimerIds: [],
          timerCancellations: [],
          eagerTaskIds: [],
        },
      };
    }
    case "log":
      return { ...message, message: `(a log message that cannot be converted to JSON: ${reason})` };
    case "ready":
    case "loadError":
      return { type: "loadError", message: `The app's function metadata cannot be sent to the host: ${reason}.` };
    default:
      return "requestId" in message ? { type: "invocationError", requestId: message.requestId, message: failure.message } : undefined;
  }
}

/** Set while a traced replay runs: the orchestrator's logs belong to the trace, not to the live log. */
let logSink: ((level: string, message: string) => void) | undefined;

function log(level: string, message: string, functionName?: string): void {
  if (logSink) logSink(level, message);
  else send({ type: "log", level, message, functionName });
}

interface InvocationContextClass {
  new (init: { invocationId: string; functionName: string; logHandler: (level: string, ...args: unknown[]) => void; options?: unknown }): object;
}

let registrations: CapturedRegistrations;
let appRoot = "";
let InvocationContext: InvocationContextClass;
let invocationCounter = 0;
let watchdog: EpisodeWatchdog = { around: (_requestId, body) => body() };

function newContext(fn: CapturedFunction): object {
  invocationCounter++;
  const bindings = Object.entries(fn.bindings).map(([name, binding]) => ({ ...binding, name }));
  const trigger = bindings.find((binding) => /trigger$/i.test(binding.type));
  return new InvocationContext({
    invocationId: `devkit-${process.pid}-${invocationCounter}`,
    functionName: fn.name,
    logHandler: (level: string, ...args: unknown[]) => log(level, format(...args), fn.name),
    options: {
      trigger,
      extraInputs: bindings.filter((binding) => binding !== trigger && binding.direction === "in"),
      extraOutputs: bindings.filter((binding) => binding !== trigger && binding.direction === "out"),
    },
  });
}

function toErrorDto(error: unknown): ErrorDto {
  if (error instanceof Error) {
    const dto: ErrorDto = { name: error.name, message: error.message, stack: error.stack };
    // The package's activity wrapper replaces the message with FailureDetails JSON when a provider is registered.
    if (error.message.startsWith("{") && error.message.includes('"errorType"')) {
      try {
        const details = JSON.parse(error.message) as { errorMessage?: string };
        dto.failureDetailsJson = error.message;
        dto.message = details.errorMessage ?? error.message;
      } catch {
        // not FailureDetails after all
      }
    }
    return dto;
  }
  // As the Node worker's ensureErrorType (azure-functions-nodejs-worker src/errors.ts:30-58): a thrown non-Error
  // becomes new Error(text), whose stack is then the worker's.
  const wrap = (message: string): ErrorDto => ({ name: "Error", message, stack: new Error(message).stack });
  if (error === undefined || error === null) return wrap("Unknown error");
  if (typeof error === "string") return wrap(error);
  if (typeof error !== "object") return wrap(String(error));
  try {
    return wrap(JSON.stringify(error) ?? String(error));
  } catch {
    // A thrown value JSON cannot hold (a cycle, a BigInt): describe it rather than fail while failing.
    return { name: "Error", message: inspect(error, { depth: 2, breakLength: Infinity }) };
  }
}

function lookup(name: string, kind: CapturedFunction["kind"]): CapturedFunction {
  const fn = registrations.functions.get(name);
  if (!fn || fn.kind !== kind) {
    throw new Error(`No ${kind} function named "${name}" is registered in this app.`);
  }
  return fn;
}

const OUT_OF_PROC_LABEL = "\n\n$OutOfProcData$:";

interface CachedExecution {
  history: HistoryEvent[];
  /** The history's scheduling events by EventId, kept up to date as events arrive. */
  scheduled: Map<number, HistoryEvent>;
  /** How many events at the start of the history are marked as played. */
  played: number;
  /** The next episode, replayed ahead of its request (speculation.ts), while it runs or until the request comes. */
  ahead?: Promise<Speculation | undefined>;
  /** Replays ahead in a row that could not be used: an orchestration that reads the time each step gets none. */
  aheadMisses: number;
}

/** After this many replays ahead in a row that could not be used, an execution gets no more (each costs a replay). */
const MAX_AHEAD_MISSES = 2;

const executions = new Map<string, CachedExecution>();

interface RawState {
  isDone: boolean;
  actions: RawAction[][];
  output?: unknown;
  error?: string;
  customStatus?: unknown;
  schemaVersion: number;
}

type OrchestrateMessage = Extract<ParentToChild, { type: "orchestrate" }>;

/** What one replay decided, before the emulator's eager slots say which activities may start. */
interface Episode {
  state: RawState;
  failure?: { message: string; stack?: string };
  flatActions: RawAction[];
  match: ReplayAnalysis;
  waitingForEvents: string[];
  waitingForAll: number[] | undefined;
  continueAsNewAt: number | undefined;
}

interface Speculation {
  /** The history's length when it was replayed ahead, and the events the request must bring for it to stand. */
  base: number;
  events: HistoryEvent[];
  episode: Episode;
  /** What the orchestrator logged, sent only if the episode is used. */
  logs: HeldLog[];
}

type HeldLog = { kind: "context"; level: string; message: string } | { kind: "console"; method: string; message: string };

/** Replay requests are marked for the watchdog by id; one replayed ahead has none of its own. */
let speculationMarks = 0;

async function orchestrate(message: OrchestrateMessage): Promise<void> {
  const key = `${message.instanceId}|${message.executionId}`;
  const ahead = await executions.get(key)?.ahead;
  let execution = executions.get(key);
  if (execution) execution.ahead = undefined;
  if (message.knownEvents === 0) {
    execution = { history: [], scheduled: new Map(), played: 0, aheadMisses: 0 };
    executions.set(key, execution);
  } else if (!execution || execution.history.length !== message.knownEvents) {
    send({ type: "needHistory", requestId: message.requestId });
    return;
  }
  const { history, scheduled } = execution;
  // Events of earlier episodes count as played (context.df.isReplaying); only the last batch still needs marking.
  for (let i = execution.played; i < history.length; i++) history[i].IsPlayed = true;
  execution.played = history.length;
  const used = ahead && !message.check && ahead.base === message.knownEvents && sameEventsApartFromTime(message.newEvents, ahead.events) ? ahead : undefined;
  if (ahead) execution.aheadMisses = used ? 0 : execution.aheadMisses + 1;
  for (const event of message.newEvents) {
    history.push(event);
    if (SCHEDULING_EVENT_TYPES.has(event.EventType)) scheduled.set(event.EventId, event);
  }
  const fn = lookup(message.functionName, "orchestration");
  if (used) for (const held of used.logs) emitHeldLog(held, fn.name);
  const episode = used?.episode ?? (await replayEpisode(fn, message, history, scheduled, message.newEvents.length, message.requestId, newContext(fn)));
  const { state, failure, flatActions, match } = episode;
  const continueAction = flatActions.find((action) => action.actionType === 4);
  const eager =
    failure || match.nondeterminism
      ? []
      : match.newTasks
          .filter((t) => t.task.role === "activity" && registrations.functions.get(t.task.name)?.kind === "activity")
          .slice(0, message.eagerActivitySlots);
  send({
    type: "orchestrationResult",
    requestId: message.requestId,
    result: {
      instanceId: message.instanceId,
      executionId: message.executionId,
      state: {
        isDone: state.isDone,
        output: state.output,
        error: state.error,
        customStatus: state.customStatus,
        schemaVersion: state.schemaVersion,
        actionCount: flatActions.length,
      },
      failure,
      newTasks: match.newTasks,
      waitingForEvents: episode.waitingForEvents,
      waitingForAll: episode.waitingForAll,
      openTaskIds: match.openTaskIds,
      canceledTimerIds: match.canceledTimerIds,
      timerCancellations: match.timerCancellations,
      nondeterminism: match.nondeterminism,
      eagerTaskIds: eager.map((t) => t.id),
      continueAsNew: continueAction ? { input: decodeInput(continueAction.input), calledAtEvent: episode.continueAsNewAt ?? history.length - 1 } : undefined,
    },
  });
  const ends = state.isDone || failure !== undefined || match.nondeterminism !== undefined;
  if (ends) executions.delete(key);
  // The episode's result goes out before any eager activity runs: one that crashes the process must not take it along.
  if (eager.length) flush();
  // A chain's step: this activity is all the orchestration waits on, so its completion alone makes the next episode.
  const chainStep =
    !ends &&
    eager.length === 1 &&
    match.newTasks.length === 1 &&
    sameIds(match.openTaskIds, [eager[0].id]) &&
    execution.aheadMisses < MAX_AHEAD_MISSES &&
    !hasInvocationHooks();
  const lengthAfterEpisode = history.length;
  for (const { id, task } of eager) {
    if (task.role !== "activity") continue;
    void invokeActivity(task.name, task.input).then((outcome) => {
      send({ type: "eagerActivityResult", instanceId: message.instanceId, executionId: message.executionId, taskId: id, ...outcome });
      // Not when another episode came in between: the prediction would not hold.
      if (!chainStep || !outcome.ok || executions.get(key) !== execution || history.length !== lengthAfterEpisode) return;
      flush();
      execution.ahead = replayAhead(fn, message, execution, (at) => predictedEvents(id, task.name, task.input, outcome.result, at));
    });
  }
}

/** The orchestrator's replay on `history`, of which the last `newEventCount` events are new. */
async function replayEpisode(
  fn: CapturedFunction,
  message: OrchestrateMessage,
  history: HistoryEvent[],
  scheduled: Map<number, HistoryEvent>,
  newEventCount: number,
  watchdogMark: number,
  context: object,
  /** Wraps the synchronous replays (a replay ahead holds their logs). */
  around: <T>(body: () => T) => T = (body) => body(),
): Promise<Episode> {
  const trigger = {
    history,
    // "input": null without an input, as the extension's OrchestrationContextToString writes it.
    input: message.input === undefined ? null : message.input,
    instanceId: message.instanceId,
    isReplaying: history.length > newEventCount,
    parentInstanceId: message.parentInstanceId,
    upperSchemaVersion: message.upperSchemaVersion,
    upperSchemaVersionNew: message.upperSchemaVersion,
    ...message.timerSettings,
  };
  // The invocation hooks run around the orchestrator as around any function; the replay itself stays synchronous.
  const invocation = message.check
    ? { callback: fn.handler, inputs: [trigger] as unknown[], finish: async (outcome: { result: unknown } | { error: unknown }) => outcome }
    : await prepareInvocation(registrations, context, fn.handler, [trigger]);
  const { value, analyze, thrown, waitingForEvents, continueAsNewAt, waitingForAll } = around(() =>
    watchdog.around(watchdogMark, () => recordReplay(() => invocation.callback(...invocation.inputs, context) as Promise<RawState>)),
  );
  let outcome: { result: unknown } | { error: unknown };
  try {
    outcome = { result: await value };
  } catch (error) {
    outcome = { error };
  }
  outcome = await invocation.finish(outcome);
  let state: RawState;
  let failure: { message: string; stack?: string } | undefined;
  try {
    if ("error" in outcome) throw outcome.error;
    state = outcome.result as RawState;
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const split = text.indexOf(OUT_OF_PROC_LABEL);
    if (split < 0) throw error;
    state = JSON.parse(text.slice(split + OUT_OF_PROC_LABEL.length)) as RawState;
    const original = thrown();
    failure = {
      message: state.error ?? (original instanceof Error ? original.message : String(original)),
      stack: original instanceof Error ? original.stack : undefined,
    };
  }
  let match = analyze(scheduled, failure !== undefined);
  if (match.nondeterminism && !match.nondeterminism.sourceLine) {
    // Replay once more, noting where the app makes each call, to point at the line that diverged.
    const diagnostic = around(() =>
      watchdog.around(watchdogMark, () =>
        recordReplay(() => fn.handler(trigger, newContext(fn)) as Promise<RawState>, { captureCallSites: true, rerun: true }),
      ),
    );
    await Promise.resolve(diagnostic.value).catch(() => undefined);
    match = diagnostic.analyze(scheduled, failure !== undefined);
  }
  return {
    state,
    failure,
    flatActions: flattenActions(state.actions),
    match,
    waitingForEvents: waitingForEvents(),
    waitingForAll: waitingForAll(),
    continueAsNewAt: continueAsNewAt(),
  };
}

/**
 * Replays the next episode on the predicted events, with the orchestrator's logs held back. Undefined when the
 * decision depends on the episode's time or the replay failed: the request then replays as usual.
 */
async function replayAhead(
  fn: CapturedFunction,
  message: OrchestrateMessage,
  execution: CachedExecution,
  predict: (at: string) => HistoryEvent[] | undefined,
): Promise<Speculation | undefined> {
  const base = execution.history.length;
  const startMs = speculativeStartTime(execution.history, Date.now());
  const events = predict(new Date(startMs).toISOString());
  if (!events) return undefined;
  // Marked as played as the request would mark them (the same objects: harmless when the request replays anew).
  for (let i = execution.played; i < base; i++) execution.history[i].IsPlayed = true;
  execution.played = base;
  const history = [...execution.history, ...events.map((event) => ({ ...event }))];
  const scheduled = new Map(execution.scheduled);
  for (const event of history.slice(base)) if (SCHEDULING_EVENT_TYPES.has(event.EventType)) scheduled.set(event.EventId, event);
  const context = newContext(fn);
  const timeWasRead = watchClockReads(context, startMs);
  const logs: HeldLog[] = [];
  try {
    const episode = await replayEpisode(fn, { ...message, check: undefined }, history, scheduled, events.length, --speculationMarks, context, (body) =>
      holdingLogs(logs, body),
    );
    if (!timeWasRead()) return { base, events, episode, logs };
  } catch {
    // The request replays it again and reports what went wrong.
  }
  execution.aheadMisses++;
  return undefined;
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, index) => id === b[index]);
}

/** preInvocation/postInvocation hooks would run for an episode that may never be asked for: no replay ahead then. */
function hasInvocationHooks(): boolean {
  return registrations.hooks.some((hook) => hook.type === "preInvocation" || hook.type === "postInvocation");
}

/** Runs `body` (a synchronous replay) with what the orchestrator logs, by context.log or console, held in `logs`. */
function holdingLogs<T>(logs: HeldLog[], body: () => T): T {
  const saved = Object.keys(CONSOLE_LEVELS).map((name) => [name, (console as unknown as Record<string, unknown>)[name]] as const);
  for (const name of Object.keys(CONSOLE_LEVELS)) {
    (console as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => logs.push({ kind: "console", method: name, message: format(...args) });
  }
  logSink = (level, message) => logs.push({ kind: "context", level, message });
  try {
    return body();
  } finally {
    logSink = undefined;
    for (const [name, original] of saved) (console as unknown as Record<string, unknown>)[name] = original;
  }
}

function emitHeldLog(held: HeldLog, functionName: string): void {
  if (held.kind === "context") log(held.level, held.message, functionName);
  else (console as unknown as Record<string, (text: string) => void>)[held.method](held.message);
}

/** The events of a history file the parent has already validated (an export file or a bare event array). */
function readHistoryEvents(file: string): HistoryEvent[] {
  const json = JSON.parse(fs.readFileSync(file, "utf8")) as HistoryEvent[] | { history: HistoryEvent[] };
  return Array.isArray(json) ? json : json.history;
}

/** The orchestrator's final state; a failed orchestrator's state comes inside the package's error message. */
async function settle(value: Promise<RawState>, thrown: () => unknown): Promise<{ state: RawState; failure?: { message: string; stack?: string } }> {
  try {
    return { state: await value };
  } catch (error) {
    const text = error instanceof Error ? error.message : String(error);
    const split = text.indexOf(OUT_OF_PROC_LABEL);
    if (split < 0) throw error;
    const state = JSON.parse(text.slice(split + OUT_OF_PROC_LABEL.length)) as RawState;
    const original = thrown();
    return {
      state,
      failure: {
        message: state.error ?? (original instanceof Error ? original.message : String(original)),
        stack: original instanceof Error ? original.stack : undefined,
      },
    };
  }
}

const CONSOLE_LEVELS = { log: "information", info: "information", debug: "debug", trace: "trace", warn: "warning", error: "error" } as const;

/** Runs `body` with console output and context.log captured into `sink`. */
function capturingLogs<T>(sink: (level: string, message: string) => void, body: () => T): T {
  const saved = Object.keys(CONSOLE_LEVELS).map((name) => [name, (console as unknown as Record<string, unknown>)[name]] as const);
  for (const [name, level] of Object.entries(CONSOLE_LEVELS)) {
    (console as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => sink(level, format(...args));
  }
  logSink = sink;
  try {
    return body();
  } finally {
    logSink = undefined;
    for (const [name, original] of saved) (console as unknown as Record<string, unknown>)[name] = original;
  }
}

/**
 * Replays a whole history against the current code without running anything: the verdict for `replay`, and with
 * `detailed` the event-by-event record the debugger steps through.
 */
async function trace(message: Extract<ParentToChild, { type: "trace" }>): Promise<void> {
  const fn = lookup(message.functionName, "orchestration");
  const history = Array.isArray(message.history) ? message.history : readHistoryEvents(message.history.file);
  // The events arrived fresh (IPC or file): marking them in place copies nothing.
  for (const event of history) event.IsPlayed = false;
  const scheduled = new Map<number, HistoryEvent>();
  for (const event of history) if (SCHEDULING_EVENT_TYPES.has(event.EventType)) scheduled.set(event.EventId, event);
  const trigger = {
    history,
    // "input": null without an input, as the extension's OrchestrationContextToString writes it.
    input: message.input === undefined ? null : message.input,
    instanceId: message.instanceId,
    isReplaying: true,
    parentInstanceId: message.parentInstanceId,
    upperSchemaVersion: message.upperSchemaVersion,
    upperSchemaVersionNew: message.upperSchemaVersion,
    ...message.timerSettings,
  };
  const tracer = message.detailed ? createTracer(true, appRoot) : undefined;
  const sink = tracer ? tracer.log : () => undefined;
  const recording = watchdog.around(message.requestId, () =>
    capturingLogs(sink, () => recordReplay(() => fn.handler(trigger, newContext(fn)) as Promise<RawState>, { trace: tracer?.hooks, rerun: true })),
  );
  const { state, failure } = await settle(recording.value, recording.thrown);
  const match = recording.analyze(scheduled, failure !== undefined);
  const record = tracer ? tracer.finish(history) : { steps: [], tasks: [] };
  let nondeterminism = match.nondeterminism;
  if (nondeterminism && !nondeterminism.sourceLine) {
    // The traced stacks say where the diverging call was made, without a second replay.
    const traced = record.tasks.find((task) => task.id === nondeterminism?.eventId);
    const frame = traced?.stack[0];
    const event = scheduled.get(nondeterminism.eventId);
    if (traced && frame && event && isRecordedRole(traced.task)) {
      nondeterminism = mismatch(nondeterminism.eventId, event, traced.task, `${path.relative(appRoot, frame.file)}:${frame.line}:${frame.column}`);
    }
  }
  send({
    type: "traceResult",
    requestId: message.requestId,
    result: {
      ...record,
      state: { isDone: state.isDone, output: state.output, error: state.error, customStatus: state.customStatus },
      failure,
      newTasks: match.newTasks,
      nondeterminism,
      orchestratorSource: fn.source,
    },
  });
}

interface RawAction {
  actionType: number;
  input?: unknown;
  compoundActions?: RawAction[];
}

function flattenActions(actions: RawAction[][]): RawAction[] {
  const flat: RawAction[] = [];
  const visit = (action: RawAction) => {
    if (action.compoundActions) action.compoundActions.forEach(visit);
    else flat.push(action);
  };
  for (const group of actions ?? []) for (const action of group ?? []) visit(action);
  return flat;
}

/** ContinueAsNew inputs arrive JSON-encoded when they were strings (the package's Utils.processInput). */
function decodeInput(input: unknown): unknown {
  if (typeof input !== "string") return input;
  try {
    return JSON.parse(input);
  } catch {
    return input;
  }
}

type ActivityOutcome = { ok: true; result: unknown } | { ok: false; error: ErrorDto };

async function invokeActivity(name: string, input: unknown): Promise<ActivityOutcome> {
  try {
    const fn = lookup(name, "activity");
    const result = await invokeWithHooks(registrations, newContext(fn), fn.handler, [input]);
    return { ok: true, result: result === undefined ? null : result };
  } catch (error) {
    return { ok: false, error: toErrorDto(error) };
  }
}

interface CoreInvocationModel {
  getArguments(): Promise<{ context: object; inputs: unknown[] }>;
  invokeFunction(context: object, inputs: unknown[], handler: FunctionHandler): Promise<unknown>;
  getResponse(context: object, result: unknown): Promise<{ returnValue?: { http?: RpcHttpResponse } | null }>;
}

interface RpcHttpResponse {
  statusCode?: string;
  headers?: Record<string, string>;
  cookies?: { name: string; value: string; [attribute: string]: unknown }[];
  body?: { bytes?: Uint8Array; string?: string } | null;
}

/**
 * Runs an httpTrigger function exactly as the Node worker does: through the programming model's invocation model,
 * with the request and any durableClient input as RPC typed data, and the HttpResponse converted back.
 */
async function runHttp(message: Extract<ParentToChild, { type: "http" }>): Promise<void> {
  const fn = lookup(message.functionName, "http");
  const model = registrations.programmingModel as { getInvocationModel(coreCtx: object): CoreInvocationModel } | undefined;
  if (!model) throw new Error("The app registered no programming model; is @azure/functions v4 installed?");
  invocationCounter++;
  const request = message.request;
  const inputData: { name: string; data: object }[] = [];
  for (const [name, binding] of Object.entries(fn.bindings)) {
    if (/^httptrigger$/i.test(binding.type)) {
      const body = request.bodyBase64 ? { bytes: Buffer.from(request.bodyBase64, "base64") } : undefined;
      inputData.push({
        name,
        data: { http: { method: request.method, url: request.url, headers: request.headers, query: request.query, params: request.params, body } },
      });
    } else if (/^(durableClient|orchestrationClient)$/i.test(binding.type)) {
      inputData.push({ name, data: { string: JSON.stringify(message.durableClient) } });
    }
  }
  const invocation = model.getInvocationModel({
    invocationId: `devkit-${process.pid}-${invocationCounter}`,
    metadata: { name: fn.name, bindings: fn.bindings },
    request: { inputData, triggerMetadata: {} },
    state: undefined,
    log: (level: string, _category: string, text: string) => log(level, text, fn.name),
  });
  try {
    const { context, inputs } = await invocation.getArguments();
    // As the worker's InvocationHandler: preInvocation hooks, the function, postInvocation hooks, then the response.
    const prepared = await prepareInvocation(registrations, context, fn.handler, inputs);
    let outcome: { result: unknown } | { error: unknown };
    try {
      outcome = { result: await invocation.invokeFunction(context, prepared.inputs, prepared.callback) };
    } catch (error) {
      outcome = { error };
    }
    outcome = await prepared.finish(outcome);
    if ("error" in outcome) throw outcome.error;
    const response = await invocation.getResponse(context, outcome.result);
    const http = response.returnValue?.http ?? {};
    const body = http.body?.bytes ? Buffer.from(http.body.bytes) : Buffer.from(http.body?.string ?? "");
    send({
      type: "httpResult",
      requestId: message.requestId,
      ok: true,
      response: { status: Number(http.statusCode ?? 200), headers: http.headers ?? {}, cookies: http.cookies ?? [], bodyBase64: body.toString("base64") },
    });
  } catch (error) {
    send({ type: "httpResult", requestId: message.requestId, ok: false, error: toErrorDto(error) });
  }
}

/**
 * Runs one batch of entity operations through the package's entity function, whose result goes back as it is (a
 * failed operation's result is JSON.stringify of what it threw, as on Azure), with what each failed operation threw.
 */
async function runEntityBatch(message: Extract<ParentToChild, { type: "entity" }>): Promise<void> {
  const fn = lookup(message.functionName, "entity");
  const trigger = { self: message.entity, exists: message.exists, state: message.state, batch: message.batch };
  const context = newContext(fn);
  const thrown = captureEntityErrors(context);
  const result = JSON.parse(JSON.stringify(await invokeWithHooks(registrations, context, fn.handler, [trigger]))) as EntityBatchResultDto;
  if (thrown().length) result.thrown = thrown();
  send({ type: "entityResult", requestId: message.requestId, result });
}

async function runActivity(message: Extract<ParentToChild, { type: "activity" }>): Promise<void> {
  send({ type: "activityResult", requestId: message.requestId, ...(await invokeActivity(message.functionName, message.input)) });
}

function handle(message: ParentToChild): void {
  const run = (): Promise<void> | void => {
    switch (message.type) {
      case "orchestrate":
        return orchestrate(message);
      case "activity":
        return runActivity(message);
      case "trace":
        return trace(message);
      case "http":
        return runHttp(message);
      case "entity":
        return runEntityBatch(message);
      case "forget":
        executions.delete(`${message.instanceId}|${message.executionId}`);
        return;
      case "terminate":
        return terminate();
    }
  };
  Promise.resolve()
    .then(run)
    .catch((error: unknown) => {
      if ("requestId" in message) {
        const dto = toErrorDto(error);
        send({ type: "invocationError", requestId: message.requestId, message: dto.stack ?? dto.message });
      }
    });
}

/** The worker's terminateWorker: the appTerminate hooks, then exit (the emulator allows 5 s, as the host does). */
async function terminate(): Promise<void> {
  try {
    if (registrations) await executeHooks(registrations, "appTerminate", appTerminateContext());
  } catch (error) {
    log("error", `An appTerminate hook failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    flush();
  }
  process.exit(0);
}

function resolveFromApp(appDir: string, packageName: string): string {
  try {
    return path.dirname(require.resolve(`${packageName}/package.json`, { paths: [appDir] }));
  } catch {
    throw new Error(
      `The app in ${appDir} does not have the "${packageName}" package installed. ` +
        `Run \`npm install ${packageName}\` in that folder (or \`npm install\` if it is already in package.json).`,
    );
  }
}

async function start(options: AppHostStartOptions): Promise<void> {
  process.setSourceMapsEnabled(true);
  watchdog = startEpisodeWatchdog(options.episodeLimitMs);
  registrations = installFunctionsCore((level, message) => log(level, message));
  const functionsRoot = resolveFromApp(options.appDir, "@azure/functions");
  const durableRoot = resolveFromApp(options.appDir, "durable-functions");
  installReplayObserver(durableRoot);
  installEntityErrorCapture(durableRoot);
  setAppRoot(options.appDir);
  appRoot = options.appDir;
  InvocationContext = (require(functionsRoot) as { InvocationContext: InvocationContextClass }).InvocationContext;
  for (const file of options.entryFiles) {
    // Not batched: if this file never finishes loading, the batch would never go out.
    process.send?.([{ type: "loading", file } satisfies ChildToParent], () => undefined);
    try {
      require(file);
    } catch (error) {
      const dto = toErrorDto(error);
      throw new Error(`Loading ${path.relative(options.appDir, file) || file} failed: ${dto.stack ?? dto.message}`);
    }
  }
  // The worker's startApp runs the appStart hooks once the entry files have loaded.
  await executeHooks(registrations, "appStart", appStartContext(options.appDir));
  const durableVersion = (require(path.join(durableRoot, "package.json")) as { version: string }).version;
  send({
    type: "ready",
    durableFunctionsVersion: durableVersion,
    functions: [...registrations.functions.values()].map(({ handler: _handler, ...info }) => info),
  });
}

process.on("message", (batch: ParentToChild[] | { type: "start"; options: AppHostStartOptions }) => {
  if (!Array.isArray(batch)) {
    start(batch.options).catch((error: unknown) => {
      send({ type: "loadError", message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined });
    });
    return;
  }
  for (const message of batch) handle(message);
});
process.on("disconnect", () => process.exit(0));
