/**
 * What an instance waits for, over real loopback HTTP, the kitchen-sink app running on the real durable-functions
 * package: the dashboard read API names the awaited event and the timer's fire time while the human-interaction
 * race waits, leaves out a timer the orchestrator cancelled, names a running activity and sub-orchestration, and
 * reports nothing once the instance has moved on or ended. The management API's Azure-shaped status gains no field.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { HistoryEventType, startServer, type EmulatorServer, type HistoryEvent, type InstanceWaits, type InstanceWaitsAnswer } from "../../emulator";
import { KITCHEN_SINK, STORES, devNull, tempDir } from "../emulator/harness";
import { request } from "./http-client";
import { emulatorClientAt } from "../../emulator/api/loopback-client";

const created = (history: HistoryEvent[]) => history.filter((event) => event.EventType === HistoryEventType.TimerCreated);
const NOTHING: InstanceWaits = { events: [], timers: [], activities: [], subOrchestrations: [] };
const WEBHOOK = "/runtime/webhooks/durabletask";

for (const store of STORES) {
  describe(`what an instance waits for, in the dashboard read API (${store} store)`, function () {
    let server: EmulatorServer;
    let origin: string;

    before(async () => {
      server = await startServer({
        appDir: KITCHEN_SINK,
        store: store === "memory" ? "memory" : path.join(tempDir(), "store.sqlite"),
        port: 0,
        appOutput: devNull(),
      });
      origin = server.http.origin;
    });
    after(async () => {
      await server?.close();
    });

    // The emulator's own client reads the answers, typed by the one contract the routes are checked against.
    const waitsOf = (id: string) => emulatorClientAt(origin).waits(id);
    const historyOf = (id: string) => emulatorClientAt(origin).history(id);
    const rowOf = async (id: string) => (await emulatorClientAt(origin).instances()).find((row) => row.instanceId === id);
    const until = async (id: string, what: string, done: (answer: InstanceWaitsAnswer) => boolean): Promise<InstanceWaitsAnswer> => {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const answer = await waitsOf(id);
        if (done(answer)) return answer;
        if (Date.now() > deadline) throw new Error(`${id} never came to ${what}: ${JSON.stringify(answer)}`);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    };
    const start = async (name: string, instanceId: string, input: unknown) => {
      const answer = await request(`${origin}${WEBHOOK}/orchestrators/${name}/${instanceId}`, { method: "POST", body: JSON.stringify(input) });
      assert.equal(answer.status, 202, answer.text);
    };
    const raise = async (id: string, eventName: string, data: unknown) => {
      const answer = await request(`${origin}${WEBHOOK}/instances/${id}/raiseEvent/${eventName}`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(data),
      });
      assert.equal(answer.status, 202, answer.text);
    };

    it("names the awaited event and the timer's fire time while the race waits, and nothing once the event was raised", async () => {
      const id = `race-${store}`;
      await start("approvalRace", id, { timeoutSeconds: 3600 });
      const waiting = await until(id, "wait for the approval", (answer) => answer.waits.events.length > 0);
      assert.equal(waiting.runtimeStatus, "Running");
      assert.equal(waiting.name, "approvalRace");
      assert.deepEqual(waiting.waits.events, ["approval"]);

      // The timer is the one the history created, an hour after the orchestrator's start time.
      const { history, waits: historyWaits } = await historyOf(id);
      const created = history.filter((event) => event.EventType === HistoryEventType.TimerCreated);
      assert.equal(created.length, 1);
      assert.deepEqual(waiting.waits.timers, [{ taskId: created[0].EventId, fireAt: created[0].FireAt }]);
      const startedAt = history.find((event) => event.EventType === HistoryEventType.OrchestratorStarted)?.Timestamp ?? "";
      assert.equal(Date.parse(waiting.waits.timers[0].fireAt) - Date.parse(startedAt), 3600_000);
      assert.deepEqual(waiting.waits.activities, []);
      assert.deepEqual(waiting.waits.subOrchestrations, []);
      // The history answer and the list say the same.
      assert.deepEqual(historyWaits, waiting.waits);
      assert.deepEqual((await rowOf(id))?.waits, waiting.waits);

      // Azure's status shape is left alone.
      const status = (await request(`${origin}${WEBHOOK}/instances/${id}`)).json() as Record<string, unknown>;
      assert.equal(status.runtimeStatus, "Running");
      assert.deepEqual(
        Object.keys(status).filter((key) => /wait|cancel/i.test(key)),
        [],
      );

      await raise(id, "approval", "Grace");
      const done = await until(id, "complete", (answer) => answer.runtimeStatus === "Completed");
      assert.deepEqual(done.waits, NOTHING);
      assert.deepEqual((await historyOf(id)).waits, NOTHING);
      const row = await rowOf(id);
      assert.equal(row?.runtimeStatus, "Completed");
      assert.equal(row && "waits" in row, false, "a finished row carries no waits");
      assert.deepEqual((await request(`${origin}${WEBHOOK}/instances/${id}`)).json().output, { approved: true, by: "Grace" });
    });

    it("leaves out a timer the orchestrator cancelled while it waits for its next event", async () => {
      const id = `confirm-${store}`;
      await start("approvalThenConfirm", id, null);
      const first = await until(id, "wait for the approval", (answer) => answer.waits.events.length > 0);
      assert.deepEqual(first.waits.events, ["approval"]);
      assert.equal(first.waits.timers.length, 1);

      await raise(id, "approval", "Ada");
      const second = await until(id, "wait for the confirmation", (answer) => answer.waits.events.includes("confirm"));
      assert.deepEqual(second.waits.events, ["confirm"]);
      // The history still has the timer without a TimerFired: only the orchestrator's cancel says it no longer counts.
      const { history } = await historyOf(id);
      assert.equal(history.filter((event) => event.EventType === HistoryEventType.TimerCreated).length, 1);
      assert.equal(history.filter((event) => event.EventType === HistoryEventType.TimerFired).length, 0);
      assert.deepEqual(second.waits.timers, []);
      // The record says where: while the approval that won the race was processed.
      const approvalAt = history.findIndex((event) => event.EventType === HistoryEventType.EventRaised && event.Name === "approval");
      assert.ok(approvalAt > 0);
      const cancelled = [{ timerId: created(history)[0].EventId, eventIndex: approvalAt }];
      assert.deepEqual((await historyOf(id)).instance.timerCancellations, cancelled);

      await raise(id, "confirm", "yes");
      const done = await until(id, "complete", (answer) => answer.runtimeStatus === "Completed");
      assert.deepEqual(done.waits, NOTHING);
      assert.deepEqual((await request(`${origin}${WEBHOOK}/instances/${id}`)).json().output, { by: "Ada", confirmation: "yes" });
      // Kept once it has ended (the timer never fires now), and never in Azure's status shape.
      assert.deepEqual((await historyOf(id)).instance.timerCancellations, cancelled);
      const status = (await request(`${origin}${WEBHOOK}/instances/${id}?showHistory=true`)).json() as Record<string, unknown>;
      assert.deepEqual(
        Object.keys(status).filter((key) => /cancel/i.test(key)),
        [],
      );
    });

    it("records no cancellation for a timer that fired, or one the orchestrator never cancelled", async () => {
      const id = `timeout-${store}`;
      await start("approvalRace", id, { timeoutSeconds: 0 });
      await until(id, "time out", (answer) => answer.runtimeStatus === "Completed");
      const { instance, history } = await historyOf(id);
      assert.equal(history.filter((event) => event.EventType === HistoryEventType.TimerFired).length, 1);
      assert.equal(instance.timerCancellations, undefined);
    });

    it("names the activity a child runs and the child its parent waits for, until they finish", async () => {
      const id = `gated-${store}`;
      const gate = path.join(tempDir(), "gate");
      await start("gatedParent", id, gate);
      const parent = await until(id, "wait for its child", (answer) => answer.waits.subOrchestrations.length > 0);
      assert.deepEqual(
        parent.waits.subOrchestrations.map(({ name, instanceId }) => ({ name, instanceId })),
        [{ name: "gatedStep", instanceId: `${id}-child` }],
      );
      assert.deepEqual([parent.waits.events, parent.waits.timers, parent.waits.activities], [[], [], []]);
      const child = await until(`${id}-child`, "run its activity", (answer) => answer.waits.activities.length > 0);
      assert.deepEqual(
        child.waits.activities.map((activity) => activity.name),
        ["waitForFile"],
      );
      assert.ok(Number.isFinite(Date.parse(child.waits.activities[0].scheduledAt)));

      fs.writeFileSync(gate, "open");
      const done = await until(id, "complete", (answer) => answer.runtimeStatus === "Completed");
      assert.deepEqual(done.waits, NOTHING);
      assert.deepEqual((await waitsOf(`${id}-child`)).waits, NOTHING);
    });

    it("answers 404 for an instance it does not have", async () => {
      const answer = await request(`${origin}/_durable/api/instances/no-such-instance`);
      assert.equal(answer.status, 404);
      assert.match(answer.text, /no-such-instance/);
    });
  });
}
