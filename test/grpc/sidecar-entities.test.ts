/**
 * Durable entities over the gRPC sidecar, driven by the real @microsoft/durabletask-js 0.4.0: the client's entity
 * RPCs (SignalEntity, GetEntity, QueryEntities, CleanEntityStorage) in this process, entity batches and
 * orchestrations that call, signal and lock entities in the fixture worker (a child process). The SDK replays the
 * classic entity messages as on DurableTask.Core's backends (orchestration-executor.js handleEventSent and
 * handleEntityResponseFromEventRaised), and takes a lock grant only as EntityLockGranted.
 */
import * as assert from "node:assert/strict";
import { EntityInstanceId, OrchestrationStatus, type TaskHubGrpcClient } from "@microsoft/durabletask-js";
import type { DurableTaskEmulator } from "../../emulator/grpc/durable-task-emulator";
import { waitFor } from "../emulator/harness";
import { startSidecarRig, type SidecarRig } from "./durabletask-worker";

describe("Durable entities over the gRPC sidecar (real durabletask-js client and worker)", function () {
  this.timeout(120_000);
  let emulator: DurableTaskEmulator;
  let client: TaskHubGrpcClient;
  let rig: SidecarRig;
  let warnings: string[] = [];

  before(async () => {
    rig = await startSidecarRig("dd-grpc-entities-", { DURABLE_TASK_QUIET: "1" });
    ({ emulator, client, warnings } = rig);
  });

  after(() => rig?.close());

  const run = (name: string, input?: unknown) => rig.run(name, input);

  /** The entity's state as the client reads it, once `reached` holds (entity batches run in the worker process). */
  const stateWhen = async (id: EntityInstanceId, reached: (state: unknown) => boolean) => {
    let last: unknown;
    await waitFor(() => {
      const record = emulator.engine.getRecord(id.toString());
      last = record?.entity?.state === undefined ? undefined : JSON.parse(record.entity.state);
      return reached(last);
    });
    return client.getEntity<number>(id);
  };

  it("an orchestration signals and calls an entity; a failed call rolls the operation back and names the error", async () => {
    const state = await run("useTally", "first");
    assert.equal(state.runtimeStatus, OrchestrationStatus.COMPLETED, state.failureDetails?.message);
    const output = JSON.parse(state.serializedOutput!) as { after: number; failure: string; final: number };
    // The signal was sent before the call, to the same entity: it ran first.
    assert.equal(output.after, 15);
    assert.match(output.failure, /tally refuses 1000/);
    assert.equal(output.final, 15, "the SDK rolls a failed operation back");
    const entity = await client.getEntity<number>(new EntityInstanceId("tally", "first"));
    assert.equal(entity?.state, 15);
    assert.equal(entity?.id.name, "tally");
  });

  it("a client signals an entity and reads it back; query pages and filters by prefix; delete and clean storage remove it", async () => {
    const ids = ["q-1", "q-2", "q-3"].map((key) => new EntityInstanceId("tally", key));
    for (const [i, id] of ids.entries()) await client.signalEntity(id, "add", i + 1);
    await stateWhen(ids[2], (state) => state === 3);
    await stateWhen(ids[0], (state) => state === 1);
    await stateWhen(ids[1], (state) => state === 2);

    const pages: string[][] = [];
    for await (const page of client.getEntities({ instanceIdStartsWith: "@tally@q-", pageSize: 2 }).asPages()) pages.push(page.values.map((e) => e.id.key));
    assert.deepEqual(pages, [["q-1", "q-2"], ["q-3"]]);

    await client.signalEntity(ids[0], "delete");
    await waitFor(() => emulator.engine.getRecord(ids[0].toString())?.entity?.exists === false);
    assert.equal(await client.getEntity(ids[0]), undefined, "a deleted entity reads as none");
    const transient: string[] = [];
    for await (const entity of client.getEntities({ instanceIdStartsWith: "@tally@q-", includeTransient: true })) transient.push(entity.id.key);
    assert.ok(transient.includes("q-1"), "a deleted entity's record is transient until storage is cleaned");

    const cleaned = await client.cleanEntityStorage({ removeEmptyEntities: true, releaseOrphanedLocks: true });
    assert.ok(cleaned.emptyEntitiesRemoved >= 1);
    assert.equal(emulator.engine.getRecord(ids[0].toString()), undefined);
  });

  it("locks two entities for a critical section and releases them when it ends", async () => {
    await client.signalEntity(new EntityInstanceId("tally", "from"), "add", 10);
    await stateWhen(new EntityInstanceId("tally", "from"), (state) => state === 10);
    const state = await run("transfer", ["from", "to"]);
    assert.equal(state.runtimeStatus, OrchestrationStatus.COMPLETED, state.failureDetails?.message);
    assert.deepEqual(JSON.parse(state.serializedOutput!), { inSection: true, left: 9, right: 1 });
    // The releases reach both entities: neither stays locked, and another operation runs on each.
    await client.signalEntity(new EntityInstanceId("tally", "to"), "add", 1);
    const to = await stateWhen(new EntityInstanceId("tally", "to"), (value) => value === 2);
    assert.equal(to?.lockedBy, undefined);
    assert.equal(emulator.engine.getRecord("@tally@from")?.entity?.lockedBy, undefined);
  });

  it("an orchestration that fails holding a lock leaves it locked, as on Azure, with a warning; clean storage releases the orphan", async () => {
    const id = new EntityInstanceId("tally", "orphan");
    const state = await run("lockThenFail", "orphan");
    assert.equal(state.runtimeStatus, OrchestrationStatus.FAILED);
    assert.equal(emulator.engine.getRecord(id.toString())?.entity?.lockedBy, state.instanceId);
    assert.ok(warnings.some((w) => w.includes(state.instanceId) && w.includes("stays locked")));
    await client.signalEntity(id, "add", 1);
    const cleaned = await client.cleanEntityStorage({ removeEmptyEntities: false, releaseOrphanedLocks: true });
    assert.equal(cleaned.orphanedLocksReleased, 1);
    // Released, the signal that waited behind the lock runs.
    const entity = await stateWhen(id, (value) => value === 1);
    assert.equal(entity?.lockedBy, undefined);
  });

  it("an entity signals another entity and starts an orchestration", async () => {
    await client.signalEntity(new EntityInstanceId("tally", "origin"), "forward", "destination");
    await stateWhen(new EntityInstanceId("tally", "destination"), (state) => state === 100);
    const started = await client.waitForOrchestrationCompletion("started-by-origin", true, 60);
    assert.equal(started?.runtimeStatus, OrchestrationStatus.COMPLETED);
    assert.deepEqual(JSON.parse(started!.serializedOutput!), ["Hello, from tally origin 1!", "Hello, from tally origin 2!", "Hello, from tally origin 3!"]);
  });

  it("delivers a scheduled signal no earlier than its time", async () => {
    const id = new EntityInstanceId("tally", "later");
    const due = new Date(Date.now() + 400);
    await client.signalEntity(id, "add", 7, { signalTime: due });
    assert.equal(await client.getEntity(id), undefined, "not delivered before it is due");
    const entity = await stateWhen(id, (state) => state === 7);
    assert.ok(entity!.lastModifiedTime.getTime() >= due.getTime() - 5, `ran at ${entity!.lastModifiedTime.toISOString()}, due ${due.toISOString()}`);
  });

  it("refuses an entity id that is not @name@key, naming the form", async () => {
    await assert.rejects(
      () => client.getEntity(Object.assign(Object.create(EntityInstanceId.prototype) as EntityInstanceId, { toString: () => "plain-id" })),
      /not an entity instance id: it is @name@key/,
    );
  });
});
