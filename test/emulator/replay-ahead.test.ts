/**
 * The app host replays a chain's next episode ahead of its request (emulator/app-host/speculation.ts). What user code
 * observes must not change:
 *  - `currentUtcDateTime` is the time of the episode's OrchestratorStarted, as DurableTask.Core and the package set
 *    it (durable-functions TaskOrchestrationExecutor.processEvent: the latest OrchestratorStarted's Timestamp), and
 *    newGuid derives from it (DurableOrchestrationContext.newGuid): a replay ahead never hands out a time of its own;
 *  - the orchestrator's logs appear once per episode that ran, never for a replay ahead that was not used;
 *  - an event that arrives during a step is delivered in the next episode, as it would be without replaying ahead.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { Writable } from "node:stream";
import { startEmulator, HistoryEventType as T, type Emulator, type HistoryEvent } from "../../emulator";
import { STORES, tempDir, type StoreKind } from "./harness";

const APP = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "chain-ahead");

interface Output {
  console: string[];
  context: string[];
}

async function chainEmulator(store: StoreKind, output: Output): Promise<Emulator> {
  return startEmulator({
    appDir: APP,
    store: store === "memory" ? "memory" : path.join(tempDir(), "store.sqlite"),
    timeSkipping: false,
    appOutput: new Writable({
      write: (chunk: Buffer, _encoding, done) => {
        output.console.push(...chunk.toString("utf8").split("\n").filter(Boolean));
        done();
      },
    }),
    onEvent: (event) => {
      if (event.kind === "log") output.context.push(event.message);
    },
  });
}

/** The Timestamp of the OrchestratorStarted of the episode each TaskScheduled was made in. */
function episodeTimesOfScheduled(history: HistoryEvent[]): string[] {
  const times: string[] = [];
  let started = "";
  for (const event of history) {
    if (event.EventType === T.OrchestratorStarted) started = new Date(event.Timestamp).toISOString();
    if (event.EventType === T.TaskScheduled) times.push(started);
  }
  return times;
}

for (const store of STORES) {
  describe(`replaying a chain's next episode ahead of its request (${store})`, function () {
    this.timeout(120_000);
    const output: Output = { console: [], context: [] };
    let emulator: Emulator;
    before(async () => {
      emulator = await chainEmulator(store, output);
    });
    after(async () => {
      await emulator?.close();
    });

    it("gives each episode the time of its own OrchestratorStarted, and GUIDs made from it", async () => {
      const id = await emulator.engine.startNew("timedChain", { input: 40 });
      const status = await emulator.engine.waitForCompletion(id, 60_000);
      assert.equal(status.runtimeStatus, "Completed", status.failure?.message);
      const history = emulator.engine.getHistory(id);
      const inputs = history.filter((e) => e.EventType === T.TaskScheduled).map((e) => JSON.parse(e.Input ?? "null") as { i: number; at: string; id: string });
      assert.equal(inputs.length, 40);
      assert.deepEqual(
        inputs.map((input) => input.at),
        episodeTimesOfScheduled(history),
      );
      assert.equal(new Set(inputs.map((input) => input.id)).size, 40, "every step has a GUID of its own");
      // The stored history replays to the same decisions: no time or GUID came from anywhere but the history.
      const trace = await emulator.host.trace({ functionName: "timedChain", instanceId: id, history, input: 40, detailed: false });
      assert.equal(trace.nondeterminism, undefined, trace.nondeterminism?.message);
      assert.deepEqual(status.output, inputs);
      // It reads the time each step, so replays ahead are useless to it: after two misses it gets no more. Its
      // function ran once per episode (41) and once for the trace above, plus those two: not twice per episode.
      const probe = await emulator.engine.startNew("readTimedChainInvocations");
      const invocations = (await emulator.engine.waitForCompletion(probe, 30_000)).output as number;
      assert.ok(invocations >= 42 && invocations <= 44, `timedChain ran ${invocations} times for 41 episodes and a trace`);
    });

    it("logs each step once, by context.log and by console, however the episodes were replayed", async () => {
      output.console.length = 0;
      output.context.length = 0;
      const steps = 60;
      const id = await emulator.engine.startNew("loggingChain", { input: steps });
      const status = await emulator.engine.waitForCompletion(id, 60_000);
      assert.equal(status.runtimeStatus, "Completed", status.failure?.message);
      for (const [kind, lines] of [
        ["context", output.context],
        ["console", output.console],
      ] as const) {
        const steps_ = lines.filter((line) => line.includes(`${kind} step `));
        assert.deepEqual(
          steps_.map((line) => /step (\d+)/.exec(line)?.[1]),
          Array.from({ length: steps }, (_, i) => String(i)),
          `${kind} lines: ${steps_.join(" | ")}`,
        );
      }
    });

    it("delivers an event that arrives during a step in the next episode, and the chain ends there", async () => {
      const id = "stoppable-chain";
      // Let the chain run some steps first (observed in its history as it grows, not waited for by the clock).
      let completedSteps = 0;
      const twentySteps = new Promise<void>((resolve) => {
        const stop = emulator.engine.on((event) => {
          if (event.kind !== "historyAppended" || event.instanceId !== id) return;
          completedSteps += event.events.filter((e) => e.EventType === T.TaskCompleted).length;
          if (completedSteps >= 20) {
            stop();
            resolve();
          }
        });
      });
      await emulator.engine.startNew("stoppableChain", { instanceId: id });
      await twentySteps;
      await emulator.engine.raiseEvent(id, "stop", "enough");
      const status = await emulator.engine.waitForCompletion(id, 60_000);
      assert.equal(status.runtimeStatus, "Completed", status.failure?.message);
      const history = emulator.engine.getHistory(id);
      const raised = history.findIndex((e) => e.EventType === T.EventRaised);
      assert.ok(raised > 0, "the event is in the history");
      const output_ = status.output as { stoppedAfter: number; reason: string };
      assert.equal(output_.reason, "enough");
      // The event beats the step in flight: the steps completed before it, in history order, are all that ran.
      const completedBefore = history.slice(0, raised).filter((e) => e.EventType === T.TaskCompleted).length;
      assert.equal(output_.stoppedAfter, completedBefore);
      // Each step it began logged once: a replay ahead that the event made useless logged nothing.
      const logged = output.context.filter((line) => line.startsWith("stoppable step ")).map((line) => Number(line.slice("stoppable step ".length)));
      assert.deepEqual(
        logged,
        Array.from({ length: output_.stoppedAfter + 1 }, (_, i) => i),
      );
      const trace = await emulator.host.trace({ functionName: "stoppableChain", instanceId: id, history, input: null, detailed: false });
      assert.equal(trace.nondeterminism, undefined, trace.nondeterminism?.message);
    });
  });
}
