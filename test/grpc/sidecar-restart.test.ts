/**
 * `durable-devkit start --grpc` as a user runs it, in a folder without a Functions app, on an SQLite store file:
 * the emulator is killed (kill -9) while an activity is out with the worker, started again on the same port and
 * store, and the same unmodified durabletask-js worker process reconnects by itself and finishes the work.
 */
import * as assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { NoOpLogger, OrchestrationStatus, TaskHubGrpcClient } from "@microsoft/durabletask-js";
import { tempDir } from "../emulator/harness";
import { freePort, killProcess, startCliEmulator } from "./cli-emulator";

const WORKER = path.join(path.resolve(__dirname, "..", "..", ".."), "test", "fixtures", "durabletask-app", "worker.js");

/** The CLI on the gRPC port, its dashboard on a free port, on an SQLite store file in dir. */
const startEmulator = async (dir: string, port: number) =>
  (await startCliEmulator(dir, port, ["--port", "0", "--store", path.join(dir, "store.sqlite")])).child;
const kill = killProcess;

describe("durable-devkit start --grpc survives kill -9 of the emulator (SQLite store)", function () {
  this.timeout(120_000);
  const children: ChildProcess[] = [];
  let client: TaskHubGrpcClient | undefined;

  after(async () => {
    await client?.stop();
    for (const child of children) await kill(child);
  });

  it("keeps the instance and its in-flight activity, and the reconnected worker finishes it", async () => {
    const dir = tempDir("dd-grpc-restart-");
    const port = await freePort();
    const emulator = await startEmulator(dir, port);
    children.push(emulator);
    const worker = fork(WORKER, [], { env: { ...process.env, DURABLE_TASK_HOST: `localhost:${port}` }, stdio: "ignore" });
    children.push(worker);
    client = new TaskHubGrpcClient({ hostAddress: `localhost:${port}`, logger: new NoOpLogger() });

    const gateFile = path.join(dir, "open");
    const id = await client.scheduleNewOrchestration("gated", gateFile);
    await client.waitForOrchestrationStart(id, false, 30);
    const chain = await client.scheduleNewOrchestration("chain", "before the crash");
    await client.waitForOrchestrationCompletion(chain, true, 30);

    await kill(emulator);
    const again = await startEmulator(dir, port);
    children.push(again);
    assert.equal((await client.getOrchestrationState(chain, true))?.runtimeStatus, OrchestrationStatus.COMPLETED, "what finished before the crash is kept");
    fs.writeFileSync(gateFile, "");
    const state = await client.waitForOrchestrationCompletion(id, true, 60);
    assert.equal(state?.runtimeStatus, OrchestrationStatus.COMPLETED);
    assert.equal(JSON.parse(state!.serializedOutput!), "passed open");
  });
});
