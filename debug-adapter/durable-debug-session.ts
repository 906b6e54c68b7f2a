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
import type { InstanceTimeline } from "./timeline";
import { verifyLines, type JavaScriptDebuggerBeside } from "./breakpoints";
import { evaluatePath, ExpressionError } from "./expressions";
import { attachToServer, durableTaskJsAppOf, replaySaved, runInEmulator, type InstanceSource, type TimeSkipping } from "./instance-sources";
import { parseDuration } from "./duration";
import type { SourceFrame } from "../emulator/core/functions";
import { runSdkApp } from "./sdk-live-source";
import { ReplayRuntime, type DebugThread, type OutputCategory } from "./replay-runtime";
import { EXCEPTION_FILTERS, normalizePath } from "./stop-policy";

/** `launch` configuration of type "durable". */
export interface DurableLaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** "run" (default): start a new instance in an emulator. "replay": replay a saved history without running anything. */
  mode?: "run" | "replay";
  /** The app folder (default: the current folder): a Functions app, or a Durable Task SDK app (no host.json). */
  app?: string;
  /**
   * A Durable Task SDK app (@microsoft/durabletask-js): the file that starts its TaskHubGrpcWorker,
   * relative to the app folder (default: its package.json's main, else the file its start script runs).
   */
  worker?: string;
  /** run, for a Durable Task SDK app: the port of the session's gRPC sidecar (default 8080, where SDK apps look). */
  grpcPort?: number;
  /** run, for a Durable Task SDK app: more environment variables for its worker. */
  env?: Record<string, string>;
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

const FRAME_STRIDE = 1000;

export class DurableDebugSession extends LoggingDebugSession {
  /** The stepping runtime: threads, positions, where runs stop. This class translates it to and from DAP. */
  private readonly runtime = new ReplayRuntime();
  private functionBreakpoints: { id: number; name: string }[] = [];
  private nextBreakpointId = 1;
  private readonly variableHandles = new Handles<{ value: unknown } | { history: DebugThread; upTo: number }>();
  private configured!: Promise<void>;
  private markConfigured!: () => void;
  private stopOnEntry = false;

