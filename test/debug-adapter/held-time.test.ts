/**
 * Time skipping in a debug session stops short of a timer that races an awaited external event: the human-interaction
 * template, exactly as a user scaffolds it, debugged through a real DAP client over stdio (`durable-devkit dap`).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { scaffold } from "../../templates/scaffold";
import { tempDir } from "../emulator/harness";
import { dapLauncher } from "./dap-launcher";
import { emulatorClientAt } from "../../emulator/api/loopback-client";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const HOURS_72 = 72 * 3600_000;
const INPUT = { request: "buy a laptop", timeoutHours: 72 };
const HELD = /time held: approvalWorkflow waits for event `Approval`; the timer at (\S+) fires after `advance`/;

/** Everything the debug console printed, and a way to wait for a line (bounded, never a fixed sleep). */
function consoleOf(client: DebugClient): { text(): string; match(pattern: RegExp): Promise<RegExpMatchArray> } {
  let text = "";
  const waiters: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = [];
  client.on("output", (event: DebugProtocol.OutputEvent) => {
    text += event.body.output;
    for (const waiter of [...waiters]) {
      const found = waiter.pattern.exec(text);
      if (found) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(found);
      }
    }
  });
  return {
    text: () => text,
    match: (pattern) => {
      const found = pattern.exec(text);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`The debug console never printed ${pattern}; it printed:\n${text}`)), 30_000);
        waiters.push({ pattern, resolve: (match) => (clearTimeout(timer), resolve(match)) });
      });
    },
  };
}

