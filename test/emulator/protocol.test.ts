/** The out-of-process protocol across replay schema versions, and the host.json concurrency limit. */
import { strict as assert } from "node:assert";
import { emulatorFor, kitchenSinkWith, runToEnd } from "./harness";

const SCHEMAS = [
  { version: 0, name: "V1" },
  { version: 1, name: "V2" },
  { version: 2, name: "V3" },
  { version: 3, name: "V4" },
];

describe("replay schema versions", function () {
  for (const schema of SCHEMAS) {
    it(`runs chains, fan-outs, retries, races and continue-as-new under schema ${schema.name}`, async () => {
      const emulator = await emulatorFor("memory", { replaySchema: schema.version });
      try {
        assert.deepEqual((await runToEnd(emulator, "helloSequence")).output, ["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"]);
        assert.equal((await runToEnd(emulator, "fanOutFanIn", 50)).output, 2450);
        assert.equal((await runToEnd(emulator, "retryActivity", { key: `schema-${schema.name}`, failTimes: 1, attempts: 3 })).output, "succeeded on attempt 2");
        assert.deepEqual((await runToEnd(emulator, "approvalRace", { timeoutSeconds: 60 })).output, { approved: false });
        assert.equal((await runToEnd(emulator, "continueAsNewCounter", { value: 0, target: 2 })).output, 2);
        assert.deepEqual(((await runToEnd(emulator, "parentOfChain")).output as { second: number }).second, 3);
      } finally {
        await emulator.close();
      }
    });
  }
});

describe("host.json settings", function () {
  it("runs no more activities at once than maxConcurrentActivityFunctions", async () => {
    const appDir = kitchenSinkWith({ version: "2.0", extensions: { durableTask: { maxConcurrentActivityFunctions: 3 } } });
    const emulator = await emulatorFor("memory", { appDir });
    let running = 0;
    let peak = 0;
    emulator.engine.on((event) => {
      if (event.kind === "activityStarted") peak = Math.max(peak, ++running);
      if (event.kind === "activityFinished") running--;
    });
    try {
      const result = await runToEnd(emulator, "slowFanOut", { count: 12, ms: 20 });
      assert.equal(result.output, 66);
      assert.equal(peak, 3);
    } finally {
      await emulator.close();
    }
  });
});
