/** Drives the real `durable-devkit` executable in child processes: exit codes, output, and error messages. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { KITCHEN_SINK, tempDir } from "./harness";
import { cli } from "./cli-runner";

describe("the durable-devkit command line", function () {
  let store: string;
  const app = ["--app", KITCHEN_SINK];
  beforeEach(() => {
    store = path.join(tempDir(), "cli.sqlite");
  });

  it("runs an orchestration and prints output and a compact history", () => {
    const result = cli(["run", "helloSequence", ...app, "--store", store]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /helloSequence \w+: Completed/);
    assert.match(result.stdout, /output: \["Hello, Tokyo!","Hello, Seattle!","Hello, London!"\]/);
    assert.match(result.stdout, /TaskScheduled\s+sayHello#0 input="Tokyo"/);
    assert.match(result.stdout, /ExecutionCompleted/);
  });

  it("prints one JSON object with --json, and the store keeps the instance for later commands", () => {
    const result = cli(["run", "countChain", ...app, "--store", store, "--input", "4", "--id", "json-run", "--json"]);
    assert.equal(result.code, 0, result.stderr);
    const parsed = JSON.parse(result.stdout);
    assert.equal(parsed.instanceId, "json-run");
    assert.equal(parsed.name, "countChain");
    assert.equal(parsed.runtimeStatus, "Completed");
    assert.equal(parsed.input, 4);
    assert.equal(parsed.output, 4);
    assert.equal(parsed.customStatus, null);
    assert.equal(parsed.history.filter((e: { EventType: number }) => e.EventType === 4).length, 4);

    const status = cli(["status", "json-run", ...app, "--store", store, "--json"]);
    assert.equal(status.code, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).output, 4);
    const list = cli(["list", ...app, "--store", store]);
    assert.match(list.stdout, /json-run\s+countChain\s+Completed/);
    const history = cli(["history", "json-run", ...app, "--store", store, "--json"]);
    assert.deepEqual(JSON.parse(history.stdout), parsed.history);
    const exported = path.join(path.dirname(store), "export.json");
    const exportResult = cli(["export", "json-run", ...app, "--store", store, "--out", exported]);
    assert.equal(exportResult.code, 0, exportResult.stderr);
    const file = JSON.parse(fs.readFileSync(exported, "utf8"));
    assert.equal(file.format, "durable-devkit.history/v1");
    assert.equal(file.name, "countChain");
    assert.equal(file.input, 4);
    assert.deepEqual(file.history, parsed.history);
  });

  it("exits 1 with the failure details when the orchestration fails", () => {
    const result = cli(["run", "throwsError", ...app, "--store", "memory"]);
    assert.equal(result.code, 1);
    assert.match(result.stdout, /Failed/);
    assert.match(result.stdout, /failure: Orchestrator function 'throwsError' failed: the orchestrator gave up/);
  });

  it("exits 3 while an instance waits for an event, and `raise` runs it on to the end", () => {
    const waiting = cli(["run", "statusReporter", ...app, "--store", store, "--id", "waiter"]);
    assert.equal(waiting.code, 3, waiting.stderr);
    assert.match(waiting.stdout, /waiting for the external event "go"/);
    assert.match(waiting.stdout, /durable-devkit raise waiter go/);
    const raised = cli(["raise", "waiter", "go", '{"ok":true}', ...app, "--store", store, "--json"]);
    assert.equal(raised.code, 0, raised.stderr);
    const status = JSON.parse(raised.stdout);
    assert.equal(status.runtimeStatus, "Completed");
    assert.deepEqual(status.customStatus, { stage: "done", go: { ok: true } });
  });

  it("terminates, rewinds, restarts and purges through commands", () => {
    assert.equal(cli(["run", "waitForever", ...app, "--store", store, "--id", "t1"]).code, 3);
    const terminated = cli(["terminate", "t1", "enough", ...app, "--store", store, "--json"]);
    assert.equal(JSON.parse(terminated.stdout).runtimeStatus, "Terminated");
    assert.equal(terminated.code, 1);
    const restarted = cli(["restart", "t1", "--new-id", ...app, "--store", store, "--json"]);
    assert.equal(restarted.code, 3);
    assert.notEqual(JSON.parse(restarted.stdout).instanceId, "t1");
    const marker = path.join(path.dirname(store), "marker.txt");
    const failed = cli(["run", "needsFile", ...app, "--store", store, "--id", "r1", "--input", JSON.stringify(marker)]);
    assert.equal(failed.code, 1);
    assert.match(failed.stdout, /missing .*marker\.txt/);
    fs.writeFileSync(marker, "fixed");
    const rewound = cli(["rewind", "r1", ...app, "--store", store, "--json"]);
    assert.equal(rewound.code, 0, rewound.stderr);
    assert.equal(JSON.parse(rewound.stdout).output, `found ${marker}`);
    const purged = cli(["purge", "--all", "--status", "Completed", ...app, "--store", store]);
    assert.match(purged.stdout, /Purged 1 instance\./);
    assert.match(cli(["status", "r1", ...app, "--store", store]).stderr, /No instance has the id "r1"/);
    // Purging by an unfinished status deletes nothing: it once matched every instance, the running one too.
    const running = JSON.parse(restarted.stdout).instanceId as string;
    assert.match(cli(["purge", "--all", "--status", "Running", ...app, "--store", store]).stdout, /Purged 0 instances\./);
    assert.equal(JSON.parse(cli(["status", running, ...app, "--store", store, "--json"]).stdout).runtimeStatus, "Running");
  });

  it("names the registered orchestrators when asked for an unknown one", () => {
    const result = cli(["run", "helloSequenc", ...app, "--store", "memory"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no orchestration function named "helloSequenc"/);
    assert.match(result.stderr, /"helloSequence"/);
  });

  it("shows where bad JSON input breaks", () => {
    const result = cli(["run", "countChain", ...app, "--store", "memory", "--input", '{"a": 1,}']);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /the input is not valid JSON/);
    assert.match(result.stderr, /line 1, column 9/);
    assert.doesNotMatch(result.stderr, /at Object\.|\.js:\d+:\d+/, "no stack trace");
  });

  it("says what it looked for in a folder that holds no app", () => {
    const empty = tempDir();
    const result = cli(["run", "anything", "--app", empty, "--store", "memory"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /No Functions app in .*: there is no package\.json/);
    const missing = cli(["run", "anything", "--app", path.join(empty, "nope"), "--store", "memory"]);
    assert.match(missing.stderr, /does not exist/);
  });

  it("names the missing durable-functions package and the fix", () => {
    const dir = tempDir();
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ main: "index.js" }));
    fs.writeFileSync(path.join(dir, "index.js"), "");
    const result = cli(["run", "x", "--app", dir, "--store", "memory"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /does not have the "@azure\/functions" package installed\. Run `npm install @azure\/functions`/);
  });

  it("answers usage mistakes with exit code 2 and a pointer to --help", () => {
    const result = cli(["run"]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /durable-devkit run --help/);
    const unknown = cli(["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown command "frobnicate"/);
    for (const command of ["run", "status", "list", "history", "raise", "terminate", "purge", "export", "wait"]) {
      const help = cli([command, "--help"]);
      assert.equal(help.code, 0, command);
      assert.match(help.stdout, new RegExp(`Usage: durable-devkit ${command}`));
    }
  });
});
