/**
 * What the user's code can do to the app process, and what the emulator must survive: the process killed under it,
 * functions that never return or never yield, and results JSON cannot hold. Real child processes throughout.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { startEmulator, startServer, type Emulator, type EmulatorServer } from "../../emulator";
import { devNull, kitchenSinkWith, runToEnd, tempDir, waitFor } from "./harness";
import { cli } from "./cli-runner";
import { request } from "../http/http-client";

/** Functions that misbehave, added to a copy of the kitchen-sink app. */
const FAULTS = `
const df = require("durable-functions");

df.app.activity("spinForever", { handler: () => { for (;;) {} } });
df.app.activity("neverSettles", { handler: () => new Promise(() => undefined) });
df.app.activity("returnsBigInt", { handler: () => ({ total: 10n }) });
df.app.activity("returnsCycle", { handler: () => { const a = { name: "a" }; a.self = a; return a; } });
df.app.activity("throwsCycle", { handler: () => { const a = { name: "a" }; a.self = a; throw a; } });
df.app.activity("slowOk", { handler: async (ms) => { await new Promise((r) => setTimeout(r, ms)); return "ok"; } });

df.app.orchestration("callOne", function* (context) {
  const { name, input } = context.df.getInput();
  try {
    return { ok: yield context.df.callActivity(name, input) };
  } catch (error) {
    return { failed: error.message };
  }
});
df.app.orchestration("neverYields", function* (context) {
  if (context.df.getInput() === "spin") for (;;) {}
  return yield context.df.callActivity("sayHello", "never");
});
df.app.orchestration("outputsBigInt", function* () {
  return 1n;
});
`;

function faultyApp(hostJson: object): string {
  const dir = kitchenSinkWith(hostJson);
  fs.writeFileSync(path.join(dir, "src", "functions", "faults.js"), FAULTS);
  return dir;
}

