/**
 * Runtime conformance with Azure: the features the official durable-functions samples (samples-js, samples-ts) and
 * the package's own test orchestrations (test/testobjects) exercise, run through a fresh app written for this test
 * (test/fixtures/conformance) on the real emulator, with the real durable-functions package in the app. Each case
 * pins what Azure does, citing where that comes from; a case marked `differs` is a documented difference: it checks
 * the emulator's current behaviour, checks the README's "Where the emulator deliberately differs from Azure" lists
 * it, and does not count as a match. The last test prints the conformance table and checks docs/fidelity.md holds
 * the same one.
 *
 * Sources (at the mirrored commits; "ext/" is Azure/azure-functions-durable-extension
 * src/WebJobs.Extensions.DurableTask/, "dtfx/" is Azure/durabletask src/DurableTask.Core/, "df/" is
 * durable-functions 3.5.0's lib/src/ as installed).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as path from "node:path";
import { HistoryEventType as T, isTerminal, startServer, type EmulatorServer, type Engine, type InstanceStatus } from "../../emulator";
import { request, type Answer } from "../http/http-client";
import { devNull, tempDir, waitFor, type StoreKind } from "./harness";
import { assertDocTable, conformanceTable } from "../conformance-table";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const APP = path.join(ROOT, "test", "fixtures", "conformance");
const DOC = path.join(ROOT, "docs", "fidelity.md");
const README = path.join(ROOT, "README.md");
const TABLE_START = "<!-- runtime-conformance:start -->";
const TABLE_END = "<!-- runtime-conformance:end -->";

const AREAS = [
  "Activities and chaining",
  "Fan-out, fan-in and races",
  "Sub-orchestrations",
  "Retries",
  "Errors",
  "Continue-as-new",
  "Orchestration context",
  "Timers",
  "External events",
  "Entities",
  "Critical sections",
  "Durable HTTP",
  "Durable client",
] as const;
type Area = (typeof AREAS)[number];

const HOUR = 3600_000;
const GUID_N = /^[0-9a-f]{32}$/;
const UUID_V5 = /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What a case runs against: one emulator (with its HTTP host) on one store. */
interface Env {
  store: StoreKind;
  engine: Engine;
  origin: string;
  /** The emulator's warnings so far. */
  warnings: string[];
  /** A loopback server for the durable HTTP cases. */
  web: TestServer;
}

interface Case {
  area: Area;
  title: string;
  /** Where Azure's behaviour comes from. */
  azure: string;
  /** Set for a documented difference: why the emulator does otherwise. */
  differs?: string;
  /** For a documented difference: words the README's differences section says it with. */
  readme?: string;
  /** Run on the sql.js store too (one case of each area is). */
  sqljs?: boolean;
  run: (env: Env) => Promise<void>;
}

interface TestServer {
  url: (p: string) => string;
  /** The requests seen, as "METHOD /path". */
  seen: { method: string; path: string; headers: http.IncomingHttpHeaders; body: string }[];
  close: () => void;
}

async function startWeb(): Promise<TestServer> {
  const seen: TestServer["seen"] = [];
  const polls = new Map<string, number>();
  let port = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk) => chunks.push(chunk));
    req.on("end", () => {
      const url = new URL(req.url ?? "/", "http://x");
      const body = Buffer.concat(chunks).toString("utf8");
      seen.push({ method: req.method ?? "", path: url.pathname + url.search, headers: req.headers, body });
      if (url.pathname === "/stock") return res.writeHead(200, { "Content-Type": "text/plain" }).end("in stock");
      if (url.pathname === "/orders")
        return res
          .writeHead(201, { "Content-Type": "application/json" })
          .end(JSON.stringify({ method: req.method, body, orderHeader: req.headers["x-order-id"] ?? null }));
      if (url.pathname === "/broken") return res.writeHead(500).end("warehouse on fire");
      if (url.pathname === "/report") {
        // An async job: 202 with an absolute Location; the status answers 202 once more, then 200.
        return res.writeHead(202, { Location: `http://127.0.0.1:${port}/report/status?job=${url.searchParams.get("job")}`, "Retry-After": "0" }).end();
      }
      if (url.pathname === "/report/status") {
        const job = url.searchParams.get("job") ?? "";
        const count = (polls.get(job) ?? 0) + 1;
        polls.set(job, count);
        if (count < 2) return res.writeHead(202, { Location: `http://127.0.0.1:${port}/report/status?job=${job}`, "Retry-After": "0" }).end();
        return res.writeHead(200, { "Content-Type": "text/plain" }).end(`report ${job} ready after ${count} polls`);
      }
      res.writeHead(404).end("no such page");
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
  return { url: (p) => `http://127.0.0.1:${port}${p}`, seen, close: () => server.close() };
}

// ---------------------------------------------------------------- helpers the cases share

let counter = 0;
/** A fresh instance id (or entity key) for a case. */
const fresh = (prefix: string) => `${prefix}-${++counter}`;

async function start(env: Env, name: string, input?: unknown, instanceId?: string): Promise<string> {
  return env.engine.startNew(name, { input, instanceId });
}
async function finished(env: Env, id: string): Promise<InstanceStatus> {
  return env.engine.waitForCompletion(id, 60_000);
}
/** Starts an orchestration and waits for it to finish. */
async function run(env: Env, name: string, input?: unknown, instanceId?: string): Promise<InstanceStatus & { id: string }> {
  const id = await start(env, name, input, instanceId);
  return { ...(await finished(env, id)), id };
}
async function completed(env: Env, name: string, input?: unknown, instanceId?: string): Promise<unknown> {
  const status = await run(env, name, input, instanceId);
  assert.equal(status.runtimeStatus, "Completed", JSON.stringify(status.failure ?? status.output));
  return status.output;
}
async function failed(env: Env, name: string, input?: unknown): Promise<string> {
  const status = await run(env, name, input);
  assert.equal(status.runtimeStatus, "Failed", JSON.stringify(status.output));
  return String(status.output);
}
/** Waits until the instance's orchestrator waits for the named external event. */
async function waitingFor(env: Env, id: string, event: string): Promise<void> {
  await waitFor(() => env.engine.getRecord(id)?.waitingForEvents?.includes(event) === true, 60_000);
}
/** Waits until the emulator has nothing left to do right now. */
async function settled(env: Env): Promise<void> {
  await env.engine.whenIdle();
}
function history(env: Env, id: string) {
  return env.engine.getHistory(id);
}

const json = { "Content-Type": "application/json" };
/** One durable client call through the app's own HTTP function (df.getClient in the app). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each case reads the JSON its own call answers
async function client(env: Env, action: string, args: Record<string, unknown> = {}): Promise<{ result?: any; error?: string }> {
  const answer = await request(`${env.origin}/api/admin/${action}`, { method: "POST", body: JSON.stringify(args), headers: json });
  assert.equal(answer.status, 200, `${action}: ${answer.status} ${answer.text}`);
  return answer.json();
}
async function post(env: Env, route: string, body?: unknown): Promise<Answer> {
  return request(`${env.origin}/api/${route}`, { method: "POST", body: body === undefined ? undefined : JSON.stringify(body), headers: json });
}
async function entityState(env: Env, name: string, key: string): Promise<{ entityExists: boolean; entityState?: unknown }> {
  const answer = await client(env, "readEntityState", { entity: { name, key } });
  assert.equal(answer.error, undefined, answer.error);
  return answer.result;
}
/** Waits until the entity's state (read through the app's client) satisfies `done`. */
async function entityReaches(
  env: Env,
  name: string,
  key: string,
  done: (state: { entityExists: boolean; entityState?: unknown }) => boolean,
): Promise<{ entityExists: boolean; entityState?: unknown }> {
  let last: { entityExists: boolean; entityState?: unknown } | undefined;
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    last = await entityState(env, name, key);
    if (done(last)) return last;
    await settled(env);
  }
  throw new Error(`entity ${name}/${key} never reached the state: last ${JSON.stringify(last)}`);
}
function firstLine(message: string): string {
  return message.split(" \n ")[0];
}

// ---------------------------------------------------------------- the cases

