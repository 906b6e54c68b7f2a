/**
 * The extension in a real VS Code: code-server (VS Code 1.100 served to a browser) with the built VSIX installed by
 * `--install-extension`, driven through Debian's Chromium by playwright-core, as a user would: the command palette
 * scaffolds function chaining, the determinism checker flags a Date.now() typed into the orchestrator, the emulator
 * runs the orchestration to Completed, the status bar opens the dashboard through code-server's port proxy, and F5
 * starts a `durable` debug session that stops on the first history event.
 * Screenshots of every step go to .test-output/e2e/ (kept when a step fails).
 *
 * Run it with `npm run test:e2e` (it builds the VSIX and installs code-server once, cached in ~/.cache/durable-devkit).
 */
import { strict as assert } from "node:assert";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../chromium";
import { ROOT, installCodeServer, startCodeServer, until, writeUserSettings, type CodeServer } from "./code-server";

const SHOTS = path.join(ROOT, ".test-output", "e2e");

function builtVsix(): string {
  const { name, version } = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { name: string; version: string };
  const vsix = path.join(ROOT, ".vsix", `${name}-${version}.vsix`);
  if (!fs.existsSync(vsix)) throw new Error(`${vsix} is missing: run \`npm run package\` first (npm run test:e2e does).`);
  return vsix;
}

