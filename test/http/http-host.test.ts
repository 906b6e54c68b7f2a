/**
 * The HTTP front door over real loopback HTTP: the app's HTTP functions, the real durable-functions client inside
 * them talking to our Durable HTTP API, the management API contract, and the guards that keep web pages out.
 */
import { strict as assert } from "node:assert";
import { startServer, type EmulatorServer } from "../../emulator";
import { KITCHEN_SINK, devNull } from "../emulator/harness";
import { openEventStream, request, type Answer } from "./http-client";

async function pollUntil(url: string, done: (answer: Answer) => boolean, timeoutMs = 30_000): Promise<Answer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const answer = await request(url);
    if (done(answer)) return answer;
    if (Date.now() > deadline) throw new Error(`gave up polling ${url}: ${answer.status} ${answer.text}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe("the HTTP host", function () {
  let server: EmulatorServer;
  let origin: string;
  const api = (path: string) => `${origin}/runtime/webhooks/durabletask${path}`;
  const client = async (operation: string, instanceId?: string, args: object = {}) => {
    const answer = await request(`${origin}/api/client/${operation}${instanceId ? `/${instanceId}` : ""}`, { method: "POST", body: JSON.stringify(args) });
    assert.equal(answer.status, 200, `${operation}: ${answer.text}`);
    return answer.json().result;
  };

  before(async () => {
    server = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, appOutput: devNull() });
    origin = server.http.origin;
  });
  after(async () => {
    await server.close();
  });

  it("runs the async HTTP API pattern end to end through the starter's check-status links", async () => {
    const started = await request(`${origin}/api/orchestrators/approvalRace`, { method: "POST", body: JSON.stringify({ timeoutSeconds: 3600 }) });
    assert.equal(started.status, 202);
    const links = started.json();
    for (const key of [
      "id",
      "statusQueryGetUri",
      "sendEventPostUri",
      "terminatePostUri",
      "rewindPostUri",
      "purgeHistoryDeleteUri",
      "restartPostUri",
      "suspendPostUri",
      "resumePostUri",
    ]) {
      assert.equal(typeof links[key], "string", key);
    }
    assert.equal(started.headers.location, links.statusQueryGetUri);
    assert.equal(started.headers["retry-after"], "10");
    assert.ok(links.statusQueryGetUri.startsWith(`${origin}/runtime/webhooks/durabletask/instances/${links.id}`));

    const running = await pollUntil(links.statusQueryGetUri, (a) => a.status === 202 && a.json().runtimeStatus === "Running");
    assert.equal(running.headers.location, links.statusQueryGetUri);
    assert.deepEqual(running.json().input, { timeoutSeconds: 3600 });

    const raised = await request(links.sendEventPostUri.replace("{eventName}", "approval"), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify("Grace"),
    });
    assert.equal(raised.status, 202);
    const done = await pollUntil(links.statusQueryGetUri, (a) => a.status === 200);
    const status = done.json();
    assert.equal(status.runtimeStatus, "Completed");
    assert.deepEqual(status.output, { approved: true, by: "Grace" });
    for (const key of ["name", "instanceId", "runtimeStatus", "input", "customStatus", "output", "createdTime", "lastUpdatedTime"])
      assert.ok(key in status, key);
    assert.match(status.createdTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);

    // Terminate another one through its link, with a reason.
    const second = (await request(`${origin}/api/orchestrators/waitForever`, { method: "POST" })).json();
    const terminated = await request(second.terminatePostUri.replace("{text}", "no%20longer%20needed"), { method: "POST" });
    assert.equal(terminated.status, 202);
    const final = await pollUntil(second.statusQueryGetUri, (a) => a.status === 200);
    assert.equal(final.json().runtimeStatus, "Terminated");
    assert.equal(final.json().output, "no longer needed");
    const again = await request(second.terminatePostUri.replace("{text}", "again"), { method: "POST" });
    assert.equal(again.status, 410, "terminating a finished instance is Gone");
  });

  it("supports every durable client method from inside an HTTP function", async () => {
    const id = "client-ops";
    assert.equal(await client("startNew", id, { name: "statusReporter" }), id);
    const status = await client("getStatus", id, { showHistory: true, showHistoryOutput: true });
    assert.equal(status.instanceId, id);
    assert.ok(["Pending", "Running"].includes(status.runtimeStatus));
    await pollUntil(api(`/instances/${id}`), (a) => a.json().customStatus?.stage === "waiting for go");
    await client("suspend", id, { reason: "pause" });
    await pollUntil(api(`/instances/${id}`), (a) => a.json().runtimeStatus === "Suspended");
    await client("raiseEvent", id, { eventName: "go", eventData: { value: 1 } });
    await client("resume", id, { reason: "go on" });
    const completed = await pollUntil(api(`/instances/${id}`), (a) => a.status === 200);
    assert.deepEqual(completed.json().customStatus, { stage: "done", go: { value: 1 } });

    const all = await client("getStatusAll");
    assert.ok(all.some((s: { instanceId: string }) => s.instanceId === id));
    const completedOnly = await client("getStatusBy", undefined, { runtimeStatus: ["Completed"] });
    assert.ok(completedOnly.every((s: { runtimeStatus: string }) => s.runtimeStatus === "Completed"));
    assert.ok(completedOnly.some((s: { instanceId: string }) => s.instanceId === id));

    // As in Azure, the JS client drops the history the API returns as `historyEvents` (durable-js issue #620).
    const withHistory = await client("getStatus", id, { showHistory: true, showHistoryOutput: true });
    assert.equal(withHistory.history, undefined);
    const events = (await request(api(`/instances/${id}?showHistory=true&showHistoryOutput=true`))).json().historyEvents;
    assert.deepEqual(
      events.map((e: { EventType: string }) => e.EventType),
      ["ExecutionStarted", "ExecutionSuspended", "ExecutionResumed", "EventRaised", "ExecutionCompleted"],
    );
    // As in Azure, inputs are the raw JSON text (DurableClient.GetDurableOrchestrationStatusAsync leaves them as stored).
    assert.deepEqual(events[3], { EventType: "EventRaised", Timestamp: events[3].Timestamp, Name: "go", Input: '{"value":1}' });

    const payload = await client("createHttpManagementPayload", id);
    assert.equal(payload.id, id);
    assert.ok(payload.statusQueryGetUri.includes(`/instances/${id}`));

    // Rewind a failed instance, after fixing the cause.
    const failedId = "client-rewind";
    await client("startNew", failedId, { name: "retryActivity", input: { key: "http-rewind", failTimes: 1, attempts: 1 } });
    await pollUntil(api(`/instances/${failedId}`), (a) => a.json().runtimeStatus === "Failed");
    await client("rewind", failedId, { reason: "try again" });
    const rewound = await pollUntil(api(`/instances/${failedId}`), (a) => a.status === 200 && a.json().runtimeStatus !== "Failed");
    assert.equal(rewound.json().output, "succeeded on attempt 2");

    const waiter = "client-terminate";
    await client("startNew", waiter, { name: "waitForever" });
    await client("terminate", waiter, { reason: "stop" });
    await pollUntil(api(`/instances/${waiter}`), (a) => a.json().runtimeStatus === "Terminated");

    assert.deepEqual(await client("purgeInstanceHistory", waiter), { instancesDeleted: 1 });
    assert.deepEqual(await client("purgeInstanceHistory", waiter), { instancesDeleted: 0 });
    const purged = await client("purgeInstanceHistoryBy", undefined, { runtimeStatus: ["Completed"] });
    assert.ok(purged.instancesDeleted >= 2);
    assert.equal((await request(api(`/instances/${id}`))).status, 404);
  });

  it("waits for completion within the timeout, and answers with check-status links past it", async () => {
    const quick = await request(`${origin}/api/wait/helloSequence?timeoutMs=5000`);
    assert.equal(quick.status, 200);
    assert.deepEqual(quick.json(), ["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"]);
    const slow = await request(`${origin}/api/wait/waitForever?timeoutMs=300`);
    assert.equal(slow.status, 202);
    assert.ok(slow.json().statusQueryGetUri);
    assert.equal(slow.headers.location, slow.json().statusQueryGetUri);
    const failed = await request(`${origin}/api/wait/throwsError?timeoutMs=5000`);
    assert.equal(failed.status, 500);
    assert.equal(failed.json().runtimeStatus, "Failed");
  });

  it("serves HTTP functions with route parameters, query, headers, bodies, status, headers and cookies", async () => {
    const answer = await request(`${origin}/api/echo/42/more?x=1&y=two`, {
      method: "PUT",
      headers: { "x-custom": "hi", "content-type": "text/plain" },
      body: "hello body",
    });
    assert.equal(answer.status, 201);
    assert.equal(answer.headers["x-echo"], "yes");
    assert.match(String(answer.headers["set-cookie"]), /session=abc; HttpOnly/);
    assert.deepEqual(answer.json(), { method: "PUT", params: { id: "42", rest: "more" }, query: { x: "1", y: "two" }, header: "hi", body: "hello body" });
    assert.deepEqual((await request(`${origin}/api/echo/7`)).json().params, { id: "7" });
    assert.equal((await request(`${origin}/api/echo/not-a-number`)).status, 404, "the :int constraint");
    const wrongMethod = await request(`${origin}/api/echo/1`, { method: "DELETE" });
    assert.equal(wrongMethod.status, 405);
    assert.match(wrongMethod.headers.allow ?? "", /GET/);
    const broken = await request(`${origin}/api/throws`);
    assert.equal(broken.status, 500);
    assert.match(broken.json().error, /the handler broke/);
  });

  it("lists, filters and pages instances through the management API", async () => {
    for (let i = 0; i < 5; i++) await request(`${origin}/api/wait/helloSequence?timeoutMs=5000`);
    const first = await request(api("/instances?runtimeStatus=Completed&top=2"));
    assert.equal(first.status, 200);
    assert.equal(first.json().length, 2);
    const token = first.headers["x-ms-continuation-token"];
    assert.ok(token, "a continuation token for the next page");
    const second = await request(api("/instances?runtimeStatus=Completed&top=2"), { headers: { "x-ms-continuation-token": String(token) } });
    assert.equal(second.json().length, 2);
    assert.notDeepEqual(
      second.json().map((s: { instanceId: string }) => s.instanceId),
      first.json().map((s: { instanceId: string }) => s.instanceId),
    );
    const future = await request(api(`/instances?createdTimeFrom=${new Date(Date.now() + 3600_000).toISOString()}`));
    assert.deepEqual(future.json(), []);
    // As in Azure, a status that is not one is ignored (HttpApiHandler.TryGetIEnumerableQueryParameterValue).
    const unfiltered = await request(api("/instances?runtimeStatus=Sleeping"));
    assert.equal(unfiltered.status, 200);
    assert.ok(unfiltered.json().length > 4);
  });

  it("refuses a purge by filter without createdTimeFrom, whatever statuses the filter names", async () => {
    // Azure: HttpApiHandler.cs:573-580 (400 without createdTimeFrom). With it, a filter naming no finished status
    // purges every instance in the range, running ones included: see azure-purge.test.ts.
    const running = (await request(api("/orchestrators/waitForever/purge-keeps-me"), { method: "POST" })).json().id;
    for (const statuses of ["Running", "ContinuedAsNew", "Pending,Suspended"]) {
      const purged = await request(api(`/instances?runtimeStatus=${statuses}`), { method: "DELETE" });
      assert.equal(purged.status, 400, `${statuses}: ${purged.text}`);
    }
    // Still there (Pending until its first episode has run on a busy machine, then Running).
    assert.match((await request(api(`/instances/${running}`))).json().runtimeStatus, /^(Pending|Running)$/);
  });

  it("purges by filter as Azure does: only finished statuses count, and with none left everything in the range goes", async () => {
    const from = new Date().toISOString();
    const running = (await request(api("/orchestrators/waitForever/purge-goes-too"), { method: "POST" })).json().id;
    // No status named: a 404 (nothing purged) would leave it; Azure's filter keeps only finished statuses, and
    // with none left, filters by time alone (AzureTableTrackingStore.PurgeInstanceHistoryAsync).
    const purged = await request(api(`/instances?createdTimeFrom=${from}&runtimeStatus=Running`), { method: "DELETE" });
    assert.equal(purged.status, 200, purged.text);
    assert.deepEqual(purged.json(), { instancesDeleted: 1 });
    assert.equal((await request(api(`/instances/${running}`))).status, 404);
    // Without createdTimeFrom, Azure refuses the purge.
    const refused = await request(api("/instances?runtimeStatus=Completed"), { method: "DELETE" });
    assert.equal(refused.status, 400);
    assert.equal(refused.json(), "Please provide value for 'createdTimeFrom' parameter.");
  });

  it("answers unknown instances with 404, and finished ones with 410 where the real API does", async () => {
    // An empty body, as Azure's; the emulator says why in a header.
    const unknown = await request(api("/instances/nope"));
    assert.equal(unknown.text, "");
    assert.match(decodeURIComponent(String(unknown.headers["x-durable-devkit-error"])), /No orchestration instance has the id "nope"/);
    assert.equal(unknown.headers["x-durable-devkit-error-code"], "InstanceNotFound");
    assert.equal((await request(api("/instances/nope"))).status, 404);
    assert.equal((await request(api("/instances/nope/raiseEvent/x"), { method: "POST", body: "1" })).status, 404);
    assert.equal((await request(api("/instances/nope/terminate"), { method: "POST" })).status, 404);
    assert.equal((await request(api("/instances/nope"), { method: "DELETE" })).status, 404);
    const done = await request(`${origin}/api/wait/helloSequence?timeoutMs=5000`);
    assert.equal(done.status, 200);
    const [latest] = (await request(api("/instances?runtimeStatus=Completed&top=1000"))).json().slice(-1);
    assert.equal((await request(api(`/instances/${latest.instanceId}/raiseEvent/late`), { method: "POST", body: "1" })).status, 410);
    // Azure answers a rewind of a completed instance Gone too (HttpApiHandler.HandleRewindInstanceRequestAsync).
    assert.equal((await request(api(`/instances/${latest.instanceId}/rewind`), { method: "POST" })).status, 410);
  });

  it("answers refusals with Azure's status codes, chosen by the error's code and never by its message", async () => {
    const post = (path: string) => request(api(path), { method: "POST" });
    const settle = (id: string, status: RegExp) => pollUntil(api(`/instances/${id}`), (a) => a.status !== 404 && status.test(a.json().runtimeStatus));
    const code = (answer: Answer) => answer.headers["x-durable-devkit-error-code"];
    // A completed instance is Gone to every operation, whatever its id or the event's name says
    // (HttpApiHandler.cs:797-800, 821-824, 961-967, 991-998): the old mapping read "purge" and "rewind" in messages.
    for (const id of ["plain-1", "purge-job-1", "rewind-1"]) {
      await post(`/orchestrators/helloSequence/${id}`);
      await settle(id, /^Completed$/);
      assert.equal((await post(`/instances/${id}/terminate`)).status, 410, id);
      assert.equal((await post(`/instances/${id}/suspend`)).status, 410, id);
      assert.equal((await post(`/instances/${id}/rewind`)).status, 410, id);
      assert.equal((await request(api(`/instances/${id}/raiseEvent/rewind`), { method: "POST", body: "1" })).status, 410, id);
    }
    const live = "refusals-live";
    await post(`/orchestrators/waitForever/${live}`);
    await settle(live, /^Running$/);
    // What DurableClient refuses with an InvalidOperationException is a 500 (HttpApiHandler.cs:446-449): a second
    // start of a running id (OrchestrationAlreadyExistsException, DurableClient.cs:203-205), resuming a running
    // instance (DurableClient.cs:424-442), rewinding one (DurableClient.cs:446-452), restarting it under its own id.
    const duplicate = await post(`/orchestrators/waitForever/${live}`);
    assert.equal(duplicate.status, 500);
    assert.equal(code(duplicate), "InstanceAlreadyExists");
    assert.equal((await post(`/instances/${live}/resume`)).status, 500);
    assert.equal((await post(`/instances/${live}/rewind`)).status, 500);
    assert.equal((await post(`/instances/${live}/restart?restartWithNewInstanceId=false`)).status, 500);
    // ... and so is suspending one already suspended (DurableClient.cs:403-421).
    assert.equal((await post(`/instances/${live}/suspend?reason=first`)).status, 202);
    await settle(live, /^Suspended$/);
    const twice = await post(`/instances/${live}/suspend?reason=again`);
    assert.equal(twice.status, 500);
    assert.equal(code(twice), "InvalidState");
    // Restarting an unknown instance is RestartAsync's ArgumentException: 400 (DurableClient.cs:1146-1149, HttpApiHandler.cs:939-941).
    assert.equal((await post("/instances/never-was/restart")).status, 400);
    // A purge deletes the instance whatever its status (HttpApiHandler.cs:554-567, AzureTableTrackingStore.cs:717-746),
    // and the emulator warns: in its log (engine warnings, which `start` prints) and on the dashboard's event stream.
    const warnings: string[] = [];
    const off = server.emulator.engine.on((event) => event.kind === "warning" && warnings.push(event.message));
    const dashboard = await openEventStream(`${origin}/_durable/api/events`);
    try {
      const purged = await request(api(`/instances/${live}`), { method: "DELETE" });
      assert.equal(purged.status, 200, purged.text);
      assert.deepEqual(purged.json(), { instancesDeleted: 1 });
      assert.equal((await request(api(`/instances/${live}`))).status, 404);
      assert.ok(
        warnings.some((w) => w.includes(live) && /while it was Suspended/.test(w)),
        warnings.join("\n"),
      );
      await dashboard.waitFor(new RegExp(`event: warning\ndata: [^\n]*Purged instance ${live} while it was Suspended`));
    } finally {
      off();
      dashboard.close();
    }
  });

  it("starts orchestrations through the management API and restarts them", async () => {
    const started = await request(api("/orchestrators/countChain/mgmt-1"), { method: "POST", body: "3" });
    assert.equal(started.status, 202);
    assert.equal(started.json().id, "mgmt-1");
    const done = await pollUntil(started.json().statusQueryGetUri, (a) => a.status === 200);
    assert.equal(done.json().output, 3);
    const restarted = await request(api("/instances/mgmt-1/restart?restartWithNewInstanceId=false"), { method: "POST" });
    assert.equal(restarted.status, 202);
    assert.equal(restarted.json().id, "mgmt-1");
    const unknown = await request(api("/orchestrators/nope"), { method: "POST" });
    assert.equal(unknown.status, 400);
    assert.equal(unknown.json().Message, "One or more of the arguments submitted is incorrect");
    assert.match(unknown.json().ExceptionMessage, /no orchestration function named "nope"/);
  });

  it("refuses foreign Host and Origin headers and bad JSON with clear 4xx answers (body caps: app-client.test)", async () => {
    const foreignHost = await request(api("/instances"), { headers: { Host: "attacker.example" } });
    assert.equal(foreignHost.status, 421);
    const wrongPort = await request(api("/instances"), { headers: { Host: "127.0.0.1:1" } });
    assert.equal(wrongPort.status, 421);
    assert.equal((await request(api("/instances"), { headers: { Host: `localhost:${server.http.port}` } })).status, 200);
    const foreignOrigin = await request(api("/orchestrators/helloSequence"), { method: "POST", headers: { Origin: "https://attacker.example" } });
    assert.equal(foreignOrigin.status, 403);
    const sameOrigin = await request(api("/orchestrators/helloSequence"), { method: "POST", headers: { Origin: origin } });
    assert.equal(sameOrigin.status, 202);
    // As with `func start`, a GET from another site (an <img src>) still runs an app's GET function: the README's
    // security section says so.
    const crossSiteGet = await request(`${origin}/api/echo/1`, { headers: { Origin: "https://attacker.example" } });
    assert.equal(crossSiteGet.status, 201);
    const badJson = await request(api("/orchestrators/helloSequence"), { method: "POST", body: "{not json" });
    assert.equal(badJson.status, 400);
    assert.equal(badJson.json().Message, "Invalid JSON content");
    assert.match(badJson.json().ExceptionMessage, /not valid JSON/);
  });
});