const cases: Case[] = [
  // ---------------------------------------------------------------- activities and chaining
  {
    area: "Activities and chaining",
    title: "a chain of activities returns their results in order",
    azure: "samples-js/functions/sayHello.js:5-15 (helloSequence); ext/Listener/OutOfProcOrchestrationShim.cs:93-96 (SetOutput of the package's output)",
    sqljs: true,
    run: async (env) => assert.deepEqual(await completed(env, "receiptHeader"), ["Welcome, Ines!", "Welcome, Kofi!", "Welcome, Mei!"]),
  },
  {
    area: "Activities and chaining",
    title: "the input reaches the orchestrator and each activity; the output is the orchestrator's return value",
    azure: "ext/Bindings/OrchestrationTriggerAttributeBindingProvider.cs (input), OutOfProcOrchestrationShim.cs:93-96",
    run: async (env) => {
      const input = {
        orderId: "A-17",
        taxRate: 0.25,
        lines: [
          { net: 10, qty: 2 },
          { net: 4, qty: 1 },
        ],
      };
      assert.deepEqual(await completed(env, "orderTotal", input), { orderId: "A-17", total: 30 });
    },
  },
  {
    area: "Activities and chaining",
    title: "JSON inputs of every kind round-trip through getInput() unchanged",
    azure: "test/testobjects/TestOrchestrations.ts:181 PassThrough; ext/MessagePayloadDataConverter.cs:77-90 (the JSON text parsed as it is)",
    run: async (env) => {
      for (const input of [0, "", false, "text", [1, [2]], { nested: { a: null } }]) assert.deepEqual(await completed(env, "mirror", input), input);
    },
  },
  {
    area: "Activities and chaining",
    title: "an instance started without input sees null from getInput()",
    azure: "ext/Bindings/OrchestrationTriggerAttributeBindingProvider.cs:221,232 and DurableOrchestrationContext.GetInputAsJson (null for no input)",
    run: async (env) => assert.deepEqual(await completed(env, "inputShape"), { kind: "null" }),
  },
  {
    area: "Activities and chaining",
    title: "activities receive numbers, strings, booleans, arrays and objects as sent",
    azure: "ext/Bindings/ActivityTriggerAttributeBindingProvider.cs:154,189 (the activity gets the scheduled input as JSON)",
    run: async (env) => {
      const output = await completed(env, "sendToInspector", [7, "seven", true, [7], { n: 7 }]);
      assert.deepEqual(output, [
        { kind: "number", value: 7 },
        { kind: "string", value: "seven" },
        { kind: "boolean", value: true },
        { kind: "array", value: [7] },
        { kind: "object", value: { n: 7 } },
      ]);
    },
  },
  {
    area: "Activities and chaining",
    title: "an orchestrator that never yields completes in its first episode",
    azure: "test/testobjects/TestOrchestrations.ts:7 NotGenerator; df/orchestrations/TaskOrchestrationExecutor.js:252-255",
    run: async (env) => {
      const status = await run(env, "instantAnswer");
      assert.equal(status.output, `instant for ${status.id}`);
      assert.equal(history(env, status.id).filter((e) => e.EventType === T.OrchestratorStarted).length, 1);
    },
  },
  {
    area: "Activities and chaining",
    title: "an orchestrator that returns nothing completes with output null",
    azure: "ext/Listener/OutOfProcOrchestrationShim.cs:93-96 (SetOutput(null)); the status output is then null",
    run: async (env) => assert.equal(await completed(env, "fireAndReturnNothing"), null),
  },
  {
    area: "Activities and chaining",
    title: "a task yielded twice is scheduled once and gives the same result",
    azure:
      "test/testobjects/TestOrchestrations.ts:202 SayHelloWithActivityYieldTwice; df/orchestrations/TaskOrchestrationExecutor.js:278-285 (a completed task is not scheduled again)",
    run: async (env) => {
      const status = await run(env, "reuseTask");
      assert.deepEqual(status.output, [1, 1]);
      assert.equal(history(env, status.id).filter((e) => e.EventType === T.TaskScheduled).length, 1);
    },
  },
  {
    area: "Activities and chaining",
    title: "returning a task instead of yielding it completes at once and never runs the activity",
    azure:
      "test/testobjects/TestOrchestrations.ts:212 SayHelloWithActivityDirectReturn; df/orchestrations/TaskOrchestrationExecutor.js:252-255 (the returned value is the output; only yielded tasks become actions)",
    run: async (env) => {
      const status = await run(env, "forgetsToYield");
      assert.equal(status.runtimeStatus, "Completed");
      assert.equal(typeof status.output, "object");
      assert.equal(history(env, status.id).filter((e) => e.EventType === T.TaskScheduled).length, 0);
    },
  },
  {
    area: "Activities and chaining",
    title: "functions registered with df.app are callable from orchestrators, withRetry included",
    azure: "df/app.js:33-39 (activity() returns a RegisteredActivity callable; orchestration() likewise)",
    run: async (env) => {
      const status = await run(env, "useRegisteredFunctions");
      assert.deepEqual(status.output, { greeting: "Welcome, Ana!", retried: "Welcome, Bo!", child: { label: "Welcome, Cy!", parent: status.id } });
      assert.equal(env.engine.getStatus(`${status.id}-label`)?.runtimeStatus, "Completed");
    },
  },

  {
    area: "Activities and chaining",
    title: "an activity that returns nothing gives the orchestrator null",
    azure:
      "ext/Bindings/ActivityTriggerAttributeBindingProvider.cs:224-227 (no SetOutput for null: the result is null); df/orchestrations/TaskOrchestrationExecutor.js:151-153 (JSON.parse(null) is null)",
    run: async (env) => assert.deepEqual(await completed(env, "quietStep"), { result: null }),
  },
  {
    area: "Activities and chaining",
    title: "an activity's output binding (extraOutputs: storageBlob) writes the blob",
    azure:
      "samples-js/functions/backupSiteContent.js:64 (copyFileToBlob); the Functions host's blob output binding writes what context.extraOutputs.set gave it",
    differs:
      "the emulator runs no storage or other binding extensions: values set on output bindings other than HTTP are accepted and dropped (the activity itself runs and returns as on Azure)",
    readme: "Output bindings other than HTTP",
    run: async (env) => {
      const status = await run(env, "archiveOrder");
      assert.equal(status.output, `archived ${status.id} (14 characters)`);
    },
  },

  // ---------------------------------------------------------------- fan-out, fan-in and races
  {
    area: "Fan-out, fan-in and races",
    title: "Task.all over activities returns every result in the order of the tasks",
    azure: "samples-js/functions/backupSiteContent.js:30; df/task/WhenAllTask.js:13-17",
    sqljs: true,
    run: async (env) => {
      const numbers = Array.from({ length: 25 }, (_, i) => 25 - i);
      assert.deepEqual(await completed(env, "cubeAll", numbers), { cubes: numbers.map((n) => n ** 3), sum: numbers.reduce((a, n) => a + n ** 3, 0) });
    },
  },
  {
    area: "Fan-out, fan-in and races",
    title: "Task.all fails with the first failure, which the orchestrator can catch",
    azure: "df/task/WhenAllTask.js:19-23",
    run: async (env) => {
      const output = (await completed(env, "cubeAllOneRefused")) as { caught: string };
      assert.equal(firstLine(output.caught), "Activity function 'refuse' failed:  no cubes today");
    },
  },
  {
    area: "Fan-out, fan-in and races",
    title: "Task.any returns the winning task itself; an event never raised does not hold the instance open",
    azure: "df/task/WhenAnyTask.js:6-10; dtfx/TaskOrchestrationExecutor.cs:179 (only DTFx tasks are open tasks; an external event is not one)",
    run: async (env) => assert.deepEqual(await completed(env, "quoteOrCancel"), { quoteWon: true, result: 12 }),
  },
  {
    area: "Fan-out, fan-in and races",
    title: "after Task.any the losing task can still be yielded for its result",
    azure: "test/testobjects/TestOrchestrations.ts:27 AnyAOrBYieldATwice",
    run: async (env) => assert.deepEqual(await completed(env, "fastestThenSlowest"), ["fast", "slow"]),
  },
  {
    area: "Fan-out, fan-in and races",
    title: "Task.all nested in Task.any: both events before the deadline win",
    azure: "test/testobjects/TestOrchestrations.ts:59 AnyWithTaskSet",
    run: async (env) => {
      const id = await start(env, "bothSignatures");
      await waitingFor(env, id, "sellerSigned");
      await env.engine.raiseEvent(id, "sellerSigned", "S");
      await env.engine.raiseEvent(id, "buyerSigned", "B");
      const status = await finished(env, id);
      assert.deepEqual(status.output, { signatures: ["B", "S"] });
    },
  },
  {
    area: "Fan-out, fan-in and races",
    title: "Task.all([]) and Task.any([]) fail the orchestration with the package's message",
    azure: "df/task/CompoundTask.js:12-15; test/integration/orchestrator-spec.ts 'doesn't allow compound tasks with no children'",
    run: async (env) => {
      const message = "When constructing a CompoundTask (such as Task.all() or Task.any()), you must specify at least one Task.";
      assert.equal(await failed(env, "waitsOnNothing"), `Orchestrator function 'waitsOnNothing' failed: ${message}`);
      assert.equal(await failed(env, "racesNothing"), `Orchestrator function 'racesNothing' failed: ${message}`);
    },
  },

  // ---------------------------------------------------------------- sub-orchestrations
  {
    area: "Sub-orchestrations",
    title: "a sub-orchestration with an instance id runs under that id and returns its output",
    azure: "samples-js/functions/sayHello.js:30-35 (sayHelloWithSubOrchestrator); ext/Listener/OutOfProcOrchestrationShim.cs:139-141",
    sqljs: true,
    run: async (env) => {
      const status = await run(env, "shipNamed");
      assert.deepEqual(status.output, { item: "lamp", label: "Welcome, lamp!", packer: `${status.id}-parcel`, parent: status.id });
      const child = env.engine.getStatus(`${status.id}-parcel`);
      assert.equal(child?.runtimeStatus, "Completed");
      assert.equal(child?.name, "packParcel");
    },
  },
  {
    area: "Sub-orchestrations",
    title: "a sub-orchestration without an id gets <parent execution id>:<n>, and knows its parent",
    azure: 'dtfx/TaskOrchestrationContext.cs:192-199 (ExecutionId + ":" + id)',
    run: async (env) => {
      const status = await run(env, "shipUnnamed");
      const output = status.output as { packer: string; parent: string };
      assert.match(output.packer, /^[0-9a-f]{32}:\d+$/);
      assert.equal(output.parent, status.id);
      assert.equal(env.engine.getStatus(output.packer)?.runtimeStatus, "Completed");
    },
  },
  {
    area: "Sub-orchestrations",
    title: "parallel sub-orchestrations without ids get distinct ids and return in order",
    azure: "test/testobjects/TestOrchestrations.ts:289 MultipleSubOrchestratorNoSubId; dtfx/TaskOrchestrationContext.cs:192-199",
    run: async (env) => {
      const output = (await completed(env, "shipMany", ["cup", "plate", "bowl"])) as { item: string; packer: string }[];
      assert.deepEqual(
        output.map((o) => o.item),
        ["cup", "plate", "bowl"],
      );
      assert.equal(new Set(output.map((o) => o.packer)).size, 3);
    },
  },
  {
    area: "Sub-orchestrations",
    title: "a sub-orchestration's failure reaches the parent as an error it can catch",
    azure:
      "ext/Listener/OutOfProcOrchestrationShim.cs:85-90 (\"Orchestrator function 'X' failed: ...\"); df/orchestrations/TaskOrchestrationExecutor.js:223-226",
    run: async (env) => {
      const status = await run(env, "restockOrReport");
      const output = status.output as { caught: boolean; message: string };
      assert.equal(output.caught, true);
      assert.equal(firstLine(output.message), "Orchestrator function 'outOfStock' failed: stock unavailable");
      assert.equal(env.engine.getStatus(`${status.id}-restock`)?.runtimeStatus, "Failed");
    },
  },
  {
    area: "Sub-orchestrations",
    title: "a sub-orchestration given its parent's own id is never started, and the parent waits (with a warning)",
    azure:
      "ext/ContextImplementations/DurableOrchestrationContext.cs:594-601 throws ArgumentException inside the async call, which OutOfProcOrchestrationShim.cs:210-217 swallows",
    run: async (env) => {
      const id = await start(env, "shipToMyself");
      await waitFor(() => env.warnings.some((w) => w.includes(id) && w.includes("must be different than the instance ID of a parent orchestration")), 60_000);
      await settled(env);
      assert.equal(env.engine.getStatus(id)?.runtimeStatus, "Running");
      assert.equal(history(env, id).filter((e) => e.EventType === T.SubOrchestrationInstanceCreated).length, 0);
      await env.engine.terminate(id, "test over");
    },
  },

  {
    area: "Sub-orchestrations",
    title: 'the version given to callSubOrchestrator is not used: the child\'s version is ""',
    azure:
      'ext/Listener/OutOfProcOrchestrationShim.cs:304-340 (the action has no version), ContextImplementations/DurableOrchestrationContext.cs:561-562 (version = DefaultVersion, "")',
    run: async (env) => {
      const status = await run(env, "callVersionedChild");
      assert.deepEqual(status.output, { own: "", child: "" });
      assert.ok(env.warnings.some((w) => w.includes(status.id) && w.includes('with version "2", which the Durable extension ignores')));
    },
  },
  {
    area: "Sub-orchestrations",
    title: "terminating a sub-orchestration fails the parent's call",
    azure:
      "dtfx/TaskOrchestrationContext.cs:603-606 (terminated: a result and no details), sent to the parent as SubOrchestrationInstanceFailed; df/orchestrations/TaskOrchestrationExecutor.js:223-229 (no Details: the package cannot parse the failure and the parent fails)",
    differs: "the failure the emulator sends the parent always has Details, so the parent's code can catch it; on Azure the package fails the parent instead",
    readme: "The sub-orchestration failure sent to a parent always carries a `Details` string",
    run: async (env) => {
      const parent = await start(env, "superviseWaiter");
      await waitingFor(env, `${parent}-worker`, "paymentReceived");
      await env.engine.terminate(`${parent}-worker`, "worker retired");
      const status = await finished(env, parent);
      assert.equal(status.runtimeStatus, "Completed");
      assert.match((status.output as { caught: string }).caught, /worker retired/);
    },
  },

  // ---------------------------------------------------------------- retries
  {
    area: "Retries",
    title: "callActivityWithRetry retries a failing activity until it succeeds",
    azure: "samples-js/functions/callActivityWithRetry.js:8; dtfx/RetryInterceptor.cs:57-91",
    sqljs: true,
    run: async (env) => {
      const paymentId = fresh("pay");
      assert.equal(await completed(env, "payWithRetry", { paymentId, outages: 2, attempts: 4 }), `charged ${paymentId} on call 3`);
    },
  },
  {
    area: "Retries",
    title: "after the last attempt the failure reaches the orchestrator; the waits double with backoffCoefficient 2",
    azure: "dtfx/RetryInterceptor.cs:73-81 (attempts, then an immediate dummy timer), :115-116 (first × coefficient^n)",
    run: async (env) => {
      const paymentId = fresh("pay");
      const wallStart = Date.now();
      const output = (await completed(env, "payUntilGivingUp", { paymentId, first: 1000, attempts: 3, backoff: 2 })) as { elapsedMs: number; caught: string };
      const wall = Date.now() - wallStart;
      assert.equal(firstLine(output.caught), `Activity function 'chargeCard' failed:  gateway timeout (call 3 for ${paymentId})`);
      // 1 s after the first failure, 2 s after the second: orchestration time, the timers skipped to, plus the wall
      // time the attempts themselves took.
      assert.ok(output.elapsedMs >= 3000 && output.elapsedMs <= 3000 + wall, `${output.elapsedMs} ms (wall ${wall} ms)`);
    },
  },
  {
    area: "Retries",
    title: "maxRetryIntervalInMilliseconds caps each wait",
    azure: "dtfx/RetryInterceptor.cs:117-119",
    run: async (env) => {
      const wallStart = Date.now();
      const output = (await completed(env, "payUntilGivingUp", { paymentId: fresh("pay"), first: 1000, attempts: 4, backoff: 10, maxInterval: 2000 })) as {
        elapsedMs: number;
      };
      const wall = Date.now() - wallStart;
      // 1 s, then 10 s and 100 s capped at 2 s each.
      assert.ok(output.elapsedMs >= 5000 && output.elapsedMs <= 5000 + wall, `${output.elapsedMs} ms (wall ${wall} ms)`);
    },
  },
  {
    area: "Retries",
    title: "a retry whose retryTimeoutInMilliseconds has passed is not made, and the JavaScript orchestration waits (with a warning)",
    azure: "dtfx/RetryInterceptor.cs:84-88,110-113 (no timer once the timeout has passed); df/task/RetryableTask.js:39-47 waits for one",
    run: async (env) => {
      const id = await start(env, "payWithinTimeout", { paymentId: fresh("pay") });
      await waitFor(() => env.warnings.some((w) => w.includes(id) && w.includes("retry timeout of 1000 ms has passed")), 60_000);
      await settled(env);
      assert.equal(env.engine.getStatus(id)?.runtimeStatus, "Running");
      await env.engine.terminate(id, "test over");
    },
  },
  {
    area: "Retries",
    title: "callSubOrchestratorWithRetry runs the sub-orchestration again under the same id until it succeeds",
    azure: "samples-js/functions/callSubOrchestratorWithRetry.js:12; ext/Listener/OutOfProcOrchestrationShim.cs:142-144",
    run: async (env) => {
      const paymentId = fresh("pay");
      const status = await run(env, "settleWithRetry", { paymentId, outages: 2 });
      assert.equal(status.output, `charged ${paymentId} on call 3`);
      assert.equal(env.engine.getStatus(`${status.id}-settle`)?.runtimeStatus, "Completed");
    },
  },
  {
    area: "Retries",
    title: "a sub-orchestration that fails every attempt fails the retried call",
    azure: "dtfx/RetryInterceptor.cs:94-97",
    run: async (env) => {
      const paymentId = fresh("pay");
      const output = (await completed(env, "settleWithRetry", { paymentId, outages: 10 })) as { caught: string };
      assert.ok(
        output.caught.startsWith(
          `Orchestrator function 'settleInvoice' failed: Activity function 'chargeCard' failed:  gateway timeout (call 3 for ${paymentId})`,
        ),
        output.caught.slice(0, 200),
      );
    },
  },
  {
    area: "Retries",
    title: "retried activities and sub-orchestrations in parallel under Task.all each follow their own policy",
    azure:
      "test/testobjects/TestOrchestrations.ts:242 SayHelloWithActivityRetryFanout, :317 SayHelloWithSubOrchestratorRetryFanout; ext/ContextImplementations/DurableOrchestrationContext.cs:584 (ScheduleWithRetry per call: one RetryInterceptor each)",
    run: async (env) => {
      const [a, b] = [fresh("pay"), fresh("pay")];
      assert.deepEqual(await completed(env, "payBothWithRetry", [a, b]), [
        `charged ${a} on call 2`,
        `charged ${b} on call 3`,
        `charged ${a}-sub on call 2`,
        `charged ${b}-sub on call 3`,
      ]);
    },
  },
  {
    area: "Retries",
    title: "callActivityWithRetry without RetryOptions fails the orchestration",
    azure: "test/testobjects/TestOrchestrations.ts:252 SayHelloWithActivityRetryNoOptions; df/util/Utils.js:74",
    run: async (env) =>
      assert.equal(
        await failed(env, "retryWithoutPolicy"),
        "Orchestrator function 'retryWithoutPolicy' failed: retryOptions: Expected object of type RetryOptions but got undefined; are you missing properties?",
      ),
  },

  // ---------------------------------------------------------------- errors
  {
    area: "Errors",
    title: "an activity's failure is an Error the orchestrator catches, and it carries on",
    azure: "test/testobjects/TestOrchestrations.ts:418 ThrowsExceptionFromActivityWithCatch; df/orchestrations/TaskOrchestrationExecutor.js:223-226",
    sqljs: true,
    run: async (env) => {
      const output = (await completed(env, "chargeOrApologise")) as { caught: boolean; message: string; apology: string };
      assert.equal(output.caught, true);
      assert.equal(firstLine(output.message), "Activity function 'refuse' failed:  card declined");
      assert.equal(output.apology, "Welcome, valued customer!");
    },
  },
  {
    area: "Errors",
    title: "an uncaught activity failure fails the orchestration with the message in its output",
    azure: "test/testobjects/TestOrchestrations.ts:414 ThrowsExceptionFromActivity; ext/Listener/OutOfProcOrchestrationShim.cs:85-90",
    run: async (env) =>
      assert.equal(
        firstLine(await failed(env, "chargeOrFail")),
        "Orchestrator function 'chargeOrFail' failed: Activity function 'refuse' failed:  card declined",
      ),
  },
  {
    area: "Errors",
    title: "an orchestrator that throws is Failed with \"Orchestrator function 'X' failed: <message>\"",
    azure:
      "test/testobjects/TestOrchestrations.ts:429 ThrowsExceptionInline; ext/Listener/OutOfProcOrchestrationShim.cs:85-90, dtfx/TaskOrchestrationContext.cs FailOrchestration (the reason is the status output)",
    run: async (env) => assert.equal(await failed(env, "auditMismatch"), "Orchestrator function 'auditMismatch' failed: inventory mismatch"),
  },
  {
    area: "Errors",
    title: "yielding a value that is not a task fails the orchestration with the package's message",
    azure: "test/testobjects/TestOrchestrations.ts:12 YieldInteger; df/orchestrations/TaskOrchestrationExecutor.js:260-270",
    run: async (env) =>
      assert.equal(
        await failed(env, "yieldsAPlainValue"),
        "Orchestrator function 'yieldsAPlainValue' failed: Durable Functions programming constraint violation: Orchestration yielded data of type number. Only Task types can be yielded. Please check your yield statements to make sure you only yield Task types resulting from calling Durable Functions APIs.",
      ),
  },
  {
    area: "Errors",
    title: "yielding signalEntity (a fire-and-forget call) fails the orchestration",
    azure: "test/testobjects/TestOrchestrations.ts:121 signalEntityYield; df/orchestrations/TaskOrchestrationExecutor.js:261-266",
    run: async (env) =>
      assert.match(
        await failed(env, "yieldsASignal"),
        /^Orchestrator function 'yieldsASignal' failed: Durable Functions programming constraint violation: Orchestration yielded data of type undefined\. This is likely a result of yielding a "fire-and-forget API"/,
      ),
  },

  {
    area: "Errors",
    title: "calling an activity the app does not have",
    azure:
      "ext/ContextImplementations/DurableOrchestrationContext.cs:563 (ThrowIfFunctionDoesNotExist inside the async call), swallowed by OutOfProcOrchestrationShim.cs:210-217: the orchestration waits forever",
    differs: "the emulator fails the orchestration at once with a message that lists the activities the app has, instead of letting it hang",
    readme: "Calling an activity, sub-orchestration or entity that does not exist",
    run: async (env) =>
      assert.match(
        await failed(env, "callsAMissingActivity"),
        /^Orchestrator function 'callsAMissingActivity' failed: The function 'notDeployedYet' doesn't exist, .*'welcomeCustomer'/,
      ),
  },

  // ---------------------------------------------------------------- continue-as-new
  {
    area: "Continue-as-new",
    title: "continueAsNew restarts with the new input and keeps only the last generation's history",
    azure:
      "samples-js/functions/continueAsNewCounter.js:14; dtfx/TaskOrchestrationContext.cs:271-290; the instance's input is the last generation's (dtfx AzureStorage AzureTableTrackingStore)",
    sqljs: true,
    run: async (env) => {
      const status = await run(env, "countdown", 3);
      assert.equal(status.output, "liftoff");
      assert.equal(status.input, 0);
      const events = history(env, status.id);
      assert.equal(events.filter((e) => e.EventType === T.ExecutionStarted).length, 1);
      assert.equal(events.filter((e) => e.EventType === T.TaskScheduled).length, 1);
    },
  },
  {
    area: "Continue-as-new",
    title: "events raised after the continue-as-new call carry over to the next generation",
    azure: "dtfx/TaskOrchestrationContext.cs:464-474 (HandleEventRaisedEvent: CarryoverEvents once ContinueAsNew was called)",
    run: async (env) => {
      const id = await start(env, "ballotBox");
      for (const vote of ["yes", "no", "abstain"]) await env.engine.raiseEvent(id, "vote", vote);
      assert.deepEqual((await finished(env, id)).output, ["yes", "no", "abstain"]);
    },
  },
  {
    area: "Continue-as-new",
    title: "an event raised before the continue-as-new call and never awaited is dropped",
    azure:
      "ext/Listener/OutOfProcOrchestrationShim.cs:170-171 (ContinueAsNew(input): preserveUnprocessedEvents false), DurableOrchestrationContext.cs:1044-1049",
    run: async (env) => {
      const id = await start(env, "forgetfulRelay");
      await env.engine.raiseEvent(id, "note", "remember me");
      await env.engine.raiseEvent(id, "go", true);
      await waitingFor(env, id, "note");
      await waitFor(() => env.engine.getRecord(id)?.input === "2", 60_000);
      env.engine.advanceClockToNextTimer();
      assert.deepEqual((await finished(env, id)).output, { note: "lost" });
    },
  },

  {
    area: "Continue-as-new",
    title: "continue-as-new waits for a timer left running, as completion does",
    azure: "dtfx/TaskOrchestrationExecutor.cs:176-199 (no completion, continue-as-new included, while a task is open)",
    run: async (env) => {
      const id = await start(env, "renewSubscription");
      await waitingFor(env, id, "renew");
      const created = Date.parse(env.engine.getStatus(id)?.createdTime as string);
      await env.engine.raiseEvent(id, "renew", true);
      const output = (await finished(env, id)).output as { generation: number; startedAt: string };
      assert.equal(output.generation, 2);
      assert.ok(Date.parse(output.startedAt) >= created + HOUR, "generation 2 started after the hour-long timer fired");
    },
  },

  // ---------------------------------------------------------------- the orchestration context
  {
    area: "Orchestration context",
    title: "custom status is visible while running and after completion",
    azure: "samples-js/functions/sayHello.js:23-28 (sayHelloWithCustomStatus); ext/Listener/OutOfProcOrchestrationShim.cs:78-81",
    sqljs: true,
    run: async (env) => {
      const id = await start(env, "progressReport");
      await waitingFor(env, id, "approve");
      assert.deepEqual(env.engine.getStatus(id)?.customStatus, { stage: "awaiting approval", percent: 50 });
      const seen = (await client(env, "getStatus", { instanceId: id })).result;
      assert.deepEqual(seen.customStatus, { stage: "awaiting approval", percent: 50 });
      await env.engine.raiseEvent(id, "approve", null);
      const status = await finished(env, id);
      assert.equal(status.customStatus, "shipped");
      assert.equal(status.output, "done");
    },
  },
  {
    area: "Orchestration context",
    title: "newGuid gives name-based UUIDs that replay identically and differ from call to call",
    azure:
      "test/testobjects/TestOrchestrations.ts:171 GuidGenerator; df/orchestrations/DurableOrchestrationContext.js:190-194 (UUID v5 of instance id, currentUtcDateTime and a counter)",
    run: async (env) => {
      const output = (await completed(env, "guidIssuer")) as { first: string; recorded: string; second: string };
      assert.match(output.first, UUID_V5);
      assert.equal(output.recorded, output.first, "the guid of the first episode, recorded by the activity, is the one the last replay made");
      assert.notEqual(output.second, output.first);
    },
  },
  {
    area: "Orchestration context",
    title: "currentUtcDateTime is a Date that replays identically and moves on with each episode and timer",
    azure: "df/orchestrations/TaskOrchestrationExecutor.js:105-110 (the OrchestratorStarted timestamps), Orchestrator.js:46-47",
    run: async (env) => {
      const output = (await completed(env, "clockWatcher")) as { isDate: boolean; start: string; recorded: string; afterActivity: string; afterTimer: string };
      assert.equal(output.isDate, true);
      assert.equal(output.recorded, output.start);
      assert.ok(Date.parse(output.afterActivity) >= Date.parse(output.start));
      assert.ok(Date.parse(output.afterTimer) >= Date.parse(output.afterActivity) + HOUR);
    },
  },
  {
    area: "Orchestration context",
    title: "isReplaying is false on first execution and true while replaying the past",
    azure: "df/orchestrations/TaskOrchestrationExecutor.js:66-73,240 (replaying before the last OrchestratorStarted)",
    run: async (env) => assert.deepEqual(await completed(env, "replayObserver"), { firstTime: false, lastReplay: [true, true, false] }),
  },
  {
    area: "Orchestration context",
    title: "instanceId is the instance's id; parentInstanceId is undefined at the top and the parent's id in a child",
    azure: "ext/Bindings/OrchestrationTriggerAttributeBindingProvider.cs:233,235 (instanceId, parentInstanceId of the binding)",
    run: async (env) => {
      const id = fresh("identity");
      assert.deepEqual(await completed(env, "identity", undefined, id), { instanceId: id, parentInstanceId: null });
      const status = await run(env, "shipNamed");
      assert.equal((status.output as { parent: string }).parent, status.id);
    },
  },

  {
    area: "Orchestration context",
    title: "a custom status over 16 KB of UTF-16 fails the orchestration; one within the limit is kept",
    azure:
      "ext/ContextImplementations/DurableOrchestrationContext.cs:221-230, MessagePayloadDataConverter.cs:60-71 (ArgumentException), thrown from OutOfProcOrchestrationShim.cs:78-81 and turned into a failure by TaskOrchestrationShim.cs:174-206",
    run: async (env) => {
      // 8,000 characters and two quotes: 16,004 bytes of UTF-16, 15 KB.
      const within = await run(env, "verboseProgress", 8000);
      assert.equal(within.runtimeStatus, "Completed");
      assert.equal((within.customStatus as string).length, 8000);
      // 20,002 characters of JSON: 40,004 bytes, 39 KB.
      assert.equal(
        await failed(env, "verboseProgress", 20000),
        "Orchestrator function 'verboseProgress' failed: The UTF-16 size of the JSON-serialized payload must not exceed 16 KB. The current payload size is 39 KB.",
      );
    },
  },

  // ---------------------------------------------------------------- timers
  {
    area: "Timers",
    title: "createTimer resumes the orchestration at (or after) the time asked for",
    azure: "dtfx/TaskOrchestrationContext.cs:294-324 (CreateTimer), TimerFired at FireAt",
    sqljs: true,
    run: async (env) => {
      const output = (await completed(env, "sendReminder", { hours: 2 })) as { due: string; firedAt: string; note: string };
      assert.ok(Date.parse(output.firedAt) >= Date.parse(output.due), `${output.firedAt} < ${output.due}`);
      assert.equal(output.note, "Welcome, reminder!");
    },
  },
  {
    area: "Timers",
    title: "a timer due in the past fires at once",
    azure: "Azure/durabletask src/DurableTask.AzureStorage/Messaging/TaskHubQueue.cs:179-188 (a TimerFired due in the past is visible at once)",
    run: async (env) => assert.equal(await completed(env, "overdueTimer"), "fired"),
  },
  {
    area: "Timers",
    title: "a timer longer than 6 days is split into timers of at most 3 days",
    azure: "ext/AzureStorageDurabilityProvider.cs:68-70 (MaximumDelayTime 6 days, LongRunningTimerIntervalLength 3 days), df/task/LongTimerTask.js:14-17,46-51",
    run: async (env) => {
      const status = await run(env, "quarterlyWait");
      const output = status.output as { due: string; firedAt: string };
      assert.ok(Date.parse(output.firedAt) >= Date.parse(output.due));
      assert.equal(history(env, status.id).filter((e) => e.EventType === T.TimerCreated).length, 3, "3 days, 3 days, then the last 4 days");
    },
  },
  {
    area: "Timers",
    title: "a cancelled timer does not keep the orchestration waiting",
    azure: "samples-js/functions/cancelTimer.js:11; dtfx/TaskOrchestrationContext.cs:310-319 (a cancelled timer leaves the open tasks)",
    run: async (env) => {
      const status = await run(env, "deadlineCancelled");
      assert.equal((status.output as { workWon: boolean }).workWon, true);
      assert.ok(Date.parse(status.lastUpdatedTime) < Date.parse(status.createdTime) + 2 * HOUR, "finished before the deadline");
    },
  },
  {
    area: "Timers",
    title: "a timer that lost a race and was not cancelled keeps the orchestration Running until it fires",
    azure: "dtfx/TaskOrchestrationExecutor.cs:176-179 (completes only when no task is open)",
    run: async (env) => {
      const status = await run(env, "deadlineLeftRunning");
      assert.deepEqual(status.output, { workWon: true });
      assert.ok(Date.parse(status.lastUpdatedTime) >= Date.parse(status.createdTime) + 2 * HOUR, "finished only after the deadline");
      assert.ok(env.warnings.some((w) => w.includes(status.id) && w.includes("still open")));
    },
  },
  {
    area: "Timers",
    title: "isCanceled, isCompleted, cancelling a fired timer throws, and a timer never yielded is never scheduled",
    azure: "df/task/DFTimerTask.js:10-18; df/orchestrations/TaskOrchestrationExecutor.js:282-285 (only yielded tasks become actions)",
    run: async (env) => {
      const status = await run(env, "timerFlags");
      assert.deepEqual(status.output, {
        unused: { isCanceled: true, isCompleted: false },
        used: { isCompleted: true },
        cancelCompleted: "Cannot cancel a completed task.",
      });
      // As samples-js/functions/cancelTimer.js relies on: a timer never yielded is never scheduled.
      assert.equal(history(env, status.id).filter((e) => e.EventType === T.TimerCreated).length, 1);
    },
  },
  {
    area: "Timers",
    title: "a monitor loop on currentUtcDateTime checks as often as its timers allow",
    azure: "samples-js/functions/weatherMonitor.js:25-45 (loop until an end time, a timer between checks)",
    run: async (env) => assert.deepEqual(await completed(env, "hourlyMonitor"), { checks: 2 }),
  },

  // ---------------------------------------------------------------- external events
  {
    area: "External events",
    title: "waitForExternalEvent resumes with the event's data",
    azure: "test/testobjects/TestOrchestrations.ts:398 WaitForExternalEvent; df/orchestrations/TaskOrchestrationExecutor.js:154-159",
    sqljs: true,
    run: async (env) => {
      const id = await start(env, "awaitPayment");
      await waitingFor(env, id, "paymentReceived");
      await env.engine.raiseEvent(id, "paymentReceived", { amount: 42, currency: "EUR" });
      assert.deepEqual((await finished(env, id)).output, { payment: { amount: 42, currency: "EUR" } });
    },
  },
  {
    area: "External events",
    title: "an event raised before the orchestrator waits for it is kept and delivered",
    azure:
      "ext/ContextImplementations/DurableOrchestrationContext.cs:953-961 (buffered), df/orchestrations/TaskOrchestrationExecutor.js:180-189 (deferred until awaited)",
    run: async (env) => {
      const id = await start(env, "prepareThenAwait");
      await env.engine.raiseEvent(id, "password", "swordfish");
      assert.equal((await finished(env, id)).output, "swordfish");
    },
  },
  {
    area: "External events",
    title: "events of one name are taken in the order they were raised",
    azure: "ext/ContextImplementations/DurableOrchestrationContext.cs:878-889 (a FIFO queue per name); df/orchestrations/TaskOrchestrationExecutor.js:322-328",
    run: async (env) => {
      const id = await start(env, "collectItems");
      for (const item of ["apple", "pear", "plum"]) await env.engine.raiseEvent(id, "item", item);
      assert.deepEqual((await finished(env, id)).output, ["apple", "pear", "plum"]);
    },
  },
  {
    area: "External events",
    title: "two waits on one name: each raise completes one, the later wait first",
    azure: "df/orchestrations/TaskOrchestrationExecutor.js:170-178 (openEvents[name].pop())",
    run: async (env) => {
      const id = await start(env, "twoListeners");
      await waitingFor(env, id, "bell");
      await env.engine.raiseEvent(id, "bell", "ding");
      await env.engine.raiseEvent(id, "bell", "dong");
      assert.deepEqual((await finished(env, id)).output, { first: "dong", second: "ding" });
    },
  },
  {
    area: "External events",
    title: "event names match case-sensitively",
    azure: "df/orchestrations/TaskOrchestrationExecutor.js:167-170 (looked up by the exact Name); the history keeps the name as raised",
    run: async (env) => {
      const id = await start(env, "caseSensitiveWait");
      await waitingFor(env, id, "Approved");
      await env.engine.raiseEvent(id, "approved", "wrong case");
      await settled(env);
      assert.equal(env.engine.getStatus(id)?.runtimeStatus, "Running");
      await env.engine.raiseEvent(id, "Approved", "right case");
      assert.equal((await finished(env, id)).output, "right case");
    },
  },
  {
    area: "External events",
    title: "an approval raced against a timer: the event wins",
    azure: "docs human-interaction pattern; df/task/WhenAnyTask.js:6-10",
    run: async (env) => {
      const id = await start(env, "approvalWithTimeout");
      await waitingFor(env, id, "approval");
      await env.engine.raiseEvent(id, "approval", "manager");
      assert.deepEqual((await finished(env, id)).output, { approved: "manager" });
    },
  },
  {
    area: "External events",
    title: "an approval raced against a timer: the timer wins when no event comes",
    azure: "dtfx TimerFired for the 72-hour timer; df/task/WhenAnyTask.js:6-10",
    run: async (env) => {
      const id = await start(env, "approvalWithTimeout");
      await waitingFor(env, id, "approval");
      const created = Date.parse(env.engine.getStatus(id)?.createdTime as string);
      env.engine.advanceClockToNextTimer();
      const output = (await finished(env, id)).output as { approved: boolean; timedOutAt: string };
      assert.equal(output.approved, false);
      assert.ok(Date.parse(output.timedOutAt) >= created + 72 * HOUR);
    },
  },
  {
    area: "External events",
    title: "a phone verification loop: wrong codes, then the right one, within the deadline",
    azure: "samples-js/functions/smsPhoneVerification.js:20-40",
    run: async (env) => {
      const id = await start(env, "verifyPhone", "+15550001234");
      for (const code of ["000000", "999999", "123442"]) await env.engine.raiseEvent(id, "code", code);
      assert.deepEqual((await finished(env, id)).output, { verified: true, tries: ["000000", "999999", "123442"] });
    },
  },

  // ---------------------------------------------------------------- entities
  {
    area: "Entities",
    title: "signals from the client add up, and readEntityState reads the state",
    azure: "test/test-app/src/functions/counter1.ts:34-37; ext/ContextImplementations/DurableClient.cs:552-583 (ReadEntityStateAsync)",
    sqljs: true,
    run: async (env) => {
      const key = fresh("room");
      for (const quantity of [3, 4, 5])
        assert.equal((await client(env, "signalEntity", { entity: { name: "stockroom", key }, operation: "receive", input: quantity })).error, undefined);
      assert.deepEqual(await entityReaches(env, "stockroom", key, (s) => s.entityState === 12), { entityExists: true, entityState: 12 });
    },
  },
  {
    area: "Entities",
    title: "an entity never used does not exist",
    azure: "ext/AzureStorageDurabilityProvider.cs:123-152 (no instance: no state), DurableClient.cs:575-582 (EntityExists false)",
    run: async (env) => assert.deepEqual(await entityState(env, "stockroom", fresh("never")), { entityExists: false }),
  },
  {
    area: "Entities",
    title: "callEntity returns what the operation returned; getState's initializer gives the first state",
    azure: "samples-js/functions/counter.js:25-32 (counterOrchestration); df/entities/Entity.js:81-93",
    run: async (env) => assert.equal(await completed(env, "askCart", { name: "stockroom", key: fresh("room"), operation: "count" }), 0),
  },
  {
    area: "Entities",
    title: "signals and a call from one orchestration are processed in the order sent",
    azure: "ext/EntityScheduler/MessageSorter.cs:125 (ReceiveInOrder: messages from one sender are delivered in order)",
    run: async (env) => {
      assert.equal(await completed(env, "restock", { key: fresh("room"), quantities: [5, 2, 9] }), 16);
      assert.deepEqual(await completed(env, "writeLedger", fresh("ledger")), ["open", "credit", "debit", "close"]);
    },
  },
  {
    area: "Entities",
    title: "an operation that throws fails the caller's callEntity, and the state stays as it was",
    azure: "df/entities/Entity.js:47-50 (the error as the result), df/orchestrations/TaskOrchestrationExecutor.js:201-207",
    run: async (env) => {
      const key = fresh("room");
      await completed(env, "restock", { key, quantities: [2] });
      assert.deepEqual(await completed(env, "shipOrder", { key, quantity: 5 }), { refused: true, count: 2 });
      assert.deepEqual(await completed(env, "shipOrder", { key, quantity: 1 }), { left: 1 });
    },
  },
  {
    area: "Entities",
    title: "destructOnExit deletes the entity; the next operation starts from the initializer",
    azure: "df/entities/Entity.js:71-74; ext/Listener/TaskEntityShim.cs:608-613",
    run: async (env) => {
      const key = fresh("room");
      await completed(env, "restock", { key, quantities: [7] });
      await client(env, "signalEntity", { entity: { name: "stockroom", key }, operation: "clear" });
      assert.deepEqual(await entityReaches(env, "stockroom", key, (s) => !s.entityExists), { entityExists: false });
      assert.equal(await completed(env, "restock", { key, quantities: [1] }), 1);
    },
  },
  {
    area: "Entities",
    title: "an entity whose operations only returned a value, never setting state, does not exist for readEntityState",
    azure:
      "df/entities/Entity.js:90-93 (return() marks it existing with no state); ext/AzureStorageDurabilityProvider.cs:146-149 (no state is read as no entity), DurableClient.cs:575-582",
    run: async (env) => {
      const key = fresh("cart");
      assert.deepEqual(await completed(env, "askCart", { name: "ShoppingCart", key, operation: "peek" }), { items: [] });
      await settled(env);
      assert.deepEqual(await entityState(env, "ShoppingCart", key), { entityExists: false });
      // It exists to its next batch all the same (TaskEntityShim.cs:608-613 keeps EntityExists): not newly constructed.
      assert.equal(((await completed(env, "askCart", { name: "ShoppingCart", key, operation: "whoami" })) as { isNew: boolean }).isNew, false);
    },
  },
  {
    area: "Entities",
    title: "entity names match in any letter case and the entity sees its name lower-cased; keys are case-sensitive",
    azure:
      "ext/EntityScheduler/EntityId.cs:28 (EntityName.ToLowerInvariant()), Bindings/EntityTriggerAttributeBindingProvider.cs:195-197 (self); df/entities/EntityId.js:18-20",
    run: async (env) => {
      const key = fresh("Cart");
      await client(env, "signalEntity", { entity: { name: "ShoppingCart", key }, operation: "add", input: "tea" });
      await client(env, "signalEntity", { entity: { name: "shoppingcart", key }, operation: "add", input: "milk" });
      await entityReaches(env, "SHOPPINGCART", key, (s) => (s.entityState as { items?: string[] } | undefined)?.items?.length === 2);
      assert.deepEqual(await entityState(env, "ShoppingCart", key.toLowerCase()), { entityExists: false });
      assert.deepEqual(await completed(env, "askCart", { name: "ShoppingCart", key, operation: "whoami", input: 1 }), {
        name: "shoppingcart",
        key,
        isNew: false,
        input: 1,
      });
    },
  },
  {
    area: "Entities",
    title: "isNewlyConstructed is true until the entity has state; getInput() without input is undefined",
    azure: "df/entities/Entity.js:62,75-79",
    run: async (env) => {
      const key = fresh("cart");
      assert.deepEqual(await completed(env, "askCart", { name: "ShoppingCart", key, operation: "whoami" }), {
        name: "shoppingcart",
        key,
        isNew: true,
        input: "(none)",
      });
    },
  },
  {
    area: "Entities",
    title: "an entity can signal another entity",
    azure: "df/entities/Entity.js:98-100; ext/Listener/TaskEntityShim.cs (signals of the batch are sent with it)",
    run: async (env) => {
      const key = fresh("cart");
      await client(env, "signalEntity", { entity: { name: "ShoppingCart", key }, operation: "add", input: "socks" });
      await client(env, "signalEntity", { entity: { name: "ShoppingCart", key }, operation: "add", input: "hat" });
      await client(env, "signalEntity", { entity: { name: "ShoppingCart", key }, operation: "checkout" });
      assert.deepEqual(await entityReaches(env, "stockroom", `picked-${key}`, (s) => s.entityExists), { entityExists: true, entityState: 2 });
    },
  },
  {
    area: "Entities",
    title: "calls to several entities can run in parallel under Task.all",
    azure: "df/task/WhenAllTask.js; each call is its own request message (ext DurableOrchestrationContext.cs:660-700)",
    run: async (env) => {
      const keys = [fresh("room"), fresh("room"), fresh("room")];
      for (const [i, key] of keys.entries()) await completed(env, "restock", { key, quantities: [i + 1] });
      assert.deepEqual(await completed(env, "countAllRooms", keys), [1, 2, 3]);
    },
  },

  // ---------------------------------------------------------------- critical sections
  {
    area: "Critical sections",
    title: "lock, call the locked entities, release: isLocked reports the lock set",
    azure:
      "df/orchestrations/DurableOrchestrationContext.js:209-258 (lock, isLocked); ext/ContextImplementations/DurableOrchestrationContext.cs:1067-1120 (LockAsync)",
    sqljs: true,
    run: async (env) => {
      const [a, b] = [fresh("acct"), fresh("acct")];
      await client(env, "signalEntity", { entity: { name: "account", key: a }, operation: "deposit", input: 100 });
      await entityReaches(env, "account", a, (s) => s.entityState === 100);
      const output = await completed(env, "transfer", { from: a, to: b, amount: 30 });
      assert.deepEqual(output, {
        moved: true,
        before: { isLocked: false, owned: [] },
        inside: { isLocked: true, owned: [`account/${a}`, `account/${b}`].sort() },
        after: { isLocked: false, owned: [] },
      });
      assert.equal((await entityState(env, "account", a)).entityState, 70);
      assert.equal((await entityState(env, "account", b)).entityState, 30);
    },
  },
  {
    area: "Critical sections",
    title: "concurrent transfers under locks never lose or create money",
    azure: "ext/Listener/TaskEntityShim.cs:411 (ProcessLockRequest), EntityScheduler/SchedulerState.cs:79-83 (a locked entity serves only its holder)",
    run: async (env) => {
      const accounts = [fresh("acct"), fresh("acct"), fresh("acct")];
      for (const key of accounts) await client(env, "signalEntity", { entity: { name: "account", key }, operation: "deposit", input: 50 });
      for (const key of accounts) await entityReaches(env, "account", key, (s) => s.entityState === 50);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) ids.push(await start(env, "transfer", { from: accounts[i % 3], to: accounts[(i + 1) % 3], amount: 10 + i }));
      for (const id of ids) assert.equal((await finished(env, id)).runtimeStatus, "Completed");
      let total = 0;
      for (const key of accounts) total += (await entityState(env, "account", key)).entityState as number;
      assert.equal(total, 150);
    },
  },
  {
    area: "Critical sections",
    title: "the package's locking rules: calling an unlocked entity, nesting, sub-orchestrations, signalling a locked entity",
    azure:
      "df/error/LockingRulesViolationError.js:16-22, df/orchestrations/DurableOrchestrationContext.js:89-133; ext/EntityScheduler/LockingRulesViolationException.cs",
    run: async (env) => {
      const expected: Record<string, string> = {
        callUnlocked: "Cannot call an entity from within a critical section unless it is one of the locked entities.",
        nested: "Cannot acquire more locks when already holding some locks.",
        subOrchestration: "Cannot invoke sub-orchestrations from within a critical section.",
        signalLocked: "Cannot signal an entity from within a critical section if the entity is one of the locked entities.",
      };
      for (const [rule, message] of Object.entries(expected)) {
        assert.deepEqual(await completed(env, "breakLockRules", rule), { name: "LockingRulesViolationError", message }, rule);
      }
    },
  },
  {
    area: "Critical sections",
    title: "lock() with something other than EntityIds fails the orchestration",
    azure: "test/testobjects/TestOrchestrations.ts:163 GetLockBadly; df/orchestrations/DurableOrchestrationContext.js:220-224",
    run: async (env) => assert.equal(await failed(env, "lockByName"), "Orchestrator function 'lockByName' failed: lock expected EntityId[]"),
  },
  {
    area: "Critical sections",
    title: "an orchestration that completes holding locks has them released",
    azure: "ext/Listener/TaskOrchestrationShim.cs:106-108 (locks released when the orchestration completes)",
    run: async (env) => {
      const key = fresh("acct");
      assert.equal(await completed(env, "lockAndLeave", key), "left holding the lock");
      assert.equal(await completed(env, "lockAndRead", key), 0);
    },
  },

  // ---------------------------------------------------------------- durable HTTP
  {
    area: "Durable HTTP",
    title: "callHttp GET returns the status code and the body",
    azure: "samples-js/functions/listAzureSubscriptions.js:6; ext/Listener/TaskHttpActivityShim.cs:55-87",
    sqljs: true,
    run: async (env) => assert.deepEqual(await completed(env, "fetchStatusPage", { url: env.web.url("/stock") }), { statusCode: 200, content: "in stock" }),
  },
  {
    area: "Durable HTTP",
    title: "callHttp POST sends the body and the headers given",
    azure:
      "test/testobjects/TestOrchestrations.ts:354 SendHttpRequest; df/orchestrations/DurableOrchestrationContext.js (callHttp: a non-string body is sent as JSON text); ext/Listener/TaskHttpActivityShim.cs:130-160",
    run: async (env) => {
      const output = (await completed(env, "fetchStatusPage", {
        url: env.web.url("/orders"),
        method: "POST",
        body: { sku: "X1", qty: 2 },
        headers: { "x-order-id": "o-9" },
      })) as { statusCode: number; content: string };
      assert.equal(output.statusCode, 201);
      assert.deepEqual(JSON.parse(output.content), { method: "POST", body: JSON.stringify({ sku: "X1", qty: 2 }), orderHeader: "o-9" });
    },
  },
  {
    area: "Durable HTTP",
    title: "callHttp follows 202 + Location polling until the final answer",
    azure: "ext/ContextImplementations/DurableOrchestrationContext.cs:275-298 (poll while 202, waiting Retry-After)",
    run: async (env) => {
      const job = fresh("job");
      assert.deepEqual(await completed(env, "fetchStatusPage", { url: env.web.url(`/report?job=${job}`) }), {
        statusCode: 200,
        content: `report ${job} ready after 2 polls`,
      });
    },
  },
  {
    area: "Durable HTTP",
    title: "a poll is a GET of the Location with the request's headers, less x-functions-key",
    azure: "ext/ContextImplementations/DurableOrchestrationContext.cs:321-335 (CreateLocationPollRequest)",
    run: async (env) => {
      const job = fresh("job");
      const headers = { "x-order-id": "o-42", "x-functions-key": "function-secret" };
      const output = (await completed(env, "fetchStatusPage", { url: env.web.url(`/report?job=${job}`), method: "POST", body: "go", headers })) as {
        statusCode: number;
      };
      assert.equal(output.statusCode, 200);
      const requests = env.web.seen.filter((r) => r.path.includes(job));
      assert.deepEqual(
        requests.map((r) => r.method),
        ["POST", "GET", "GET"],
      );
      assert.equal(requests[0].headers["x-functions-key"], "function-secret");
      for (const poll of requests.slice(1)) {
        assert.equal(poll.headers["x-order-id"], "o-42");
        assert.equal(poll.headers["x-functions-key"], undefined);
        assert.equal(poll.body, "");
      }
    },
  },
  {
    area: "Durable HTTP",
    title: "with enablePolling false, callHttp returns the 202 itself",
    azure: "ext/ContextImplementations/DurableOrchestrationContext.cs:275 (polls only with AsynchronousPatternEnabled)",
    run: async (env) => {
      const job = fresh("job");
      const output = (await completed(env, "fetchStatusPage", { url: env.web.url(`/report?job=${job}`), enablePolling: false })) as { statusCode: number };
      assert.equal(output.statusCode, 202);
      assert.equal(env.web.seen.filter((r) => r.path.includes(job)).length, 1, "no poll");
    },
  },
  {
    area: "Durable HTTP",
    title: "an error status is returned to the orchestrator, not thrown",
    azure: "ext/Listener/TaskHttpActivityShim.cs:87 (any response becomes the result)",
    run: async (env) => {
      assert.deepEqual(await completed(env, "fetchStatusPage", { url: env.web.url("/broken") }), { statusCode: 500, content: "warehouse on fire" });
      assert.deepEqual(await completed(env, "fetchStatusPage", { url: env.web.url("/nowhere") }), { statusCode: 404, content: "no such page" });
    },
  },
  {
    area: "Durable HTTP",
    title: "a tokenSource (managed identity) adds a bearer token",
    azure: "ext/Listener/TaskHttpActivityShim.cs:154-157 (Authorization: Bearer <token from the managed identity>)",
    differs: "there is no managed identity on a developer machine: the request is sent without an Authorization header",
    readme: "`tokenSource`",
    run: async (env) => {
      const output = (await completed(env, "fetchStatusPage", { url: env.web.url("/stock?token=1"), withToken: true })) as { statusCode: number };
      assert.equal(output.statusCode, 200);
      const seen = env.web.seen.find((r) => r.path === "/stock?token=1");
      assert.equal(seen?.headers.authorization, undefined);
      assert.ok(env.warnings.some((w) => w.includes("has a tokenSource (managed identity") && w.includes("without it")));
    },
  },

  // ---------------------------------------------------------------- the durable client
  {
    area: "Durable client",
    title: "startNew with an instance id, then getStatus: name, id, input, output, times",
    azure: "ext/ContextImplementations/DurableClient.cs:178-216; HttpApiHandler.cs:599-690",
    sqljs: true,
    run: async (env) => {
      const id = fresh("order");
      assert.deepEqual(await client(env, "startNew", { name: "mirror", instanceId: id, input: { basket: ["pen"] } }), { result: id });
      await finished(env, id);
      const status = (await client(env, "getStatus", { instanceId: id })).result;
      assert.equal(status.name, "mirror");
      assert.equal(status.instanceId, id);
      assert.equal(status.runtimeStatus, "Completed");
      assert.deepEqual(status.input, { basket: ["pen"] });
      assert.deepEqual(status.output, { basket: ["pen"] });
      assert.ok(Date.parse(status.createdTime) <= Date.parse(status.lastUpdatedTime));
    },
  },
  {
    area: "Durable client",
    title: "startNew without an id makes a 32-character hex id",
    azure: 'ext/ContextImplementations/DurableClient.cs:185-188 (Guid.NewGuid().ToString("N"))',
    run: async (env) => {
      const { result } = await client(env, "startNew", { name: "instantAnswer" });
      assert.match(result, GUID_N);
      await finished(env, result);
    },
  },
  {
    area: "Durable client",
    title: "startNew over a running instance's id is refused; over a finished one it starts afresh",
    azure: "ext/ContextImplementations/DurableClient.cs:203-205 (OverridableExistingInstanceStates: non-running states only)",
    run: async (env) => {
      const id = fresh("order");
      await start(env, "awaitPayment", undefined, id);
      assert.ok((await client(env, "startNew", { name: "awaitPayment", instanceId: id })).error, "a second start while it runs fails");
      await env.engine.terminate(id, "make way");
      await finished(env, id);
      assert.equal((await client(env, "startNew", { name: "mirror", instanceId: id, input: "again" })).result, id);
      assert.equal((await finished(env, id)).output, "again");
    },
  },
  {
    area: "Durable client",
    title: "getStatus with showInput false still returns the input (the package sends showInput only when true)",
    azure: "df/durableClient/DurableClient.js:581-583 (showInput=... only when truthy); ext/HttpApiHandler.cs:617-620 (showInput defaults to true)",
    run: async (env) => {
      const status = await run(env, "mirror", { secret: true });
      assert.deepEqual((await client(env, "getStatus", { instanceId: status.id, options: { showInput: false } })).result.input, { secret: true });
      assert.deepEqual((await client(env, "getStatus", { instanceId: status.id, options: { showInput: true } })).result.input, { secret: true });
    },
  },
  {
    area: "Durable client",
    title: "getStatus with showHistory returns no history to JavaScript (the API sends historyEvents)",
    azure: "ext/HttpApiHandler.cs ConvertFrom (historyEvents); df/orchestrations/DurableOrchestrationStatus.js:17 (reads history); durable-js issue #620",
    run: async (env) => {
      const status = await run(env, "receiptHeader");
      assert.equal((await client(env, "getStatus", { instanceId: status.id, options: { showHistory: true } })).result.history, undefined);
    },
  },
  {
    area: "Durable client",
    title: "getStatus of an unknown instance throws the package's 404 error",
    azure: "ext/HttpApiHandler.cs:636-639 (404); df/durableClient/DurableClient.js:91-97",
    run: async (env) => {
      const { error } = await client(env, "getStatus", { instanceId: "no-such-order" });
      assert.match(error ?? "", /^DurableClient error: Durable Functions extension replied with HTTP 404 response\./);
    },
  },
  {
    area: "Durable client",
    title: "getStatusAll and getStatusBy list instances, filtered by status and creation time",
    azure: "ext/HttpApiHandler.cs:452-510 (list with runtimeStatus, createdTimeFrom/To)",
    run: async (env) => {
      const done = await run(env, "mirror", "listed");
      const waiting = await start(env, "awaitPayment");
      await waitingFor(env, waiting, "paymentReceived");
      const ids = (list: { instanceId: string }[]) => list.map((s) => s.instanceId);
      const all = ids((await client(env, "getStatusAll")).result);
      assert.ok(all.includes(done.id) && all.includes(waiting));
      const completedOnly = ids((await client(env, "getStatusBy", { runtimeStatus: ["Completed"] })).result);
      assert.ok(completedOnly.includes(done.id) && !completedOnly.includes(waiting));
      const later = ids((await client(env, "getStatusBy", { createdTimeFrom: new Date(Date.parse(done.createdTime) + 1).toISOString() })).result);
      assert.ok(!later.includes(done.id));
      await env.engine.terminate(waiting, "test over");
    },
  },
  {
    area: "Durable client",
    title: "raiseEvent from the client delivers; to a finished instance it resolves (410); to an unknown one it rejects",
    azure: "ext/HttpApiHandler.cs:978-1019 (404, 410 Gone, 202); df/durableClient/DurableClient.js:237-243",
    run: async (env) => {
      const id = await start(env, "awaitPayment");
      await waitingFor(env, id, "paymentReceived");
      assert.deepEqual(await client(env, "raiseEvent", { instanceId: id, eventName: "paymentReceived", eventData: 5 }), { result: "(undefined)" });
      assert.deepEqual((await finished(env, id)).output, { payment: 5 });
      assert.deepEqual(await client(env, "raiseEvent", { instanceId: id, eventName: "paymentReceived", eventData: 6 }), { result: "(undefined)" });
      assert.equal(
        (await client(env, "raiseEvent", { instanceId: "no-such-order", eventName: "x", eventData: 1 })).error,
        "No instance with ID 'no-such-order' found.",
      );
    },
  },
  {
    area: "Durable client",
    title: "terminate ends the instance as Terminated with the reason as its output",
    azure: "ext/ContextImplementations/DurableClient.cs:379 (TerminateAsync); dtfx/TaskOrchestrationContext.cs:603-606 (the reason is the output)",
    run: async (env) => {
      const id = await start(env, "awaitPayment");
      await waitingFor(env, id, "paymentReceived");
      await client(env, "terminate", { instanceId: id, reason: "customer left" });
      const status = await finished(env, id);
      assert.equal(status.runtimeStatus, "Terminated");
      assert.equal(status.output, "customer left");
    },
  },
  {
    area: "Durable client",
    title: "suspend and resume: events raised while suspended are delivered after resume",
    azure: "dtfx/TaskOrchestrationExecutor.cs:226-230 (events wait while suspended); ext/ContextImplementations/DurableClient.cs SuspendAsync/ResumeAsync",
    run: async (env) => {
      const id = await start(env, "awaitPayment");
      await waitingFor(env, id, "paymentReceived");
      await client(env, "suspend", { instanceId: id, reason: "fraud check" });
      await waitFor(() => env.engine.getStatus(id)?.runtimeStatus === "Suspended", 60_000);
      await client(env, "raiseEvent", { instanceId: id, eventName: "paymentReceived", eventData: "held" });
      await settled(env);
      assert.equal(env.engine.getStatus(id)?.runtimeStatus, "Suspended");
      await client(env, "resume", { instanceId: id, reason: "cleared" });
      assert.deepEqual((await finished(env, id)).output, { payment: "held" });
    },
  },
  {
    area: "Durable client",
    title: "rewind runs a failed instance again from its failure",
    azure: "ext/ContextImplementations/DurableClient.cs:446-452 (RewindAsync: Failed instances; the failed activity runs again)",
    run: async (env) => {
      const paymentId = fresh("pay");
      const status = await run(env, "settleInvoice", { paymentId, outages: 1 });
      assert.equal(status.runtimeStatus, "Failed");
      assert.deepEqual(await client(env, "rewind", { instanceId: status.id, reason: "gateway is back" }), { result: "(undefined)" });
      await waitFor(() => env.engine.getStatus(status.id)?.runtimeStatus !== "Failed", 60_000);
      const again = await finished(env, status.id);
      assert.equal(again.runtimeStatus, "Completed");
      assert.equal(again.output, `charged ${paymentId} on call 2`);
    },
  },
  {
    area: "Durable client",
    title: "purgeInstanceHistory deletes one instance; purgeInstanceHistoryBy those matching the filter",
    azure: "ext/HttpApiHandler.cs:554-596 (DELETE instances/{id}, DELETE instances?createdTimeFrom=...); df/durableClient/DurableClient.js:126-200",
    run: async (env) => {
      const one = await run(env, "mirror", "purge me");
      assert.deepEqual((await client(env, "purgeInstanceHistory", { instanceId: one.id })).result, { instancesDeleted: 1 });
      assert.equal(env.engine.getStatus(one.id), undefined);
      assert.deepEqual((await client(env, "purgeInstanceHistory", { instanceId: one.id })).result, { instancesDeleted: 0 });
      const a = await run(env, "mirror", "a");
      const b = await run(env, "mirror", "b");
      const result = (
        await client(env, "purgeInstanceHistoryBy", {
          createdTimeFrom: a.createdTime,
          createdTimeTo: new Date(Date.parse(b.createdTime) + 1).toISOString(),
          runtimeStatus: ["Completed"],
        })
      ).result;
      assert.ok(result.instancesDeleted >= 2, JSON.stringify(result));
      assert.equal(env.engine.getStatus(a.id), undefined);
      assert.equal(env.engine.getStatus(b.id), undefined);
    },
  },
  {
    area: "Durable client",
    title: "terminating a parent leaves its running sub-orchestration running",
    azure: "dtfx/TaskOrchestrationContext.cs:603-606 (a termination completes only the instance it is sent to)",
    run: async (env) => {
      const parent = await start(env, "parentOfWaiter");
      const child = `${parent}-child`;
      await waitingFor(env, child, "paymentReceived");
      await client(env, "terminate", { instanceId: parent, reason: "parent cancelled" });
      assert.equal((await finished(env, parent)).runtimeStatus, "Terminated");
      await settled(env);
      assert.equal(env.engine.getStatus(child)?.runtimeStatus, "Running");
      await env.engine.raiseEvent(child, "paymentReceived", 1);
      assert.equal((await finished(env, child)).runtimeStatus, "Completed");
    },
  },
  {
    area: "Durable client",
    title: "a suspended instance can be terminated",
    azure: "dtfx/TaskOrchestrationExecutor.cs:226-228 (ExecutionTerminated overrides the suspension)",
    run: async (env) => {
      const id = await start(env, "awaitPayment");
      await waitingFor(env, id, "paymentReceived");
      await client(env, "suspend", { instanceId: id, reason: "hold" });
      await waitFor(() => env.engine.getStatus(id)?.runtimeStatus === "Suspended", 60_000);
      await client(env, "terminate", { instanceId: id, reason: "cancelled while held" });
      const status = await finished(env, id);
      assert.equal(status.runtimeStatus, "Terminated");
      assert.equal(status.output, "cancelled while held");
    },
  },
  {
    area: "Durable client",
    title: "terminate, suspend and resume of a finished instance resolve (the API answers 410)",
    azure:
      "ext/HttpApiHandler.cs:799,823,847 (410 Gone for a finished instance); df/durableClient/DurableClient.js:409-411,433-435,457-459 (202 and 410 resolve)",
    run: async (env) => {
      const done = await run(env, "mirror", "finished");
      for (const action of ["terminate", "suspend", "resume"])
        assert.deepEqual(await client(env, action, { instanceId: done.id, reason: "late" }), { result: "(undefined)" }, action);
      assert.equal(env.engine.getStatus(done.id)?.runtimeStatus, "Completed");
    },
  },
  {
    area: "Durable client",
    title: "purgeInstanceHistory deletes a running instance too",
    azure:
      "Azure/durabletask src/DurableTask.AzureStorage/Tracking/AzureTableTrackingStore.cs:717 (PurgeInstanceHistoryAsync: no status check); ext/HttpApiHandler.cs:554-567 (DELETE instances/{id})",
    run: async (env) => {
      const id = await start(env, "awaitPayment");
      await waitingFor(env, id, "paymentReceived");
      assert.deepEqual((await client(env, "purgeInstanceHistory", { instanceId: id })).result, { instancesDeleted: 1 });
      assert.equal(env.engine.getStatus(id), undefined);
    },
  },
  {
    area: "Durable client",
    title: "startNew refuses an id starting with @, and an orchestrator the app does not have",
    azure:
      'ext/ContextImplementations/DurableClient.cs:180-192 (ThrowIfFunctionDoesNotExist, ArgumentException for "@"), HttpApiHandler.cs:442-445 (400); df/durableClient/DurableClient.js:387-392 (startNew rejects an answer above 202)',
    run: async (env) => {
      assert.ok((await client(env, "startNew", { name: "mirror", instanceId: "@looks-like-an-entity" })).error);
      assert.ok((await client(env, "startNew", { name: "noSuchOrchestrator" })).error);
    },
  },
  {
    area: "Durable client",
    title: "signalEntity to an entity the app does not have is refused",
    azure: "ext/ContextImplementations/DurableClient.cs:323-326 (ThrowIfFunctionDoesNotExist), HttpApiHandler.cs:343-346 (400)",
    run: async (env) => assert.ok((await client(env, "signalEntity", { entity: { name: "warehouse", key: "w1" }, operation: "receive", input: 1 })).error),
  },
  {
    area: "Durable client",
    title: "createCheckStatusResponse: 202 with Location, Retry-After and the management links",
    azure: "samples-js/functions/httpStart.js:14; df/durableClient/DurableClient.js:58-69; ext HttpApiHandler.cs:1211-1240",
    run: async (env) => {
      const id = fresh("order");
      const answer = await post(env, `shop/mirror?id=${id}`, "hello");
      assert.equal(answer.status, 202);
      const body = answer.json();
      assert.equal(body.id, id);
      assert.equal(answer.headers.location, body.statusQueryGetUri);
      assert.equal(answer.headers["retry-after"], "10");
      for (const key of ["statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri", "suspendPostUri", "resumePostUri"]) {
        assert.ok(String(body[key]).startsWith(`${env.origin}/runtime/webhooks/durabletask/instances/${id}`), `${key}: ${body[key]}`);
      }
      await finished(env, id);
      const status = await request(body.statusQueryGetUri);
      assert.equal(status.status, 200);
      assert.equal(status.json().output, "hello");
    },
  },
  {
    area: "Durable client",
    title: "waitForCompletionOrCreateCheckStatusResponse: the output when done in time, 202 otherwise, 500 with the status when failed",
    azure: "samples-js/functions/httpSyncStart.js:22; df/durableClient/DurableClient.js:467-505",
    run: async (env) => {
      const done = await post(env, "shop-and-wait/orderTotal?timeoutMs=30000", { orderId: "W-1", taxRate: 0, lines: [{ net: 5, qty: 3 }] });
      assert.equal(done.status, 200);
      assert.deepEqual(done.json(), { orderId: "W-1", total: 15 });
      const pending = await post(env, "shop-and-wait/awaitPayment?timeoutMs=200&intervalMs=50");
      assert.equal(pending.status, 202);
      assert.ok(pending.headers.location);
      await env.engine.terminate(pending.json().id, "test over");
      const failure = await post(env, "shop-and-wait/auditMismatch?timeoutMs=30000");
      assert.equal(failure.status, 500);
      assert.equal(failure.json().runtimeStatus, "Failed");
    },
  },
  {
    area: "Durable client",
    title: "createHttpManagementPayload names the instance; taskHubName is host.json's hub",
    azure: "df/durableClient/DurableClient.js:70-72,523-535; ext/HttpApiHandler.cs:1211-1240 (the management URLs)",
    run: async (env) => {
      const payload = (await client(env, "createHttpManagementPayload", { instanceId: "abc-1" })).result;
      assert.equal(payload.id, "abc-1");
      assert.ok(String(payload.terminatePostUri).includes("/instances/abc-1/terminate"));
      assert.equal((await client(env, "taskHubName")).result, "ConformanceHub");
    },
  },
];

