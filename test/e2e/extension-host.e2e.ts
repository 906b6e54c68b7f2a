/**
 * The extension-host suite (test/extension-host/suite) in code-server's extension host: the same tests
 * @vscode/test-electron runs where VS Code can be downloaded. The workbench is given the repository as a development
 * extension and the suite as its tests through its `payload` query; the suite's mocha reports to the browser console.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import { launchChromium } from "../chromium";
import { prepareWorkspace } from "../extension-host/workspace";
import { ROOT, installCodeServer, startCodeServer, until, writeUserSettings, type CodeServer } from "./code-server";

describe("the extension-host suite in code-server", function () {
  this.timeout(600_000);
  let server: CodeServer | undefined;
  let browser: Browser | undefined;
  let workspace: string | undefined;
  after(async () => {
    await browser?.close();
    server?.stop();
    if (workspace) fs.rmSync(workspace, { recursive: true, force: true });
  });

  it("passes every test in a real extension host", async () => {
    assert.ok(fs.existsSync(path.join(ROOT, "out", "extension.js")), "out/extension.js: run `npm run package` first (npm run test:e2e does)");
    const entry = installCodeServer();
    const profile = fs.mkdtempSync(path.join(os.tmpdir(), "durable-ext-host-profile-"));
    writeUserSettings(path.join(profile, "user-data"));
    workspace = prepareWorkspace(ROOT);
    server = await startCodeServer(entry, { userData: path.join(profile, "user-data"), extensions: path.join(profile, "extensions"), folder: workspace });

    browser = await launchChromium();
    const page = await browser.newPage();
    const consoleLines: string[] = [];
    page.on("console", (message) => consoleLines.push(message.text()));
    const remote = `vscode-remote://127.0.0.1:${server.port}`;
    const payload = JSON.stringify([
      ["extensionDevelopmentPath", `${remote}${ROOT}`],
      ["extensionTestsPath", `${remote}${path.join(ROOT, "dist", "test", "extension-host", "suite")}`],
    ]);
    await page.goto(`${server.origin}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(payload)}`);

    // mocha's spec reporter prints "%d passing" (and "%d failing") with printf-style arguments after the format.
    const summary = await until("the suite's summary", async () => consoleLines.find((line) => /%d passing/.test(line)), 480_000);
    const failures = consoleLines.filter((line) => /extension-host test\(s\) failed/.test(line));
    const passed = consoleLines
      .filter((line) => /✔/.test(line))
      .map((line) =>
        line
          .replace(/\u001b\[[0-9;]*m|\(%dms\)|%s/g, "")
          .replace(/^.*?✔/, "✔")
          .replace(/\s+/g, " ")
          .replace(/ (\d+)$/, " ($1 ms)")
          .trim(),
      );
    for (const line of passed) console.log(`      ${line}`);
    // What a test measured in VS Code (it logs "[measured] …"), for the record.
    for (const line of consoleLines.filter((text) => text.includes("[measured]")))
      console.log(
        `      ${line
          .slice(line.indexOf("[measured]"))
          .replace(/\u001b\[[0-9;]*m|%c/g, "")
          .trim()}`,
      );
    assert.deepEqual(failures, [], failures.join("\n"));
    assert.match(summary, /passing/);
    assert.ok(passed.length >= 10, `every extension-host test ran (${passed.length} passed)`);
  });
});
