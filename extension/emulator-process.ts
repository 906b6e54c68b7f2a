/**
 * The emulator as a child process: `durable-devkit start` on the workspace's app, run by the chosen Node.js, on a
 * free loopback port. The extension talks to it over HTTP only, as a user's browser or the JS client would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as vscode from "vscode";
import { FORWARDING_KEY_ENV, newForwardingKey } from "../emulator/http/forwarded-access";
import { EmulatorClient } from "./emulator-client";
import type { NodeRuntime } from "./node-runtime";

export type EmulatorState =
  { kind: "stopped" } | { kind: "starting" } | { kind: "running"; client: EmulatorClient; port: number } | { kind: "failed"; message: string };

export class EmulatorProcess implements vscode.Disposable {
  private child: ChildProcess | undefined;
  private stopping = false;
  private stateValue: EmulatorState = { kind: "stopped" };
  private readonly changed = new vscode.EventEmitter<EmulatorState>();
  readonly onDidChange = this.changed.event;

  constructor(
    private readonly cliPath: string,
    private readonly output: vscode.OutputChannel,
  ) {}

  get state(): EmulatorState {
    return this.stateValue;
  }

  private set(state: EmulatorState): void {
    this.stateValue = state;
    this.changed.fire(state);
  }

  /** Starts the emulator on the app folder (once); resolves with its client when it answers. */
  async start(appDir: string, runtime: NodeRuntime, options: { timeSkipping: boolean; watch: boolean; grpcPort?: number }): Promise<EmulatorClient> {
    if (this.stateValue.kind === "running") return this.stateValue.client;
    this.set({ kind: "starting" });
    const args = [
      this.cliPath,
      "start",
      "--app",
      appDir,
      "--port",
      "0",
      ...(options.timeSkipping ? ["--time-skip"] : []),
      ...(options.watch ? ["--watch"] : []),
      ...(options.grpcPort !== undefined ? ["--grpc", String(options.grpcPort)] : []),
    ];
    this.output.appendLine(`> ${runtime.path} ${args.map((a) => (a.includes(" ") ? `"${a}"` : a)).join(" ")}`);
    // Made here, not read from the output, so the dashboard's key never depends on what the emulator prints.
    const forwardingKey = newForwardingKey();
    const child = spawn(runtime.path, args, {
      cwd: appDir,
      env: { ...process.env, ...runtime.env, [FORWARDING_KEY_ENV]: forwardingKey },
      stdio: ["ignore", "pipe", "pipe"],
    });
    this.child = child;
    return new Promise<EmulatorClient>((resolve, reject) => {
      let buffered = "";
      let settled = false;
      const fail = (message: string) => {
        if (settled) return;
        settled = true;
        this.set({ kind: "failed", message });
        reject(new Error(message));
      };
      const onData = (chunk: Buffer) => {
        const text = chunk.toString();
        this.output.append(text);
        if (settled) return;
        buffered += text;
        const match = /Dashboard:\s+(http:\/\/127\.0\.0\.1:(\d+))\/_durable\//.exec(buffered);
        if (match) {
          settled = true;
          const client = new EmulatorClient(match[1], forwardingKey);
          this.set({ kind: "running", client, port: Number(match[2]) });
          resolve(client);
        }
      };
      child.stdout?.on("data", onData);
      child.stderr?.on("data", (chunk: Buffer) => {
        this.output.append(chunk.toString());
        if (!settled) buffered += chunk.toString();
      });
      child.on("error", (error) => fail(`The emulator did not start: ${error.message}`));
      child.on("exit", (code) => {
        this.child = undefined;
        if (!settled) fail(`The emulator stopped before it was ready (exit code ${code}). ${lastLines(buffered)}`);
        else if (this.stateValue.kind === "running" && !this.stopping)
          this.set({ kind: "failed", message: `The emulator stopped unexpectedly (exit code ${code}).` });
      });
    });
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child) {
      this.set({ kind: "stopped" });
      return;
    }
    this.stopping = true;
    await new Promise<void>((resolve) => {
      child.once("exit", () => resolve());
      child.kill("SIGTERM");
      setTimeout(() => child.kill("SIGKILL"), 5000).unref();
    });
    this.stopping = false;
    this.set({ kind: "stopped" });
  }

  dispose(): void {
    this.child?.kill("SIGTERM");
    this.changed.dispose();
  }
}

function lastLines(text: string): string {
  return text.trim().split("\n").slice(-6).join("\n");
}

/** The bundled CLI next to the extension's own code. */
export function bundledCli(extensionRoot: string): string {
  return path.join(extensionRoot, "out", "cli.js");
}
