/**
 * The replay debugger on a Durable Task SDK app (@microsoft/durabletask-js 0.4.0), through a real DAP client over stdio
 * (`durable-devkit dap`): histories of real instances of the fixture app (its worker on the in-process gRPC sidecar,
 * exported with the real CLI), stepped forwards and back with the line of each durable call in the app's
 * orchestrations.js, stopped at line breakpoints, and stopped at the event where changed code no longer matches.
 */
import { strict as assert } from "node:assert";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { NoOpLogger, TaskHubGrpcClient } from "@microsoft/durabletask-js";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { startDurableTaskEmulator } from "../../emulator/grpc/durable-task-emulator";
import { cli } from "../emulator/cli-runner";
import { tempDir } from "../emulator/harness";
import { startWorker, stopWorker } from "../grpc/durabletask-worker";
import { dapLauncher } from "./dap-launcher";
import { freePort } from "../grpc/cli-emulator";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const FIXTURE = path.join(ROOT, "test", "fixtures", "durabletask-app");

/** The fixture app in a folder of its own (package.json naming the SDK, no host.json), optionally with changed code. */
function sdkApp(edit?: (code: string) => string): string {
  const dir = tempDir("dd-sdk-debug-app-");
  fs.copyFileSync(path.join(FIXTURE, "worker.js"), path.join(dir, "worker.js"));
  const code = fs.readFileSync(path.join(FIXTURE, "orchestrations.js"), "utf8");
  const edited = edit ? edit(code) : code;
  if (edit) assert.notEqual(edited, code, "the edit changes the code");
  fs.writeFileSync(path.join(dir, "orchestrations.js"), edited);
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({ name: "debugged", private: true, main: "worker.js", dependencies: { "@microsoft/durabletask-js": "0.4.0" } }),
  );
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** The fixture's line of a piece of code (so the assertions follow the fixture if it moves). */
function lineOf(text: string): number {
  const lines = fs.readFileSync(path.join(FIXTURE, "orchestrations.js"), "utf8").split("\n");
  const index = lines.findIndex((line) => line.includes(text));
  assert.ok(index >= 0, `the fixture has ${text}`);
  return index + 1;
}

