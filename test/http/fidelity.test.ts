/**
 * Conformance of the Durable HTTP management API with Azure: every case pins what the Durable extension's
 * HttpApiHandler (and the client and storage code behind it) answers, citing the file and line, and checks the
 * emulator answers the same over real loopback HTTP with the real durable-functions package. A case marked
 * `differs` is a documented difference (README "Where the emulator deliberately differs from Azure"): it checks
 * the emulator's documented behaviour and does not count as a match. The last test prints the conformance table
 * and checks docs/fidelity.md holds the same one.
 *
 * Sources (at the mirrored commits): the extension is Azure/azure-functions-durable-extension
 * (src/WebJobs.Extensions.DurableTask/...; "HttpApiHandler.cs:N" below means that file), DurableTask.Core and
 * DurableTask.AzureStorage are Azure/durabletask (src/...).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { startServer, type EmulatorServer, type EngineEvent } from "../../emulator";
import { KITCHEN_SINK, devNull, tempDir } from "../emulator/harness";
import { request, type Answer } from "./http-client";
import { assertDocTable, conformanceTable } from "../conformance-table";

interface Case {
  area: string;
  title: string;
  /** Where Azure's behaviour comes from. */
  azure: string;
  /** Set for a documented difference: why the emulator does otherwise. */
  differs?: string;
  run: () => Promise<void>;
}

const AREAS = [
  "Routes and methods",
  "Status codes of refusals",
  "Start (and start-and-wait)",
  "Instance status",
  "History (historyEvents)",
  "Listing instances",
  "Purging",
  "Raising events",
  "Entities",
  "Error bodies",
] as const;

const DOC = path.resolve(__dirname, "..", "..", "..", "docs", "fidelity.md");
const TABLE_START = "<!-- http-api-conformance:start -->";
const TABLE_END = "<!-- http-api-conformance:end -->";

