/** Durable entities: signals and calls from orchestrations, clients, the CLI and HTTP, on both stores. */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as path from "node:path";
import { HistoryEventType, startServer, type Emulator } from "../../emulator";
import { SqlJsStore } from "../../emulator/store/sqljs-store";
import { STORES, KITCHEN_SINK, devNull, emulatorFor, runToEnd, tempDir } from "./harness";
import { BIN, cli } from "./cli-runner";
import { request } from "../http/http-client";

for (const store of STORES) {
  describe(`durable entities on the ${store} store`, function () {
    let emulator: Emulator;
    before(async () => {
      emulator = await emulatorFor(store);
    });
    after(async () => {
      await emulator.close();
    });

    it("counts exactly 10,000 signals sent by 100 concurrent orchestrations", async () => {
      const key = `ten-thousand-${store}`;
      const ids = await Promise.all(Array.from({ length: 100 }, () => emulator.engine.startNew("signalCounter", { input: { key, times: 100 } })));
      for (const id of ids) assert.equal((await emulator.engine.waitForCompletion(id, 60_000)).runtimeStatus, "Completed");
      await emulator.engine.whenIdle();
      assert.deepEqual(emulator.engine.readEntity("counter", key)?.state, 10_000);
      const history = emulator.engine.getHistory(ids[0]);
      assert.equal(history.filter((e) => e.EventType === 14 /* EventSent */).length, 100);
    });

    it("answers calls, and keeps the state an operation set before it threw, as Azure does", async () => {
      const key = `calls-${store}`;
      assert.equal((await runToEnd(emulator, "callCounter", { key, amount: 4 })).output, 4);
      assert.equal((await runToEnd(emulator, "callCounter", { key, amount: 6 })).output, 10);
      const failure = await runToEnd(emulator, "entityFailure", `failing-${store}`);
      assert.equal(failure.runtimeStatus, "Completed");
      // Azure: durable-functions runs every operation of the batch on one state and records JSON.stringify(error)
      // for a failed one (lib/src/entities/Entity.js:36-50); the extension keeps the batch's final state and answers
      // the caller { result: "{}", exceptionType: "Error" } (TaskEntityShim.cs:609-675), read back as Error({}).
      assert.deepEqual(failure.output, { message: "[object Object]", value: 1005 });
    });

    it("deletes entities, cleans their storage, and lets entities signal entities", async () => {
      await emulator.engine.signalEntity("counter", `from-${store}`, "add", 3);
      await emulator.engine.signalEntity("counter", `from-${store}`, "forward", { to: `to-${store}`, amount: 7 });
      await emulator.engine.whenIdle();
      assert.equal(emulator.engine.readEntity("counter", `to-${store}`)?.state, 7);
      await emulator.engine.signalEntity("counter", `from-${store}`, "delete");
      await emulator.engine.whenIdle();
      assert.equal(emulator.engine.readEntity("counter", `from-${store}`), undefined);
      assert.ok((await emulator.engine.cleanEntityStorage()) >= 1);
      assert.ok(!emulator.engine.listEntities().some((record) => record.instanceId === `@counter@from-${store}`));
      assert.ok(emulator.engine.listEntities().some((record) => record.instanceId === `@counter@to-${store}`));
      assert.ok(!emulator.engine.list().instances.some((record) => record.instanceId.startsWith("@")), "entities are not listed as instances");
    });
  });
}

