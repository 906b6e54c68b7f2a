/**
 * The history webview's page in a real browser, under the content security policy the extension gives it: the page
 * (extension/history-page.ts) and its bundled script are served as VS Code serves them, and the message it is sent
 * is the one the extension builds (extension/history-message.ts) from a real emulator over loopback HTTP through the
 * extension's own client. It must show what the dashboard shows: activities' inputs and results, failure details, the
 * instance's input and output, and a cancelled timer ending where the orchestrator cancelled it.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import type { AddressInfo } from "node:net";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../chromium";
import { HistoryEventType, startServer, type EmulatorServer } from "../../emulator";
import { KITCHEN_SINK, devNull } from "../emulator/harness";
import { EmulatorClient } from "../../extension/emulator-client";
import { historyMessage, type HistoryMessage } from "../../extension/history-message";
import { historyPageHtml } from "../../extension/history-page";

const ROOT = path.resolve(__dirname, "..", "..", "..");
const WEBVIEW = path.join(ROOT, "dist", "extension", "webview");
const SCREENSHOT_DIR = path.join(ROOT, ".test-output");
const NONCE = "dGVzdC1ub25jZS0xMjM0NQ==";

/**
 * Serves the page as a webview shows it. `acquireVsCodeApi` (which VS Code defines) comes from a script of the same
 * nonce: when the page says it is ready, it is sent the message, as the extension answers "ready".
 */
