/**
 * The extension on an app built on the Durable Task SDK (durabletask-js), in a real VS Code (code-server in Chromium):
 * a person opens the app's folder (a package.json naming @microsoft/durabletask-js, no host.json), opens the Durable
 * view and clicks Start Emulator; the status bar shows the emulator; their own worker and client (run here as child
 * processes, as they would in a terminal) run an orchestration over gRPC; the Instances view shows it Completed.
 * Screenshots go to .test-output/e2e/sdk-*.png.
 */
import { strict as assert } from "node:assert";
import { fork, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { NoOpLogger, OrchestrationStatus, TaskHubGrpcClient } from "@microsoft/durabletask-js";
import { launchChromium } from "../chromium";
import { ROOT, installCodeServer, installVsix, startCodeServer, until, writeUserSettings, type CodeServer } from "./code-server";
import { freePort } from "../grpc/cli-emulator";

const SHOTS = path.join(ROOT, ".test-output", "e2e");
const FIXTURE = path.join(ROOT, "test", "fixtures", "durabletask-app");

describe("the extension on a Durable Task SDK app (code-server + Chromium)", function () {
  this.timeout(600_000);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "durable-e2e-sdk-"));
  const workspace = path.join(work, "orders-worker");
  const userData = path.join(work, "user-data");
  const extensions = path.join(work, "extensions");
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let worker: ChildProcess | undefined;
  let client: TaskHubGrpcClient | undefined;
  let grpcPort = 0;

  const shot = (name: string) => page.screenshot({ path: path.join(SHOTS, `sdk-${name}.png`) });

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    grpcPort = await freePort();
    // The user's app: their worker and orchestrations, the SDK installed, and the port in the workspace's settings
    // (the DTS emulator's 8080 may be taken on a test machine).
    fs.mkdirSync(path.join(workspace, ".vscode"), { recursive: true });
    for (const file of ["worker.js", "orchestrations.js"]) fs.copyFileSync(path.join(FIXTURE, file), path.join(workspace, file));
    fs.writeFileSync(
      path.join(workspace, "package.json"),
      JSON.stringify({ name: "orders-worker", private: true, main: "worker.js", dependencies: { "@microsoft/durabletask-js": "0.4.0" } }, null, 2),
    );
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(workspace, "node_modules"), "dir");
    fs.writeFileSync(path.join(workspace, ".vscode", "settings.json"), JSON.stringify({ "durableDevkit.grpcPort": grpcPort }, null, 2));

    const entry = installCodeServer();
    writeUserSettings(userData);
    installVsix(entry, userData, extensions);
    server = await startCodeServer(entry, { userData, extensions, folder: workspace });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${server.origin}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 60_000 });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && page) {
      await shot("failed").catch(() => undefined);
      fs.writeFileSync(path.join(SHOTS, "sdk-code-server.log"), server?.log.join("") ?? "");
    }
  });

  after(async () => {
    await client?.stop();
    worker?.kill("SIGKILL");
    await browser?.close();
    server?.stop();
  });

  it("starts the emulator from the Durable view's Start Emulator, and the status bar shows it", async () => {
    // The extension activates on the SDK in node_modules; its view container is in the activity bar.
    const durable = page.locator('.activitybar .action-item a[aria-label^="Durable"]');
    await durable.waitFor({ state: "visible", timeout: 120_000 });
    await durable.click();
    const start = page.locator(".welcome-view-content a, .welcome-view-content .monaco-button", { hasText: "Start Emulator" }).first();
    await start.waitFor({ state: "visible", timeout: 60_000 });
    await shot("durable-view");
    await start.click();
    const status = await until(
      "the emulator's port in the status bar",
      async () => /Durable :\d+/.exec((await page.locator(".statusbar").textContent()) ?? "")?.[0],
      120_000,
    );
    assert.match(status, /Durable :\d+/);
    // The Functions view no longer offers to start what runs: it says where the functions of an SDK app run.
    await page.locator(".welcome-view-content", { hasText: "knows no functions yet" }).first().waitFor({ state: "visible", timeout: 30_000 });
    await shot("emulator-started");
  });

  it("lists the instance the user's own worker and client ran over gRPC in the Instances view, Completed", async () => {
    worker = fork(path.join(workspace, "worker.js"), [], {
      cwd: workspace,
      env: { ...process.env, DURABLE_TASK_HOST: `localhost:${grpcPort}`, DURABLE_TASK_QUIET: "1" },
      stdio: "ignore",
    });
    client = new TaskHubGrpcClient({ hostAddress: `localhost:${grpcPort}`, logger: new NoOpLogger() });
    const id = await client.scheduleNewOrchestration("chain", "Oslo", "sdk-e2e-chain");
    const state = await client.waitForOrchestrationCompletion(id, true, 120);
    assert.equal(state?.runtimeStatus, OrchestrationStatus.COMPLETED);
    assert.deepEqual(JSON.parse(state!.serializedOutput!), ["Hello, Oslo 1!", "Hello, Oslo 2!", "Hello, Oslo 3!"]);

    const instances = page.locator(".pane", { has: page.locator(".pane-header", { hasText: "Instances" }) });
    const row = instances.locator(".monaco-list-row", { hasText: "sdk-e2e-chain" });
    await row.waitFor({ state: "visible", timeout: 60_000 });
    assert.match((await row.textContent()) ?? "", /chain\s*sdk-e2e-chain/);
    // The view may first show it as it was when it appeared (Pending); the emulator's push brings it to Completed.
    await until("the instance under Completed in the Instances view", async () => /Completed \(1\)/.test((await instances.textContent()) ?? ""), 60_000);
    // The Functions view lists what the worker ran: the orchestrator and its activity.
    const functions = page.locator(".pane", { has: page.locator(".pane-header", { hasText: "Functions" }) });
    await until(
      "the worker's functions in the Functions view",
      async () => /Orchestrators.*chain.*Activities.*hello/s.test((await functions.textContent()) ?? ""),
      60_000,
    );
    await shot("instances-view");
  });
});
