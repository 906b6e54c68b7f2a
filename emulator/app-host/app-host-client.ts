/**
 * The emulator's side of the app host: starts the child process that runs the user's app, sends it invocations and
 * matches the answers. If the child dies, every invocation in flight fails with AppHostExitedError and the next
 * request starts a fresh child.
 */
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import type {
  ChildToParent,
  ErrorDto,
  HttpRequestDto,
  HttpResponseDto,
  EntityBatchResultDto,
  EntityOperationDto,
  OrchestrationEpisodeResult,
  ParentToChild,
  ReplayTrace,
} from "./protocol";
import type { RegisteredFunction } from "../core/functions";
import type { ActivityResult, OrchestrationRequest } from "../core/worker-port";
import type { HistoryEvent } from "../history/history-event";
import { badRequest } from "../core/errors";
import { WorkerLostError } from "../core/worker-errors";
import { describeSerializationError, sendBatch, type SendFunction } from "./ipc-batch";
import { DEFAULT_EPISODE_LIMIT_MS, DEFAULT_FUNCTION_TIMEOUT_MS, FunctionTimeoutError, type TimedFunctionKind } from "./function-timeouts";
import { WATCHDOG_FD, type StuckReport } from "./episode-watchdog";

/** The app process died under the work it was running: the engine runs that work again (core/worker-errors.ts). */
export class AppHostExitedError extends WorkerLostError {
  constructor(detail: string, deliberate = false) {
    super(`The app process exited while running this function (${detail}).`, deliberate);
    this.name = "AppHostExitedError";
  }
}

/** The app host was restarted on purpose (the app's code changed): the work it was doing runs again. */
export class AppHostReloadedError extends AppHostExitedError {
  constructor() {
    super("the app was reloaded", true);
    this.name = "AppHostReloadedError";
  }
}

/** The app host was restarted because one function overran its time; the other work it was doing runs again. */
export class AppHostRestartedError extends AppHostReloadedError {
  constructor(readonly reason: string) {
    super();
    this.message = `The app process was restarted while running this function (${reason}).`;
    this.name = "AppHostRestartedError";
  }
}

export class AppLoadFailedError extends Error {
  constructor(message: string, appStack?: string) {
    super(message);
    this.name = "AppLoadFailedError";
    // The app process's stack says where its code failed; this process's says nothing useful.
    if (appStack) this.stack = appStack;
  }
}

export type ActivityOutcome = ActivityResult;

/** An episode's result, with the outcomes of the activities the child started eagerly, by task id. */
export interface EpisodeOutcome extends OrchestrationEpisodeResult {
  eagerActivities: Map<number, Promise<ActivityOutcome>>;
}

/** An orchestration episode as the app host takes it (the worker port's request). */
export type OrchestrateRequest = OrchestrationRequest;

export interface AppHostOptions {
  appDir: string;
  /** The files that register the app's functions; replaced by `reload`. */
  entryFiles: string[];
  onLog?: (entry: { level: string; functionName?: string; message: string }) => void;
  /** Where the app's own console output goes (default: this process's stderr). */
  output?: NodeJS.WritableStream;
  /** Extra environment for the app (WEBSITE_HOSTNAME, local.settings.json Values). */
  env?: Record<string, string>;
  /** The newest replay schema to offer the package (0 = V1 … 3 = V4); for testing older protocol paths. */
  upperSchemaVersion?: number;
  /**
   * host.json extensions.durableTask.httpSettings.defaultAsyncRequestSleepTimeMilliseconds: how long a callHttp
   * with the async pattern waits before polling when the 202 has no Retry-After (default 30000, as HttpOptions.cs).
   */
  defaultHttpAsyncRequestSleepTimeMs?: number;
  /**
   * Starts the app process with the V8 inspector on 127.0.0.1 at this port (0: any free port), so a JavaScript
   * debugger can attach beside the replay debugger and stop inside activities and orchestrators.
   */
  inspectPort?: number;
  /** The Node.js executable that runs the app (default: the one running the emulator). */
  nodePath?: string;
  /**
   * Activities, entity batches and HTTP functions running longer fail and the app process restarts (host.json
   * functionTimeout; default 5 minutes; null: no limit). No limit while a JavaScript debugger may be attached.
   */
  functionTimeoutMs?: number | null;
  /** Orchestrator code running this long without yielding fails its instance (default 10 s; null: no limit). */
  episodeLimitMs?: number | null;
  /** Called while loading the app takes long (after 5 s, then every 15 s), with what it waits for. */
  onSlowLoad?: (message: string) => void;
}

