/**
 * What user code sees here is what it will see on Azure. Each test cites the Azure source (the Durable extension,
 * DurableTask.Core / AzureStorage, or durable-functions 3.5.0) that the expected value comes from.
 */
import { strict as assert } from "node:assert";
import { HistoryEventType as T, type Emulator, type InstanceQuery } from "../../emulator";
import { emulatorFor, runToEnd } from "./harness";

describe("Azure fidelity", function () {
  let emulator: Emulator;
  before(async () => {
    emulator = await emulatorFor("memory");
  });
  after(async () => {
    await emulator.close();
  });

  it("gives getInput() null when the instance was started without input, as a sub-orchestration without one", async () => {
    // Azure: Bindings/OrchestrationTriggerAttributeBindingProvider.cs:221,232 writes new JProperty("input", arg.GetInputAsJson()),
    // and GetInputAsJson (DurableOrchestrationContext.cs:161-164) is MessagePayloadDataConverter.ConvertToJToken
    // (MessagePayloadDataConverter.cs:77-90), null for no input: the package's getInput() returns that null.
    const result = await runToEnd(emulator, "inputProbe");
    assert.equal(result.runtimeStatus, "Completed", JSON.stringify(result.failure));
    assert.deepEqual(result.output, { own: "null", child: "null" });
  });

  it("resets createdTime at each continue-as-new, so listing by creation time selects the last generation's start", async () => {
    // Azure: DurableTask.AzureStorage Tracking/AzureTableTrackingStore.cs:984-989: each new ExecutionStarted (every
    // generation after continue-as-new) sets the instance row's CreatedTime to that event's Timestamp.
    const id = await emulator.engine.startNew("continueAsNewCounter", { input: { value: 0, target: 3 } });
    const firstCreated = emulator.engine.getStatus(id)?.createdTime as string;
    const status = await emulator.engine.waitForCompletion(id, 30_000);
    assert.equal(status.runtimeStatus, "Completed");
    const started = emulator.engine.getHistory(id).find((e) => e.EventType === T.ExecutionStarted);
    assert.equal(status.createdTime, started?.Timestamp, "the last generation's ExecutionStarted");
    // Each generation waits a 1 s timer (skipped), so the last one starts 3 s of emulator time after the first.
    assert.ok(Date.parse(status.createdTime) - Date.parse(firstCreated) >= 3000, `${firstCreated} → ${status.createdTime}`);
    const ids = (query: InstanceQuery) => emulator.engine.list(query).instances.map((r) => r.instanceId);
    assert.ok(!ids({ createdTimeTo: new Date(Date.parse(firstCreated) + 1000).toISOString() }).includes(id));
    assert.ok(ids({ createdTimeFrom: status.createdTime }).includes(id));
  });
});
