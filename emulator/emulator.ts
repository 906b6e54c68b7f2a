/**
 * Puts the parts together: loads the app, starts its host process, opens the store and the engine. This is the one
 * entry the CLI, the HTTP host, the debugger and the extension use.
 */
import * as path from "node:path";
import { loadApp, type LoadedApp } from "./app/app-loader";
import { AppHostClient } from "./app-host/app-host-client";
import { AppHostWorker } from "./app-host/app-host-worker";
import { parseFunctionTimeout } from "./app-host/function-timeouts";
import { Engine } from "./engine/engine";
import { MemoryStore } from "./store/memory-store";
import { SqlJsStore } from "./store/sqljs-store";
import type { Store } from "./store/store";
import type { EngineEvent } from "./api/types";
import type { WorkerPort } from "./core/worker-port";

export interface EmulatorOptions {
  appDir: string;
  /** "memory", or the path of an SQLite store file (default: .durable/emulator.sqlite in the app folder). */
  store?: string;
  timeSkipping?: boolean;
  /** With time skipping: do not skip to a timer of an instance that waits for an external event (debug sessions). */
  holdAtAwaitedEvents?: boolean;
  /** Where the app's console output goes (default: stderr). */
  appOutput?: NodeJS.WritableStream;
  onEvent?: (event: EngineEvent) => void;
  /** The newest out-of-process replay schema to offer the package (0 = V1 … 3 = V4, the default). */
  replaySchema?: number;
  /** Environment for the app on top of local.settings.json Values (which the process environment overrides). */
  appEnv?: Record<string, string>;
  /** Start the app process with the V8 inspector on 127.0.0.1 at this port, for a JavaScript debugger to attach. */
  inspectPort?: number;
  /** The Node.js executable that runs the app (default: the one running the emulator). */
  nodePath?: string;
  /** How long orchestrator code may run without yielding before its instance fails (default 10 s). */
  episodeLimitMs?: number;
  /** Workers besides the app's own (Durable Task SDK workers over gRPC): names the app does not register go to them. */
  extraWorkers?: WorkerPort[];
}

export interface Emulator {
  app: LoadedApp;
  engine: Engine;
  host: AppHostClient;
  store: Store;
  close(): Promise<void>;
}

export const DEFAULT_STORE_FILE = path.join(".durable", "emulator.sqlite");

export function createStore(spec: string | undefined, appDir: string): Store {
  if (spec === "memory") return new MemoryStore();
  return new SqlJsStore(path.resolve(appDir, spec ?? DEFAULT_STORE_FILE));
}

/** As `func start`: local.settings.json Values become environment variables, unless the environment sets them. */
export function appEnvironment(app: LoadedApp, extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(app.localSettings.Values ?? {})) {
    if (process.env[name] === undefined) env[name] = String(value);
  }
  return { ...env, ...extra };
}

function positiveNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) && value > 0 ? value : undefined;
}

export async function startEmulator(options: EmulatorOptions): Promise<Emulator> {
  const app = await loadApp(options.appDir);
  const durableTask = app.hostJson.extensions?.durableTask ?? {};
  const host = new AppHostClient({
    appDir: app.appDir,
    entryFiles: app.entryFiles,
    output: options.appOutput,
    upperSchemaVersion: options.replaySchema,
    defaultHttpAsyncRequestSleepTimeMs: positiveNumber(durableTask.httpSettings?.defaultAsyncRequestSleepTimeMilliseconds),
    env: appEnvironment(app, options.appEnv),
    inspectPort: options.inspectPort,
    nodePath: options.nodePath,
    functionTimeoutMs: parseFunctionTimeout(app.hostJson.functionTimeout, path.join(app.appDir, "host.json")) ?? null,
    episodeLimitMs: options.episodeLimitMs,
    onLog: (entry) => options.onEvent?.({ kind: "log", ...entry }),
    onSlowLoad: (message) => options.onEvent?.({ kind: "warning", message }),
  });
  await host.start();
  const store = createStore(options.store, app.appDir);
  const engine = new Engine({
    store,
    workers: [new AppHostWorker(host), ...(options.extraWorkers ?? [])],
    timeSkipping: options.timeSkipping,
    holdAtAwaitedEvents: options.holdAtAwaitedEvents,
    maxConcurrentActivityFunctions: durableTask.maxConcurrentActivityFunctions,
    maxConcurrentOrchestratorFunctions: durableTask.maxConcurrentOrchestratorFunctions,
    maxEntityOperationBatchSize: durableTask.maxEntityOperationBatchSize,
  });
  if (options.onEvent) engine.on(options.onEvent);
  try {
    await engine.start();
  } catch (error) {
    await host.stop();
    throw error;
  }
  return {
    app,
    engine,
    host,
    store,
    async close() {
      await engine.close();
      await host.stop();
    },
  };
}
