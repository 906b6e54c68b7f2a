/** The `durable-devkit` command where a person's shell meets it: a pipe closed early, an app that never loads. */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { BIN } from "./cli-runner";
import { KITCHEN_SINK, kitchenSinkWith } from "./harness";

function collect(child: ReturnType<typeof spawn>): { stderr: () => string; exited: Promise<number | null> } {
  let stderr = "";
  child.stderr?.on("data", (chunk) => (stderr += chunk));
  return { stderr: () => stderr, exited: new Promise((resolve) => child.on("exit", (code) => resolve(code))) };
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("the durable-devkit command in a shell", function () {
  this.timeout(120_000);

  it("finishes quietly when its reader closes the pipe early, as `| head` does", async () => {
    // Reported: EPIPE was thrown and the command died "failed unexpectedly" mid-run.
    const child = spawn(process.execPath, [BIN, "run", "slowFanOut", "--app", KITCHEN_SINK, "--store", "memory", "--json", "--input", '{"count":300,"ms":1}']);
    child.stdout.destroy();
    const { stderr, exited } = collect(child);
    assert.equal(await exited, 0, stderr());
    assert.doesNotMatch(stderr(), /EPIPE|failed unexpectedly/);
  });

  it("says what it waits for when the app never finishes loading", async () => {
    const app = kitchenSinkWith({ version: "2.0" });
    fs.writeFileSync(path.join(app, "src", "functions", "zz-startup.js"), "// a top-level busy wait: the app never finishes loading\nfor (;;) {}\n");
    const child = spawn(process.execPath, [BIN, "run", "helloSequence", "--app", app, "--store", "memory"]);
    const { stderr, exited } = collect(child);
    const deadline = Date.now() + 60_000;
    while (!/Still loading the app after \d+ s/.test(stderr()) && Date.now() < deadline && child.exitCode === null) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    child.kill("SIGINT");
    await exited;
    // The stuck app process does not outlive the command (spinning, it cannot see the IPC channel close).
    const appProcess = Number(/app process (\d+)/.exec(stderr())?.[1]);
    assert.ok(appProcess > 0, `the warning names the app's process: ${stderr()}`);
    const gone = Date.now() + 30_000;
    while (isRunning(appProcess) && Date.now() < gone) await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(isRunning(appProcess), false, `the app process ${appProcess} is still running`);
    assert.match(stderr(), /warning: Still loading the app after \d+ s: src\/functions\/zz-startup\.js has not finished running/);
  });
});
