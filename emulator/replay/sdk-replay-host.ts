/**
 * A Durable Task SDK app's worker, run for replay: `node --require sdk-replay-preload.js <entry>` in the app's folder,
 * a child process that connects nowhere and answers OrchestratorRequests with the SDK's own replay (see the preload).
 * It holds no state between requests (each carries its whole history), so one child replays every history of a run;
 * close() kills it, and it exits by itself when this process goes (its IPC channel closes).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import { pb } from "../grpc/protocol";
import { SdkWorkerError } from "./sdk-worker-error";
import { sourceLineOfError } from "./source-line";
import {
  SDK_REPLAY_ENTRY_VARIABLE,
  SDK_REPLAY_PACKAGE_VARIABLE,
  type ReplayChildMessage,
  type ReplayParentMessage,
  type SdkReplayTraceRecord,
} from "./sdk-replay-protocol";
import type { WorkerEntry } from "./sdk-worker-entry";

export type SdkReplayAnswer =
  /** trace: what the orchestrator did event by event, when asked for and the SDK could be traced. */
  { kind: "response"; response: pb.OrchestratorResponse; trace?: SdkReplayTraceRecord } | { kind: "unknownOrchestrator"; registered: string[] };

export interface SdkReplayHost {
  entry: WorkerEntry;
  /** The entry's path relative to the app folder, for messages. */
  entryLabel: string;
  appDir: string;
  replay(orchestrator: string, request: pb.OrchestratorRequest, options?: { trace?: boolean }): Promise<SdkReplayAnswer>;
  close(): Promise<void>;
}

export interface SdkReplayHostOptions {
  /** Where the worker's own output goes (the CLI's stderr, so its stdout stays the verdicts). */
  appOutput?: NodeJS.WritableStream;
  /** How long the entry has to call start() (default 15 s: a TypeScript entry compiled on the fly takes a while). */
  startTimeoutMs?: number;
  /** How long one replay may take (default 30 s): an orchestrator that awaits something no history answers never ends. */
  replayTimeoutMs?: number;
  /** The SDK package the app names (default @microsoft/durabletask-js). */
  sdkPackage?: string;
}

const PRELOAD = path.join(__dirname, "sdk-replay-preload.js");
/** The last part of the worker's stderr, to say why it exited when it exits before reporting. */
const STDERR_TAIL = 2000;

