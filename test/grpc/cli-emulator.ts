/**
 * `durable-devkit start` as a user runs it for a Durable Task SDK app: the CLI in a child process, ready once it
 * prints its gRPC address (and its dashboard's, when it serves one).
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as net from "node:net";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..", "..");
export const CLI = path.join(ROOT, "bin", "durable-devkit.js");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

export interface CliEmulator {
  child: ChildProcess;
  /** The dashboard's and the Durable HTTP API's origin (http://127.0.0.1:PORT). */
  origin: string;
  output: () => string;
}

/** Starts `durable-devkit start <args>` in `dir`; resolves once it prints the gRPC port's line and its dashboard. */
export function startCliEmulator(dir: string, grpcPort: number, args: string[]): Promise<CliEmulator> {
  const child = spawn(process.execPath, [CLI, "start", "--grpc", String(grpcPort), ...args], { cwd: dir, stdio: "pipe" });
  let output = "";
  return new Promise((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const dashboard = /Dashboard:\s+(http:\/\/127\.0\.0\.1:\d+)\/_durable\//.exec(output);
      if (output.includes(`Durable Task gRPC: 127.0.0.1:${grpcPort}`) && dashboard) resolve({ child, origin: dashboard[1], output: () => output });
    });
    child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
    child.once("exit", (code) => reject(new Error(`the emulator exited (${code}): ${output}`)));
  });
}

export async function killProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}
