/**
 * `npm run bench`: the emulator's speed, on both stores, with the floor measured in the same run.
 *
 *  - chain: a 1,000-step function chain end to end, against the floor — the bare durable-functions replay of the
 *    same histories, calling the orchestrator handler directly with each episode's pre-built history — as a ratio;
 *  - fan-out: 10,000 no-op activities, in activities per second;
 *  - latency: median and p95 start-to-complete time of a 3-step chain over 100 runs;
 *  - memory: peak RSS of the emulator process and of the app host process.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { startEmulator, HistoryEventType as T, type Emulator, type HistoryEvent } from "../emulator";
import { installFunctionsCore } from "../emulator/app-host/functions-core";

const APP = path.resolve(__dirname, "..", "..", "test", "fixtures", "kitchen-sink");
const CHAIN_STEPS = Number(process.env.BENCH_CHAIN_STEPS ?? 1000);
const FAN_OUT = Number(process.env.BENCH_FAN_OUT ?? 10_000);
const LATENCY_RUNS = Number(process.env.BENCH_LATENCY_RUNS ?? 100);
/** Entity operations: this many orchestrations each signal one counter this many times. */
const ENTITY_SENDERS = Number(process.env.BENCH_ENTITY_SENDERS ?? 20);
const ENTITY_SIGNALS = Number(process.env.BENCH_ENTITY_SIGNALS ?? 1000);
/** The chain and its floor run this many times, interleaved; the medians are compared (this machine is noisy). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

interface StoreFigures {
  store: string;
  chainMs: number;
  floorMs: number;
  chainEpisodes: number;
  fanOutPerSecond: number;
  fanOutMs: number;
  latencyMedianMs: number;
  latencyP95Ms: number;
  hostPeakRssMb: number;
  entityOpsPerSecond: number;
}

function quiet(): NodeJS.WritableStream {
  const { Writable } = require("node:stream") as typeof import("node:stream");
  return new Writable({ write: (_c, _e, done) => done() });
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function peakRssMb(pid: number | undefined): number {
  if (!pid) return Number.NaN;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const match = /VmHWM:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

async function run(emulator: Emulator, name: string, input: unknown): Promise<{ ms: number; history: HistoryEvent[] }> {
  const started = performance.now();
  const id = await emulator.engine.startNew(name, { input });
  const status = await emulator.engine.waitForCompletion(id);
  const ms = performance.now() - started;
  if (status.runtimeStatus !== "Completed") throw new Error(`${name} ended ${status.runtimeStatus}: ${status.failure?.message}`);
  return { ms, history: emulator.engine.getHistory(id) };
}

async function measureStore(storeKind: "memory" | "sqljs", floor: Floor): Promise<StoreFigures> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dd-bench-"));
  const emulator = await startEmulator({
    appDir: APP,
    store: storeKind === "memory" ? "memory" : path.join(dir, "bench.sqlite"),
    appOutput: quiet(),
  });
  try {
    // Warm up both processes' code paths.
    await run(emulator, "countChain", 20);
    await run(emulator, "noopFanOut", 200);

    const chainRuns: number[] = [];
    const floorRuns: number[] = [];
    let chain = await run(emulator, "countChain", CHAIN_STEPS);
    await floor.prepare(chain.history);
    for (let round = 0; round < ROUNDS; round++) {
      if (round > 0) chain = await run(emulator, "countChain", CHAIN_STEPS);
      chainRuns.push(chain.ms);
      floorRuns.push(await floor.replayAll());
    }
    const fanOut = await run(emulator, "noopFanOut", FAN_OUT);
    const latencies: number[] = [];
    for (let i = 0; i < LATENCY_RUNS; i++) latencies.push((await run(emulator, "helloSequence", null)).ms);
    latencies.sort((a, b) => a - b);
    // Entity operations: signals from several orchestrations, timed until the counter has taken every one.
    const entityStarted = performance.now();
    const senders = await Promise.all(
      Array.from({ length: ENTITY_SENDERS }, () => emulator.engine.startNew("signalCounter", { input: { key: "bench", times: ENTITY_SIGNALS } })),
    );
    for (const id of senders) await emulator.engine.waitForCompletion(id);
    const total = ENTITY_SENDERS * ENTITY_SIGNALS;
    while ((emulator.engine.readEntity("counter", "bench")?.state as number | undefined) !== total) await emulator.engine.whenIdle();
    const entityOpsPerSecond = total / ((performance.now() - entityStarted) / 1000);
    const hostPid = emulator.host.pid;
    return {
      store: storeKind === "memory" ? "memory" : "sql.js file",
      chainMs: median(chainRuns),
      floorMs: median(floorRuns),
      chainEpisodes: chain.history.filter((e) => e.EventType === T.OrchestratorStarted).length,
      fanOutPerSecond: FAN_OUT / (fanOut.ms / 1000),
      fanOutMs: fanOut.ms,
      latencyMedianMs: percentile(latencies, 50),
      latencyP95Ms: percentile(latencies, 95),
      hostPeakRssMb: peakRssMb(hostPid),
      entityOpsPerSecond,
    };
  } finally {
    await emulator.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface Floor {
  prepare(history: HistoryEvent[]): Promise<void>;
  replayAll(): Promise<number>;
}

/**
 * The floor: what the durable-functions package alone spends replaying the chain, episode by episode — the
 * orchestrator handler called in this process with each episode's history, as the host would hand it over.
 */
