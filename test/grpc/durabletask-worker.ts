/**
 * The fixture Durable Task SDK app's worker (test/fixtures/durabletask-app/worker.js) in a child process, as a user
 * runs it: started against a sidecar's port, stopped with SIGKILL (a worker gets no chance to say goodbye).
 */
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";

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
