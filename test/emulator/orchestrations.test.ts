/**
 * Runs the kitchen-sink fixture app (real durable-functions and @azure/functions packages, in the app host child
 * process) through the engine API on both stores, and checks outputs and histories.
 */
import { strict as assert } from "node:assert";
import { HistoryEventType as T, type Emulator, type HistoryEvent } from "../../emulator";
import { STORES, countByType, emulatorFor, runToEnd, shapeOf, waitFor } from "./harness";

const types = (history: HistoryEvent[]) => history.map((e) => T[e.EventType]);
const without = (history: HistoryEvent[], ...hidden: T[]) => history.filter((e) => !hidden.includes(e.EventType));
const visible = (history: HistoryEvent[]) => types(without(history, T.OrchestratorStarted, T.OrchestratorCompleted));

for (const store of STORES) {
  describe(`orchestrations on the ${store} store`, function () {
    let emulator: Emulator;
    /** On wall time, for races an event must win: with time skipping the timer fires as soon as all is quiet. */
    let wallClock: Emulator;
    before(async () => {
      emulator = await emulatorFor(store);
      wallClock = await emulatorFor(store, { timeSkipping: false });
    });
    after(async () => {
      await emulator.close();
      await wallClock.close();
    });

    it("runs a function chain, with one episode per step and the events in order", async () => {
      const result = await runToEnd(emulator, "helloSequence");
      assert.equal(result.runtimeStatus, "Completed");
      assert.deepEqual(result.output, ["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"]);
      assert.deepEqual(visible(result.history), [
        "ExecutionStarted",
        "TaskScheduled",
        "TaskCompleted",
        "TaskScheduled",
        "TaskCompleted",
        "TaskScheduled",
        "TaskCompleted",
        "ExecutionCompleted",
      ]);
      const scheduled = result.history.filter((e) => e.EventType === T.TaskScheduled);
      assert.deepEqual(
        scheduled.map((e) => [e.EventId, e.Name, e.Input]),
        [
          [0, "sayHello", '"Tokyo"'],
          [1, "sayHello", '"Seattle"'],
          [2, "sayHello", '"London"'],
        ],
      );
      assert.equal(countByType(result.history).OrchestratorStarted, 4);
      const completed = result.history.find((e) => e.EventType === T.ExecutionCompleted);
      assert.equal(completed?.Result, JSON.stringify(result.output));
    });

    it("fans out 1,000 activities and batches their results into few episodes", async () => {
      const result = await runToEnd(emulator, "fanOutFanIn", 1000);
      assert.equal(result.runtimeStatus, "Completed");
      assert.equal(result.output, 2 * ((999 * 1000) / 2));
      const counts = countByType(result.history);
      assert.equal(counts.TaskScheduled, 1000);
      assert.equal(counts.TaskCompleted, 1000);
      assert.deepEqual(
        result.history.filter((e) => e.EventType === T.TaskScheduled).map((e) => e.EventId),
        Array.from({ length: 1000 }, (_, i) => i),
      );
      const completedIds = new Set(result.history.filter((e) => e.EventType === T.TaskCompleted).map((e) => e.TaskScheduledId));
      assert.equal(completedIds.size, 1000);
      // Waiting results are delivered together: far fewer episodes than results.
      assert.ok(counts.OrchestratorStarted < 200, `expected batched episodes, got ${counts.OrchestratorStarted}`);
    });

    it("retries an activity that fails twice, with a timer between attempts and backoff", async () => {
      const result = await runToEnd(emulator, "retryActivity", { key: `retry-${store}`, failTimes: 2, attempts: 5 });
      assert.equal(result.runtimeStatus, "Completed");
      assert.equal(result.output, "succeeded on attempt 3");
      const events = without(result.history, T.OrchestratorStarted, T.OrchestratorCompleted, T.ExecutionStarted, T.ExecutionCompleted);
      assert.deepEqual(
        events.map((e) => [T[e.EventType], e.EventId >= 0 ? e.EventId : (e.TaskScheduledId ?? e.TimerId)]),
        [
          ["TaskScheduled", 0],
          ["TaskFailed", 0],
          ["TimerCreated", 1],
          ["TimerFired", 1],
          ["TaskScheduled", 2],
          ["TaskFailed", 2],
          ["TimerCreated", 3],
          ["TimerFired", 3],
          ["TaskScheduled", 4],
          ["TaskCompleted", 4],
        ],
      );
      const failed = events.find((e) => e.EventType === T.TaskFailed);
      assert.match(failed?.Reason ?? "", /flaky failure 1/);
      // First retry after 100 ms, the second after 200 ms (backoff coefficient 2).
      const timers = events.filter((e) => e.EventType === T.TimerCreated);
      const delays = timers.map((timer) => Date.parse(timer.FireAt as string) - Date.parse(timer.Timestamp));
      assert.ok(delays[0] >= 100 && delays[0] < 150, `first delay ${delays[0]}`);
      assert.ok(delays[1] >= 200 && delays[1] < 250, `second delay ${delays[1]}`);
    });

    it("gives up when the retry attempts run out and fails with the last error", async () => {
      const result = await runToEnd(emulator, "retryActivity", { key: `exhaust-${store}`, failTimes: 10, attempts: 3 });
      assert.equal(result.runtimeStatus, "Failed");
      assert.match(result.failure?.message ?? "", /flaky failure 3/);
      assert.equal(countByType(result.history).TaskScheduled, 3);
    });

    it("retries a failing sub-orchestration, each attempt a new child instance", async () => {
      const result = await runToEnd(emulator, "retrySubOrchestration", { key: `sub-${store}`, failTimes: 2 });
      assert.equal(result.runtimeStatus, "Completed");
      assert.equal(result.output, "child succeeded on attempt 3");
      const created = result.history.filter((e) => e.EventType === T.SubOrchestrationInstanceCreated);
      assert.equal(created.length, 3);
      assert.equal(new Set(created.map((e) => e.InstanceId)).size, 3);
      assert.equal(countByType(result.history).SubOrchestrationInstanceFailed, 2);
      const lastChild = emulator.engine.getStatus(created[2].InstanceId as string);
      assert.equal(lastChild?.runtimeStatus, "Completed");
      const firstChild = emulator.engine.getStatus(created[0].InstanceId as string);
      assert.equal(firstChild?.runtimeStatus, "Failed");
    });

    it("runs sub-orchestrations with generated and explicit instance ids", async () => {
      const result = await runToEnd(emulator, "parentOfChain", undefined, `parent-${store}`);
      assert.deepEqual(result.output, { first: ["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"], second: 3 });
      const created = result.history.filter((e) => e.EventType === T.SubOrchestrationInstanceCreated).map((e) => e.InstanceId);
      const executionId = emulator.engine.getRecord(`parent-${store}`)?.executionId;
      assert.deepEqual(created, [`${executionId}:0`, `parent-${store}-counter`]);
    });

    it("lets the timer win a race against an event that never comes", async () => {
      const result = await runToEnd(emulator, "approvalRace", { timeoutSeconds: 3600 });
      assert.deepEqual(result.output, { approved: false });
      assert.deepEqual(visible(result.history), ["ExecutionStarted", "TimerCreated", "TimerFired", "ExecutionCompleted"]);
    });

    it("lets the event win a race against the timer, and cancels the timer", async () => {
      const engine = wallClock.engine;
      const id = await engine.startNew("approvalRace", { input: { timeoutSeconds: 3600 } });
      // Wait until the orchestrator waits, then answer.
      await waitFor(() => engine.getRecord(id)?.waitingForEvents?.includes("approval") === true);
      assert.equal(engine.pendingTimerCount(), 1);
      await engine.raiseEvent(id, "approval", "Grace");
      const status = await engine.waitForCompletion(id, 30_000);
      assert.deepEqual(status.output, { approved: true, by: "Grace" });
      const history = engine.getHistory(id);
      assert.deepEqual(visible(history), ["ExecutionStarted", "TimerCreated", "EventRaised", "ExecutionCompleted"]);
      assert.equal(engine.pendingTimerCount(), 0, "the cancelled timer's message is gone with the instance");
    });

    it("buffers an event raised before the orchestrator waits for it", async () => {
      const id = await emulator.engine.startNew("statusReporter");
      await emulator.engine.raiseEvent(id, "go", { early: true });
      const status = await emulator.engine.waitForCompletion(id, 30_000);
      assert.equal(status.output, "finished");
      assert.deepEqual(status.customStatus, { stage: "done", go: { early: true } });
    });

    it("reports custom status while the orchestrator waits", async () => {
      const id = await emulator.engine.startNew("statusReporter");
      await waitFor(() => emulator.engine.getRecord(id)?.waitingForEvents?.includes("go") === true);
      assert.deepEqual(emulator.engine.getStatus(id)?.customStatus, { stage: "waiting for go" });
      assert.equal(emulator.engine.getStatus(id)?.runtimeStatus, "Running");
      await emulator.engine.raiseEvent(id, "go", 7);
      const status = await emulator.engine.waitForCompletion(id, 30_000);
      assert.deepEqual(status.customStatus, { stage: "done", go: 7 });
    });

    it("continues as new with a fresh history until the counter reaches its target", async () => {
      const result = await runToEnd(emulator, "continueAsNewCounter", { value: 0, target: 5 });
      assert.equal(result.runtimeStatus, "Completed");
      assert.equal(result.output, 5);
      // Only the last execution's history is kept, as in Azure Storage.
      assert.deepEqual(visible(result.history), ["ExecutionStarted", "ExecutionCompleted"]);
      assert.equal(result.history[1].Input, JSON.stringify({ value: 5, target: 5 }));
      assert.deepEqual(result.input, { value: 5, target: 5 });
    });

    it("waits 72 hours under time skipping without waiting for the wall clock", async () => {
      const started = Date.now();
      const result = await runToEnd(emulator, "longWait");
      const elapsed = Date.now() - started;
      // As in Azure, the episode after a timer fires sees the time it ran (OrchestratorStarted), not the timer's
      // FireAt: at least 72 hours later, and on a virtual clock no more later than the wall time that passed.
      const { waitedHours } = result.output as { waitedHours: number };
      assert.ok(waitedHours >= 72, `waited ${waitedHours} h`);
      assert.ok((waitedHours - 72) * 3_600_000 <= elapsed, `waited ${waitedHours} h in ${elapsed} ms of wall time`);
      // Any wall-clock wait would take 72 hours; the bound only needs to rule that out (speed is bench/'s job).
      assert.ok(elapsed < 30_000, `took ${elapsed} ms`);
      const timer = result.history.find((e) => e.EventType === T.TimerCreated);
      const fired = result.history.find((e) => e.EventType === T.TimerFired);
      assert.equal(timer?.FireAt, fired?.FireAt);
    });

    it("fails an orchestrator that throws, with its message and stack", async () => {
      const result = await runToEnd(emulator, "throwsError");
      assert.equal(result.runtimeStatus, "Failed");
      assert.equal(result.failure?.message, "Orchestrator function 'throwsError' failed: the orchestrator gave up");
      assert.match(result.failure?.stack ?? "", /orchestrations\.js:\d+/);
      assert.deepEqual(result.output, result.failure?.message);
      const completed = result.history.find((e) => e.EventType === T.ExecutionCompleted);
      assert.equal(completed?.OrchestrationStatus, 3 /* Failed */);
    });

    it("surfaces an activity failure to the orchestrator, caught or not", async () => {
      const caught = await runToEnd(emulator, "activityFailureCaught");
      assert.equal(caught.runtimeStatus, "Completed");
      // As in Azure, the orchestrator sees `${Reason} \n ${Details}` (TaskOrchestrationExecutor.js:223-226), the
      // Reason with the extension's leading space (OutOfProcExceptionHelpers.cs:85-93) and the Details a serialized
      // .NET exception (TaskActivityShim.cs:122-124): see azure-fidelity.test.ts.
      assert.match(
        String(caught.output),
        /^caught: Activity function 'alwaysFails' failed:  activity refused: caught \n \{"\$type":"System\.Exception, System\.Private\.CoreLib"/,
      );
      const uncaught = await runToEnd(emulator, "activityFailureUncaught");
      assert.equal(uncaught.runtimeStatus, "Failed");
      assert.match(uncaught.failure?.message ?? "", /activity refused: uncaught/);
      const failedEvent = uncaught.history.find((e) => e.EventType === T.TaskFailed);
      assert.equal(failedEvent?.Reason, "Activity function 'alwaysFails' failed:  activity refused: uncaught");
      assert.match(failedEvent?.Details ?? "", /activities\.js:\d+/);
    });

    it("fails a call to an activity the app does not have, naming the ones it has", async () => {
      const result = await runToEnd(emulator, "callsUnknownActivity");
      assert.equal(result.runtimeStatus, "Failed");
      assert.match(result.failure?.message ?? "", /The function 'sayHelo' doesn't exist/);
      assert.match(result.failure?.message ?? "", /'sayHello'/);
    });

    it("runs a critical section (context.df.lock): the lock is granted, and released when the orchestration completes", async () => {
      // Azure: DurableOrchestrationContext.LockAsync and TaskOrchestrationShim.cs:106-108; see azure-fidelity.test.ts.
      const result = await runToEnd(emulator, "usesLock");
      assert.equal(result.runtimeStatus, "Completed", JSON.stringify(result.failure));
      assert.equal(result.output, "locked");
      await emulator.engine.whenIdle();
      assert.equal(emulator.engine.getRecord("@counter@locked")?.entity?.lockedBy, undefined);
    });

    it("terminates a waiting instance with a reason", async () => {
      const id = await emulator.engine.startNew("waitForever");
      await waitFor(() => emulator.engine.getStatus(id)?.runtimeStatus === "Running");
      await emulator.engine.terminate(id, "no longer needed");
      const status = await emulator.engine.waitForCompletion(id, 30_000);
      assert.equal(status.runtimeStatus, "Terminated");
      assert.equal(status.output, "no longer needed");
      assert.ok(types(emulator.engine.getHistory(id)).includes("ExecutionTerminated"));
      await assert.rejects(() => emulator.engine.raiseEvent(id, "never"), /already Terminated/);
    });

    it("suspends an instance, holds its events, and resumes it", async () => {
      const id = await emulator.engine.startNew("statusReporter");
      await waitFor(() => emulator.engine.getRecord(id)?.waitingForEvents?.includes("go") === true);
      await emulator.engine.suspend(id, "maintenance");
      await waitFor(() => emulator.engine.getStatus(id)?.runtimeStatus === "Suspended");
      await emulator.engine.raiseEvent(id, "go", "while suspended");
      await emulator.engine.whenIdle();
      assert.equal(emulator.engine.getStatus(id)?.runtimeStatus, "Suspended", "events wait while suspended");
      await emulator.engine.resume(id, "done");
      const status = await emulator.engine.waitForCompletion(id, 30_000);
      assert.equal(status.runtimeStatus, "Completed");
      assert.deepEqual(status.customStatus, { stage: "done", go: "while suspended" });
      const history = types(emulator.engine.getHistory(id));
      assert.ok(history.indexOf("ExecutionSuspended") < history.indexOf("ExecutionResumed"));
      assert.ok(history.indexOf("ExecutionResumed") < history.indexOf("EventRaised"));
    });

    it("rewinds a failed instance: the failed activity runs again and the instance completes", async () => {
      const key = `rewind-${store}`;
      const failed = await runToEnd(emulator, "retryActivity", { key, failTimes: 2, attempts: 1 });
      assert.equal(failed.runtimeStatus, "Failed");
      await emulator.engine.rewind(failed.instanceId, "fixed the gateway");
      const status = await emulator.engine.waitForCompletion(failed.instanceId, 30_000);
      // Attempt 2 still fails (the retry policy allows 1 attempt), so rewind once more.
      if (status.runtimeStatus === "Failed") {
        await emulator.engine.rewind(failed.instanceId, "again");
      }
      const final = await emulator.engine.waitForCompletion(failed.instanceId, 30_000);
      assert.equal(final.runtimeStatus, "Completed");
      assert.equal(final.output, "succeeded on attempt 3");
      const history = emulator.engine.getHistory(failed.instanceId);
      assert.equal(countByType(history).GenericEvent, 2, "each rewind leaves a GenericEvent mark");
      assert.equal(countByType(history).ExecutionCompleted, 1);
      assert.equal(countByType(history).TaskFailed ?? 0, 0, "the failures are cut from the history");
    });

    it("restarts an instance with its original input, under the same id or a new one", async () => {
      const first = await runToEnd(emulator, "countChain", 2, `restart-${store}`);
      assert.equal(first.output, 2);
      const sameId = await emulator.engine.restart(first.instanceId);
      assert.equal(sameId, first.instanceId);
      const again = await emulator.engine.waitForCompletion(sameId, 30_000);
      assert.equal(again.output, 2);
      assert.equal(countByType(emulator.engine.getHistory(sameId)).ExecutionStarted, 1, "the old history is replaced");
      const newId = await emulator.engine.restart(first.instanceId, { newInstanceId: true });
      assert.notEqual(newId, first.instanceId);
      assert.equal((await emulator.engine.waitForCompletion(newId, 30_000)).output, 2);
    });

    it("refuses to start a second instance with the id of a running one", async () => {
      const id = `dup-${store}`;
      await emulator.engine.startNew("waitForever", { instanceId: id });
      await assert.rejects(() => emulator.engine.startNew("waitForever", { instanceId: id }), /already exists and is (Pending|Running)/);
      await emulator.engine.terminate(id);
      await emulator.engine.waitForCompletion(id, 30_000);
      // A finished instance's id can be reused.
      await emulator.engine.startNew("helloSequence", { instanceId: id });
      assert.equal((await emulator.engine.waitForCompletion(id, 30_000)).runtimeStatus, "Completed");
    });

    it("purges one instance, and finished instances by filter", async () => {
      const a = await runToEnd(emulator, "helloSequence", undefined, `purge-a-${store}`);
      await runToEnd(emulator, "helloSequence", undefined, `purge-b-${store}`);
      const running = await emulator.engine.startNew("waitForever", { instanceId: `purge-c-${store}` });
      assert.equal(await emulator.engine.purge(a.instanceId), true);
      assert.equal(emulator.engine.getStatus(a.instanceId), undefined);
      await assert.rejects(() => emulator.engine.purge(running), /Terminate it first/);
      const purged = await emulator.engine.purgeWhere({ instanceIdPrefix: "purge-" });
      assert.equal(purged, 1);
      assert.deepEqual(
        emulator.engine.list({ instanceIdPrefix: "purge-" }).instances.map((r) => r.instanceId),
        [running],
      );
      await emulator.engine.terminate(running);
    });

    it("lists instances with status, name, prefix and time filters, and pages them", async () => {
      const prefix = `list-${store}-`;
      for (let i = 0; i < 5; i++) await runToEnd(emulator, "helloSequence", undefined, `${prefix}${i}`);
      const failed = await runToEnd(emulator, "throwsError", undefined, `${prefix}failed`);
      const all = emulator.engine.list({ instanceIdPrefix: prefix });
      assert.equal(all.instances.length, 6);
      assert.deepEqual(
        emulator.engine.list({ instanceIdPrefix: prefix, runtimeStatus: ["Failed"] }).instances.map((r) => r.instanceId),
        [failed.instanceId],
      );
      assert.equal(emulator.engine.list({ instanceIdPrefix: prefix, name: "helloSequence" }).instances.length, 5);
      const later = emulator.engine.list({ instanceIdPrefix: prefix, createdTimeFrom: failed.createdTime });
      assert.deepEqual(
        later.instances.map((r) => r.instanceId),
        [failed.instanceId],
      );
      const page1 = emulator.engine.list({ instanceIdPrefix: prefix, top: 4 });
      assert.equal(page1.instances.length, 4);
      assert.ok(page1.continuationToken);
      const page2 = emulator.engine.list({ instanceIdPrefix: prefix, top: 4, continuationToken: page1.continuationToken });
      assert.equal(page2.instances.length, 2);
      assert.equal(page2.continuationToken, undefined);
      assert.equal(new Set([...page1.instances, ...page2.instances].map((r) => r.instanceId)).size, 6);
    });

    it("gives the same history for the same input, apart from ids and times", async () => {
      const first = await runToEnd(emulator, "fanOutFanIn", 20);
      const second = await runToEnd(emulator, "fanOutFanIn", 20);
      const steady = (history: HistoryEvent[]) => shapeOf(without(history, T.OrchestratorStarted, T.OrchestratorCompleted));
      // Completion order of parallel activities may differ; the multiset of events may not.
      assert.deepEqual([...steady(first.history)].sort(), [...steady(second.history)].sort());
      const chainA = await runToEnd(emulator, "helloSequence");
      const chainB = await runToEnd(emulator, "helloSequence");
      assert.deepEqual(shapeOf(chainA.history), shapeOf(chainB.history));
    });
  });
}