type Pending = {
  resolve: (message: ChildToParent) => void;
  reject: (error: Error) => void;
  resend?: () => void;
  /** The orchestrator a replay request runs, to name it when the watchdog reports it stuck. */
  orchestrator?: string;
};

/** A request that must answer within the function timeout. */
interface TimeLimit {
  kind: Exclude<TimedFunctionKind, "orchestration">;
  functionName: string;
}

/**
 * The newest out-of-process replay schema we offer the package: V4 (3), which durable-functions 3.5 understands
 * (V3 plus entity locks); older packages pick the newest they know. The Durable extension 2.x offers V3.
 */
export const UPPER_SCHEMA_VERSION = 3;
/** The timer settings of the Azure Storage backend, as the Durable extension sends them. */
export const TIMER_SETTINGS = {
  maximumShortTimerDuration: "P6D",
  longRunningTimerIntervalDuration: "P3D",
  defaultHttpAsyncRequestSleepTimeMillseconds: 30000,
};

export class AppHostClient {
  private child: ChildProcess | undefined;
  private starting: Promise<RegisteredFunction[]> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextRequestId = 1;
  private outbox: ParentToChild[] = [];
  private flushScheduled = false;
  /** Activities the child started by itself after an episode, by instance|execution|task id. */
  private readonly eagerActivities = new Map<string, { resolve: (outcome: ActivityOutcome) => void; reject: (error: Error) => void }>();
  /** How many events of each execution's history the current child holds. */
  private readonly childKnownEvents = new Map<string, number>();
  functions: RegisteredFunction[] = [];
  durableFunctionsVersion = "";

  private reloading = false;
  /** Children killed on purpose because a function overran, with the reason the rest of their work is told. */
  private readonly restartReasons = new WeakMap<ChildProcess, string>();

  constructor(private readonly options: AppHostOptions) {}

  /** A debugger paused at a breakpoint is not a stuck function: no limits while one may be attached. */
  private limit(value: number | null | undefined, fallback: number): number | undefined {
    if (this.options.inspectPort !== undefined || value === null) return undefined;
    return value ?? fallback;
  }

  private get functionTimeoutMs(): number | undefined {
    return this.limit(this.options.functionTimeoutMs, DEFAULT_FUNCTION_TIMEOUT_MS);
  }

  private get episodeLimitMs(): number | undefined {
    return this.limit(this.options.episodeLimitMs, DEFAULT_EPISODE_LIMIT_MS);
  }

  /**
   * Fails one request (or eager activity) for overrunning its time and restarts the child it ran on; the rest of
   * the child's work runs again.
   */
  private failForOverrun(requestId: number, error: FunctionTimeoutError): void {
    this.overran(this.pending, requestId, error);
  }

  private failEagerForOverrun(key: string, error: FunctionTimeoutError): void {
    this.overran(this.eagerActivities, key, error);
  }

  private overran<K>(waiting: Map<K, { reject: (error: Error) => void }>, key: K, error: FunctionTimeoutError): void {
    const entry = waiting.get(key);
    if (!entry) return;
    waiting.delete(key);
    entry.reject(error);
    const child = this.child;
    if (!child) return;
    this.restartReasons.set(child, `${error.kind} function '${error.functionName}' overran its time`);
    child.kill("SIGKILL");
  }

