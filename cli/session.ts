/**
 * How commands reach the emulator: mutating commands start it on the app and drive the affected instance until it
 * finishes or can only wait (for an event, or while suspended); reading commands open the store read-only, without
 * loading the app, so they also work while another process runs it.
 */
import * as path from "node:path";
import * as v8 from "node:v8";
import { startEmulator, createStore, isTerminal, type Emulator, type Engine, type EngineEvent, type InstanceStatus } from "../emulator";
import { SqlJsStore } from "../emulator/store/sqljs-store";
import type { Store } from "../emulator/store/store";
import { UsageError } from "./cli-error";
import type { Io } from "./command";

export interface SessionOptions {
  app?: string;
  store?: string;
  "time-skip"?: boolean;
  json?: boolean;
}

export async function openEmulator(options: SessionOptions, io: Io, onEvent?: (event: EngineEvent) => void): Promise<Emulator> {
  const emulator = await startEmulator({
    appDir: path.resolve(options.app ?? "."),
    store: options.store,
    timeSkipping: options["time-skip"] === true,
    // Keep stdout clean for --json: the app's own console output goes to stderr then.
    appOutput: options.json ? io.stderr : io.stdout,
    onEvent: (event) => {
      if (event.kind === "warning") io.stderr.write(`warning: ${event.message}\n`);
      if (event.kind === "log" && !options.json) io.stdout.write(`[${event.functionName ?? "app"}] ${event.message}\n`);
      onEvent?.(event);
    },
  });
  // Ctrl+C: stop cleanly. Unfinished instances stay in the store, and any later command carries them on.
  const onInterrupt = () => {
    io.stderr.write("\nStopping. Unfinished instances stay in the store: `durable-devkit wait <instanceId>` carries them on.\n");
    void emulator.close().finally(() => process.exit(130));
  };
  process.once("SIGINT", onInterrupt);
  const close = emulator.close.bind(emulator);
  emulator.close = async () => {
    process.off("SIGINT", onInterrupt);
    await close();
  };
  return emulator;
}

/** Opens the store for reading only. */
export async function openStoreForReading(options: SessionOptions): Promise<Store> {
  if (options.store === "memory") {
    throw new UsageError("--store memory keeps nothing between commands. Use a store file (the default) to look at instances later.");
  }
  const appDir = path.resolve(options.app ?? ".");
  const store = createStore(options.store, appDir);
  // A command that only reads the store exits soon after: V8's baseline WebAssembly compiler has sql.js ready in half
  // the time (0.3 s instead of 0.6 s, measured here), at a run-time cost only a long-lived process would feel.
  if (store instanceof SqlJsStore) v8.setFlagsFromString("--liftoff-only");
  const readable = store instanceof SqlJsStore ? new SqlJsStore(store.filePath, { readOnly: true }) : store;
  await readable.open();
  return readable;
}

/**
 * Waits until the instance is finished, or until nothing more can happen without outside help. On wall time a
 * pending timer counts as something that will happen.
 */
export async function driveToRest(engine: Engine, instanceId: string): Promise<InstanceStatus> {
  const completion = engine.waitForCompletion(instanceId);
  for (;;) {
    const finished = await Promise.race([completion, engine.whenIdle().then(() => undefined)]);
    if (finished) {
      // What it set off (entity signals, say) runs before the process exits.
      await engine.whenIdle();
      return engine.getStatus(instanceId) as InstanceStatus;
    }
    const status = engine.getStatus(instanceId) as InstanceStatus;
    if (isTerminal(status.runtimeStatus)) return status;
    if ((engine.clock.skipping && engine.wallClockTimerCount() === 0) || engine.pendingTimerCount() === 0) return status;
    // On wall time a timer is still due (with time skipping, a callHttp poll's): wait for the next thing the engine does.
    await Promise.race([
      completion,
      new Promise<void>((resolve) => {
        const off = engine.on(() => {
          off();
          resolve();
        });
      }),
    ]);
  }
}
