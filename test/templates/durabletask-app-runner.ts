/**
 * Runs an app `new --sdk durabletask` wrote as its user would: generated into a fresh folder that resolves its
 * packages from this repository (no npm install), compiled with the project's tsc when it is TypeScript, then its
 * worker and its client started with the very commands its package.json scripts give, against a gRPC sidecar in
 * this process. Every child process and sidecar it starts is ended by stopAll().
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startDurableTaskEmulator, type DurableTaskEmulator } from "../../emulator/grpc/durable-task-emulator";
import { scaffold, type Language } from "../../templates/scaffold";
import { tempDir } from "../emulator/harness";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WAIT_MS = 60_000;

export interface GeneratedApp {
  dir: string;
  name: string;
  scripts: { start: string; client: string };
}

export interface RunningProcess {
  output(): string;
  /** Resolves with the first match of pattern in what it printed (stdout and stderr); rejects if it exits first. */
  printed(pattern: RegExp): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

/** Scaffolds the pattern into a new folder and, for TypeScript, compiles it as `npm run build` would. */
export function generateApp(pattern: string, language: Language): GeneratedApp {
  const dir = path.join(tempDir("dd-durabletask-"), "app");
  const result = scaffold({ pattern, language, dir, sdk: "durabletask" });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { scripts: { build?: string; start: string; client: string } };
  if (language === "ts") {
    assert.equal(manifest.scripts.build, "tsc");
    const tsc = spawnSync(process.execPath, [path.join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", dir], { encoding: "utf8" });
    assert.equal(tsc.status, 0, `tsc: ${tsc.stdout}${tsc.stderr}`);
  }
  return { dir, name: result.name, scripts: manifest.scripts };
}

export class DurableTaskAppRunner {
  private readonly sidecars: DurableTaskEmulator[] = [];
  private readonly children: ChildProcess[] = [];

  /** A sidecar of its own on a free port, so no other test's worker takes its work. */
  async startSidecar(options: { timeSkipping?: boolean } = {}): Promise<DurableTaskEmulator> {
    const sidecar = await startDurableTaskEmulator({ dir: tempDir("dd-durabletask-store-"), store: "memory", port: 0, timeSkipping: options.timeSkipping });
    this.sidecars.push(sidecar);
    return sidecar;
  }

  /** Runs one of the app's scripts ("node <file>") with the connection string naming the sidecar. */
  run(
    app: GeneratedApp,
    script: "start" | "client",
    sidecar: DurableTaskEmulator,
    options: { args?: string[]; env?: Record<string, string> } = {},
  ): RunningProcess {
    const [program, file, ...rest] = app.scripts[script].split(" ");
    assert.equal(program, "node", app.scripts[script]);
    assert.deepEqual(rest, [], app.scripts[script]);
    const env = {
      ...process.env,
      DURABLE_TASK_SCHEDULER_CONNECTION_STRING: `Endpoint=http://localhost:${sidecar.sidecar.port};Authentication=None;TaskHub=default`,
      ...options.env,
    };
    const child = spawn(process.execPath, [file, ...(options.args ?? [])], { cwd: app.dir, env, stdio: ["ignore", "pipe", "pipe"] });
    this.children.push(child);
    let output = "";
    const listeners = new Set<() => void>();
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      for (const listener of listeners) listener();
    };
    child.stdout!.on("data", collect);
    child.stderr!.on("data", collect);
    const exited = new Promise<number | null>((resolve) =>
      child.once("exit", (code) => {
        resolve(code);
        for (const listener of listeners) listener();
      }),
    );
    const printed = (pattern: RegExp) =>
      new Promise<RegExpMatchArray>((resolve, reject) => {
        const timer = setTimeout(() => settle(new Error(`${script} printed nothing matching ${pattern} in ${WAIT_MS} ms:\n${output}`)), WAIT_MS);
        const settle = (error?: Error, match?: RegExpMatchArray) => {
          clearTimeout(timer);
          listeners.delete(check);
          if (match) resolve(match);
          else reject(error);
        };
        const check = () => {
          const match = output.match(pattern);
          if (match) settle(undefined, match);
          else if (child.exitCode !== null || child.signalCode !== null) settle(new Error(`${script} exited before it printed ${pattern}:\n${output}`));
        };
        listeners.add(check);
        check();
      });
    return { output: () => output, printed, exited };
  }

  /** Runs the app's client to its end and returns the JSON it printed after "Output: ". */
  async clientOutput(app: GeneratedApp, sidecar: DurableTaskEmulator, args: string[] = []): Promise<unknown> {
    const client = this.run(app, "client", sidecar, { args });
    const code = await client.exited;
    assert.equal(code, 0, `the client failed:\n${client.output()}`);
    const line = client.output().match(/^Output: (.*)$/m);
    assert.ok(line, `the client printed no output:\n${client.output()}`);
    return JSON.parse(line[1]);
  }

  async stopAll(): Promise<void> {
    for (const child of this.children.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((resolve) => child.once("exit", resolve));
      child.kill("SIGKILL");
      await exited;
    }
    for (const sidecar of this.sidecars.splice(0)) await sidecar.close();
  }
}