  /** The watchdog thread's reports: one JSON line per orchestrator replay that would not yield. */
  private watchStuckReports(child: ChildProcess): void {
    const reports = child.stdio[WATCHDOG_FD] as NodeJS.ReadableStream | null | undefined;
    if (!reports) return;
    let buffered = "";
    reports.on("data", (chunk: Buffer) => {
      buffered += chunk.toString("utf8");
      for (let end = buffered.indexOf("\n"); end >= 0; end = buffered.indexOf("\n")) {
        const line = buffered.slice(0, end);
        buffered = buffered.slice(end + 1);
        let report: StuckReport;
        try {
          report = JSON.parse(line) as StuckReport;
        } catch {
          continue;
        }
        const entry = this.pending.get(report.stuckRequest);
        const limitMs = this.episodeLimitMs;
        if (entry?.orchestrator !== undefined && limitMs !== undefined && this.child === child) {
          this.failForOverrun(report.stuckRequest, new FunctionTimeoutError("orchestration", entry.orchestrator, limitMs));
        } else if (report.stuckRequest < 0 && limitMs !== undefined && this.child === child) {
          // A replay ahead of its request (app-host/speculation.ts) would not yield: the process can do nothing else.
          // The work in flight runs again on a new one, where the episode's own request meets the same limit.
          this.restartReasons.set(child, `an orchestrator replayed ahead of its episode ran past the ${limitMs} ms limit`);
          child.kill("SIGKILL");
        }
      }
    });
  }

  private execArgv(): string[] | undefined {
    const extra = process.env.DURABLE_DEVKIT_HOST_EXEC_ARGV ? process.env.DURABLE_DEVKIT_HOST_EXEC_ARGV.split(" ") : [];
    if (this.options.inspectPort !== undefined) extra.push(`--inspect=127.0.0.1:${this.options.inspectPort}`);
    return extra.length ? extra : undefined;
  }

  /** The app folder this host runs. */
  get appDir(): string {
    return this.options.appDir;
  }

  /** While the app's new code cannot load, requests wait here for a reload that works. */
  private paused: { promise: Promise<void>; resume: () => void } | undefined;

  /**
   * Restarts the app host on new entry files (after a rebuild); work in flight is failed with AppHostReloadedError
   * and runs again. If the new code does not load, requests wait until a later reload succeeds.
   */
  async reload(entryFiles: string[]): Promise<RegisteredFunction[]> {
    this.options.entryFiles = entryFiles;
    this.reloading = true;
    try {
      await this.stop();
    } finally {
      this.reloading = false;
    }
    try {
      const functions = await this.spawnNow();
      const paused = this.paused;
      this.paused = undefined;
      paused?.resume();
      return functions;
    } catch (error) {
      if (!this.paused) {
        let resume = () => undefined as void;
        const promise = new Promise<void>((resolve) => (resume = resolve));
        this.paused = { promise, resume };
      }
      throw error;
    }
  }

  private spawnNow(): Promise<RegisteredFunction[]> {
    this.starting ??= this.spawn().finally(() => {
      this.starting = undefined;
    });
    return this.starting;
  }

  /** Starts the child (if needed) and returns the app's registered functions. */
  start(): Promise<RegisteredFunction[]> {
    if (this.child && !this.starting) return Promise.resolve(this.functions);
    return this.spawnNow();
  }

