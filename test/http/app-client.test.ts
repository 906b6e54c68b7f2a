/**
 * Body limits over real loopback HTTP: the app's own durable client is not held to the cap external callers get,
 * and the cap external callers get is the Functions host's.
 */
import { strict as assert } from "node:assert";
import { startServer, type EmulatorServer } from "../../emulator";
import { APP_CLIENT_PATH } from "../../emulator/http/app-client-endpoint";
import { KITCHEN_SINK, devNull } from "../emulator/harness";
import { rawExchange, request } from "./http-client";

/**
 * The Functions host's default limit on request bodies: `DefaultRequestBodySize = 104857600` in
 * Azure/azure-functions-host src/WebJobs.Script.WebHost/Middleware/HttpRequestSizeMiddleware.cs (the newer
 * HttpRequestBodySizeMiddleware.cs lets FUNCTIONS_REQUEST_BODY_SIZE_LIMIT change it). The Durable HTTP API is served
 * by that host, so this is what Azure accepts there too.
 */
const FUNCTIONS_HOST_MAX_BODY_BYTES = 104_857_600;
const TWO_MB = 2 * 1024 * 1024;

describe("request body limits", function () {
  let server: EmulatorServer;
  let origin: string;
  const api = (path: string) => `${origin}/runtime/webhooks/durabletask${path}`;

  before(async () => {
    server = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, appOutput: devNull() });
    origin = server.http.origin;
  });
  after(async () => {
    await server.close();
  });

  it("lets the app's own durable client start an orchestration with a 2 MB input", async () => {
    const blob = "x".repeat(TWO_MB);
    const started = await request(`${origin}/api/client/startNew/big-input`, {
      method: "POST",
      body: JSON.stringify({ name: "waitForever", input: { blob } }),
    });
    assert.equal(started.status, 200, started.text.slice(0, 300));
    assert.equal(started.json().result, "big-input");
    const status = await request(api("/instances/big-input"));
    assert.equal(status.json().input.blob.length, TWO_MB);

    // The classic starter, with the 2 MB input as its request body.
    const classic = await request(`${origin}/api/orchestrators/waitForever`, { method: "POST", body: JSON.stringify({ blob }) });
    assert.equal(classic.status, 202, classic.text.slice(0, 300));
  });

  it("gives external callers of the management API the Functions host's 100 MB cap", async () => {
    const accepted = await request(api("/orchestrators/waitForever/external-2mb"), { method: "POST", body: JSON.stringify("y".repeat(TWO_MB)) });
    assert.equal(accepted.status, 202, accepted.text.slice(0, 300));

    // One byte over the cap is refused from the declared length alone, before any body is read.
    const refused = await rawExchange(server.http.port, [
      `POST /runtime/webhooks/durabletask/orchestrators/waitForever HTTP/1.1\r\nHost: 127.0.0.1:${server.http.port}\r\nContent-Length: ${FUNCTIONS_HOST_MAX_BODY_BYTES + 1}\r\nConnection: close\r\n\r\n{`,
    ]);
    assert.equal(refused.status, 413, refused.text);
    assert.match(refused.text, new RegExp(`at most ${FUNCTIONS_HOST_MAX_BODY_BYTES} bytes`));
  });

  it("keeps the app client's endpoint to holders of this process's token", async () => {
    for (const path of [`${APP_CLIENT_PATH}/not-the-token/instances`, `${APP_CLIENT_PATH}/`, APP_CLIENT_PATH]) {
      const answer = await request(`${origin}${path}`);
      assert.equal(answer.status, 403, `${path}: ${answer.status} ${answer.text}`);
      assert.match(answer.json().error, /\/runtime\/webhooks\/durabletask\//);
    }
    // The links handed to callers name the public management API, never the app's endpoint.
    const links = (await request(`${origin}/api/orchestrators/helloSequence`, { method: "POST" })).json();
    for (const url of Object.values(links).filter((value): value is string => typeof value === "string" && value.startsWith("http"))) {
      assert.ok(url.startsWith(`${origin}/runtime/webhooks/durabletask/`), url);
    }
  });
});
