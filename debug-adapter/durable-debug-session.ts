/**
 * The Debug Adapter Protocol server for orchestrations. The unit of stepping is a history event: each instance is a
 * thread, its position is an event of its history, and its stack is the orchestrator source line of the durable call
 * that event belongs to. Positions come from a traced replay of the real package (debug-adapter/timeline.ts), so
 * stepping backwards is as exact as stepping forwards.
 */
import * as path from "node:path";
import { Writable } from "node:stream";
import {
  Breakpoint,
  BreakpointEvent,
  Event,
  InitializedEvent,
  LoggingDebugSession,
  OutputEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
  ThreadEvent,
  Handles,
} from "@vscode/debugadapter";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { HistoryEventType, OrchestrationStatusCode, type HistoryEvent } from "../emulator/history/history-event";
import { judgeReplay } from "../emulator/replay/replay-check";
import { InstanceTimeline } from "./timeline";
import { verifyLines, type JavaScriptDebuggerBeside } from "./breakpoints";
import { evaluatePath, ExpressionError } from "./expressions";
import { attachToServer, replaySaved, runInEmulator, type InstanceSource, type TimeHeld, type TimeSkipping } from "./instance-sources";
import { parseDuration } from "./duration";
import type { ReplayTrace } from "../emulator/app-host/protocol";
import type { SourceFrame } from "../emulator/core/functions";
import { parseJsonText } from "../emulator/api/json-text";

/** `launch` configuration of type "durable". */
export interface DurableLaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** "run" (default): start a new instance in an emulator. "replay": replay a saved history without running anything. */
  mode?: "run" | "replay";
  /** The Functions app folder (default: the current folder). */
  app?: string;
  /** run: the orchestrator to start. replay: checked against the history's orchestrator when given. */
  orchestrator?: string;
  input?: unknown;
  /** run: the new instance's id. replay: an instance in the store to replay. */
  instanceId?: string;
  /** replay: a file from `durable-devkit export`, or a management API status with showHistory=true. */
  history?: string;
  /** "memory" (default for run), or an SQLite store file. */
  store?: string;
  /**
   * Jump the clock to the next timer whenever nothing else can run (default true), except past a point where an
   * orchestrator waits for an external event: that timer waits for `advance` (or wall time). "always": skip every
   * timer, as `durable-devkit run --time-skip`. false: wall time.
   */
  timeSkipping?: TimeSkipping;
  stopOnEntry?: boolean;
  /** run: start the app process with the V8 inspector on 127.0.0.1 at this port, for a JavaScript debugger. */
  inspectPort?: number;
  /** run: the Node.js executable that runs the app (default: the one running the debugger). */
  nodePath?: string;
  /**
   * run, with inspectPort: start the instance only once the client sends the custom request
   * "javaScriptDebuggerAttached" (or after 20 s), so breakpoints set in a JavaScript debugger hit from the first episode.
   */
  waitForJavaScriptDebugger?: boolean;
  /**
   * run, with inspectPort: whether the client's JavaScript debugger also stops in replayed orchestrator code. The
   * VS Code extension says false unless durableDevkit.debug.stopInReplay is on, and gives js-debug's breakpoints a
   * condition to match; breakpoint messages say which. Left out: every episode (a client that does nothing of the kind).
   */
  stopInReplay?: boolean;
}

export interface DurableAttachArguments extends DebugProtocol.AttachRequestArguments {
  /** The port of a running `durable-devkit start`. */
  port: number;
  /** Only this instance (default: every orchestration instance of the server). */
  instanceId?: string;
}

interface DebugThread {
  id: number;
  instanceId: string;
  parentThreadId?: number;
  timeline?: InstanceTimeline;
  /** History length the timeline was built from; a longer history means a rebuild. */
  builtFrom: number;
  /** Index into timeline.stops. */
  position: number;
  /** Set after stepIn on an activity call: the activity about to run is shown on top. */
  inActivity?: { name: string; input: unknown; source?: SourceFrame };
  /** Events whose logs were already printed. */
  printed: Set<number>;
  /** The refresh in progress: refreshes run one after another, so an older history never lands after a newer one. */
  refreshing?: Promise<void>;
}

type StopReason = "entry" | "step" | "breakpoint" | "function breakpoint" | "exception" | "pause";

interface StopFound {
  thread: DebugThread;
  position: number;
  reason: StopReason;
  description?: string;
  text?: string;
  hitBreakpointIds?: number[];
}

const EXCEPTION_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
  { filter: "nondeterminism", label: "Nondeterminism", description: "The replay no longer matches the history: the code changed under a running instance.", default: true },
  { filter: "orchestrationFailed", label: "Orchestration failed", default: true },
  { filter: "activityFailed", label: "Activity failed", default: false },
  { filter: "entityError", label: "Entity operation failed", default: false },
];

const FRAME_STRIDE = 1000;