// ---------------------------------------------------------------- the suite

describe("runtime conformance with Azure (real apps in test/fixtures/conformance)", function () {
  this.timeout(120_000);
  const passed = new Map<Case, Set<StoreKind>>();
  const envs = new Map<StoreKind, Env>();
  const servers: EmulatorServer[] = [];
  let web: TestServer;

  async function envFor(store: StoreKind): Promise<Env> {
    const existing = envs.get(store);
    if (existing) return existing;
    const server = await startServer({
      appDir: APP,
      store: store === "memory" ? "memory" : path.join(tempDir("dd-conformance-"), "store.sqlite"),
      port: 0,
      timeSkipping: true,
      // Timers raced against an event wait for the event (or for the case to move the clock), as in a debug session.
      holdAtAwaitedEvents: true,
      appOutput: devNull(),
    });
    servers.push(server);
    const warnings: string[] = [];
    server.emulator.engine.on((event) => {
      if (event.kind === "warning") warnings.push(event.message);
    });
    const env: Env = { store, engine: server.emulator.engine, origin: server.http.origin, warnings, web };
    envs.set(store, env);
    return env;
  }

  before(async () => {
    web = await startWeb();
  });
  after(async () => {
    for (const server of servers) await server.close();
    web?.close();
  });
  afterEach(async () => {
    // Nothing a case leaves waiting may hold the clock for the next one.
    for (const env of envs.values()) {
      for (const record of env.engine.list({}).instances) {
        if (!isTerminal(record.runtimeStatus)) await env.engine.terminate(record.instanceId, "case over").catch(() => undefined);
      }
      await env.engine.whenIdle();
    }
  });

  for (const area of AREAS) {
    describe(area, () => {
      for (const testCase of cases.filter((c) => c.area === area)) {
        for (const store of testCase.sqljs ? (["memory", "sqljs"] as StoreKind[]) : (["memory"] as StoreKind[])) {
          it(`${testCase.title}${testCase.differs ? " (documented difference)" : ""}${store === "sqljs" ? " [sql.js]" : ""} [${testCase.azure}]`, async () => {
            await testCase.run(await envFor(store));
            if (!passed.has(testCase)) passed.set(testCase, new Set());
            passed.get(testCase)?.add(store);
          });
        }
      }
    });
  }

  // Its own suite, after the areas': mocha runs a suite's own tests before its child suites.
  describe("the conformance table", () => {
    it("lists every documented difference in the README", () => {
      const readme = fs.readFileSync(README, "utf8");
      const start = readme.indexOf("### Where the emulator deliberately differs from Azure");
      // The list of differences, not the paragraph after it on what behaves as in Azure.
      const section = readme.slice(start, readme.indexOf("\nThings that behave as in Azure", start));
      assert.ok(start >= 0 && section.length > 0, "the README has the differences section");
      for (const testCase of cases.filter((c) => c.differs)) {
        assert.ok(testCase.readme, `${testCase.title}: a documented difference names the README's words for it`);
        assert.ok(section.includes(testCase.readme), `the README's differences section does not mention ${testCase.readme} (${testCase.title})`);
      }
    });

    it("prints the conformance table, and docs/fidelity.md holds the same", () => {
      assert.equal(cases.filter((c) => c.sqljs).length >= AREAS.length, true, "one case of each area runs on sql.js too");
      for (const area of AREAS)
        assert.ok(
          cases.some((c) => c.area === area && c.sqljs),
          `${area}: one case runs on sql.js`,
        );
      const missing = cases.filter((c) => (passed.get(c)?.size ?? 0) !== (c.sqljs ? 2 : 1)).map((c) => c.title);
      assert.deepEqual(missing, [], "every case above must pass (on each of its stores) before the table means anything");
      assertDocTable(DOC, { start: TABLE_START, end: TABLE_END }, conformanceTable(AREAS, cases, "Runtime"), "runtime table");
    });
  });
});