export async function openSdkReplayHost(appDir: string, entry: WorkerEntry, options: SdkReplayHostOptions = {}): Promise<SdkReplayHost> {
  const entryLabel = path.relative(appDir, entry.file).startsWith("..") ? entry.file : path.relative(appDir, entry.file);
  const child = spawn(process.execPath, ["--require", PRELOAD, entry.file], {
    cwd: appDir,
    env: { ...process.env, [SDK_REPLAY_ENTRY_VARIABLE]: entry.file, [SDK_REPLAY_PACKAGE_VARIABLE]: options.sdkPackage ?? "" },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  let stderrTail = "";
  child.stdout?.on("data", (chunk: Buffer) => options.appOutput?.write(chunk));
  child.stderr?.on("data", (chunk: Buffer) => {
    options.appOutput?.write(chunk);
    stderrTail = (stderrTail + chunk.toString()).slice(-STDERR_TAIL);
  });

  const pending = new Map<number, { resolve: (answer: SdkReplayAnswer) => void; reject: (error: Error) => void; timer: NodeJS.Timeout }>();
  let nextId = 1;
  /** Why the worker can replay no more: it exited, or was killed when a replay overran. */
  let gone: string | undefined;
  const failAll = (error: Error) => {
    for (const [id, request] of pending) {
      clearTimeout(request.timer);
      pending.delete(id);
      request.reject(error);
    }
  };

  await new Promise<void>((resolve, reject) => {
    const timeoutMs = options.startTimeoutMs ?? 15_000;
    let registered = false;
    const timer = setTimeout(() => {
      cleanup();
      reject(
        new SdkWorkerError(
          `The worker entry ${entryLabel} (${entry.from}) ` +
            (registered
              ? `registered orchestrators but did not call start() on its TaskHubGrpcWorker within ${timeoutMs / 1000} s. `
              : `did not start a TaskHubGrpcWorker within ${timeoutMs / 1000} s (it registered no orchestrator on one). `) +
            "Replay runs the file that registers the orchestrators and calls worker.start(), with the SDK from the app's node_modules (not bundled into it): " +
            "name that file with --worker FILE.",
        ),
      );
    }, timeoutMs);
    const onMessage = (message: ReplayChildMessage) => {
      if (message.type === "registered") registered = true;
      else if (message.type === "started") {
        cleanup();
        resolve();
      } else if (message.type === "loadFailed") {
        cleanup();
        reject(new SdkWorkerError(`The worker entry ${entryLabel} (${entry.from}) failed while loading: ${message.message}${appFrame(message.stack, appDir)}`));
      }
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      cleanup();
      reject(
        new SdkWorkerError(
          `The worker entry ${entryLabel} (${entry.from}) exited (${signal ?? `code ${code}`}) ` +
            (registered ? "without calling start() on the TaskHubGrpcWorker it registered orchestrators on" : "before it started a TaskHubGrpcWorker") +
            (stderrTail.trim()
              ? `:\n${stderrTail.trim()}`
              : ". Replay runs the file that registers the orchestrators and calls worker.start(): name it with --worker FILE."),
        ),
      );
    };
    const cleanup = () => {
      clearTimeout(timer);
      child.off("message", onMessage);
      child.off("exit", onExit);
    };
    child.on("message", onMessage);
    child.once("exit", onExit);
    child.once("error", (error) => {
      cleanup();
      reject(new SdkWorkerError(`Cannot run the worker entry ${entryLabel}: ${error.message}`));
    });
  }).catch(async (error: unknown) => {
    await kill(child);
    throw error;
  });

  child.on("message", (message: ReplayChildMessage) => {
    if (message.type !== "replayed" && message.type !== "unknownOrchestrator" && message.type !== "replayFailed") return;
    const request = pending.get(message.id);
    if (!request) return;
    pending.delete(message.id);
    clearTimeout(request.timer);
    if (message.type === "replayed")
      request.resolve({ kind: "response", response: pb.OrchestratorResponse.deserializeBinary(Buffer.from(message.response, "base64")), trace: message.trace });
    else if (message.type === "unknownOrchestrator") request.resolve({ kind: "unknownOrchestrator", registered: message.registered });
    else request.reject(new SdkWorkerError(`The SDK could not replay the history: ${message.message}`));
  });
  child.once("exit", (code, signal) => {
    if (gone) return failAll(new SdkWorkerError(`The worker entry ${entryLabel} is no longer running (${gone}).`));
    gone = `it exited (${signal ?? `code ${code}`})`;
    failAll(
      new SdkWorkerError(
        `The worker entry ${entryLabel} exited (${signal ?? `code ${code}`}) during the replay${stderrTail.trim() ? `:\n${stderrTail.trim()}` : "."}`,
      ),
    );
  });

  return {
    entry,
    entryLabel,
    appDir,
    replay(orchestrator, request, replayOptions = {}) {
      if (gone) return Promise.reject(new SdkWorkerError(`The worker entry ${entryLabel} is no longer running (${gone}).`));
      const id = nextId++;
      const message: ReplayParentMessage = {
        type: "replay",
        id,
        orchestrator,
        request: Buffer.from(request.serializeBinary()).toString("base64"),
        trace: replayOptions.trace,
      };
      return new Promise<SdkReplayAnswer>((resolve, reject) => {
        const timeoutMs = options.replayTimeoutMs ?? 30_000;
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(
            new SdkWorkerError(
              `The orchestrator ${orchestrator} did not finish replaying within ${timeoutMs / 1000} s: it awaits something that is not a durable task ` +
                "(a promise of its own, I/O), or loops.",
            ),
          );
          // A worker stuck in the orchestrator's code cannot answer anything else: the next history fails fast.
          gone = `it was stopped when ${orchestrator} overran its replay`;
          void kill(child);
        }, timeoutMs);
        pending.set(id, { resolve, reject, timer });
        child.send(message);
      });
    },
    close: () => kill(child),
  };
}

/** The app's own frame of a stack (where its code threw), as ` (at src/worker.js:3:7)`. */
function appFrame(stack: string | undefined, appDir: string): string {
  const line = sourceLineOfError(stack, appDir);
  return line ? ` (at ${line})` : "";
}

async function kill(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await gone;
}
