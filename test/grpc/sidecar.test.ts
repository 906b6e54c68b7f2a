/**
 * The Durable Task gRPC sidecar driven by the real, unmodified @microsoft/durabletask-js 0.4.0: its client in this
 * process, its worker in a child process running test/fixtures/durabletask-app/worker.js, as a user runs them. (The
 * package declares Node >= 22; it works on the Node 20 these tests run on.) What each test expects is what the SDK
 * reads back against the Durable Task Scheduler: outputs, failure details, custom status, statuses, history.
 */
import * as assert from "node:assert/strict";
import * as grpc from "@grpc/grpc-js";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { NoOpLogger, OrchestrationStatus, TaskHubGrpcClient, terminateOptions } from "@microsoft/durabletask-js";
import type { DurableTaskEmulator } from "../../emulator/grpc/durable-task-emulator";
import { tempDir, waitFor } from "../emulator/harness";
import { startSidecarRig, startWorker, stopWorker, type SidecarRig } from "./durabletask-worker";

describe("Durable Task gRPC sidecar (real durabletask-js client and worker)", function () {
  this.timeout(120_000);
  let emulator: DurableTaskEmulator;
  let client: TaskHubGrpcClient;
  let worker: ChildProcess & { started: Promise<void> };
  let rig: SidecarRig;
  let warnings: string[] = [];

  before(async () => {
    rig = await startSidecarRig("dd-grpc-");
    ({ emulator, client, worker, warnings } = rig);
  });

  after(() => rig?.close());

  const run = (name: string, input?: unknown) => rig.run(name, input);

  it("runs a chain of activities and returns its output", async () => {
    const state = await run("chain", "Tokyo");
    assert.equal(state.runtimeStatus, OrchestrationStatus.COMPLETED);
    assert.deepEqual(JSON.parse(state.serializedOutput!), ["Hello, Tokyo 1!", "Hello, Tokyo 2!", "Hello, Tokyo 3!"]);
    assert.deepEqual(JSON.parse(state.serializedInput!), "Tokyo");
    // A worker without work-item filters names nothing up front: what it ran is what the dashboard and the extension list.
    const listed = emulator.engine.functions.map((fn) => `${fn.kind} ${fn.name}`);
    assert.ok(listed.includes("orchestration chain") && listed.includes("activity hello"), listed.join(", "));
  });

  it("fans out to 500 activities and in again with whenAll", async () => {
    const state = await run("fanOut", 500);
    assert.equal(state.runtimeStatus, OrchestrationStatus.COMPLETED);
    assert.equal(JSON.parse(state.serializedOutput!), 2 * ((499 * 500) / 2));
  });

  it("waits for an external event, showing its custom status meanwhile", async () => {
    const id = await client.scheduleNewOrchestration("approval");
    await waitFor(() => emulator.engine.getRecord(id)?.customStatus !== undefined);
    const waiting = await client.getOrchestrationState(id, true);
    assert.equal(waiting?.runtimeStatus, OrchestrationStatus.RUNNING);
    assert.deepEqual(JSON.parse(waiting!.serializedCustomStatus!), { stage: "waiting" });
    await client.raiseOrchestrationEvent(id, "approve", true);
    const done = await client.waitForOrchestrationCompletion(id, true, 30);
    assert.deepEqual(JSON.parse(done!.serializedOutput!), { approved: true });
  });

  it("fires a durable timer, then carries on", async () => {
    const state = await run("timerThenHello");
    assert.equal(JSON.parse(state.serializedOutput!), "Hello, after timer!");
    const history = emulator.engine.getHistory(state.instanceId);
    assert.ok(history.some((e) => e.EventType === 11 /* TimerFired */));
  });

  it("runs a sub-orchestration and returns its result", async () => {
    const state = await run("parent", 7);
    assert.deepEqual(JSON.parse(state.serializedOutput!), { child: ["Hello, child 7 1!", "Hello, child 7 2!", "Hello, child 7 3!"] });
  });

  it("continues as new until the counter reaches 3 (waiting for completion does not stop at ContinuedAsNew)", async () => {
    const state = await run("counter", 0);
    assert.equal(state.runtimeStatus, OrchestrationStatus.COMPLETED);
    assert.equal(JSON.parse(state.serializedOutput!), 3);
  });

  it("reports a failure with the SDK's own failure details (the message as thrown, not the Functions host's wording)", async () => {
    const state = await run("failing");
    assert.equal(state.runtimeStatus, OrchestrationStatus.FAILED);
    // The SDK labels the task ("Activity task #1 failed: ..."); what follows is the activity's message as thrown.
    assert.equal(state.failureDetails?.message, "orchestrator caught: Activity task #1 failed: activity says no");
    assert.equal(state.failureDetails?.errorType, "Error");
  });

  it("delivers an event one orchestration sends another (sendEvent)", async () => {
    const target = await client.scheduleNewOrchestration("approval");
    await client.waitForOrchestrationStart(target, false, 30);
    const sender = await run("pinger", target);
    assert.equal(JSON.parse(sender.serializedOutput!), "sent");
    const done = await client.waitForOrchestrationCompletion(target, true, 30);
    assert.deepEqual(JSON.parse(done!.serializedOutput!), { approved: "sent by pinger" });
  });

  it("starts an instance scheduled for later no earlier than its time: Pending until then, an event raised meanwhile waits for it", async () => {
    const startAt = new Date(Date.now() + 500);
    const id = await client.scheduleNewOrchestration("approval", undefined, "scheduled-1", startAt);
    await client.raiseOrchestrationEvent(id, "approve", "early");
    const before = await client.getOrchestrationState(id, false);
    assert.equal(before?.runtimeStatus, OrchestrationStatus.PENDING);
    const done = await client.waitForOrchestrationCompletion(id, true, 30);
    assert.deepEqual(JSON.parse(done!.serializedOutput!), { approved: "early" });
    const history = emulator.engine.getHistory(id);
    const started = history.find((e) => e.EventType === 0 /* ExecutionStarted */);
    assert.equal(started?.ScheduledStartTime, startAt.toISOString());
    const firstEpisode = history.find((e) => e.EventType === 12 /* OrchestratorStarted */);
    assert.ok(Date.parse(firstEpisode!.Timestamp) >= startAt.getTime() - 5, `ran at ${firstEpisode!.Timestamp}, scheduled for ${startAt.toISOString()}`);
  });

  it("starts at once when the start time is the Unix epoch, as durabletask-js 0.4.0 sends when none is given", async () => {
    const id = await client.scheduleNewOrchestration("chain", "now", "epoch-start", new Date(0));
    const state = await client.waitForOrchestrationCompletion(id, true, 30);
    assert.equal(state?.runtimeStatus, OrchestrationStatus.COMPLETED);
    const started = emulator.engine.getHistory(id).find((e) => e.EventType === 0 /* ExecutionStarted */);
    assert.equal(started?.ScheduledStartTime, undefined, "no scheduled start recorded");
  });

  it("terminates an instance scheduled for later before it starts", async () => {
    const id = await client.scheduleNewOrchestration("chain", "never", "scheduled-2", new Date(Date.now() + 60_000));
    await client.terminateOrchestration(id, "not needed");
    const state = await client.waitForOrchestrationCompletion(id, true, 30);
    assert.equal(state?.runtimeStatus, OrchestrationStatus.TERMINATED);
    assert.equal(emulator.engine.pendingTimerCount(), 0, "its start is gone with it");
  });

  it("terminates and purges recursively: the sub-orchestrations go with their parent", async () => {
    const id = await client.scheduleNewOrchestration("parentOfApproval", undefined, "tree-1");
    await waitFor(() => emulator.engine.getRecord("tree-1-child")?.runtimeStatus === "Running");
    await client.terminateOrchestration(id, terminateOptions({ output: "tree down", recursive: true }));
    const parentState = await client.waitForOrchestrationCompletion(id, true, 30);
    const childState = await client.waitForOrchestrationCompletion("tree-1-child", true, 30);
    assert.equal(parentState?.runtimeStatus, OrchestrationStatus.TERMINATED);
    assert.equal(childState?.runtimeStatus, OrchestrationStatus.TERMINATED);
    assert.equal(JSON.parse(childState!.serializedOutput!), "tree down");

    const purged = await client.purgeOrchestration(id, { recursive: true });
    assert.equal(purged?.deletedInstanceCount, 2);
    assert.equal(emulator.engine.getRecord("tree-1-child"), undefined);
  });

  it("terminates only the parent without recursive, as on DTS", async () => {
    const id = await client.scheduleNewOrchestration("parentOfApproval", undefined, "tree-2");
    await waitFor(() => emulator.engine.getRecord("tree-2-child")?.runtimeStatus === "Running");
    await client.terminateOrchestration(id, "parent only");
    await client.waitForOrchestrationCompletion(id, false, 30);
    assert.equal((await client.getOrchestrationState("tree-2-child", false))?.runtimeStatus, OrchestrationStatus.RUNNING);
    await client.terminateOrchestration("tree-2-child", "cleanup");
  });

  it("warns, once, of a payload larger than the Durable Task Scheduler takes (about 1 MB), and runs it", async () => {
    const state = await run("bigResult", 1_200_000);
    assert.equal(JSON.parse(state.serializedOutput!), 1_200_000);
    const about = warnings.filter((w) => w.includes(state.instanceId) && w.includes("The Durable Task Scheduler refuses messages above about 1 MB"));
    assert.equal(about.length, 1, about.join("\n"));
    assert.match(about[0], /The result of activity 'big' of \S+ is 1\.20 MB/);
    const started = await run("chain", "y".repeat(100_000));
    assert.ok(!warnings.some((w) => w.includes(started.instanceId)), "a payload under the limit passes quietly");
  });

  it("warns of an orchestrator that completes at once with {}: a plain function*, which durabletask-js never runs", async () => {
    const state = await run("plainGenerator");
    // What the SDK does in Azure too: the generator object is the output.
    assert.equal(state.runtimeStatus, OrchestrationStatus.COMPLETED);
    assert.equal(state.serializedOutput, "{}");
    assert.ok(
      warnings.some(
        (w) => w.includes(`Orchestrator 'plainGenerator' (${state.instanceId}) completed in its first episode with {}`) && w.includes("async function*"),
      ),
    );
    const chain = await run("chain", "quiet");
    assert.ok(!warnings.some((w) => w.includes(chain.instanceId)), "an orchestrator that runs is not warned about");
  });

  it("keeps task hubs apart, as DTS does: a hub's instances and work are its own (the taskhub call metadata)", async () => {
    const named = (hub: string) => async () => {
      const metadata = new grpc.Metadata();
      metadata.set("taskhub", hub);
      return metadata;
    };
    const orders = new TaskHubGrpcClient({ hostAddress: `localhost:${emulator.sidecar.port}`, logger: new NoOpLogger(), metadataGenerator: named("orders") });
    const usual = new TaskHubGrpcClient({ hostAddress: `localhost:${emulator.sidecar.port}`, logger: new NoOpLogger(), metadataGenerator: named("default") });
    const ordersWorker = startWorker(emulator.sidecar.port, { DURABLE_TASK_HUB: "orders", DURABLE_TASK_QUIET: "1" });
    try {
      const id = await orders.scheduleNewOrchestration("chain", "Lima", "hub-orders-1");
      await ordersWorker.started;
      const done = await orders.waitForOrchestrationCompletion(id, true, 60);
      assert.deepEqual(JSON.parse(done!.serializedOutput!), ["Hello, Lima 1!", "Hello, Lima 2!", "Hello, Lima 3!"]);
      // Not in the default hub, which the dashboard, the HTTP API and the CLI show: a hub is a world of its own.
      assert.equal(await usual.getOrchestrationState(id), undefined);
      assert.equal(await client.getOrchestrationState(id), undefined);
      assert.equal(emulator.engine.getRecord(id), undefined);
      assert.ok(warnings.some((w) => /Task hub 'orders' opened on .*: its instances are its own/.test(w)));
      await assert.rejects(
        () =>
          new TaskHubGrpcClient({
            hostAddress: `localhost:${emulator.sidecar.port}`,
            logger: new NoOpLogger(),
            metadataGenerator: named("no/such hub"),
          }).getOrchestrationState("x"),
        /is not a task hub name/,
      );
    } finally {
      await stopWorker(ordersWorker);
      await orders.stop();
      await usual.stop();
    }
  });

  it("rewinds a failed instance: the failed activity runs again and the orchestration completes (RewindInstance)", async () => {
    const file = path.join(tempDir("dd-rewind-"), "up");
    const failed = await run("callFlaky", file);
    assert.equal(failed.runtimeStatus, OrchestrationStatus.FAILED);
    fs.writeFileSync(file, "");
    await client.rewindInstance(failed.instanceId, "the service is back");
    const done = await client.waitForOrchestrationCompletion(failed.instanceId, true, 60);
    assert.equal(done?.runtimeStatus, OrchestrationStatus.COMPLETED, done?.failureDetails?.message);
    assert.equal(JSON.parse(done!.serializedOutput!), "the service answered");
  });

  it("suspends, resumes and terminates an instance", async () => {
    const id = await client.scheduleNewOrchestration("approval");
    await client.waitForOrchestrationStart(id, false, 30);
    await client.suspendOrchestration(id);
    await waitFor(() => emulator.engine.getRecord(id)?.runtimeStatus === "Suspended");
    assert.equal((await client.getOrchestrationState(id))?.runtimeStatus, OrchestrationStatus.SUSPENDED);
    await client.resumeOrchestration(id);
    await waitFor(() => emulator.engine.getRecord(id)?.runtimeStatus === "Running");
    await client.terminateOrchestration(id, "enough");
    const state = await client.waitForOrchestrationCompletion(id, true, 30);
    assert.equal(state?.runtimeStatus, OrchestrationStatus.TERMINATED);
  });

  it("answers a missing instance as the SDK expects: no state, and NOT_FOUND for actions on it", async () => {
    assert.equal(await client.getOrchestrationState("no-such-instance"), undefined);
    await assert.rejects(client.raiseOrchestrationEvent("no-such-instance", "x"), /no-such-instance/);
  });

  it("queries, streams history and purges", async () => {
    const state = await run("chain", "Purge");
    const history = await client.getOrchestrationHistory(state.instanceId);
    assert.deepEqual(
      history.map((e) => e.type).filter((t, i, all) => all.indexOf(t) === i).length > 4,
      true,
      "the history has the kinds of a chain (started, scheduled, completed, ...)",
    );
    const ids: string[] = [];
    for await (const instance of client.getAllInstances({ instanceIdPrefix: state.instanceId.slice(0, 8) })) ids.push(instance.instanceId);
    assert.ok(ids.includes(state.instanceId));
    const purged = await client.purgeOrchestration(state.instanceId);
    assert.equal(purged?.deletedInstanceCount, 1);
    assert.equal(await client.getOrchestrationState(state.instanceId), undefined);
  });

  it("gives work a killed worker held to the next worker: nothing is lost (kill -9)", async () => {
    const gateFile = path.join(tempDir("dd-gate-"), "open");
    const id = await client.scheduleNewOrchestration("gated", gateFile);
    // The activity is out with the worker once the pool has handed it over.
    await waitFor(() => emulator.engine.getHistory(id).some((e) => e.EventType === 4 /* TaskScheduled */));
    await stopWorker(worker);
    fs.writeFileSync(gateFile, "");
    // The next worker names its functions (work-item filters): the pool routes by them and lists them.
    worker = startWorker(emulator.sidecar.port, { DURABLE_TASK_FILTERS: "auto" });
    await worker.started;
    const state = await client.waitForOrchestrationCompletion(id, true, 60);
    assert.equal(JSON.parse(state!.serializedOutput!), "passed open");
    assert.ok(emulator.engine.functions.some((fn) => fn.kind === "activity" && fn.name === "gate"));
    assert.ok(
      warnings.some((w) => /disconnected with 1 work item/.test(w)),
      warnings.join("\n"),
    );
  });
});