  constructor() {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.configured = new Promise((resolve) => (this.markConfigured = resolve));
    this.runtime.on("thread", (threadId) => this.sendEvent(new ThreadEvent("started", threadId)));
    this.runtime.on("output", (text, category) => this.output(text, category));
    this.runtime.on("end", () => this.sendEvent(new TerminatedEvent()));
    this.runtime.on("stopped", (found) => {
      this.variableHandles.reset();
      const event = new StoppedEvent(found.reason, found.thread.id, found.text) as DebugProtocol.StoppedEvent;
      event.body.description = found.description ?? found.reason;
      if (found.hitBreakpointIds) event.body.hitBreakpointIds = found.hitBreakpointIds;
      event.body.allThreadsStopped = true;
      this.sendEvent(event);
    });
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
        return replaySaved({
          appDir,
          history: args.history,
          instanceId: args.instanceId,
          store: args.store,
          orchestrator: args.orchestrator,
          worker: args.worker,
          nodePath: args.nodePath,
          onLog: (entry) => this.liveLog(entry),
          appOutput: this.consoleStream(),
        });
      }
      if (!args.orchestrator)
        throw new Error('A "durable" launch needs "orchestrator": the name of the orchestrator function to run (or "mode": "replay" with a "history").');
      if (args.timeSkipping !== undefined && typeof args.timeSkipping !== "boolean" && args.timeSkipping !== "always") {
        throw new Error(`"timeSkipping" is true (skip timers, but hold at awaited events), "always" or false, not ${JSON.stringify(args.timeSkipping)}.`);
      }
      const sdk = durableTaskJsAppOf(appDir, args.worker);
      if (sdk !== undefined) {
        if (args.inspectPort !== undefined)
          throw new Error('"inspectPort" is for durable-functions apps; a Durable Task SDK app\'s worker runs without it for now.');
        return runSdkApp({
          appDir,
          orchestrator: args.orchestrator,
          input: args.input,
          instanceId: args.instanceId,
          store: args.store,
          grpcPort: args.grpcPort,
          worker: args.worker,
          env: args.env,
          timeSkipping: args.timeSkipping !== false,
          sdkPackage: sdk || undefined,
          onLog: (entry) => this.liveLog(entry),
          appOutput: this.consoleStream(),
        });
      }
      const beforeStart = args.waitForJavaScriptDebugger && args.inspectPort !== undefined ? () => this.javaScriptDebuggerAttached() : undefined;
      return runInEmulator({
        appDir,
        orchestrator: args.orchestrator,
        input: args.input,
        instanceId: args.instanceId,
        store: args.store,
        timeSkipping: args.timeSkipping,
        inspectPort: args.inspectPort,
        nodePath: args.nodePath,
        beforeStart,
        onLog: (entry) => this.liveLog(entry),
        onTimeHeld: (held) => this.runtime.timeHeld(held),
        appOutput: this.consoleStream(),
      });
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
      const source = await attachToServer({
        port: args.port,
        instanceId: args.instanceId,
        onLog: (entry) => this.liveLog(entry),
        appOutput: this.consoleStream(),
      });
      this.runtime.source = source;
      try {
        await this.runtime.attachAll(await source.listInstances());
      } catch (error) {
        await source.close();
        throw error;
      }
      return source;
    });
  }

  /** Opens the source, answers the request, and stops or runs once the client has set its breakpoints. */
  private async openSession(response: DebugProtocol.Response, open: () => Promise<InstanceSource>): Promise<void> {
    let source: InstanceSource;
    try {
      source = await open();
    } catch (error) {
      this.failSession(response, error);
      return;
    }
    this.runtime.open(source);
    this.announceEmulator(source);
    this.sendResponse(response);
    await this.configured;
    await this.runtime.begin(this.stopOnEntry);
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
    this.sendEvent(
      new Event("durableEmulator", { origin: source.served.origin, dashboard, forwardingKey: source.served.forwardingKey, instanceId: source.mainInstanceId }),
    );
  }

  private failSession(response: DebugProtocol.Response, error: unknown): void {
    const message = error instanceof Error ? error.message : String(error);
    this.output(`${message}\n`, "stderr");
    this.sendErrorResponse(response, { id: 1001, format: message.replace(/[{}]/g, ""), showUser: true });
    this.runtime.end();
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse, args: DebugProtocol.DisconnectArguments): Promise<void> {
    this.runtime.stopWaiting();
    await this.runtime.source?.close().catch(() => undefined);
    this.runtime.source = undefined;
    // Answers and, over stdio, ends the adapter process (run in-process by the extension, it stays).
    super.disconnectRequest(response, args);
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    this.runtime.stopWaiting();
    this.sendResponse(response);
    this.runtime.end();
  }

  // ------------------------------------------------------------------ threads and timelines

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = {
      threads: [...this.runtime.threads.values()].map((thread) => {
        const name = thread.timeline ? `${thread.timeline.facts.name} ${thread.instanceId}` : thread.instanceId;
        return new Thread(thread.id, thread.parentThreadId !== undefined ? `↳ ${name}` : name);
      }),
    };
    this.sendResponse(response);
  }

  // ------------------------------------------------------------------ running and stepping

  private async step(response: DebugProtocol.Response, threadId: number, move: (thread: DebugThread) => Promise<void> | void): Promise<void> {
    this.sendResponse(response);
    try {
      const thread = this.runtime.threadOf(threadId);
      this.runtime.stopWaiting();
      await move(thread);
    } catch (error) {
      this.runtime.fail(error);
    }
  }

  protected override async continueRequest(response: DebugProtocol.ContinueResponse, args: DebugProtocol.ContinueArguments): Promise<void> {
    response.body = { allThreadsContinued: true };
    await this.step(response, args.threadId, (thread) => this.runtime.continue(thread));
  }

  protected override async nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): Promise<void> {
    await this.step(response, args.threadId, (thread) => this.runtime.next(thread));
  }

  protected override async stepBackRequest(response: DebugProtocol.StepBackResponse, args: DebugProtocol.StepBackArguments): Promise<void> {
    await this.step(response, args.threadId, (thread) => this.runtime.stepBack(thread));
  }

  protected override async reverseContinueRequest(
    response: DebugProtocol.ReverseContinueResponse,
    args: DebugProtocol.ReverseContinueArguments,
  ): Promise<void> {
    await this.step(response, args.threadId, (thread) => this.runtime.reverseContinue(thread));
  }

  protected override async stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): Promise<void> {
    await this.step(response, args.threadId, (thread) => this.runtime.stepIn(thread));
  }

  protected override async stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): Promise<void> {
    await this.step(response, args.threadId, (thread) => this.runtime.stepOut(thread));
  }

  protected override async restartFrameRequest(response: DebugProtocol.RestartFrameResponse, args: DebugProtocol.RestartFrameArguments): Promise<void> {
    const thread = this.runtime.threads.get(Math.floor(args.frameId / FRAME_STRIDE)) ?? this.runtime.current;
    await this.step(response, thread?.id ?? 0, (target) => this.runtime.restart(target));
  }

  protected override async pauseRequest(response: DebugProtocol.PauseResponse, args: DebugProtocol.PauseArguments): Promise<void> {
    this.sendResponse(response);
    await this.runtime.pause(args.threadId);
  }

  // ------------------------------------------------------------------ breakpoints

  protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
    const file = args.source.path ?? "";
    const requested = (args.breakpoints ?? []).map((bp) => this.convertClientLineToDebugger(bp.line));
    const ids = requested.map(() => this.nextBreakpointId++);
    this.requestedLines.set(normalizePath(file), { file, requested, ids });
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
      const bp = new Breakpoint(
        result.line !== undefined,
        result.line !== undefined ? this.convertDebuggerLineToClient(result.line) : undefined,
      ) as DebugProtocol.Breakpoint;
      bp.id = id;
      if (result.message) bp.message = result.message;
      if (result.line !== undefined) set.push({ id, line: result.line });
      return bp;
    });
    this.runtime.policy.setLineBreakpoints(file, set);
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

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    const known = new Set(this.runtime.source?.host.functions.map((fn) => fn.name) ?? []);
    this.functionBreakpoints = args.breakpoints.map((bp) => ({ id: this.nextBreakpointId++, name: bp.name }));
    this.runtime.policy.setFunctionBreakpoints(this.functionBreakpoints);
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

  protected override setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    this.runtime.policy.setExceptionFilters(args.filters);
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): void {
    const stop = this.runtime.lastStop;
    const thread = this.runtime.threads.get(args.threadId);
    const divergence = thread?.timeline?.divergence;
    const isNondeterminism = stop?.description === "Nondeterminism" && divergence;
    response.body = {
      exceptionId: stop?.description ?? "exception",
      description: stop?.text,
      breakMode: "always",
      details: isNondeterminism
        ? {
            message: divergence.message,
            typeName: "NonDeterministicOrchestrationException",
            stackTrace: `history: ${divergence.expected}\ncode:    ${divergence.actual}${divergence.sourceLine ? `\nat ${divergence.sourceLine}` : ""}`,
          }
        : { message: stop?.text },
    };
    this.sendResponse(response);
  }

  // ------------------------------------------------------------------ stack, scopes, variables

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const thread = this.runtime.threads.get(args.threadId);
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
      frames[0] = {
        name: `${divergence.actual} ≠ history: ${divergence.expected}`,
        source: { name: "", file: path.resolve(this.runtime.source?.host.appDir ?? "", file), line: Number(line), column: Number(column) },
      };
    }
    const stackFrames: StackFrame[] = [];
    if (thread.inActivity) {
      const activity = thread.inActivity;
      stackFrames.push(
        this.frame(thread.id * FRAME_STRIDE + 999, `activity ${activity.name}(${short(activity.input)}) — about to run`, activity.source, "label"),
      );
    }
    frames.forEach((frame, index) => stackFrames.push(this.frame(thread.id * FRAME_STRIDE + index, frame.name, frame.source)));
    response.body = { stackFrames, totalFrames: stackFrames.length };
    this.sendResponse(response);
  }

  private frame(id: number, name: string, source: SourceFrame | undefined, hint?: "label"): StackFrame {
    const frame = source
      ? new StackFrame(
          id,
          name,
          new Source(path.basename(source.file), this.convertDebuggerPathToClient(source.file)),
          this.convertDebuggerLineToClient(source.line),
          this.convertDebuggerColumnToClient(source.column),
        )
      : new StackFrame(id, name);
    if (hint) (frame as DebugProtocol.StackFrame).presentationHint = hint;
    return frame;
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const thread = this.runtime.threads.get(Math.floor(args.frameId / FRAME_STRIDE)) ?? this.runtime.current;
    const timeline = thread?.timeline;
    if (!thread || !timeline) {
      response.body = { scopes: [] };
      this.sendResponse(response);
      return;
    }
    const eventIndex = timeline.stops[thread.position];
    const scopes: DebugProtocol.Scope[] = [];
    if (thread.inActivity)
      scopes.push(new Scope("Activity", this.variableHandles.create({ value: { name: thread.inActivity.name, input: thread.inActivity.input } }), false));
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
    const variable: DebugProtocol.Variable = {
      name,
      value: summary ?? preview(value),
      variablesReference: structured ? this.variableHandles.create({ value }) : 0,
    };
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
      const thread = (args.frameId !== undefined ? this.runtime.threads.get(Math.floor(args.frameId / FRAME_STRIDE)) : undefined) ?? this.runtime.current;
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
    const source = this.runtime.source;
    const thread = this.runtime.current;
    if (!source) throw new Error("The session has no instances yet.");
    const instanceId = thread?.instanceId ?? source.mainInstanceId;
    switch (name) {
      case "raise": {
        const match = /^(\S+)\s*(.*)$/s.exec(rest);
        if (!match) throw new Error('Usage: raise <eventName> [json data], e.g. raise Approval {"approved": true}');
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

  private output(text: string, category: OutputCategory): void {
    this.sendEvent(new OutputEvent(text, category));
  }

  /** Live logs from the app (activities, HTTP, entities); the orchestrator's logs come from the timeline instead. */
  private liveLog(entry: { level: string; functionName?: string; message: string }): void {
    const kind = entry.functionName ? this.runtime.source?.host.functions.find((fn) => fn.name === entry.functionName)?.kind : undefined;
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
