/**
 * The worker side of the protocol as other SDKs use it, spoken by hand with grpc-js and the protocol's own messages
 * (what durabletask-js 0.4.0 never does): an orchestrator response sent in chunks (`isPartial`), a work item given
 * back (AbandonTaskActivityWorkItem) and handed out again, and a worker that never echoes completion tokens
 * (@dapr/durabletask-js 1.0), whose results are matched by instance and task id.
 */
import * as assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import { TaskHubSidecarServiceClient } from "@microsoft/durabletask-js/dist/proto/orchestrator_service_grpc_pb";
import { startDurableTaskEmulator, type DurableTaskEmulator } from "../../emulator/grpc/durable-task-emulator";
import { pb, stringValue, textOf } from "../../emulator/grpc/protocol";
import { HistoryEventType } from "../../emulator";
import { tempDir, waitFor as until } from "../emulator/harness";

type Unary<Req> = (request: Req, callback: (error: grpc.ServiceError | null) => void) => grpc.ClientUnaryCall;

function call<Req>(method: Unary<Req>, request: Req): Promise<void> {
  return new Promise((resolve, reject) => method(request, (error) => (error ? reject(error) : resolve())));
}

function scheduleTask(id: number, name: string, input: unknown): pb.OrchestratorAction {
  const task = new pb.ScheduleTaskAction();
  task.setName(name);
  task.setInput(stringValue(JSON.stringify(input)));
  const action = new pb.OrchestratorAction();
  action.setId(id);
  action.setScheduletask(task);
  return action;
}

function completeWith(id: number, result: unknown): pb.OrchestratorAction {
  const complete = new pb.CompleteOrchestrationAction();
  complete.setOrchestrationstatus(pb.OrchestrationStatus.ORCHESTRATION_STATUS_COMPLETED);
  complete.setResult(stringValue(JSON.stringify(result)));
  const action = new pb.OrchestratorAction();
  action.setId(id);
  action.setCompleteorchestration(complete);
  return action;
}

/** The results of the tasks completed in the history so far, by task id. */
function completedResults(request: pb.OrchestratorRequest): Map<number, unknown> {
  const results = new Map<number, unknown>();
  for (const event of [...request.getPasteventsList(), ...request.getNeweventsList()]) {
    const completed = event.getTaskcompleted();
    if (completed) results.set(completed.getTaskscheduledid(), JSON.parse(textOf(completed.getResult()) ?? "null"));
  }
  return results;
}

/**
 * A worker written by hand: it opens GetWorkItems and hands each work item to the test's handler with the client to
 * answer on. It schedules two activities ("upper" of "a" and "b") and completes with their results joined.
 */
class HandWrittenWorker {
  readonly client: TaskHubSidecarServiceClient;
  private stream: grpc.ClientReadableStream<pb.WorkItem> | undefined;
  readonly activityTokens: string[] = [];

  constructor(
    port: number,
    private readonly options: { echoTokens: boolean; chunked: boolean; abandonFirstActivity: boolean; emptyFilters?: boolean },
  ) {
    this.client = new TaskHubSidecarServiceClient(`localhost:${port}`, grpc.credentials.createInsecure());
  }

  start(): void {
    const request = new pb.GetWorkItemsRequest();
    // The .NET SDK's default: a WorkItemFilters message that lists nothing (GrpcDurableTaskWorker.Processor.cs).
    if (this.options.emptyFilters) request.setWorkitemfilters(new pb.WorkItemFilters());
    this.stream = this.client.getWorkItems(request);
    this.stream.on("data", (item: pb.WorkItem) => void this.handle(item));
    this.stream.on("error", () => undefined); // cancelled at stop()
  }

  stop(): void {
    this.stream?.cancel();
    this.client.close();
  }

  private token(item: pb.WorkItem): string {
    return this.options.echoTokens ? item.getCompletiontoken() : "";
  }

