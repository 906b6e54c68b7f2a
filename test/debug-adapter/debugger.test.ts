/**
 * The replay debugger through a real DAP client over stdio (@vscode/debugadapter-testsupport's DebugClient talking to
 * `durable-devkit dap`), on a TypeScript app whose stacks are mapped back to the .ts lines.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { devNull, tempDir } from "../emulator/harness";
import { startServer } from "../../emulator";
import { cliAsync as runCli } from "../emulator/cli-runner";
import { dapLauncher } from "./dap-launcher";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** A port nothing listens on now, for the app's inspector. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

// Line numbers below are asserted: keep the layout.
const ORCHESTRATIONS = `import * as df from "durable-functions";
import type { OrchestrationContext } from "durable-functions";

df.app.orchestration("greetings", function* (context: OrchestrationContext) {
  const cities = context.df.getInput() as string[];
  const results: string[] = [];
  for (const city of cities) {
    results.push(yield context.df.callActivity("greet", city));
  }
  context.df.setCustomStatus({ done: results.length });
  return results;
});

df.app.orchestration("approval", function* (context: OrchestrationContext) {
  const deadline = new Date(context.df.currentUtcDateTime.getTime() + 3600_000);
  const timer = context.df.createTimer(deadline);
  const answer = context.df.waitForExternalEvent("Approved");
  const winner = yield context.df.Task.any([answer, timer]);
  if (winner === answer) timer.cancel();
  return winner === answer ? { approved: answer.result } : { approved: false };
});

df.app.orchestration("parent", function* (context: OrchestrationContext) {
  const first = yield context.df.callSubOrchestrator("greetings", ["Oslo"], "child-1");
  context.log("parent got", first.length, "greeting");
  const total = yield context.df.callActivity("count", first);
  return total;
});

df.app.orchestration("risky", function* (context: OrchestrationContext) {
  try {
    yield context.df.callActivity("explode", "boom");
  } catch {
    // handled: the orchestration goes on
  }
  try {
    yield context.df.callEntity(new df.EntityId("counter", "c1"), "fail");
  } catch {
    // handled too
  }
  return "survived";
});
`;

const ACTIVITIES = `import * as df from "durable-functions";

df.app.activity("greet", { handler: (city: string) => \`Hello, \${city}!\` });
df.app.activity("shout", { handler: (city: string) => \`HELLO, \${city}!\` });
df.app.activity("count", {
  handler: (items: string[], context: { log(...args: unknown[]): void }) => {
    context.log("counting", items.length, "items");
    return items.length;
  },
});
df.app.activity("explode", {
  handler: (what: string) => {
    throw new Error(\`exploded: \${what}\`);
  },
});
df.app.entity("counter", (context) => {
  if (context.df.operationName === "fail") throw new Error("entity says no");
  context.df.setState((context.df.getState(() => 0) as number) + 1);
});
`;

function makeApp(): string {
  const dir = path.join(tempDir("dd-dap-"), "app");
  fs.mkdirSync(path.join(dir, "src", "functions"), { recursive: true });
  fs.writeFileSync(
    path.join(dir, "package.json"),
    JSON.stringify({
      name: "dap-app",
      private: true,
      main: "dist/src/functions/*.js",
      dependencies: { "durable-functions": "3.5.0", "@azure/functions": "4.16.5" },
    }),
  );
  fs.writeFileSync(path.join(dir, "host.json"), JSON.stringify({ version: "2.0" }));
  fs.writeFileSync(
    path.join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { module: "commonjs", target: "es2022", outDir: "dist", rootDir: ".", strict: true, esModuleInterop: true, skipLibCheck: true },
    }),
  );
  fs.writeFileSync(path.join(dir, "src", "functions", "orchestrations.ts"), ORCHESTRATIONS);
  fs.writeFileSync(path.join(dir, "src", "functions", "activities.ts"), ACTIVITIES);
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

describe("replay debugger over DAP", function () {
  this.timeout(120_000);
  let app: string;
  let dapFile: string;
  let client: DebugClient;
  let orchestrations: string;

  before(() => {
    app = makeApp();
    dapFile = dapLauncher();
    orchestrations = path.join(app, "src", "functions", "orchestrations.ts");
  });

  beforeEach(async () => {
    client = new DebugClient(process.execPath, dapFile, "durable", undefined, !!process.env.DD_DAP_STDERR);
    // DebugClient's 5 s default fails a loaded machine for no defect; each wait still ends on what it waits for.
    client.defaultTimeout = 60_000;
    await client.start();
  });

  afterEach(() => stopClient());

  /**
   * Once per test: a second DebugClient.stop() sends disconnect to an adapter that is gone and waits out the whole
   * request timeout for its answer.
   */
  let stoppedClient: DebugClient | undefined;
  async function stopClient(): Promise<void> {
    if (stoppedClient === client) return;
    stoppedClient = client;
    await client.stop().catch(() => undefined);
  }

  async function top(threadId?: number): Promise<DebugProtocol.StackFrame> {
    const threads = await client.threadsRequest();
    const id = threadId ?? threads.body.threads[0].id;
    const stack = await client.stackTraceRequest({ threadId: id });
    return stack.body.stackFrames[0];
  }

  async function scope(name: string, threadId: number): Promise<Record<string, string>> {
    const stack = await client.stackTraceRequest({ threadId });
    const scopes = await client.scopesRequest({ frameId: stack.body.stackFrames[0].id });
    const found = scopes.body.scopes.find((candidate) => candidate.name === name);
    assert.ok(found, `scope ${name}`);
    const variables = await client.variablesRequest({ variablesReference: found.variablesReference });
    return Object.fromEntries(variables.body.variables.map((variable) => [variable.name, variable.value]));
  }

  async function stopped(): Promise<DebugProtocol.StoppedEvent> {
    return (await client.waitForEvent("stopped")) as DebugProtocol.StoppedEvent;
  }

  /** Continues until the session ends; returns what the debug console printed on the way. */
  async function continueToEnd(threadId: number): Promise<string> {
    const output: string[] = [];
    client.on("output", (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    const end = client.waitForEvent("terminated");
    await client.continueRequest({ threadId });
    await end;
    return output.join("");
  }

  async function launch(args: Record<string, unknown>): Promise<void> {
    await Promise.all([client.configurationSequence(), client.launch({ app, ...args })]);
  }

  it("launches a chain and steps through every event with the .ts line and the event, then back and forth identically", async () => {
    const first = stopped();
    await launch({ orchestrator: "greetings", input: ["Tokyo", "Seattle"], stopOnEntry: true });
    const entry = await first;
    assert.equal(entry.body.reason, "entry");
    const threadId = entry.body.threadId as number;
    const seen: { name: string; line: number; type: string; extra: string }[] = [];
    for (;;) {
      const frame = await top(threadId);
      const event = await scope("Event", threadId);
      seen.push({ name: frame.name, line: frame.line, type: JSON.parse(event.type), extra: event.result ?? event.input ?? "" });
      assert.equal(frame.source?.path, orchestrations, `frame source of ${frame.name}`);
      if (JSON.parse(event.type) === "ExecutionCompleted") break;
      const next = stopped();
      await client.nextRequest({ threadId });
      await next;
    }
    assert.deepEqual(
      seen.map((s) => `${s.type}@${s.line}`),
      ["ExecutionStarted@8", "TaskScheduled@8", "TaskCompleted@8", "TaskScheduled@8", "TaskCompleted@8", "ExecutionCompleted@8"],
    );
    assert.match(seen[1].name, /^callActivity\("greet"\) ← TaskScheduled #\d+/);
    assert.equal(seen[1].extra, '"Tokyo"');
    assert.equal(seen[2].extra, '"Hello, Tokyo!"');
    assert.equal(seen[4].extra, '"Hello, Seattle!"');

    // Three back, then three forward: the same frames and the same state.
    const atEnd = { frame: await top(threadId), orchestration: await scope("Orchestration", threadId) };
    assert.equal(JSON.parse(atEnd.orchestration.status), "Completed");
    assert.equal(atEnd.orchestration.customStatus, '{"done":2}');
    for (let i = 0; i < 3; i++) {
      const back = stopped();
      await client.stepBackRequest({ threadId });
      await back;
    }
    const middle = await scope("Event", threadId);
    assert.equal(JSON.parse(middle.type), "TaskCompleted");
    assert.equal(middle.result, '"Hello, Tokyo!"');
    assert.equal(JSON.parse((await scope("Orchestration", threadId)).status), "Running");
    for (let i = 0; i < 3; i++) {
      const forward = stopped();
      await client.nextRequest({ threadId });
      await forward;
    }
    assert.deepEqual({ frame: await top(threadId), orchestration: await scope("Orchestration", threadId) }, atEnd);

    const evaluated = await client.evaluateRequest({ expression: "history.length", context: "watch" });
    assert.ok(Number(evaluated.body.result) >= 10);
    const result = await client.evaluateRequest({ expression: "orchestration.output[1]", context: "watch" });
    assert.equal(result.body.result, '"Hello, Seattle!"');
    await assert.rejects(client.evaluateRequest({ expression: "process.exit()", context: "watch" }), /not defined here|Cannot read/);

    // Back to the start in one go, then the same first frame as at entry.
    const rewound = stopped();
    await client.reverseContinueRequest({ threadId });
    assert.equal((await rewound).body.reason, "entry");
    assert.equal(JSON.parse((await scope("Event", threadId)).type), "ExecutionStarted");

    // Restart frame replays from the start again.
    // Listen before asking: the stop can arrive in the same read as the answer.
    const stepped = stopped();
    await client.nextRequest({ threadId });
    await stepped;
    const restarted = stopped();
    await client.send("restartFrame", { frameId: (await top(threadId)).id });
    assert.equal((await restarted).body.reason, "entry");
    assert.equal(JSON.parse((await scope("Event", threadId)).type), "ExecutionStarted");

    const end = client.waitForEvent("terminated");
    await client.continueRequest({ threadId });
    await end;
  });

  it("stops on a failed activity and a failed entity operation when those exception filters are on", async () => {
    await client.initializeRequest({ adapterID: "durable", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    await client.setExceptionBreakpointsRequest({ filters: ["activityFailed", "entityError"] });
    await client.configurationDoneRequest();
    const first = stopped();
    await client.launch({ app, orchestrator: "risky", timeSkipping: true });
    const activity = await first;
    assert.equal(activity.body.reason, "exception");
    assert.equal(activity.body.description, "Activity failed");
    const threadId = activity.body.threadId as number;
    const info = await client.exceptionInfoRequest({ threadId });
    assert.match(info.body.description ?? "", /explode failed: .*exploded: boom/);
    assert.equal(JSON.parse((await scope("Event", threadId)).type), "TaskFailed");

    const second = stopped();
    await client.continueRequest({ threadId });
    const entity = await second;
    assert.equal(entity.body.description, "Entity operation failed");
    // As on Azure, the entity's Error reaches the caller as JSON.stringify(error): "[object Object]" (Entity.js:47-49).
    assert.match(
      (await client.exceptionInfoRequest({ threadId })).body.description ?? "",
      /callEntity fails with "\[object Object\]" \(an Error thrown in the entity serializes as \{\}/,
    );
    assert.match(await continueToEnd(threadId), /end of the history \(Completed\)/);
  });

  it("pauses an instance that waits for an event", async () => {
    await Promise.all([client.configurationSequence(), client.launch({ app, orchestrator: "approval", timeSkipping: false })]);
    const threadId = (await client.threadsRequest()).body.threads[0].id;
    // Once its first episode has run, the instance waits for the event with history to show.
    for (const deadline = Date.now() + 30_000; (await client.stackTraceRequest({ threadId })).body.stackFrames.length === 0;) {
      assert.ok(Date.now() < deadline, "the instance never ran its first episode");
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const paused = stopped();
    await client.pauseRequest({ threadId });
    assert.equal((await paused).body.reason, "pause");
    assert.match((await top(threadId)).name, /← (TimerCreated|EventRaised|ExecutionStarted)/, "the newest history event");
  });

  it("terminates the instance from the debug console", async () => {
    const entry = stopped();
    await launch({ orchestrator: "approval", timeSkipping: false, stopOnEntry: true });
    const threadId = (await entry).body.threadId as number;
    const answer = await client.evaluateRequest({ expression: "terminate not needed", context: "repl" });
    assert.match(answer.body.result, /Terminated/);
    assert.match(await continueToEnd(threadId), /end of the history \(Terminated\)/);
  });

  it("stops at a line breakpoint on the event of that line, and moves a breakpoint to the next durable call", async () => {
    const hit = stopped();
    await client.initializeRequest({ adapterID: "durable", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    const breakpoints = await client.setBreakpointsRequest({ source: { path: orchestrations }, breakpoints: [{ line: 15 }, { line: 40 }] });
    assert.deepEqual(
      breakpoints.body.breakpoints.map((bp) => [bp.verified, bp.line]),
      [
        [true, 16],
        [false, undefined],
      ],
    );
    assert.match(breakpoints.body.breakpoints[0].message ?? "", /Moved to line 16/);
    assert.match(breakpoints.body.breakpoints[1].message ?? "", /No durable call at or after this line/);
    await client.configurationDoneRequest();
    await client.launch({ app, orchestrator: "approval", timeSkipping: true });
    const event = await hit;
    assert.equal(event.body.reason, "breakpoint");
    const frame = await top(event.body.threadId);
    assert.equal(frame.line, 16);
    assert.match(frame.name, /^createTimer\(.*\) ← TimerCreated #\d+/);
    assert.equal(JSON.parse((await scope("Event", event.body.threadId as number)).type), "TimerCreated");
  });

  it("beside VS Code's JavaScript debugger moves no breakpoint, and says a line with no durable call is that debugger's alone", async () => {
    await client.initializeRequest({ adapterID: "durable", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    // Set before the launch, as VS Code may: placed as for the replay debugger alone (line 15 moves to line 16)…
    const before = await client.setBreakpointsRequest({ source: { path: orchestrations }, breakpoints: [{ line: 15 }, { line: 16 }] });
    assert.deepEqual(
      before.body.breakpoints.map((bp) => [bp.verified, bp.line]),
      [
        [true, 16],
        [true, 16],
      ],
    );
    // …then placed again once the launch says the JavaScript debugger is beside (an inspector port).
    const changed = new Map<number, DebugProtocol.Breakpoint>();
    client.on("breakpoint", (event: DebugProtocol.BreakpointEvent) => changed.set(event.body.breakpoint.id as number, event.body.breakpoint));
    await client.configurationDoneRequest();
    const hit = stopped();
    await client.launch({ app, orchestrator: "approval", timeSkipping: true, inspectPort: await freePort() });
    const event = await hit;
    assert.equal(event.body.reason, "breakpoint");
    assert.equal((await top(event.body.threadId)).line, 16, "the stop is the durable call's own line");
    const [notDurable, durable] = before.body.breakpoints.map((bp) => changed.get(bp.id as number));
    assert.equal(notDurable?.verified, false);
    assert.match(notDurable?.message ?? "", /Not a durable stop: line 15 makes no durable call.*JavaScript debugger stops here in every episode/);
    assert.deepEqual([durable?.verified, durable?.line], [true, 16]);
    assert.match(durable?.message ?? "", /JavaScript debugger also stops on this line in every episode that runs it, replays included/);
    const after = await client.setBreakpointsRequest({ source: { path: orchestrations }, breakpoints: [{ line: 15 }] });
    assert.deepEqual(
      after.body.breakpoints.map((bp) => [bp.verified, bp.line]),
      [[false, undefined]],
    );
  });

  it("beside a JavaScript debugger that skips replays (stopInReplay false, as VS Code's by default), says it stops where the line first runs", async () => {
    await client.initializeRequest({ adapterID: "durable", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    await client.configurationDoneRequest();
    const hit = stopped();
    await client.launch({ app, orchestrator: "approval", timeSkipping: true, inspectPort: await freePort(), stopInReplay: false, stopOnEntry: true });
    await hit;
    const placed = await client.setBreakpointsRequest({ source: { path: orchestrations }, breakpoints: [{ line: 15 }, { line: 16 }] });
    const [notDurable, durable] = placed.body.breakpoints;
    assert.match(
      notDurable.message ?? "",
      /Not a durable stop: line 15 makes no durable call.*JavaScript debugger stops here where the orchestrator runs it for the first time, not in replays \(durableDevkit\.debug\.stopInReplay\)/,
    );
    assert.match(durable.message ?? "", /JavaScript debugger also stops on this line where the orchestrator runs it for the first time, not in replays/);
    assert.doesNotMatch(`${notDurable.message} ${durable.message}`, /every episode/);
  });

  it("stops at a function breakpoint on an activity, and stepIn shows the activity about to run", async () => {
    const hit = stopped();
    await client.initializeRequest({ adapterID: "durable", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: "greet" }] });
    await client.configurationDoneRequest();
    await client.launch({ app, orchestrator: "greetings", input: ["Lima"] });
    const event = await hit;
    assert.equal(event.body.reason, "function breakpoint");
    const threadId = event.body.threadId as number;
    assert.equal(JSON.parse((await scope("Event", threadId)).type), "TaskScheduled");
    const stepped = stopped();
    await client.stepInRequest({ threadId });
    await stepped;
    const frame = await top(threadId);
    assert.match(frame.name, /^activity greet\("Lima"\)/);
    assert.equal(frame.source?.path, path.join(app, "src", "functions", "activities.ts"));
    assert.equal(frame.line, 3);
  });

  it("completes a human-interaction instance with raise from the debug console", async () => {
    const entry = stopped();
    await launch({ orchestrator: "approval", timeSkipping: false, stopOnEntry: true });
    const threadId = (await entry).body.threadId as number;
    const raised = await client.evaluateRequest({ expression: 'raise Approved {"by":"ana"}', context: "repl" });
    assert.match(raised.body.result, /Raised "Approved"/);
    assert.match(await continueToEnd(threadId), /end of the history \(Completed\)/);
    const bad = client.evaluateRequest({ expression: "raise Approved {not json", context: "repl" });
    await assert.rejects(bad);
  });

  it("moves the emulator's clock with advance, which fires the durable timer", async () => {
    const entry = stopped();
    await launch({ orchestrator: "approval", timeSkipping: false, stopOnEntry: true });
    const threadId = (await entry).body.threadId as number;
    const advanced = await client.evaluateRequest({ expression: "advance 2h", context: "repl" });
    assert.match(advanced.body.result, /The clock is now/);
    await assert.rejects(client.evaluateRequest({ expression: "advance soon", context: "repl" }), /is not a duration/);
    assert.match(await continueToEnd(threadId), /end of the history \(Completed\)/);
  });

  it("steps into a sub-orchestration's thread and back out to the parent", async () => {
    const output: string[] = [];
    client.on("output", (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    const entry = stopped();
    await launch({ orchestrator: "parent", stopOnEntry: true });
    const parentThread = (await entry).body.threadId as number;
    let event = await scope("Event", parentThread);
    while (JSON.parse(event.type) !== "SubOrchestrationInstanceCreated") {
      const next = stopped();
      await client.nextRequest({ threadId: parentThread });
      await next;
      event = await scope("Event", parentThread);
    }
    const into = stopped();
    await client.stepInRequest({ threadId: parentThread });
    const childStop = await into;
    const childThread = childStop.body.threadId as number;
    assert.notEqual(childThread, parentThread);
    const childOrchestration = await scope("Orchestration", childThread);
    assert.equal(JSON.parse(childOrchestration.instanceId), "child-1");
    assert.equal(JSON.parse(childOrchestration.name), "greetings");
    const threads = await client.threadsRequest();
    assert.equal(threads.body.threads.length, 2);
    const out = stopped();
    await client.stepOutRequest({ threadId: childThread });
    const back = await out;
    assert.equal(back.body.threadId, parentThread);
    const completed = await scope("Event", parentThread);
    assert.equal(JSON.parse(completed.type), "SubOrchestrationInstanceCompleted");
    assert.equal(completed.result, "Array(1)");
    // The orchestrator's log appears as its event is passed (marked when replayed); the activity's appears live.
    await continueToEnd(parentThread);
    assert.match(output.join(""), /(\[replay\] )?\[parent\] parent got 1 greeting/);
    assert.match(output.join(""), /\[count\] counting 1 items/);
  });

  it("replays an exported history against changed code and stops on nondeterminism at the changed line", async () => {
    const storeFile = path.join(tempDir(), "store.sqlite");
    const run = await runCli(["run", "greetings", "--input", '["Rome","Paris"]', "--app", app, "--store", storeFile, "--json"]);
    assert.equal(run.code, 0, run.stderr);
    const instanceId = (JSON.parse(run.stdout) as { instanceId: string }).instanceId;
    const file = path.join(tempDir(), "greetings.json");
    assert.equal((await runCli(["export", instanceId, "--out", file, "--app", app, "--store", storeFile])).code, 0);
    const changedApp = path.join(tempDir("dd-dap-changed-"), "app");
    fs.cpSync(app, changedApp, { recursive: true, verbatimSymlinks: true });
    fs.rmSync(path.join(changedApp, "dist"), { recursive: true, force: true });
    const changedFile = path.join(changedApp, "src", "functions", "orchestrations.ts");
    fs.writeFileSync(changedFile, ORCHESTRATIONS.replace('callActivity("greet", city)', 'callActivity(city === "Paris" ? "shout" : "greet", city)'));

    const hit = stopped();
    await launch({ app: changedApp, mode: "replay", history: file });
    const event = await hit;
    assert.equal(event.body.reason, "exception");
    assert.equal(event.body.description, "Nondeterminism");
    const frame = await top(event.body.threadId);
    assert.equal(frame.source?.path, changedFile);
    assert.equal(frame.line, 8);
    assert.match(frame.name, /call of activity 'shout' ≠ history: call of activity 'greet'/);
    const info = await client.exceptionInfoRequest({ threadId: event.body.threadId as number });
    assert.match(info.body.details?.stackTrace ?? "", /history: call of activity 'greet'\ncode: {4}call of activity 'shout'/);

    // The same history against the unchanged code replays to the end without stopping.
    const cli = await runCli(["replay", file, "--app", app]);
    assert.equal(cli.code, 0, cli.stdout + cli.stderr);
    const diverged = await runCli(["replay", file, "--app", changedApp]);
    assert.equal(diverged.code, 1);
    assert.match(diverged.stdout, /at src\/functions\/orchestrations\.ts:8:/);
  });

  it("replays a history in the management API's shape (showHistory=true)", async () => {
    const file = path.join(tempDir(), "api.json");
    fs.writeFileSync(
      file,
      JSON.stringify({
        name: "greetings",
        instanceId: "from-azure",
        runtimeStatus: "Completed",
        input: ["Kyiv", "Rome"],
        output: ["Hello, Kyiv!", "Hello, Rome!"],
        historyEvents: [
          { EventType: "ExecutionStarted", Timestamp: "2026-01-01T00:00:00Z", FunctionName: "greetings", Input: '["Kyiv","Rome"]' },
          {
            EventType: "TaskCompleted",
            Timestamp: "2026-01-01T00:00:01Z",
            FunctionName: "greet",
            ScheduledTime: "2026-01-01T00:00:00Z",
            Result: "Hello, Kyiv!",
          },
          {
            EventType: "TaskCompleted",
            Timestamp: "2026-01-01T00:00:02Z",
            FunctionName: "greet",
            ScheduledTime: "2026-01-01T00:00:01Z",
            Result: "Hello, Rome!",
          },
          { EventType: "ExecutionCompleted", Timestamp: "2026-01-01T00:00:02Z", OrchestrationStatus: "Completed", Result: ["Hello, Kyiv!", "Hello, Rome!"] },
        ],
      }),
    );
    const hit = stopped();
    await launch({ mode: "replay", history: file, stopOnEntry: true });
    const threadId = (await hit).body.threadId as number;
    const types: string[] = [];
    for (;;) {
      const event = await scope("Event", threadId);
      types.push(`${JSON.parse(event.type)}${event.result ? ` ${event.result}` : ""}`);
      if (JSON.parse(event.type) === "ExecutionCompleted") break;
      const next = stopped();
      await client.nextRequest({ threadId });
      await next;
    }
    assert.deepEqual(types, [
      "ExecutionStarted",
      "TaskScheduled",
      'TaskCompleted "Hello, Kyiv!"',
      "TaskScheduled",
      'TaskCompleted "Hello, Rome!"',
      "ExecutionCompleted Array(2)",
    ]);
    const orchestration = await scope("Orchestration", threadId);
    assert.equal(orchestration.currentUtcDateTime, '"2026-01-01T00:00:02.000Z"');
  });

  it("starts the app process with an inspector when asked, for a JavaScript debugger beside the replay debugger", async () => {
    const port = 19229 + (process.pid % 500);
    const entry = stopped();
    await launch({ orchestrator: "greetings", input: ["Oslo"], stopOnEntry: true, inspectPort: port });
    await entry;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as { type: string; webSocketDebuggerUrl: string }[];
    assert.equal(targets[0].type, "node");
    assert.match(targets[0].webSocketDebuggerUrl, new RegExp(`^ws://127\\.0\\.0\\.1:${port}/`));
  });

  it("holds the instance until the client's JavaScript debugger is attached, when asked to wait for it", async () => {
    const port = 19829 + (process.pid % 500);
    let entered = false;
    client.on("stopped", () => (entered = true));
    // The launch answers once the instance has started: after the JavaScript debugger, here the test, says so.
    const launched = launch({ orchestrator: "greetings", input: ["Oslo"], stopOnEntry: true, inspectPort: port, waitForJavaScriptDebugger: true });
    let targets: { type: string }[] = [];
    for (const deadline = Date.now() + 30_000; !targets.length;) {
      assert.ok(Date.now() < deadline, "the app's inspector never answered");
      targets = await fetch(`http://127.0.0.1:${port}/json/list`).then(
        (answer) => answer.json() as Promise<{ type: string }[]>,
        () => [],
      );
      if (!targets.length) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(targets[0].type, "node", "the app runs with its inspector");
    await new Promise((resolve) => setTimeout(resolve, 500));
    assert.equal(entered, false, "no stop before the JavaScript debugger is there");
    const entry = stopped();
    await client.customRequest("javaScriptDebuggerAttached");
    await launched;
    assert.equal((await entry).body.reason, "entry");
    assert.match((await top()).name, /greetings\(\["Oslo"\]\) ← ExecutionStarted/);
  });

  it("attaches to a running durable-devkit start and stops in an instance started over HTTP", async () => {
    const server = await startServer({ appDir: app, port: 0, store: "memory", timeSkipping: true, appOutput: devNull() });
    try {
      const port = Number(new URL(server.http.origin).port);
      await client.initializeRequest({ adapterID: "durable", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
      await client.setFunctionBreakpointsRequest({ breakpoints: [{ name: "greet" }] });
      await client.configurationDoneRequest();
      await client.attachRequest({ port } as DebugProtocol.AttachRequestArguments);
      const hit = stopped();
      const started = await fetch(`${server.http.origin}/runtime/webhooks/durabletask/orchestrators/greetings`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '["Nairobi"]',
      });
      assert.equal(started.status, 202);
      const event = await hit;
      assert.equal(event.body.reason, "function breakpoint");
      const threadId = event.body.threadId as number;
      const frame = await top(threadId);
      assert.equal(frame.source?.path, orchestrations);
      assert.equal(frame.line, 8);
      assert.equal((await scope("Event", threadId)).input, '"Nairobi"');
    } finally {
      await stopClient();
      await server.close();
    }
  });

  for (const [label, args, message] of [
    ["a missing history file", { mode: "replay", history: "nope.json" }, /There is no history file at .*nope\.json/],
    ["malformed JSON", { mode: "replay", history: "BAD" }, /is not valid JSON/],
    ["an unknown orchestrator", { orchestrator: "nosuch" }, /no orchestration function named "nosuch".*"greetings"/],
    [
      "a history from another orchestrator",
      { mode: "replay", history: "OTHER", orchestrator: "approval" },
      /is a history of the orchestrator "greetings", not "approval"/,
    ],
  ] as const) {
    it(`ends the session with a clear message on ${label}`, async () => {
      const resolved: Record<string, unknown> = { ...args };
      if (args.history === "BAD") {
        resolved.history = path.join(tempDir(), "bad.json");
        fs.writeFileSync(resolved.history as string, "{ not json");
      }
      if (args.history === "OTHER") {
        resolved.history = path.join(tempDir(), "other.json");
        fs.writeFileSync(
          resolved.history as string,
          JSON.stringify([
            { EventType: 12, EventId: -1, Timestamp: "2026-01-01T00:00:00Z", IsPlayed: false },
            { EventType: 0, EventId: -1, Timestamp: "2026-01-01T00:00:00Z", IsPlayed: false, Name: "greetings", Input: "[]" },
          ]),
        );
      }
      const output: string[] = [];
      client.on("output", (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
      const terminated = client.waitForEvent("terminated");
      await assert.rejects(launch(resolved), message);
      await terminated;
      assert.match(output.join(""), message);
    });
  }
});

describe("durable-devkit replay", function () {
  this.timeout(60_000);

  it("replays a folder, answers in JSON, and exits 2 on a malformed history or an unknown orchestrator", async () => {
    const app = makeApp();
    const storeFile = path.join(tempDir(), "store.sqlite");
    const run = await runCli(["run", "greetings", "--input", '["Oslo"]', "--app", app, "--store", storeFile, "--json"]);
    const instanceId = (JSON.parse(run.stdout) as { instanceId: string }).instanceId;
    const folder = tempDir("dd-histories-");
    assert.equal((await runCli(["export", instanceId, "--out", path.join(folder, "a.json"), "--app", app, "--store", storeFile])).code, 0);
    fs.copyFileSync(path.join(folder, "a.json"), path.join(folder, "b.json"));
    const ok = await runCli(["replay", folder, "--app", app, "--json"]);
    assert.equal(ok.code, 0, ok.stderr);
    const results = JSON.parse(ok.stdout) as { ok: boolean; name: string; events: number }[];
    assert.deepEqual(
      results.map((r) => [r.ok, r.name]),
      [
        [true, "greetings"],
        [true, "greetings"],
      ],
    );
    const fromStore = await runCli(["replay", instanceId, "--app", app, "--store", storeFile]);
    assert.equal(fromStore.code, 0, fromStore.stdout + fromStore.stderr);

    fs.writeFileSync(path.join(folder, "c.json"), "[1, 2");
    const bad = await runCli(["replay", folder, "--app", app]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /c\.json is not valid JSON/);
    assert.match(bad.stdout, /3 histories: 2 match, 0 diverge, 1 could not be read/);

    const other = path.join(tempDir(), "other.json");
    const exported = JSON.parse(fs.readFileSync(path.join(folder, "a.json"), "utf8")) as { name: string; history: { EventType: number; Name?: string }[] };
    // Renamed throughout (a name that disagrees with its ExecutionStarted is refused as relabelled).
    const history = exported.history.map((event) => (event.EventType === 0 ? { ...event, Name: "nosuch" } : event));
    fs.writeFileSync(other, JSON.stringify({ ...exported, name: "nosuch", history }));
    const unknown = await runCli(["replay", other, "--app", app]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /no orchestration function named "nosuch"/);
  });
});
