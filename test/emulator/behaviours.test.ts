/** Host behaviours that code in Azure depends on: open tasks, carry-over, nondeterminism, durable HTTP. */
import { strict as assert } from "node:assert";
import * as http from "node:http";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import { HistoryEventType as T, type EngineEvent } from "../../emulator";
import * as fs from "node:fs";
import { KITCHEN_SINK, countByType, emulatorFor, kitchenSinkWith, runToEnd, tempDir, waitFor } from "./harness";

describe("host behaviours", function () {
  it("keeps an orchestration Running while a timer that lost the race is still open, as Azure does", async () => {
    const emulator = await emulatorFor("memory", { timeSkipping: false });
    const warnings: string[] = [];
    emulator.engine.on((event: EngineEvent) => event.kind === "warning" && warnings.push(event.message));
    try {
      const started = Date.now();
      const id = await emulator.engine.startNew("raceWithoutCancel", { input: { timerMs: 600 } });
      await waitFor(() => countByType(emulator.engine.getHistory(id)).TaskCompleted === 1);
      await emulator.engine.whenIdle();
      assert.equal(emulator.engine.getStatus(id)?.runtimeStatus, "Running");
      assert.ok(
        warnings.some((w) => /still open, so it stays Running/.test(w)),
        warnings.join("\n"),
      );
      const status = await emulator.engine.waitForCompletion(id, 5000);
      assert.equal(status.output, "activity won");
      assert.ok(Date.now() - started >= 550, "completed only after the timer fired");
    } finally {
      await emulator.close();
    }
  });

  it("carries raised events no waiter took over to the next execution after continue-as-new", async () => {
    const emulator = await emulatorFor("memory");
    try {
      const id = await emulator.engine.startNew("eventAccumulator", { input: { total: 0, remaining: 3 } });
      // All three arrive with the start: the first execution takes one; the other two must carry over.
      await emulator.engine.raiseEvent(id, "add", 1);
      await emulator.engine.raiseEvent(id, "add", 10);
      await emulator.engine.raiseEvent(id, "add", 100);
      const status = await emulator.engine.waitForCompletion(id, 5000);
      assert.equal(status.runtimeStatus, "Completed");
      assert.equal(status.output, 111);
    } finally {
      await emulator.close();
    }
  });

  it("fails an instance whose code changed under it, naming what the history and the code each did", async () => {
    const storeFile = path.join(tempDir(), "nondeterminism.sqlite");
    const previous = process.env.DD_FIXTURE_FIRST_STEP;
    try {
      process.env.DD_FIXTURE_FIRST_STEP = "sayHello";
      const before = await emulatorFor("sqljs", { storeFile });
      const id = await before.engine.startNew("shifty", { instanceId: "shifty-1" });
      await waitFor(() => before.engine.getRecord(id)?.waitingForEvents?.includes("continue") === true);
      await before.close();

      process.env.DD_FIXTURE_FIRST_STEP = "double";
      const after = await emulatorFor("sqljs", { storeFile });
      try {
        await after.engine.raiseEvent(id, "continue");
        const status = await after.engine.waitForCompletion(id, 5000);
        assert.equal(status.runtimeStatus, "Failed");
        assert.match(status.failure?.message ?? "", /^Non-deterministic workflow detected/);
        assert.match(status.failure?.message ?? "", /call of activity 'sayHello' as task 0/);
        assert.match(status.failure?.message ?? "", /call of activity 'double' there \(at src\/functions\/orchestrations\.js:\d+:\d+\)/);
        const line = Number(/orchestrations\.js:(\d+)/.exec(status.failure?.message ?? "")?.[1]);
        const source = fs.readFileSync(path.join(KITCHEN_SINK, "src", "functions", "orchestrations.js"), "utf8").split("\n");
        assert.match(source[line - 1], /DD_FIXTURE_FIRST_STEP/, "the line that makes the diverging call");
      } finally {
        await after.close();
      }
    } finally {
      if (previous === undefined) delete process.env.DD_FIXTURE_FIRST_STEP;
      else process.env.DD_FIXTURE_FIRST_STEP = previous;
    }
  });

  // Azure: the extension's CallHttpAsync loop (azure-functions-durable-extension
  // src/WebJobs.Extensions.DurableTask/ContextImplementations/DurableOrchestrationContext.cs:275-299) waits on a durable
  // timer of Retry-After seconds, or HttpOptions.DefaultAsyncRequestSleepTimeMilliseconds (Options/HttpOptions.cs:19,
  // 30000) without one, before each GET of the Location; durable-functions 3.5 mirrors it
  // (lib/src/task/CallHttpWithPollingTask.js:24-30). The server lives in real time, so time skipping must not skip it.
  it("makes durable HTTP calls and follows 202 + Location polling, waiting Retry-After of real time before each poll", async () => {
    const requests: { line: string; at: number }[] = [];
    const server = http.createServer((request, response) => {
      requests.push({ line: `${request.method} ${request.url}`, at: Date.now() });
      // The extension polls new Uri(Location): an absolute URL (see azure-fidelity.test.ts for a relative one).
      const location = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jobs/7`;
      if (request.url === "/jobs") {
        response.writeHead(202, { Location: location, "Retry-After": "1" });
        response.end();
      } else if (request.url === "/jobs/7" && requests.filter((r) => r.line.endsWith("/jobs/7")).length < 2) {
        response.writeHead(202, { Location: location, "Retry-After": "1" });
        response.end();
      } else {
        response.writeHead(200, { "Content-Type": "application/json" });
        response.end(JSON.stringify({ done: true }));
      }
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const emulator = await emulatorFor("memory"); // time skipping on
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jobs`;
      const result = await runToEnd(emulator, "httpCaller", { url });
      assert.equal(result.runtimeStatus, "Completed", JSON.stringify(result.failure));
      assert.deepEqual(result.output, { statusCode: 200, content: '{"done":true}' });
      assert.deepEqual(
        requests.map((r) => r.line),
        ["GET /jobs", "GET /jobs/7", "GET /jobs/7"],
      );
      for (let i = 1; i < requests.length; i++) {
        assert.ok(requests[i].at - requests[i - 1].at >= 950, `poll ${i} came ${requests[i].at - requests[i - 1].at} ms after the request before it`);
      }
      const timers = result.history.filter((e) => e.EventType === T.TimerCreated);
      assert.equal(timers.length, 2, "one timer per poll");
      assert.equal(Date.parse(timers[0].FireAt as string) - Date.parse(timers[0].Timestamp), 1000, "Retry-After is honoured");
      const calls = result.history.filter((e) => e.EventType === T.TaskScheduled);
      assert.deepEqual(
        calls.map((e) => e.Name),
        ["BuiltIn::HttpActivity", "BuiltIn::HttpActivity", "BuiltIn::HttpActivity"],
      );
    } finally {
      await emulator.close();
      server.close();
    }
  });

  it("waits host.json's httpSettings.defaultAsyncRequestSleepTimeMilliseconds before a poll when the 202 has no Retry-After", async () => {
    // Azure: DurableOrchestrationContext.cs:287-291 (no Retry-After: DefaultAsyncRequestSleepTimeMilliseconds), the
    // value OrchestrationTriggerAttributeBindingProvider.cs:240 also hands the package.
    const requests: number[] = [];
    let server: http.Server | undefined;
    const appDir = kitchenSinkWith({
      version: "2.0",
      extensions: { durableTask: { hubName: "KitchenSink", httpSettings: { defaultAsyncRequestSleepTimeMilliseconds: 700 } } },
    });
    const emulator = await emulatorFor("memory", { appDir });
    try {
      server = http.createServer((_request, response) => {
        requests.push(Date.now());
        if (requests.length < 3) response.writeHead(202, { Location: `http://127.0.0.1:${(server?.address() as AddressInfo).port}/status` }).end();
        else response.writeHead(200).end("done");
      });
      await new Promise<void>((resolve) => server?.listen(0, "127.0.0.1", resolve));
      const result = await runToEnd(emulator, "httpCaller", { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/start` });
      assert.equal(result.runtimeStatus, "Completed", JSON.stringify(result.failure));
      assert.deepEqual(result.output, { statusCode: 200, content: "done" });
      assert.equal(requests.length, 3);
      for (let i = 1; i < requests.length; i++) assert.ok(requests[i] - requests[i - 1] >= 650, `poll ${i} came after ${requests[i] - requests[i - 1]} ms`);
      const timers = result.history.filter((e) => e.EventType === T.TimerCreated);
      assert.deepEqual(
        timers.map((e) => Date.parse(e.FireAt as string) - Date.parse(e.Timestamp)),
        [700, 700],
      );
    } finally {
      await emulator.close();
      server?.close();
    }
  });
});

describe("a crashing app", function () {
  it("is restarted, and the activity that was running when it died runs again", async () => {
    const emulator = await emulatorFor("memory");
    try {
      const marker = path.join(tempDir(), "crashed-once");
      const result = await runToEnd(emulator, "crashingActivity", { marker });
      assert.equal(result.runtimeStatus, "Completed");
      assert.equal(result.output, "survived");
      // The emulator and its store were untouched: other orchestrations still run.
      assert.equal((await runToEnd(emulator, "helloSequence")).runtimeStatus, "Completed");
    } finally {
      await emulator.close();
    }
  });

  it("fails an activity that takes the app down every time, after three tries", async () => {
    const emulator = await emulatorFor("memory");
    try {
      const result = await runToEnd(emulator, "crashingActivity", { always: true });
      assert.equal(result.runtimeStatus, "Failed");
      assert.match(result.failure?.message ?? "", /The app process exited while running this function \(exit code 4\)\. It did so 3 times/);
    } finally {
      await emulator.close();
    }
  });
});