  private async handle(item: pb.WorkItem): Promise<void> {
    const orchestration = item.getOrchestratorrequest();
    const activity = item.getActivityrequest();
    if (orchestration) {
      const done = completedResults(orchestration);
      const responses: pb.OrchestratorResponse[] = [];
      const respond = (actions: pb.OrchestratorAction[], partial: boolean) => {
        const response = new pb.OrchestratorResponse();
        response.setInstanceid(orchestration.getInstanceid());
        response.setCompletiontoken(this.token(item));
        response.setActionsList(actions);
        response.setIspartial(partial);
        responses.push(response);
      };
      if (done.size === 2) respond([completeWith(2, `${String(done.get(0))}+${String(done.get(1))}`)], false);
      else if (done.size === 0 && this.options.chunked) {
        respond([scheduleTask(0, "upper", "a")], true);
        respond([scheduleTask(1, "upper", "b")], false);
      } else if (done.size === 0) respond([scheduleTask(0, "upper", "a"), scheduleTask(1, "upper", "b")], false);
      else respond([], false); // one result so far: nothing new to do until the other comes
      for (const response of responses) await call(this.client.completeOrchestratorTask.bind(this.client), response);
    } else if (activity) {
      this.activityTokens.push(item.getCompletiontoken());
      if (this.options.abandonFirstActivity && this.activityTokens.length === 1) {
        const abandon = new pb.AbandonActivityTaskRequest();
        abandon.setCompletiontoken(item.getCompletiontoken());
        await call(this.client.abandonTaskActivityWorkItem.bind(this.client), abandon);
        return;
      }
      const response = new pb.ActivityResponse();
      response.setInstanceid(activity.getOrchestrationinstance()?.getInstanceid() ?? "");
      response.setTaskid(activity.getTaskid());
      response.setCompletiontoken(this.token(item));
      response.setResult(stringValue(JSON.stringify(String(JSON.parse(textOf(activity.getInput()) ?? '""')).toUpperCase())));
      await call(this.client.completeActivityTask.bind(this.client), response);
    }
  }
}

function sendEvent(id: number, instanceId: string, name: string, data: unknown): pb.OrchestratorAction {
  const send = new pb.SendEventAction();
  const target = new pb.OrchestrationInstance();
  target.setInstanceid(instanceId);
  send.setInstance(target);
  send.setName(name);
  send.setData(stringValue(JSON.stringify(data)));
  const action = new pb.OrchestratorAction();
  action.setId(id);
  action.setSendevent(send);
  return action;
}

/**
 * The .NET SDK on plain gRPC (UseGrpc, no Scheduler) sends entity operations as classic messages: a sendEvent named
 * "op" to the entity's id with DurableTask.Core's RequestMessage (InternalOptionsExtensions.cs leaves entity events
 * off). This worker signals a counter twice that way and runs the counter's batches (entityRequestV2 work items, the
 * form the .NET worker echoes completion tokens for).
 */
class ClassicEntityWorker {
  readonly client: TaskHubSidecarServiceClient;
  private stream: grpc.ClientReadableStream<pb.WorkItem> | undefined;

  constructor(port: number) {
    this.client = new TaskHubSidecarServiceClient(`localhost:${port}`, grpc.credentials.createInsecure());
  }

  start(): void {
    this.stream = this.client.getWorkItems(new pb.GetWorkItemsRequest());
    this.stream.on("data", (item: pb.WorkItem) => void this.handle(item));
    this.stream.on("error", () => undefined);
  }

  stop(): void {
    this.stream?.cancel();
    this.client.close();
  }

  private async handle(item: pb.WorkItem): Promise<void> {
    const orchestration = item.getOrchestratorrequest();
    const entity = item.getEntityrequestv2();
    if (orchestration) {
      const response = new pb.OrchestratorResponse();
      response.setInstanceid(orchestration.getInstanceid());
      response.setCompletiontoken(item.getCompletiontoken());
      const signal = (id: number, amount: number) =>
        sendEvent(id, "@counter@classic", "op", { op: "add", signal: true, input: String(amount), id: `00000000-0000-0000-0000-00000000000${id}` });
      response.setActionsList([signal(0, 2), signal(1, 3), completeWith(2, "signalled")]);
      await call(this.client.completeOrchestratorTask.bind(this.client), response);
    } else if (entity) {
      let state = Number(textOf(entity.getEntitystate()) ?? "0");
      const result = new pb.EntityBatchResult();
      result.setResultsList(
        entity.getOperationrequestsList().map((operation) => {
          const request = operation.getEntityoperationsignaled() ?? operation.getEntityoperationcalled();
          state += Number(textOf(request?.getInput()) ?? "0");
          const success = new pb.OperationResultSuccess();
          const outcome = new pb.OperationResult();
          outcome.setSuccess(success);
          return outcome;
        }),
      );
      result.setEntitystate(stringValue(String(state)));
      result.setCompletiontoken(item.getCompletiontoken());
      await call(this.client.completeEntityTask.bind(this.client), result);
    }
  }
}

