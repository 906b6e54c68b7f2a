/**
 * What user code sees here is what it will see on Azure. Each test cites the Azure source (the Durable extension,
 * DurableTask.Core / AzureStorage, or durable-functions 3.5.0) that the expected value comes from.
 */
import { strict as assert } from "node:assert";
import type { Emulator } from "../../emulator";
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
});
