/**
 * The fixture Durable Task SDK app's worker (test/fixtures/durabletask-app/worker.js) in a child process, as a user
 * runs it: started against a sidecar's port, stopped with SIGKILL (a worker gets no chance to say goodbye).
 */
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { NoOpLogger, TaskHubGrpcClient, type OrchestrationState } from "@microsoft/durabletask-js";
import { startDurableTaskEmulator, type DurableTaskEmulator } from "../../emulator/grpc/durable-task-emulator";
import { tempDir } from "../emulator/harness";

const ROOT = path.resolve(__dirname, "..", "..", "..");
export const WORKER = path.join(ROOT, "test", "fixtures", "durabletask-app", "worker.js");

export function startWorker(port: number, env: Record<string, string> = {}): ChildProcess & { started: Promise<void> } {
  const child = fork(WORKER, [], { env: { ...process.env, DURABLE_TASK_HOST: `localhost:${port}`, ...env }, stdio: ["ignore", "pipe", "pipe", "ipc"] });
  let output = "";
  const started = new Promise<void>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("worker started")) resolve();
    });
    child.stderr!.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`worker exited (${code}) before it started: ${output}`)));
  });
  return Object.assign(child, { started });
}

export async function stopWorker(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

/** The sidecar in this process on a memory store, the SDK's client here and the fixture worker in a child process. */
export interface SidecarRig {
  emulator: DurableTaskEmulator;
  client: TaskHubGrpcClient;
  worker: ChildProcess & { started: Promise<void> };
  /** The engine's warnings, in order. */
  warnings: string[];
  /** Starts an orchestration and waits for it to finish: its state, with payloads. */
  run(name: string, input?: unknown): Promise<OrchestrationState>;
  close(): Promise<void>;
}

export async function startSidecarRig(dirPrefix: string, workerEnv: Record<string, string> = {}): Promise<SidecarRig> {
  const warnings: string[] = [];
  const emulator = await startDurableTaskEmulator({
    dir: tempDir(dirPrefix),
    store: "memory",
    port: 0,
    onEvent: (event) => event.kind === "warning" && warnings.push(event.message),
  });
  const client = new TaskHubGrpcClient({ hostAddress: `localhost:${emulator.sidecar.port}`, logger: new NoOpLogger() });
  const worker = startWorker(emulator.sidecar.port, workerEnv);
  await worker.started;
  return {
    emulator,
    client,
    worker,
    warnings,
    async run(name, input) {
      const id = await client.scheduleNewOrchestration(name, input);
      const state = await client.waitForOrchestrationCompletion(id, true, 60);
      if (!state) throw new Error(`no state for ${name}`);
      return state;
    },
    async close() {
      await stopWorker(worker);
      await client.stop();
      await emulator.close();
    },
  };
}