/**
 * A worker that says it streams history (as the .NET SDK does): it runs three activities in turn whose results are
 * 600 KB each, and when a request says requiresHistoryStreaming it fetches the episode's past with StreamInstanceHistory.
 */
function historyStreamingWorker(port: number): { stop(): void; streamedEpisodes: number } {
  const client = new TaskHubSidecarServiceClient(`localhost:${port}`, grpc.credentials.createInsecure());
  const request = new pb.GetWorkItemsRequest();
  request.setCapabilitiesList([pb.WorkerCapability.WORKER_CAPABILITY_HISTORY_STREAMING]);
  const stream = client.getWorkItems(request);
  const state = { streamedEpisodes: 0, stop: () => (stream.cancel(), client.close()) };
  const pastOf = (orchestration: pb.OrchestratorRequest) =>
    new Promise<pb.HistoryEvent[]>((resolve, reject) => {
      if (!orchestration.getRequireshistorystreaming()) return resolve(orchestration.getPasteventsList());
      state.streamedEpisodes++;
      const ask = new pb.StreamInstanceHistoryRequest();
      ask.setInstanceid(orchestration.getInstanceid());
      ask.setForworkitemprocessing(true);
      const events: pb.HistoryEvent[] = [];
      const chunks = client.streamInstanceHistory(ask);
      chunks.on("data", (chunk: pb.HistoryChunk) => events.push(...chunk.getEventsList()));
      chunks.on("end", () => resolve(events));
      chunks.on("error", reject);
    });
  stream.on("error", () => undefined);
  stream.on("data", (item: pb.WorkItem) => {
    void (async () => {
      const orchestration = item.getOrchestratorrequest();
      const activity = item.getActivityrequest();
      if (orchestration) {
        const history = new pb.OrchestratorRequest();
        history.setPasteventsList([...(await pastOf(orchestration)), ...orchestration.getNeweventsList()]);
        const done = completedResults(history);
        const response = new pb.OrchestratorResponse();
        response.setInstanceid(orchestration.getInstanceid());
        response.setCompletiontoken(item.getCompletiontoken());
        // One after another, so that the last episode's past holds two results (1.2 MB).
        const lengths = [...done.values()].map((text) => String(text).length);
        if (done.size === 3) response.setActionsList([completeWith(3, lengths)]);
        else response.setActionsList([scheduleTask(done.size, "blob", 600_000)]);
        await call(client.completeOrchestratorTask.bind(client), response);
      } else if (activity) {
        const response = new pb.ActivityResponse();
        response.setInstanceid(activity.getOrchestrationinstance()?.getInstanceid() ?? "");
        response.setTaskid(activity.getTaskid());
        response.setCompletiontoken(item.getCompletiontoken());
        response.setResult(stringValue(JSON.stringify("z".repeat(Number(textOf(activity.getInput()))))));
        await call(client.completeActivityTask.bind(client), response);
      }
    })();
  });
  return state;
}

