/**
 * The engine's invariants, on a scripted fake worker (fake-worker.ts) and the memory store: no app process, so each
 * test runs in milliseconds. What an orchestration observes is what DurableTask.Core guarantees: one episode per
 * instance at a time, activities run at least once with duplicates ignored, timers fire at their time, Task.all
 * completions held back until the last one, events raised after continue-as-new carried into the next execution.
 */
import { strict as assert } from "node:assert";
import { Engine } from "../../emulator/engine/engine";
import { MemoryStore } from "../../emulator/store/memory-store";
import { HistoryEventType as T } from "../../emulator/history/history-event";
import { WorkerLostError } from "../../emulator/core/worker-errors";
import { FakeWorker } from "./fake-worker";

async function engineFor(worker: FakeWorker, options: { timeSkipping?: boolean } = {}): Promise<Engine> {
  const engine = new Engine({ store: new MemoryStore(), workers: [worker], timeSkipping: options.timeSkipping ?? true, maxConcurrentActivityFunctions: 4 });
  await engine.start();
  return engine;
}

/** A promise and the function that settles it: the test decides when an activity finishes. */
function gate<T = void>(): { promise: Promise<T>; open: (value: T) => void } {
  let open!: (value: T) => void;
  const promise = new Promise<T>((resolve) => (open = resolve));
  return { promise, open };
}

