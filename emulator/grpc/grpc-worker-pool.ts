/**
 * The Durable Task SDK workers connected over gRPC, as one worker of the engine (core/worker-port.ts). Work waits
 * here until a worker pulls it over its GetWorkItems stream, as on the Durable Task Scheduler: nothing fails because
 * no worker is connected yet. Each item goes to a stream whose work-item filters take its name (any stream when it
 * sent none), carries a completion token the worker echoes, and goes back in the queue when its stream drops or the
 * worker abandons it: at-least-once, as DTS redelivers a work item whose worker is gone.
 */
import type * as grpc from "@grpc/grpc-js";
import { randomUUID } from "node:crypto";
import type { RegisteredFunction } from "../core/functions";
import type {
  ActivityRequest,
  ActivityResult,
  EntityBatchRequest,
  EntityBatchResult,
  OrchestrationDecision,
  OrchestrationRequest,
  WorkerPort,
} from "../core/worker-port";
import { HistoryEventType } from "../history/history-event";
import { decisionOf } from "./decision-translation";
import { entityBatchResultOf, entityWorkItemOf } from "./entity-translation";
import { PayloadLimits } from "./payload-limits";
import { entityInstanceId } from "../engine/entity-batch";
import { failureDetailsFrom, toProtoEvent } from "./history-translation";
import { pb, stringValue, textOf } from "./protocol";

type WorkKind = "orchestration" | "activity" | "entity";
type WorkResponse = pb.OrchestratorResponse | pb.ActivityResponse | pb.EntityBatchResult;

/** A work item waiting for a worker, or out with one. */
interface Work {
  kind: WorkKind;
  name: string;
  /** How the work is matched when a worker does not echo the completion token (@dapr/durabletask-js 1.0). */
  key: string;
  token: string;
  /** The work item for the stream it goes out on (what the worker said it can take shapes it). */
  build(stream: WorkerStream): pb.WorkItem;
  settle(response: WorkResponse): void;
  fail(error: Error): void;
  stream?: WorkerStream;
}

/** One worker's GetWorkItems stream and what it said it takes. */
export interface WorkerStream {
  readonly call: grpc.ServerWritableStream<pb.GetWorkItemsRequest, pb.WorkItem>;
  /**
   * Function names by kind from its work-item filters. A kind the filters list nothing for is not filtered: the .NET
   * SDK sends an empty WorkItemFilters message by default (GrpcDurableTaskWorker.Processor.cs), and the Java SDK's
   * filters cannot list entities, yet both take that work.
   */
  readonly filters: Record<WorkKind, Set<string> | undefined>;
  readonly maxOut: Record<WorkKind, number>;
  /** It said it can fetch an episode's past with StreamInstanceHistory (WORKER_CAPABILITY_HISTORY_STREAMING). */
  readonly historyStreaming: boolean;
  out: Set<Work>;
}

/**
 * Past events over this many bytes go by StreamInstanceHistory to a worker that can take them so (the .NET SDK), as
 * Microsoft's in-process test sidecar does (TaskHubGrpcServer.cs: 1 MiB): the .NET worker sets no higher gRPC
 * receive limit than its library's default, so a large history inline would be refused.
 */
const HISTORY_STREAMING_BYTES = 1024 * 1024;

/** How often a stream gets a health ping when idle: the .NET SDK drops a connection after 120 s without a message. */
const HEALTH_PING_MS = 30_000;

export class GrpcWorkerPool implements WorkerPort {
  readonly servesAnyFunction = true;
  private readonly streams: WorkerStream[] = [];
  private readonly waiting: Work[] = [];
  private readonly byToken = new Map<string, Work>();
  private readonly byKey = new Map<string, Work>();
  /** Chunks of an orchestrator response sent with isPartial, by completion token, until the last one. */
  private readonly partial = new Map<string, pb.OrchestratorAction[]>();
  /** Tokens differ across runs, so a worker that outlived a restarted emulator cannot complete the wrong item. */
  private readonly tokenPrefix = `${randomUUID().slice(0, 8)}-`;
  private nextToken = 1;
  private nextStream = 0;
  /** Each instance's history as converted for its last request (see protoHistory). */
  private readonly converted = new Map<string, { executionId: string; messages: (pb.HistoryEvent | undefined)[]; lastEvent: unknown }>();
  /** The past events of episodes out with a worker that streams them, by instance (see HISTORY_STREAMING_BYTES). */
  private readonly streamingPast = new Map<string, pb.HistoryEvent[]>();
  /** `kind|name` of the functions a worker ran without failing (an unregistered name fails). */
  private readonly served = new Set<string>();
  private closed = false;
  private readonly pinger: NodeJS.Timeout;