describe("the worker side of the gRPC protocol, spoken by hand", function () {
  this.timeout(60_000);
  let emulator: DurableTaskEmulator;
  const warnings: string[] = [];
  let worker: HandWrittenWorker | undefined;

  beforeEach(async () => {
    emulator = await startDurableTaskEmulator({
      dir: tempDir("dd-grpc-raw-"),
      store: "memory",
      port: 0,
      onEvent: (event) => event.kind === "warning" && warnings.push(event.message),
    });
  });

  afterEach(async () => {
    worker?.stop();
    await emulator.close();
  });

  const runWith = async (options: ConstructorParameters<typeof HandWrittenWorker>[1]) => {
    worker = new HandWrittenWorker(emulator.sidecar.port, options);
    worker.start();
    const id = await emulator.engine.startNew("joinUpper");
    const status = await emulator.engine.waitForCompletion(id, 30_000);
    return { id, status };
  };

  it("sends every worker's stream a health ping while it is idle (the .NET SDK drops a connection after 120 s of silence)", async () => {
    await emulator.close();
    emulator = await startDurableTaskEmulator({ dir: tempDir("dd-grpc-ping-"), store: "memory", port: 0, healthPingMs: 50 });
    const client = new TaskHubSidecarServiceClient(`localhost:${emulator.sidecar.port}`, grpc.credentials.createInsecure());
    const stream = client.getWorkItems(new pb.GetWorkItemsRequest());
    try {
      const pings = await new Promise<number>((resolve) => {
        let count = 0;
        stream.on("data", (item: pb.WorkItem) => {
          if (item.hasHealthping() && ++count === 2) resolve(count);
        });
      });
      assert.equal(pings, 2);
    } finally {
      stream.on("error", () => undefined);
      stream.cancel();
      client.close();
    }
  });

  it("takes classic entity messages (sendEvent 'op' to @name@key, as the .NET SDK sends on plain gRPC) to the entity's queue", async () => {
    const classic = new ClassicEntityWorker(emulator.sidecar.port);
    classic.start();
    try {
      const id = await emulator.engine.startNew("signalCounter");
      const status = await emulator.engine.waitForCompletion(id, 30_000);
      assert.equal(status.output, "signalled");
      await until(() => emulator.engine.getRecord("@counter@classic")?.entity?.state === "5");
      const sent = emulator.engine.getHistory(id).filter((e) => e.EventType === HistoryEventType.EventSent);
      assert.deepEqual(
        sent.map((e) => [e.Name, e.InstanceId]),
        [
          ["op", "@counter@classic"],
          ["op", "@counter@classic"],
        ],
      );
    } finally {
      classic.stop();
    }
  });

  it("streams an episode's past of over 1 MiB to a worker that says it can take it so (requiresHistoryStreaming, as .NET)", async () => {
    const streaming = historyStreamingWorker(emulator.sidecar.port);
    try {
      const id = await emulator.engine.startNew("bigPair");
      const status = await emulator.engine.waitForCompletion(id, 30_000);
      assert.deepEqual(status.output, [600_000, 600_000, 600_000]);
      assert.equal(streaming.streamedEpisodes, 1, "the last episode's past (1.2 MB) came by StreamInstanceHistory, the smaller ones inline");
    } finally {
      streaming.stop();
    }
  });

  it("adds up an orchestrator response sent in chunks (isPartial) before applying it", async () => {
    const { id, status } = await runWith({ echoTokens: true, chunked: true, abandonFirstActivity: false });
    assert.equal(status.runtimeStatus, "Completed");
    assert.equal(status.output, "A+B");
    const scheduled = emulator.engine.getHistory(id).filter((e) => e.EventType === HistoryEventType.TaskScheduled);
    assert.deepEqual(
      scheduled.map((e) => [e.EventId, e.Name]),
      [
        [0, "upper"],
        [1, "upper"],
      ],
    );
  });

  it("gives a worker whose work-item filters list nothing all the work, as the .NET SDK's default filters expect", async () => {
    const { status } = await runWith({ echoTokens: true, chunked: false, abandonFirstActivity: false, emptyFilters: true });
    assert.equal(status.output, "A+B");
  });

  it("deletes the task hub's instances, running ones too, when a client asks (the Java SDK's deleteTaskHub), with a warning", async () => {
    await emulator.engine.startNew("joinUpper", { instanceId: "left-running" });
    const client = new TaskHubSidecarServiceClient(`localhost:${emulator.sidecar.port}`, grpc.credentials.createInsecure());
    try {
      await call(client.deleteTaskHub.bind(client), new pb.DeleteTaskHubRequest());
    } finally {
      client.close();
    }
    assert.equal(emulator.engine.getRecord("left-running"), undefined);
    assert.ok(warnings.some((w) => /DeleteTaskHub: the task hub's 1 instance and entities were deleted, running ones too/.test(w)));
  });

  it("hands an abandoned activity out again, under a new completion token", async () => {
    const { status } = await runWith({ echoTokens: true, chunked: false, abandonFirstActivity: true });
    assert.equal(status.output, "A+B");
    assert.equal(worker!.activityTokens.length, 3, "two activities, one of them twice");
    assert.equal(new Set(worker!.activityTokens).size, 3, "each delivery has its own token");
  });

  it("matches the results of a worker that echoes no completion token by instance and task id (@dapr/durabletask-js 1.0)", async () => {
    const { status } = await runWith({ echoTokens: false, chunked: true, abandonFirstActivity: false });
    assert.equal(status.runtimeStatus, "Completed");
    assert.equal(status.output, "A+B");
  });
});
