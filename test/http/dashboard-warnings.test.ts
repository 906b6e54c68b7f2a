/**
 * The engine's warnings reach the dashboard (as well as the CLI's stderr): the read API lists them, all or by
 * instance, so a warning about Azure behaving differently from what the user expects is seen where they look.
 */
import { strict as assert } from "node:assert";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { startServer, type EmulatorServer } from "../../emulator";
import { KITCHEN_SINK, devNull } from "../emulator/harness";
import { request } from "./http-client";
import { emulatorClientAt } from "../../emulator/api/loopback-client";

const WEBHOOK = "/runtime/webhooks/durabletask";

describe("warnings in the dashboard read API", function () {
  let server: EmulatorServer;
  let origin: string;
  before(async () => {
    server = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, appOutput: devNull() });
    origin = server.http.origin;
  });
  after(async () => {
    await server?.close();
  });

  const runToEnd = async (name: string, instanceId: string, input: unknown) => {
    const started = await request(`${origin}${WEBHOOK}/orchestrators/${name}/${instanceId}`, { method: "POST", body: JSON.stringify(input) });
    assert.equal(started.status, 202, started.text);
    const deadline = Date.now() + 30_000;
    for (;;) {
      // 202 while it runs, 200 once it is done.
      const status = (await request(`${origin}${WEBHOOK}/instances/${instanceId}`)).json() as { runtimeStatus: string };
      if (["Completed", "Failed", "Terminated"].includes(status.runtimeStatus)) return status;
      if (Date.now() > deadline) throw new Error(`${instanceId} did not finish`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };

  it("lists every warning, and an instance's own with its history", async () => {
    const target = http.createServer((_request, response) => response.writeHead(202, { Location: "/status", "Retry-After": "0" }).end());
    await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
    try {
      const url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/start`;
      assert.equal((await runToEnd("httpProbe", "relative-location", { method: "GET", url })).runtimeStatus, "Completed");
      await runToEnd("fragileCaller", "fragile-caller", "dash");
      const client = emulatorClientAt(origin);
      const all = await client.warnings();
      assert.ok(
        all.warnings.some((w) => w.instanceId === "relative-location" && /not an absolute http\(s\) URL/.test(w.message)),
        JSON.stringify(all),
      );
      assert.ok(
        all.warnings.some((w) => w.instanceId === "@fragile@dash" && /threw Error: nope/.test(w.message)),
        JSON.stringify(all),
      );
      const own = await client.history("relative-location");
      assert.equal(own.warnings.length, 1);
      assert.match(own.warnings[0].message, /Location "\/status"/);
    } finally {
      target.close();
    }
  });
});