describe("time held at an awaited event while debugging", function () {
  this.timeout(90_000);
  let app: string;
  let dapFile: string;
  let client: DebugClient;

  before(() => {
    app = path.join(tempDir("dd-held-"), "app");
    scaffold({ pattern: "human-interaction", language: "ts", dir: app });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(app, "node_modules"), "dir");
    dapFile = dapLauncher();
  });

  beforeEach(async () => {
    client = new DebugClient(process.execPath, dapFile, "durable");
    client.defaultTimeout = 30_000;
    await client.start();
  });

  afterEach(async () => {
    await client.stop().catch(() => undefined);
  });

  async function launchStopped(args: Record<string, unknown>): Promise<number> {
    const entry = client.waitForEvent("stopped");
    await Promise.all([client.configurationSequence(), client.launch({ app, orchestrator: "approvalWorkflow", input: INPUT, stopOnEntry: true, ...args })]);
    return (await entry).body.threadId as number;
  }

  async function evaluate(expression: string): Promise<string> {
    return (await client.evaluateRequest({ expression, context: "watch" })).body.result;
  }

  async function next(threadId: number): Promise<string> {
    const stop = client.waitForEvent("stopped");
    await client.nextRequest({ threadId });
    await stop;
    return JSON.parse(await evaluate("event.type")) as string;
  }

  /** Steps (waiting for the live instance where it must) until the orchestration's last event; answers its output. */
  async function stepToCompletion(threadId: number): Promise<string> {
    while ((await next(threadId)) !== "ExecutionCompleted");
    return JSON.parse(await evaluate("orchestration.output.outcome")) as string;
  }

  it("does not fire the 72-hour timer while the instance waits for Approval, says so, and raise answers it", async () => {
    const debugConsole = consoleOf(client);
    const threadId = await launchStopped({});
    // The first episode asks for approval; the next one creates the timer and waits for the event.
    const types: string[] = [JSON.parse(await evaluate("event.type")) as string];
    while (types.at(-1) !== "TimerCreated") {
      types.push(await next(threadId));
      assert.ok(!["TimerFired", "ExecutionCompleted"].includes(types.at(-1) as string), `the timer fired: ${types.join(", ")}`);
    }
    const [, fireAt] = await debugConsole.match(HELD);
    assert.equal(Date.parse(fireAt) - Date.parse(JSON.parse(await evaluate("orchestration.currentUtcDateTime")) as string), HOURS_72);

    // Running on finds nothing more, and says again why; pausing shows the newest history, still at the timer.
    await client.nextRequest({ threadId });
    await debugConsole.match(new RegExp(`${HELD.source}[^\\n]*\\n[\\s\\S]*${HELD.source}`));
    const paused = client.waitForEvent("stopped");
    await client.pauseRequest({ threadId });
    assert.equal((await paused).body.reason, "pause");
    assert.equal(JSON.parse(await evaluate("event.type")), "TimerCreated");
    assert.equal(JSON.parse(await evaluate("orchestration.status")), "Running");
    assert.equal(JSON.parse(await evaluate("orchestration.waitingForEvents[0]")), "Approval");

    const raised = await client.evaluateRequest({ expression: 'raise Approval {"approved": true, "by": "Ada"}', context: "repl" });
    assert.match(raised.body.result, /Raised "Approval"/);
    assert.equal(await stepToCompletion(threadId), "approved by Ada");
  });

  it("fires the held timer on advance", async () => {
    const debugConsole = consoleOf(client);
    const threadId = await launchStopped({});
    const [, fireAt] = await debugConsole.match(HELD);
    const advanced = await client.evaluateRequest({ expression: "advance", context: "repl" });
    assert.match(advanced.body.result, new RegExp(`the timer due at ${fireAt.replace(/\./g, "\\.")} fires`));
    assert.equal(await stepToCompletion(threadId), "timed out after 72 hours");
  });

  it("serves the session's instances on loopback: listed while time is held, answered over HTTP, the cancelled timer ending at the answer", async () => {
    const debugConsole = consoleOf(client);
    const announced = client.waitForEvent("durableEmulator");
    const threadId = await launchStopped({});
    const { origin, dashboard, forwardingKey, instanceId } = (await announced).body as {
      origin: string;
      dashboard: string;
      forwardingKey: string;
      instanceId: string;
    };
    assert.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(dashboard, `${origin}/_durable/`);
    assert.match(forwardingKey, /^[\w-]{22,}$/);
    assert.match(debugConsole.text(), new RegExp(`Dashboard of this session's instances: ${dashboard.replace(/\./g, "\\.")}`));
    assert.match(await (await fetch(dashboard)).text(), /<title>Durable Devkit<\/title>/);

    // Time is held at the 72-hour timer, and the dashboard's list says what the instance waits for.
    const [, fireAt] = await debugConsole.match(HELD);
    const api = emulatorClientAt(origin);
    const instances = await api.instances();
    assert.deepEqual(
      instances.map(({ instanceId: id, name, runtimeStatus, waits }) => ({
        id,
        name,
        runtimeStatus,
        events: waits?.events,
        timers: waits?.timers.map((timer) => timer.fireAt),
      })),
      [{ id: instanceId, name: "approvalWorkflow", runtimeStatus: "Running", events: ["Approval"], timers: [fireAt] }],
    );

    // Answered from outside the debugger, over the management API: the session takes it as its own raise.
    const raised = await fetch(`${origin}/runtime/webhooks/durabletask/instances/${instanceId}/raiseEvent/Approval`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: '{"approved": true, "by": "Ada"}',
    });
    assert.equal(raised.status, 202);
    let type = JSON.parse(await evaluate("event.type")) as string;
    while (type !== "EventRaised") type = await next(threadId);
    // The approval cancels the timer: the orchestrator waits for nothing more, and the Event scope says what it cancelled.
    const { history } = await api.history(instanceId);
    const timerId = history.find((event) => event.EventType === 10)?.EventId;
    assert.equal(JSON.parse(await evaluate("event.cancelsTimers[0]")), timerId);
    assert.equal(JSON.parse(await evaluate("orchestration.pendingTasks.length")), 0);
    assert.match(JSON.parse(await evaluate("orchestration.canceledTimers[0].call")) as string, /^createTimer\(/);
    assert.equal(await stepToCompletion(threadId), "approved by Ada");

    // The dashboard's record says where the timer was cancelled, for its timeline; the held timer never fired.
    const done = await api.history(instanceId);
    assert.equal(done.instance.runtimeStatus, "Completed");
    assert.deepEqual(done.instance.timerCancellations, [
      { timerId, eventIndex: done.history.findIndex((event) => event.EventType === 15 && event.Name === "Approval") },
    ]);
    assert.equal(done.history.filter((event) => event.EventType === 11).length, 0, "no TimerFired");
  });

  it('skips it at once with "timeSkipping": "always", as durable-devkit run --time-skip does', async () => {
    const debugConsole = consoleOf(client);
    const threadId = await launchStopped({ timeSkipping: "always" });
    assert.equal(await stepToCompletion(threadId), "timed out after 72 hours");
    assert.doesNotMatch(debugConsole.text(), /time held/);
  });

  it('refuses a timeSkipping that is not true, false or "always"', async () => {
    const terminated = client.waitForEvent("terminated");
    await assert.rejects(
      Promise.all([client.configurationSequence(), client.launch({ app, orchestrator: "approvalWorkflow", timeSkipping: "sometimes" })]),
      /"timeSkipping" is true .*"always" or false, not "sometimes"/,
    );
    await terminated;
  });
});
