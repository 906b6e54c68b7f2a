/**
 * The extension in a real VS Code: code-server (VS Code 1.100 served to a browser) with the built VSIX installed by
 * `--install-extension`, driven through Chromium by playwright-core, clicking what a person clicks: the walkthrough's
 * buttons scaffold function chaining and run it (their prompts stay open, the steps tick on the result), the
 * determinism checker flags a Date.now() typed into the orchestrator, the status bar opens the dashboard through
 * code-server's port proxy, a human-interaction run names the event it waits for and its Raise button answers it, a
 * save that does not compile shows in the status bar and Problems, `durable-devkit` runs in the terminal, and F5
 * starts a `durable` debug session (a JavaScript breakpoint with its locals, shown without a click, once: the replays
 * run through it; then the first history event, and on to the end of the history).
 * Screenshots of every step go to .test-output/e2e/ (kept when a step fails).
 *
 * Run it with `npm run test:e2e` (it builds the VSIX and installs code-server once, cached in ~/.cache/durable-devkit).
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../chromium";
import { ROOT, installCodeServer, installVsix, startCodeServer, until, writeUserSettings, type CodeServer } from "./code-server";

const SHOTS = path.join(ROOT, ".test-output", "e2e");

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
    await until(
      `the command "${title}" in the palette`,
      async () => {
        await page.keyboard.press("Escape");
        await page.keyboard.press("F1");
        await input.waitFor({ state: "visible" });
        await input.fill(`>${title}`);
        return row.waitFor({ state: "visible", timeout: 3_000 }).then(() => true);
      },
      60_000,
    );
    await page.keyboard.press("Enter");
  }

  /** Waits for the open quick pick or input box (titled `title`) and answers it. */
  async function answer(title: RegExp, value: string | undefined): Promise<void> {
    const widget = page.locator(".quick-input-widget");
    await until(`the prompt ${title}`, async () => title.test((await widget.textContent()) ?? "") && (await widget.isVisible()), 60_000);
    const input = widget.locator("input.input");
    // A prompt a walkthrough button opened stays open when the focus goes back to the walkthrough: a person clicks it.
    await input.click();
    if (value !== undefined) await input.fill(value);
    await page.keyboard.press("Enter");
  }

  /**
   * The open prompt titled `title` is still open after the focus moved back to the page that opened it (a walkthrough
   * button used to lose its prompt ~0.2 s later): it stays visible for two seconds after it appeared.
   */
  async function staysOpen(title: RegExp): Promise<void> {
    const widget = page.locator(".quick-input-widget");
    await until(`the prompt ${title}`, async () => title.test((await widget.textContent()) ?? "") && (await widget.isVisible()), 120_000);
    const deadline = Date.now() + 2_000;
    while (Date.now() < deadline) {
      assert.ok((await widget.isVisible()) && title.test((await widget.textContent()) ?? ""), `the prompt ${title} stayed open`);
      await page.waitForTimeout(100);
    }
  }

  /** The Durable Devkit walkthrough, opened as a person does: Welcome: Open Walkthrough…, then its title. */
  async function openWalkthrough(): Promise<void> {
    await runCommand("Welcome: Open Walkthrough...");
    await answer(/Get started with Durable Devkit/, "Get started with Durable Devkit");
    await page.locator("button.getting-started-step").first().waitFor({ state: "visible", timeout: 60_000 });
  }

  /** The walkthrough's editor tab, brought to the front. */
  async function showWalkthrough(): Promise<void> {
    await page
      .locator(".tab", { hasText: /Welcome|Walkthrough/ })
      .first()
      .click();
    await page.locator("button.getting-started-step").first().waitFor({ state: "visible", timeout: 30_000 });
  }

  /** Expands the walkthrough step and clicks the button its description renders for the command link. */
  async function clickWalkthroughButton(stepId: string, label: string): Promise<void> {
    const step = page.locator(`button.getting-started-step[data-step-id$="${stepId}"]`);
    if ((await step.getAttribute("aria-expanded")) !== "true") await step.click();
    await step.locator(".monaco-button, a", { hasText: label }).first().click();
  }

  async function walkthroughStepDone(stepId: string): Promise<boolean> {
    return (await page.locator(`button.getting-started-step[data-step-id$="${stepId}"]`).getAttribute("aria-checked")) === "true";
  }

  async function notification(text: RegExp, timeoutMs: number): Promise<string> {
    return until(
      `a notification ${text}`,
      async () => {
        const toasts = await page.locator(".notification-toast").allTextContents();
        return toasts.find((toast) => text.test(toast));
      },
      timeoutMs,
    );
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

  it("scaffolds function chaining from the walkthrough's button: every prompt stays open, and the step is ticked once the files are written", async () => {
    await shot("workbench");
    await openWalkthrough();
    assert.equal(await walkthroughStepDone("scaffold"), false, "nothing scaffolded yet");
    await clickWalkthroughButton("scaffold", "New Orchestration from Pattern…");
    await staysOpen(/Pick an orchestration pattern|New Orchestration from Pattern/);
    await answer(/Pick an orchestration pattern|New Orchestration from Pattern/, "Function chaining");
    await staysOpen(/Function chaining: name/);
    await shot("walkthrough-name-prompt-stays-open");
    await answer(/Function chaining: name/, undefined); // the default name, helloSequence
    await staysOpen(/Function chaining: language/);
    await answer(/Function chaining: language/, "TypeScript");
    await shot("scaffolding");
    const orchestrator = path.join(workspace, "src", "functions", "helloSequence.ts");
    for (const file of ["package.json", "host.json", "tsconfig.json", "local.settings.json", orchestrator]) {
      assert.ok(fs.existsSync(path.resolve(workspace, file)), `${file} was written`);
    }
    // The extension runs npm install for a new app (from the npm registry; its cache is warm after npm ci).
    await notification(/Function chaining "helloSequence" written \(\d+ files\)/, 300_000);
    assert.ok(fs.existsSync(path.join(workspace, "node_modules", "durable-functions", "package.json")), "npm install ran");
    await page.locator('.tab[data-resource-name="helloSequence.ts"]').first().waitFor({ state: "visible" });
    await showWalkthrough();
    await until("the scaffold step ticked", () => walkthroughStepDone("scaffold"), 30_000);
    assert.equal(await walkthroughStepDone("run"), false, "running is the next step, not done");
    await shot("walkthrough-scaffold-ticked");
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
    const text = await until(
      "DD001 in the Problems panel",
      async () => {
        const content = (await problems.textContent()) ?? "";
        return /DD001/.test(content) ? content : undefined;
      },
      120_000,
    );
    assert.match(text, /Date\.now\(\)|current time|currentUtcDateTime/i);
    await shot("problems-DD001");
  });

  it("applies the DD001 quick fix from the editor's light bulb (Ctrl+.), and the problem goes", async () => {
    const orchestrator = path.join(workspace, "src", "functions", "helloSequence.ts");
    const lines = fs.readFileSync(orchestrator, "utf8").split("\n");
    const line = lines.findIndex((text) => text.includes("Date.now()"));
    assert.ok(line >= 0, "the line typed in the previous step");
    await page.locator('.tab[data-resource-name="helloSequence.ts"]').first().click();
    await runCommand("Go to Line/Column");
    await page.keyboard.type(`${line + 1}:${lines[line].indexOf("Date.now()") + 2}`);
    await page.keyboard.press("Enter");
    const fix = page.locator(".action-widget .monaco-list-row", { hasText: "currentUtcDateTime" }).first();
    await until(
      "the quick fix offered",
      async () => {
        if (await fix.isVisible()) return true;
        await page.keyboard.press("Control+.");
        return (
          (await fix.waitFor({ state: "visible", timeout: 3_000 }).then(
            () => true,
            () => false,
          )) || undefined
        );
      },
      60_000,
    );
    await shot("quick-fix-offered");
    // The preferred fix is the focused row of the light bulb's menu (code-server lays a pointer block over the menu):
    // a person presses Enter on it.
    await until(
      "the fix focused",
      async () =>
        ((await page.locator(".action-widget .monaco-list-row.focused").textContent()) ?? "").includes("currentUtcDateTime") ||
        (await page.keyboard.press("ArrowDown"), undefined),
      20_000,
    );
    await page.keyboard.press("Enter");
    await page.keyboard.press("Control+s");
    await until(
      "the fix on disk",
      async () => fs.readFileSync(orchestrator, "utf8").includes("const startedAt = context.df.currentUtcDateTime.getTime();"),
      20_000,
    );
    await runCommand("Problems: Focus on Problems View");
    await until("DD001 gone from the Problems panel", async () => !/DD001/.test((await page.locator(".markers-panel").textContent()) ?? ""), 60_000);
    await shot("quick-fix-applied");
  });

  it("runs the orchestration from the walkthrough's button: the emulator starts, the input box stays open, the step is ticked on the result", async () => {
    await showWalkthrough();
    await clickWalkthroughButton("run", "Run Orchestration…");
    // The emulator starts first (to know the orchestrators); then the input box, which must survive the focus move.
    await staysOpen(/Run helloSequence/);
    const status = await until(
      "the emulator's port in the status bar",
      async () => /Durable :\d+/.exec((await page.locator(".statusbar").textContent()) ?? "")?.[0],
      120_000,
    );
    assert.match(status, /Durable :\d+/);
    await shot("walkthrough-run-input-stays-open");
    await answer(/Run helloSequence/, ""); // empty input: null
    const done = await notification(/helloSequence \S+: (Completed|Failed)/, 120_000);
    assert.match(done, /Completed → \["Hello, Tokyo!","Hello, Seattle!","Hello, London!"\]/);
    await showWalkthrough();
    await until("the run step ticked", () => walkthroughStepDone("run"), 30_000);
    await shot("orchestration-completed");
  });

  it("shows the instance's history in a webview as the dashboard does (timeline, activities' inputs and results), under its content security policy", async () => {
    const cspViolations: string[] = [];
    page.on("console", (message) => /Content Security Policy|Refused to/.test(message.text()) && cspViolations.push(message.text()));
    await runCommand("Durable: Show History");
    await answer(/Show the history of which instance/, "helloSequence");
    const frame = await until(
      "the history webview's page",
      async () => {
        for (const candidate of page.frames()) {
          if (
            await candidate
              .locator("#events tbody tr")
              .count()
              .catch(() => 0)
          )
            return candidate;
        }
        return undefined;
      },
      60_000,
    );
    assert.match((await frame.locator("#title").textContent()) ?? "", /helloSequence · \S+ · Completed/);
    const events = await frame.locator("#events tbody tr").allTextContents();
    assert.ok(events.some((row) => /TaskCompleted/.test(row)) && events.some((row) => /ExecutionCompleted/.test(row)), events.join("\n"));
    // As the dashboard shows them: each activity's input where it is scheduled, and its result where it completes.
    assert.ok(
      events.some((row) => /TaskScheduled.*helloSequence_sayHello #0 input "Tokyo"/.test(row)),
      events.join("\n"),
    );
    assert.ok(
      events.some((row) => /TaskCompleted.*helloSequence_sayHello #0 → "Hello, Tokyo!"/.test(row)),
      events.join("\n"),
    );
    assert.match((await frame.locator("#facts").textContent()) ?? "", /Output\[\s*"Hello, Tokyo!"/);
    assert.ok((await frame.locator("#timeline *").count()) > 0, "the timeline is drawn");
    assert.deepEqual(
      cspViolations.filter((text) => /history-view/.test(text)),
      [],
      "no CSP violation by the history view",
    );
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

  it("human interaction: within a second of the instance waiting, a notice names the event, and its Raise button answers it", async () => {
    await runCommand("Durable: New Orchestration from Pattern");
    await answer(/Pick an orchestration pattern|New Orchestration from Pattern/, "Human interaction");
    await answer(/Human interaction: name/, undefined); // the default name, approvalWorkflow
    await notification(/Human interaction "approvalWorkflow" written \(\d+ files?\)/, 60_000);
    // The emulator watches the app: the new orchestrator is offered once it has reloaded.
    await until(
      "approvalWorkflow among the orchestrators to run",
      async () => {
        await runCommand("Durable: Run Orchestration");
        const widget = page.locator(".quick-input-widget");
        await until("the orchestrator picker", async () => /Run which orchestrator/.test((await widget.textContent()) ?? ""), 30_000);
        if (await widget.locator(".monaco-list-row", { hasText: "approvalWorkflow" }).count()) return true;
        await page.keyboard.press("Escape");
        return false;
      },
      120_000,
    );
    await answer(/Run which orchestrator/, "approvalWorkflow");
    // The first run's input box offers the sample from the pattern's header.
    const input = page.locator(".quick-input-widget input.input");
    await until("the sample input prefilled", async () => /buy a laptop/.test(await input.inputValue()), 30_000);
    await answer(/Run approvalWorkflow/, undefined);
    const notice = await notification(/approvalWorkflow \S+ is waiting for event `Approval` or a timer at/, 60_000);
    const seenAt = Date.now();
    await shot("human-interaction-waiting-notice");
    const instanceId = /approvalWorkflow (\S+) is waiting/.exec(notice)?.[1] ?? "";
    const port = Number(/Durable :(\d+)/.exec((await page.locator(".statusbar").textContent()) ?? "")?.[1]);
    const status = (await (await fetch(`http://127.0.0.1:${port}/runtime/webhooks/durabletask/instances/${instanceId}?showHistory=true`)).json()) as {
      historyEvents: { EventType: string; Timestamp: string }[];
    };
    // It waits from the end of its first episode, when the timer is created (this test looks every 250 ms).
    const waitingSince = Date.parse(status.historyEvents.find((event) => event.EventType === "TimerCreated")?.Timestamp ?? "");
    assert.ok(seenAt - waitingSince <= 1_250, `the notice showed ${seenAt - waitingSince} ms after the instance began to wait`);
    await page.locator(".notification-toast", { hasText: "is waiting for event" }).locator(".monaco-button", { hasText: "Raise Approval…" }).first().click();
    await staysOpen(/Raise Approval/);
    await answer(/Raise Approval/, '{"approved": true, "by": "Ada"}');
    const done = await notification(new RegExp(`approvalWorkflow ${instanceId}: Completed`), 60_000);
    assert.match(done, /approved by Ada/);
    await shot("human-interaction-approved");
  });

  it("a save that does not compile shows in the status bar and the Problems panel, and a fix clears both", async () => {
    await page.locator('.tab[data-resource-name="helloSequence.ts"]').first().click();
    await page.keyboard.press("Control+End");
    await page.keyboard.press("Enter");
    await page.keyboard.type("const broken = ;");
    await page.keyboard.press("Control+s");
    const statusBar = page.locator(".statusbar");
    await until("the status bar saying the reload failed", async () => /Durable :\d+ reload failed/.test((await statusBar.textContent()) ?? ""), 60_000);
    await page.locator(".statusbar-item", { hasText: "reload failed" }).first().click(); // opens the Problems panel
    const problems = page.locator(".markers-panel");
    await until("the reload's error in Problems", async () => /could not reload the app/.test((await problems.textContent()) ?? ""), 30_000);
    await shot("reload-failed-status-bar-and-problems");
    await page.locator('.tab[data-resource-name="helloSequence.ts"]').first().click();
    // The keys go to the editor only once it has the focus back from the Problems panel (a flake in 1 of 4 runs).
    await page.locator(".editor-group-container.active .monaco-editor.focused").first().waitFor({ state: "visible", timeout: 30_000 });
    await page.keyboard.press("Control+End"); // the broken line is the last one
    await page.keyboard.press("Control+Shift+K"); // delete the broken line
    await page.keyboard.press("Control+s");
    const source = path.join(workspace, "src", "functions", "helloSequence.ts");
    await until("the fix saved", async () => !fs.readFileSync(source, "utf8").includes("const broken"), 30_000);
    await until(
      "the status bar back to the running emulator",
      async () => {
        const text = (await statusBar.textContent()) ?? "";
        return /Durable :\d+/.test(text) && !/reload failed/.test(text);
      },
      60_000,
    );
    await until("the reload's error gone from Problems", async () => !/could not reload the app/.test((await problems.textContent()) ?? ""), 30_000);
  });

  it("durable-devkit runs in VS Code's terminal, as the templates' comments say", async () => {
    await runCommand("Terminal: Create New Terminal");
    await page.locator(".terminal-wrapper .xterm").first().waitFor({ state: "visible", timeout: 60_000 });
    const written = path.join(workspace, "devkit-help.txt");
    await until(
      "the terminal to take a command",
      async () => {
        await page.locator(".terminal-wrapper .xterm").first().click();
        await page.keyboard.type("durable-devkit --help > devkit-help.txt 2>&1\n");
        return until("the command's output", async () => fs.existsSync(written) && /Usage: durable-devkit/.test(fs.readFileSync(written, "utf8")), 15_000).then(
          () => true,
          () => false,
        );
      },
      60_000,
    );
    await shot("terminal-durable-devkit");
    fs.rmSync(written, { force: true });
    await runCommand("View: Toggle Panel Visibility");
  });

  it("starts a durable debug session with F5: a JavaScript breakpoint in the orchestrator stops once, with its locals shown, then the first history event; the replays run through", async () => {
    await page.keyboard.press("Escape");
    const orchestrator = path.join(workspace, "src", "functions", "helloSequence.ts");
    const line =
      fs
        .readFileSync(orchestrator, "utf8")
        .split("\n")
        .findIndex((text) => text.includes("const outputs: string[] = [];")) + 1;
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
      .then(
        () => true,
        () => false,
      );
    if (asked) {
      await picker.locator("input.input").fill("Durable Functions (replay debugger)");
      await page.keyboard.press("Enter");
    }
    await answer(/Debug which orchestrator/, "helloSequence");
    // A launch without "input" asks for it, prefilled with the last one helloSequence ran with (empty: null).
    await answer(/Debug helloSequence/, "");
    const callStack = page.locator(".debug-call-stack");
    const variables = page.locator(".debug-variables");
    const visibleRows = (pane: typeof variables) => pane.locator(".monaco-list-row:visible").allTextContents();

    // The instance waited for js-debug to attach, so the first episode stops at the breakpoint, with the locals.
    await until(
      "the JavaScript debugger paused at the breakpoint",
      async () => /Durable app \(JavaScript\)[\s\S]*Paused on breakpoint/i.test((await callStack.textContent()) ?? ""),
      120_000,
    );
    const pausedAt = Date.now();
    // As a person sees it, touching nothing: the paused frame is focused, its locals are rows on screen in Variables.
    await until(
      "the orchestrator's locals in the Variables pane without a click",
      async () => {
        const rows = await visibleRows(variables);
        return (
          rows.some((row) => /^\s*Local: helloSequence/.test(row)) &&
          rows.some((row) => /^\s*context\b/.test(row)) &&
          rows.some((row) => /^\s*outputs\b/.test(row))
        );
      },
      30_000,
    );
    console.log(`      the locals showed ${Date.now() - pausedAt} ms after the pause`);
    await shot("javascript-breakpoint-in-orchestrator");
    await page.keyboard.press("F5"); // continue the paused JavaScript session; the breakpoint stays

    // The episodes after the first replay that line: the breakpoint does not stop there again. The replay debugger
    // stops on the first history event, focused as well, with its scopes (its trace replays the line once more).
    const frames = await until(
      "a stopped durable session in the Call Stack",
      async () => {
        const content = (await callStack.textContent()) ?? "";
        return /← ExecutionStarted/.test(content) ? content : undefined;
      },
      120_000,
    );
    assert.match(frames, /helloSequence\(null\) ← ExecutionStarted/);
    await page.locator(".debug-toolbar").waitFor({ state: "visible" });
    const scopes = await until(
      "the Event and Orchestration scopes in Variables without a click",
      async () => {
        const rows = await visibleRows(variables);
        return rows.some((row) => /^\s*Event\b/.test(row)) && rows.some((row) => /^\s*Orchestration\b/.test(row)) ? rows.join("\n") : undefined;
      },
      30_000,
    );
    assert.match(scopes, /History/);
    assert.doesNotMatch((await callStack.textContent()) ?? "", /Paused on breakpoint/, "js-debug did not stop in a replay");
    await shot("debugger-stopped-on-entry");

    // Continue: the replay debugger runs to the end of the history, which only comes if js-debug, with the breakpoint
    // still set, let the three replaying episodes (and the debugger's traces) run through. Its console (shown: it is
    // the focused session) says so, and then every session ends.
    await page.keyboard.press("F5");
    // The replay debugger ends its session at the end of the history; on a busy machine the Debug Console may already
    // show the JavaScript session's output by the time it is read, so the sessions ending on their own (nobody stops
    // them) with js-debug never paused is the same proof when the line itself has scrolled out of view.
    const outcome = await until(
      "the end of the history in the replay debugger's console (or js-debug to stop in a replay)",
      async () => {
        if (/Paused on breakpoint/i.test((await callStack.allTextContents()).join(""))) return "js-debug stopped in a replay";
        const consoleText = (await page.locator(".repl .monaco-list-row").allTextContents()).join("\n");
        const line = /helloSequence \S+: end of the history \(\w+\)/.exec(consoleText)?.[0];
        if (line) return line;
        return (await page.locator(".debug-toolbar").isVisible()) ? undefined : "every session ended by itself";
      },
      120_000,
    );
    assert.match(outcome, /end of the history \(Completed\)|every session ended by itself/);
    await until("every debug session to end", async () => !(await page.locator(".debug-toolbar").isVisible()), 60_000);
    assert.doesNotMatch((await callStack.allTextContents()).join(""), /Paused on breakpoint/i, "js-debug did not stop in a replay");
    await shot("debug-session-ended");
    await showWalkthrough();
    await until("the debug step ticked on the first stop", () => walkthroughStepDone("debug"), 30_000);
    await shot("walkthrough-debug-ticked");
  });
});
