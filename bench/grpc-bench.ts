/**
 * The Durable Task gRPC sidecar with the real durabletask-js SDK: a 3-step chain's start-to-completion latency
 * (median and p95 over many runs, one at a time) and a fan-out/fan-in of 1,000 activities (activities/s). The
 * sidecar runs in this process on the memory store; the SDK's worker runs in a child process
 * (test/fixtures/durabletask-app/worker.js) and its client here, as in a user's setup. The floor, measured in the
 * same run, is the same orchestrations on the SDK's own in-process test backend (InMemoryOrchestrationBackend):
 * no gRPC, no store. Targets: chain median <= 10 ms, fan-out >= 2,000 activities/s.
 */
import { fork, type ChildProcess } from "node:child_process";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { InMemoryOrchestrationBackend, NoOpLogger, TaskHubGrpcClient, TestOrchestrationClient, TestOrchestrationWorker } from "@microsoft/durabletask-js";
import { startDurableTaskEmulator } from "../emulator/grpc/durable-task-emulator";

const APP = path.resolve(__dirname, "..", "..", "test", "fixtures", "durabletask-app");
const CHAIN_RUNS = Number(process.env.BENCH_CHAIN_RUNS ?? 200);
const FAN_OUT = Number(process.env.BENCH_FAN_OUT ?? 1000);
const FAN_OUT_RUNS = 3;
/** Chains run before measuring: the gRPC and SDK code paths take about a hundred runs to reach their steady speed. */
const WARM_UP_CHAINS = 100;

interface Client {
  scheduleNewOrchestration(name: string, input?: unknown): Promise<string>;
  waitForOrchestrationCompletion(id: string, fetchPayloads?: boolean, timeout?: number): Promise<{ serializedOutput?: string } | undefined>;
}

interface Figures {
  chainMedianMs: number;
  chainP95Ms: number;
  fanOutPerSecond: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

async function measure(client: Client): Promise<Figures> {
  // Warm up both paths (JIT, connections) before measuring.
  for (let i = 0; i < WARM_UP_CHAINS; i++) await client.waitForOrchestrationCompletion(await client.scheduleNewOrchestration("chain", "warm-up"), false, 60);
  await client.waitForOrchestrationCompletion(await client.scheduleNewOrchestration("fanOut", 50), false, 60);
  const latencies: number[] = [];
  for (let i = 0; i < CHAIN_RUNS; i++) {
    const started = performance.now();
    const state = await client.waitForOrchestrationCompletion(await client.scheduleNewOrchestration("chain", `run ${i}`), true, 60);
    latencies.push(performance.now() - started);
    if (!state?.serializedOutput) throw new Error("the chain did not complete");
  }
  latencies.sort((a, b) => a - b);
  // The median of three fan-outs: one run on a shared machine says more about the machine than about the sidecar.
  const rates: number[] = [];
  for (let run = 0; run < FAN_OUT_RUNS; run++) {
    const started = performance.now();
    const state = await client.waitForOrchestrationCompletion(await client.scheduleNewOrchestration("fanOut", FAN_OUT), true, 300);
    rates.push(FAN_OUT / ((performance.now() - started) / 1000));
    if (Number(state?.serializedOutput) !== FAN_OUT * (FAN_OUT - 1)) throw new Error(`the fan-out returned ${state?.serializedOutput}`);
  }
  rates.sort((a, b) => a - b);
  return { chainMedianMs: percentile(latencies, 50), chainP95Ms: percentile(latencies, 95), fanOutPerSecond: percentile(rates, 50) };
}

async function onSidecar(): Promise<Figures> {
  const emulator = await startDurableTaskEmulator({ dir: os.tmpdir(), store: "memory", port: 0 });
  const worker: ChildProcess = fork(path.join(APP, "worker.js"), [], {
    env: { ...process.env, DURABLE_TASK_HOST: `localhost:${emulator.sidecar.port}`, DURABLE_TASK_QUIET: "1" },
    stdio: "ignore",
  });
  const client = new TaskHubGrpcClient({ hostAddress: `localhost:${emulator.sidecar.port}`, logger: new NoOpLogger() });
  try {
    return await measure(client);
  } finally {
    worker.kill("SIGKILL");
    await client.stop();
    await emulator.close();
  }
}

/** The test backend's worker logs every step with console (it takes no logger); the sidecar's worker logs nothing. */
async function withConsoleSilenced<T>(run: () => Promise<T>): Promise<T> {
  const saved = { log: console.log, info: console.info, debug: console.debug, warn: console.warn };
  console.log = console.info = console.debug = console.warn = () => undefined;
  try {
    return await run();
  } finally {
    Object.assign(console, saved);
  }
}

async function onTestBackend(): Promise<Figures> {
  const app = require(path.join(APP, "orchestrations.js")) as { orchestrators: never[]; activities: never[] };
  const backend = new InMemoryOrchestrationBackend();
  const worker = new TestOrchestrationWorker(backend);
  for (const fn of app.orchestrators) worker.addOrchestrator(fn);
  for (const fn of app.activities) worker.addActivity(fn);
  await worker.start();
  const client = new TestOrchestrationClient(backend);
  try {
    return await measure(client);
  } finally {
    await worker.stop();
    await client.stop();
  }
}

async function main(): Promise<void> {
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`;
  console.log(`Durable Devkit gRPC sidecar benchmark (durabletask-js 0.4.0) — ${machine}, load ${os.loadavg()[0].toFixed(2)}`);
  console.log(`3-step chain × ${CHAIN_RUNS} (one at a time), fan-out of ${FAN_OUT} activities (median of ${FAN_OUT_RUNS})`);
  const floor = await withConsoleSilenced(onTestBackend);
  const sidecar = await onSidecar();
  const ms = (n: number) => `${n.toFixed(2)} ms`;
  console.log("");
  console.log("| backend | 3-step chain median | p95 | fan-out 1,000 |");
  console.log("| --- | --- | --- | --- |");
  console.log(
    `| SDK in-process test backend (floor) | ${ms(floor.chainMedianMs)} | ${ms(floor.chainP95Ms)} | ${floor.fanOutPerSecond.toFixed(0)} activities/s |`,
  );
  console.log(
    `| Durable Devkit sidecar (gRPC, memory store) | ${ms(sidecar.chainMedianMs)} | ${ms(sidecar.chainP95Ms)} | ${sidecar.fanOutPerSecond.toFixed(0)} activities/s |`,
  );
  console.log("");
  console.log(
    `sidecar vs floor: chain median ${(sidecar.chainMedianMs / floor.chainMedianMs).toFixed(2)}×, fan-out ${(sidecar.fanOutPerSecond / floor.fanOutPerSecond).toFixed(2)}× the floor's rate`,
  );
  console.log("targets: chain median ≤ 10 ms, fan-out ≥ 2,000 activities/s");
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error instanceof Error ? error.stack : error);
    process.exit(1);
  },
);
