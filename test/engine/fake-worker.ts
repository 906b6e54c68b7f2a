/**
 * A scripted worker for the engine's unit tests (a fake of what core/worker-port.ts describes): orchestrations are
 * small generator scripts that yield task descriptions, replayed against the history the engine hands over with
 * the same rules a real SDK follows (ids in call order, a task done when its completion event is in the history,
 * events taken by name in the order they were raised). Activities and entities are plain functions. It records what
 * the engine asked of it, so tests can assert the engine's invariants without an app process.
 */
import { HistoryEventType, completedTaskId, type HistoryEvent } from "../../emulator/history/history-event";
import type { RegisteredFunction } from "../../emulator/core/functions";
import type { TrackedTask } from "../../emulator/core/tasks";
import type {
  ActivityRequest,
  ActivityResult,
  EntityBatchRequest,
  EntityBatchResult,
  OrchestrationDecision,
  OrchestrationRequest,
  WorkerPort,
} from "../../emulator/core/worker-port";

export type FakeTask =
  { kind: "activity"; name: string; input: unknown } | { kind: "timer"; fireAt: Date } | { kind: "event"; name: string } | { kind: "all"; tasks: FakeTask[] };

export interface FakeContext {
  input: unknown;
  instanceId: string;
  /** The time of the episode being replayed (its OrchestratorStarted). */
  now(): Date;
  callActivity(name: string, input?: unknown): FakeTask;
  createTimer(fireAt: Date): FakeTask;
  waitForEvent(name: string): FakeTask;
  all(tasks: FakeTask[]): FakeTask;
  continueAsNew(input: unknown): void;
}

export type FakeOrchestration = (context: FakeContext) => Generator<FakeTask, unknown, unknown>;
export type FakeActivity = (input: unknown, call: { instanceId: string; taskId: number; attempt: number }) => unknown;

type Resolution = { state: "done"; value: unknown } | { state: "failed"; message: string } | { state: "pending" };

export class FakeWorker implements WorkerPort {
  readonly functions: RegisteredFunction[] = [];
  /** Every orchestrate call, in order. */
  readonly episodes: { instanceId: string; historyLength: number }[] = [];
  /** Most episodes of one instance that ran at the same time. */
  maxConcurrentEpisodesPerInstance = 0;
  readonly activityCalls: ActivityRequest[] = [];
  readonly forgotten: string[] = [];
  private readonly orchestrations = new Map<string, FakeOrchestration>();
  private readonly activities = new Map<string, FakeActivity>();
  private readonly running = new Map<string, number>();
  private readonly attempts = new Map<string, number>();
  /** Resolves when an orchestrate call starts (tests hold episodes open with it). */
  beforeEpisode: (request: OrchestrationRequest) => Promise<void> | void = () => undefined;
  /** Set by unlisted(): the worker does not announce its functions, as a Durable Task SDK without filters. */
  servesAnyFunction = false;

  /** Hides what this worker registered: it lists no functions and serves any name (a Durable Task SDK's way). */
  unlisted(): this {
    this.functions.length = 0;
    this.servesAnyFunction = true;
    return this;
  }

  orchestration(name: string, script: FakeOrchestration): this {
    this.orchestrations.set(name, script);
    this.functions.push({ name, kind: "orchestration", triggerType: "orchestrationTrigger", bindings: {} });
    return this;
  }

  activity(name: string, fn: FakeActivity): this {
    this.activities.set(name, fn);
    this.functions.push({ name, kind: "activity", triggerType: "activityTrigger", bindings: {} });
    return this;
  }

  async orchestrate(request: OrchestrationRequest): Promise<OrchestrationDecision> {
    const running = (this.running.get(request.instanceId) ?? 0) + 1;
    this.running.set(request.instanceId, running);
    this.maxConcurrentEpisodesPerInstance = Math.max(this.maxConcurrentEpisodesPerInstance, running);
    this.episodes.push({ instanceId: request.instanceId, historyLength: request.history.length });
    try {
      await this.beforeEpisode(request);
      const script = this.orchestrations.get(request.functionName);
      if (!script) throw new Error(`The fake worker has no orchestration '${request.functionName}'.`);
      return replay(script, request);
    } finally {
      this.running.set(request.instanceId, (this.running.get(request.instanceId) ?? 1) - 1);
    }
  }

  async runActivity(request: ActivityRequest): Promise<ActivityResult> {
    this.activityCalls.push(request);
    const fn = this.activities.get(request.functionName);
    if (!fn) return { ok: false, error: { name: "Error", message: `No activity '${request.functionName}'.` } };
    const key = `${request.instanceId}|${request.taskId}`;
    const attempt = (this.attempts.get(key) ?? 0) + 1;
    this.attempts.set(key, attempt);
    // A thrown WorkerLostError stands for the worker dying under the activity: it propagates to the engine.
    try {
      return { ok: true, result: await fn(request.input, { instanceId: request.instanceId, taskId: request.taskId, attempt }) };
    } catch (error) {
      if ((error as Error).name === "WorkerLostError") throw error;
      return { ok: false, error: { name: "Error", message: (error as Error).message } };
    }
  }