  private readonly limits: PayloadLimits;

  constructor(
    private readonly onWarning: (message: string) => void = () => undefined,
    options: { healthPingMs?: number } = {},
  ) {
    this.limits = new PayloadLimits((message) => this.onWarning(message));
    this.pinger = setInterval(() => this.ping(), options.healthPingMs ?? HEALTH_PING_MS);
    this.pinger.unref();
  }

  /**
   * The functions the connected workers named in their filters, and those a worker has run (a worker without filters
   * names none up front: what it served is what the dashboard and the extension can list).
   */
  get functions(): readonly RegisteredFunction[] {
    const named = new Map<string, RegisteredFunction>();
    const add = (kind: RegisteredFunction["kind"], name: string) => named.set(`${kind}|${name}`, { name, kind, triggerType: `${kind}Trigger`, bindings: {} });
    for (const stream of this.streams) {
      for (const kind of ["orchestration", "activity", "entity"] as const) for (const name of stream.filters[kind] ?? []) add(kind, name);
    }
    for (const key of this.served) add(key.slice(0, key.indexOf("|")) as RegisteredFunction["kind"], key.slice(key.indexOf("|") + 1));
    return [...named.values()];
  }

  get connectedWorkers(): number {
    return this.streams.length;
  }

  // ------------------------------------------------------------------ the engine's side

  orchestrate(request: OrchestrationRequest): Promise<OrchestrationDecision> {
    const history = request.history;
    let lastStart = history.length;
    for (let i = history.length - 1; i >= 0; i--) {
      if (history[i].EventType === HistoryEventType.OrchestratorStarted) {
        lastStart = i;
        break;
      }
    }
    const all = this.protoHistory(request);
    const present = (message: pb.HistoryEvent | undefined): message is pb.HistoryEvent => message !== undefined;
    const past = all.slice(0, lastStart).filter(present);
    const fresh = all.slice(lastStart).filter(present);
    return new Promise((resolve, reject) => {
      this.add({
        kind: "orchestration",
        name: request.functionName,
        key: `o|${request.instanceId}`,
        token: "",
        build: (stream) => {
          const orchestration = new pb.OrchestratorRequest();
          orchestration.setInstanceid(request.instanceId);
          orchestration.setExecutionid(stringValue(request.executionId));
          if (stream.historyStreaming && sizeOf(past) > HISTORY_STREAMING_BYTES) {
            // A worker that streams history fetches the past with StreamInstanceHistory (forWorkItemProcessing).
            orchestration.setRequireshistorystreaming(true);
            this.streamingPast.set(request.instanceId, past);
          } else orchestration.setPasteventsList(past);
          orchestration.setNeweventsList(fresh);
          const item = new pb.WorkItem();
          item.setOrchestratorrequest(orchestration);
          return item;
        },
        settle: (response) => {
          this.streamingPast.delete(request.instanceId);
          this.limits.checkOrchestratorResponse(response as pb.OrchestratorResponse);
          if (!failedOrchestration(response as pb.OrchestratorResponse)) this.served.add(`orchestration|${request.functionName}`);
          if (lastStart === 0 || history.slice(0, lastStart).every((e) => e.EventType !== HistoryEventType.OrchestratorStarted))
            this.warnOfPlainGenerator(request, response as pb.OrchestratorResponse);
          resolve(decisionOf(response as pb.OrchestratorResponse, history.length));
        },
        fail: (error) => {
          this.streamingPast.delete(request.instanceId);
          reject(error);
        },
      });
    });
  }

