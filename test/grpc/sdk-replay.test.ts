/**
 * `durable-devkit replay` for a Durable Task SDK app: histories of real instances (the fixture app's worker on the
 * in-process gRPC sidecar, the unmodified @microsoft/durabletask-js 0.4.0), exported with the real CLI, replayed by
 * the real CLI through the SDK's own replay in the app's worker entry: against the same code they all match; against
 * changed code each names its divergence; bad input and a worker that cannot run exit 2 with a message.
 */
import * as assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { NoOpLogger, TaskHubGrpcClient } from "@microsoft/durabletask-js";
import { startDurableTaskEmulator, type DurableTaskEmulator } from "../../emulator/grpc/durable-task-emulator";
import { renderHistory } from "../../emulator/http/history-json";
import type { HistoryExport } from "../../emulator/history/history-export";
import { HistoryEventType } from "../../emulator/history/history-event";
import { fileRunByNode, findWorkerEntry } from "../../emulator/replay/sdk-worker-entry";
import { openSdkReplayHost } from "../../emulator/replay/sdk-replay-host";
import { replaySdkHistory } from "../../emulator/replay/sdk-replay-check";
import { SdkWorkerError } from "../../emulator/replay/sdk-worker-error";
import { cli, type CliResult } from "../emulator/cli-runner";
import { tempDir, waitFor } from "../emulator/harness";
import { startWorker, stopWorker } from "./durabletask-worker";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const FIXTURE = path.join(ROOT, "test", "fixtures", "durabletask-app");

/** The fixture app in a folder of its own, as a user has it: package.json naming the SDK, node_modules beside it. */
function sdkApp(options: { edit?: (code: string) => string; manifest?: Record<string, unknown>; files?: Record<string, string> } = {}): string {
  const dir = tempDir("dd-sdk-replay-app-");
  fs.copyFileSync(path.join(FIXTURE, "worker.js"), path.join(dir, "worker.js"));
  const code = fs.readFileSync(path.join(FIXTURE, "orchestrations.js"), "utf8");
  const edited = options.edit ? options.edit(code) : code;
  if (options.edit) assert.notEqual(edited, code, "the edit changes the code");
  fs.writeFileSync(path.join(dir, "orchestrations.js"), edited);
  for (const [name, text] of Object.entries(options.files ?? {})) fs.writeFileSync(path.join(dir, name), text);
  const manifest = { name: "replayed", private: true, ...(options.manifest ?? { main: "worker.js" }), dependencies: { "@microsoft/durabletask-js": "0.4.0" } };
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify(manifest));
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

/** Every edit must apply: a replace that finds nothing would leave the code unchanged without saying so. */
function replaced(code: string, from: string, to: string): string {
  assert.ok(code.includes(from), `the fixture has ${from}`);
  return code.replace(from, to);
}

/** Processes still running our preload for an app folder (there must be none once replay has exited). */
function preloadsOf(dir: string): string[] {
  if (process.platform !== "linux") return [];
  const found: string[] = [];
  for (const pid of fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    let cmdline = "";
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").replace(/\0/g, " ");
    } catch {
      continue;
    }
    if (cmdline.includes("sdk-replay-preload") && cmdline.includes(dir)) found.push(`${pid}: ${cmdline}`);
  }
  return found;
}

interface JsonResult {
  target: string;
  ok: boolean;
  name?: string;
  events?: number;
  error?: string;
  next?: string[];
  divergence?: { eventIndex: number; eventType?: string; expected: string; actual: string; message: string; sourceLine?: string };
}

function replayJson(args: string[], cwd?: string): { result: CliResult; results: JsonResult[] } {
  const result = cli(["replay", ...args, "--json"], { cwd });
  return { result, results: result.stdout.trim() ? (JSON.parse(result.stdout) as JsonResult[]) : [] };
}

const byName = (results: JsonResult[]) => new Map(results.map((r) => [path.basename(r.target, ".json"), r]));

