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
import { tempDir } from "../emulator/harness";

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
    private readonly options: { echoTokens: boolean; chunked: boolean; abandonFirstActivity: boolean },
  ) {
    this.client = new TaskHubSidecarServiceClient(`localhost:${port}`, grpc.credentials.createInsecure());
  }

  start(): void {
    this.stream = this.client.getWorkItems(new pb.GetWorkItemsRequest());
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
