/**
 * The emulator for apps on the Durable Task SDKs: the engine and store every other part uses, with Durable Task
 * workers connected over gRPC as its worker. No Functions app is loaded; the SDK's worker process runs the code.
 */
import * as path from "node:path";
import { Engine } from "../engine/engine";
import type { Store } from "../store/store";
import type { EngineEvent } from "../api/types";
import { createStore } from "../emulator";
import { GrpcWorkerPool } from "./grpc-worker-pool";
import { DEFAULT_GRPC_PORT, listenSidecar, type SidecarServer } from "./sidecar-server";
import { DEFAULT_TASK_HUB, SDK_WORK_LIMITS, TaskHubs, sdkHubOpener } from "./task-hubs";

export interface DurableTaskEmulatorOptions {
  /** The folder the default store file (.durable/emulator.sqlite) goes in. */
  dir: string;
  /** "memory", or the path of an SQLite store file. */
  store?: string;
  /** The gRPC port (default 8080, as the Durable Task Scheduler emulator; 0 picks a free one). */
  port?: number;
  timeSkipping?: boolean;
  onEvent?: (event: EngineEvent) => void;
  /** How often each worker's stream gets a health ping (default 30 s; tests shorten it). */
  healthPingMs?: number;
}

export interface DurableTaskEmulator {
  engine: Engine;
  store: Store;
  sidecar: SidecarServer;
  close(): Promise<void>;
}

export async function startDurableTaskEmulator(options: DurableTaskEmulatorOptions): Promise<DurableTaskEmulator> {
  const store = createStore(options.store, path.resolve(options.dir));
  const pool = new GrpcWorkerPool((message) => options.onEvent?.({ kind: "warning", message }), { healthPingMs: options.healthPingMs });
  const engineOptions = { timeSkipping: options.timeSkipping, ...SDK_WORK_LIMITS };
  const engine = new Engine({ ...engineOptions, store, workers: [pool] });
  if (options.onEvent) engine.on(options.onEvent);
  await engine.start();
  let sidecar: SidecarServer;
  try {
    const warn = (message: string) => options.onEvent?.({ kind: "warning", message });
    const hubs = new TaskHubs(
      { name: DEFAULT_TASK_HUB, engine, pool },
      sdkHubOpener(options.dir, options.store, engineOptions, warn, { healthPingMs: options.healthPingMs }),
    );
    sidecar = await listenSidecar(hubs, options.port ?? DEFAULT_GRPC_PORT);
  } catch (error) {
    pool.close();
    await engine.close();
    throw error;
  }
  return {
    engine,
    store,
    sidecar,
    async close() {
      await sidecar.close();
      await engine.close();
    },
  };
}
