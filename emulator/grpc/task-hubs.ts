/**
 * Task hubs, as the SDKs name them in the `taskhub` call metadata (from the connection string's TaskHub): each hub
 * is a world of its own on the Durable Task Scheduler, so here each gets its own engine, worker pool and store, made
 * on its first call. The hub `default` (or a call naming none) is the one the emulator was started with, the one the
 * dashboard and the Durable HTTP API show; another hub's store is beside it (`.durable/emulator-<hub>.sqlite`).
 */
import * as path from "node:path";
import { Engine, type EngineOptions } from "../engine/engine";
import type { Store } from "../store/store";
import { badRequest } from "../core/errors";
import { DEFAULT_STORE_FILE, createStore } from "../emulator";
import { GrpcWorkerPool } from "./grpc-worker-pool";

/**
 * An engine for SDK workers hands out as much work as they take: they set their own limits (GetWorkItemsRequest
 * maxConcurrent*WorkItems), as on DTS; host.json's per-processor limits are the Functions host's, not the scheduler's.
 */
export const SDK_WORK_LIMITS = { maxConcurrentActivityFunctions: 100_000, maxConcurrentOrchestratorFunctions: 100_000 } as const;

/** The hub the DTS emulator serves, and the one its connection string names. */
export const DEFAULT_TASK_HUB = "default";

export interface TaskHub {
  name: string;
  engine: Engine;
  pool: GrpcWorkerPool;
}

/** Opens a hub other than the default one. */
export type TaskHubOpener = (name: string) => Promise<TaskHub & { store: Store }>;

export class TaskHubs {
  private readonly others = new Map<string, Promise<TaskHub & { store: Store }>>();

  constructor(
    readonly defaultHub: TaskHub,
    private readonly open: TaskHubOpener,
  ) {}

  /** The hub a call names (its `taskhub` metadata; names compare ignoring case), opened on first use. */
  get(name: string | undefined): Promise<TaskHub> {
    const key = (name ?? "").trim().toLowerCase();
    if (!key || key === DEFAULT_TASK_HUB) return Promise.resolve(this.defaultHub);
    // A hub name becomes part of a file name: keep it to what a task hub name may be on Azure.
    if (!/^[a-z][a-z0-9-]{0,44}$/.test(key))
      return Promise.reject(badRequest(`"${name}" is not a task hub name: it starts with a letter and holds letters, digits and hyphens, 45 at most.`));
    let hub = this.others.get(key);
    if (!hub) {
      hub = this.open(key);
      this.others.set(key, hub);
      hub.catch(() => this.others.delete(key));
    }
    return hub;
  }

  /** Closes the hubs this opened (the default hub belongs to whoever made it). */
  async close(): Promise<void> {
    for (const hub of this.others.values()) {
      const opened = await hub.catch(() => undefined);
      if (!opened) continue;
      opened.pool.close();
      await opened.engine.close();
    }
    this.others.clear();
  }
}

/**
 * What opens another hub: an engine of its own on the SDK workers alone, its store beside the default one's (or in
 * memory when that is), the same engine options, its warnings to `warn` with the hub's name.
 */
export function sdkHubOpener(
  dir: string,
  storeSpec: string | undefined,
  engineOptions: Omit<EngineOptions, "store" | "workers">,
  warn: (message: string) => void,
  poolOptions: { healthPingMs?: number } = {},
): TaskHubOpener {
  return async (name) => {
    const spec = storeSpec === "memory" ? "memory" : hubStoreFile(storeSpec ?? DEFAULT_STORE_FILE, name);
    const store = createStore(spec, path.resolve(dir));
    const pool = new GrpcWorkerPool((message) => warn(`[task hub ${name}] ${message}`), poolOptions);
    const engine = new Engine({ ...engineOptions, store, workers: [pool] });
    engine.on((event) => event.kind === "warning" && warn(`[task hub ${name}] ${event.message}`));
    await engine.start();
    warn(
      `Task hub '${name}' opened on ${store.description}: its instances are its own, as on the Durable Task Scheduler. ` +
        "The dashboard, the Durable HTTP API and the CLI show the default hub.",
    );
    return { name, engine, pool, store };
  };
}

/** `.durable/emulator.sqlite` → `.durable/emulator-orders.sqlite`. */
function hubStoreFile(file: string, hub: string): string {
  const extension = path.extname(file);
  return `${file.slice(0, file.length - extension.length)}-${hub}${extension}`;
}