describe("durable entities over HTTP and the CLI", function () {
  it("reads and signals entities through the JS durable client and the management API", async () => {
    const server = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, appOutput: devNull() });
    try {
      const client = async (args: object) => {
        const answer = await request(`${server.http.origin}/api/client/${(args as { op: string }).op}`, { method: "POST", body: JSON.stringify(args) });
        assert.equal(answer.status, 200, answer.text);
        return answer.json().result;
      };
      await client({ op: "signalEntity", name: "counter", key: "http", operation: "add", input: 41 });
      await server.emulator.engine.whenIdle();
      assert.deepEqual(await client({ op: "readEntityState", name: "counter", key: "http" }), { entityExists: true, entityState: 41 });
      assert.deepEqual(await client({ op: "readEntityState", name: "counter", key: "nobody" }), { entityExists: false });

      const api = `${server.http.origin}/runtime/webhooks/durabletask/entities`;
      // As in Azure, a body is JSON only when sent as application/json (other content is the input as a string).
      const json = { "Content-Type": "application/json" };
      assert.equal((await request(`${api}/counter/http?op=add`, { method: "POST", headers: json, body: "1" })).status, 202);
      await server.emulator.engine.whenIdle();
      const read = await request(`${api}/counter/http`);
      assert.equal(read.status, 200);
      assert.equal(read.json(), 42);
      assert.equal((await request(`${api}/counter/nobody`)).status, 404);
      // As in Azure, a signal without ?op= is the operation "" (the counter refuses it; its state stays).
      assert.equal((await request(`${api}/counter/http`, { method: "POST" })).status, 202);
      await server.emulator.engine.whenIdle();
      assert.equal((await request(`${api}/counter/http`)).json(), 42);
      const listed = (await request(`${api}/counter?fetchState=true`)).json();
      assert.deepEqual(listed.find((e: { entityId: { key: string } }) => e.entityId.key === "http")?.state, 42);

      // The aggregator pattern over HTTP: readings in, summary out.
      for (const value of [3, 9, 6])
        assert.equal((await request(`${api}/aggregator/sensor?op=record`, { method: "POST", headers: json, body: String(value) })).status, 202);
      await server.emulator.engine.whenIdle();
      assert.deepEqual((await request(`${api}/aggregator/sensor`)).json(), { count: 3, sum: 18, min: 3, max: 9 });
    } finally {
      await server.close();
    }
  });

  it("runs the aggregator pattern through the CLI", () => {
    const store = path.join(tempDir(), "aggregator.sqlite");
    const app = ["--app", KITCHEN_SINK, "--store", store];
    for (const value of [10, 20, 60]) assert.equal(cli(["entity", "signal", "aggregator", "room1", "record", String(value), ...app]).code, 0);
    const got = cli(["entity", "get", "aggregator", "room1", ...app, "--json"]);
    assert.equal(got.code, 0, got.stderr);
    assert.deepEqual(JSON.parse(got.stdout).state, { count: 3, sum: 90, min: 10, max: 60 });
    const listed = JSON.parse(cli(["entity", "list", ...app, "--json"]).stdout);
    assert.deepEqual(
      listed.map((e: { name: string; key: string }) => `${e.name}/${e.key}`),
      ["aggregator/room1"],
    );
    assert.equal(cli(["entity", "get", "aggregator", "nobody", ...app]).code, 1);
  });

  it("loses no acknowledged signal when the emulator is killed mid-stream", async () => {
    const store = path.join(tempDir(), "signals.sqlite");
    const app = ["--app", KITCHEN_SINK, "--store", store];
    const child = spawn(process.execPath, [BIN, "run", "signalSlowly", ...app, "--id", "stream", "--input", '{"key":"stream","times":150,"ms":5,"log":true}']);
    // Killed at a point it has seen (30 signals sent), not after a number of milliseconds.
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        if (stdout.includes("signalSlowly sent 30\n") && child.exitCode === null) {
          child.kill("SIGKILL");
          resolve();
        }
      });
      child.on("exit", (code, signal) => signal !== "SIGKILL" && reject(new Error(`the run ended (code ${code}) before it could be killed: ${stderr}`)));
    });
    if (child.exitCode === null && child.signalCode === null) await new Promise((resolve) => child.once("exit", resolve));
    const midway = JSON.parse(cli(["entity", "get", "counter", "stream", ...app, "--json"]).stdout || '{"state":0}').state as number;
    assert.ok(midway < 150, `the kill came mid-stream (count ${midway})`);
    const resumed = cli(["wait", "stream", ...app, "--json"]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.equal(JSON.parse(cli(["entity", "get", "counter", "stream", ...app, "--json"]).stdout).state, 150);
  });

  it("refuses orchestration-only operations on an entity id, and the entity loses no signal", async () => {
    // Reported: `terminate @counter@q` was accepted, and the entity's next batch then threw and dropped its signals.
    const store = path.join(tempDir(), "refuse.sqlite");
    const app = ["--app", KITCHEN_SINK, "--store", store];
    assert.equal(cli(["entity", "signal", "counter", "q", "add", "1", ...app]).code, 0);
    for (const args of [
      ["terminate", "@counter@q"],
      ["raise", "@counter@q", "ping", "null"],
      ["suspend", "@counter@q"],
      ["rewind", "@counter@q"],
      ["restart", "@counter@q"],
    ]) {
      const refused = cli([...args, ...app]);
      assert.equal(refused.code, 2, `${args[0]}: ${refused.stderr}`);
      assert.match(refused.stderr, /"@counter@q": it is a durable entity, not an orchestration instance/);
      assert.doesNotMatch(refused.stderr, /\n\s+at /, "no stack trace");
    }
    assert.equal(cli(["entity", "signal", "counter", "q", "add", "1", ...app]).code, 0);
    assert.equal(JSON.parse(cli(["entity", "get", "counter", "q", ...app, "--json"]).stdout).state, 2);
  });

  it("dead-letters a queued message the entity cannot take, says so, and runs the operations around it", async () => {
    // A store written before the refusal above can hold such a message; it must never block the queue again.
    const file = path.join(tempDir(), "poisoned.sqlite");
    const app = ["--app", KITCHEN_SINK, "--store", file];
    assert.equal(cli(["entity", "signal", "counter", "p", "add", "1", ...app]).code, 0);
    const store = new SqlJsStore(file);
    const { lastId } = await store.open();
    const at = new Date().toISOString();
    store.commit({
      addMessages: [
        {
          id: lastId + 1,
          instanceId: "@counter@p",
          event: { EventType: HistoryEventType.ExecutionTerminated, EventId: -1, Timestamp: at, IsPlayed: false, Input: "null" },
        },
        {
          id: lastId + 2,
          instanceId: "@counter@p",
          event: { EventType: HistoryEventType.EventRaised, EventId: -1, Timestamp: at, IsPlayed: false, Name: "op", Input: "null" },
        },
        {
          id: lastId + 3,
          instanceId: "@counter@p",
          event: {
            EventType: HistoryEventType.EventRaised,
            EventId: -1,
            Timestamp: at,
            IsPlayed: false,
            Name: "op",
            Input: JSON.stringify({ id: "queued", op: "add", signal: true, input: "5" }),
          },
        },
      ],
    });
    await store.flush();
    await store.close();
    const signalled = cli(["entity", "signal", "counter", "p", "add", "1", ...app]);
    assert.equal(signalled.code, 0, signalled.stderr);
    assert.match(signalled.stderr, /Entity @counter@p dropped a message it cannot process: a ExecutionTerminated message is not an entity operation/);
    assert.match(signalled.stderr, /dropped a message it cannot process: the operation message has no operation name or id/);
    assert.equal(JSON.parse(cli(["entity", "get", "counter", "p", ...app, "--json"]).stdout).state, 7);
    // Gone from the queue: the next run has nothing to warn about.
    const again = cli(["entity", "signal", "counter", "p", "add", "1", ...app]);
    assert.doesNotMatch(again.stderr, /dropped a message/);
    assert.equal(JSON.parse(cli(["entity", "get", "counter", "p", ...app, "--json"]).stdout).state, 8);
  });

  it("answers 400 over HTTP to an orchestration operation on an entity id", async () => {
    const server = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, appOutput: devNull() });
    try {
      await server.emulator.engine.signalEntity("counter", "web", "add", 1);
      await server.emulator.engine.whenIdle();
      const base = `${server.http.origin}/runtime/webhooks/durabletask/instances/${encodeURIComponent("@counter@web")}`;
      for (const route of ["terminate", "raiseEvent/ping", "suspend", "resume", "rewind"]) {
        const answer = await request(`${base}/${route}`, { method: "POST", body: "null", headers: { "content-type": "application/json" } });
        assert.equal(answer.status, 400, `${route}: ${answer.text}`);
        assert.match(answer.text, /durable entity, not an orchestration instance/);
      }
      await server.emulator.engine.signalEntity("counter", "web", "add", 1);
      await server.emulator.engine.whenIdle();
      assert.equal(server.emulator.engine.readEntity("counter", "web")?.state, 2);
    } finally {
      await server.close();
    }
  });
});
