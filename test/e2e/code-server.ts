/**
 * code-server for the end-to-end tests: installed (once, cached) by scripts/e2e/install-code-server.sh, started on a
 * free loopback port with a fresh profile, and Chromium to look at it.
 */
import { strict as assert } from "node:assert";
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..", "..");

export async function until<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

/** The path of code-server's entry script, installing it first when the cache has none. */
export function installCodeServer(): string {
  const output = execFileSync("bash", [path.join(ROOT, "scripts", "e2e", "install-code-server.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 600_000,
  });
  const entry = output.trim().split("\n").pop() ?? "";
  if (!fs.existsSync(entry)) throw new Error(`code-server was not installed (no ${entry}); see the install script's output above.`);
  return entry;
}

export interface CodeServer {
  origin: string;
  port: number;
  log: string[];
  stop(): void;
}

/** A fresh profile: no workspace-trust prompt, no start page, no update checks. */
export function writeUserSettings(userData: string, extra: Record<string, unknown> = {}): void {
  fs.mkdirSync(path.join(userData, "User"), { recursive: true });
  fs.writeFileSync(
    path.join(userData, "User", "settings.json"),
    JSON.stringify({
      "security.workspace.trust.enabled": false,
      "workbench.startupEditor": "none",
      "workbench.tips.enabled": false,
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "telemetry.telemetryLevel": "off",
      ...extra,
    }),
  );
}

export async function startCodeServer(entry: string, options: { userData: string; extensions: string; folder: string }): Promise<CodeServer> {
  // Port 0: the system picks a free one, and code-server says which in its log.
  const child: ChildProcess = spawn(
    process.execPath,
    [
      entry,
      "--auth",
      "none",
      "--bind-addr",
      "127.0.0.1:0",
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-workspace-trust",
      "--user-data-dir",
      options.userData,
      "--extensions-dir",
      options.extensions,
      options.folder,
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  const log: string[] = [];
  child.stdout?.on("data", (chunk: Buffer) => log.push(chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => log.push(chunk.toString()));
  const exited = new Promise<never>((_resolve, reject) =>
    child.once("exit", (code) => reject(new Error(`code-server exited (code ${code}):\n${log.join("")}`))),
  );
  const port = await Promise.race([
    exited,
    until("code-server's port", async () => Number(/HTTP server listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(log.join(""))?.[1]), 60_000),
  ]);
  const origin = `http://127.0.0.1:${port}`;
  await until("code-server to answer", async () => (await fetch(`${origin}/healthz`)).ok, 60_000);
  return { origin, port, log, stop: () => child.kill() };
}

function builtVsix(): string {
  const { name, version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
  const vsix = path.join(ROOT, ".vsix", `${name}-${version}.vsix`);
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing: run \`npm run package\` first (npm run test:e2e does).`);
  return vsix;
}

/** Installs the built VSIX into a code-server profile as a user does (`--install-extension`), and checks it is listed. */
export function installVsix(entry: string, userData: string, extensions: string): void {
  const install = execFileSync(process.execPath, [entry, "--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", builtVsix()], {
    encoding: "utf8",
    timeout: 120_000,
  });
  assert.match(install, /durable-devkit.*(successfully installed|was successfully installed)/i, install);
  const listed = execFileSync(process.execPath, [entry, "--user-data-dir", userData, "--extensions-dir", extensions, "--list-extensions"], {
    encoding: "utf8",
  });
  assert.match(listed, /durable-devkit\.durable-devkit/);
}