describe("the app process's faults", function () {
  this.timeout(120_000);

  describe("results JSON cannot hold", () => {
    let emulator: Emulator;
    before(async () => {
      emulator = await startEmulator({ appDir: faultyApp({ version: "2.0" }), store: "memory", appOutput: devNull() });
    });
    after(async () => emulator?.close());

    it("fail only that activity, with the reason, as the Node worker would, and the process keeps running", async () => {
      const pid = emulator.host.pid;
      const beside = await emulator.engine.startNew("callOne", { input: { name: "slowOk", input: 300 } });
      for (const [name, reason] of [
        ["returnsBigInt", /cannot be sent to the host: it holds a BigInt/],
        ["returnsCycle", /cannot be sent to the host: it refers to itself/],
      ] as const) {
        const result = await runToEnd(emulator, "callOne", { name });
        assert.equal(result.runtimeStatus, "Completed");
        assert.match((result.output as { failed: string }).failed, new RegExp(`Activity function '${name}' failed: .*${reason.source}`));
      }
      const thrown = await runToEnd(emulator, "callOne", { name: "throwsCycle" });
      assert.match((thrown.output as { failed: string }).failed, /Activity function 'throwsCycle' failed: .*name: 'a'.*self: \[Circular/);
      assert.deepEqual((await emulator.engine.waitForCompletion(beside, 30_000)).output, { ok: "ok" });
      assert.equal(emulator.host.pid, pid, "the app process was never restarted");
    });

    it("fail the orchestration whose output JSON cannot hold", async () => {
      const result = await runToEnd(emulator, "outputsBigInt");
      assert.equal(result.runtimeStatus, "Failed");
      assert.match(JSON.stringify(result.output), /cannot be converted to JSON: it holds a BigInt/);
    });
  });

  describe("functions that never return", () => {
    let server: EmulatorServer;
    before(async () => {
      // functionTimeout as host.json writes it; 3 s so the test is quick, while 3 s of a loaded machine stays far below it.
      server = await startServer({
        appDir: faultyApp({ version: "2.0", functionTimeout: "00:00:03" }),
        store: "memory",
        port: 0,
        appOutput: devNull(),
        episodeLimitMs: 3000,
      });
    });
    after(async () => server?.close());

    for (const name of ["spinForever", "neverSettles"]) {
      it(`fail ${name} with the Functions host's timeout message; routes answer while it runs; other work carries on`, async () => {
        const engine = server.emulator.engine;
        const stuck = await engine.startNew("callOne", { input: { name } });
        const beside = await engine.startNew("callOne", { input: { name: "slowOk", input: 10 } });
        await waitFor(() => engine.getRecord(stuck)?.runtimeStatus === "Running");
        // The parent never waits on the app: its status route answers while the app process is stuck.
        const started = Date.now();
        const status = await request(`${server.http.origin}/runtime/webhooks/durabletask/instances/${stuck}`);
        assert.equal(status.status, 202);
        assert.ok(Date.now() - started < 2000, `the status route took ${Date.now() - started} ms`);
        const result = await engine.waitForCompletion(stuck, 60_000);
        assert.equal(result.runtimeStatus, "Completed");
        assert.match(
          (result.output as { failed: string }).failed,
          new RegExp(`Activity function '${name}' failed: Timeout value of 00:00:03 was exceeded by function: Functions\\.${name}\\.`),
        );
        assert.deepEqual((await engine.waitForCompletion(beside, 60_000)).output, { ok: "ok" });
        // And the restarted app runs new work.
        assert.deepEqual((await runToEnd(server.emulator, "callOne", { name: "slowOk", input: 1 })).output, { ok: "ok" });
      });
    }

    it("fails an orchestrator that never yields, naming it, and the other instances carry on", async () => {
      const engine = server.emulator.engine;
      const stuck = await engine.startNew("neverYields", { input: "spin" });
      const result = await engine.waitForCompletion(stuck, 60_000);
      assert.equal(result.runtimeStatus, "Failed");
      assert.match(JSON.stringify(result.output), /Orchestrator function 'neverYields' ran for more than 3 s without yielding/);
      assert.equal((await runToEnd(server.emulator, "neverYields", "fine")).output, "Hello, never!");
    });
  });

  it("survives the app process killed 13 times mid-fan-out: the emulator stays up and each instance completes", async () => {
    // Reported: an unguarded IPC write to the dead child (EPIPE) took the emulator, here this test process, down.
    const emulator = await startEmulator({ appDir: faultyApp({ version: "2.0" }), store: "memory", appOutput: devNull() });
    try {
      for (let round = 0; round < 13; round++) {
        const id = await emulator.engine.startNew("slowFanOut", { input: { count: 20, ms: 50 }, instanceId: `killed-${round}` });
        await waitFor(() => emulator.engine.getRecord(id)?.runtimeStatus === "Running" && emulator.host.pid !== undefined);
        process.kill(emulator.host.pid!, "SIGKILL");
        const status = await emulator.engine.waitForCompletion(id, 60_000);
        assert.equal(status.runtimeStatus, "Completed", `round ${round}: ${JSON.stringify(status.output)}`);
        assert.equal(status.output, (19 * 20) / 2);
      }
    } finally {
      await emulator.close();
    }
  });

  it("run and replay refuse a 10,000-deep input with a clear message instead of crashing", () => {
    let deep = "1";
    for (let i = 0; i < 10_000; i++) deep = `[${deep}]`;
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "deep.json"), deep);
    const app = ["--app", faultyApp({ version: "2.0" })];
    const run = cli(["run", "helloSequence", ...app, "--store", "memory", "--input", `@${path.join(dir, "deep.json")}`]);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /nested too deeply/);
    assert.doesNotMatch(run.stderr, /failed unexpectedly|\n\s+at /);

    // An exported history whose input is that deep: the replay cannot send it to the app, and says so.
    const store = path.join(dir, "store.sqlite");
    assert.equal(cli(["run", "helloSequence", ...app, "--store", store, "--id", "deep"]).code, 0);
    const exported = path.join(dir, "export.json");
    assert.equal(cli(["export", "deep", ...app, "--store", store, "--out", exported]).code, 0);
    const history = JSON.parse(fs.readFileSync(exported, "utf8")) as { input: unknown };
    fs.writeFileSync(exported, JSON.stringify({ ...history, input: "INPUT" }).replace('"INPUT"', deep));
    const replayed = cli(["replay", exported, ...app]);
    assert.equal(replayed.code, 2, replayed.stderr);
    assert.match(replayed.stderr, /cannot be sent to the app: it is nested too deeply/);
    assert.doesNotMatch(replayed.stderr, /failed unexpectedly|\n\s+at /);
  });
});
