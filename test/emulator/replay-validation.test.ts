/**
 * `durable-devkit replay` on histories that are damaged or mislabelled: each is bad input (exit 2, a message that
 * names the event and the problem), never "failed unexpectedly" with the package's stack, and never "ok".
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { HistoryEventType as T, type HistoryEvent } from "../../emulator";
import { cli } from "./cli-runner";
import { KITCHEN_SINK, tempDir } from "./harness";

interface ExportFile {
  name: string;
  history: HistoryEvent[];
  [key: string]: unknown;
}

describe("durable-devkit replay on damaged histories", function () {
  this.timeout(120_000);
  const app = ["--app", KITCHEN_SINK];
  let dir: string;
  let pristine: ExportFile;

  before(() => {
    dir = tempDir();
    const store = path.join(dir, "store.sqlite");
    assert.equal(cli(["run", "helloSequence", ...app, "--store", store, "--id", "seq"]).code, 0);
    const file = path.join(dir, "seq.json");
    assert.equal(cli(["export", "seq", ...app, "--store", store, "--out", file]).code, 0);
    pristine = JSON.parse(fs.readFileSync(file, "utf8")) as ExportFile;
    assert.equal(cli(["replay", file, ...app]).code, 0, "the export itself replays cleanly");
  });

  function replayVariant(name: string, change: (copy: ExportFile) => void): { code: number | null; stderr: string } {
    const copy = JSON.parse(JSON.stringify(pristine)) as ExportFile;
    change(copy);
    const file = path.join(dir, `${name}.json`);
    fs.writeFileSync(file, JSON.stringify(copy));
    const result = cli(["replay", file, ...app]);
    assert.doesNotMatch(result.stderr, /failed unexpectedly|\n\s+at /, `${name}: no stack trace`);
    return result;
  }

  const first = (history: HistoryEvent[], type: T) => history.find((event) => event.EventType === type)!;

  it("refuses a result that is not JSON text, naming the event", () => {
    const result = replayVariant("bad-result", (copy) => (first(copy.history, T.TaskCompleted).Result = "{not json"));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /Event \d+ of .*bad-result\.json \(TaskCompleted\): Result is not JSON text/);
  });

  it("refuses a completion without its TaskScheduledId", () => {
    const result = replayVariant("no-task-id", (copy) => delete first(copy.history, T.TaskCompleted).TaskScheduledId);
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /\(TaskCompleted\) has no TaskScheduledId/);
  });

  it("refuses a history whose events are repeated, whole or in part", () => {
    const whole = replayVariant("doubled", (copy) => (copy.history = [...copy.history, ...copy.history]));
    assert.equal(whole.code, 2, whole.stderr);
    assert.match(whole.stderr, /a second ExecutionStarted/);
    const part = replayVariant("repeated-task", (copy) => {
      const scheduled = copy.history.findIndex((event) => event.EventType === T.TaskScheduled);
      copy.history.splice(scheduled + 1, 0, { ...copy.history[scheduled] });
    });
    assert.equal(part.code, 2, part.stderr);
    assert.match(part.stderr, /repeats task id 0, which event \d+ already scheduled/);
  });

  it("refuses a history relabelled as another orchestrator", () => {
    const result = replayVariant("relabelled", (copy) => (copy.name = "approvalRace"));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /says it is a history of "approvalRace", but its ExecutionStarted event started "helloSequence"/);
  });
});