describe("replay debugger on a Durable Task SDK app (durabletask-js) over DAP", function () {
  this.timeout(180_000);
  let app: string;
  let dapFile: string;
  let client: DebugClient;
  const histories = new Map<string, string>();
  const ids = new Map<string, string>();

  before(async () => {
    app = sdkApp();
    dapFile = dapLauncher();
    const emulator = await startDurableTaskEmulator({ dir: app, port: 0 });
    const worker: ChildProcess & { started: Promise<void> } = startWorker(emulator.sidecar.port, { DURABLE_TASK_QUIET: "1" });
    const sdkClient = new TaskHubGrpcClient({ hostAddress: `localhost:${emulator.sidecar.port}`, logger: new NoOpLogger() });
    try {
      await worker.started;
      for (const [label, name, input] of [
        ["chain", "chain", "Lima"],
        ["useTally", "useTally", "dbg"],
        ["timerThenHello", "timerThenHello", undefined],
        ["parent", "parent", 7],
        ["fanOut", "fanOut", 3],
      ] as const) {
        const id = await sdkClient.scheduleNewOrchestration(name, input);
        assert.ok(await sdkClient.waitForOrchestrationCompletion(id, true, 60), `${label} finished`);
        ids.set(label, id);
      }
    } finally {
      await stopWorker(worker);
      await sdkClient.stop();
      await emulator.close();
    }
    const folder = tempDir("dd-sdk-debug-histories-");
    for (const [label, id] of ids) {
      const file = path.join(folder, `${label}.json`);
      const exported = cli(["export", id, "--out", file, "--app", app]);
      assert.equal(exported.code, 0, exported.stderr);
      histories.set(label, file);
    }
  });

  beforeEach(async () => {
    client = new DebugClient(process.execPath, dapFile, "durable", undefined, !!process.env.DD_DAP_STDERR);
    client.defaultTimeout = 60_000;
    await client.start();
  });

  afterEach(() => client.stop().catch(() => undefined));

  after(async () => {
    // No worker of the app outlives its sessions: neither the one that ran the instances nor the replaying one.
    const running = () =>
      fs
        .readdirSync("/proc")
        .filter((name) => /^\d+$/.test(name))
        .filter((pid) => {
          try {
            return fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").includes(app);
          } catch {
            return false;
          }
        });
    if (process.platform !== "linux") return;
    for (const deadline = Date.now() + 10_000; running().length && Date.now() < deadline;) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(running(), [], "no process of the app is left");
  });

  const stopped = async () => (await client.waitForEvent("stopped")) as DebugProtocol.StoppedEvent;

  async function top(threadId: number): Promise<DebugProtocol.StackFrame> {
    return (await client.stackTraceRequest({ threadId })).body.stackFrames[0];
  }

  async function scope(name: string, threadId: number): Promise<Record<string, string>> {
    const stack = await client.stackTraceRequest({ threadId });
    const scopes = await client.scopesRequest({ frameId: stack.body.stackFrames[0].id });
    const found = scopes.body.scopes.find((candidate) => candidate.name === name);
    assert.ok(found, `scope ${name}`);
    const variables = await client.variablesRequest({ variablesReference: found.variablesReference });
    return Object.fromEntries(variables.body.variables.map((variable) => [variable.name, variable.value]));
  }

  async function evaluate(expression: string, threadId: number): Promise<string> {
    const frameId = (await client.stackTraceRequest({ threadId })).body.stackFrames[0].id;
    return (await client.evaluateRequest({ expression, frameId, context: "watch" })).body.result;
  }

  async function launch(args: Record<string, unknown>): Promise<void> {
    await Promise.all([client.configurationSequence(), client.launch({ app, mode: "replay", ...args })]);
  }

  /** Steps with `next` from the entry to the end of the history: each stop's event type, line and frame name. */
  async function stepThrough(threadId: number): Promise<{ type: string; line: number; name: string; file?: string }[]> {
    const seen: { type: string; line: number; name: string; file?: string }[] = [];
    for (;;) {
      const frame = await top(threadId);
      const type = JSON.parse((await scope("Event", threadId)).type) as string;
      seen.push({ type, line: frame.line, name: frame.name, file: frame.source?.path });
      if (type === "ExecutionCompleted") return seen;
      const next = stopped();
      await client.nextRequest({ threadId });
      await next;
    }
  }

  it("steps a saved chain history event by event with the line of each ctx.callActivity, then back and forth identically", async () => {
    const orchestrations = path.join(app, "orchestrations.js");
    const entry = stopped();
    await launch({ history: histories.get("chain"), stopOnEntry: true });
    const first = await entry;
    assert.equal(first.body.reason, "entry");
    const threadId = first.body.threadId as number;
    const threads = await client.threadsRequest();
    assert.equal(threads.body.threads.length, 1);
    assert.match(threads.body.threads[0].name, /chain/);

    const seen = await stepThrough(threadId);
    const [l1, l2, l3] = [lineOf("`${name} 1`"), lineOf("`${name} 2`"), lineOf("`${name} 3`")];
    assert.deepEqual(
      seen.map((s) => `${s.type}@${s.line}`),
      [
        `ExecutionStarted@${l1}`,
        `TaskScheduled@${l1}`,
        `TaskCompleted@${l1}`,
        `TaskScheduled@${l2}`,
        `TaskCompleted@${l2}`,
        `TaskScheduled@${l3}`,
        `TaskCompleted@${l3}`,
        `ExecutionCompleted@${l3}`,
      ],
    );
    for (const s of seen) assert.equal(s.file, orchestrations, `${s.type}'s frame is in the app's orchestrations.js`);
    assert.match(seen[1].name, /^callActivity\("hello"\) ← TaskScheduled #\d+ \(replaying\)$/);
    const atEnd = await scope("Orchestration", threadId);
    assert.equal(atEnd.status, '"Completed"');
    assert.equal(atEnd.output, "Array(3)");
    assert.equal(await evaluate("orchestration.output[0]", threadId), '"Hello, Lima 1!"');

    // Back to the second call's scheduling, and forward again: the same frames and state.
    for (let i = 0; i < 4; i++) {
      const back = stopped();
      await client.stepBackRequest({ threadId });
      await back;
    }
    assert.equal((await top(threadId)).line, l2);
    assert.equal(JSON.parse((await scope("Event", threadId)).type), "TaskScheduled");
    assert.equal(await evaluate("orchestration.pendingTasks[0].call", threadId), '"callActivity(\\"hello\\")"');
    assert.equal(await evaluate("orchestration.pendingTasks[0].line", threadId), `"orchestrations.js:${l2}"`);
    const event = await scope("Event", threadId);
    assert.equal(event.input, '"Lima 2"');
    for (let i = 0; i < 4; i++) {
      const forward = stopped();
      await client.nextRequest({ threadId });
      await forward;
    }
    assert.equal(JSON.parse((await scope("Event", threadId)).type), "ExecutionCompleted");
    assert.deepEqual(await scope("Orchestration", threadId), atEnd);
  });

  it("stops at a line breakpoint on a durable call, and continues to the next event of that line", async () => {
    const orchestrations = path.join(app, "orchestrations.js");
    const line = lineOf("`${name} 2`");
    await client.initializeRequest({ adapterID: "durable", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    const placed = await client.setBreakpointsRequest({ source: { path: orchestrations }, breakpoints: [{ line }] });
    assert.equal(placed.body.breakpoints[0].verified, true);
    assert.equal(placed.body.breakpoints[0].line, line);
    await client.configurationDoneRequest();
    const hit = stopped();
    await client.launch({ app, mode: "replay", history: histories.get("chain") });
    const event = await hit;
    assert.equal(event.body.reason, "breakpoint");
    const threadId = event.body.threadId as number;
    assert.equal((await top(threadId)).line, line);
    assert.equal(JSON.parse((await scope("Event", threadId)).type), "TaskScheduled");
    const again = stopped();
    await client.continueRequest({ threadId });
    await again;
    assert.equal((await top(threadId)).line, line);
    assert.equal(JSON.parse((await scope("Event", threadId)).type), "TaskCompleted");
    assert.equal((await scope("Event", threadId)).result, '"Hello, Lima 2!"');
  });

  it("steps entity calls and a timer with their lines (a history from the store by instance id, and a file)", async () => {
    const entry = stopped();
    // From the app folder's store, by id, as `replay <id>` reads it.
    await launch({ instanceId: ids.get("useTally"), stopOnEntry: true });
    const threadId = (await entry).body.threadId as number;
    const seen = await stepThrough(threadId);
    const lines = new Set(seen.map((s) => s.line));
    for (const text of ['ctx.entities.signalEntity(id, "add", 5)', 'callEntity(id, "add", 10)', 'callEntity(id, "refuse", 1000)', 'callEntity(id, "get")'])
      assert.ok(lines.has(lineOf(text)), `a stop on the line of ${text}: ${JSON.stringify(seen)}`);
    const signal = seen.find((s) => s.line === lineOf('ctx.entities.signalEntity(id, "add", 5)'));
    assert.match(signal?.name ?? "", /^signalEntity\(@tally@dbg, "add"\) ← EventSent/);
    assert.ok(seen.some((s) => /^callEntity\(@tally@dbg, "get"\)/.test(s.name)));
    await client.stop();

    client = new DebugClient(process.execPath, dapFile, "durable", undefined, !!process.env.DD_DAP_STDERR);
    client.defaultTimeout = 60_000;
    await client.start();
    const timerEntry = stopped();
    await launch({ history: histories.get("timerThenHello"), stopOnEntry: true });
    const timerThread = (await timerEntry).body.threadId as number;
    const timer = await stepThrough(timerThread);
    const timerLine = lineOf("yield ctx.createTimer(");
    const helloLine = lineOf('callActivity(hello, "after timer")');
    assert.deepEqual(
      timer.map((s) => `${s.type}@${s.line}`),
      [
        `ExecutionStarted@${timerLine}`,
        `TimerCreated@${timerLine}`,
        `TimerFired@${timerLine}`,
        `TaskScheduled@${helloLine}`,
        `TaskCompleted@${helloLine}`,
        `ExecutionCompleted@${helloLine}`,
      ],
    );
    assert.match(timer[1].name, /^createTimer\(/);
  });

  it("steps a whenAll fan-out (every call on its line) and stops at a function breakpoint on the activity", async () => {
    await client.initializeRequest({ adapterID: "durable", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    const placed = await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: "double" }] });
    assert.equal(placed.body.breakpoints.length, 1);
    await client.configurationDoneRequest();
    const hit = stopped();
    await client.launch({ app, mode: "replay", history: histories.get("fanOut") });
    const event = await hit;
    assert.equal(event.body.reason, "function breakpoint");
    const threadId = event.body.threadId as number;
    const callLine = lineOf("tasks.push(ctx.callActivity(double, i))");
    assert.equal((await top(threadId)).line, callLine);
    assert.match((await top(threadId)).name, /^callActivity\("double"\) ← TaskScheduled/);
    assert.equal(await evaluate("event.input", threadId), "0");
    assert.equal(await evaluate("orchestration.pendingTasks.length", threadId), "3");
    const seen = await stepThrough(threadId);
    assert.deepEqual(
      seen.map((s) => s.type),
      ["TaskScheduled", "TaskScheduled", "TaskScheduled", "TaskCompleted", "TaskCompleted", "TaskCompleted", "ExecutionCompleted"],
    );
    for (const s of seen) assert.equal(s.line, callLine, `${s.type} on the line of the fan-out's call`);
    assert.equal(await evaluate("orchestration.output", threadId), "6");
  });

  it("steps into a sub-orchestration of an instance from the store: its own thread, with the child's lines", async () => {
    const entry = stopped();
    await launch({ instanceId: ids.get("parent"), stopOnEntry: true });
    const threadId = (await entry).body.threadId as number;
    const subLine = lineOf("yield ctx.callSubOrchestrator(chain");
    assert.equal((await top(threadId)).line, subLine);
    const next = stopped();
    await client.nextRequest({ threadId });
    await next;
    assert.equal(JSON.parse((await scope("Event", threadId)).type), "SubOrchestrationInstanceCreated");
    assert.match((await top(threadId)).name, /^callSubOrchestrator\("chain"\) ← SubOrchestrationInstanceCreated/);
    const into = stopped();
    await client.stepInRequest({ threadId });
    const child = (await into).body.threadId as number;
    assert.notEqual(child, threadId);
    assert.equal((await client.threadsRequest()).body.threads.length, 2);
    assert.equal((await top(child)).line, lineOf("`${name} 1`"));
    assert.equal(JSON.parse((await scope("Event", child)).type), "ExecutionStarted");
    assert.equal(await evaluate("orchestration.input", child), '"child 7"');
    const out = stopped();
    await client.stepOutRequest({ threadId: child });
    assert.equal((await out).body.threadId, threadId);
    assert.equal(JSON.parse((await scope("Event", threadId)).type), "SubOrchestrationInstanceCompleted");
    assert.equal((await top(threadId)).line, subLine);
  });

  it("stops with the nondeterminism reason where changed code no longer matches the history, at the changed call's line", async () => {
    const changed = sdkApp((code) => code.replace("const b = yield ctx.callActivity(hello, `${name} 2`);", "const b = yield ctx.callActivity(double, 2);"));
    const hit = stopped();
    await launch({ app: changed, history: histories.get("chain") });
    const event = await hit;
    assert.equal(event.body.reason, "exception");
    assert.equal(event.body.description, "Nondeterminism");
    const threadId = event.body.threadId as number;
    const frame = await top(threadId);
    assert.equal(frame.source?.path, path.join(changed, "orchestrations.js"));
    assert.equal(frame.line, lineOf("`${name} 2`"));
    assert.match(frame.name, /call of activity 'double' ≠ history: call of activity 'hello'/);
    const info = await client.exceptionInfoRequest({ threadId });
    assert.match(info.body.details?.message ?? "", /Non-deterministic workflow detected/);
    assert.match(info.body.details?.stackTrace ?? "", /history: call of activity 'hello'\ncode: {4}call of activity 'double'/);
  });

  it("launches a new instance of the SDK app on the session's own sidecar and steps it live, its worker run as the user runs it", async () => {
    const port = await freePort();
    const entry = stopped();
    await launch({ mode: "run", orchestrator: "chain", input: "Live", stopOnEntry: true, grpcPort: port, env: { DURABLE_TASK_HOST: `localhost:${port}` } });
    const threadId = (await entry).body.threadId as number;
    const seen = await stepThrough(threadId);
    const [l1, l2, l3] = [lineOf("`${name} 1`"), lineOf("`${name} 2`"), lineOf("`${name} 3`")];
    assert.deepEqual(
      seen.map((s) => `${s.type}@${s.line}`),
      [
        `ExecutionStarted@${l1}`,
        `TaskScheduled@${l1}`,
        `TaskCompleted@${l1}`,
        `TaskScheduled@${l2}`,
        `TaskCompleted@${l2}`,
        `TaskScheduled@${l3}`,
        `TaskCompleted@${l3}`,
        `ExecutionCompleted@${l3}`,
      ],
    );
    assert.equal(await evaluate("orchestration.output[2]", threadId), '"Hello, Live 3!"');

    // A second session, where the orchestrator waits for an event: raised from the debug console, it goes on.
    await client.stop();
    client = new DebugClient(process.execPath, dapFile, "durable", undefined, !!process.env.DD_DAP_STDERR);
    client.defaultTimeout = 60_000;
    await client.start();
    const waiting = stopped();
    await launch({ mode: "run", orchestrator: "approval", grpcPort: port, env: { DURABLE_TASK_HOST: `localhost:${port}` }, stopOnEntry: true });
    const approvalThread = (await waiting).body.threadId as number;
    assert.equal((await top(approvalThread)).line, lineOf('ctx.waitForExternalEvent("approve")'));
    const frameId = (await client.stackTraceRequest({ threadId: approvalThread })).body.stackFrames[0].id;
    await client.evaluateRequest({ expression: "raise approve true", frameId, context: "repl" });
    const output: string[] = [];
    client.on("output", (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    const end = client.waitForEvent("terminated");
    await client.continueRequest({ threadId: approvalThread });
    await end;
    assert.match(output.join(""), /approval \S+: end of the history \(Completed\)/);
  });
});
