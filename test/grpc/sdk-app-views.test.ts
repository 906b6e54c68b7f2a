/**
 * A Durable Task SDK app's folder (package.json naming @microsoft/durabletask-js, no host.json) as its user meets
 * it: `durable-devkit start` there serves the gRPC endpoint without being asked, and its instances and entities
 * appear where a Functions app's do — the Durable HTTP management API, the dashboard in a real browser, and the
 * CLI's read commands on the store file.
 */
import * as assert from "node:assert/strict";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { promisify } from "node:util";
import { EntityInstanceId, NoOpLogger, TaskHubGrpcClient } from "@microsoft/durabletask-js";
import type { Browser } from "playwright-core";
import { launchChromium } from "../chromium";
import { tempDir } from "../emulator/harness";
import { CLI, freePort, killProcess, startCliEmulator, type CliEmulator } from "./cli-emulator";
import { startWorker, stopWorker } from "./durabletask-worker";

const SCREENSHOT_DIR = path.resolve(__dirname, "..", "..", "..", ".test-output");

function sdkAppFolder(): string {
  const dir = tempDir("dd-sdk-app-");
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "orders", private: true, dependencies: { "@microsoft/durabletask-js": "0.4.0" } }));
  return dir;
}

describe("a Durable Task SDK app's folder: start, and the instances in the HTTP API, the dashboard and the CLI", function () {
  this.timeout(120_000);
  const children: ChildProcess[] = [];
  let client: TaskHubGrpcClient | undefined;
  let browser: Browser | undefined;

  after(async () => {
    await browser?.close();
    await client?.stop();
    for (const child of children) await (child.connected ? stopWorker(child) : killProcess(child));
  });

  it("turns the gRPC endpoint on by itself there, on the DTS emulator's port 8080 (refused with a clear message when 8080 is taken)", async () => {
    // Whoever holds 8080 — this test, or something else on the machine — the emulator must say so and name the port.
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.once("error", () => resolve()).listen(8080, "127.0.0.1", () => resolve()));
    try {
      const dir = sdkAppFolder();
      const child = spawn(process.execPath, [CLI, "start", "--port", "0", "--store", "memory"], { cwd: dir, stdio: "pipe" });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      assert.notEqual(code, 0);
      assert.match(output, /Port 8080 is in use \(the Durable Task Scheduler emulator's Docker container, or another emulator\?\)/);
      assert.doesNotMatch(output, /\n\s+at /, "a message, not a stack trace");
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it("lists the SDK's instances and entities in the management API, the dashboard and `durable-devkit list`", async () => {
    const dir = sdkAppFolder();
    const grpcPort = await freePort();
    const emulator: CliEmulator = await startCliEmulator(dir, grpcPort, ["--port", "0"]);
    children.push(emulator.child);
    assert.match(emulator.output(), /the app uses @microsoft\/durabletask-js/);
    const worker = startWorker(grpcPort, { DURABLE_TASK_QUIET: "1" });
    children.push(worker);
    await worker.started;
    client = new TaskHubGrpcClient({ hostAddress: `localhost:${grpcPort}`, logger: new NoOpLogger() });
    const id = await client.scheduleNewOrchestration("chain", "Lisbon", "sdk-chain-1");
    await client.waitForOrchestrationCompletion(id, true, 60);
    await client.signalEntity(new EntityInstanceId("tally", "seen"), "add", 4);

    // The Durable HTTP management API, as a script or the extension reads it.
    const status = (await (await fetch(`${emulator.origin}/runtime/webhooks/durabletask/instances/${id}`)).json()) as {
      name: string;
      runtimeStatus: string;
      output: unknown;
    };
    assert.equal(status.name, "chain");
    assert.equal(status.runtimeStatus, "Completed");
    assert.deepEqual(status.output, ["Hello, Lisbon 1!", "Hello, Lisbon 2!", "Hello, Lisbon 3!"]);
    // The entity's batch runs in the worker process: ask until it is there.
    type Listed = { entityId: { name: string; key: string }; state?: unknown };
    let seen = undefined as Listed | undefined;
    for (const deadline = Date.now() + 30_000; !seen && Date.now() < deadline; await new Promise((resolve) => setTimeout(resolve, 25))) {
      const entities = (await (await fetch(`${emulator.origin}/runtime/webhooks/durabletask/entities/tally?fetchState=true`)).json()) as Listed[];
      seen = entities.find((entity) => entity.entityId.key === "seen" && entity.state === 4);
    }
    assert.deepEqual(seen?.entityId, { name: "tally", key: "seen" });

    // The dashboard, in a browser, as its user opens it.
    browser = await launchChromium();
    const page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
    await page.goto(`${emulator.origin}/_durable/`);
    await page.waitForSelector(`#instances tr[data-instance="${id}"]`);
    assert.match((await page.textContent(`#instances tr[data-instance="${id}"]`)) ?? "", /chain\s*Completed/);
    await page.click(`#instances tr[data-instance="${id}"]`);
    await page.waitForSelector("#timeline svg");
    assert.match((await page.textContent("#timeline svg")) ?? "", /hello/);
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "dashboard-durabletask.png") });

    // The CLI reads the same store file while the emulator runs.
    const listed = await promisify(execFile)(process.execPath, [CLI, "list", "--app", dir]);
    assert.match(listed.stdout, new RegExp(`${id}\\s+chain\\s+Completed`));
  });
});
