/**
 * Loaded with `node --require` before a Durable Task SDK app's own worker entry, for `durable-devkit replay`. The entry
 * runs as the user wrote it: it builds its TaskHubGrpcWorker, registers its orchestrators and calls start(). Our
 * start() does not connect anywhere: it tells the parent the worker is ready, and from then on the parent's replay
 * requests go to that worker's public processOrchestratorRequest, the SDK's own replay (the very code path its gRPC
 * loop runs for a work item). So the history replays against the app's current code through the SDK itself; nothing
 * of the replay is re-implemented here.
 *
 * The patch goes on the prototype of the @microsoft/durabletask-js the entry itself resolves (its node_modules), so
 * the class the app instantiates is the patched one. This file runs in the user's process, next to the user's modules,
 * so it loads nothing of ours but the protocol's constants.
 */
import { createRequire } from "node:module";
import * as path from "node:path";
import type { TaskHubGrpcWorker } from "@microsoft/durabletask-js";
import {
  DEFAULT_SDK_PACKAGE,
  SDK_REPLAY_ENTRY_VARIABLE,
  SDK_REPLAY_PACKAGE_VARIABLE,
  type ReplayChildMessage,
  type ReplayParentMessage,
} from "./sdk-replay-protocol";
import { installTracer, traced } from "./sdk-replay-tracer";

/** What the preload reads of a worker beyond its public API: its registry (to route and to name what it registered). */
interface WorkerInternals {
  _registry?: { getOrchestrator(name?: string): unknown; getOrchestratorNames(): string[] };
  _logger?: unknown;
}

interface SdkModule {
  TaskHubGrpcWorker: { prototype: TaskHubGrpcWorker };
  NoOpLogger?: new () => unknown;
}

const started: TaskHubGrpcWorker[] = [];

function send(message: ReplayChildMessage): void {
  process.send?.(message);
}

function internals(worker: TaskHubGrpcWorker): WorkerInternals {
  return worker as unknown as WorkerInternals;
}

function describe(error: unknown): { message: string; stack?: string } {
  return error instanceof Error ? { message: `${error.name}: ${error.message}`, stack: error.stack } : { message: String(error) };
}

/** Fails the load: the parent prints why, and this process has nothing more to do. */
function loadFailed(error: unknown): never {
  send({ type: "loadFailed", ...describe(error) });
  process.exit(1);
}

function patch(sdk: SdkModule): void {
  const quiet = sdk.NoOpLogger ? new sdk.NoOpLogger() : undefined;
  const proto = sdk.TaskHubGrpcWorker.prototype;
  proto.start = async function start(this: TaskHubGrpcWorker): Promise<void> {
    // The SDK logs each replayed event at info level and each replayed failure (a divergence) as an error: noise next to
    // the verdict, which carries what matters. The app's own output still goes to the parent.
    if (quiet) internals(this)._logger = quiet;
    if (!started.includes(this)) started.push(this);
    // From now on the process lives to answer the parent (see the unref below).
    process.channel?.ref();
    // After the entry's synchronous code, so registrations made right after start() count too.
    if (started.length === 1) setImmediate(() => send({ type: "started" }));
  };
  // An entry that stops its worker on a signal or at exit finds it stopped; there is no connection to close.
  proto.stop = async function stop(): Promise<void> {};
  let registered = false;
  for (const method of ["addOrchestrator", "addNamedOrchestrator"] as const) {
    const original = proto[method] as (this: TaskHubGrpcWorker, ...args: unknown[]) => string;
    (proto[method] as unknown) = function (this: TaskHubGrpcWorker, ...args: unknown[]): string {
      if (!registered) {
        registered = true;
        send({ type: "registered" });
      }
      return original.apply(this, args);
    };
  }
}

function workerFor(orchestrator: string): TaskHubGrpcWorker | undefined {
  for (const worker of started) {
    const registry = internals(worker)._registry;
    // A registry of another shape (a later SDK) cannot be asked: the first worker answers, and the SDK itself says
    // when it has no such orchestrator.
    if (!registry || typeof registry.getOrchestrator !== "function") return worker;
    if (registry.getOrchestrator(orchestrator)) return worker;
  }
  return undefined;
}

