/**
 * `durable-devkit start --grpc` as a user runs it, in a folder without a Functions app, on an SQLite store file:
 * the emulator is killed (kill -9) while an activity is out with the worker, started again on the same port and
 * store, and the same unmodified durabletask-js worker process reconnects by itself and finishes the work.
 */
import * as assert from "node:assert/strict";
import { fork, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { NoOpLogger, OrchestrationStatus, TaskHubGrpcClient } from "@microsoft/durabletask-js";
import { tempDir } from "../emulator/harness";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const CLI = path.join(ROOT, "bin", "durable-devkit.js");
const WORKER = path.join(ROOT, "test", "fixtures", "durabletask-app", "worker.js");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Starts the CLI and resolves once it prints its gRPC address. */
function startEmulator(dir: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [CLI, "start", "--grpc", String(port), "--store", path.join(dir, "store.sqlite")], { cwd: dir, stdio: "pipe" });
  let output = "";
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(`Durable Task gRPC: 127.0.0.1:${port}`)) resolve(child);
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`the emulator exited (${code}): ${output}`)));
  });
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

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
