/**
 * Purge by filter over the management API (what the JS client's purgeInstanceHistoryBy calls) does what it does on
 * Azure Storage, however surprising: running instances and entities in the date range go too, and instanceIdPrefix
 * is ignored. A cleanup script tested here must not learn that in production. Each surprise is warned about.
 */
import { strict as assert } from "node:assert";
import { startServer, type EmulatorServer } from "../../emulator";
import { KITCHEN_SINK, devNull } from "../emulator/harness";
import { request } from "./http-client";

const WEBHOOK = "/runtime/webhooks/durabletask";

describe("purge by filter, as on Azure Storage", function () {
  let server: EmulatorServer;
  let origin: string;
  const warnings: string[] = [];
  before(async () => {
    server = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, appOutput: devNull() });
    origin = server.http.origin;
    server.emulator.engine.on((event) => event.kind === "warning" && warnings.push(event.message));
  });
  after(async () => {
    await server?.close();
  });

  const statusOf = async (id: string) => request(`${origin}${WEBHOOK}/instances/${encodeURIComponent(id)}`);
  const start = async (name: string, id: string, input?: unknown) => {
    const answer = await request(`${origin}${WEBHOOK}/orchestrators/${name}/${id}`, {
      method: "POST",
      body: input === undefined ? undefined : JSON.stringify(input),
    });
    assert.equal(answer.status, 202, answer.text);
  };
  const until = async (id: string, done: (status: { runtimeStatus: string }) => boolean) => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const answer = await statusOf(id);
      if (answer.status === 200 || answer.status === 202) if (done(answer.json())) return;
      if (Date.now() > deadline) throw new Error(`${id}: ${answer.text}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it("purges running instances and entities in the range and ignores instanceIdPrefix, warning about each", async () => {
    // Azure: HttpApiHandler.cs:569-596 passes only createdTimeFrom, createdTimeTo (default: now) and runtimeStatus;
    // DurableTask.AzureStorage AzureTableTrackingStore.cs:749-777 keeps the finished statuses of the filter (none
    // given: no status condition), and OrchestrationInstanceStatusQueryCondition.cs:112-166 builds the query from
    // the dates and statuses alone, entities not excluded; every instance it returns is deleted with its history.
    const from = new Date(Date.now() - 60_000).toISOString();
    await start("helloSequence", "keep-me-done");
    await until("keep-me-done", (s) => s.runtimeStatus === "Completed");
    await start("waitForever", "other-running");
    await until("other-running", (s) => s.runtimeStatus === "Running");
    await server.emulator.engine.signalEntity("counter", "purged-too", "add", 1);
    await server.emulator.engine.whenIdle();
    assert.ok(server.emulator.engine.readEntity("counter", "purged-too"));

    const purged = await request(`${origin}${WEBHOOK}/instances?createdTimeFrom=${from}&instanceIdPrefix=keep-me-`, { method: "DELETE" });
    assert.equal(purged.status, 200, purged.text);
    assert.equal(purged.json().instancesDeleted, 3);
    assert.equal((await statusOf("keep-me-done")).status, 404);
    assert.equal((await statusOf("other-running")).status, 404, "the running instance went too");
    assert.equal(server.emulator.engine.readEntity("counter", "purged-too"), undefined, "and the entity");
    const warning = warnings.find((w) => w.startsWith("Purge of instances created"));
    assert.ok(warning, warnings.join("\n"));
    assert.match(warning, /instanceIdPrefix "keep-me-" filter was ignored/);
    assert.ok(
      warnings.some((w) => /Purged instance other-running while it was Running/.test(w)),
      warnings.join("\n"),
    );
    assert.ok(
      warnings.some((w) => /Purged entity @counter@purged-too while it was Running/.test(w)),
      warnings.join("\n"),
    );
  });

  it("keeps running instances when the filter names finished statuses, and purges them all when it names only unfinished ones", async () => {
    // Azure: AzureTableTrackingStore.cs:756-760 keeps Completed, Terminated, Canceled and Failed of the filter; a
    // filter of only other statuses leaves an empty list, which GetODataFilter treats as no status condition.
    const from = new Date(Date.now() - 60_000).toISOString();
    await start("helloSequence", "finished-1");
    await until("finished-1", (s) => s.runtimeStatus === "Completed");
    await start("waitForever", "running-1");
    await until("running-1", (s) => s.runtimeStatus === "Running");
    const finishedOnly = await request(`${origin}${WEBHOOK}/instances?createdTimeFrom=${from}&runtimeStatus=Completed,Failed,Terminated`, { method: "DELETE" });
    assert.equal(finishedOnly.json().instancesDeleted, 1);
    assert.equal((await statusOf("running-1")).status, 202, "still running");
    warnings.length = 0;
    const runningOnly = await request(`${origin}${WEBHOOK}/instances?createdTimeFrom=${from}&runtimeStatus=Running`, { method: "DELETE" });
    assert.equal(runningOnly.json().instancesDeleted, 1);
    assert.equal((await statusOf("running-1")).status, 404);
    assert.ok(
      warnings.some((w) => /runtimeStatus Running names no finished status/.test(w)),
      warnings.join("\n"),
    );
  });

  it("refuses a purge by filter without createdTimeFrom, as HttpApiHandler does", async () => {
    // Azure: HttpApiHandler.cs:573-580 answers 400 "Please provide value for 'createdTimeFrom' parameter."
    const answer = await request(`${origin}${WEBHOOK}/instances?instanceIdPrefix=anything`, { method: "DELETE" });
    assert.equal(answer.status, 400);
  });

  it("purges one running instance by id, as HttpApiHandler does, and warns", async () => {
    // Azure: HttpApiHandler.cs:553-567 checks only that the instance exists, then PurgeInstanceHistoryAsync(instanceId)
    // (AzureStorageDurabilityProvider.cs:156-161 → AzureTableTrackingStore.cs:717-745) deletes it whatever its status.
    await start("waitForever", "running-purged-by-id");
    await until("running-purged-by-id", (s) => s.runtimeStatus === "Running");
    warnings.length = 0;
    const answer = await request(`${origin}${WEBHOOK}/instances/running-purged-by-id`, { method: "DELETE" });
    assert.equal(answer.status, 200, answer.text);
    assert.deepEqual(answer.json(), { instancesDeleted: 1 });
    assert.equal((await statusOf("running-purged-by-id")).status, 404);
    assert.ok(
      warnings.some((w) => /Purged instance running-purged-by-id while it was Running/.test(w)),
      warnings.join("\n"),
    );
    // The emulator's own CLI and engine API still refuse: they are not Azure's API.
    await start("waitForever", "cli-refuses");
    await until("cli-refuses", (s) => s.runtimeStatus === "Running");
    await assert.rejects(server.emulator.engine.purge("cli-refuses"), /Terminate it first/);
  });
});