  /**
   * durabletask-js runs an orchestrator only when it returns an async generator (orchestration-executor.js: anything
   * else is the output as it is): a plain `function*` completes at once, its generator object serialized as {}, and
   * runs nothing. A first episode that ends that way is most likely that mistake, which would fail the same in Azure.
   */
  private warnOfPlainGenerator(request: OrchestrationRequest, response: pb.OrchestratorResponse): void {
    const actions = response.getActionsList();
    const complete = actions.length === 1 ? actions[0].getCompleteorchestration() : undefined;
    if (complete?.getOrchestrationstatus() !== pb.OrchestrationStatus.ORCHESTRATION_STATUS_COMPLETED || textOf(complete.getResult()) !== "{}") return;
    this.onWarning(
      `Orchestrator '${request.functionName}' (${request.instanceId}) completed in its first episode with {} and scheduled nothing. ` +
        "If it is a plain function* (not async function*), durabletask-js does not run it: it returns the generator object, serialized as {}, the same in Azure. Declare it async function*.",
    );
  }

  runActivity(request: ActivityRequest): Promise<ActivityResult> {
    return new Promise((resolve, reject) => {
      this.add({
        kind: "activity",
        name: request.functionName,
        key: `a|${request.instanceId}|${request.taskId}`,
        token: "",
        build: () => {
          const activity = new pb.ActivityRequest();
          activity.setName(request.functionName);
          activity.setTaskid(request.taskId);
          activity.setInput(stringValue(request.input === undefined ? undefined : JSON.stringify(request.input)));
          const instance = new pb.OrchestrationInstance();
          instance.setInstanceid(request.instanceId);
          activity.setOrchestrationinstance(instance);
          const item = new pb.WorkItem();
          item.setActivityrequest(activity);
          return item;
        },
        settle: (response) => {
          this.limits.checkActivityResponse(response as pb.ActivityResponse, request.functionName);
          if (!(response as pb.ActivityResponse).getFailuredetails()) this.served.add(`activity|${request.functionName}`);
          resolve(activityResultOf(response as pb.ActivityResponse));
        },
        fail: reject,
      });
    });
  }

  runEntityBatch(request: EntityBatchRequest): Promise<EntityBatchResult> {
    return new Promise((resolve, reject) => {
      this.add({
        kind: "entity",
        name: request.functionName.toLowerCase(),
        // The engine runs one batch per entity at a time, so the entity names the work.
        key: `e|${entityInstanceId(request.entity.name, request.entity.key)}`,
        token: "",
        build: () => entityWorkItemOf(request),
        settle: (response) => {
          this.limits.checkEntityResult(response as pb.EntityBatchResult, entityInstanceId(request.entity.name, request.entity.key));
          if (!(response as pb.EntityBatchResult).getFailuredetails()) this.served.add(`entity|${request.functionName}`);
          resolve(entityBatchResultOf(response as pb.EntityBatchResult, request, this.onWarning));
        },
        fail: reject,
      });
    });
  }

  forget(instanceId: string): void {
    // A Durable Task SDK worker keeps nothing between episodes (each request carries the whole history); only the
    // converted history cached here goes.
    this.converted.delete(instanceId);
  }

  /**
   * The history as protocol messages, one per engine event (undefined for kinds the protocol lacks, so indexes
   * match). A history only grows within an execution, so the messages of the last request
   * are reused when its last event is still in place; an undone or replaced history is converted afresh.
   */
  private protoHistory(request: OrchestrationRequest): (pb.HistoryEvent | undefined)[] {
    const history = request.history;
    const cached = this.converted.get(request.instanceId);
    let messages: (pb.HistoryEvent | undefined)[] = [];
    if (
      cached &&
      cached.executionId === request.executionId &&
      cached.messages.length <= history.length &&
      (cached.messages.length === 0 || history[cached.messages.length - 1] === cached.lastEvent)
    )
      messages = cached.messages;
    for (let i = messages.length; i < history.length; i++) messages.push(toProtoEvent(history[i]));
    this.converted.set(request.instanceId, { executionId: request.executionId, messages, lastEvent: history[history.length - 1] });
    return messages;
  }

  // ------------------------------------------------------------------ the workers' side