describe("the Durable HTTP API against Azure's (conformance)", function () {
  let server: EmulatorServer;
  let origin: string;
  const warnings: string[] = [];
  const passed = new Set<Case>();
  const api = (p: string) => `${origin}/runtime/webhooks/durabletask${p}`;
  const post = (p: string, body?: string, headers: Record<string, string> = {}) => request(api(p), { method: "POST", body, headers });
  const json = { "Content-Type": "application/json" };

  /** Starts an orchestration through the management API and returns its id. */
  async function start(name: string, id: string, input?: unknown): Promise<string> {
    const answer = await post(`/orchestrators/${name}/${id}`, input === undefined ? undefined : JSON.stringify(input));
    assert.equal(answer.status, 202, `start ${name}/${id}: ${answer.status} ${answer.text}`);
    return id;
  }

  /** Polls the instance's status until `done` holds. */
  async function until(id: string, done: (status: { runtimeStatus: string; [key: string]: unknown }) => boolean, query = ""): Promise<Answer> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answer = await request(api(`/instances/${id}${query}`));
      if (answer.status !== 404 && done(answer.json())) return answer;
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${id}: ${answer.status} ${answer.text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  const finished = (id: string) => until(id, (s) => ["Completed", "Failed", "Terminated"].includes(s.runtimeStatus));
  const running = (id: string) => until(id, (s) => s.runtimeStatus === "Running");
  async function terminated(id: string, reason = "stop"): Promise<void> {
    assert.equal((await post(`/instances/${id}/terminate?reason=${encodeURIComponent(reason)}`)).status, 202);
    await until(id, (s) => s.runtimeStatus === "Terminated");
  }
  function assertEmpty(answer: Answer, status: number): void {
    assert.equal(answer.status, status, answer.text);
    assert.equal(answer.text, "", "Azure answers this with no body");
  }

  const cases: Case[] = [
    // ---------------------------------------------------------------- routes and methods
    {
      area: "Routes and methods",
      title: "GET on the start route is 404, not 405",
      azure: "HttpApiHandler.cs:304-311",
      run: async () => assertEmpty(await request(api("/orchestrators/helloSequence")), 404),
    },
    {
      area: "Routes and methods",
      title: "PUT on instances is 404",
      azure: "HttpApiHandler.cs:359-370",
      run: async () => assertEmpty(await request(api("/instances"), { method: "PUT" }), 404),
    },
    {
      area: "Routes and methods",
      title: "PATCH on one instance is 404",
      azure: "HttpApiHandler.cs:374-385",
      run: async () => assertEmpty(await request(api("/instances/whatever"), { method: "PATCH" }), 404),
    },
    {
      area: "Routes and methods",
      title: "GET on an operation route is 404",
      azure: "HttpApiHandler.cs:387-413",
      run: async () => assertEmpty(await request(api("/instances/whatever/terminate")), 404),
    },
    {
      area: "Routes and methods",
      title: "an unknown operation is 404",
      azure: "HttpApiHandler.cs:387-435 (no operation matches: falls through to NotFound)",
      run: async () => assertEmpty(await post("/instances/whatever/frobnicate"), 404),
    },
    {
      area: "Routes and methods",
      title: "GET on raiseEvent is 404",
      azure: "HttpApiHandler.cs:416-427",
      run: async () => assertEmpty(await request(api("/instances/whatever/raiseEvent/x")), 404),
    },
    {
      area: "Routes and methods",
      title: "route segments match in any letter case",
      azure: "TemplateMatcher literals; HttpApiHandlerTests.cs:527 requests /Instances/",
      run: async () => {
        const answer = await request(api("/Instances/"));
        assert.equal(answer.status, 200);
        assert.ok(Array.isArray(answer.json()));
      },
    },
    {
      area: "Routes and methods",
      title: "operation names match in any letter case",
      azure: "HttpApiHandler.cs:389 (StringComparison.OrdinalIgnoreCase)",
      run: async () => {
        const id = await start("waitForever", "route-case-1");
        assert.equal((await post(`/instances/${id}/TERMINATE?reason=x`)).status, 202);
        await until(id, (s) => s.runtimeStatus === "Terminated");
      },
    },
    {
      area: "Routes and methods",
      title: "PUT on an entity is 404",
      azure: "HttpApiHandler.cs:333-341",
      run: async () => assertEmpty(await request(api("/entities/counter/x"), { method: "PUT" }), 404),
    },
    {
      area: "Routes and methods",
      title: "an unknown route is 404 with no body",
      azure: "HttpApiHandler.cs:435",
      run: async () => assertEmpty(await request(api("/nothing/here")), 404),
    },

    // ---------------------------------------------------------------- refusals
    {
      area: "Status codes of refusals",
      title: "starting over a running instance is 500",
      azure:
        "DurableClient.cs:203-205 (dedupe statuses), AzureStorageOrchestrationService.cs:1756-1760 (OrchestrationAlreadyExistsException), HttpApiHandler.cs:446-449",
      run: async () => {
        const id = await start("waitForever", "dup-start-1");
        const again = await post(`/orchestrators/waitForever/${id}`);
        assert.equal(again.status, 500, again.text);
        assert.equal(again.json().ExceptionType, "DurableTask.Core.Exceptions.OrchestrationAlreadyExistsException");
        await terminated(id);
      },
    },
    {
      area: "Status codes of refusals",
      title: "suspending a suspended instance is 500",
      azure: "DurableClient.cs:403-421 (IsOrchestrationSuspendable: Running, Pending, ContinuedAsNew), HttpApiHandler.cs:446-449",
      run: async () => {
        const id = await start("waitForever", "suspend-twice-1");
        await running(id);
        assert.equal((await post(`/instances/${id}/suspend?reason=first`)).status, 202);
        await until(id, (s) => s.runtimeStatus === "Suspended");
        assert.equal((await post(`/instances/${id}/suspend?reason=again`)).status, 500);
        await terminated(id);
      },
    },
    {
      area: "Status codes of refusals",
      title: "resuming a running instance is 500",
      azure: "DurableClient.cs:424-442, HttpApiHandler.cs:446-449",
      run: async () => {
        const id = await start("waitForever", "resume-running-1");
        await running(id);
        assert.equal((await post(`/instances/${id}/resume?reason=x`)).status, 500);
        await terminated(id);
      },
    },
    {
      area: "Status codes of refusals",
      title: "rewinding a completed instance is 410",
      azure: "HttpApiHandler.cs:961-967",
      run: async () => {
        const id = await start("helloSequence", "rewind-completed-1");
        await finished(id);
        assertEmpty(await post(`/instances/${id}/rewind?reason=x`), 410);
      },
    },
    {
      area: "Status codes of refusals",
      title: "rewinding a terminated instance is 410",
      azure: "HttpApiHandler.cs:961-967",
      run: async () => {
        const id = await start("waitForever", "rewind-terminated-1");
        await terminated(id);
        assertEmpty(await post(`/instances/${id}/rewind?reason=x`), 410);
      },
    },
    {
      area: "Status codes of refusals",
      title: "rewinding a running instance is 500",
      azure: "DurableClient.cs:446-452 (InvalidOperationException), HttpApiHandler.cs:446-449",
      run: async () => {
        const id = await start("waitForever", "rewind-running-1");
        await running(id);
        assert.equal((await post(`/instances/${id}/rewind?reason=x`)).status, 500);
        await terminated(id);
      },
    },
    {
      area: "Status codes of refusals",
      title: "restarting an unknown instance is 400",
      azure: "DurableClient.cs:1146-1149 (ArgumentException), HttpApiHandler.cs:939-941",
      run: async () => assert.equal((await post("/instances/no-such-instance/restart")).status, 400),
    },
    {
      area: "Status codes of refusals",
      title: "restarting a running instance under its own id is 500",
      azure: "DurableClient.cs:1151-1152 (StartNewAsync under the same id, refused by the dedupe), HttpApiHandler.cs:446-449",
      run: async () => {
        const id = await start("waitForever", "restart-running-1");
        assert.equal((await post(`/instances/${id}/restart?restartWithNewInstanceId=false`)).status, 500);
        await terminated(id);
      },
    },
    {
      area: "Status codes of refusals",
      title: "terminating a completed instance is 410, whatever its id",
      azure: "HttpApiHandler.cs:797-800",
      run: async () => {
        for (const id of ["plain-1", "purge-job-1", "rewind-me-1", "already-exists-1"]) {
          await start("helloSequence", id);
          await finished(id);
          assertEmpty(await post(`/instances/${id}/terminate?reason=x`), 410);
        }
      },
    },
    {
      area: "Status codes of refusals",
      title: "raising an event named rewind to a completed instance is 410",
      azure: "HttpApiHandler.cs:991-998",
      run: async () => {
        const id = await start("helloSequence", "raise-rewind-1");
        await finished(id);
        assertEmpty(await post(`/instances/${id}/raiseEvent/rewind`, "1", json), 410);
      },
    },
    {
      area: "Status codes of refusals",
      title: "terminating a failed instance is 410",
      azure: "HttpApiHandler.cs:777-783 (IsCompletedStatus includes Failed), 797-800",
      run: async () => {
        const id = await start("throwsError", "terminate-failed-1");
        await finished(id);
        assertEmpty(await post(`/instances/${id}/terminate`), 410);
      },
    },
    {
      area: "Status codes of refusals",
      title: "suspending a completed instance is 410",
      azure: "HttpApiHandler.cs:821-824",
      run: async () => {
        const id = await start("helloSequence", "suspend-completed-1");
        await finished(id);
        assertEmpty(await post(`/instances/${id}/suspend`), 410);
      },
    },
    {
      area: "Status codes of refusals",
      title: "operations on an unknown instance are 404 with no body",
      azure: "HttpApiHandler.cs:792-795, 816-819, 840-843, 956-959, 985-989",
      run: async () => {
        for (const action of ["terminate", "suspend", "resume", "rewind"]) assertEmpty(await post(`/instances/nope/${action}`), 404);
        assertEmpty(await post("/instances/nope/raiseEvent/x", "1", json), 404);
        assertEmpty(await request(api("/instances/nope")), 404);
      },
    },
    {
      area: "Status codes of refusals",
      title: "starting an orchestrator the app does not have is 400",
      azure: "DurableTaskExtension.cs:1338-1341 (ArgumentException), HttpApiHandler.cs:442-445",
      run: async () => assert.equal((await post("/orchestrators/noSuchOrchestrator")).status, 400),
    },
    {
      area: "Status codes of refusals",
      title: "orchestration operations on an entity id are refused (400)",
      azure: "Azure sends the message to the entity's queue, where it cannot be processed",
      differs: "an entity cannot process a terminate or an event meant for an orchestration, so the emulator refuses it up front",
      run: async () => {
        assert.equal((await post("/entities/counter/refused?op=add", "1", json)).status, 202);
        const answer = await post("/instances/@counter@refused/terminate");
        assert.equal(answer.status, 400, answer.text);
      },
    },

    // ---------------------------------------------------------------- start
    {
      area: "Start (and start-and-wait)",
      title: "the check-status answer: 202, its links, Location and Retry-After 10",
      azure: "HttpApiHandler.cs:1211-1240",
      run: async () => {
        const answer = await post("/orchestrators/helloSequence/start-links-1");
        assert.equal(answer.status, 202);
        const body = answer.json();
        assert.deepEqual(Object.keys(body).sort(), [
          "id",
          "purgeHistoryDeleteUri",
          "restartPostUri",
          "resumePostUri",
          "sendEventPostUri",
          "statusQueryGetUri",
          "suspendPostUri",
          "terminatePostUri",
        ]);
        assert.equal(answer.headers.location, body.statusQueryGetUri);
        assert.equal(answer.headers["retry-after"], "10");
      },
    },
    {
      area: "Start (and start-and-wait)",
      title: "?timeout= alone does not wait: 202 at once",
      azure: "HttpApiHandler.cs:877-893 (waits only with both timeout and pollingInterval; Azure Storage has no poll-free wait, DurabilityProvider.cs:76)",
      run: async () => {
        const answer = await post("/orchestrators/waitForever/timeout-only-1?timeout=30");
        assert.equal(answer.status, 202);
        await terminated("timeout-only-1");
      },
    },
    {
      area: "Start (and start-and-wait)",
      title: "with timeout and pollingInterval, a completed output is JSON (a string output too)",
      azure: "HttpApiHandler.cs:258-261 (CreateResponse(OK, status.Output)), HttpRequestMessageExtensions.cs:24-32",
      run: async () => {
        const answer = await post("/orchestrators/needsFile/wait-output-1?timeout=30&pollingInterval=1", JSON.stringify(__filename));
        assert.equal(answer.status, 200, answer.text);
        assert.match(String(answer.headers["content-type"]), /^application\/json/);
        assert.equal(answer.json(), `found ${__filename}`);
      },
    },
    {
      area: "Start (and start-and-wait)",
      title: "a wait that runs out answers the check-status 202",
      azure: "HttpApiHandler.cs:245-254, 268-279",
      run: async () => {
        const answer = await post("/orchestrators/waitForever/wait-out-1?timeout=0.2&pollingInterval=0.1");
        assert.equal(answer.status, 202);
        assert.equal(answer.json().id, "wait-out-1");
        await terminated("wait-out-1");
      },
    },
    {
      area: "Start (and start-and-wait)",
      title: "a failed instance waited for answers its status with 200",
      azure: "HttpApiHandler.cs:263-266 (HandleGetStatusRequestAsync with returnInternalServerErrorOnFailure false)",
      run: async () => {
        const answer = await post("/orchestrators/throwsError/wait-failed-1?timeout=30&pollingInterval=1");
        assert.equal(answer.status, 200, answer.text);
        assert.equal(answer.json().runtimeStatus, "Failed");
      },
    },
    {
      area: "Start (and start-and-wait)",
      title: "a polling interval longer than the timeout is 400 (after the start)",
      azure: "HttpApiHandler.cs:204-207 (ArgumentException), 442-445",
      run: async () => {
        const answer = await post("/orchestrators/waitForever/wait-bad-1?timeout=1&pollingInterval=5");
        assert.equal(answer.status, 400);
        await terminated("wait-bad-1");
      },
    },
    {
      area: "Start (and start-and-wait)",
      title: '?version= is not read: the instance starts with version "" (with a warning)',
      azure: 'HttpApiHandler.cs:875 (StartNewAsync without a version), DurableClient.cs:32, 204-205 (DefaultVersion = "")',
      run: async () => {
        const answer = await post("/orchestrators/waitForever/versioned-1?version=2.0");
        assert.equal(answer.status, 202);
        assert.equal(server.emulator.engine.getRecord("versioned-1")?.version, undefined);
        assert.ok(
          warnings.some((w) => w.includes("versioned-1") && w.includes('"2.0"')),
          warnings.join("\n"),
        );
        await terminated("versioned-1");
      },
    },
    {
      area: "Start (and start-and-wait)",
      title: "a body that is not JSON is 400 Invalid JSON content",
      azure: "HttpApiHandler.cs:868-873, 895-898",
      run: async () => {
        const answer = await post("/orchestrators/helloSequence", "{not json");
        assert.equal(answer.status, 400);
        assert.equal(answer.json().Message, "Invalid JSON content");
        assert.equal(answer.json().ExceptionType, "Newtonsoft.Json.JsonReaderException");
      },
    },

    // ---------------------------------------------------------------- status
    {
      area: "Instance status",
      title: "an unfinished instance: 202, Location is the request's own URL, Retry-After 5",
      azure: "HttpApiHandler.cs:646-653, 680-689",
      run: async () => {
        const id = await start("waitForever", "status-running-1");
        const url = api(`/instances/${id}?showInput=true&taskHub=TestHubName`);
        const answer = await request(url);
        assert.equal(answer.status, 202);
        assert.equal(answer.headers.location, url);
        assert.equal(answer.headers["retry-after"], "5");
        await terminated(id);
      },
    },
    {
      area: "Instance status",
      title: "a finished instance: 200 without Location",
      azure: "HttpApiHandler.cs:661-667, 680-683",
      run: async () => {
        const answer = await finished(await start("helloSequence", "status-done-1"));
        assert.equal(answer.status, 200);
        assert.equal(answer.headers.location, undefined);
        assert.equal(answer.headers["retry-after"], undefined);
      },
    },
    {
      area: "Instance status",
      title: "a failed instance is 200, or 500 with returnInternalServerErrorOnFailure=true",
      azure: "HttpApiHandler.cs:655-659",
      run: async () => {
        const id = await start("throwsError", "status-failed-1");
        assert.equal((await finished(id)).status, 200);
        assert.equal((await request(api(`/instances/${id}?returnInternalServerErrorOnFailure=true`))).status, 500);
      },
    },
    {
      area: "Instance status",
      title: "times are written without fractions of a second",
      azure: 'HttpApiHandler.cs:713-714 (ToString("s") + "Z")',
      run: async () => {
        const status = (await finished(await start("helloSequence", "status-times-1"))).json();
        assert.match(status.createdTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        assert.match(status.lastUpdatedTime, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      },
    },
    {
      area: "Instance status",
      title: "a suspended instance shows the suspend reason as its output",
      azure: "AzureTableTrackingStore.cs:1029-1039 (Output = ExecutionSuspendedEvent.Reason), DurableClient.cs:1095-1118",
      run: async () => {
        const id = await start("waitForever", "status-suspended-1");
        await running(id);
        assert.equal((await post(`/instances/${id}/suspend?reason=${encodeURIComponent("for maintenance")}`)).status, 202);
        const suspended = await until(id, (s) => s.runtimeStatus === "Suspended");
        assert.equal(suspended.json().output, "for maintenance");
        await terminated(id);
      },
    },
    {
      area: "Instance status",
      title: "a termination reason that is JSON text becomes that JSON value",
      azure: "AzureTableTrackingStore.cs:1017-1027 (Output = the reason's text), DurableClient.cs:1095-1118 (ParseToJToken)",
      run: async () => {
        const id = await start("waitForever", "status-reason-1");
        await terminated(id, "42");
        assert.equal((await request(api(`/instances/${id}`))).json().output, 42);
      },
    },
    {
      area: "Instance status",
      title: "query names and booleans in any letter case (SHOWINPUT=False)",
      azure: "HttpRequestMessageExtensions.cs:66 (OrdinalIgnoreCase), HttpApiHandler.cs:753-757 (bool.TryParse)",
      run: async () => {
        const id = await start("waitForever", "status-case-1", { secret: 1 });
        assert.equal((await request(api(`/instances/${id}?SHOWINPUT=False`))).json().input, null);
        assert.deepEqual((await request(api(`/instances/${id}`))).json().input, { secret: 1 });
        await terminated(id);
      },
    },
    {
      area: "Instance status",
      title: "historyEvents is left out without showHistory",
      azure: "StatusResponsePayload.cs:66 (EmitDefaultValue = false), HttpApiHandler.cs:607-610",
      run: async () => {
        const status = (await finished(await start("helloSequence", "status-nohistory-1"))).json();
        assert.equal("historyEvents" in status, false);
      },
    },

    // ---------------------------------------------------------------- history
    {
      area: "History (historyEvents)",
      title: "an activity still in flight shows as its TaskScheduled event",
      azure: "DurableClient.cs:960-963 (kept), 1031-1037 (only scheduling events matched by a completion are removed)",
      run: async () => {
        const gate = path.join(tempDir(), "gate");
        const id = await start("gatedStep", "history-inflight-1", gate);
        const answer = await until(
          id,
          (s) => Array.isArray(s.historyEvents) && (s.historyEvents as { EventType: string }[]).some((e) => e.EventType === "TaskScheduled"),
          "?showHistory=true",
        );
        const scheduled = (answer.json().historyEvents as Record<string, unknown>[]).find((e) => e.EventType === "TaskScheduled") as Record<string, unknown>;
        assert.equal(scheduled.Name, "waitForFile");
        // Wrapped in an array, as DurableTask.Core scheduled it (TaskOrchestrationContext.cs:130, SerializeInternal(object[])).
        assert.equal(scheduled.Input, `[${JSON.stringify(gate)}]`);
        fs.writeFileSync(gate, "");
        await finished(id);
      },
    },
    {
      area: "History (historyEvents)",
      title: "inputs are shown by default, as the raw JSON text",
      azure: "DurableClient.cs:1064-1077 (a completion takes its TaskScheduled Input when showInput), 990-998",
      run: async () => {
        const id = await start("countChain", "history-inputs-1", 1);
        await finished(id);
        const events = (await request(api(`/instances/${id}?showHistory=true`))).json().historyEvents as Record<string, unknown>[];
        const started = events.find((e) => e.EventType === "ExecutionStarted") as Record<string, unknown>;
        assert.equal(started.Input, "1");
        assert.equal(started.FunctionName, "countChain");
        const completed = events.find((e) => e.EventType === "TaskCompleted") as Record<string, unknown>;
        assert.equal(typeof completed.Input, "string");
        assert.equal(completed.FunctionName, "add");
        assert.equal("Result" in completed, false, "no result without showHistoryOutput");
      },
    },
    {
      area: "History (historyEvents)",
      title: "showInput=false takes every Input out",
      azure: "DurableClient.cs:1021-1024",
      run: async () => {
        const id = await start("countChain", "history-noinput-1", 1);
        await finished(id);
        const events = (await request(api(`/instances/${id}?showHistory=true&showInput=false`))).json().historyEvents as Record<string, unknown>[];
        assert.ok(events.every((e) => !("Input" in e)));
      },
    },
    {
      area: "History (historyEvents)",
      title: "results only with showHistoryOutput, parsed",
      azure: "DurableClient.cs:968-973, 1005-1010, 1120-1128",
      run: async () => {
        const id = await start("countChain", "history-output-1", 1);
        await finished(id);
        const events = (await request(api(`/instances/${id}?showHistory=true&showHistoryOutput=true`))).json().historyEvents as Record<string, unknown>[];
        assert.equal((events.find((e) => e.EventType === "TaskCompleted") as Record<string, unknown>).Result, 1);
        assert.equal((events.find((e) => e.EventType === "ExecutionCompleted") as Record<string, unknown>).Result, 1);
      },
    },
    {
      area: "History (historyEvents)",
      title: "a termination shows its reason as Input, raw",
      azure: "ExecutionTerminatedEvent.Input (DurableTask.Core History/ExecutionTerminatedEvent.cs), untouched by DurableClient.cs:951-1028",
      run: async () => {
        const id = await start("waitForever", "history-terminate-1");
        await running(id);
        await terminated(id, "no longer needed");
        const events = (await request(api(`/instances/${id}?showHistory=true`))).json().historyEvents as Record<string, unknown>[];
        const terminate = events.find((e) => e.EventType === "ExecutionTerminated") as Record<string, unknown>;
        assert.equal(terminate.Input, "no longer needed");
        assert.equal("Reason" in terminate, false);
      },
    },
    {
      area: "History (historyEvents)",
      title: "no EventId, IsPlayed, OrchestratorStarted or OrchestratorCompleted; TimerFired without TimerId",
      azure: "DurableClient.cs:1012-1017, 1026-1027",
      run: async () => {
        const id = await start("approvalRace", "history-shape-1", { timeoutSeconds: 0.05 });
        await finished(id);
        const events = (await request(api(`/instances/${id}?showHistory=true`))).json().historyEvents as Record<string, unknown>[];
        assert.ok(events.every((e) => !("EventId" in e) && !("IsPlayed" in e)));
        assert.ok(events.every((e) => e.EventType !== "OrchestratorStarted" && e.EventType !== "OrchestratorCompleted"));
        const fired = events.find((e) => e.EventType === "TimerFired") as Record<string, unknown>;
        assert.ok(fired && "FireAt" in fired && !("TimerId" in fired));
      },
    },
    {
      area: "History (historyEvents)",
      title: "a finished sub-orchestration takes FunctionName and ScheduledTime, and its creation event goes",
      azure: "DurableClient.cs:975-989, 1059-1077",
      run: async () => {
        const id = await start("parentOfChain", "history-sub-1");
        await finished(id);
        const events = (await request(api(`/instances/${id}?showHistory=true`))).json().historyEvents as Record<string, unknown>[];
        assert.equal(events.filter((e) => e.EventType === "SubOrchestrationInstanceCreated").length, 0);
        const completed = events.filter((e) => e.EventType === "SubOrchestrationInstanceCompleted");
        assert.deepEqual(
          completed.map((e) => e.FunctionName),
          ["helloSequence", "countChain"],
        );
        assert.ok(completed.every((e) => typeof e.ScheduledTime === "string" && !("TaskScheduledId" in e)));
      },
    },

    // ---------------------------------------------------------------- listing
    {
      area: "Listing instances",
      title: "without top, pages of 100 with x-ms-continuation-token; the last page's header is empty",
      azure: "OrchestrationStatusQueryCondition.cs:64 (PageSize = 100), HttpApiHandler.cs:485-509, HttpApiHandlerTests.cs:536",
      run: async () => {
        for (let i = 0; i < 105; i++) await start("waitForever", `page-${String(i).padStart(3, "0")}`);
        const first = await request(api("/instances?instanceIdPrefix=page-"));
        assert.equal(first.json().length, 100);
        const token = first.headers["x-ms-continuation-token"];
        assert.ok(token);
        const second = await request(api("/instances?instanceIdPrefix=page-"), { headers: { "x-ms-continuation-token": String(token) } });
        assert.equal(second.json().length, 5);
        assert.equal(second.headers["x-ms-continuation-token"], "");
        const ids = [...first.json(), ...second.json()].map((s: { instanceId: string }) => s.instanceId);
        assert.equal(new Set(ids).size, 105);
      },
    },
    {
      area: "Listing instances",
      title: "the durable client's getStatusAll follows the tokens to every instance",
      azure: "durable-functions DurableClient.getStatusInternal follows x-ms-continuation-token (lib/src/durableClient/DurableClient.js)",
      run: async () => {
        const answer = await request(`${origin}/api/client/getStatusAll`, { method: "POST", body: "{}" });
        assert.equal(answer.status, 200, answer.text);
        const ids = (answer.json().result as { instanceId: string }[]).map((s) => s.instanceId);
        assert.ok(ids.filter((id) => id.startsWith("page-")).length === 105, `${ids.length} listed`);
      },
    },
    {
      area: "Listing instances",
      title: "instances are listed in instance id order",
      azure: "AzureTableTrackingStore.cs:553-559 (a table query: rows come in PartitionKey order, the partition key being the instance id)",
      run: async () => {
        for (const id of ["order-b", "order-c", "order-a"]) await start("waitForever", id);
        const ids = (await request(api("/instances?instanceIdPrefix=order-"))).json().map((s: { instanceId: string }) => s.instanceId);
        assert.deepEqual(ids, ["order-a", "order-b", "order-c"]);
      },
    },
    {
      area: "Listing instances",
      title: "the list never carries history, even with showHistory=true",
      azure: "HttpApiHandler.cs:495-505 (ListInstancesAsync fetches no history; ConvertFrom, 703-717)",
      run: async () => {
        const list = (await request(api("/instances?instanceIdPrefix=order-&showHistory=true"))).json();
        assert.ok(list.length > 0 && list.every((s: object) => !("historyEvents" in s)));
      },
    },
    {
      area: "Listing instances",
      title: "a date that does not parse is ignored, not a 400",
      azure: "HttpApiHandler.cs:465-473, 747-751 (DateTime.TryParse)",
      run: async () => {
        const answer = await request(api("/instances?instanceIdPrefix=order-&createdTimeFrom=yesterday"));
        assert.equal(answer.status, 200);
        assert.equal(answer.json().length, 3);
      },
    },
    {
      area: "Listing instances",
      title: "a runtime status that is not a name is ignored (Bogus, or running in lower case)",
      azure: "HttpApiHandler.cs:719-739 (Enum.TryParse, case-sensitive; no status parsed: no filter)",
      run: async () => {
        for (const status of ["Bogus", "running"]) {
          const answer = await request(api(`/instances?instanceIdPrefix=order-&runtimeStatus=${status}`));
          assert.equal(answer.status, 200);
          assert.equal(answer.json().length, 3, status);
        }
      },
    },
    {
      area: "Listing instances",
      title: "a runtime status may be given by number (1 is Completed)",
      azure: "HttpApiHandler.cs:727 (Enum.TryParse takes the underlying value), OrchestrationRuntimeStatus.cs:27",
      run: async () => {
        const id = await start("helloSequence", "order-done");
        await finished(id);
        const list = (await request(api("/instances?instanceIdPrefix=order-&runtimeStatus=1"))).json();
        assert.deepEqual(
          list.map((s: { instanceId: string }) => s.instanceId),
          [id],
        );
      },
    },
    {
      area: "Listing instances",
      title: "runtimeStatus=Unknown is 400",
      azure: 'AzureStorageDurabilityProvider.cs:216-217 (Enum.Parse of "Unknown" into OrchestrationStatus throws ArgumentException), HttpApiHandler.cs:442-445',
      run: async () => assert.equal((await request(api("/instances?runtimeStatus=Unknown"))).status, 400),
    },
    {
      area: "Listing instances",
      title: "a top that does not parse is ignored",
      azure: "HttpApiHandler.cs:485-488, 759-763 (int.TryParse)",
      run: async () => {
        const answer = await request(api("/instances?instanceIdPrefix=order-&top=lots"));
        assert.equal(answer.status, 200);
        assert.equal(answer.json().length, 4);
      },
    },
    {
      area: "Listing instances",
      title: "query names in any letter case (RUNTIMESTATUS, TOP)",
      azure: "HttpRequestMessageExtensions.cs:66",
      run: async () => {
        const answer = await request(api("/instances?INSTANCEIDPREFIX=order-&RUNTIMESTATUS=Completed&TOP=5"));
        assert.deepEqual(
          answer.json().map((s: { instanceId: string }) => s.instanceId),
          ["order-done"],
        );
      },
    },
    {
      area: "Listing instances",
      title: "durable entities are left out of the list",
      azure: "OrchestrationInstanceStatusQueryCondition.cs:73 (ExcludeEntities = false): Azure lists entity rows too",
      differs: "an entity's row in Azure holds the entity scheduler's internal state, which the emulator does not model",
      run: async () => {
        assert.equal((await post("/entities/counter/listed?op=add", "1", json)).status, 202);
        const list = (await request(api("/instances?instanceIdPrefix=@"))).json();
        assert.deepEqual(list, []);
      },
    },

    // ---------------------------------------------------------------- purging
    {
      area: "Purging",
      title: "purging a running instance deletes it (200), with a warning",
      azure: "HttpApiHandler.cs:554-567 (no status check), AzureTableTrackingStore.cs:717-746",
      run: async () => {
        const id = await start("waitForever", "purge-running-1");
        await running(id);
        const answer = await request(api(`/instances/${id}`), { method: "DELETE" });
        assert.equal(answer.status, 200, answer.text);
        assert.deepEqual(answer.json(), { instancesDeleted: 1 });
        assertEmpty(await request(api(`/instances/${id}`)), 404);
        assert.ok(
          warnings.some((w) => w.includes(id) && /Running/.test(w)),
          warnings.join("\n"),
        );
      },
    },
    {
      area: "Purging",
      title: "purging an unknown instance is 404 with no body",
      azure: "HttpApiHandler.cs:559-563",
      run: async () => assertEmpty(await request(api("/instances/never-was"), { method: "DELETE" }), 404),
    },
    {
      area: "Purging",
      title: "a purge by filter without createdTimeFrom is 400 with a JSON string",
      azure: "HttpApiHandler.cs:573-579",
      run: async () => {
        const answer = await request(api("/instances?runtimeStatus=Completed"), { method: "DELETE" });
        assert.equal(answer.status, 400);
        assert.equal(answer.json(), "Please provide value for 'createdTimeFrom' parameter.");
      },
    },
    {
      area: "Purging",
      title: "a filter naming only unfinished statuses purges every status in the time range, running ones included",
      azure:
        "AzureTableTrackingStore.cs:756-762 (only finished statuses kept), OrchestrationInstanceStatusQueryCondition.cs:125-128 (an empty list filters nothing)",
      run: async () => {
        // Nothing else is created in the range: this case owns it.
        const from = new Date().toISOString();
        const id = await start("waitForever", "purge-filter-1");
        const done = await start("helloSequence", "purge-filter-2");
        await finished(done);
        const to = new Date(Date.now() + 1000).toISOString();
        const answer = await request(api(`/instances?createdTimeFrom=${from}&createdTimeTo=${to}&runtimeStatus=Running`), { method: "DELETE" });
        assert.equal(answer.status, 200, answer.text);
        assert.ok(answer.json().instancesDeleted >= 2);
        assertEmpty(await request(api(`/instances/${id}`)), 404);
        assertEmpty(await request(api(`/instances/${done}`)), 404);
      },
    },
    {
      area: "Purging",
      title: "a purge by filter ignores instanceIdPrefix",
      azure: "HttpApiHandler.cs:569-596 (reads createdTimeFrom, createdTimeTo and runtimeStatus only)",
      run: async () => {
        const from = new Date().toISOString();
        const a = await start("helloSequence", "prefix-x-1");
        const b = await start("helloSequence", "prefix-y-1");
        await finished(a);
        await finished(b);
        const answer = await request(api(`/instances?createdTimeFrom=${from}&instanceIdPrefix=prefix-x&runtimeStatus=Completed`), { method: "DELETE" });
        assert.equal(answer.status, 200);
        assertEmpty(await request(api(`/instances/${b}`)), 404);
      },
    },
    {
      area: "Purging",
      title: "a purge by filter that matches nothing is 404 with no body",
      azure: "HttpApiHandler.cs:590-593",
      run: async () =>
        assertEmpty(await request(api(`/instances?createdTimeFrom=${new Date(Date.now() + 3600_000).toISOString()}`), { method: "DELETE" }), 404),
    },

    // ---------------------------------------------------------------- raising events
    {
      area: "Raising events",
      title: "text/plain is 400: only application/json",
      azure: "HttpApiHandler.cs:1000-1004",
      run: async () => {
        const id = await start("waitForever", "raise-text-1");
        const answer = await post(`/instances/${id}/raiseEvent/never`, "hello", { "Content-Type": "text/plain" });
        assert.equal(answer.status, 400);
        assert.deepEqual(answer.json(), { Message: "Only application/json request content is supported" });
        await terminated(id);
      },
    },
    {
      area: "Raising events",
      title: "a form body is 400",
      azure: "HttpApiHandler.cs:1000-1004",
      run: async () => {
        const id = await start("waitForever", "raise-form-1");
        assert.equal((await post(`/instances/${id}/raiseEvent/never`, "a=1", { "Content-Type": "application/x-www-form-urlencoded" })).status, 400);
        await terminated(id);
      },
    },
    {
      area: "Raising events",
      title: "no Content-Type is 400",
      azure: "HttpApiHandler.cs:1000-1004 (no media type)",
      run: async () => {
        const id = await start("waitForever", "raise-none-1");
        assert.equal((await post(`/instances/${id}/raiseEvent/never`, "1")).status, 400);
        await terminated(id);
      },
    },
    {
      area: "Raising events",
      title: "an empty application/json body is 400 Invalid JSON content",
      azure: "HttpApiHandler.cs:1006-1016, MessagePayloadDataConverter.cs:77-90 (JToken.Load of nothing throws)",
      run: async () => {
        const id = await start("waitForever", "raise-empty-1");
        const answer = await post(`/instances/${id}/raiseEvent/never`, "", json);
        assert.equal(answer.status, 400);
        assert.equal(answer.json().Message, "Invalid JSON content");
        await terminated(id);
      },
    },
    {
      area: "Raising events",
      title: "application/json with a charset is accepted, and the data arrives",
      azure: "HttpApiHandler.cs:1000-1001 (the media type is compared), 1018-1019",
      run: async () => {
        const id = await start("waitForever", "raise-ok-1");
        assert.equal(
          (await post(`/instances/${id}/raiseEvent/never`, JSON.stringify({ a: 1 }), { "Content-Type": "application/json; charset=utf-8" })).status,
          202,
        );
        assert.deepEqual((await finished(id)).json().output, { a: 1 });
      },
    },
    {
      area: "Raising events",
      title: "text after the JSON value is ignored",
      azure: "MessagePayloadDataConverter.cs:83-85 (JToken.Load reads one value and stops)",
      run: async () => {
        const id = await start("waitForever", "raise-trailing-1");
        assert.equal((await post(`/instances/${id}/raiseEvent/never`, '{"a":1}}', json)).status, 202);
        assert.deepEqual((await finished(id)).json().output, { a: 1 });
      },
    },
    {
      area: "Raising events",
      title: "a finished instance is 410 before the content type is looked at",
      azure: "HttpApiHandler.cs:991-998 before 1000-1004",
      run: async () => {
        const id = await start("helloSequence", "raise-gone-1");
        await finished(id);
        assertEmpty(await post(`/instances/${id}/raiseEvent/x`, "text", { "Content-Type": "text/plain" }), 410);
      },
    },

    // ---------------------------------------------------------------- entities
    {
      area: "Entities",
      title: 'a signal without ?op is accepted (operation "")',
      azure: "HttpApiHandler.cs:1060 (?? string.Empty), HttpApiHandlerTests.cs:1480-1488 (hasOp false)",
      run: async () => assert.equal((await post("/entities/counter/no-op", "1", json)).status, 202),
    },
    {
      area: "Entities",
      title: "DELETE signals the delete operation",
      azure: "HttpApiHandler.cs:333-336, 1054-1057",
      run: async () => {
        assert.equal((await post("/entities/counter/deleted?op=add", "3", json)).status, 202);
        await entityState("counter", "deleted", (state) => state === 3);
        assert.equal((await request(api("/entities/counter/deleted"), { method: "DELETE" })).status, 202);
        await entityGone("counter", "deleted");
      },
    },
    {
      area: "Entities",
      title: "a body that is not application/json is the operation's input as a string",
      azure: "HttpApiHandler.cs:1084-1087",
      run: async () => {
        assert.equal((await post("/entities/counter/text?op=add", "5", { "Content-Type": "text/plain" })).status, 202);
        // The counter adds its input to 0: the string "5" makes "05".
        await entityState("counter", "text", (state) => state === "05");
      },
    },
    {
      area: "Entities",
      title: "an application/json body is parsed",
      azure: "HttpApiHandler.cs:1073-1078",
      run: async () => {
        assert.equal((await post("/entities/counter/json?op=add", "5", json)).status, 202);
        await entityState("counter", "json", (state) => state === 5);
      },
    },
    {
      area: "Entities",
      title: "application/json that does not parse is 400 Could not parse JSON content",
      azure: "HttpApiHandler.cs:1079-1082",
      run: async () => {
        const answer = await post("/entities/counter/bad?op=add", "{", json);
        assert.equal(answer.status, 400);
        assert.match(answer.json().Message, /^Could not parse JSON content: /);
      },
    },
    {
      area: "Entities",
      title: "reading an entity that does not exist is 404 with no body",
      azure: "HttpApiHandler.cs:1036-1039",
      run: async () => assertEmpty(await request(api("/entities/counter/never-signalled")), 404),
    },
    {
      area: "Entities",
      title: "the entity list: state only with fetchState, and the continuation header",
      azure: "HttpApiHandler.cs:537-550, DurableEntityStatus.cs:87-88, EntityQuery.cs:31",
      run: async () => {
        const plain = await request(api("/entities/counter"));
        assert.equal(plain.status, 200);
        assert.equal(plain.headers["x-ms-continuation-token"], "");
        const json5 = plain.json().find((e: { entityId: { key: string } }) => e.entityId.key === "json");
        assert.deepEqual(json5, { entityId: { name: "counter", key: "json" }, lastOperationTime: json5.lastOperationTime, state: null });
        const withState = (await request(api("/entities/counter?fetchState=true"))).json();
        assert.equal(withState.find((e: { entityId: { key: string } }) => e.entityId.key === "json").state, 5);
      },
    },
    {
      area: "Entities",
      title: "a signal without an entity name is 400",
      azure: "EntityScheduler/EntityId.cs:22-26 (ArgumentNullException), HttpApiHandler.cs:343-346",
      run: async () => assert.equal((await post("/entities?op=add", "1", json)).status, 400),
    },

    // ---------------------------------------------------------------- error bodies
    {
      area: "Error bodies",
      title: "a 500 has Message, ExceptionMessage, ExceptionType and StackTrace",
      azure: "HttpApiHandler.cs:446-449, HttpRequestMessageExtensions.cs:46-62",
      run: async () => {
        const id = await start("waitForever", "body-500-1");
        await running(id);
        const body = (await post(`/instances/${id}/resume`)).json();
        assert.deepEqual(Object.keys(body).sort(), ["ExceptionMessage", "ExceptionType", "Message", "StackTrace"]);
        assert.equal(body.Message, "Something went wrong while processing your request");
        assert.equal(body.ExceptionType, "System.InvalidOperationException");
        await terminated(id);
      },
    },
    {
      area: "Error bodies",
      title: "a 400 from a bad argument says One or more of the arguments submitted is incorrect",
      azure: "HttpApiHandler.cs:442-445",
      run: async () => {
        const body = (await post("/orchestrators/noSuchOrchestrator")).json();
        assert.equal(body.Message, "One or more of the arguments submitted is incorrect");
        assert.equal(body.ExceptionType, "System.ArgumentException");
      },
    },
    {
      area: "Error bodies",
      title: "a restart of an unknown instance says InstanceId does not match a valid orchestration instance.",
      azure: "HttpApiHandler.cs:939-941",
      run: async () =>
        assert.equal((await post("/instances/no-such-instance/restart")).json().Message, "InstanceId does not match a valid orchestration instance."),
    },
    {
      area: "Error bodies",
      title: "404 and 410 answers have no body and no Content-Type",
      azure: "HttpRequestMessageExtensions.cs:15-22 (CreateResponse without content)",
      run: async () => {
        const answer = await request(api("/instances/nope"));
        assertEmpty(answer, 404);
        assert.equal(answer.headers["content-type"], undefined);
      },
    },
  ];

  /** Polls an entity's state until `done` holds. */
  async function entityState(name: string, key: string, done: (state: unknown) => boolean): Promise<void> {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const answer = await request(api(`/entities/${name}/${key}`));
      if (answer.status === 200 && done(answer.json())) return;
      if (Date.now() > deadline) throw new Error(`entity ${name}/${key}: ${answer.status} ${answer.text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
  async function entityGone(name: string, key: string): Promise<void> {
    const deadline = Date.now() + 60_000;
    while ((await request(api(`/entities/${name}/${key}`))).status !== 404) {
      if (Date.now() > deadline) throw new Error(`entity ${name}/${key} still exists`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  before(async () => {
    server = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, appOutput: devNull() });
    origin = server.http.origin;
    server.emulator.engine.on((event: EngineEvent) => {
      if (event.kind === "warning") warnings.push(event.message);
    });
  });
  after(async () => {
    await server?.close();
  });

  for (const area of AREAS) {
    describe(area, () => {
      for (const testCase of cases.filter((c) => c.area === area)) {
        it(`${testCase.title}${testCase.differs ? " (documented difference)" : ""} [${testCase.azure}]`, async () => {
          await testCase.run();
          passed.add(testCase);
        });
      }
    });
  }

  // Its own suite, after the areas': mocha runs a suite's own tests before its child suites.
  describe("the conformance table", () => {
    it("prints the conformance table, and docs/fidelity.md holds the same", () => {
      assert.deepEqual(
        cases.filter((c) => !AREAS.includes(c.area as (typeof AREAS)[number])).map((c) => c.title),
        [],
        "every case belongs to an area of the table",
      );
      assert.deepEqual(
        cases.filter((c) => !passed.has(c)).map((c) => c.title),
        [],
        "every case above must pass before the table means anything",
      );
      assertDocTable(DOC, { start: TABLE_START, end: TABLE_END }, conformanceTable(AREAS, cases, "HTTP API"), "table");
    });
  });
});
