/**
 * The extension's live updates by push: `watchEmulator` reads the real emulator's event stream over loopback and hears
 * instance changes and reloads of the watched app (the Instances view, status bar and Problems follow it with no
 * polling); bursts arrive as one delivery; after dispose nothing more arrives.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { startServer, type EmulatorServer } from "../../emulator";
import { devNull, kitchenSinkWith, waitFor } from "../emulator/harness";
import { watchEmulator, type EmulatorChange } from "../../emulator/api/emulator-watch";

describe("the extension's live updates (server-sent events)", function () {
  let server: EmulatorServer;
  let appDir: string;

  before(async () => {
    appDir = kitchenSinkWith({ version: "2.0" });
    server = await startServer({ appDir, store: "memory", port: 0, watch: true, appOutput: devNull(), onLog: () => undefined });
  });
  after(async () => {
    await server.close();
  });

  it("hears instance changes and app reloads, coalesces bursts, and stops when disposed", async () => {
    const deliveries: Set<EmulatorChange>[] = [];
    const watch = watchEmulator(server.http.origin, (changes) => deliveries.push(changes));
    await waitFor(() => deliveries.some((changes) => changes.has("connected")));

    const engine = server.emulator.engine;
    const id = await engine.startNew("helloSequence");
    await engine.waitForCompletion(id, 30_000);
    await waitFor(() => deliveries.some((changes) => changes.has("instance")));
    // One instance's run makes many record updates; they arrive as far fewer deliveries than updates.
    const instanceDeliveries = deliveries.filter((changes) => changes.has("instance")).length;
    assert.ok(instanceDeliveries <= 6, `${instanceDeliveries} deliveries for one short run`);

    const activities = path.join(appDir, "src", "functions", "activities.js");
    fs.writeFileSync(activities, fs.readFileSync(activities, "utf8").replace("`Hello, ${name}!`", "`Hi, ${name}!`"));
    await waitFor(() => deliveries.some((changes) => changes.has("reload")), 15_000);

    watch.dispose();
    const count = deliveries.length;
    const after = await engine.startNew("helloSequence");
    await engine.waitForCompletion(after, 30_000);
    // Wait for something observable past the point a delivery would have arrived: the emulator's own stream sees it.
    const seen: string[] = [];
    const probe = watchEmulator(server.http.origin, (changes) => seen.push(...changes));
    await waitFor(() => seen.includes("connected"));
    const third = await engine.startNew("helloSequence");
    await engine.waitForCompletion(third, 30_000);
    await waitFor(() => seen.includes("instance"));
    probe.dispose();
    assert.equal(deliveries.length, count, "no delivery after dispose");
  });
});