describe("the extension in a real VS Code (code-server + Chromium)", function () {
  this.timeout(900_000);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), "durable-e2e-"));
  const workspace = path.join(work, "my-durable-app");
  const userData = path.join(work, "user-data");
  const extensions = path.join(work, "extensions");
  let entry: string;
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let page: Page;
  let step = 0;

  async function shot(name: string): Promise<void> {
    fs.mkdirSync(SHOTS, { recursive: true });
    await page.screenshot({ path: path.join(SHOTS, `${String(++step).padStart(2, "0")}-${name}.png`) });
  }

  /** F1, the command's title, Enter: as a user runs a command. Retried while the workbench is still loading extensions. */
  async function runCommand(title: string): Promise<void> {
    const input = page.locator(".quick-input-widget input.input");
    // The focused (first) row must be the command itself, not another that merely matches the words.
    const row = page.locator(".quick-input-list .monaco-list-row.focused", { hasText: title });
    await until(`the command "${title}" in the palette`, async () => {
      await page.keyboard.press("Escape");
      await page.keyboard.press("F1");
      await input.waitFor({ state: "visible" });
      await input.fill(`>${title}`);
      return row.waitFor({ state: "visible", timeout: 3_000 }).then(() => true);
    }, 60_000);
    await page.keyboard.press("Enter");
  }

  /** Waits for the open quick pick or input box (titled `title`) and answers it. */
  async function answer(title: RegExp, value: string | undefined): Promise<void> {
    const widget = page.locator(".quick-input-widget");
    await until(`the prompt ${title}`, async () => title.test((await widget.textContent()) ?? "") && (await widget.isVisible()), 60_000);
    const input = widget.locator("input.input");
    if (value !== undefined) await input.fill(value);
    await page.keyboard.press("Enter");
  }

  async function notification(text: RegExp, timeoutMs: number): Promise<string> {
    return until(`a notification ${text}`, async () => {
      const toasts = await page.locator(".notification-toast").allTextContents();
      return toasts.find((toast) => text.test(toast));
    }, timeoutMs);
  }

  before(async () => {
    fs.rmSync(SHOTS, { recursive: true, force: true });
    entry = installCodeServer();
    fs.mkdirSync(workspace, { recursive: true });
    writeUserSettings(userData, {
      // Typing in the editor as a test does: no auto-closed brackets or accepted suggestions to account for.
      "editor.autoClosingBrackets": "never",
      "editor.autoClosingQuotes": "never",
      "editor.quickSuggestions": { other: false, comments: false, strings: false },
      "editor.suggestOnTriggerCharacters": false,
      "editor.acceptSuggestionOnEnter": "off",
    });
    const install = execFileSync(process.execPath, [entry, "--user-data-dir", userData, "--extensions-dir", extensions, "--install-extension", builtVsix()], { encoding: "utf8", timeout: 120_000 });
    assert.match(install, /durable-devkit.*(successfully installed|was successfully installed)/i, install);
    const listed = execFileSync(process.execPath, [entry, "--user-data-dir", userData, "--extensions-dir", extensions, "--list-extensions"], { encoding: "utf8" });
    assert.match(listed, /durable-devkit\.durable-devkit/);

    server = await startCodeServer(entry, { userData, extensions, folder: workspace });

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1500, height: 950 } });
    await page.goto(`${server.origin}/?folder=${encodeURIComponent(workspace)}`);
    await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 60_000 });
  });

  afterEach(async function () {
    if (this.currentTest?.state === "failed" && page) {
      await shot("failed").catch(() => undefined);
      fs.mkdirSync(SHOTS, { recursive: true });
      fs.writeFileSync(path.join(SHOTS, "code-server.log"), server?.log.join("") ?? "");
      console.log(`    screenshots and the code-server log: ${SHOTS}`);
    }
  });

  after(async () => {
    await browser?.close();
    server?.stop();
    // The emulator and the debug adapter are children of code-server's extension host; they end with it.
  });

  it("scaffolds function chaining from the command palette", async () => {
    await shot("workbench");
    await runCommand("Durable: New Orchestration from Pattern");
    await answer(/Pick an orchestration pattern|New Orchestration from Pattern/, "Function chaining");
    await answer(/Function chaining: name/, undefined); // the default name, helloSequence
    await answer(/Function chaining: language/, "TypeScript");
    await shot("scaffolding");
    const orchestrator = path.join(workspace, "src", "functions", "helloSequence.ts");
    for (const file of ["package.json", "host.json", "tsconfig.json", "local.settings.json", orchestrator]) {
      assert.ok(fs.existsSync(path.resolve(workspace, file)), `${file} was written`);
    }
    // The extension runs npm install for a new app (from the npm registry; its cache is warm after npm ci).
    await notification(/Function chaining "helloSequence" written/, 300_000);
    assert.ok(fs.existsSync(path.join(workspace, "node_modules", "durable-functions", "package.json")), "npm install ran");
    await page.locator('.tab[data-resource-name="helloSequence.ts"]').first().waitFor({ state: "visible" });
    await shot("scaffolded");
  });

  it("flags Date.now() typed into the orchestrator in the Problems panel", async () => {
    const orchestrator = path.join(workspace, "src", "functions", "helloSequence.ts");
    const lines = fs.readFileSync(orchestrator, "utf8").split("\n");
    const line = lines.findIndex((text) => text.includes("const outputs: string[] = [];")) + 1;
    assert.ok(line > 0, "the template's outputs line");
    await page.locator('.tab[data-resource-name="helloSequence.ts"]').first().click();
    await runCommand("Go to Line/Column");
    await page.keyboard.type(String(line));
    await page.keyboard.press("Enter");
    await page.keyboard.press("End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("const startedAt = Date.now();");
    await page.keyboard.press("Control+s");
    await until("the edit on disk", async () => fs.readFileSync(orchestrator, "utf8").includes("Date.now()"), 20_000);
    await runCommand("Problems: Focus on Problems View");
    const problems = page.locator(".markers-panel");
    const text = await until("DD001 in the Problems panel", async () => {
      const content = (await problems.textContent()) ?? "";
      return /DD001/.test(content) ? content : undefined;
    }, 120_000);
    assert.match(text, /Date\.now\(\)|current time|currentUtcDateTime/i);
    await shot("problems-DD001");
  });

  it("starts the emulator and runs the orchestration to Completed", async () => {
    await runCommand("Durable: Start Emulator");
    const status = await until("the emulator's port in the status bar", async () => {
      const content = (await page.locator(".statusbar").textContent()) ?? "";
      return /Durable :\d+/.exec(content)?.[0];
    }, 120_000);
    assert.match(status, /Durable :\d+/);
    await shot("emulator-running");
    await runCommand("Durable: Run Orchestration");
    await answer(/Run helloSequence/, ""); // empty input: null
    const done = await notification(/helloSequence \S+: (Completed|Failed)/, 120_000);
    assert.match(done, /Completed → \["Hello, Tokyo!","Hello, Seattle!","Hello, London!"\]/);
    await shot("orchestration-completed");
  });

  it("shows the instance's history in a webview with the dashboard's timeline, under its content security policy", async () => {
    const cspViolations: string[] = [];
    page.on("console", (message) => /Content Security Policy|Refused to/.test(message.text()) && cspViolations.push(message.text()));
    await runCommand("Durable: Show History");
    await answer(/Show the history of which instance/, "helloSequence");
    const frame = await until("the history webview's page", async () => {
      for (const candidate of page.frames()) {
        if (await candidate.locator("#events tbody tr").count().catch(() => 0)) return candidate;
      }
      return undefined;
    }, 60_000);
    assert.match((await frame.locator("#title").textContent()) ?? "", /helloSequence · \S+ · Completed/);
    const events = await frame.locator("#events tbody tr").allTextContents();
    assert.ok(events.some((row) => /TaskCompleted/.test(row)) && events.some((row) => /ExecutionCompleted/.test(row)), events.join("\n"));
    assert.ok((await frame.locator("#timeline *").count()) > 0, "the timeline is drawn");
    assert.deepEqual(cspViolations.filter((text) => /history-view/.test(text)), [], "no CSP violation by the history view");
    await shot("history-webview");
    await page.keyboard.press("Escape");
  });

  it("opens the dashboard from the status bar through code-server's port proxy, where it lists the instance", async () => {
    const item = page.locator(".statusbar-item", { hasText: /Durable :\d+/ }).first();
    const port = Number(/Durable :(\d+)/.exec((await item.textContent()) ?? "")?.[1]);
    // code-server opens external links in a new tab; the proxy forwards its own Host, so the dashboard needs the key.
    const [dashboard] = await Promise.all([page.context().waitForEvent("page", { timeout: 60_000 }), item.click()]);
    await dashboard.locator("#instances tr[data-instance]", { hasText: "helloSequence" }).first().waitFor({ timeout: 60_000 });
    assert.equal(dashboard.url(), `${server?.origin}/proxy/${port}/_durable/`, "under the proxy's path, with the key dropped from the address");
    assert.match((await dashboard.textContent("#instances")) ?? "", /helloSequence\s*Completed/);
    await dashboard.screenshot({ path: path.join(SHOTS, `${String(++step).padStart(2, "0")}-dashboard-through-proxy.png`) });
    await dashboard.close();
  });

  it("starts a durable debug session with F5: a JavaScript breakpoint in the orchestrator hits, then it stops on the first history event", async () => {
    await page.keyboard.press("Escape");
    const orchestrator = path.join(workspace, "src", "functions", "helloSequence.ts");
    const line = fs.readFileSync(orchestrator, "utf8").split("\n").findIndex((text) => text.includes("const outputs: string[] = [];")) + 1;
    await page.locator('.tab[data-resource-name="helloSequence.ts"]').first().click();
    await runCommand("Go to Line/Column");
    await page.keyboard.type(String(line));
    await page.keyboard.press("Enter");
    await page.keyboard.press("F9"); // an ordinary breakpoint, for VS Code's JavaScript debugger
    await page.keyboard.press("F5");
    // Without a launch.json VS Code may ask which debugger to use; ours is "Durable Functions (replay debugger)".
    const picker = page.locator(".quick-input-widget");
    const asked = await picker
      .locator(".monaco-list-row", { hasText: "Durable Functions (replay debugger)" })
      .first()
      .waitFor({ state: "visible", timeout: 15_000 })
      .then(() => true, () => false);
    if (asked) {
      await picker.locator("input.input").fill("Durable Functions (replay debugger)");
      await page.keyboard.press("Enter");
    }
    // A launch without "input" asks for it, prefilled with the last one helloSequence ran with (empty: null).
    await answer(/Debug helloSequence/, "");
    const callStack = page.locator(".debug-call-stack");
    const variables = page.locator(".debug-variables");

    // The instance waited for js-debug to attach, so the first episode stops at the breakpoint, with the locals.
    await until("the JavaScript debugger paused at the breakpoint", async () => /Durable app \(JavaScript\)[\s\S]*Paused on breakpoint/i.test((await callStack.textContent()) ?? ""), 120_000);
    await until("the orchestrator's context among the locals", async () => /context/.test((await variables.textContent()) ?? ""), 30_000);
    await shot("javascript-breakpoint-in-orchestrator");
    await runCommand("Remove All Breakpoints");
    await page.keyboard.press("F5"); // continue the paused JavaScript session

    const frames = await until("a stopped durable session in the Call Stack", async () => {
      const content = (await callStack.textContent()) ?? "";
      return /← ExecutionStarted/.test(content) ? content : undefined;
    }, 120_000);
    assert.match(frames, /helloSequence\(null\) ← ExecutionStarted/);
    await page.locator(".debug-toolbar").waitFor({ state: "visible" });
    await callStack.locator(".monaco-list-row", { hasText: "← ExecutionStarted" }).first().click();
    const scopes = await until("the Event and Orchestration scopes in Variables", async () => {
      const content = (await variables.textContent()) ?? "";
      return /Event/.test(content) && /Orchestration/.test(content) ? content : undefined;
    }, 30_000);
    assert.match(scopes, /History/);
    await shot("debugger-stopped-on-entry");
  });
});