  /** A worker opened its GetWorkItems stream: it gets waiting work now, and whatever comes later. */
  connect(call: grpc.ServerWritableStream<pb.GetWorkItemsRequest, pb.WorkItem>): WorkerStream {
    const request = call.request;
    const filters = request.getWorkitemfilters();
    const stream: WorkerStream = {
      call,
      filters: {
        orchestration: namesOf(filters?.getOrchestrationsList().map((f) => f.getName())),
        activity: namesOf(filters?.getActivitiesList().map((f) => f.getName())),
        // Entity names are case-insensitive (EntityInstanceId lower-cases them).
        entity: namesOf(filters?.getEntitiesList().map((f) => f.getName().toLowerCase())),
      },
      maxOut: {
        orchestration: request.getMaxconcurrentorchestrationworkitems() || Infinity,
        activity: request.getMaxconcurrentactivityworkitems() || Infinity,
        entity: request.getMaxconcurrententityworkitems() || Infinity,
      },
      historyStreaming: request.getCapabilitiesList().includes(pb.WorkerCapability.WORKER_CAPABILITY_HISTORY_STREAMING),
      out: new Set(),
    };
    this.streams.push(stream);
    const gone = () => this.disconnect(stream);
    call.on("cancelled", gone);
    call.on("close", gone);
    call.on("error", gone);
    this.dispatch();
    return stream;
  }

  completeOrchestration(response: pb.OrchestratorResponse): boolean {
    const token = response.getCompletiontoken();
    if (response.getIspartial()) {
      // A large response in chunks (OrchestratorResponse.isPartial): the actions add up until the last chunk.
      const key = token || `o|${response.getInstanceid()}`;
      this.partial.set(key, [...(this.partial.get(key) ?? []), ...response.getActionsList()]);
      return this.findWork(token, `o|${response.getInstanceid()}`) !== undefined;
    }
    const key = token || `o|${response.getInstanceid()}`;
    const earlier = this.partial.get(key);
    if (earlier) {
      this.partial.delete(key);
      response.setActionsList([...earlier, ...response.getActionsList()]);
    }
    return this.finish(this.findWork(token, `o|${response.getInstanceid()}`), response);
  }

  completeActivity(response: pb.ActivityResponse): boolean {
    return this.finish(this.findWork(response.getCompletiontoken(), `a|${response.getInstanceid()}|${response.getTaskid()}`), response);
  }

  /**
   * An entity batch's result. It names no instance, so a worker that does not echo completion tokens can complete
   * only the one entity batch it holds; with several out, the result cannot be placed and is refused.
   */
  completeEntity(response: pb.EntityBatchResult): boolean {
    const token = response.getCompletiontoken();
    if (token) return this.finish(this.byToken.get(token), response);
    const out = [...this.byToken.values()].filter((work) => work.kind === "entity");
    return out.length === 1 ? this.finish(out[0], response) : false;
  }

  /** The past events of the episode out with a history-streaming worker, which it asks for with StreamInstanceHistory. */
  pastEventsFor(instanceId: string): pb.HistoryEvent[] | undefined {
    return this.streamingPast.get(instanceId);
  }

  /** The worker gave the work item back (AbandonTask*): it goes to the next worker. */
  abandon(token: string): boolean {
    const work = this.byToken.get(token);
    if (!work) return false;
    this.requeue(work);
    this.dispatch();
    return true;
  }

  close(): void {
    this.closed = true;
    clearInterval(this.pinger);
    for (const work of [...this.waiting, ...this.byToken.values()]) work.fail(new Error("The emulator is stopping."));
    this.waiting.length = 0;
    this.byToken.clear();
    this.byKey.clear();
    for (const stream of this.streams.splice(0)) stream.call.end();
  }

  // ------------------------------------------------------------------ dispatch

  private add(work: Work): void {
    if (this.closed) {
      work.fail(new Error("The emulator is stopping."));
      return;
    }
    this.waiting.push(work);
    this.dispatch();
  }

  private findWork(token: string, key: string): Work | undefined {
    return (token ? this.byToken.get(token) : undefined) ?? this.byKey.get(key);
  }

