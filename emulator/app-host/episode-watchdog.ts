/**
 * The app host's watchdog for orchestrator code that never yields. The package replays an orchestrator
 * synchronously inside one handler call, so the main thread marks the request it is replaying in shared memory
 * before the call and clears it after: two stores, nothing on the IPC channel. A worker thread, which keeps running
 * while the main thread is stuck, reads the mark and writes the stuck request's id to a pipe of its own (the IPC
 * channel belongs to the main thread). The emulator then fails that instance and restarts the process.
 * The same thread ends the process when the emulator is gone (its parent pid changes): a stuck main thread can
 * never see the IPC channel close, and would otherwise spin on as an orphan.
 */
import { Worker } from "node:worker_threads";

/** The child's file descriptor the watchdog writes to (stdio index 4 of the fork). */
export const WATCHDOG_FD = 4;

export interface StuckReport {
  stuckRequest: number;
  ms: number;
}

const WATCHDOG_SOURCE = `
const { workerData } = require("node:worker_threads");
const fs = require("node:fs");
const cells = new Float64Array(workerData.buffer);
const parent = process.ppid;
let reported = 0;
setInterval(() => {
  if (process.ppid !== parent) process.kill(process.pid, "SIGKILL");
  if (workerData.limitMs === undefined) return;
  const requestId = cells[0];
  const ms = Date.now() - cells[1];
  if (requestId && requestId !== reported && ms > workerData.limitMs) {
    reported = requestId;
    try { fs.writeSync(workerData.fd, JSON.stringify({ stuckRequest: requestId, ms }) + "\\n"); } catch {}
  }
}, workerData.limitMs === undefined ? 250 : Math.max(20, Math.min(250, workerData.limitMs / 4)));
`;

export interface EpisodeWatchdog {
  /** Runs `body` (the synchronous replay) marked as the request's. */
  around<T>(requestId: number, body: () => T): T;
}

export function startEpisodeWatchdog(limitMs: number | undefined): EpisodeWatchdog {
  const buffer = new SharedArrayBuffer(16);
  const cells = new Float64Array(buffer);
  const worker = new Worker(WATCHDOG_SOURCE, { eval: true, workerData: { buffer, limitMs, fd: WATCHDOG_FD } });
  worker.unref();
  return {
    around(requestId, body) {
      cells[1] = Date.now();
      cells[0] = requestId;
      try {
        return body();
      } finally {
        cells[0] = 0;
      }
    },
  };
}