describe("engine on a fake worker", function () {
  let engine: Engine | undefined;
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
  });

  it("runs a chain: each result feeds the next call, the output is the last", async () => {
    const worker = new FakeWorker()
      .activity("add", (input) => (input as { a: number; b: number }).a + (input as { a: number; b: number }).b)
      .orchestration("chain", function* (context) {
        let total = 0;
        for (let i = 0; i < 5; i++) total = (yield context.callActivity("add", { a: total, b: i })) as number;
        return total;
      });
    engine = await engineFor(worker);
    const id = await engine.startNew("chain");
    const status = await engine.waitForCompletion(id, 5_000);
    assert.equal(status.runtimeStatus, "Completed");
    assert.equal(status.output, 10);
    assert.deepEqual(
      worker.activityCalls.map((call) => call.taskId),
      [0, 1, 2, 3, 4],
    );
    assert.equal(worker.episodes.length, 6, "one episode to start, one per completion");
    assert.deepEqual(worker.forgotten, [`${id}|${engine.getRecord(id)?.executionId}`], "the worker is told the execution ended");
  });

  it("never runs two episodes of one instance at once, however many messages arrive meanwhile", async () => {
    const hold = gate();
    const worker = new FakeWorker().orchestration("collector", function* (context) {
      const got: unknown[] = [];
      for (let i = 0; i < 5; i++) got.push(yield context.waitForEvent("item"));
      return got;
    });
    let first = true;
    worker.beforeEpisode = async () => {
      if (first) {
        first = false;
        await hold.promise;
      }
    };
    engine = await engineFor(worker);
    const id = await engine.startNew("collector");
    await waitUntil(() => worker.episodes.length === 1);
    for (let i = 0; i < 5; i++) await engine.raiseEvent(id, "item", i);
    hold.open();
    const status = await engine.waitForCompletion(id, 5_000);
    assert.deepEqual(status.output, [0, 1, 2, 3, 4]);
    assert.equal(worker.maxConcurrentEpisodesPerInstance, 1);
    assert.equal(worker.episodes.length, 2, "the five events waited for the running episode and went in one more");
  });

  it("holds a Task.all's completions back until the last one: one episode for the whole fan-in", async () => {
    const gates = Array.from({ length: 4 }, () => gate<number>());
    const worker = new FakeWorker()
      .activity("square", (input) => gates[input as number].promise)
      .orchestration("fan", function* (context) {
        const results = (yield context.all([0, 1, 2, 3].map((n) => context.callActivity("square", n)))) as number[];
        return results.reduce((sum, n) => sum + n, 0);
      });
    engine = await engineFor(worker);
    const id = await engine.startNew("fan");
    await waitUntil(() => worker.activityCalls.length === 4);
    // Each completion lands on its own; without the hold-back each would wake the orchestration at the next turn of
    // the engine's pump, which two turns of the event loop give it.
    let finished = 0;
    engine.on((event) => event.kind === "activityFinished" && finished++);
    for (const [n, g] of gates.entries()) {
      g.open(n * n);
      await waitUntil(() => finished === n + 1);
      for (let turn = 0; turn < 2; turn++) await new Promise((resolve) => setImmediate(resolve));
    }
    const status = await engine.waitForCompletion(id, 5_000);
    assert.equal(status.output, 0 + 1 + 4 + 9);
    assert.equal(worker.episodes.length, 2, "the start, then the fan-in once all four were in");
  });

  it("runs an activity again when its worker dies under it, and takes its result once", async () => {
    const worker = new FakeWorker()
      .activity("flaky", (input, call) => {
        if (call.attempt === 1) throw new WorkerLostError("the worker died");
        return `${String(input)} on attempt ${call.attempt}`;
      })
      .orchestration("once", function* (context) {
        return yield context.callActivity("flaky", "ran");
      });
    const warnings: string[] = [];
    engine = await engineFor(worker);
    engine.on((event) => event.kind === "warning" && warnings.push(event.message));
    const id = await engine.startNew("once");
    const status = await engine.waitForCompletion(id, 5_000);
    assert.equal(status.output, "ran on attempt 2");
    assert.equal(worker.activityCalls.length, 2);
    const history = engine.getHistory(id);
    assert.equal(history.filter((e) => e.EventType === T.TaskCompleted).length, 1);
    assert.ok(
      warnings.some((w) => /the worker died.*again/.test(w)),
      warnings.join("\n"),
    );
  });

  it("gives up on an activity that takes its worker down three times, as poison", async () => {
    const worker = new FakeWorker()
      .activity("poison", () => {
        throw new WorkerLostError("the worker died");
      })
      .orchestration("poisoned", function* (context) {
        try {
          yield context.callActivity("poison");
          return "no";
        } catch (error) {
          return (error as Error).message;
        }
      });
    engine = await engineFor(worker);
    const id = await engine.startNew("poisoned");
    const status = await engine.waitForCompletion(id, 5_000);
    assert.equal(worker.activityCalls.length, 3);
    assert.match(String(status.output), /the worker died.*3 times; giving up/);
  });

  it("fires a timer at its time: the next episode's clock is at or after FireAt, and skipping takes no wall time", async () => {
    const worker = new FakeWorker().orchestration("sleeper", function* (context) {
      const start = context.now();
      const fireAt = new Date(start.getTime() + 72 * 3600_000);
      yield context.createTimer(fireAt);
      return context.now().getTime() - start.getTime();
    });
    engine = await engineFor(worker);
    const began = Date.now();
    const id = await engine.startNew("sleeper");
    const status = await engine.waitForCompletion(id, 5_000);
    assert.ok((status.output as number) >= 72 * 3600_000, String(status.output));
    assert.ok(Date.now() - began < 5_000);
    const created = engine.getHistory(id).find((e) => e.EventType === T.TimerCreated);
    const fired = engine.getHistory(id).find((e) => e.EventType === T.TimerFired);
    assert.equal(fired?.TimerId, created?.EventId);
  });

  it("carries events raised after continue-as-new into the next execution, and replaces the history", async () => {
    const hold = gate();
    const worker = new FakeWorker().orchestration("counter", function* (context) {
      const count = context.input as number;
      if (count === 2) return "done";
      yield context.waitForEvent("tick");
      context.continueAsNew(count + 1);
      return undefined;
    });
    worker.beforeEpisode = async (request) => {
      // Hold the episode that will continue as new until a second tick is queued behind it.
      if (request.input === 0 && request.history.some((e) => e.EventType === T.EventRaised)) await hold.promise;
    };
    engine = await engineFor(worker);
    const id = await engine.startNew("counter", { input: 0 });
    await waitUntil(() => worker.episodes.length === 1);
    await engine.raiseEvent(id, "tick");
    await waitUntil(() => worker.episodes.length === 2);
    await engine.raiseEvent(id, "tick");
    hold.open();
    const status = await engine.waitForCompletion(id, 5_000);
    assert.equal(status.output, "done", "the second tick reached the second execution");
    const history = engine.getHistory(id);
    assert.equal(history.filter((e) => e.EventType === T.ExecutionStarted).length, 1, "only the last execution's history is kept");
    assert.equal(JSON.parse(history.find((e) => e.EventType === T.ExecutionStarted)?.Input ?? "null"), 2);
  });

  it("routes each function to the worker that registered it", async () => {
    const orchestrations = new FakeWorker().orchestration("greet", function* (context) {
      return yield context.callActivity("hello", "Tokyo");
    });
    const activities = new FakeWorker().activity("hello", (input) => `Hello ${String(input)}`);
    engine = new Engine({ store: new MemoryStore(), workers: [orchestrations, activities], timeSkipping: true });
    await engine.start();
    const id = await engine.startNew("greet");
    assert.equal((await engine.waitForCompletion(id, 5_000)).output, "Hello Tokyo");
    assert.equal(orchestrations.activityCalls.length, 0);
    assert.equal(activities.activityCalls.length, 1);
    assert.deepEqual(engine.functions.map((fn) => fn.name).sort(), ["greet", "hello"]);
  });

  it("sends names no worker registered to a worker that serves any name, and refuses none of them up front", async () => {
    const app = new FakeWorker().orchestration("greet", function* (context) {
      return yield context.callActivity("unlistedHello", "Oslo");
    });
    const sdk = new FakeWorker()
      .activity("unlistedHello", (input) => `Hej ${String(input)}`)
      .orchestration("unlistedFlow", function* () {
        return "ran on the SDK worker";
      })
      .unlisted();
    engine = new Engine({ store: new MemoryStore(), workers: [app, sdk], timeSkipping: true });
    await engine.start();
    assert.equal((await engine.waitForCompletion(await engine.startNew("greet"), 5_000)).output, "Hej Oslo");
    assert.equal(sdk.activityCalls.length, 1);
    // startNew refuses unknown names only when no worker serves any name (a Durable Task SDK need not list them).
    assert.equal((await engine.waitForCompletion(await engine.startNew("unlistedFlow"), 5_000)).output, "ran on the SDK worker");
    assert.deepEqual(
      engine.functions.map((fn) => fn.name),
      ["greet"],
    );
  });

  it("refuses an orchestrator name no worker registered when every worker lists its functions", async () => {
    engine = new Engine({ store: new MemoryStore(), workers: [new FakeWorker().orchestration("greet", function* () {})], timeSkipping: true });
    await engine.start();
    await assert.rejects(engine.startNew("nope"), /no orchestration function named "nope"/);
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setImmediate(resolve));
  }
}