async function servePage(message: HistoryMessage): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((request, response) => {
    const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const file = (request.url ?? "/").split("?")[0];
    if (file === "/") {
      const page = historyPageHtml({
        cspSource: origin,
        nonce: NONCE,
        scriptUri: `${origin}/history-view.js`,
        styleUri: `${origin}/history-view.css`,
        instanceId: message.instanceId,
      });
      const shim = `<script nonce="${NONCE}" src="${origin}/vscode-api.js"></script>`;
      response.writeHead(200, { "content-type": "text/html; charset=utf-8" });
      response.end(page.replace(`<script nonce="${NONCE}"`, `${shim}\n<script nonce="${NONCE}"`));
    } else if (file === "/vscode-api.js") {
      response.writeHead(200, { "content-type": "text/javascript" });
      response.end(
        `window.acquireVsCodeApi = () => ({ postMessage(m) { if (m && m.type === "ready") window.postMessage(${JSON.stringify(message)}, "*"); } });`,
      );
    } else if (file === "/history-view.js" || file === "/history-view.css") {
      response.writeHead(200, { "content-type": file.endsWith(".js") ? "text/javascript" : "text/css" });
      response.end(fs.readFileSync(path.join(WEBVIEW, file.slice(1))));
    } else {
      response.writeHead(file === "/favicon.ico" ? 204 : 404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    // The browser keeps its connections open: without closing them, close() waits on the browser's whim.
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

describe("the history webview in a browser, under its content security policy", function () {
  this.timeout(90_000);
  let emulator: EmulatorServer;
  let client: EmulatorClient;
  let browser: Browser;
  let page: Page;
  const problems: string[] = [];

  before(async () => {
    assert.ok(fs.existsSync(path.join(WEBVIEW, "history-view.js")), "the webview bundle: run `npm run build`");
    emulator = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, appOutput: devNull() });
    client = new EmulatorClient(emulator.http.origin, emulator.http.forwarded.key);
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    page.on("pageerror", (error) => problems.push(error.message));
    page.on("console", (line) => (line.type() === "error" || /Content Security Policy|Refused to/.test(line.text())) && problems.push(line.text()));
  });
  after(async () => {
    await browser?.close();
    await emulator?.close();
  });

  async function show(instanceId: string): Promise<void> {
    const served = await servePage(await historyMessage(client, instanceId));
    try {
      await page.goto(served.url);
      await page.locator("#title", { hasText: instanceId }).waitFor();
    } finally {
      await served.close();
    }
  }

  const row = (type: string, text?: string) =>
    page.locator("#events tbody tr", { has: page.locator("td:nth-child(3)", { hasText: new RegExp(`^${type}$`) }), hasText: text });

  it("shows each activity's input and result, and the instance's input and output", async () => {
    const id = await emulator.emulator.engine.startNew("countChain", { input: 2, instanceId: "view-chain" });
    await emulator.emulator.engine.waitForCompletion(id, 30_000);
    await show(id);
    assert.equal(await page.textContent("#title"), "countChain · view-chain · Completed");
    assert.match((await page.textContent("#facts")) ?? "", /^Input2Output2$/);
    assert.equal(await row("TaskScheduled").count(), 2);
    assert.match((await row("TaskScheduled").first().textContent()) ?? "", /add #0 input \{"a":0,"b":1\}/);
    assert.match((await row("TaskCompleted").nth(1).textContent()) ?? "", /add #1 → 2/);
    // An object input is there in full, indented, under the row's details (no script needed to open them).
    await row("TaskScheduled").first().locator("details summary").click();
    assert.equal(await row("TaskScheduled").first().locator("details pre").textContent(), 'input:\n{\n  "a": 0,\n  "b": 1\n}');
    assert.match((await page.textContent("#timeline svg")) ?? "", /add #0[\s\S]*add #1/);
    assert.deepEqual(problems, []);
  });

  it("shows an activity's failure: its reason in the row, and the details with the activity's stack", async () => {
    const id = await emulator.emulator.engine.startNew("activityFailureUncaught", { instanceId: "view-failed" });
    await emulator.emulator.engine.waitForCompletion(id, 30_000);
    await show(id);
    assert.match((await page.textContent("#title")) ?? "", / · Failed$/);
    const failed = row("TaskFailed");
    assert.match((await failed.textContent()) ?? "", /alwaysFails #0 ✗ Activity function 'alwaysFails' failed: {2}activity refused: uncaught/);
    await failed.locator("details summary").click();
    const details = (await failed.locator("details pre").textContent()) ?? "";
    assert.match(
      details,
      /^input:\n"uncaught"\n\nfailure:\nActivity function 'alwaysFails' failed: {2}activity refused: uncaught\n\nstack \(from the app\):\nError: activity refused: uncaught\n\s+at handler /,
    );
    assert.match((await page.textContent("#facts")) ?? "", /Failure.*alwaysFails.*activity refused: uncaught/s);
    assert.match((await page.locator("#timeline rect.bar-failed title").textContent()) ?? "", /alwaysFails #0: .* \(failed\)/);
    assert.deepEqual(problems, []);
  });

  it("draws a cancelled timer ending at the event that won its race, marked cancelled, though it fired later", async () => {
    const engine = emulator.emulator.engine;
    const id = await engine.startNew("approvalThenConfirm", { instanceId: "view-cancelled" });
    const until = async (what: string, done: () => boolean) => {
      for (const deadline = Date.now() + 30_000; !done(); await new Promise((resolve) => setTimeout(resolve, 20))) {
        if (Date.now() > deadline) throw new Error(`${id} never came to ${what}`);
      }
    };
    await until("wait for the approval", () => engine.getRecord(id)?.waitingForEvents?.includes("approval") === true);
    await engine.raiseEvent(id, "approval", "Ada");
    await until("wait for the confirmation", () => engine.getRecord(id)?.waitingForEvents?.includes("confirm") === true);
    assert.ok(engine.advanceClockToNextTimer(), "the cancelled timer is still due");
    await until("the timer's firing", () => engine.getHistory(id).some((event) => event.EventType === HistoryEventType.TimerFired));
    // Still running (it waits for the confirmation): the view draws it with the emulator's clock, an hour ahead.
    await show(id);
    assert.match((await page.textContent("#title")) ?? "", / · Running$/);
    const bar = page.locator("#timeline rect.bar-cancelled");
    assert.equal(await bar.count(), 1);
    assert.match((await bar.locator("title").textContent()) ?? "", /^timer #0: .* \(cancelled at EventRaised approval #\d+; it was due at /);
    assert.match((await page.textContent("#timeline svg")) ?? "", /cancelled/);
    const end = Number(await bar.getAttribute("x")) + Number(await bar.getAttribute("width"));
    const approvalX = Number(await page.locator("#timeline circle.mark-event").first().getAttribute("cx"));
    assert.ok(Math.abs(end - approvalX) <= 2.5, `the bar ends at ${end}, the approval is at ${approvalX}`);
    assert.match((await row("EventRaised").textContent()) ?? "", /approval "Ada" · cancels timer #0/);
    assert.match((await row("TimerFired").textContent()) ?? "", /#0 \(cancelled at EventRaised approval #\d+: the orchestrator ignores it\)/);
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "history-view.png") });
    assert.deepEqual(problems, [], "no CSP violation, no page error");
  });
});
