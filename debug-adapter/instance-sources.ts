/**
 * Where a debug session's instances come from, and what it can do to them:
 * - a new instance running in an emulator started for the session (`launch`);
 * - a saved history replayed without running anything (`launch` with mode "replay": a file, or an instance in a
 *   store, whose sub-orchestrations come along);
 * - a running `durable-devkit start`, over its loopback HTTP API (`attach`).
 * The session only sees this interface, so stepping works the same on all three.
 */
import { randomUUID } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { startServer, createStore, type EmulatorServer } from "../emulator";
import { openReplayHost } from "../emulator/replay/replay-host";
import { historyFromInstance, readHistoryFile, type HistorySource } from "../emulator/replay/history-source";
import { rebuildFromApi } from "../emulator/replay/api-history";
import { requireOrchestrator } from "../emulator/replay/replay-check";
import { SqlJsStore } from "../emulator/store/sqljs-store";
import type { Store } from "../emulator/store/store";
import { HistoryEventType, OrchestrationStatusCode, type HistoryEvent } from "../emulator/history/history-event";
import type { InstanceFacts } from "./timeline";
import { parseJsonText } from "../emulator/api/json-text";
import { EmulatorRequestError } from "../emulator/api/emulator-client";
import { emulatorClientAt } from "../emulator/api/loopback-client";
import type { EmulatorInfo, InstanceHistoryAnswer } from "../emulator/api/http-contract";
import { watchEmulator } from "../emulator/api/emulator-watch";
import type { AppHostClient } from "../emulator/app-host/app-host-client";
import { durableTaskSdkOf } from "../emulator/grpc/sdk-app";
import { openSdkReplayHost } from "../emulator/replay/sdk-replay-host";
import { findWorkerEntry } from "../emulator/replay/sdk-worker-entry";
import { functionsTimelineHost, type TimelineHost } from "./timeline-host";
import { sdkTimelineHost } from "./sdk-timeline-host";
import { engineControls } from "./engine-controls";

export type LogListener = (entry: { level: string; functionName?: string; message: string }) => void;

/** Time skipping stopped short of a timer because the instance waits for an external event. */
export interface TimeHeld {
  instanceId: string;
  name: string;
  events: string[];
  /** ISO 8601: when the timer is due. */
  fireAt: string;
}

/**
 * true: skip timers, except to a timer of an instance that waits for an external event (held until `advance`);
 * "always": skip every timer, as `durable-devkit run --time-skip`; false: wall time.
 */
export type TimeSkipping = boolean | "always";

export interface InstanceSource {
  /** Whether the instances can still change while the session runs. */
  readonly live: boolean;
  /** What replays histories for the timeline: the Functions app host, or a Durable Task SDK app's worker. */
  readonly host: TimelineHost;
  /** The instance the session is about. */
  readonly mainInstanceId: string;
  /** Resolves once the main instance exists (a launch may hold it back for a JavaScript debugger); rejects if it cannot start. */
  readonly started?: Promise<void>;
  load(instanceId: string): Promise<InstanceFacts | undefined>;
  /** Calls back when an instance's history grows (live sources only). */
  onHistoryChanged(listener: (instanceId: string) => void): void;
  raise(instanceId: string, eventName: string, data: unknown): Promise<void>;
  terminate(instanceId: string, reason: string): Promise<void>;
  /** Moves the clock forward by `ms`, or to the next pending timer without it; says where the clock is now. */
  advance(ms?: number): Promise<string>;
  /**
   * The loopback HTTP address of the session's own emulator (a launch), where its instances are listed, shown and
   * acted on as in `durable-devkit start`: the dashboard, its read API and the management API.
   */
  readonly served?: { origin: string; forwardingKey: string };
  close(): Promise<void>;
}

export class NotLiveError extends Error {
  constructor(what: string) {
    super(
      `${what} needs a running instance: this session replays a saved history, and nothing in it runs. Start a "durable" launch configuration (mode "run") to drive an instance.`,
    );
  }
}

