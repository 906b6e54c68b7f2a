/** The SQLite file store: crash safety with kill -9, and clear refusals for files that are not ours. */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import initSqlJs = require("sql.js");
import { HistoryEventType as T, type HistoryEvent } from "../../emulator";
import { SqlJsStore } from "../../emulator/store/sqljs-store";
import { BIN, cli } from "./cli-runner";
import { KITCHEN_SINK, tempDir } from "./harness";

const app = ["--app", KITCHEN_SINK];

function assertNoDuplicates(history: HistoryEvent[]): void {
  const scheduled = history.filter((e) => e.EventType === T.TaskScheduled).map((e) => e.EventId);
  const completed = history.filter((e) => e.EventType === T.TaskCompleted).map((e) => e.TaskScheduledId);
  assert.equal(new Set(scheduled).size, scheduled.length, "a TaskScheduled event is duplicated");
  assert.equal(new Set(completed).size, completed.length, "a TaskCompleted event is duplicated");
  assert.equal(history.filter((e) => e.EventType === T.ExecutionStarted).length, 1);
  assert.equal(history.filter((e) => e.EventType === T.ExecutionCompleted).length, 1);
}

describe("the SQLite file store", function () {
  // Kill points the test observes, never a number of milliseconds (a loaded machine moves them): as soon as the run
  // says it started, and once so many activities have finished in the app (each prints a line).
  for (const killAfterActivities of [0, 20, 150]) {
    const when = killAfterActivities === 0 ? "as the run starts" : `after ${killAfterActivities} activities finished`;
    it(`survives kill -9 ${when} in a 200-activity fan-out and completes exactly once after restart`, async () => {
      const store = path.join(tempDir(), "crash.sqlite");
      const child = spawn(process.execPath, [
        BIN,
        "run",
        "slowFanOut",
        ...app,
        "--store",
        store,
        "--id",
        "crash",
        "--input",
        '{"count":200,"ms":60,"log":true}',
      ]);
      let stderr = "";
      let stdout = "";
      await new Promise<void>((resolve, reject) => {
        const killWhenReached = () => {
          const finished = stdout.match(/slowEcho \d+ done/g)?.length ?? 0;
          if (stderr.includes("Started slowFanOut") && finished >= killAfterActivities && child.exitCode === null) {
            child.kill("SIGKILL");
            resolve();
          }
        };
        child.stderr.on("data", (chunk) => {
          stderr += chunk;
          killWhenReached();
        });
        child.stdout.on("data", (chunk) => {
          stdout += chunk;
          killWhenReached();
        });
        child.on("exit", (code, signal) => signal !== "SIGKILL" && reject(new Error(`the run ended (code ${code}) before it could be killed: ${stderr}`)));
      });
      if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once("exit", resolve));
      const interrupted = cli(["status", "crash", ...app, "--store", store, "--json"]);
      // Killed as it starts, the instance may not have run its first episode yet (Pending).
      assert.match(JSON.parse(interrupted.stdout).runtimeStatus, /^(Pending|Running)$/, "the kill interrupted the run");

      const resumed = cli(["wait", "crash", ...app, "--store", store, "--json"]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const result = JSON.parse(resumed.stdout);
      assert.equal(result.runtimeStatus, "Completed");
      assert.equal(result.output, (199 * 200) / 2);
      assertNoDuplicates(result.history);
      assert.equal(result.history.filter((e: HistoryEvent) => e.EventType === T.TaskCompleted).length, 200);
    });
  }

  it("refuses a file that is not a database, names it, and leaves it untouched", () => {
    const file = path.join(tempDir(), "notes.sqlite");
    fs.writeFileSync(file, "these are my notes, not a database\n".repeat(200));
    const before = fs.readFileSync(file);
    const result = cli(["run", "helloSequence", ...app, "--store", file]);
    assert.equal(result.code, 2, "a store file that is not ours is a usage error");
    assert.match(result.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is not a Durable Devkit store`));
    assert.match(result.stderr, /left untouched/);
    assert.doesNotMatch(result.stderr, /\n\s+at /, "no stack trace");
    assert.deepEqual(fs.readFileSync(file), before);
  });

  it("refuses another program's SQLite database", async () => {
    const SQL = await initSqlJs();
    const db = new SQL.Database();
    db.run("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO customers VALUES (1, 'Ada');");
    const file = path.join(tempDir(), "crm.sqlite");
    fs.writeFileSync(file, db.export());
    const before = fs.readFileSync(file);
    const result = cli(["list", ...app, "--store", file]);
    assert.equal(result.code, 2, "a store file that is not ours is a usage error");
    assert.match(result.stderr, /SQLite database of some other program/);
    assert.deepEqual(fs.readFileSync(file), before);
  });

  it("refuses a store written by a newer schema", async () => {
    const file = path.join(tempDir(), "future.sqlite");
    const store = new SqlJsStore(file);
    await store.open();
    await store.close();
    const SQL = await initSqlJs();
    const db = new SQL.Database(fs.readFileSync(file));
    db.run("PRAGMA user_version = 99");
    fs.writeFileSync(file, db.export());
    await assert.rejects(() => new SqlJsStore(file).open(), /written by a newer Durable Devkit \(store schema 99/);
  });

  it("drops only a torn last journal record, and refuses a journal damaged in the middle", async () => {
    const file = path.join(tempDir(), "journal.sqlite");
    const store = new SqlJsStore(file);
    await store.open();
    // Commit two batches and crash before any checkpoint: only the journal holds them.
    const record = (id: string) => ({
      instanceId: id,
      name: "x",
      executionId: "e",
      runtimeStatus: "Running" as const,
      createdTime: "2026-01-01T00:00:00.000Z",
      lastUpdatedTime: "2026-01-01T00:00:00.000Z",
    });
    store.commit({ upsertInstances: [record("a")] });
    store.commit({ upsertInstances: [record("b")] });
    await store.flush();
    fs.rmSync(`${file}.lock`);
    const journal = fs.readFileSync(`${file}.ddlog`, "utf8");
    fs.appendFileSync(`${file}.ddlog`, journal.split("\n")[0].slice(0, 40)); // a torn third write

    const reopened = new SqlJsStore(file);
    const snapshot = await reopened.open();
    assert.deepEqual(snapshot.activeInstances.map((r) => r.instanceId).sort(), ["a", "b"]);
    await reopened.close();

    // Damage the middle of a journal: the store must refuse rather than lose records silently.
    const again = new SqlJsStore(file);
    await again.open();
    again.commit({ upsertInstances: [record("c")] });
    again.commit({ upsertInstances: [record("d")] });
    await again.flush();
    fs.rmSync(`${file}.lock`);
    const lines = fs.readFileSync(`${file}.ddlog`, "utf8").split("\n");
    lines[0] = lines[0].replace('"c"', '"C"');
    fs.writeFileSync(`${file}.ddlog`, lines.join("\n"));
    await assert.rejects(() => new SqlJsStore(file).open(), /journal .* is damaged at record 1 of 2/);
  });

  it("lets read-only commands look while another process holds the store, and refuses a second writer", async () => {
    const file = path.join(tempDir(), "busy.sqlite");
    const writer = new SqlJsStore(file);
    await writer.open();
    writer.commit({
      upsertInstances: [
        {
          instanceId: "live",
          name: "x",
          executionId: "e",
          runtimeStatus: "Running",
          createdTime: "2026-01-01T00:00:00.000Z",
          lastUpdatedTime: "2026-01-01T00:00:00.000Z",
        },
      ],
    });
    await writer.flush();
    try {
      const list = cli(["list", ...app, "--store", file]);
      assert.equal(list.code, 0, list.stderr);
      assert.match(list.stdout, /live\s+x\s+Running/);
      const run = cli(["run", "helloSequence", ...app, "--store", file]);
      assert.equal(run.code, 1);
      assert.match(run.stderr, new RegExp(`in use by another durable-devkit process \\(pid ${process.pid}\\)`));
    } finally {
      await writer.close();
    }
  });
});
