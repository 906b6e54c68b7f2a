/**
 * `launch` (mode "run") for a Durable Task SDK app (@microsoft/durabletask-js): the session's own gRPC sidecar (the
 * emulator `durable-devkit start` serves to SDK apps), the app's worker entry run as the user runs it and pointed at
 * it, and a new instance started on it. Its timeline is replayed, as a saved history's is, by a second copy of the
 * worker entry under the replay preload (sdk-timeline-host.ts), so the worker that runs the instance is never paused.
 *
 * The worker finds the sidecar where SDK apps look for the Durable Task Scheduler emulator: the connection string in
 * DURABLE_TASK_SCHEDULER_CONNECTION_STRING (as `durable-devkit new --sdk durabletask` apps read it), and the launch's
 * `grpcPort` (default 8080, the emulator's and the SDK's default) for apps with an address of their own; `env` adds
 * the app's own variables.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { startDurableTaskEmulator } from "../emulator/grpc/durable-task-emulator";
import { openSdkReplayHost, type SdkReplayHost } from "../emulator/replay/sdk-replay-host";
import { findWorkerEntry } from "../emulator/replay/sdk-worker-entry";
import type { InstanceSource, LogListener } from "./instance-sources";
import { sdkTimelineHost } from "./sdk-timeline-host";
import { engineControls } from "./engine-controls";

export interface SdkRunOptions {
  appDir: string;
  orchestrator: string;
  input?: unknown;
  instanceId?: string;
  /** "memory" (default) or an SQLite store file. */
  store?: string;
  /** The sidecar's port (default 8080); 0 picks a free one (then only `env` can tell the worker). */
  grpcPort?: number;
  /** The worker entry, relative to the app folder (default: package.json main, else the start script's file). */
  worker?: string;
  /** More environment variables for the app's worker. */
  env?: Record<string, string>;
  timeSkipping?: boolean;
  /** @dapr/durabletask-js, when the app is on it. */
  sdkPackage?: string;
  onLog: LogListener;
  appOutput: NodeJS.WritableStream;
}

export async function runSdkApp(options: SdkRunOptions): Promise<InstanceSource> {
  const listeners: ((instanceId: string) => void)[] = [];
  const emulator = await startDurableTaskEmulator({
    dir: options.appDir,
    store: options.store ?? "memory",
    port: options.grpcPort ?? 8080,
    timeSkipping: options.timeSkipping !== false,
    onEvent: (event) => {
      if (event.kind === "historyAppended") for (const listener of listeners) listener(event.instanceId);
      if (event.kind === "instanceUpdated") for (const listener of listeners) listener(event.instance.instanceId);
      if (event.kind === "warning") options.onLog({ level: "warning", message: event.message });
    },
  });
  let worker: ChildProcess | undefined;
  let replayHost: SdkReplayHost | undefined;
  try {
    const entry = findWorkerEntry(options.appDir, options.worker && path.resolve(options.appDir, options.worker));
    replayHost = await openSdkReplayHost(options.appDir, entry, { appOutput: options.appOutput, sdkPackage: options.sdkPackage });
    const replaying = replayHost;
    const port = emulator.sidecar.port;
    worker = spawn(process.execPath, [entry.file], {
      cwd: options.appDir,
      env: {
        ...process.env,
        DURABLE_TASK_SCHEDULER_CONNECTION_STRING: `Endpoint=http://localhost:${port};Authentication=None;TaskHub=default`,
        ...options.env,
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    worker.stdout?.on("data", (chunk: Buffer) => options.appOutput.write(chunk));
    worker.stderr?.on("data", (chunk: Buffer) => options.appOutput.write(chunk));
    const running = worker;
    running.once("exit", (code, signal) =>
      options.onLog({ level: "warning", message: `The app's worker ${entry.file} exited (${signal ?? `code ${code}`}).` }),
    );
    // The sidecar holds the work until the worker connects.
    const instanceId = await emulator.engine.startNew(options.orchestrator, { input: options.input, instanceId: options.instanceId });
    return {
      live: true,
      host: sdkTimelineHost(replaying),
      mainInstanceId: instanceId,
      started: Promise.resolve(),
      ...engineControls(emulator.engine),
      onHistoryChanged: (listener) => void listeners.push(listener),
      async close() {
        await stop(running);
        await replaying.close();
        await emulator.close();
      },
    };
  } catch (error) {
    if (worker) await stop(worker);
    await replayHost?.close();
    await emulator.close();
    throw error;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await gone;
}