export interface RunOptions {
  appDir: string;
  orchestrator: string;
  input?: unknown;
  instanceId?: string;
  store?: string;
  /** Default true. */
  timeSkipping?: TimeSkipping;
  /** Start the app process with the V8 inspector on this port (the extension attaches js-debug to it). */
  inspectPort?: number;
  /** The Node.js executable that runs the app. */
  nodePath?: string;
  /** Awaited once the app runs and before the instance starts (a JavaScript debugger attaches meanwhile). */
  beforeStart?: () => Promise<void>;
  onLog: LogListener;
  onTimeHeld?: (held: TimeHeld) => void;
  appOutput: NodeJS.WritableStream;
}

/**
 * `launch`: a new instance in an emulator of the session's own, with its time skipping and holding, served on a free
 * loopback port as `durable-devkit start` is (its dashboard and APIs), so its instances can be seen and answered
 * from outside the debugger too; what is done there reaches the session as any change of the instance does.
 */
export async function runInEmulator(options: RunOptions): Promise<InstanceSource> {
  const listeners: ((instanceId: string) => void)[] = [];
  const server: EmulatorServer = await startServer({
    port: 0,
    // The app's own HTTP functions answer there too; what they log goes to the debug console.
    onLog: (line) => options.onLog({ level: "information", message: line }),
    appDir: options.appDir,
    store: options.store ?? "memory",
    timeSkipping: options.timeSkipping !== false,
    // A debug session holds time where the user may still raise the event; "always" skips as the CLI does.
    holdAtAwaitedEvents: options.timeSkipping !== "always",
    inspectPort: options.inspectPort,
    nodePath: options.nodePath,
    appOutput: options.appOutput,
    onEvent: (event) => {
      if (event.kind === "historyAppended") for (const listener of listeners) listener(event.instanceId);
      if (event.kind === "instanceUpdated") for (const listener of listeners) listener(event.instance.instanceId);
      if (event.kind === "log") options.onLog(event);
      if (event.kind === "timeHeld") options.onTimeHeld?.({ instanceId: event.instanceId, name: event.name, events: event.events, fireAt: event.fireAt });
    },
  });
  const emulator = server.emulator;
  try {
    requireOrchestrator(emulator.host, options.orchestrator);
    const start = (instanceId?: string) => emulator.engine.startNew(options.orchestrator, { input: options.input, instanceId });
    let instanceId: string;
    let started: Promise<void>;
    if (options.beforeStart) {
      // Held back, not the launch: VS Code starts the JavaScript debugger's session only once the launch has answered.
      instanceId = options.instanceId ?? randomUUID().replace(/-/g, "");
      started = options.beforeStart().then(() => start(instanceId).then(() => undefined));
      started.catch(() => undefined); // handled where the session awaits it; this only keeps Node from calling it unhandled
    } else {
      instanceId = await start(options.instanceId);
      started = Promise.resolve();
    }
    return {
      live: true,
      host: functionsTimelineHost(emulator.host),
      mainInstanceId: instanceId,
      started,
      ...engineControls(emulator.engine),
      onHistoryChanged: (listener) => void listeners.push(listener),
      served: { origin: server.http.origin, forwardingKey: server.http.forwarded.key },
      close: () => server.close(),
    };
  } catch (error) {
    await server.close();
    throw error;
  }
}

export interface ReplayOptions {
  appDir: string;
  /** A history file, or an instance id in the store. */
  history?: string;
  instanceId?: string;
  store?: string;
  /** The orchestrator the user expects the history to belong to (checked when given). */
  orchestrator?: string;
  /** The file that starts a Durable Task SDK app's worker (default: its package.json's main or start script). */
  worker?: string;
  nodePath?: string;
  onLog: LogListener;
  appOutput: NodeJS.WritableStream;
}

/**
 * The Durable Task SDK for JavaScript the app is on, when it is one (no host.json, the SDK named in its package.json,
 * as `replay` tells), or "" when `worker` names its entry; undefined for a Functions app.
 */
export function durableTaskJsAppOf(appDir: string, worker: string | undefined): string | undefined {
  const sdk = fs.existsSync(path.join(appDir, "host.json")) ? undefined : durableTaskSdkOf(appDir);
  if (worker) return sdk === "@dapr/durabletask-js" ? sdk : "";
  if (!sdk) return undefined;
  if (!sdk.includes("durabletask-js"))
    throw new Error(
      `The app in ${appDir} is on ${sdk}; the replay debugger runs the Durable Task SDK for JavaScript (@microsoft/durabletask-js) and durable-functions apps only.`,
    );
  return sdk === "@dapr/durabletask-js" ? sdk : "";
}