  private spawn(): Promise<RegisteredFunction[]> {
    return new Promise((resolve, reject) => {
      const child = fork(path.join(__dirname, "worker-main.js"), [], {
        cwd: this.options.appDir,
        stdio: ["ignore", "pipe", "pipe", "ipc", "pipe"],
        serialization: "json",
        execArgv: this.execArgv(),
        execPath: this.options.nodePath,
        env: { ...process.env, FUNCTIONS_WORKER_RUNTIME: "node", AzureWebJobsScriptRoot: this.options.appDir, ...this.options.env },
      });
      this.child = child;
      this.childKnownEvents.clear();
      const output = this.options.output ?? process.stderr;
      child.stdout?.on("data", (chunk) => output.write(chunk));
      child.stderr?.on("data", (chunk) => output.write(chunk));
      this.watchStuckReports(child);
      let ready = false;
      let loadingFile: string | undefined;
      const loadStarted = Date.now();
      const sayStillLoading = () => {
        const seconds = Math.round((Date.now() - loadStarted) / 1000);
        const file = loadingFile ? path.relative(this.options.appDir, loadingFile) || loadingFile : "the app's entry files";
        this.options.onSlowLoad?.(
          `Still loading the app after ${seconds} s: ${file} has not finished running (app process ${child.pid}). Code at the top level of a function file runs at load; ` +
            "a loop or a blocking call there holds the app up. Press Ctrl+C to stop.",
        );
        slowLoadTimer = setTimeout(sayStillLoading, 15_000);
        slowLoadTimer.unref();
      };
      let slowLoadTimer = setTimeout(sayStillLoading, 5_000);
      slowLoadTimer.unref();
      child.once("exit", () => clearTimeout(slowLoadTimer));
      child.on("message", (batch: ChildToParent[]) => {
        for (const message of batch) {
          if (message.type === "loading") {
            loadingFile = message.file;
          } else if (message.type === "ready") {
            clearTimeout(slowLoadTimer);
            ready = true;
            this.functions = message.functions;
            this.durableFunctionsVersion = message.durableFunctionsVersion;
            resolve(message.functions);
          } else if (message.type === "loadError") {
            clearTimeout(slowLoadTimer);
            child.kill();
            reject(new AppLoadFailedError(message.message, message.stack));
          } else {
            this.receive(message);
          }
        }
      });
      child.on("exit", (code, signal) => {
        if (this.child === child) this.child = undefined;
        const detail = signal ? `signal ${signal}` : `exit code ${code}`;
        if (!ready) reject(new AppLoadFailedError(`The app process exited while loading the app (${detail}).`));
        const inFlight = [...this.pending.values(), ...this.eagerActivities.values()];
        this.pending.clear();
        this.eagerActivities.clear();
        const restartReason = this.restartReasons.get(child);
        const failure = () =>
          restartReason ? new AppHostRestartedError(restartReason) : this.reloading ? new AppHostReloadedError() : new AppHostExitedError(detail);
        for (const entry of inFlight) entry.reject(failure());
      });
      // Without an 'error' listener a failed write to a dying child (EPIPE) would be thrown in this process.
      child.on("error", () => undefined);
      child.send(
        { type: "start", options: { appDir: this.options.appDir, entryFiles: this.options.entryFiles, episodeLimitMs: this.episodeLimitMs } },
        () => undefined,
      );
    });
  }

  private receive(message: ChildToParent): void {
    if (message.type === "log") {
      this.options.onLog?.(message);
      return;
    }
    if (message.type === "ready" || message.type === "loadError" || message.type === "loading") return;
    if (message.type === "eagerActivityResult") {
      const key = `${message.instanceId}|${message.executionId}|${message.taskId}`;
      const eager = this.eagerActivities.get(key);
      this.eagerActivities.delete(key);
      eager?.resolve(message.ok ? { ok: true, result: message.result } : { ok: false, error: message.error });
      return;
    }
    const entry = this.pending.get(message.requestId);
    if (!entry) return;
    if (message.type === "needHistory") {
      entry.resend?.();
      return;
    }
    this.pending.delete(message.requestId);
    if (message.type === "orchestrationResult") {
      // Registered now, before a result that may follow in this same batch is read.
      const eagerActivities = new Map<number, Promise<ActivityOutcome>>();
      for (const taskId of message.result.eagerTaskIds) {
        const task = message.result.newTasks.find((t) => t.id === taskId)?.task;
        const functionName = task?.role === "activity" ? task.name : "(activity)";
        eagerActivities.set(
          taskId,
          new Promise<ActivityOutcome>((resolve, reject) => {
            const key = `${message.result.instanceId}|${message.result.executionId}|${taskId}`;
            const timeoutMs = this.functionTimeoutMs;
            const timer =
              timeoutMs === undefined
                ? undefined
                : setTimeout(() => this.failEagerForOverrun(key, new FunctionTimeoutError("activity", functionName, timeoutMs)), timeoutMs);
            timer?.unref();
            this.eagerActivities.set(key, {
              resolve: (outcome) => (timer && clearTimeout(timer), resolve(outcome)),
              reject: (error) => (timer && clearTimeout(timer), reject(error)),
            });
          }),
        );
      }
      (message.result as EpisodeOutcome).eagerActivities = eagerActivities;
    }
    if (message.type === "invocationError") entry.reject(new Error(message.message));
    else entry.resolve(message);
  }

