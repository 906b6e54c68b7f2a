/**
 * `npm run bench` (part): the replay debugger and `durable-devkit replay`, with the baseline measured in the same run.
 *
 *  - replay: `replayHistory` on a 1,000-step chain history (file read, IPC to the app host, the package's replay,
 *    the match against the history), beside the bare durable-functions replay of the same history called in this
 *    process; process start excluded from both. Target: within 2x.
 *  - first stop: a DAP client over stdio launches a chain with stopOnEntry; the time from the launch request to
 *    the first stopped event (the app is loaded and the emulator started inside that time).
 *  - stepping: next and stepBack on the 1,000-step history, each timed from the request to the stop plus the
 *    stackTrace, scopes and Event variables a client asks for right after. Target p95 < 50 ms.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { DebugClient } from "@vscode/debugadapter-testsupport";
import type { DebugProtocol } from "@vscode/debugprotocol";
import { startEmulator } from "../emulator";
import { installFunctionsCore } from "../emulator/app-host/functions-core";
import { openReplayHost } from "../emulator/replay/replay-host";
import { replayHistory } from "../emulator/replay/replay-check";
import { readHistoryFile } from "../emulator/replay/history-source";
import { HISTORY_EXPORT_FORMAT } from "../emulator/history/history-export";
import { TIMER_SETTINGS } from "../emulator/app-host/app-host-client";

const ROOT = path.resolve(__dirname, "..", "..");
const APP = path.join(ROOT, "test", "fixtures", "kitchen-sink");
const STEPS = Number(process.env.BENCH_CHAIN_STEPS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 7);
const STEP_SAMPLES = Number(process.env.BENCH_STEP_SAMPLES ?? 200);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function quiet(): NodeJS.WritableStream {
  const { Writable } = require("node:stream") as typeof import("node:stream");
  return new Writable({ write: (_c, _e, done) => done() });
}

async function chainHistoryFile(dir: string): Promise<string> {
  const emulator = await startEmulator({ appDir: APP, store: "memory", appOutput: quiet() });
  try {
    const id = await emulator.engine.startNew("countChain", { input: STEPS });
    const status = await emulator.engine.waitForCompletion(id);
    const file = path.join(dir, "chain.json");
    fs.writeFileSync(
      file,
      JSON.stringify({
        format: HISTORY_EXPORT_FORMAT,
        instanceId: id,
        name: "countChain",
        input: STEPS,
        runtimeStatus: status.runtimeStatus,
        output: status.output,
        history: emulator.engine.getHistory(id),
      }),
    );
    return file;
  } finally {
    await emulator.close();
  }
}

/** The bare package: the orchestrator handler called in this process with the whole history, once. */
async function bareReplay(file: string): Promise<number> {
  const registrations = installFunctionsCore(() => undefined);
  require(path.join(APP, "src", "functions", "orchestrations.js"));
  const handler = registrations.functions.get("countChain")?.handler as (...args: unknown[]) => Promise<unknown>;
  const { InvocationContext } = require(require.resolve("@azure/functions", { paths: [APP] })) as { InvocationContext: new (init: object) => object };
  const runs: number[] = [];
  for (let round = 0; round < ROUNDS + 2; round++) {
    const started = performance.now();
    // Read and parse the file as `replay` does, so both sides do the same work.
    const saved = JSON.parse(fs.readFileSync(file, "utf8")) as { history: unknown[]; input: unknown };
    const context = new InvocationContext({ invocationId: "bare", functionName: "countChain", logHandler: () => undefined });
    await handler(
      { history: saved.history, input: saved.input, instanceId: "bare", isReplaying: true, upperSchemaVersion: 3, upperSchemaVersionNew: 3, ...TIMER_SETTINGS },
      context,
    );
    if (round >= 2) runs.push(performance.now() - started);
  }
  return median(runs);
}

