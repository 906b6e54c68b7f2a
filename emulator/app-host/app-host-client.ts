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
  RegisteredFunction,
  ReplayTrace,
} from "./protocol";
import type { HistoryEvent } from "../history/history-event";

export class AppHostExitedError extends Error {
  constructor(detail: string) {
    super(`The app process exited while running this function (${detail}).`);
    this.name = "AppHostExitedError";
  }
}

/** The app host was restarted on purpose (the app's code changed): the work it was doing runs again. */
export class AppHostReloadedError extends AppHostExitedError {
  constructor() {
    super("the app was reloaded");
    this.name = "AppHostReloadedError";
  }
}

export class AppLoadFailedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "AppLoadFailedError";
  }
}

export type ActivityOutcome = { ok: true; result: unknown } | { ok: false; error: ErrorDto };

/** An episode's result, with the outcomes of the activities the child started eagerly, by task id. */
export interface EpisodeOutcome extends OrchestrationEpisodeResult {
  eagerActivities: Map<number, Promise<ActivityOutcome>>;
}

export interface OrchestrateRequest {
  functionName: string;
  instanceId: string;
  executionId: string;
  /** The whole history of this execution; only the part the child has not seen is sent. */
  history: readonly HistoryEvent[];
  input: unknown;
  parentInstanceId?: string;
  /** How many of the episode's new activities the app host may start right away. */
  eagerActivitySlots?: number;
}

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
   * Starts the app process with the V8 inspector on 127.0.0.1 at this port (0: any free port), so a JavaScript
   * debugger can attach beside the replay debugger and stop inside activities and orchestrators.
   */
  inspectPort?: number;
  /** The Node.js executable that runs the app (default: the one running the emulator). */
  nodePath?: string;
}

type Pending = {
  resolve: (message: ChildToParent) => void;
  reject: (error: Error) => void;
  resend?: () => void;
};

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

  constructor(private readonly options: AppHostOptions) {}

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
        stdio: ["ignore", "pipe", "pipe", "ipc"],
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
      let ready = false;
      child.on("message", (batch: ChildToParent[]) => {
        for (const message of batch) {
          if (message.type === "ready") {
            ready = true;
            this.functions = message.functions;
            this.durableFunctionsVersion = message.durableFunctionsVersion;
            resolve(message.functions);
          } else if (message.type === "loadError") {
            child.kill();
            reject(new AppLoadFailedError(message.message));
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
        for (const entry of inFlight) entry.reject(this.reloading ? new AppHostReloadedError() : new AppHostExitedError(detail));
      });
      child.send({ type: "start", options: { appDir: this.options.appDir, entryFiles: this.options.entryFiles } });
    });
  }

  private receive(message: ChildToParent): void {
    if (message.type === "log") {
      this.options.onLog?.(message);
      return;
    }
    if (message.type === "ready" || message.type === "loadError") return;
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
        eagerActivities.set(
          taskId,
          new Promise<ActivityOutcome>((resolve, reject) => {
            const key = `${message.result.instanceId}|${message.result.executionId}|${taskId}`;
            this.eagerActivities.set(key, { resolve, reject });
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
      queueMicrotask(() => {
        this.flushScheduled = false;
        const batch = this.outbox;
        this.outbox = [];
        if (this.child?.connected) this.child.send(batch);
      });
    }
  }

  private async request(build: (requestId: number) => ParentToChild, onNeedHistory?: (requestId: number) => ParentToChild): Promise<ChildToParent> {
    while (this.paused) await this.paused.promise;
    await this.start();
    const requestId = this.nextRequestId++;
    return new Promise<ChildToParent>((resolve, reject) => {
      const entry: Pending = { resolve, reject };
      if (onNeedHistory) entry.resend = () => this.post(onNeedHistory(requestId));
      this.pending.set(requestId, entry);
      this.post(build(requestId));
    });
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
      timerSettings: TIMER_SETTINGS,
    });
    const known = this.childKnownEvents.get(key) ?? 0;
    this.childKnownEvents.set(key, request.history.length);
    const answer = await this.request(
      (requestId) => message(requestId, known),
      (requestId) => message(requestId, 0),
    );
    if (answer.type !== "orchestrationResult") throw new Error(`Unexpected answer ${answer.type} to an orchestration request.`);
    if (answer.result.state.isDone || answer.result.failure || answer.result.nondeterminism) this.childKnownEvents.delete(key);
    return answer.result as EpisodeOutcome;
  }

  /**
   * Replays a whole history against the current code without running anything (see app-host/replay-tracer.ts).
   * `detailed` records every step with stacks and logs, for the debugger; without it only the verdict is computed.
   */
  async trace(request: { functionName: string; instanceId: string; history: HistoryEvent[] | { file: string }; input: unknown; parentInstanceId?: string; detailed: boolean }): Promise<ReplayTrace> {
    const answer = await this.request((requestId) => ({
      type: "trace",
      requestId,
      ...request,
      upperSchemaVersion: this.options.upperSchemaVersion ?? UPPER_SCHEMA_VERSION,
      timerSettings: TIMER_SETTINGS,
    }));
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
  async runEntityBatch(functionName: string, entity: { name: string; key: string }, exists: boolean, state: string | undefined, batch: EntityOperationDto[]): Promise<EntityBatchResultDto> {
    const answer = await this.request((requestId) => ({ type: "entity", requestId, functionName, entity, exists, state, batch }));
    if (answer.type !== "entityResult") throw new Error(`Unexpected answer ${answer.type} to an entity request.`);
    return answer.result;
  }

  /** Runs an httpTrigger function; the durableClient value is what its durableClient input binding receives. */
  async invokeHttp(functionName: string, request: HttpRequestDto, durableClient: unknown): Promise<{ ok: true; response: HttpResponseDto } | { ok: false; error: ErrorDto }> {
    const answer = await this.request((requestId) => ({ type: "http", requestId, functionName, request, durableClient }));
    if (answer.type !== "httpResult") throw new Error(`Unexpected answer ${answer.type} to an HTTP request.`);
    return answer.ok ? { ok: true, response: answer.response } : { ok: false, error: answer.error };
  }

  async runActivity(functionName: string, instanceId: string, taskId: number, input: unknown): Promise<ActivityOutcome> {
    const answer = await this.request((requestId) => ({ type: "activity", requestId, functionName, instanceId, taskId, input }));
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
      child.once("exit", () => resolve());
      // Closing the channel lets the host exit by itself; kill it if it does not (a handler that never returns).
      if (child.connected) child.disconnect();
      setTimeout(() => child.kill(), 2000).unref();
    });
  }
}
