/** `start --watch`: edits reload the app without losing instances; an edit that breaks a history is reported. */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { startServer, type EmulatorServer } from "../../emulator";
import { devNull, kitchenSinkWith, waitFor } from "../emulator/harness";
import { emulatorClientAt } from "../../emulator/api/loopback-client";

describe("start --watch", function () {
  let server: EmulatorServer;
  let appDir: string;
  const logs: string[] = [];

  before(async () => {
    appDir = kitchenSinkWith({ version: "2.0" });
    server = await startServer({ appDir, store: "memory", port: 0, watch: true, appOutput: devNull(), onLog: (line) => logs.push(line) });
  });
  after(async () => {
    await server.close();
  });

  const info = () => emulatorClientAt(server.http.origin).info();
  const reloads = () => logs.filter((line) => line.startsWith("Reloaded")).length;

  it("reloads changed code: running instances carry on and new work runs the new code", async () => {
    const engine = server.emulator.engine;
    const waiting = await engine.startNew("statusReporter", { instanceId: "watch-waiting" });
    await waitFor(() => engine.getRecord(waiting)?.waitingForEvents?.includes("go") === true);

    const activities = path.join(appDir, "src", "functions", "activities.js");
    fs.writeFileSync(activities, fs.readFileSync(activities, "utf8").replace("`Hello, ${name}!`", "`Hi, ${name}!`"));
    await waitFor(() => reloads() === 1, 15_000);
    assert.match(logs.find((line) => line.startsWith("Reloaded")) ?? "", /1 unfinished instance replayed with the new code\./);

    const id = await engine.startNew("helloSequence");
    assert.deepEqual((await engine.waitForCompletion(id, 30_000)).output, ["Hi, Tokyo!", "Hi, Seattle!", "Hi, London!"]);
    await engine.raiseEvent(waiting, "go", 1);
    assert.equal((await engine.waitForCompletion(waiting, 30_000)).runtimeStatus, "Completed");
  });

  it("fails an instance whose history the edited code no longer matches, naming the line", async () => {
    const engine = server.emulator.engine;
    const shifty = await engine.startNew("shifty", { instanceId: "watch-shifty" });
    const bystander = await engine.startNew("statusReporter", { instanceId: "watch-bystander" });
    await waitFor(
      () => engine.getRecord(shifty)?.waitingForEvents?.includes("continue") === true && engine.getRecord(bystander)?.waitingForEvents?.includes("go") === true,
    );

    const before = reloads();
    const orchestrations = path.join(appDir, "src", "functions", "orchestrations.js");
    fs.writeFileSync(orchestrations, fs.readFileSync(orchestrations, "utf8").replace('process.env.DD_FIXTURE_FIRST_STEP || "sayHello"', '"double"'));
    await waitFor(() => reloads() > before, 15_000);

    const status = await engine.waitForCompletion(shifty, 30_000);
    assert.equal(status.runtimeStatus, "Failed");
    assert.match(
      status.failure?.message ?? "",
      /Non-deterministic workflow detected: .*call of activity 'sayHello' as task 0, but the current code makes a call of activity 'double' there \(at src\/functions\/orchestrations\.js:\d+:\d+\)/,
    );
    assert.ok(
      logs.some((line) => line.includes("watch-shifty: Non-deterministic")),
      logs.join("\n"),
    );
    assert.equal(engine.getStatus(bystander)?.runtimeStatus, "Running", "instances the edit does not affect carry on");
  });

  it("keeps serving with the previous state when the edited code does not load, and recovers after a fix", async () => {
    const engine = server.emulator.engine;
    const activities = path.join(appDir, "src", "functions", "activities.js");
    const good = fs.readFileSync(activities, "utf8");
    const before = logs.length;
    fs.writeFileSync(activities, `${good}\nthis is not javascript\n`);
    await waitFor(() => logs.slice(before).some((line) => line.startsWith("Reload failed")), 15_000);
    // What the editor shows (status bar, Problems): the failure, where it is, and that work waits for a fix.
    const failed = (await info()).reload;
    assert.equal(failed.state, "failed", JSON.stringify(failed));
    assert.ok(failed.state === "failed" && !failed.previousCodeRuns, "new code that does not load runs nothing until a fix");
    assert.deepEqual(failed.state === "failed" && failed.problems.map(({ file, line }) => ({ file, line })), [
      { file: activities, line: good.split("\n").length + 1 },
    ]);
    assert.match(failed.state === "failed" ? failed.problems[0].message : "", /SyntaxError/);
    const id = await engine.startNew("helloSequence", { instanceId: "watch-after-fix" });
    fs.writeFileSync(activities, good);
    assert.deepEqual((await engine.waitForCompletion(id, 15_000)).output, ["Hi, Tokyo!", "Hi, Seattle!", "Hi, London!"]);
    assert.equal((await info()).reload.state, "loaded");
  });
});
