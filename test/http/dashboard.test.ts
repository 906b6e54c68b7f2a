/**
 * The dashboard in a real browser (Chromium driven by playwright-core: Debian's when installed, else the one npm install brings): it lists a completed and a
 * running instance, opens one, shows its timeline, raises an event from the page, and saves a screenshot.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../chromium";
import { startServer, type EmulatorServer } from "../../emulator";
import { KITCHEN_SINK, devNull } from "../emulator/harness";

const SCREENSHOT_DIR = path.resolve(__dirname, "..", "..", "..", ".test-output");

describe("the dashboard in a browser", function () {
  this.timeout(90_000);
  let server: EmulatorServer;
  let browser: Browser;
  let page: Page;
  const pageErrors: string[] = [];

  before(async () => {
    server = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, appOutput: devNull() });
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 850 } });
    page.on("pageerror", (error) => pageErrors.push(error.message));
    page.on("console", (message) => message.type() === "error" && pageErrors.push(message.text()));
  });
  after(async () => {
    await browser?.close();
    await server?.close();
  });

  it("shows instances, opens one with its timeline, and raises an event from the page", async () => {
    const engine = server.emulator.engine;
    const done = await engine.startNew("helloSequence", { instanceId: "dash-done" });
    await engine.waitForCompletion(done, 30_000);
    await engine.startNew("approvalRace", { instanceId: "dash-waiting", input: { timeoutSeconds: 3600 } });
    await engine.whenIdle();

    await page.goto(`${server.http.origin}/_durable/`);
    await page.waitForSelector('#instances tr[data-instance="dash-done"]');
    assert.match(await page.textContent('#instances tr[data-instance="dash-done"]') ?? "", /helloSequence\s*Completed/);
    assert.match(await page.textContent('#instances tr[data-instance="dash-waiting"]') ?? "", /approvalRace\s*Running/);

    // The status filter narrows the list to the running instance.
    await page.click('#status-filters button[data-status="Running"]');
    await page.waitForSelector('#instances tr[data-instance="dash-done"]', { state: "detached" });
    assert.equal(await page.locator("#instances tbody tr[data-instance]").count(), 1);
    await page.click('#instances tr[data-instance="dash-waiting"]');
    await page.waitForSelector("#timeline svg");
    assert.match(await page.textContent("#detail-title") ?? "", /approvalRace · dash-waiting/);
    assert.match(await page.textContent("#detail-facts") ?? "", /Waiting forapproval/);
    assert.match(await page.textContent("#timeline svg") ?? "", /timer #0/);
    await page.click('.tabs button[data-tab="history"]');
    assert.match(await page.textContent("#history") ?? "", /TimerCreated/);
    await page.click('.tabs button[data-tab="timeline"]');

    // Raise the event the instance waits for; the page updates live to Completed.
    await page.fill("#event-name", "approval");
    await page.fill("#event-data", '"Ada"');
    await page.click('#raise-form button[type="submit"]');
    // (Waiting on the DOM, not on page scripts: the dashboard's CSP forbids evaluated strings.)
    await page.locator("#detail-status", { hasText: "Completed" }).waitFor({ timeout: 10_000 });
    const status = engine.getStatus("dash-waiting");
    assert.deepEqual(status?.output, { approved: true, by: "Ada" });
    await page.click('.tabs button[data-tab="data"]');
    assert.match(await page.textContent("#data-output") ?? "", /"by": "Ada"/);
    await page.click('.tabs button[data-tab="timeline"]');

    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const screenshot = path.join(SCREENSHOT_DIR, "dashboard.png");
    await page.screenshot({ path: screenshot });
    assert.ok(fs.statSync(screenshot).size > 10_000, "a real screenshot");
    assert.deepEqual(pageErrors, []);
  });

  it("refuses to run inside another site's frame and keeps its actions same-origin", async () => {
    const response = await page.goto(`${server.http.origin}/_durable/`);
    assert.equal(response?.headers()["x-frame-options"], "DENY");
    assert.match(response?.headers()["content-security-policy"] ?? "", /frame-ancestors 'none'/);
  });
});