  private post(message: ParentToChild): void {
    this.outbox.push(message);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    const batch = this.outbox;
    this.outbox = [];
    const child = this.child;
    if (!child?.connected) {
      // The child is gone (its exit may not have been handled yet): what was meant for it runs again on a new one.
      for (const message of batch) this.failRequest(message, new AppHostExitedError("the app process was not running"));
      return;
    }
    const send = child.send.bind(child) as SendFunction<ParentToChild>;
    sendBatch(
      send,
      batch,
      (message, error) => {
        this.failRequest(message, badRequest(`The data for this function cannot be sent to the app: ${describeSerializationError(error)}.`));
        return undefined;
      },
      // EPIPE and friends: the child died; its 'exit' handler fails what it was running, and that work runs again.
      () => undefined,
    );
  }

  private failRequest(message: ParentToChild, error: Error): void {
    if (!("requestId" in message)) return;
    const entry = this.pending.get(message.requestId);
    this.pending.delete(message.requestId);
    entry?.reject(error);
  }

  private async request(
    build: (requestId: number) => ParentToChild,
    options: { onNeedHistory?: (requestId: number) => ParentToChild; timeLimit?: TimeLimit; orchestrator?: string } = {},
  ): Promise<ChildToParent> {
    while (this.paused) await this.paused.promise;
    await this.start();
    const requestId = this.nextRequestId++;
    return new Promise<ChildToParent>((resolve, reject) => {
      const timeoutMs = options.timeLimit ? this.functionTimeoutMs : undefined;
      const timer =
        options.timeLimit && timeoutMs !== undefined
          ? setTimeout(
              () => this.failForOverrun(requestId, new FunctionTimeoutError(options.timeLimit!.kind, options.timeLimit!.functionName, timeoutMs)),
              timeoutMs,
            )
          : undefined;
      timer?.unref();
      const settle = () => timer && clearTimeout(timer);
      const entry: Pending = {
        resolve: (message) => (settle(), resolve(message)),
        reject: (error) => (settle(), reject(error)),
        orchestrator: options.orchestrator,
      };
      const { onNeedHistory } = options;
      if (onNeedHistory) entry.resend = () => this.post(onNeedHistory(requestId));
      this.pending.set(requestId, entry);
      this.post(build(requestId));
    });
  }

  private timerSettings(): typeof TIMER_SETTINGS {
    const sleep = this.options.defaultHttpAsyncRequestSleepTimeMs;
    return sleep === undefined ? TIMER_SETTINGS : { ...TIMER_SETTINGS, defaultHttpAsyncRequestSleepTimeMillseconds: sleep };
  }

  async orchestrate(request: OrchestrateRequest): Promise<EpisodeOutcome> {
    const key = `${request.instanceId}|${request.executionId}`;
    const message = (requestId: number, knownEvents: number): ParentToChild => ({
      type: "orchestrate",
      requestId,
      functionName: request.functionName,
      instanceId: request.instanceId,
      executionId: request.executionId,
      knownEvents,
      newEvents: request.history.slice(knownEvents),
      input: request.input,
      parentInstanceId: request.parentInstanceId,
      upperSchemaVersion: this.options.upperSchemaVersion ?? UPPER_SCHEMA_VERSION,
      eagerActivitySlots: request.eagerActivitySlots ?? 0,
      check: request.check === true ? true : undefined,
      timerSettings: this.timerSettings(),
    });
    const known = this.childKnownEvents.get(key) ?? 0;
    this.childKnownEvents.set(key, request.history.length);
    const answer = await this.request((requestId) => message(requestId, known), {
      onNeedHistory: (requestId) => message(requestId, 0),
      orchestrator: request.functionName,
    });
    if (answer.type !== "orchestrationResult") throw new Error(`Unexpected answer ${answer.type} to an orchestration request.`);
    if (answer.result.state.isDone || answer.result.failure || answer.result.nondeterminism) this.childKnownEvents.delete(key);
    return answer.result as EpisodeOutcome;
  }

