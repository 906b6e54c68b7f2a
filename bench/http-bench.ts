/**
 * Status-query latency of the Durable HTTP API: 200 concurrent pollers on loopback against a store of 1,000
 * instances (memory store), p50/p99. The pollers run in their own process (so they do not steal the server's event
 * loop), each polling every 100 ms — ten times more often than the Retry-After the API asks for — and then flat out
 * for the saturated throughput. The floor, measured in the same run, is a bare Node HTTP server on loopback
 * answering the same JSON from memory.
 */
import * as http from "node:http";
import * as os from "node:os";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { startServer } from "../emulator";
import * as path from "node:path";
import { fork } from "node:child_process";

const APP = path.resolve(__dirname, "..", "..", "test", "fixtures", "kitchen-sink");
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 1000);
const POLLERS = Number(process.env.BENCH_POLLERS ?? 200);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const INTERVAL_MS = Number(process.env.BENCH_POLL_INTERVAL_MS ?? 100);
const PACED_SECONDS = Number(process.env.BENCH_PACED_SECONDS ?? 5);

function quiet(): NodeJS.WritableStream {
  const { Writable } = require("node:stream") as typeof import("node:stream");
  return new Writable({ write: (_c, _e, done) => done() });
}

function get(agent: http.Agent, url: string): Promise<number> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (response) => {
        response.resume();
        response.on("end", () => resolve(response.statusCode ?? 0));
      })
      .on("error", reject);
  });
}

interface PollResult {
  latencies: number[];
  seconds: number;
  statuses: [number, number][];
}

/**
 * Runs in the poller process. Paced: every poller sends a GET every INTERVAL_MS for PACED_SECONDS. Saturated: the
 * pollers send REQUESTS GETs back to back.
 */
async function poll(urls: string[], mode: "paced" | "saturated"): Promise<PollResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: POLLERS });
  const latencies: number[] = [];
  const statuses = new Map<number, number>();
  let next = 0;
  const started = performance.now();
  const deadline = started + PACED_SECONDS * 1000;
  await Promise.all(
    Array.from({ length: POLLERS }, async (_, poller) => {
      if (mode === "paced") await new Promise((resolve) => setTimeout(resolve, (poller * INTERVAL_MS) / POLLERS));
      while (mode === "paced" ? performance.now() < deadline : next < REQUESTS) {
        const url = urls[next++ % urls.length];
        const t0 = performance.now();
        const status = await get(agent, url);
        const elapsed = performance.now() - t0;
        latencies.push(elapsed);
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (mode === "paced") await new Promise((resolve) => setTimeout(resolve, Math.max(0, INTERVAL_MS - elapsed)));
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  agent.destroy();
  return { latencies: latencies.sort((a, b) => a - b), seconds, statuses: [...statuses] };
}

/** Runs `poll` in a separate process (this same script, with BENCH_POLLER set). */
function pollFromAnotherProcess(urls: string[], mode: "paced" | "saturated"): Promise<PollResult> {
  return new Promise((resolve, reject) => {
    const child = fork(__filename, [], { env: { ...process.env, BENCH_POLLER: "1" } });
    child.once("message", (result: PollResult) => {
      resolve(result);
      child.kill();
    });
    child.once("error", reject);
    child.send({ urls, mode });
  });
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];

async function main(): Promise<void> {
  console.log(`Durable Devkit HTTP benchmark — ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"}, Node ${process.version}`);
  console.log(`${INSTANCES} instances in the store, ${POLLERS} concurrent pollers, ${REQUESTS} status queries\n`);
  const server = await startServer({ appDir: APP, store: "memory", port: 0, appOutput: quiet() });
  let floorServer: http.Server | undefined;
  try {
    const engine = server.emulator.engine;
    const ids: string[] = [];
    for (let i = 0; i < INSTANCES; i++) {
      ids.push(await engine.startNew(i % 2 ? "helloSequence" : "waitForever", { instanceId: `bench-${i}` }));
    }
    await engine.whenIdle();
    const urls = ids.map((id) => `${server.http.origin}/runtime/webhooks/durabletask/instances/${id}`);

    // The floor: the same JSON from a bare server.
    const sample = await new Promise<string>((resolve) => {
      http.get(urls[1], (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () => resolve(text));
      });
    });
    floorServer = http.createServer((_request, response) => {
      response.writeHead(200, { "Content-Type": "application/json; charset=utf-8" });
      response.end(sample);
    });
    await new Promise<void>((resolve) => floorServer?.listen(0, "127.0.0.1", () => resolve()));
    const floorUrl = `http://127.0.0.1:${(floorServer.address() as AddressInfo).port}/`;

    const paced = await pollFromAnotherProcess(urls, "paced");
    const pacedFloor = await pollFromAnotherProcess([floorUrl], "paced");
    const saturated = await pollFromAnotherProcess(urls, "saturated");
    const saturatedFloor = await pollFromAnotherProcess([floorUrl], "saturated");
    const row = (name: string, r: PollResult) =>
      `| ${name} | ${percentile(r.latencies, 50).toFixed(2)} ms | ${percentile(r.latencies, 99).toFixed(2)} ms | ${(r.latencies.length / r.seconds).toFixed(0)}/s |`;
    console.log("| server, load | p50 | p99 | requests/s |");
    console.log("| --- | --- | --- | --- |");
    console.log(row(`emulator, ${POLLERS} pollers every ${INTERVAL_MS} ms`, paced));
    console.log(row(`bare Node server (floor), same load`, pacedFloor));
    console.log(row(`emulator, ${POLLERS} pollers flat out`, saturated));
    console.log(row(`bare Node server (floor), flat out`, saturatedFloor));
    console.log(`\npaced p99 ratio to the floor: ${(percentile(paced.latencies, 99) / percentile(pacedFloor.latencies, 99)).toFixed(2)}×`);
    console.log(`status codes: ${paced.statuses.map(([code, count]) => `${code}×${count}`).join(", ")}`);
    console.log(`target: p99 < 20 ms (memory store, ${POLLERS} pollers)`);
  } finally {
    floorServer?.close();
    await server.close();
  }
}

if (process.env.BENCH_POLLER) {
  process.once("message", (job: { urls: string[]; mode: "paced" | "saturated" }) => {
    void poll(job.urls, job.mode).then((result) => process.send?.(result));
  });
} else {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