export class DurableDebugSession extends LoggingDebugSession {
  private source: InstanceSource | undefined;
  private readonly threads = new Map<number, DebugThread>();
  private nextThreadId = 1;
  private current: DebugThread | undefined;
  private readonly lineBreakpoints = new Map<string, { id: number; line: number }[]>();
  private functionBreakpoints: { id: number; name: string }[] = [];
  private exceptionFilters = new Set(EXCEPTION_FILTERS.filter((f) => f.default).map((f) => f.filter));
  private nextBreakpointId = 1;
  private readonly variableHandles = new Handles<{ value: unknown } | { history: DebugThread; upTo: number }>();
  private lastStop: StopFound | undefined;
  /** Set while the session runs forward on a live instance and waits for its history to grow. */
  private waiting: { thread: DebugThread; scanFrom: number; kind: "continue" | "next"; entry?: boolean } | undefined;
  private terminated = false;
  private configured!: Promise<void>;
  private markConfigured!: () => void;
  private stopOnEntry = false;
  /** Attached to every instance of a server, running until one of them hits a breakpoint. */
  private attachRunning = false;
  /** Instances whose timer time skipping holds back, until their history moves on. */
  private readonly heldTimers = new Map<string, TimeHeld>();

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configured = new Promise((resolve) => (this.markConfigured = resolve));
  }

  // ------------------------------------------------------------------ lifecycle

  protected override initializeRequest(response: DebugProtocol.InitializeResponse): void {
    response.body = {
      ...response.body,
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsRestartFrame: true,
      supportsFunctionBreakpoints: true,
      supportsEvaluateForHovers: true,
      supportsExceptionInfoRequest: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS,
      supportsTerminateRequest: true,
      supportsDelayedStackTraceLoading: false,
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.sendResponse(response);
    this.markConfigured();
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: DurableLaunchArguments): Promise<void> {
    const appDir = path.resolve(args.app ?? process.cwd());
    this.stopOnEntry = args.stopOnEntry === true;
    const beside = args.mode !== "replay" && args.history === undefined && args.inspectPort !== undefined;
    this.setJavaScriptDebuggerBeside(beside && (args.stopInReplay === false ? "first run" : "every episode"));
    await this.openSession(response, async () => {
      if (args.mode === "replay" || (args.mode === undefined && args.history !== undefined)) {
        return replaySaved({ appDir, history: args.history, instanceId: args.instanceId, store: args.store, orchestrator: args.orchestrator, nodePath: args.nodePath, onLog: (entry) => this.liveLog(entry), appOutput: this.consoleStream() });
      }
      if (!args.orchestrator) throw new Error('A "durable" launch needs "orchestrator": the name of the orchestrator function to run (or "mode": "replay" with a "history").');
      if (args.timeSkipping !== undefined && typeof args.timeSkipping !== "boolean" && args.timeSkipping !== "always") {
        throw new Error(`"timeSkipping" is true (skip timers, but hold at awaited events), "always" or false, not ${JSON.stringify(args.timeSkipping)}.`);
      }
      const beforeStart = args.waitForJavaScriptDebugger && args.inspectPort !== undefined ? () => this.javaScriptDebuggerAttached() : undefined;
      return runInEmulator({ appDir, orchestrator: args.orchestrator, input: args.input, instanceId: args.instanceId, store: args.store, timeSkipping: args.timeSkipping, inspectPort: args.inspectPort, nodePath: args.nodePath, beforeStart, onLog: (entry) => this.liveLog(entry), onTimeHeld: (held) => this.timeHeld(held), appOutput: this.consoleStream() });
    });
  }

  private javaScriptDebuggerSignal: (() => void) | undefined;
  private readonly javaScriptDebuggerReady = new Promise<void>((resolve) => (this.javaScriptDebuggerSignal = resolve));

  /** Resolves when the client says its JavaScript debugger is attached, or after 20 s (then the run goes on without). */
  private async javaScriptDebuggerAttached(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<"late">((resolve) => (timer = setTimeout(() => resolve("late"), 20_000)));
    const outcome = await Promise.race([this.javaScriptDebuggerReady, late]);
    clearTimeout(timer);
    if (outcome === "late") this.output("The JavaScript debugger did not attach within 20 s: the instance runs without it.\n", "console");
  }

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command !== "javaScriptDebuggerAttached") return super.customRequest(command, response, args);
    this.javaScriptDebuggerSignal?.();
    this.sendResponse(response);
  }

  protected override async attachRequest(response: DebugProtocol.AttachResponse, args: DurableAttachArguments): Promise<void> {
    this.stopOnEntry = false;
    await this.openSession(response, async () => {
      if (!Number.isInteger(args.port)) throw new Error('An "attach" configuration needs "port": the port `durable-devkit start` listens on.');
      const source = await attachToServer({ port: args.port, instanceId: args.instanceId, onLog: (entry) => this.liveLog(entry), appOutput: this.consoleStream() });
      this.source = source;
      try {
        for (const id of await source.listInstances()) await this.refresh(this.threadFor(id));
      } catch (error) {
        await source.close();
        throw error;
      }
      this.attachRunning = true;
      return source;
    });
  }

  /** Opens the source, answers the request, and stops or runs once the client has set its breakpoints. */
  private async openSession(response: DebugProtocol.Response, open: () => Promise<InstanceSource>): Promise<void> {
    try {
      this.source = await open();
    } catch (error) {
      this.failSession(response, error);
      return;
    }
    this.source.onHistoryChanged((instanceId) => this.historyChanged(instanceId));
    this.announceEmulator(this.source);
    this.sendResponse(response);
    await this.configured;
    try {
      await this.source.started;
      if (!this.source.mainInstanceId) return; // attached to everything: run until a breakpoint
      const main = this.threadFor(this.source.mainInstanceId);
      const seen = this.changesSeen(main.instanceId);
      await this.refresh(main);
      this.current = main;
      if (!main.timeline || main.timeline.stops.length === 0) {
        this.waiting = { thread: main, scanFrom: 0, kind: this.stopOnEntry ? "next" : "continue", entry: this.stopOnEntry };
        this.lookAgainIfChanged(main.instanceId, seen);
        return;
      }
      if (this.stopOnEntry) this.stopAt({ thread: main, position: 0, reason: "entry" });
      else await this.runForward(main, 0, "continue", true);
    } catch (error) {
      this.endWithError(error);
    }
  }

  /**
   * Says where the session's own emulator answers: on the debug console, and as the custom event `durableEmulator`
   * ({ origin, dashboard, forwardingKey, instanceId }), with which a client lists the session's instances beside its
   * other ones and opens their dashboard (the VS Code extension's Instances view does).
   */
  private announceEmulator(source: InstanceSource): void {
    if (!source.served) return;
    const dashboard = `${source.served.origin}/_durable/`;
    this.output(`Dashboard of this session's instances: ${dashboard}\n`, "console");
    this.sendEvent(new Event("durableEmulator", { origin: source.served.origin, dashboard, forwardingKey: source.served.forwardingKey, instanceId: source.mainInstanceId }));
  }

  private failSession(response: DebugProtocol.Response, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.output(`${message}\n`, "stderr");
    this.sendErrorResponse(response, { id: 1001, format: message.replace(/[{}]/g, ""), showUser: true });
    this.sendEvent(new TerminatedEvent());
    this.terminated = true;
  }

  private endWithError(error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.output(`${message}\n`, "stderr");
    this.terminate();
  }

  private terminate(): void {
    if (this.terminated) return;
    this.terminated = true;
    this.sendEvent(new TerminatedEvent());
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): Promise<void> {
    this.waiting = undefined;
    await this.source?.close().catch(() => undefined);
    this.source = undefined;
    // Answers and, over stdio, ends the adapter process (run in-process by the extension, it stays).
    super.disconnectRequest(response, args);
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    this.waiting = undefined;
    this.sendResponse(response);
    this.terminate();
  }

  // ------------------------------------------------------------------ threads and timelines

  private threadFor(instanceId: string, parentThreadId?: number): DebugThread {
    for (const thread of this.threads.values()) if (thread.instanceId === instanceId) return thread;
    const thread: DebugThread = { id: this.nextThreadId++, instanceId, parentThreadId, builtFrom: -1, position: 0, printed: new Set() };
    this.threads.set(thread.id, thread);
    this.sendEvent(new ThreadEvent("started", thread.id));
    return thread;
  }

  /**
   * Rebuilds the thread's timeline when its history has grown (or on demand). A step the client asks for and a change
   * of the live instance may both refresh at once; each waits for the one before it, whose trace may return later.
   */
  private refresh(thread: DebugThread, force = false): Promise<void> {
    const next = (thread.refreshing ?? Promise.resolve()).catch(() => undefined).then(() => this.rebuildTimeline(thread, force));
    thread.refreshing = next;
    return next;
  }

  private async rebuildTimeline(thread: DebugThread, force: boolean): Promise<void> {
    const source = this.source;
    if (!source) return;
    const facts = await source.load(thread.instanceId);
    if (!facts) throw new Error(`The instance "${thread.instanceId}" is not there any more.`);
    if (!force && thread.timeline && facts.history.length === thread.builtFrom && facts.runtimeStatus === thread.timeline.facts.runtimeStatus) return;
    // A new instance has no history until its first episode: nothing to replay yet.
    const trace: ReplayTrace = facts.history.length
      ? await source.host.trace({ functionName: facts.name, instanceId: facts.instanceId, history: facts.history, input: facts.input, parentInstanceId: facts.parentInstanceId, detailed: true })
      : { steps: [], tasks: [], state: { isDone: false }, newTasks: [] };
    thread.timeline = new InstanceTimeline(facts, trace, judgeReplay(facts.history, trace, source.host.appDir));
    thread.builtFrom = facts.history.length;
    if (facts.parentInstanceId && thread.parentThreadId === undefined) {
      for (const candidate of this.threads.values()) if (candidate.instanceId === facts.parentInstanceId) thread.parentThreadId = candidate.id;
    }
  }

  private changeQueue: Promise<void> = Promise.resolve();
  private readonly queuedChanges = new Set<string>();

  /** History changes arrive in bursts; each instance is looked at once per burst, one at a time. */
  private historyChanged(instanceId: string): void {
    this.heldTimers.delete(instanceId); // it moved on: the timer fired, or the event came
    this.changeCounts.set(instanceId, this.changesSeen(instanceId) + 1);
    this.lookAt(instanceId);
  }

  private readonly changeCounts = new Map<string, number>();

  private changesSeen(instanceId: string): number {
    return this.changeCounts.get(instanceId) ?? 0;
  }

  /**
   * After `waiting` is set outside the change queue (a launch, a step the client asked for): a change that came while
   * the history was being read saw nothing waiting and was dropped, so it is looked at again. The instance may have
   * finished meanwhile, and then no later change would ever come.
   */
  private lookAgainIfChanged(instanceId: string, seenBefore: number): void {
    if (this.changesSeen(instanceId) !== seenBefore) this.lookAt(instanceId);
  }

  /** Queues a look at the instance's history (at most one queued per instance). */
  private lookAt(instanceId: string): void {
    if (this.queuedChanges.has(instanceId)) return;
    this.queuedChanges.add(instanceId);
    this.changeQueue = this.changeQueue.then(() => {
      this.queuedChanges.delete(instanceId);
      return this.handleChange(instanceId);
    });
  }

  private findThread(instanceId: string): DebugThread | undefined {
    for (const thread of this.threads.values()) if (thread.instanceId === instanceId) return thread;
    return undefined;
  }

  private async handleChange(instanceId: string): Promise<void> {
    const source = this.source;
    if (this.terminated || !source) return;
    const attachAll = !source.mainInstanceId;
    const waiting = this.waiting;
    if (!waiting && !this.attachRunning) {
      if (attachAll) this.threadFor(instanceId);
      return;
    }
    try {
      let thread = this.findThread(instanceId);
      if (waiting?.thread && thread === waiting.thread) {
        await this.refresh(thread);
        if (this.waiting !== waiting) return;
        this.waiting = undefined;
        await this.runForward(thread, waiting.scanFrom, waiting.kind, true, waiting.entry);
        return;
      }
      if (waiting?.kind === "next") return; // a step stays on its thread
      if (!thread) {
        // A sub-orchestration of an instance in the session (or, attached, any new instance).
        const facts = await source.load(instanceId);
        const parent = facts?.parentInstanceId ? this.findThread(facts.parentInstanceId) : undefined;
        if (!facts || (!attachAll && !parent)) return;
        thread = this.threadFor(instanceId, parent?.id);
      }
      const before = thread.timeline?.stops.length ?? 0;
      await this.refresh(thread);
      if (this.waiting !== waiting) return;
      const found = this.scan(thread, before, "continue", true, 0);
      if (found) {
        this.waiting = undefined;
        this.attachRunning = false;
        this.stopAt(found);
      }
    } catch (error) {
      this.endWithError(error);
    }
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = {
      threads: [...this.threads.values()].map((thread) => {
        const name = thread.timeline ? `${thread.timeline.facts.name} ${thread.instanceId}` : thread.instanceId;
        return new Thread(thread.id, thread.parentThreadId !== undefined ? `↳ ${name}` : name);
      }),
    };
    this.sendResponse(response);
  }

  // ------------------------------------------------------------------ running and stepping

  /**
   * Moves forward from `from` (a position already passed) and stops at the next event that is a stop for `kind`:
   * any event for "next", a breakpoint for "continue". Live instances that have nothing more yet are waited for.
   */
  private async runForward(thread: DebugThread, from: number, kind: "continue" | "next", includeFrom = false, entry = false): Promise<void> {
    const seen = this.changesSeen(thread.instanceId);
    await this.refresh(thread);
    const found = this.scan(thread, from, kind, includeFrom, 0);
    if (found) {
      this.stopAt(entry && found.reason === "step" ? { ...found, reason: "entry" } : found);
      return;
    }
    const timeline = thread.timeline as InstanceTimeline;
    const end = Math.max(0, timeline.stops.length - 1);
    if (this.source?.live && !this.source.mainInstanceId) {
      // Attached: the end of one instance is not the end of the session.
      this.printLogs(thread, end);
      thread.position = end;
      this.attachRunning = true;
      return;
    }
    if (this.source?.live && !timeline.finished) {
      this.printLogs(thread, end);
      // Running on into held time would look like a hang: say again what it waits for.
      const held = this.heldTimers.get(thread.instanceId);
      if (held) this.timeHeld(held);
      thread.position = end;
      this.waiting = { thread, scanFrom: timeline.stops.length, kind, entry };
      this.lookAgainIfChanged(thread.instanceId, seen);
      return;
    }
    const parent = thread.parentThreadId !== undefined ? this.threads.get(thread.parentThreadId) : undefined;
    if (parent?.timeline) {
      // The sub-orchestration ended: carry on in the parent after the event that created it.
      this.current = parent;
      await this.runForward(parent, parent.position, kind);
      return;
    }
    this.printLogs(thread, end);
    this.output(`${timeline.facts.name} ${timeline.facts.instanceId}: end of the history (${timeline.facts.runtimeStatus}).\n`, "console");
    this.terminate();
  }

  /** Finds the next stop; for "continue", sub-orchestrations' histories are searched where they were called. */
  private scan(thread: DebugThread, from: number, kind: "continue" | "next", includeFrom: boolean, depth: number): StopFound | undefined {
    const timeline = thread.timeline;
    if (!timeline) return undefined;
    const start = includeFrom ? from : from + 1;
    for (let position = start; position < timeline.stops.length; position++) {
      const eventIndex = timeline.stops[position];
      if (kind === "next") return { thread, position, reason: "step" };
      const hit = this.breakpointAt(timeline, eventIndex);
      if (hit) return { thread, position, ...hit };
      const event = timeline.history[eventIndex];
      if (event.EventType === HistoryEventType.SubOrchestrationInstanceCreated && event.InstanceId && depth < 8) {
        const child = this.childThread(event.InstanceId);
        if (child?.timeline) {
          const inChild = this.scan(child, 0, kind, true, depth + 1);
          if (inChild) {
            thread.position = position;
            return inChild;
          }
        }
      }
    }
    return undefined;
  }

  /** The thread of a sub-orchestration, once loadChildren has found its history. */
  private childThread(instanceId: string): DebugThread | undefined {
    return this.findThread(instanceId);
  }

  /** Loads the timelines of the sub-orchestrations an instance called, so continue can stop inside them. */
  private async loadChildren(thread: DebugThread, depth = 0): Promise<void> {
    if (!thread.timeline || depth > 8) return;
    for (const event of thread.timeline.history) {
      if (event.EventType !== HistoryEventType.SubOrchestrationInstanceCreated || !event.InstanceId) continue;
      const facts = await this.source?.load(event.InstanceId);
      if (!facts) continue;
      const child = this.threadFor(event.InstanceId, thread.id);
      await this.refresh(child);
      await this.loadChildren(child, depth + 1);
    }
  }

  private breakpointAt(timeline: InstanceTimeline, eventIndex: number): Omit<StopFound, "thread" | "position"> | undefined {
    const event = timeline.history[eventIndex];
    if (timeline.divergence && timeline.divergence.eventIndex === eventIndex && this.exceptionFilters.has("nondeterminism")) {
      return { reason: "exception", description: "Nondeterminism", text: timeline.divergence.message };
    }
    const failure = this.failureAt(timeline, event);
    if (failure) return { reason: "exception", description: failure.label, text: failure.text };
    const top = timeline.frames(eventIndex)[0]?.source;
    if (top) {
      const hits = (this.lineBreakpoints.get(normalize(top.file)) ?? []).filter((bp) => bp.line === top.line);
      if (hits.length) return { reason: "breakpoint", hitBreakpointIds: hits.map((bp) => bp.id) };
    }
    if (event.EventType === HistoryEventType.TaskScheduled || event.EventType === HistoryEventType.SubOrchestrationInstanceCreated || event.EventType === HistoryEventType.EventRaised) {
      const name = timeline.nameOf(event);
      const hits = this.functionBreakpoints.filter((bp) => bp.name === name);
      if (hits.length) return { reason: "function breakpoint", hitBreakpointIds: hits.map((bp) => bp.id) };
    }
    return undefined;
  }

  private failureAt(timeline: InstanceTimeline, event: HistoryEvent): { label: string; text: string } | undefined {
    if (event.EventType === HistoryEventType.ExecutionCompleted && event.OrchestrationStatus === OrchestrationStatusCode.Failed && this.exceptionFilters.has("orchestrationFailed")) {
      return { label: "Orchestration failed", text: failureText(event.Result ?? event.FailureDetails?.ErrorMessage) };
    }
    if (event.EventType === HistoryEventType.TaskFailed && this.exceptionFilters.has("activityFailed")) {
      return { label: "Activity failed", text: `${timeline.nameOf(event) ?? "activity"} failed: ${event.Reason ?? ""}${event.Details ? ` (${event.Details})` : ""}` };
    }
    if (event.EventType === HistoryEventType.EventRaised && this.exceptionFilters.has("entityError") && event.Input?.includes('"exceptionType"')) {
      try {
        const response = JSON.parse(event.Input) as { exceptionType?: string; result?: string };
        if (response.exceptionType) {
          // What the caller's callEntity fails with: the package's Error(JSON.parse(result)). An Error thrown in the
          // entity arrives as JSON.stringify(error) ("{}"), so its message is lost, as on Azure (the emulator warns).
          let seen = response.result ?? "";
          try {
            seen = response.result ? String(Error(JSON.parse(response.result) as string).message) : "";
          } catch {
            // not JSON: shown as it is
          }
          const lost = response.result === "{}" ? " (an Error thrown in the entity serializes as {}: its message never reaches the caller)" : "";
          return { label: "Entity operation failed", text: `callEntity fails with "${seen}"${lost}; the entity answered ${response.exceptionType}: ${response.result ?? ""}` };
        }
      } catch {
        // not an entity response
      }
    }
    return undefined;
  }

  private stopAt(found: StopFound): void {
    const { thread, position } = found;
    this.attachRunning = false;
    thread.position = position;
    thread.inActivity = undefined;
    this.current = thread;
    this.printLogs(thread, thread.timeline?.stops[position] ?? 0);
    this.lastStop = found;
    this.variableHandles.reset();
    const event = new StoppedEvent(found.reason, thread.id, found.text) as DebugProtocol.StoppedEvent;
    event.body.description = found.description ?? found.reason;
    if (found.hitBreakpointIds) event.body.hitBreakpointIds = found.hitBreakpointIds;
    event.body.allThreadsStopped = true;
    this.sendEvent(event);
  }

  /** Prints what the orchestrator logged at the events up to this one, once each; replayed lines are marked. */
  private printLogs(thread: DebugThread, upToEvent: number): void {
    const timeline = thread.timeline;
    if (!timeline) return;
    for (let index = 0; index <= upToEvent; index++) {
      if (thread.printed.has(index)) continue;
      thread.printed.add(index);
      for (const entry of timeline.logsAt(index)) {
        this.output(`${entry.replaying ? "[replay] " : ""}[${timeline.facts.name}] ${entry.message}\n`, entry.level === "error" || entry.level === "warning" ? "stderr" : "stdout");
      }
    }
  }

  private threadOf(threadId: number): DebugThread {
    const thread = this.threads.get(threadId) ?? this.current;
    if (!thread) throw new Error("There is no orchestration instance in this session yet.");
    return thread;
  }

  private async step(response: DebugProtocol.Response, threadId: number, move: (thread: DebugThread) => Promise<void> | void): Promise<void> {
    this.sendResponse(response);
    try {
      const thread = this.threadOf(threadId);
      this.waiting = undefined;
      await move(thread);
    } catch (error) {
      this.endWithError(error);
    }
  }

  protected override async continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): Promise<void> {
    response.body = { allThreadsContinued: true };
    await this.step(response, args.threadId, async (thread) => {
      await this.loadChildren(thread);
      await this.runForward(thread, thread.position, "continue");
    });
  }

  protected override async nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    await this.step(response, args.threadId, (thread) => (thread.inActivity ? this.stopAt({ thread, position: thread.position, reason: "step" }) : this.runForward(thread, thread.position, "next")));
  }

  protected override async stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): Promise<void> {
    await this.step(response, args.threadId, (thread) => {
      if (thread.inActivity) return this.stopAt({ thread, position: thread.position, reason: "step" });
      this.stopAt({ thread, position: Math.max(0, thread.position - 1), reason: "step" });
    });
  }

  protected override async reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse, args: DebugProtocol.ReverseContinueArguments): Promise<void> {
    await this.step(response, args.threadId, (thread) => {
      const timeline = thread.timeline as InstanceTimeline;
      for (let position = thread.position - 1; position >= 0; position--) {
        const hit = this.breakpointAt(timeline, timeline.stops[position]);
        if (hit) return this.stopAt({ thread, position, ...hit });
      }
      this.stopAt({ thread, position: 0, reason: "entry" });
    });
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    await this.step(response, args.threadId, async (thread) => {
      const timeline = thread.timeline as InstanceTimeline;
      const event = timeline.history[timeline.stops[thread.position]];
      const scheduling = event.EventType === HistoryEventType.SubOrchestrationInstanceCreated || event.EventType === HistoryEventType.TaskScheduled ? event : timeline.origin(event);
      if (scheduling?.EventType === HistoryEventType.SubOrchestrationInstanceCreated && scheduling.InstanceId) {
        const facts = await this.source?.load(scheduling.InstanceId);
        if (facts) {
          const child = this.threadFor(scheduling.InstanceId, thread.id);
          await this.refresh(child);
          this.stopAt({ thread: child, position: 0, reason: "step" });
          return;
        }
        this.output(`The history of sub-orchestration ${scheduling.InstanceId} is not available here (a history file holds one instance); stepping over it.\n`, "console");
      } else if (scheduling?.EventType === HistoryEventType.TaskScheduled && !thread.inActivity) {
        const registered = this.source?.host.functions.find((fn) => fn.name === scheduling.Name);
        thread.inActivity = { name: scheduling.Name ?? "activity", input: parseJsonText(scheduling.Input), source: registered?.source };
        this.variableHandles.reset();
        const stopped = new StoppedEvent("step", thread.id) as DebugProtocol.StoppedEvent;
        stopped.body.description = `activity ${scheduling.Name}`;
        stopped.body.allThreadsStopped = true;
        this.sendEvent(stopped);
        return;
      }
      await this.runForward(thread, thread.position, "next");
    });
  }

  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): Promise<void> {
    await this.step(response, args.threadId, async (thread) => {
      if (thread.inActivity) return this.stopAt({ thread, position: thread.position, reason: "step" });
      const parent = thread.parentThreadId !== undefined ? this.threads.get(thread.parentThreadId) : undefined;
      if (parent?.timeline) {
        // Back in the parent, on the event that ends the sub-orchestration (or the one that created it).
        await this.refresh(parent);
        const timeline = parent.timeline;
        let position = timeline.stops.findIndex((eventIndex) => {
          const event = timeline.history[eventIndex];
          return (event.EventType === HistoryEventType.SubOrchestrationInstanceCompleted || event.EventType === HistoryEventType.SubOrchestrationInstanceFailed) && timeline.origin(event)?.InstanceId === thread.instanceId;
        });
        if (position < 0) position = timeline.stops.findIndex((eventIndex) => timeline.history[eventIndex].InstanceId === thread.instanceId);
        this.stopAt({ thread: parent, position: Math.max(0, position), reason: "step" });
        return;
      }
      await this.runForward(thread, thread.position, "continue");
    });
  }

  protected override async restartFrameRequest(response: DebugProtocol.RestartFrameResponse, args: DebugProtocol.RestartFrameArguments): Promise<void> {
    const thread = this.threads.get(Math.floor(args.frameId / FRAME_STRIDE)) ?? this.current;
    await this.step(response, thread?.id ?? 0, async (target) => {
      // Replays again from the start: with the code as it is now.
      await this.refresh(target, true);
      target.printed.clear();
      this.stopAt({ thread: target, position: 0, reason: "entry" });
    });
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): Promise<void> {
    this.sendResponse(response);
    const waiting = this.waiting;
    const thread = waiting?.thread ?? this.threads.get(args.threadId) ?? this.current;
    this.waiting = undefined;
    if (!thread) return;
    // A running instance pauses at its newest event: the history as it is now, not when the timeline was last built.
    await this.refresh(thread).catch(() => undefined);
    this.stopAt({ thread, position: Math.max(0, (thread.timeline?.stops.length ?? 0) - 1), reason: "pause" });
  }

  // ------------------------------------------------------------------ breakpoints

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const file = args.source.path ?? "";
    const requested = (args.breakpoints ?? []).map((bp) => this.convertClientLineToDebugger(bp.line));
    const ids = requested.map(() => this.nextBreakpointId++);
    this.requestedLines.set(normalize(file), { file, requested, ids });
    response.body = { breakpoints: this.placeLineBreakpoints(file, requested, ids) };
    this.sendResponse(response);
  }

  /** The lines each file's breakpoints were asked for, to place them again when the launch says who else stops. */
  private readonly requestedLines = new Map<string, { file: string; requested: number[]; ids: number[] }>();
  private javaScriptDebuggerBeside: JavaScriptDebuggerBeside = false;

  private placeLineBreakpoints(file: string, requested: number[], ids: number[]): DebugProtocol.Breakpoint[] {
    const set: { id: number; line: number }[] = [];
    const breakpoints = verifyLines(file, requested, this.javaScriptDebuggerBeside).map((result, index) => {
      const id = ids[index];
      const bp = new Breakpoint(result.line !== undefined, result.line !== undefined ? this.convertDebuggerLineToClient(result.line) : undefined) as DebugProtocol.Breakpoint;
      bp.id = id;
      if (result.message) bp.message = result.message;
      if (result.line !== undefined) set.push({ id, line: result.line });
      return bp;
    });
    this.lineBreakpoints.set(normalize(file), set);
    return breakpoints;
  }

  /** A launch with an inspector has VS Code's JavaScript debugger beside: breakpoints set before it are placed again. */
  private setJavaScriptDebuggerBeside(beside: JavaScriptDebuggerBeside): void {
    if (beside === this.javaScriptDebuggerBeside) return;
    this.javaScriptDebuggerBeside = beside;
    for (const { file, requested, ids } of this.requestedLines.values()) {
      for (const bp of this.placeLineBreakpoints(file, requested, ids)) this.sendEvent(new BreakpointEvent("changed", bp));
    }
  }

  protected override setFunctionBreakPointsRequest(response: DebugProtocol.SetFunctionBreakpointsResponse, args: DebugProtocol.SetFunctionBreakpointsArguments): void {
    const known = new Set(this.source?.host.functions.map((fn) => fn.name) ?? []);
    this.functionBreakpoints = args.breakpoints.map((bp) => ({ id: this.nextBreakpointId++, name: bp.name }));
    response.body = {
      breakpoints: this.functionBreakpoints.map((bp) => {
        const result = new Breakpoint(true) as DebugProtocol.Breakpoint;
        result.id = bp.id;
        // Event names are not registered anywhere, so an unknown name is kept (it may be an external event).
        if (known.size && !known.has(bp.name)) result.message = `"${bp.name}" is not a function of this app; it stops on an external event of that name.`;
        return result;
      }),
    };
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.exceptionFilters = new Set(args.filters);
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): void {
    const stop = this.lastStop;
    const thread = this.threads.get(args.threadId);
    const divergence = thread?.timeline?.divergence;
    const isNondeterminism = stop?.description === "Nondeterminism" && divergence;
    response.body = {
      exceptionId: stop?.description ?? "exception",
      description: stop?.text,
      breakMode: "always",
      details: isNondeterminism
        ? { message: divergence.message, typeName: "NonDeterministicOrchestrationException", stackTrace: `history: ${divergence.expected}\ncode:    ${divergence.actual}${divergence.sourceLine ? `\nat ${divergence.sourceLine}` : ""}` }
        : { message: stop?.text },
    };
    this.sendResponse(response);
  }

  // ------------------------------------------------------------------ stack, scopes, variables

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const thread = this.threads.get(args.threadId);
    const timeline = thread?.timeline;
    if (!thread || !timeline || timeline.stops.length === 0) {
      response.body = { stackFrames: [], totalFrames: 0 };
      this.sendResponse(response);
      return;
    }
    const eventIndex = timeline.stops[thread.position];
    const frames = timeline.frames(eventIndex);
    const divergence = timeline.divergence;
    if (divergence && divergence.eventIndex === eventIndex && divergence.sourceLine) {
      // Show the line that diverged, where the code now makes its different call.
      const [file, line, column] = divergence.sourceLine.split(":");
      frames[0] = { name: `${divergence.actual} ≠ history: ${divergence.expected}`, source: { name: "", file: path.resolve(this.source?.host.appDir ?? "", file), line: Number(line), column: Number(column) } };
    }
    const stackFrames: StackFrame[] = [];
    if (thread.inActivity) {
      const activity = thread.inActivity;
      stackFrames.push(this.frame(thread.id * FRAME_STRIDE + 999, `activity ${activity.name}(${short(activity.input)}) — about to run`, activity.source, "label"));
    }
    frames.forEach((frame, index) => stackFrames.push(this.frame(thread.id * FRAME_STRIDE + index, frame.name, frame.source)));
    response.body = { stackFrames, totalFrames: stackFrames.length };
    this.sendResponse(response);
  }

  private frame(id: number, name: string, source: SourceFrame | undefined, hint?: "label"): StackFrame {
    const frame = source
      ? new StackFrame(id, name, new Source(path.basename(source.file), this.convertDebuggerPathToClient(source.file)), this.convertDebuggerLineToClient(source.line), this.convertDebuggerColumnToClient(source.column))
      : new StackFrame(id, name);
    if (hint) (frame as DebugProtocol.StackFrame).presentationHint = hint;
    return frame;
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const thread = this.threads.get(Math.floor(args.frameId / FRAME_STRIDE)) ?? this.current;
    const timeline = thread?.timeline;
    if (!thread || !timeline) {
      response.body = { scopes: [] };
      this.sendResponse(response);
      return;
    }
    const eventIndex = timeline.stops[thread.position];
    const scopes: DebugProtocol.Scope[] = [];
    if (thread.inActivity) scopes.push(new Scope("Activity", this.variableHandles.create({ value: { name: thread.inActivity.name, input: thread.inActivity.input } }), false));
    scopes.push(new Scope("Event", this.variableHandles.create({ value: timeline.eventView(eventIndex) }), false));
    scopes.push(new Scope("Orchestration", this.variableHandles.create({ value: timeline.orchestrationView(eventIndex) }), false));
    const history = new Scope("History", this.variableHandles.create({ history: thread, upTo: eventIndex }), true) as DebugProtocol.Scope;
    history.indexedVariables = eventIndex + 1;
    scopes.push(history);
    response.body = { scopes };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const handle = this.variableHandles.get(args.variablesReference);
    let variables: DebugProtocol.Variable[] = [];
    if (handle && "history" in handle) {
      const timeline = handle.history.timeline as InstanceTimeline;
      const start = args.start ?? 0;
      const end = Math.min(handle.upTo + 1, args.count ? start + args.count : handle.upTo + 1);
      for (let index = start; index < end; index++) {
        const view = timeline.eventView(index);
        variables.push(this.variable(`[${index}]`, view, `${String(view.type)}${view.name ? ` ${String(view.name)}` : ""}`));
      }
    } else if (handle) {
      variables = this.children(handle.value);
    }
    response.body = { variables };
    this.sendResponse(response);
  }

  private children(value: unknown): DebugProtocol.Variable[] {
    if (Array.isArray(value)) return value.map((item, index) => this.variable(`[${index}]`, item));
    if (value && typeof value === "object") return Object.entries(value).map(([key, item]) => this.variable(key, item));
    return [];
  }

  private variable(name: string, value: unknown, summary?: string): DebugProtocol.Variable {
    const structured = value !== null && typeof value === "object";
    const variable: DebugProtocol.Variable = { name, value: summary ?? preview(value), variablesReference: structured ? this.variableHandles.create({ value }) : 0 };
    if (Array.isArray(value)) variable.indexedVariables = value.length;
    return variable;
  }

  // ------------------------------------------------------------------ evaluate and REPL commands

  protected override async evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): Promise<void> {
    const expression = args.expression.trim();
    try {
      if (args.context === "repl") {
        const command = /^(raise|terminate|advance|help)\b\s*(.*)$/s.exec(expression);
        if (command) {
          response.body = { result: await this.replCommand(command[1], command[2].trim()), variablesReference: 0 };
          this.sendResponse(response);
          return;
        }
      }
      const thread = (args.frameId !== undefined ? this.threads.get(Math.floor(args.frameId / FRAME_STRIDE)) : undefined) ?? this.current;
      const timeline = thread?.timeline;
      if (!thread || !timeline) throw new ExpressionError("Nothing to evaluate yet: the session has not stopped on an event.");
      const eventIndex = timeline.stops[thread.position];
      const roots = {
        event: timeline.eventView(eventIndex),
        orchestration: timeline.orchestrationView(eventIndex),
        history: timeline.historyView(eventIndex),
        input: timeline.facts.input,
      };
      const value = evaluatePath(expression, roots);
      const variable = this.variable("result", value);
      response.body = { result: variable.value, variablesReference: variable.variablesReference, indexedVariables: variable.indexedVariables };
      this.sendResponse(response);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      this.sendErrorResponse(response, { id: 1002, format: message.replace(/[{}]/g, ""), showUser: false });
    }
  }

  private async replCommand(name: string, rest: string): Promise<string> {
    const source = this.source;
    const thread = this.current;
    if (!source) throw new Error("The session has no instances yet.");
    const instanceId = thread?.instanceId ?? source.mainInstanceId;
    switch (name) {
      case "raise": {
        const match = /^(\S+)\s*(.*)$/s.exec(rest);
        if (!match) throw new Error("Usage: raise <eventName> [json data], e.g. raise Approval {\"approved\": true}");
        let data: unknown = undefined;
        if (match[2]) {
          try {
            data = JSON.parse(match[2]);
          } catch (error) {
            throw new Error(`The event data is not JSON (${(error as Error).message}). Quote strings: raise ${match[1]} "yes"`);
          }
        }
        await source.raise(instanceId, match[1], data);
        return `Raised "${match[1]}" to ${instanceId}. Step or continue to see the orchestrator take it.`;
      }
      case "terminate":
        await source.terminate(instanceId, rest || "terminated from the debugger");
        return `Terminated ${instanceId}.`;
      case "advance":
        return source.advance(rest ? parseDuration(rest) : undefined);
      default:
        return [
          "Commands: raise <event> [json]   terminate [reason]   advance [duration: 30s, 5m, 2h, 1d, PT1H; none: to the next timer]",
          "Expressions: event.*, orchestration.*, history[n].*, history.length, input.*",
        ].join("\n");
    }
  }

  // ------------------------------------------------------------------ output

  private output(text: string, category: "console" | "stdout" | "stderr"): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  /** Says why a waiting instance does not move on: its timer waits for the user, who may still raise the event. */
  private timeHeld(held: TimeHeld): void {
    this.heldTimers.set(held.instanceId, held);
    const events = held.events.map((name) => `\`${name}\``).join(", ");
    this.output(`time held: ${held.name} waits for event ${events}; the timer at ${held.fireAt} fires after \`advance\` (raise ${held.events[0]} <json> answers it first; "timeSkipping": "always" skips such timers).\n`, "console");
  }

  /** Live logs from the app (activities, HTTP, entities); the orchestrator's logs come from the timeline instead. */
  private liveLog(entry: { level: string; functionName?: string; message: string }): void {
    const kind = entry.functionName ? this.source?.host.functions.find((fn) => fn.name === entry.functionName)?.kind : undefined;
    if (kind === "orchestration") return;
    this.output(`[${entry.functionName ?? "app"}] ${entry.message}\n`, entry.level === "error" || entry.level === "warning" ? "stderr" : "stdout");
  }

  /** The app's own console output, as debug console output. */
  private consoleStream(): NodeJS.WritableStream {
    return new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        this.output(chunk.toString(), "stdout");
        done();
      },
    });
  }
}

function normalize(file: string): string {
  const resolved = path.resolve(file);
  return process.platform === "win32" ? resolved.toLowerCase() : resolved;
}


function preview(value: unknown): string {
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `Array(${value.length})`;
  if (value && typeof value === "object") {
    const text = JSON.stringify(value);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  }
  return JSON.stringify(value);
}

function short(value: unknown): string {
  const text = JSON.stringify(value) ?? "";
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

function failureText(value: string | undefined): string {
  if (!value) return "The orchestration failed.";
  try {
    const parsed = JSON.parse(value) as unknown;
    return typeof parsed === "string" ? parsed : JSON.stringify(parsed);
  } catch {
    return value;
  }
}