describe("durable-devkit replay for a Durable Task SDK app (the SDK's own replay in the app's worker)", function () {
  this.timeout(180_000);
  let app: string;
  let histories: string;
  const ids = new Map<string, string>();

  before(async () => {
    app = sdkApp();
    // The store the CLI reads by default: the app folder's .durable/emulator.sqlite.
    const emulator: DurableTaskEmulator = await startDurableTaskEmulator({ dir: app, port: 0 });
    const worker: ChildProcess = startWorker(emulator.sidecar.port, { DURABLE_TASK_QUIET: "1" });
    const client = new TaskHubGrpcClient({ hostAddress: `localhost:${emulator.sidecar.port}`, logger: new NoOpLogger() });
    try {
      await (worker as ChildProcess & { started: Promise<void> }).started;
      const run = async (label: string, name: string, input?: unknown) => {
        const id = await client.scheduleNewOrchestration(name, input);
        ids.set(label, id);
        const state = await client.waitForOrchestrationCompletion(id, true, 60);
        assert.ok(state, `${label} finished`);
      };
      await run("chain", "chain", "Lima");
      await run("fanOut", "fanOut", 4);
      await run("parent", "parent", 2);
      await run("counter", "counter", 0);
      await run("useTally", "useTally", "replay");
      await run("transfer", "transfer", ["a", "b"]);
      await run("timerThenHello", "timerThenHello");
      await run("failing", "failing");
      // One approval is left waiting for its event (a running history), one gets it.
      const waiting = await client.scheduleNewOrchestration("approval");
      ids.set("approval", waiting);
      await waitFor(() => emulator.engine.getRecord(waiting)?.customStatus !== undefined);
      const approved = await client.scheduleNewOrchestration("approval");
      ids.set("approved", approved);
      await waitFor(() => emulator.engine.getRecord(approved)?.customStatus !== undefined);
      await client.raiseOrchestrationEvent(approved, "approve", true);
      await client.waitForOrchestrationCompletion(approved, true, 30);
    } finally {
      await stopWorker(worker);
      await client.stop();
      await emulator.close();
    }
    histories = tempDir("dd-sdk-histories-");
    for (const [label, id] of ids) {
      const exported = cli(["export", id, "--out", path.join(histories, `${label}.json`), "--app", app]);
      assert.equal(exported.code, 0, exported.stderr);
    }
  });

  it("replays every exported history against the unchanged app: all match, exit 0", () => {
    const { result, results } = replayJson([histories, "--app", app]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    const all = byName(results);
    assert.deepEqual([...all.keys()].sort(), [...ids.keys()].sort());
    for (const [label, r] of all) {
      assert.equal(r.ok, true, `${label}: ${JSON.stringify(r)}`);
      const exported = JSON.parse(fs.readFileSync(path.join(histories, `${label}.json`), "utf8")) as HistoryExport;
      assert.equal(r.name, exported.name);
      assert.equal(r.events, exported.history.length, `${label} replayed its whole history`);
      assert.equal(r.next, undefined, `${label}: the code asks for nothing beyond the history`);
    }
    assert.equal(all.get("approval")!.name, "approval");

    // The text form, from the app folder (the default --app): one line per history and the count; the SDK's own
    // logging is not mixed into it.
    const text = cli(["replay", histories], { cwd: app });
    assert.equal(text.code, 0, text.stdout + text.stderr);
    assert.match(text.stdout, /^ok {5}\S*chain\.json \(chain, 16 events, [\d.]+ ms\)$/m);
    assert.match(text.stdout, /^ok {5}\S*approval\.json \(approval, 3 events, [\d.]+ ms\)$/m);
    assert.match(text.stdout, /10 histories: 10 match, 0 diverge, 0 could not be read/);
    assert.doesNotMatch(text.stdout + text.stderr, /Rebuilding local state|\n\s+at /);
    assert.deepEqual(preloadsOf(app), [], "the worker process is gone");
  });

  it("says what the code does next with events a running history holds but the orchestrator has not answered yet", () => {
    const exported = JSON.parse(fs.readFileSync(path.join(histories, "approval.json"), "utf8")) as HistoryExport;
    const at = new Date().toISOString();
    const arrived = [
      { EventType: HistoryEventType.OrchestratorStarted, EventId: -1, Timestamp: at, IsPlayed: false },
      { EventType: HistoryEventType.EventRaised, EventId: -1, Timestamp: at, IsPlayed: false, Name: "approve", Input: '"yes"' },
    ];
    const file = path.join(tempDir(), "approval-event-arrived.json");
    fs.writeFileSync(file, JSON.stringify({ ...exported, history: [...exported.history, ...arrived] }));
    const { result, results } = replayJson([file, "--app", app]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(results[0].next, ['the orchestration completing with {"approved":"yes"}']);
    const text = cli(["replay", file, "--app", app]);
    assert.match(
      text.stdout,
      /^ok {5}\S*approval-event-arrived\.json \(approval, 5 events, [\d.]+ ms\)\n {7}next: {4}the orchestration completing with \{"approved":"yes"\}$/m,
    );
  });

  it("replays instances from the store by id, as for a Functions app", () => {
    const result = cli(["replay", ids.get("chain")!, ids.get("approval")!, ids.get("useTally")!, "--app", app]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`^ok {5}instance ${ids.get("chain")} \\(chain, 16 events`, "m"));
    assert.match(result.stdout, new RegExp(`^ok {5}instance ${ids.get("approval")} \\(approval, 3 events`, "m"));
    assert.match(result.stdout, /3 histories: 3 match/);
    const missing = cli(["replay", "no-such-instance", "--app", app]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /no instance has that id/);
  });

  it("names each divergence against changed code (exit 1), and an orchestrator the worker no longer registers (exit 2)", () => {
    const changed = sdkApp({
      edit: (code) => {
        // chain calls another activity second; fanOut calls one more after its fan-in; failing swallows the error.
        code = replaced(code, "const b = yield ctx.callActivity(hello, `${name} 2`);", "const b = yield ctx.callActivity(double, 2);");
        code = replaced(
          code,
          "return results.reduce((sum, n) => sum + n, 0);",
          'yield ctx.callActivity(hello, "extra");\n  return results.reduce((sum, n) => sum + n, 0);',
        );
        code = replaced(code, "throw new Error(`orchestrator caught: ${error.message}`);", 'return "swallowed";');
        // approval calls an activity before it waits for its event; useTally before its first entity call.
        code = replaced(
          code,
          'const answer = yield ctx.waitForExternalEvent("approve");',
          'yield ctx.callActivity(hello, "approver");\n  const answer = yield ctx.waitForExternalEvent("approve");',
        );
        code = replaced(
          code,
          'const after = yield ctx.entities.callEntity(id, "add", 10);',
          'yield ctx.callActivity(hello, "first");\n  const after = yield ctx.entities.callEntity(id, "add", 10);',
        );
        // counter goes one further; parent is no longer registered.
        code = replaced(code, "if (n < 3) {", "if (n < 4) {");
        return replaced(
          code,
          "orchestrators: [chain, fanOut, approval, timerThenHello, parent, counter,",
          "orchestrators: [chain, fanOut, approval, timerThenHello, counter,",
        );
      },
    });
    const files = [...ids.keys()].filter((label) => label !== "parent").map((label) => path.join(histories, `${label}.json`));
    const { result, results } = replayJson([...files, "--app", changed]);
    assert.equal(result.code, 1, result.stdout + result.stderr);
    const all = byName(results);
    const divergence = (label: string) => {
      const r = all.get(label)!;
      assert.equal(r.ok, false, `${label} diverges: ${JSON.stringify(r)}`);
      return r.divergence!;
    };

    // The SDK's own NonDeterminismError, at the TaskScheduled it tripped on (task 2, the second call).
    const chain = divergence("chain");
    assert.deepEqual(
      [chain.eventIndex, chain.eventType, chain.expected, chain.actual],
      [6, "TaskScheduled", "call of activity 'hello'", "call of activity 'double'"],
    );
    assert.match(chain.message, /as task 2, but the current code makes a call of activity 'double' there/);
    assert.match(chain.message, /The SDK's replay: Failed to restore orchestration state due to a history mismatch: .*name='hello' and sequence number 2/);
    const useTally = divergence("useTally");
    assert.deepEqual(
      [useTally.eventType, useTally.expected, useTally.actual],
      ["EventSent", "entity call of 'add' on @tally@replay", "call of activity 'hello'"],
    );

    // The calls match, but the code no longer ends as the history did.
    const fanOut = divergence("fanOut");
    assert.deepEqual(
      [fanOut.eventType, fanOut.expected, fanOut.actual],
      ["ExecutionCompleted", "the orchestration completing with 12", "call of activity 'hello'"],
    );
    const failing = divergence("failing");
    assert.deepEqual(
      [failing.eventType, failing.expected, failing.actual],
      [
        "ExecutionCompleted",
        "the orchestration failing: orchestrator caught: Activity task #1 failed: activity says no",
        'the orchestration completing with "swallowed"',
      ],
    );
    const counter = divergence("counter");
    assert.deepEqual([counter.expected, counter.actual], ["the orchestration completing with 3", "the orchestration continuing as new with 4"]);
    const approved = divergence("approved");
    assert.deepEqual(
      [approved.eventType, approved.expected, approved.actual],
      ["ExecutionCompleted", 'the orchestration completing with {"approved":true}', "call of activity 'hello'"],
    );
    // A running instance: its last episode recorded no call, the code now makes one.
    const approval = divergence("approval");
    assert.deepEqual(
      [approval.eventIndex, approval.eventType, approval.expected, approval.actual],
      [2, "OrchestratorCompleted", "the orchestration waits (nothing more recorded)", "call of activity 'hello'"],
    );
    // What did not change still matches.
    assert.equal(all.get("timerThenHello")!.ok, true);
    assert.equal(all.get("transfer")!.ok, true);

    const text = cli(["replay", path.join(histories, "chain.json"), "--app", changed]);
    assert.equal(text.code, 1);
    assert.match(
      text.stdout,
      /FAIL {3}\S*chain\.json \(chain, 16 events, [\d.]+ ms\)\n {7}diverges at event #6 \(TaskScheduled\)\n {7}history: call of activity 'hello'\n {7}code: {4}call of activity 'double'/,
    );

    const parent = cli(["replay", path.join(histories, "parent.json"), "--app", changed]);
    assert.equal(parent.code, 2, parent.stdout + parent.stderr);
    assert.match(
      parent.stderr,
      /The worker worker\.js registers no orchestrator named "parent"\. It registers: "approval", (.*, )?"chain", "counter", "failing", "fanOut",/,
    );
    assert.deepEqual(preloadsOf(changed), []);
  });

  it("exits 2 on a malformed history, and on a worker entry that cannot be found, throws while loading or never starts its worker", () => {
    const chainFile = path.join(histories, "chain.json");
    const bad = path.join(tempDir(), "bad.json");
    fs.writeFileSync(bad, "[1, 2");
    const malformed = cli(["replay", bad, chainFile, "--app", app]);
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /bad\.json is not valid JSON/);
    assert.match(malformed.stdout, /2 histories: 1 match, 0 diverge, 1 could not be read/);

    const broken = sdkApp({
      manifest: { main: "worker.js" },
      files: { "throws.js": 'throw new Error("no connection string");\n', "ends.js": 'require("./orchestrations");\n', "registers.js": REGISTERS_ONLY },
    });
    const throws = cli(["replay", chainFile, "--app", broken, "--worker", path.join(broken, "throws.js")]);
    assert.equal(throws.code, 2);
    assert.match(throws.stderr, /^The worker entry throws\.js \(--worker\) failed while loading: Error: no connection string \(at throws\.js:1:7\)$/m);
    const ends = cli(["replay", chainFile, "--app", broken, "--worker", path.join(broken, "ends.js")]);
    assert.equal(ends.code, 2);
    assert.match(ends.stderr, /The worker entry ends\.js \(--worker\) exited \(code 0\) before it started a TaskHubGrpcWorker/);
    const registers = cli(["replay", chainFile, "--app", broken, "--worker", path.join(broken, "registers.js")]);
    assert.equal(registers.code, 2);
    assert.match(registers.stderr, /exited \(code 0\) without calling start\(\) on the TaskHubGrpcWorker it registered orchestrators on/);
    const nowhere = cli(["replay", chainFile, "--app", broken, "--worker", path.join(broken, "nope.js")]);
    assert.equal(nowhere.code, 2);
    assert.match(nowhere.stderr, /There is no worker entry file at .*nope\.js/);
    assert.deepEqual(preloadsOf(broken), []);

    const unbuilt = sdkApp({ manifest: { main: "dist/worker.js" } });
    const notBuilt = cli(["replay", chainFile, "--app", unbuilt]);
    assert.equal(notBuilt.code, 2);
    assert.match(notBuilt.stderr, /The worker entry dist\/worker\.js \(package\.json main\) does not exist in .*Build the app first/);
    const unnamed = sdkApp({ manifest: { scripts: { start: "tsx src/worker.ts" } } });
    const noEntry = cli(["replay", chainFile, "--app", unnamed]);
    assert.equal(noEntry.code, 2);
    assert.match(noEntry.stderr, /Cannot tell which file starts the worker .* Name the file that starts the TaskHubGrpcWorker with --worker FILE/);

    const python = tempDir("dd-sdk-python-");
    fs.writeFileSync(path.join(python, "requirements.txt"), "durabletask==0.2.1\n");
    const other = cli(["replay", chainFile, "--app", python]);
    assert.equal(other.code, 2);
    assert.match(other.stderr, /is on durabletask \(Python\); replay runs the Durable Task SDK for JavaScript \(@microsoft\/durabletask-js\) only/);
  });

  it("finds the worker with --worker (a folder without package.json) or from the file package.json's start script runs", () => {
    const chainFile = path.join(histories, "chain.json");
    const named = cli(["replay", chainFile, "--app", FIXTURE, "--worker", path.join(FIXTURE, "worker.js")]);
    assert.equal(named.code, 0, named.stdout + named.stderr);
    assert.match(named.stdout, /^ok {5}\S*chain\.json \(chain, 16 events/m);
    const started = sdkApp({ manifest: { scripts: { start: "NODE_ENV=production node --enable-source-maps ./worker.js" } } });
    const fromStart = cli(["replay", chainFile], { cwd: started });
    assert.equal(fromStart.code, 0, fromStart.stdout + fromStart.stderr);
    assert.equal(findWorkerEntry(started).from, "package.json scripts.start");

    assert.equal(fileRunByNode("npm run build && node -r ./otel.js dist/worker.js --port 1"), "dist/worker.js");
    assert.equal(fileRunByNode("node --import tsx src/worker.ts"), "src/worker.ts");
    assert.equal(fileRunByNode("tsx src/worker.ts"), undefined);
  });

  it("replays the management API's history of an SDK instance (showHistory=true), and refuses one that calls entities", () => {
    const folder = tempDir("dd-sdk-api-");
    for (const label of ["chain", "approved", "useTally"]) {
      const exported = JSON.parse(fs.readFileSync(path.join(histories, `${label}.json`), "utf8")) as HistoryExport;
      const api = {
        name: exported.name,
        instanceId: exported.instanceId,
        runtimeStatus: exported.runtimeStatus,
        input: exported.input,
        output: exported.output,
        historyEvents: renderHistory(exported.history, { showHistoryOutput: true, showInput: true }),
      };
      fs.writeFileSync(path.join(folder, `${label}.json`), JSON.stringify(api));
    }
    const { result, results } = replayJson([path.join(folder, "chain.json"), path.join(folder, "approved.json"), "--app", app]);
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.deepEqual(
      results.map((r) => [path.basename(r.target), r.ok]),
      [
        ["chain.json", true],
        ["approved.json", true],
      ],
    );
    const entities = cli(["replay", path.join(folder, "useTally.json"), "--app", app]);
    assert.equal(entities.code, 2);
    assert.match(entities.stderr, /is the management API's history of an orchestration that calls entities\. .*Replay the full history/);
  });

  it("gives up on an orchestrator that awaits something no history answers, and kills its worker", async () => {
    const hanging = sdkApp({
      edit: (code) =>
        replaced(code, "module.exports = {", "async function* hang() {\n  await new Promise(() => {});\n}\n\nmodule.exports = {").replace(
          "orchestrators: [chain,",
          "orchestrators: [hang, chain,",
        ),
    });
    const host = await openSdkReplayHost(hanging, findWorkerEntry(hanging), { replayTimeoutMs: 500 });
    try {
      const started = { EventId: -1, Timestamp: new Date().toISOString(), IsPlayed: false };
      const source = {
        origin: "hang.json",
        name: "hang",
        instanceId: "hang-1",
        input: undefined,
        events: [
          { ...started, EventType: HistoryEventType.OrchestratorStarted },
          { ...started, EventType: HistoryEventType.ExecutionStarted, Name: "hang", OrchestrationInstance: { InstanceId: "hang-1", ExecutionId: "e1" } },
        ],
      };
      await assert.rejects(replaySdkHistory(host, source), (error: Error) => {
        assert.ok(error instanceof SdkWorkerError);
        assert.match(error.message, /The orchestrator hang did not finish replaying within 0\.5 s: it awaits something that is not a durable task/);
        return true;
      });
      await waitFor(() => preloadsOf(hanging).length === 0, 5000);
      await assert.rejects(replaySdkHistory(host, source), /worker\.js is no longer running \(it was stopped when hang overran its replay\)/);
    } finally {
      await host.close();
    }
  });
});

const REGISTERS_ONLY = `const { TaskHubGrpcWorker } = require("@microsoft/durabletask-js");
const { orchestrators } = require("./orchestrations");
const worker = new TaskHubGrpcWorker({ hostAddress: "localhost:1" });
for (const fn of orchestrators) worker.addOrchestrator(fn);
`;
