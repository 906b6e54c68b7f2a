/**
 * The dashboard in a real browser (Chromium driven by playwright-core: Debian's when installed, else the one npm install brings): it lists a completed and a
 * running instance, opens one, shows its timeline, raises an event from the page, and saves a screenshot; it purges a
 * running instance as Azure does, after asking, and shows the warning; and it does the same through a forwarded port
 * under a path prefix (code-server's /proxy/<port>/), opened with the run's key.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../chromium";
import { HistoryEventType, startServer, type EmulatorServer } from "../../emulator";
import { KITCHEN_SINK, devNull } from "../emulator/harness";
import { startPathPrefixProxy } from "./path-prefix-proxy";

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
    assert.match((await page.textContent('#instances tr[data-instance="dash-done"]')) ?? "", /helloSequence\s*Completed/);
    assert.match((await page.textContent('#instances tr[data-instance="dash-waiting"]')) ?? "", /approvalRace\s*Running/);

    // The status filter narrows the list to the running instance.
    await page.click('#status-filters button[data-status="Running"]');
    await page.waitForSelector('#instances tr[data-instance="dash-done"]', { state: "detached" });
    assert.equal(await page.locator("#instances tbody tr[data-instance]").count(), 1);
    await page.click('#instances tr[data-instance="dash-waiting"]');
    await page.waitForSelector("#timeline svg");
    assert.match((await page.textContent("#detail-title")) ?? "", /approvalRace · dash-waiting/);
    assert.match((await page.textContent("#detail-facts")) ?? "", /Waiting forapproval/);
    assert.match((await page.textContent("#timeline svg")) ?? "", /timer #0/);
    await page.click('.tabs button[data-tab="history"]');
    assert.match((await page.textContent("#history")) ?? "", /TimerCreated/);
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
    assert.match((await page.textContent("#data-output")) ?? "", /"by": "Ada"/);
    await page.click('.tabs button[data-tab="timeline"]');

    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const screenshot = path.join(SCREENSHOT_DIR, "dashboard.png");
    await page.screenshot({ path: screenshot });
    assert.ok(fs.statSync(screenshot).size > 10_000, "a real screenshot");
    assert.deepEqual(pageErrors, []);
  });

  it("draws a cancelled timer ending at the event that won its race, though its firing comes later, and says so", async () => {
    const engine = server.emulator.engine;
    const id = "dash-cancelled";
    await engine.startNew("approvalThenConfirm", { instanceId: id });
    const until = async (what: string, done: () => boolean) => {
      for (const deadline = Date.now() + 30_000; !done(); await new Promise((resolve) => setTimeout(resolve, 20))) {
        if (Date.now() > deadline) throw new Error(`${id} never came to ${what}: ${JSON.stringify(engine.getHistory(id))}`);
      }
    };
    await until("wait for the approval", () => engine.getRecord(id)?.waitingForEvents?.includes("approval") === true);
    await engine.raiseEvent(id, "approval", "Ada");
    await until("wait for the confirmation", () => engine.getRecord(id)?.waitingForEvents?.includes("confirm") === true);
    // An hour on: the cancelled timer fires, as it does in Azure, and the orchestrator ignores it.
    const timer = engine.getHistory(id).find((event) => event.EventType === HistoryEventType.TimerCreated);
    assert.equal(engine.advanceClockToNextTimer()?.fireAt, Date.parse(timer?.FireAt ?? ""));
    await until("the timer's firing", () => engine.getHistory(id).some((event) => event.EventType === HistoryEventType.TimerFired));
    await engine.raiseEvent(id, "confirm", "yes");
    await engine.waitForCompletion(id, 30_000);

    await page.goto("about:blank");
    await page.goto(`${server.http.origin}/_durable/#${id}`);
    await page.locator("#detail-status", { hasText: "Completed" }).waitFor();
    const bar = page.locator("#timeline rect.bar-cancelled");
    assert.equal(await bar.count(), 1, "one cancelled timer bar");
    assert.match((await bar.locator("title").textContent()) ?? "", /^timer #0: .* \(cancelled at EventRaised approval #\d+; it was due at /);
    assert.match((await page.textContent("#timeline svg")) ?? "", /cancelled/);
    const approval = page.locator("#timeline circle.mark-event").first();
    const confirm = page.locator("#timeline circle.mark-event").nth(1);
    const end = Number(await bar.getAttribute("x")) + Number(await bar.getAttribute("width"));
    const approvalX = Number(await approval.getAttribute("cx"));
    // It ends at the approval (a bar is at least 2 px wide), not an hour later where it fired, beside the confirmation.
    assert.ok(Math.abs(end - approvalX) <= 2.5, `the bar ends at ${end}, the approval is at ${approvalX}`);
    assert.ok(Number(await confirm.getAttribute("cx")) - end > 300, "the confirmation, an hour later, is far to the right");

    await page.click('.tabs button[data-tab="history"]');
    const rows = await page.locator("#history tbody tr").allTextContents();
    assert.ok(
      rows.some((row) => /EventRaised.*approval "Ada" · cancels timer #0/.test(row)),
      rows.join("\n"),
    );
    assert.ok(
      rows.some((row) => /TimerFired.*#0 \(cancelled at EventRaised approval #\d+: the orchestrator ignores it\)/.test(row)),
      rows.join("\n"),
    );
    await page.click('.tabs button[data-tab="timeline"]');
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "dashboard-cancelled-timer.png") });
    assert.deepEqual(pageErrors, []);
  });

  it("shows an activity's input, result and failure details in the history table", async () => {
    const engine = server.emulator.engine;
    await engine.waitForCompletion(await engine.startNew("activityFailureCaught", { instanceId: "dash-failure" }), 30_000);
    // Only the address's fragment changes: the page opens the instance it names (a link from VS Code does this).
    await page.evaluate(() => ((globalThis as unknown as { location: { hash: string } }).location.hash = "#dash-failure"));
    await page.locator("#detail-status", { hasText: "Completed" }).waitFor();
    await page.click('.tabs button[data-tab="history"]');
    const failed = page.locator("#history tbody tr", { hasText: "TaskFailed" });
    assert.match(
      (await failed.textContent()) ?? "",
      /alwaysFails #0 ✗ Activity function 'alwaysFails' failed: {2}activity refused: caught/,
      "Azure's Reason, with its double space",
    );
    await failed.locator("details summary").click();
    const details = (await failed.locator("details pre").textContent()) ?? "";
    assert.match(details, /^input:\n"caught"\n\nfailure:\nActivity function 'alwaysFails' failed/);
    // The Details are Azure's serialised .NET exception; the app's stack is read out of it and shown first.
    assert.match(details, /stack \(from the app\):\nError: activity refused: caught\n\s+at handler /, "the activity's stack");
    await page.click('.tabs button[data-tab="timeline"]');
    assert.deepEqual(pageErrors, []);
  });

  it("draws the instance as a sequence diagram (orchestrator, activities, timers, entities, events) and saves it as SVG", async () => {
    const engine = server.emulator.engine;
    await engine.waitForCompletion(await engine.startNew("helloSequence", { instanceId: "dash-sequence" }), 30_000);
    const entity = await engine.startNew("entityFailure", { instanceId: "dash-entity-sequence", input: "seq" });
    await engine.waitForCompletion(entity, 30_000);
    await page.goto(`${server.http.origin}/_durable/#dash-sequence`);
    await page.locator("#detail-title", { hasText: "dash-sequence" }).waitFor();
    await page.click('.tabs button[data-tab="sequence"]');
    const diagram = page.locator("#sequence svg");
    await diagram.waitFor();
    // Participants in order of appearance, then one message per event in history order (DfMon's and DTS's sequence views).
    assert.deepEqual(await diagram.locator("g.participant text").allTextContents(), ["caller", "helloSequence", "activity sayHello"]);
    assert.deepEqual(await diagram.locator("text.message").allTextContents(), [
      "start()",
      'sayHello("Tokyo")',
      '"Hello, Tokyo!"',
      'sayHello("Seattle")',
      '"Hello, Seattle!"',
      'sayHello("London")',
      '"Hello, London!"',
      'output ["Hello, Tokyo!",…',
    ]);
    // Saved as a person saves it: a click on the link, a file downloaded.
    const [download] = await Promise.all([page.waitForEvent("download"), page.click("#sequence-download")]);
    const saved = { name: download.suggestedFilename(), text: fs.readFileSync(await download.path(), "utf8") };
    assert.equal(saved.name, "dash-sequence-sequence.svg");
    assert.match(saved.text, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"[^>]*>.*sayHello\(&quot;Tokyo&quot;\).*<\/svg>$/s);

    await page.evaluate(() => ((globalThis as unknown as { location: { hash: string } }).location.hash = "#dash-entity-sequence"));
    await page.locator("#detail-title", { hasText: "dash-entity-sequence" }).waitFor();
    await page.click('.tabs button[data-tab="sequence"]');
    await page.locator("#sequence svg text", { hasText: "entity counter (seq)" }).first().waitFor();
    // Each entity call's answer comes back from the entity (its request id matched), a failure in red.
    const entityMessages = await page.locator("#sequence svg text.message").allTextContents();
    // (No rollback of the failed operation's write, as on Azure: the entity holds 5 + 1000.)
    assert.deepEqual(
      entityMessages.slice(1, 7).map((m) => m.replace(/: .*/, ":")),
      ["add", "null", "failAfterWrite", "failed:", "get", "1005"],
      entityMessages.join(" | "),
    );
    fs.mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await page.screenshot({ path: path.join(SCREENSHOT_DIR, "dashboard-sequence.png") });
    await page.click('.tabs button[data-tab="timeline"]');
    assert.deepEqual(pageErrors, []);
  });

  it("raises an event without data, and purges a running instance as Azure does, after saying so, with a warning", async () => {
    const engine = server.emulator.engine;
    await engine.startNew("waitForever", { instanceId: "dash-no-data" });
    await engine.startNew("waitForever", { instanceId: "dash-purged" });
    await engine.whenIdle();
    // (A new query string, so the page loads afresh and opens the instance its address names.)
    await page.goto(`${server.http.origin}/_durable/?t=purge#dash-no-data`);
    await page.locator("#detail-status", { hasText: "Running" }).waitFor({ timeout: 10_000 });
    // No data is sent as JSON null: the API, as Azure's, takes application/json only, and an empty body is not JSON.
    await page.fill("#event-name", "never");
    await page.fill("#event-data", "");
    await page.click('#raise-form button[type="submit"]');
    await page.locator("#detail-status", { hasText: "Completed" }).waitFor({ timeout: 10_000 });
    assert.equal(engine.getStatus("dash-no-data")?.output, null);

    await page.click('#instances tr[data-instance="dash-purged"]');
    await page.locator("#detail-title", { hasText: "dash-purged" }).waitFor({ timeout: 10_000 });
    await page.locator("#detail-status", { hasText: "Running" }).waitFor({ timeout: 10_000 });
    let question = "";
    page.once("dialog", (dialog) => {
      question = dialog.message();
      void dialog.accept();
    });
    await page.click('#actions button[data-action="purge"]');
    await page.locator("#warnings", { hasText: "Purged instance dash-purged while it was Running" }).waitFor({ timeout: 10_000 });
    assert.match(question, /dash-purged is Running\. Purging it deletes it .* Azure does the same/);
    assert.equal(engine.getStatus("dash-purged"), undefined);
    // The page then finds the instance gone: the 404 of that read is the browser's only complaint.
    await page.locator("#detail-empty", { hasText: "dash-purged no longer exists" }).waitFor({ timeout: 10_000 });
    const unexpected = pageErrors.filter((error) => !/status of 404 \(Not Found\)/.test(error));
    pageErrors.length = 0;
    assert.deepEqual(unexpected, []);
  });

  it("refuses to run inside another site's frame and keeps its actions same-origin", async () => {
    const response = await page.goto(`${server.http.origin}/_durable/`);
    assert.equal(response?.headers()["x-frame-options"], "DENY");
    assert.match(response?.headers()["content-security-policy"] ?? "", /frame-ancestors 'none'/);
  });

  it("works through a forwarded port under a path prefix that forwards its own Host, opened with the run's key", async () => {
    const proxy = await startPathPrefixProxy();
    // A fresh context: no cookie from before, as in a browser that never opened this run's dashboard.
    const forwarded = await browser.newPage({ viewport: { width: 1400, height: 850 } });
    const errors: string[] = [];
    forwarded.on("pageerror", (error) => errors.push(error.message));
    try {
      const root = proxy.root(server.http.port);
      const refused = await forwarded.goto(`${root}_durable/`);
      assert.equal(refused?.status(), 421);
      assert.match((await forwarded.textContent("body")) ?? "", /Durable: Open Dashboard/);

      const engine = server.emulator.engine;
      await engine.startNew("approvalRace", { instanceId: "proxied-waiting", input: { timeoutSeconds: 3600 } });
      await engine.whenIdle();
      // What "Durable: Open Dashboard" opens in code-server: the proxy's address for the port, the dashboard, the key.
      await forwarded.goto(`${root}_durable/?key=${server.http.forwarded.key}`);
      await forwarded.waitForSelector('#instances tr[data-instance="proxied-waiting"]');
      assert.equal(forwarded.url(), `${root}_durable/`, "the key is dropped from the address");
      const [keyCookie] = await forwarded.context().cookies(proxy.origin);
      assert.equal(keyCookie?.name, `durable_devkit_key_${server.http.port}`);
      assert.equal(keyCookie?.httpOnly, true);
      assert.equal(keyCookie?.sameSite, "Strict");

      // Live updates through the proxy: an instance started elsewhere shows up without a reload.
      await engine.startNew("helloSequence", { instanceId: "proxied-live" });
      await forwarded.waitForSelector('#instances tr[data-instance="proxied-live"]');
      // An action from the page goes through the proxy to the management API, and the page follows it live.
      await forwarded.click('#instances tr[data-instance="proxied-waiting"]');
      await forwarded.waitForSelector("#timeline svg");
      await forwarded.fill("#event-name", "approval");
      await forwarded.fill("#event-data", '"Grace"');
      await forwarded.click('#raise-form button[type="submit"]');
      await forwarded.locator("#detail-status", { hasText: "Completed" }).waitFor({ timeout: 10_000 });
      assert.deepEqual(engine.getStatus("proxied-waiting")?.output, { approved: true, by: "Grace" });
      assert.deepEqual(errors, []);
    } finally {
      await forwarded.context().close();
      await proxy.close();
    }
  });
});