async function devkitReplay(file: string): Promise<{ ms: number; events: number }> {
  const replayHost = await openReplayHost(APP, { appOutput: quiet() });
  try {
    const runs: number[] = [];
    let events = 0;
    for (let round = 0; round < ROUNDS + 2; round++) {
      const started = performance.now();
      const verdict = await replayHistory(replayHost.host, readHistoryFile(file));
      if (verdict.divergence) throw new Error(`the chain history diverged: ${verdict.divergence.message}`);
      events = verdict.events.length;
      if (round >= 2) runs.push(performance.now() - started);
    }
    return { ms: median(runs), events };
  } finally {
    await replayHost.close();
  }
}

function launcher(dir: string): string {
  const file = path.join(dir, "dap.js");
  fs.writeFileSync(file, `require(${JSON.stringify(path.join(ROOT, "dist", "cli", "main.js"))}).main(["dap"]);\n`);
  return file;
}

async function firstStop(dap: string): Promise<number> {
  const client = new DebugClient(process.execPath, dap, "durable");
  await client.start();
  try {
    const stopped = client.waitForEvent("stopped", 30_000);
    await client.initializeRequest({ adapterID: "durable", linesStartAt1: true, columnsStartAt1: true, pathFormat: "path" });
    await client.configurationDoneRequest();
    const started = performance.now();
    await client.launch({ app: APP, orchestrator: "helloSequence", input: null, stopOnEntry: true });
    await stopped;
    return performance.now() - started;
  } finally {
    await client.stop();
  }
}

async function stepping(dap: string, file: string): Promise<{ next: number[]; back: number[] }> {
  const client = new DebugClient(process.execPath, dap, "durable");
  await client.start();
  try {
    const entry = client.waitForEvent("stopped", 60_000);
    await Promise.all([client.configurationSequence(), client.launch({ app: APP, mode: "replay", history: file, stopOnEntry: true })]);
    const threadId = ((await entry) as DebugProtocol.StoppedEvent).body.threadId as number;
    const timedStep = async (request: () => Promise<unknown>): Promise<number> => {
      const started = performance.now();
      const stopped = client.waitForEvent("stopped", 10_000);
      await request();
      await stopped;
      const stack = await client.stackTraceRequest({ threadId });
      const scopes = await client.scopesRequest({ frameId: stack.body.stackFrames[0].id });
      await client.variablesRequest({ variablesReference: scopes.body.scopes[0].variablesReference });
      return performance.now() - started;
    };
    // Warm up, then go deep into the history so each step works on a long prefix.
    for (let i = 0; i < 20; i++) await timedStep(() => client.nextRequest({ threadId }));
    const next: number[] = [];
    const back: number[] = [];
    for (let i = 0; i < STEP_SAMPLES; i++) next.push(await timedStep(() => client.nextRequest({ threadId })));
    for (let i = 0; i < STEP_SAMPLES; i++) back.push(await timedStep(() => client.stepBackRequest({ threadId })));
    return { next, back };
  } finally {
    await client.stop();
  }
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dd-debug-bench-"));
  console.log(
    `Debugger and replay, ${STEPS}-step chain history, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "unknown"}), Node ${process.versions.node}`,
  );
  const file = await chainHistoryFile(dir);
  const replay = await devkitReplay(file);
  const bare = await bareReplay(file);
  const dap = launcher(dir);
  const firstStops: number[] = [];
  for (let i = 0; i < 3; i++) firstStops.push(await firstStop(dap));
  const steps = await stepping(dap, file);
  console.log(
    `  replay of ${replay.events} events: durable-devkit ${replay.ms.toFixed(1)} ms vs bare durable-functions ${bare.toFixed(1)} ms = ${(replay.ms / bare).toFixed(2)}x (target within 2x; medians of ${ROUNDS})`,
  );
  console.log(`  time to the first stop on launch (stopOnEntry, app load + emulator start included): median ${median(firstStops).toFixed(0)} ms`);
  console.log(
    `  next on the ${replay.events}-event history: p50 ${percentile(steps.next, 50).toFixed(1)} ms, p95 ${percentile(steps.next, 95).toFixed(1)} ms (target p95 < 50 ms)`,
  );
  console.log(`  stepBack:                 p50 ${percentile(steps.back, 50).toFixed(1)} ms, p95 ${percentile(steps.back, 95).toFixed(1)} ms`);
  fs.rmSync(dir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