  async runEntityBatch(request: EntityBatchRequest): Promise<EntityBatchResult> {
    throw new Error(`The fake worker runs no entities (${request.functionName}).`);
  }

  forget(instanceId: string, executionId: string): void {
    this.forgotten.push(`${instanceId}|${executionId}`);
  }
}

/** Replays the script against the history: what an SDK's replay does, for the few task kinds the fake knows. */
function replay(script: FakeOrchestration, request: OrchestrationRequest): OrchestrationDecision {
  const history = request.history;
  const completions = new Map<number, { event: HistoryEvent; index: number }>();
  const scheduled = new Set<number>();
  history.forEach((event, index) => {
    const taskId = completedTaskId(event);
    if (taskId !== undefined && !completions.has(taskId)) completions.set(taskId, { event, index });
    if (event.EventType === HistoryEventType.TaskScheduled || event.EventType === HistoryEventType.TimerCreated) scheduled.add(event.EventId);
  });
  const raised = history.map((event, index) => ({ event, index })).filter(({ event }) => event.EventType === HistoryEventType.EventRaised);
  const takenEvents = new Set<number>();
  // The replay's clock: the OrchestratorStarted of the episode that delivered the last completion consumed so far.
  const episodeStarts = history.map((event, index) => ({ event, index })).filter(({ event }) => event.EventType === HistoryEventType.OrchestratorStarted);
  let nextId = 0;
  let position = -1;
  let continueWith: { input: unknown } | undefined;
  const newTasks: TrackedTask[] = [];
  const openTaskIds: number[] = [];
  const waitingForEvents: string[] = [];
  let waitingForAll: number[] | undefined;

  const context: FakeContext = {
    input: request.input,
    instanceId: request.instanceId,
    now: () =>
      new Date([...episodeStarts].reverse().find(({ index }) => index <= Math.max(position, 0))?.event.Timestamp ?? episodeStarts[0]?.event.Timestamp ?? 0),
    callActivity: (name, input) => ({ kind: "activity", name, input }),
    createTimer: (fireAt) => ({ kind: "timer", fireAt }),
    waitForEvent: (name) => ({ kind: "event", name }),
    all: (tasks) => ({ kind: "all", tasks }),
    continueAsNew: (input) => {
      continueWith = { input };
    },
  };

  const resolve = (task: FakeTask): Resolution => {
    if (task.kind === "all") {
      const parts = task.tasks.map((inner) => ({ inner, resolution: resolve(inner) }));
      const failed = parts.find((part) => part.resolution.state === "failed");
      if (failed) return failed.resolution;
      if (parts.every((part) => part.resolution.state === "done"))
        return { state: "done", value: parts.map((part) => (part.resolution as { value: unknown }).value) };
      waitingForAll = openTaskIds.slice();
      return { state: "pending" };
    }
    if (task.kind === "event") {
      const match = raised.find(({ event, index }) => event.Name === task.name && !takenEvents.has(index));
      if (!match) {
        waitingForEvents.push(task.name);
        return { state: "pending" };
      }
      takenEvents.add(match.index);
      position = Math.max(position, match.index);
      return { state: "done", value: match.event.Input === undefined ? undefined : JSON.parse(match.event.Input) };
    }
    const id = nextId++;
    if (!scheduled.has(id)) {
      newTasks.push({
        id,
        open: true,
        task:
          task.kind === "activity"
            ? { role: "activity", name: task.name, input: task.input }
            : { role: "timer", fireAt: task.fireAt.toISOString(), canceled: false },
      });
    }
    const completion = completions.get(id);
    if (!completion) {
      openTaskIds.push(id);
      return { state: "pending" };
    }
    position = Math.max(position, completion.index);
    const event = completion.event;
    if (event.EventType === HistoryEventType.TaskFailed) return { state: "failed", message: event.Reason ?? "failed" };
    return { state: "done", value: event.Result === undefined ? undefined : JSON.parse(event.Result) };
  };

  const decision = (fields: Partial<OrchestrationDecision>): OrchestrationDecision => ({
    newTasks,
    openTaskIds,
    done: false,
    waitingForEvents,
    canceledTimerIds: [],
    waitingForAll,
    eagerActivities: new Map(),
    ...fields,
  });

  const generator = script(context);
  let step: IteratorResult<FakeTask, unknown>;
  try {
    step = generator.next();
    for (;;) {
      if (step.done) {
        if (continueWith)
          return decision({ done: true, continueAsNew: { input: continueWith.input, calledAtEvent: position < 0 ? history.length - 1 : position } });
        return decision({ done: true, output: step.value });
      }
      const resolution = resolve(step.value);
      if (resolution.state === "pending") return decision({});
      step = resolution.state === "failed" ? generator.throw(new Error(resolution.message)) : generator.next(resolution.value);
    }
  } catch (error) {
    return decision({ failure: { message: (error as Error).message, stack: (error as Error).stack } });
  }
}