function registeredOrchestrators(): string[] {
  const names = new Set<string>();
  for (const worker of started) for (const name of internals(worker)._registry?.getOrchestratorNames?.() ?? []) names.add(name);
  return [...names].sort();
}

async function replay(message: ReplayParentMessage): Promise<void> {
  const worker = workerFor(message.orchestrator);
  if (!worker) {
    send({ type: "unknownOrchestrator", id: message.id, registered: registeredOrchestrators() });
    return;
  }
  try {
    const run = () => worker.processOrchestratorRequest(Buffer.from(message.request, "base64"));
    if (message.trace && tracerReady()) {
      const { result, trace } = await traced(run);
      send({ type: "replayed", id: message.id, response: Buffer.from(result).toString("base64"), trace });
      return;
    }
    const response = await run();
    send({ type: "replayed", id: message.id, response: Buffer.from(response).toString("base64") });
  } catch (error) {
    send({ type: "replayFailed", id: message.id, message: describe(error).message });
  }
}

let tracerInstalled: boolean | undefined;

/**
 * Installs the debugger's tracer on the SDK's OrchestrationExecutor, found beside the package's main file (the SDK
 * exports no executor; 0.4.0 keeps it in dist/worker/orchestration-executor.js). An SDK laid out otherwise replays
 * untraced, and the debugger says the events have no source lines.
 */
function tracerReady(): boolean {
  if (tracerInstalled !== undefined) return tracerInstalled;
  tracerInstalled = false;
  try {
    const main = createRequire(process.env[SDK_REPLAY_ENTRY_VARIABLE] ?? __filename).resolve(process.env[SDK_REPLAY_PACKAGE_VARIABLE] || DEFAULT_SDK_PACKAGE);
    const executor = (require(path.join(path.dirname(main), "worker", "orchestration-executor.js")) as { OrchestrationExecutor?: { prototype: object } })
      .OrchestrationExecutor;
    if (executor) {
      installTracer(executor.prototype);
      tracerInstalled = true;
    }
  } catch {
    // left untraced (see above)
  }
  return tracerInstalled;
}

const entry = process.env[SDK_REPLAY_ENTRY_VARIABLE];
if (entry && process.send) {
  // Until the worker starts, anything thrown is the entry failing to load (an exception thrown by the main module's
  // top level reaches uncaughtException, CommonJS and ES modules alike).
  // Once it has, an error the rest of the entry throws (a client of its own that cannot connect, say) is shown with the
  // app's output and the replay goes on: the worker's orchestrators are what is replayed.
  const onError = (error: unknown) => (started.length ? process.stderr.write(`${describe(error).stack ?? describe(error).message}\n`) : loadFailed(error));
  process.on("uncaughtException", onError);
  process.on("unhandledRejection", onError);
  // The parent is gone (replay finished, or it died): so is the reason to run.
  process.on("disconnect", () => process.exit(0));
  process.on("message", (message: ReplayParentMessage) => {
    if (message.type === "replay") void replay(message);
  });
  // Until a worker starts, the channel to the parent does not keep the process alive: an entry that ends without
  // starting one exits, and the parent says so at once instead of waiting for start() in vain.
  process.channel?.unref();
  const sdkPackage = process.env[SDK_REPLAY_PACKAGE_VARIABLE] || DEFAULT_SDK_PACKAGE;
  let sdk: SdkModule;
  try {
    sdk = createRequire(entry)(sdkPackage) as SdkModule;
  } catch (error) {
    loadFailed(new Error(`It cannot load ${sdkPackage} (${describe(error).message}). Install the app's dependencies (npm install) in its folder.`));
  }
  if (typeof sdk.TaskHubGrpcWorker?.prototype?.processOrchestratorRequest !== "function")
    loadFailed(
      new Error(
        `The app's ${sdkPackage} has no TaskHubGrpcWorker.processOrchestratorRequest, which replay runs (@microsoft/durabletask-js 0.4.0 or later has it).`,
      ),
    );
  patch(sdk);
}
