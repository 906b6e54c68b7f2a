/** Starts the emulator on a fixture app for a test, on either store, and cleans up after it. */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type Emulator, type InstanceStatus, type HistoryEvent, HistoryEventType } from "../../emulator";

export const KITCHEN_SINK = path.resolve(__dirname, "..", "..", "..", "test", "fixtures", "kitchen-sink");
export const SAMPLE_APP = path.resolve(__dirname, "..", "..", "..", "examples", "sample-app");

export type StoreKind = "memory" | "sqljs";
export const STORES: StoreKind[] = ["memory", "sqljs"];

export function tempDir(prefix = "dd-test-"): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export async function emulatorFor(
  store: StoreKind,
  options: { timeSkipping?: boolean; appDir?: string; storeFile?: string; replaySchema?: number } = {},
): Promise<Emulator> {
  const storeSpec = store === "memory" ? "memory" : (options.storeFile ?? path.join(tempDir(), "store.sqlite"));
  return startEmulator({
    appDir: options.appDir ?? KITCHEN_SINK,
    store: storeSpec,
    timeSkipping: options.timeSkipping ?? true,
    replaySchema: options.replaySchema,
    appOutput: devNull(),
  });
}

/** A copy of the kitchen-sink app with its own host.json settings; it resolves packages from this repository. */
export function kitchenSinkWith(hostJson: object): string {
  const dir = path.join(tempDir(), "kitchen-sink");
  fs.cpSync(KITCHEN_SINK, dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "host.json"), JSON.stringify(hostJson, null, 2));
  fs.symlinkSync(path.resolve(KITCHEN_SINK, "..", "..", "..", "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

export function devNull(): NodeJS.WritableStream {
  const { Writable } = require("node:stream") as typeof import("node:stream");
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}

export async function runToEnd(emulator: Emulator, name: string, input?: unknown, instanceId?: string): Promise<InstanceStatus & { history: HistoryEvent[] }> {
  const id = await emulator.engine.startNew(name, { input, instanceId });
  const status = await emulator.engine.waitForCompletion(id, 30_000);
  return { ...status, history: emulator.engine.getHistory(id) };
}

/** The history without ids and times: what must be identical between two runs of the same orchestration. */
export function shapeOf(history: HistoryEvent[]): string[] {
  return history.map((e) => {
    const parts = [HistoryEventType[e.EventType], e.Name ?? "", e.Input ?? "", e.Result ?? "", String(e.TaskScheduledId ?? e.TimerId ?? "")];
    if (e.EventType === HistoryEventType.TaskScheduled || e.EventType === HistoryEventType.TimerCreated) parts.push(String(e.EventId));
    return parts.join("|");
  });
}

export function countByType(history: HistoryEvent[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of history) counts[HistoryEventType[e.EventType]] = (counts[HistoryEventType[e.EventType]] ?? 0) + 1;
  return counts;
}

/** Polls until the condition holds (the engine works asynchronously). */
export async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