  /**
   * Replays a whole history against the current code without running anything (see app-host/replay-tracer.ts).
   * `detailed` records every step with stacks and logs, for the debugger; without it only the verdict is computed.
   */
  async trace(request: {
    functionName: string;
    instanceId: string;
    history: HistoryEvent[] | { file: string };
    input: unknown;
    parentInstanceId?: string;
    detailed: boolean;
  }): Promise<ReplayTrace> {
    const answer = await this.request(
      (requestId) => ({
        type: "trace",
        requestId,
        ...request,
        upperSchemaVersion: this.options.upperSchemaVersion ?? UPPER_SCHEMA_VERSION,
        timerSettings: this.timerSettings(),
      }),
      { orchestrator: request.functionName },
    );
    if (answer.type !== "traceResult") throw new Error(`Unexpected answer ${answer.type} to a replay request.`);
    return answer.result;
  }

  /** Tells the child it may drop its copy of an execution's history (the instance ended or was reset). */
  forget(instanceId: string, executionId: string): void {
    const key = `${instanceId}|${executionId}`;
    if (!this.childKnownEvents.delete(key) || !this.child) return;
    this.post({ type: "forget", instanceId, executionId });
  }

  /** Runs a batch of operations on one entity; the state is JSON text (undefined when the entity does not exist). */
  async runEntityBatch(
    functionName: string,
    entity: { name: string; key: string },
    exists: boolean,
    state: string | undefined,
    batch: EntityOperationDto[],
  ): Promise<EntityBatchResultDto> {
    const answer = await this.request((requestId) => ({ type: "entity", requestId, functionName, entity, exists, state, batch }), {
      timeLimit: { kind: "entity", functionName },
    });
    if (answer.type !== "entityResult") throw new Error(`Unexpected answer ${answer.type} to an entity request.`);
    return answer.result;
  }

  /** Runs an httpTrigger function; the durableClient value is what its durableClient input binding receives. */
  async invokeHttp(
    functionName: string,
    request: HttpRequestDto,
    durableClient: unknown,
  ): Promise<{ ok: true; response: HttpResponseDto } | { ok: false; error: ErrorDto }> {
    const answer = await this.request((requestId) => ({ type: "http", requestId, functionName, request, durableClient }), {
      timeLimit: { kind: "http", functionName },
    });
    if (answer.type !== "httpResult") throw new Error(`Unexpected answer ${answer.type} to an HTTP request.`);
    return answer.ok ? { ok: true, response: answer.response } : { ok: false, error: answer.error };
  }

  async runActivity(functionName: string, instanceId: string, taskId: number, input: unknown): Promise<ActivityOutcome> {
    const answer = await this.request((requestId) => ({ type: "activity", requestId, functionName, instanceId, taskId, input }), {
      timeLimit: { kind: "activity", functionName },
    });
    if (answer.type !== "activityResult") throw new Error(`Unexpected answer ${answer.type} to an activity request.`);
    return answer.ok ? { ok: true, result: answer.result } : { ok: false, error: answer.error };
  }

  /** The app host's process id, while it runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    await new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once("exit", () => resolve());
      // As the Functions host's WorkerTerminate (GrpcWorkerChannel.StopWorkerProcess): the app runs its appTerminate
      // hooks and exits, within 5 s (WorkerConstants.WorkerTerminateGracePeriodInSeconds), or it is killed.
      if (child.connected) child.send([{ type: "terminate" } satisfies ParentToChild], (error) => error && child.connected && child.disconnect());
      setTimeout(() => child.kill(), 5000).unref();
    });
  }
}