  private finish(work: Work | undefined, response: WorkResponse): boolean {
    if (!work) return false; // already completed by another worker, or for an episode that was given up
    this.release(work);
    work.settle(response);
    this.dispatch();
    return true;
  }

  private release(work: Work): void {
    this.byToken.delete(work.token);
    if (this.byKey.get(work.key) === work) this.byKey.delete(work.key);
    work.stream?.out.delete(work);
    work.stream = undefined;
  }

  private requeue(work: Work): void {
    this.release(work);
    this.waiting.unshift(work);
  }

  private disconnect(stream: WorkerStream): void {
    const index = this.streams.indexOf(stream);
    if (index < 0) return;
    this.streams.splice(index, 1);
    const lost = [...stream.out];
    for (const work of lost) this.requeue(work);
    if (lost.length && !this.closed) {
      this.onWarning(
        `A Durable Task worker disconnected with ${lost.length} work item${lost.length === 1 ? "" : "s"} in progress; ` +
          (this.streams.length ? "they go to another connected worker." : "they wait for a worker to connect."),
      );
    }
    this.dispatch();
  }

  private takes(stream: WorkerStream, work: Work): boolean {
    const names = stream.filters[work.kind];
    if (names && !names.has(work.name)) return false;
    let out = 0;
    for (const item of stream.out) if (item.kind === work.kind) out++;
    return out < stream.maxOut[work.kind];
  }

  /** Hands waiting work to streams, round robin among those that take it. */
  private dispatch(): void {
    if (!this.streams.length) return;
    for (let i = 0; i < this.waiting.length;) {
      const work = this.waiting[i];
      const stream = this.pickStream(work);
      if (!stream) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      work.token = this.tokenPrefix + String(this.nextToken++);
      work.stream = stream;
      stream.out.add(work);
      this.byToken.set(work.token, work);
      this.byKey.set(work.key, work);
      const item = work.build(stream);
      item.setCompletiontoken(work.token);
      stream.call.write(item);
    }
  }

  private pickStream(work: Work): WorkerStream | undefined {
    for (let n = 0; n < this.streams.length; n++) {
      const stream = this.streams[(this.nextStream + n) % this.streams.length];
      if (this.takes(stream, work)) {
        this.nextStream = (this.nextStream + n + 1) % this.streams.length;
        return stream;
      }
    }
    return undefined;
  }

  private ping(): void {
    for (const stream of this.streams) {
      const item = new pb.WorkItem();
      item.setHealthping(new pb.HealthPing());
      stream.call.write(item);
    }
  }
}

function sizeOf(events: readonly pb.HistoryEvent[]): number {
  let bytes = 0;
  for (const event of events) {
    bytes += event.serializeBinary().length;
    if (bytes > HISTORY_STREAMING_BYTES) break;
  }
  return bytes;
}

/** A filter's names, or undefined when it lists none (no filtering of that kind). */
function namesOf(names: string[] | undefined): Set<string> | undefined {
  return names?.length ? new Set(names) : undefined;
}

/** The orchestration failed in this episode (an unregistered name fails so too). */
function failedOrchestration(response: pb.OrchestratorResponse): boolean {
  return response
    .getActionsList()
    .some((action) => action.getCompleteorchestration()?.getOrchestrationstatus() === pb.OrchestrationStatus.ORCHESTRATION_STATUS_FAILED);
}

function activityResultOf(response: pb.ActivityResponse): ActivityResult {
  const failure = response.getFailuredetails();
  if (!failure) {
    const text = textOf(response.getResult());
    let result: unknown;
    try {
      result = text === undefined || text === "" ? undefined : JSON.parse(text);
    } catch {
      result = text;
    }
    return { ok: true, result };
  }
  const details = failureDetailsFrom(failure);
  return {
    ok: false,
    error: {
      name: details.ErrorType,
      message: details.ErrorMessage,
      stack: details.StackTrace,
      failureDetailsJson: JSON.stringify({
        errorType: details.ErrorType,
        errorMessage: details.ErrorMessage,
        stackTrace: details.StackTrace,
        isNonRetriable: details.IsNonRetriable,
      }),
    },
  };
}