interface OpenedTimelineHost {
  host: TimelineHost;
  /** The Functions app host, which can also rebuild the management API's folded histories (an SDK app's cannot: see replay). */
  functionsHost?: AppHostClient;
  close(): Promise<void>;
}

/** The replaying side of a saved-history session: the Functions app host, or the SDK app's worker. */
async function openTimelineHost(options: ReplayOptions, name: string): Promise<OpenedTimelineHost> {
  const sdk = durableTaskJsAppOf(options.appDir, options.worker);
  if (sdk !== undefined) {
    // @dapr/durabletask-js is its own package; the others (…-azuremanaged) build on @microsoft/durabletask-js's worker.
    const worker = await openSdkReplayHost(options.appDir, findWorkerEntry(options.appDir, options.worker && path.resolve(options.appDir, options.worker)), {
      appOutput: options.appOutput,
      sdkPackage: sdk || undefined,
    });
    return { host: sdkTimelineHost(worker), close: () => worker.close() };
  }
  const replayHost = await openReplayHost(options.appDir, { appOutput: options.appOutput, onLog: options.onLog, nodePath: options.nodePath });
  try {
    requireOrchestrator(replayHost.host, name);
  } catch (error) {
    await replayHost.close();
    throw error;
  }
  return { host: functionsTimelineHost(replayHost.host), functionsHost: replayHost.host, close: () => replayHost.close() };
}

/** `launch` in mode "replay": a saved history against the current code. */
export async function replaySaved(options: ReplayOptions): Promise<InstanceSource> {
  let store: Store | undefined;
  let main: HistorySource;
  if (options.history) {
    main = readHistoryFile(path.resolve(options.appDir, options.history));
  } else if (options.instanceId) {
    store = await openStore(options.appDir, options.store);
    const record = store.getInstance(options.instanceId);
    if (!record) {
      await store.close();
      throw new Error(
        `No instance has the id "${options.instanceId}" in ${store.description}. List them with \`durable-devkit list\`, or give a history file in "history".`,
      );
    }
    main = historyFromInstance(record, store.getHistory(options.instanceId));
  } else {
    throw new Error('A replay needs "history" (a file from `durable-devkit export` or the management API) or "instanceId" (an instance in the store).');
  }
  if (options.orchestrator && options.orchestrator !== main.name) {
    await store?.close();
    throw new Error(
      `${main.origin} is a history of the orchestrator "${main.name}", not "${options.orchestrator}". Pick the history of "${options.orchestrator}", or remove "orchestrator" from the configuration.`,
    );
  }
  let opened: OpenedTimelineHost;
  try {
    opened = await openTimelineHost(options, main.name);
  } catch (error) {
    await store?.close();
    throw error;
  }
  try {
    if (!main.events) {
      const functionsHost = opened.functionsHost;
      if (!functionsHost)
        throw new Error(
          `${main.origin} is the management API's folded history; the debugger steps a Durable Task SDK orchestration through its full history: ` +
            "`durable-devkit export <instanceId> --out FILE` writes it, or give the instance's id.",
        );
      main = {
        ...main,
        events: (
          await rebuildFromApi(main, (history) =>
            functionsHost.trace({ functionName: main.name, instanceId: main.instanceId, history, input: main.input, detailed: false }),
          )
        ).events,
      };
    }
  } catch (error) {
    await opened.close();
    await store?.close();
    throw error;
  }
  const saved = main;
  return {
    live: false,
    host: opened.host,
    mainInstanceId: saved.instanceId,
    async load(id) {
      if (id === saved.instanceId)
        return { instanceId: id, name: saved.name, input: saved.input, runtimeStatus: statusOf(saved.events ?? []), history: saved.events ?? [] };
      const record = store?.getInstance(id);
      if (!store || !record) return undefined;
      return {
        instanceId: id,
        name: record.name,
        input: parseJsonText(record.input),
        runtimeStatus: record.runtimeStatus,
        history: store.getHistory(id),
        parentInstanceId: record.parent?.instanceId,
      };
    },
    onHistoryChanged: () => undefined,
    raise: () => Promise.reject(new NotLiveError("raise")),
    terminate: () => Promise.reject(new NotLiveError("terminate")),
    advance: () => Promise.reject(new NotLiveError("advance")),
    async close() {
      await opened.close();
      await store?.close();
    },
  };
}