function createFloor(): Floor {
  const registrations = installFunctionsCore(() => undefined);
  require(path.join(APP, "src", "functions", "orchestrations.js"));
  const handler = registrations.functions.get("countChain")?.handler;
  if (!handler) throw new Error("countChain is not registered");
  const { InvocationContext } = require(require.resolve("@azure/functions", { paths: [APP] })) as {
    InvocationContext: new (init: object) => object;
  };
  let replayAll: () => Promise<number> = () => Promise.reject(new Error("prepare the floor first"));
  return {
    prepare: async (history) => {
      replayAll = floorReplay(history, handler, InvocationContext);
      await replayAll(); // warm-up
    },
    replayAll: () => replayAll(),
  };
}

function floorReplay(
  history: HistoryEvent[],
  handler: (...args: unknown[]) => unknown,
  InvocationContext: new (init: object) => object,
): () => Promise<number> {
  const input = JSON.parse(history.find((e) => e.EventType === T.ExecutionStarted)?.Input ?? "null");
  // Each episode's history: everything before the first event that episode produced.
  const produced = new Set([T.TaskScheduled, T.TimerCreated, T.SubOrchestrationInstanceCreated, T.OrchestratorCompleted, T.ExecutionCompleted]);
  const prefixes: HistoryEvent[][] = [];
  for (let i = 0; i < history.length; i++) {
    if (history[i].EventType !== T.OrchestratorStarted) continue;
    let end = i + 1;
    while (end < history.length && !produced.has(history[end].EventType)) end++;
    prefixes.push(history.slice(0, end)); // shares the event objects: only the arrays are new
  }
  const settings = { maximumShortTimerDuration: "P6D", longRunningTimerIntervalDuration: "P3D", defaultHttpAsyncRequestSleepTimeMillseconds: 30000 };
  return async () => {
    const started = performance.now();
    for (const prefix of prefixes) {
      const context = new InvocationContext({ invocationId: "floor", functionName: "countChain", logHandler: () => undefined });
      await handler({ history: prefix, input, instanceId: "floor", isReplaying: true, upperSchemaVersion: 1, upperSchemaVersionNew: 3, ...settings }, context);
    }
    return performance.now() - started;
  };
}

function row(cells: (string | number)[]): string {
  return `| ${cells.join(" | ")} |`;
}

async function main(): Promise<void> {
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(`Durable Devkit emulator benchmark — ${machine}`);
  console.log(`chain ${CHAIN_STEPS} steps, fan-out ${FAN_OUT} activities, latency over ${LATENCY_RUNS} runs\n`);
  const floor = createFloor();
  const results: StoreFigures[] = [];
  for (const store of ["memory", "sqljs"] as const) {
    const f = await measureStore(store, floor);
    results.push(f);
    console.log(
      `  ${f.store}: chain ${f.chainMs.toFixed(0)} ms vs floor ${f.floorMs.toFixed(0)} ms (${f.chainEpisodes} episodes, medians of ${ROUNDS}), ` +
        `fan-out ${f.fanOutPerSecond.toFixed(0)}/s, 3-step median ${f.latencyMedianMs.toFixed(2)} ms, entity ops ${f.entityOpsPerSecond.toFixed(0)}/s`,
    );
  }
  const emulatorPeakRssMb = process.resourceUsage().maxRSS / 1024;
  console.log("");

  const lines = [
    row(["store", `${CHAIN_STEPS}-step chain`, "× floor", `fan-out ${FAN_OUT}`, "3-step median", "3-step p95", "entity operations", "app host peak RSS"]),
    row(["---", "---", "---", "---", "---", "---", "---", "---"]),
    ...results.map((f) =>
      row([
        f.store,
        `${f.chainMs.toFixed(0)} ms`,
        `${(f.chainMs / f.floorMs).toFixed(2)}×`,
        `${f.fanOutPerSecond.toFixed(0)} activities/s`,
        `${f.latencyMedianMs.toFixed(2)} ms`,
        `${f.latencyP95Ms.toFixed(2)} ms`,
        `${f.entityOpsPerSecond.toFixed(0)}/s`,
        `${f.hostPeakRssMb.toFixed(0)} MB`,
      ]),
    ),
  ];
  console.log(lines.join("\n"));
  console.log(`\nemulator process peak RSS (both stores and the floor): ${emulatorPeakRssMb.toFixed(0)} MB`);
  console.log("targets: chain ≤ 1.5× floor (memory); fan-out ≥ 5,000/s (memory), ≥ 2,000/s (sql.js); 3-step median ≤ 5 ms (memory), ≤ 30 ms (sql.js)");
  console.log(`entity operations: ${ENTITY_SENDERS} orchestrations × ${ENTITY_SIGNALS} signals to one counter; targets ≥ 5,000/s (memory), ≥ 2,000/s (sql.js)`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
