/**
 * What user code sees here is what it will see on Azure. Each test cites the Azure source (the Durable extension,
 * DurableTask.Core / AzureStorage, or durable-functions 3.5.0) that the expected value comes from.
 */
import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { HistoryEventType as T, type Emulator, type InstanceQuery } from "../../emulator";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator } from "../../emulator";
import { devNull, emulatorFor, runToEnd, tempDir, waitFor } from "./harness";

const HOOKS_APP = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "hooks-app");

/** A loopback server for a test; `url(path)` is its address. */
async function serve(handler: http.RequestListener): Promise<{ url: (path: string) => string; close: () => void }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { url: (path) => `http://127.0.0.1:${port}${path}`, close: () => server.close() };
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

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

  it("hands callHttp the response headers the extension's HttpClient sees: .NET's casing, no content headers", async () => {
    // Azure: TaskHttpActivityShim.cs:87 builds DurableHttpResponse.CreateDurableHttpResponseWithHttpResponseMessage,
    // which copies HttpResponseMessage.Headers only (DurableHttpResponse.cs:60-83): Content-Type, Content-Length and
    // the other HttpHeaderType.Content headers live on the content (dotnet/runtime
    // src/libraries/System.Net.Http/src/System/Net/Http/Headers/KnownHeaders.cs:23-61); known names are written in
    // .NET's casing ("Matching is case-insensitive ... we do not preserve the case", KnownHeaders.cs GetCandidate),
    // others as the server sent them; a header sent twice becomes an array (HttpHeadersConverter.cs:63-86).
    const server = await serve((_request, response) => {
      response.setHeader("X-Custom-Header", "kept");
      response.setHeader("etag", '"v1"');
      response.setHeader("Set-Cookie", ["a=1", "b=2"]);
      response.setHeader("Content-Type", "text/plain");
      response.setHeader("Location", "http://example.invalid/next");
      response.end("hello");
    });
    try {
      const result = await runToEnd(emulator, "httpProbe", { method: "GET", url: server.url("/h") });
      const output = result.output as { statusCode: number; content: string; headers: Record<string, unknown>; location: string | null };
      assert.equal(output.statusCode, 200);
      assert.equal(output.content, "hello");
      assert.equal(output.location, "http://example.invalid/next", 'headers["Location"] works as on Azure');
      assert.equal(output.headers["X-Custom-Header"], "kept");
      assert.equal(output.headers["ETag"], '"v1"');
      assert.deepEqual(output.headers["Set-Cookie"], ["a=1", "b=2"]);
      const names = Object.keys(output.headers).map((name) => name.toLowerCase());
      assert.ok(!names.includes("content-type") && !names.includes("content-length"), `no content headers: ${names.join(", ")}`);
      assert.ok(!Object.keys(output.headers).includes("location"), "no lower-cased duplicates");
    } finally {
      server.close();
    }
  });

  it("follows a redirect as HttpClient does, and sends content as text/plain when no Content-Type is given", async () => {
    // Azure: the extension's HttpClient (DurableHttpClientFactory.cs:20, a default HttpClientHandler) follows
    // redirects: a POST answered 302 is repeated as a GET without content (dotnet/runtime
    // SocketsHttpHandler/RedirectHandler.cs:64-76,143-154). Content without a type goes as "text/plain"
    // (TaskHttpActivityShim.cs:136-151).
    const seen: string[] = [];
    const server = await serve((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers["content-type"] ?? "-"}`);
      if (request.url === "/start") response.writeHead(302, { Location: "/final" }).end();
      else response.end("landed");
    });
    try {
      const result = await runToEnd(emulator, "httpProbe", { method: "POST", url: server.url("/start"), body: "hi", enablePolling: false });
      const output = result.output as { statusCode: number; content: string };
      assert.equal(output.statusCode, 200);
      assert.equal(output.content, "landed");
      assert.deepEqual(seen, ["POST /start text/plain", "GET /final -"]);
    } finally {
      server.close();
    }
  });

  it("fails a callHttp whose connection is refused with .NET's HttpRequestException text", async () => {
    // Azure: TaskHttpActivityShim.cs:91-95 catches the HttpRequestException and fails the task with its message as
    // the Reason and the exception serialized as the Details; .NET words a refused connect "Connection refused
    // (host:port)" on Linux. The package throws new Error(Reason + " \n " + Details) (TaskOrchestrationExecutor.js:223-226).
    const port = await closedPort();
    const result = await runToEnd(emulator, "httpProbe", { method: "GET", url: `http://127.0.0.1:${port}/x` });
    const caught = (result.output as { caught: string }).caught;
    const [reason, details] = caught.split(" \n ");
    assert.equal(reason, `Connection refused (127.0.0.1:${port})`);
    const exception = JSON.parse(details) as { $type: string; Message: string; InnerException: { ClassName: string } };
    assert.equal(exception.$type, "System.Net.Http.HttpRequestException, System.Net.Http");
    assert.equal(exception.Message, reason);
    assert.equal(exception.InnerException.ClassName, "System.Net.Sockets.SocketException");
  });

  it("fails the poll of a relative Location as the extension does on Linux, and says so", async () => {
    // Azure: DurableOrchestrationContext.CreateLocationPollRequest polls new Uri(Location); on Linux "/status" is the
    // file URI file:///status, which HttpClient refuses ("The 'file' scheme is not supported."): an exception the
    // HTTP activity does not catch, recorded with FailureDetails (DurableTask.Core TaskActivityDispatcher.cs:214-223),
    // which the package turns into "<ErrorType>: <ErrorMessage>" (lib/src/error/TaskFailedError.js:5).
    const warnings: string[] = [];
    const off = emulator.engine.on((event) => event.kind === "warning" && warnings.push(event.message));
    const server = await serve((_request, response) => response.writeHead(202, { Location: "/status", "Retry-After": "0" }).end());
    try {
      const result = await runToEnd(emulator, "httpProbe", { method: "GET", url: server.url("/start") });
      assert.equal((result.output as { caught: string }).caught, "System.NotSupportedException: The 'file' scheme is not supported.");
      assert.ok(
        warnings.some((w) => /Location "\/status", which is not an absolute http\(s\) URL/.test(w)),
        warnings.join("\n"),
      );
    } finally {
      off();
      server.close();
    }
  });

  it("gives the orchestrator a failed activity's error as Azure does: the extension's Reason and a serialized .NET exception", async () => {
    // Azure: the Node worker sends { message, stackTrace: error.stack } (azure-functions-nodejs-worker
    // src/setupEventStream.ts:109-117); the host wraps it as RpcException "Result: Failure\nType: \nException:
    // <message>\nStack: <stack>" (azure-functions-host src/WebJobs.Script/Workers/Rpc/RpcException.cs:12); the
    // extension cuts out the text after "\nException:" (leading space kept: OutOfProcExceptionHelpers.cs:85-93) and
    // fails the task with "Activity function 'X' failed: <text>" and that exception serialized by Newtonsoft with
    // type names (TaskActivityShim.cs:100-124, ErrorSerializerSettingsFactory.cs:28-33).
    const message = (await runToEnd(emulator, "activityErrorProbe", { message: "boom" })).output as string;
    const split = message.indexOf(" \n ");
    assert.equal(message.slice(0, split), "Activity function 'throwsGiven' failed:  boom");
    const details = JSON.parse(message.slice(split + 3)) as Record<string, unknown> & { InnerException: Record<string, unknown> };
    assert.equal(details.$type, "System.Exception, System.Private.CoreLib");
    assert.equal(details.Message, " boom");
    assert.equal(details.InnerException.$type, "Microsoft.Azure.WebJobs.Script.Workers.Rpc.RpcException, Microsoft.Azure.WebJobs.Script");
    assert.equal(details.InnerException.RemoteMessage, "boom");
    assert.match(String(details.InnerException.Message), /^Result: Failure\nType: \nException: boom\nStack: Error: boom\n {4}at /);
    assert.match(String(details.InnerException.RemoteStackTrace), /fidelity\.js:\d+/, "the activity's own stack");
  });

  it("hides what the Functions host's sanitizer takes for a credential in an activity's error message", async () => {
    // Azure: RpcException sanitizes the message (RpcException.cs:12 → src/WebJobs.Script/Sanitizer.cs:45-95): from a
    // credential token ("password=", "key=", "?code=", ...) to the next quote or "<" becomes "[Hidden Credential]".
    // A thrown string becomes new Error(string) in the worker (azure-functions-nodejs-worker src/errors.ts:47-56).
    const message = (await runToEnd(emulator, "activityErrorProbe", { kind: "string", message: "login failed for password=hunter2 'admin'" })).output as string;
    assert.equal(message.slice(0, message.indexOf(" \n ")), "Activity function 'throwsGiven' failed:  login failed for [Hidden Credential]'admin'");
  });

  it("keeps what a throwing entity operation did, answers the caller as the package does, and warns that the message was lost", async () => {
    // Azure: durable-functions has no rollback: each operation of a batch works on the batch's state and signal list,
    // and a failed one is recorded as JSON.stringify(error) (lib/src/entities/Entity.js:36-50); the extension stores
    // the final state, sends every signal and answers a call { result, exceptionType: "Error" }
    // (TaskEntityShim.cs:609-691); the package fails callEntity with Error(JSON.parse(result))
    // (lib/src/orchestrations/TaskOrchestrationExecutor.js:201-207): "[object Object]" for an Error, the text of a string.
    const warnings: string[] = [];
    const off = emulator.engine.on((event) => event.kind === "warning" && warnings.push(event.message));
    try {
      const result = await runToEnd(emulator, "fragileCaller", "f1");
      assert.equal(result.runtimeStatus, "Completed", JSON.stringify(result.failure));
      assert.deepEqual(result.output, { setThenThrow: "[object Object]", state: 7, throwString: "plain words", signalThenThrow: "[object Object]" });
      await emulator.engine.whenIdle();
      assert.equal(emulator.engine.readEntity("counter", "signalled-by-f1")?.state, 1, "the failed operation's signal was sent");
      const lost = warnings.find((w) => w.includes("operation 'setThenThrow' threw Error: nope"));
      assert.ok(lost, warnings.join("\n"));
      assert.match(lost, /state it set before throwing is kept/);
      assert.match(lost, /callEntity fails with "\[object Object\]", not your message/);
    } finally {
      off();
    }
  });

  it("rewinds an orchestration that failed in its own code in its first episode: it replays and fails again", async () => {
    // Azure: DurableTask.AzureStorage Tracking/AzureTableTrackingStore.cs:273-373 (RewindHistoryAsync) turns the failed
    // ExecutionCompleted into a GenericEvent and keeps the rest of the history, ExecutionStarted included; then
    // AzureStorageOrchestrationService.cs:1965-1984 (RewindTaskOrchestrationAsync) wakes the instance with a
    // GenericEvent, so the orchestrator replays from its start, and code that throws fails it again.
    const first = await runToEnd(emulator, "throwsError");
    assert.equal(first.runtimeStatus, "Failed");
    await emulator.engine.rewind(first.instanceId, "try again");
    const again = await emulator.engine.waitForCompletion(first.instanceId, 30_000);
    assert.equal(again.runtimeStatus, "Failed");
    assert.equal(again.failure?.message, first.failure?.message);
    const history = emulator.engine.getHistory(first.instanceId);
    assert.equal(history.filter((e) => e.EventType === T.ExecutionStarted).length, 1);
  });

  it("leaves an orchestration that gives a sub-orchestration its own id waiting forever, as Azure does, and says why", async () => {
    // Azure: DurableOrchestrationContext.cs:594-601 throws ArgumentException("The instance ID of a sub-orchestration
    // must be different than the instance ID of a parent orchestration.") in the async CallDurableTaskFunctionAsync;
    // OutOfProcOrchestrationShim.cs:199-219 awaits that task in a try whose catch ignores it, and
    // HandleDurableTaskReplay (lines 63-72) then waits forever: no sub-orchestration is created, nothing fails.
    const warnings: string[] = [];
    const off = emulator.engine.on((event) => event.kind === "warning" && warnings.push(event.message));
    try {
      const id = await emulator.engine.startNew("selfNamedChild", { instanceId: "self-named-child" });
      await waitFor(() => warnings.some((w) => w.includes("self-named-child")));
      await emulator.engine.whenIdle();
      assert.equal(emulator.engine.getStatus(id)?.runtimeStatus, "Running");
      assert.ok(!emulator.engine.getHistory(id).some((e) => e.EventType === T.SubOrchestrationInstanceCreated), "nothing was created");
      assert.match(warnings.join("\n"), /must be different than the instance ID of a parent orchestration\..*waits forever/);
      await emulator.engine.terminate(id, "test over");
    } finally {
      off();
    }
  });

  it("runs app.hook.* hooks as the Node worker does: appStart, pre- and postInvocation around every function, appTerminate", async () => {
    // Azure: azure-functions-nodejs-worker src/startApp.ts:27-44 (appStart once the entry files loaded, with
    // functionAppDirectory), src/eventHandlers/InvocationHandler.ts:70-147 (preInvocation may replace inputs and the
    // handler, postInvocation sees and may replace result and error; hookData per invocation, appHookData shared),
    // src/eventHandlers/terminateWorker.ts:12-37 (appTerminate at shutdown).
    const logFile = path.join(tempDir(), "hooks.log");
    const hooked = await startEmulator({ appDir: HOOKS_APP, store: "memory", timeSkipping: true, appOutput: devNull(), appEnv: { HOOKS_LOG: logFile } });
    let closed = false;
    try {
      const result = await runToEnd(hooked, "hooked");
      assert.equal(result.runtimeStatus, "Completed", JSON.stringify(result.failure));
      assert.deepEqual(result.output, ["HI!", "wrapped(inner)", "rescued"]);
      await hooked.close();
      closed = true;
      const lines = fs.readFileSync(logFile, "utf8").trim().split("\n");
      assert.equal(
        lines[0],
        "appStart appHookData=undefined functionAppDirectory=undefined",
        "@azure/functions 4 wraps the context (HookContext exposes hookData only)",
      );
      assert.ok(lines.includes("pre hooked"), lines.join("\n"));
      assert.ok(lines.includes("pre shout") && lines.includes("post shout error=none"), lines.join("\n"));
      assert.ok(lines.includes("post failsButRescued error=bad"), lines.join("\n"));
      assert.equal(lines[lines.length - 1], "appTerminate start", "appStart and appTerminate share their hookData");
    } finally {
      if (!closed) await hooked.close();
    }
  });

  describe("critical sections (context.df.lock)", function () {
    // Azure (extension PR #3453, schema V4): the LockEntities action runs IDurableOrchestrationContext.LockAsync and
    // ReleaseEntities ReleaseLocks (DurableOrchestrationContext.cs:1067-1151): one lock request (an EventSent) goes to
    // the first entity of the sorted lock set, each entity grants its lock and passes the request on
    // (TaskEntityShim.cs:410-440), the last answers; while an entity is locked it takes only the holder's operations
    // (DurableTaskExtension.cs:915-933, SchedulerState.cs:79-84); a release is one message per entity.
    it("locks both accounts, holds other operations until the release, and lets the holder call them", async () => {
      await emulator.engine.signalEntity("account", "alice", "add", 100);
      await emulator.engine.whenIdle();
      const id = await emulator.engine.startNew("transfer", { input: { from: "alice", to: "bob", amount: 30, hold: true } });
      await waitFor(() => emulator.engine.getRecord(id)?.waitingForEvents?.includes("go") === true);
      assert.equal(emulator.engine.getRecord("@account@alice")?.entity?.lockedBy, id);
      assert.equal(emulator.engine.getRecord("@account@bob")?.entity?.lockedBy, id);
      await emulator.engine.signalEntity("account", "alice", "add", 1000);
      await emulator.engine.whenIdle();
      assert.equal(emulator.engine.readEntity("account", "alice")?.state, 100, "the signal waits for the lock");
      await emulator.engine.raiseEvent(id, "go");
      const status = await emulator.engine.waitForCompletion(id, 30_000);
      assert.equal(status.runtimeStatus, "Completed", JSON.stringify(status.failure));
      assert.deepEqual(status.output, { balance: 100, locked: true, owned: ["@account@alice", "@account@bob"], after: false });
      await emulator.engine.whenIdle();
      assert.equal(emulator.engine.readEntity("account", "alice")?.state, 1070);
      assert.equal(emulator.engine.readEntity("account", "bob")?.state, 30);
      assert.equal(emulator.engine.getRecord("@account@alice")?.entity?.lockedBy, undefined);
      const sent = emulator.engine.getHistory(id).filter((e) => e.EventType === T.EventSent);
      assert.deepEqual(
        sent.map((e) => `${e.Name}→${e.InstanceId}`),
        ["op→@account@alice", "op→@account@alice", "op→@account@alice", "op→@account@bob", "release→@account@alice", "release→@account@bob"],
      );
    });

    it("releases the locks of an orchestration that completes holding them, as TaskOrchestrationShim does", async () => {
      // Azure: TaskOrchestrationShim.cs:106-108 calls ReleaseLocks after the orchestration completed.
      const result = await runToEnd(emulator, "lockAndLeave", { key: "left-done" });
      assert.equal(result.runtimeStatus, "Completed");
      await emulator.engine.whenIdle();
      assert.equal(emulator.engine.getRecord("@account@left-done")?.entity?.lockedBy, undefined);
      assert.ok(result.history.some((e) => e.EventType === T.EventSent && e.Name === "release"));
    });

    it("leaves the entities of an orchestration that fails holding the lock locked, as on Azure, and warns", async () => {
      // Azure: a failing orchestrator throws out of TaskOrchestrationShim.InvokeUserCodeAndHandleResults before
      // line 108, so ReleaseLocks never runs: the entity stays locked by the failed instance.
      const warnings: string[] = [];
      const off = emulator.engine.on((event) => event.kind === "warning" && warnings.push(event.message));
      try {
        const result = await runToEnd(emulator, "lockAndLeave", { key: "left-failed", fail: true });
        assert.equal(result.runtimeStatus, "Failed");
        await emulator.engine.signalEntity("account", "left-failed", "add", 5);
        await emulator.engine.whenIdle();
        assert.equal(emulator.engine.getRecord("@account@left-failed")?.entity?.lockedBy, result.instanceId);
        assert.equal(emulator.engine.readEntity("account", "left-failed"), undefined, "the signal waits forever");
        assert.ok(
          warnings.some((w) => /failed inside a critical section: @account@left-failed stays locked/.test(w)),
          warnings.join("\n"),
        );
      } finally {
        off();
      }
    });
  });

  describe("history as DurableTask.Core writes it", function () {
    it("gives the final ExecutionCompleted the next id of the sequence, not -1", async () => {
      // Azure: TaskOrchestrationContext.CompleteOrchestration takes `int id = this.idCounter++` (TaskOrchestrationContext.cs:716)
      // and TaskOrchestrationDispatcher.cs:1026 builds ExecutionCompletedEvent(completeOrchestratorAction.Id, ...).
      const result = await runToEnd(emulator, "countChain", 3);
      const completed = result.history.find((e) => e.EventType === T.ExecutionCompleted);
      assert.deepEqual(
        result.history.filter((e) => e.EventType === T.TaskScheduled).map((e) => e.EventId),
        [0, 1, 2],
      );
      assert.equal(completed?.EventId, 3);
      const failed = await runToEnd(emulator, "throwsError");
      assert.equal(failed.history.find((e) => e.EventType === T.ExecutionCompleted)?.EventId, 1, "one activity (id 0) before the failure");
    });

    it("keeps a failed orchestration's result as its failure message itself, not JSON text", async () => {
      // Azure: TaskOrchestrationContext.FailOrchestration (TaskOrchestrationContext.cs:659-711) completes with
      // CompleteOrchestration(reason = failure.Message, ...): ExecutionCompletedEvent.Result is that text.
      const failed = await runToEnd(emulator, "throwsError");
      const completed = failed.history.find((e) => e.EventType === T.ExecutionCompleted);
      assert.equal(completed?.Result, "Orchestrator function 'throwsError' failed: the orchestrator gave up");
      assert.equal(failed.output, "Orchestrator function 'throwsError' failed: the orchestrator gave up", "what getStatus shows is unchanged");
    });

    it("stamps TimerFired with the time its timer was created; FireAt says when it fires", async () => {
      // Azure: TaskOrchestrationDispatcher.cs:1252-1256 builds the TimerFiredEvent with the CreateTimer decision, and
      // HistoryEvent's constructor (History/HistoryEvent.cs:55) stamps it DateTime.UtcNow; nothing re-stamps it later.
      const result = await runToEnd(emulator, "longWait");
      assert.equal(result.runtimeStatus, "Completed");
      assert.deepEqual(result.output, { waitedHours: 72 }, "the orchestration's clock still moves to the firing");
      const created = result.history.find((e) => e.EventType === T.TimerCreated);
      const fired = result.history.find((e) => e.EventType === T.TimerFired);
      assert.ok(created && fired);
      assert.equal(fired.Timestamp, created.Timestamp);
      assert.equal(fired.FireAt, created.FireAt);
      assert.ok(Date.parse(fired.FireAt as string) > Date.parse(fired.Timestamp));
    });

    it("gives a sub-orchestration's ExecutionStarted DurableTask.Core's ParentInstance", async () => {
      // Azure: ParentInstance.cs (Name, Version, TaskScheduleId, OrchestrationInstance), filled in by
      // TaskOrchestrationDispatcher.ProcessCreateSubOrchestrationInstanceDecision (TaskOrchestrationDispatcher.cs:1299-1305).
      const parent = await runToEnd(emulator, "parentOfChain", undefined, "fidelity-parent-shape");
      assert.equal(parent.runtimeStatus, "Completed");
      const created = parent.history.find((e) => e.EventType === T.SubOrchestrationInstanceCreated && e.Name === "countChain");
      const child = emulator.engine.getHistory(created?.InstanceId as string);
      const started = child.find((e) => e.EventType === T.ExecutionStarted);
      const parentStarted = parent.history.find((e) => e.EventType === T.ExecutionStarted);
      assert.deepEqual(started?.ParentInstance, {
        Name: "parentOfChain",
        Version: "",
        TaskScheduleId: created?.EventId,
        OrchestrationInstance: { InstanceId: "fidelity-parent-shape", ExecutionId: parentStarted?.OrchestrationInstance?.ExecutionId },
      });
    });

    it("writes entity operation messages as the extension's RequestMessage, labelled by the message sorter", async () => {
      // Azure: EntityScheduler/RequestMessage.cs (op always; signal, input, parent, parentExecution, lockset, pos only
      // when set; Timestamp and Predecessor always), MessageSorter.LabelOutgoingMessage (MessageSorter.cs: the
      // orchestration's time, one tick later when not after the last message to that entity, Predecessor = that
      // last one), called from DurableOrchestrationContext.cs:1181.
      const result = await runToEnd(emulator, "callCounter", { key: "fidelity-wire", amount: 2 });
      assert.equal(result.runtimeStatus, "Completed");
      assert.equal(result.output, 2);
      const sent = result.history.filter((e) => e.EventType === T.EventSent).map((e) => JSON.parse(e.Input as string) as Record<string, unknown>);
      assert.equal(sent.length, 2);
      const [add, get] = sent;
      assert.deepEqual(Object.keys(add), ["op", "input", "id", "parent", "parentExecution", "Timestamp", "Predecessor"]);
      assert.equal(add.op, "add");
      assert.equal(add.input, "2");
      assert.equal(add.parent, result.instanceId);
      assert.equal(add.Predecessor, "0001-01-01T00:00:00");
      assert.match(String(add.Timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,7})?Z$/);
      assert.equal(get.Predecessor, add.Timestamp, "the second message names the first as its predecessor");
      assert.ok(String(get.Timestamp) > String(add.Timestamp) || String(get.Timestamp).length !== String(add.Timestamp).length, "later, to the tick");
      assert.equal("input" in get, false, "no input: left out");

      const signals = await runToEnd(emulator, "signalCounter", { key: "fidelity-wire-signal", times: 2 });
      const [first, second] = signals.history.filter((e) => e.EventType === T.EventSent).map((e) => JSON.parse(e.Input as string) as Record<string, unknown>);
      assert.equal(first.signal, true);
      assert.equal("parentExecution" in first, true);
      assert.equal(second.Predecessor, first.Timestamp, "both in one episode: the second is one tick after the first");
      assert.notEqual(second.Timestamp, first.Timestamp);

      const locked = await runToEnd(emulator, "usesLock");
      const lock = JSON.parse(locked.history.find((e) => e.EventType === T.EventSent)?.Input as string) as Record<string, unknown>;
      assert.equal(lock.op, null, "a lock request has no operation");
      assert.deepEqual(lock.lockset, [{ name: "counter", key: "locked" }]);
      assert.equal("pos" in lock, false, "position 0 is left out");
    });
  });
});