async function openStore(appDir: string, spec: string | undefined): Promise<Store> {
  if (spec === "memory") throw new Error('A replay cannot read instances from "memory": give the store file the instance ran in, or a history file.');
  const store = createStore(spec, appDir);
  const readable = store instanceof SqlJsStore ? new SqlJsStore(store.filePath, { readOnly: true }) : store;
  await readable.open();
  return readable;
}

function statusOf(history: HistoryEvent[]): string {
  for (let index = history.length - 1; index >= 0; index--) {
    const event = history[index];
    if (event.EventType === HistoryEventType.ExecutionCompleted)
      return OrchestrationStatusCode[event.OrchestrationStatus ?? OrchestrationStatusCode.Completed] ?? "Completed";
    if (event.EventType === HistoryEventType.ExecutionTerminated) return "Terminated";
  }
  return "Running";
}

export interface AttachOptions {
  port: number;
  /** Only this instance; by default every orchestration instance of the server. */
  instanceId?: string;
  onLog: LogListener;
  appOutput: NodeJS.WritableStream;
}

/** `attach`: a running `durable-devkit start`, read through its loopback API and replayed locally; it follows the server by push. */
export async function attachToServer(options: AttachOptions): Promise<InstanceSource & { listInstances(): Promise<string[]> }> {
  const origin = `http://127.0.0.1:${options.port}`;
  const client = emulatorClientAt(origin);
  let info: EmulatorInfo;
  try {
    info = await client.info();
  } catch (error) {
    if (error instanceof EmulatorRequestError) throw error;
    throw new Error(
      `Nothing answers on port ${options.port}. Start the emulator with \`durable-devkit start --port ${options.port}\` (or the extension's "Durable: Start Emulator") and attach again.`,
    );
  }
  const replayHost = await openReplayHost(info.appDir, { appOutput: options.appOutput, onLog: options.onLog });
  const listeners: ((instanceId: string) => void)[] = [];
  const lengths = new Map<string, number>();
  const wanted = (id: string) => !options.instanceId || id === options.instanceId;
  const listInstances = async () => (await client.instances()).map((instance) => instance.instanceId).filter(wanted);
  // Tells the session which instances' histories grew: those the server's event stream names, or every one after
  // the stream (re)connects, since changes may have been missed meanwhile.
  const recheck = async (ids: Iterable<string>) => {
    for (const id of ids) {
      if (!wanted(id)) continue;
      const answer = await client.history(id).catch(() => undefined);
      if (answer && lengths.get(id) !== answer.history.length) {
        lengths.set(id, answer.history.length);
        for (const listener of listeners) listener(id);
      }
    }
  };
  const watch = watchEmulator(origin, (changes, instanceIds) => {
    const ids = changes.has("connected") ? listInstances() : Promise.resolve([...instanceIds]);
    void ids.then(recheck).catch(() => undefined);
  });
  return {
    live: true,
    host: functionsTimelineHost(replayHost.host),
    mainInstanceId: options.instanceId ?? "",
    listInstances,
    async load(id) {
      let answer: InstanceHistoryAnswer;
      try {
        answer = await client.history(id);
      } catch {
        return undefined;
      }
      lengths.set(id, answer.history.length);
      return {
        instanceId: id,
        name: answer.instance.name,
        input: parseJsonText(answer.instance.input),
        runtimeStatus: answer.instance.runtimeStatus,
        history: answer.history,
        parentInstanceId: answer.instance.parent?.instanceId,
      };
    },
    onHistoryChanged: (listener) => void listeners.push(listener),
    raise: (id, name, data) => client.raise(id, name, data),
    terminate: async (id, reason) => {
      await client.act(id, "terminate", { reason });
    },
    advance: () =>
      Promise.reject(
        new Error(
          "advance moves the clock of an emulator the session started; an attached server keeps its own clock (start it with --time-skip to skip timers).",
        ),
      ),
    async close() {
      watch.dispose();
      await replayHost.close();
    },
  };
}
