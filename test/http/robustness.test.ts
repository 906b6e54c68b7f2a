/**
 * At least 500 malformed or hostile requests across the management routes: each gets a 4xx (or the 500 Azure answers
 * a refusal of its durable client with, marked by its error code), and the server stays up.
 */
import { strict as assert } from "node:assert";
import { startServer, type EmulatorServer } from "../../emulator";
import { KITCHEN_SINK, devNull } from "../emulator/harness";
import { rawExchange, request } from "./http-client";

describe("the HTTP host under hostile input", function () {
  let server: EmulatorServer;
  let origin: string;
  before(async () => {
    server = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, appOutput: devNull() });
    origin = server.http.origin;
  });
  after(async () => {
    await server.close();
  });

  it("answers 500+ malformed and hostile requests with 4xx and keeps serving", async () => {
    const base = "/runtime/webhooks/durabletask";
    const live = (await request(`${origin}/api/orchestrators/waitForever`, { method: "POST" })).json().id as string;
    const routes = [
      `${base}/instances/${live}/raiseEvent/approval`,
      `${base}/orchestrators/helloSequence`,
      `${base}/instances/${live}/resume`,
      `${base}/instances/nope`,
      `${base}/instances/nope/raiseEvent/x`,
      `${base}/instances/nope/suspend`,
      `${base}/instances/nope/rewind`,
      `${base}/instances?runtimeStatus=Bogus`,
      `${base}/instances?top=-3`,
      `${base}/instances?createdTimeFrom=yesterday`,
      `${base}/orchestrators/doesNotExist`,
      `${base}/instances/%E0%A4%A/terminate`,
      `${base}/entities`,
      `${base}/nothing/here`,
      `${base}/instances/${live}/frobnicate`,
    ];
    const bodies = ["{", '{"a":', "[1,2", "undefined", "NaN", "'single'", '{"a":1}}', "\u0000\u0001", "}{", "tru"];
    const hostile: { path: string; method: string; headers?: Record<string, string>; body?: string | Buffer }[] = [];
    for (const path of routes) {
      for (const body of bodies) hostile.push({ path, method: "POST", body });
      hostile.push({ path, method: "PUT" });
      hostile.push({ path, method: "PATCH", body: "{}" });
      hostile.push({ path, method: "POST", headers: { Host: "evil.example" } });
      hostile.push({ path, method: "POST", headers: { Host: `127.0.0.1:${server.http.port + 1}` } });
      hostile.push({ path, method: "POST", headers: { Origin: "https://evil.example" } });
      hostile.push({ path, method: "DELETE", headers: { Origin: "null" } });
      hostile.push({ path, method: "POST", body: Buffer.alloc(1024 * 1024 + 10, 0x7b) }); // a megabyte of "{"
      hostile.push({ path, method: "GET", headers: { Host: "localhost.evil.example:80" } });
      hostile.push({ path, method: "GET", headers: { "x-ms-continuation-token": "not-a-token" } });
      hostile.push({ path, method: "OPTIONS" });
    }
    // Extra rounds on the live instance's event route, so it takes many bad events without harm.
    while (hostile.length < 520) hostile.push({ path: routes[0], method: "POST", body: bodies[hostile.length % bodies.length] });

    const failures: string[] = [];
    let count = 0;
    for (let i = 0; i < hostile.length; i += 20) {
      const batch = hostile.slice(i, i + 20);
      const answers = await Promise.all(
        batch.map((h) =>
          request(`${origin}${h.path}`, { method: h.method, headers: h.headers, body: h.body }).catch((error: Error) => ({
            status: -1,
            text: error.message,
            headers: {} as Record<string, string>,
          })),
        ),
      );
      answers.forEach((answer, j) => {
        count++;
        // Resuming the running instance is refused with a 500, as Azure's client refuses it (DurableClient.ResumeAsync).
        const azure500 = answer.status === 500 && answer.headers["x-durable-devkit-error-code"] === "InvalidState";
        if (answer.status < 400 || (answer.status >= 500 && !azure500))
          failures.push(`${batch[j].method} ${batch[j].path} (${JSON.stringify(batch[j].headers ?? {})}) → ${answer.status} ${answer.text.slice(0, 120)}`);
      });
    }
    // A declared length far too large is refused at once (raw socket: no client library second-guessing it).
    const declared = await rawExchange(server.http.port, [
      `POST ${base}/orchestrators/helloSequence HTTP/1.1\r\nHost: 127.0.0.1:${server.http.port}\r\nContent-Length: 99999999999\r\n\r\n{`,
    ]);
    assert.equal(declared.status, 413, declared.text);
    // Raw garbage on the socket must not bring it down either, and gets an answer rather than a dropped connection.
    for (const garbage of ["GARBAGE\r\n\r\n", "GET / HTTP/9.9\r\n\r\n", "\u0000\u0001\u0002\r\n"]) {
      const answer = await rawExchange(server.http.port, [garbage]);
      assert.equal(answer.status, 400, `${JSON.stringify(garbage)}: ${JSON.stringify(answer.text)}`);
    }
    assert.ok(count >= 500, `sent ${count}`);
    assert.deepEqual(failures, []);
    // Still serving, and the live instance is intact and still waiting.
    const status = await request(`${origin}${base}/instances/${live}`);
    assert.equal(status.status, 202);
    assert.equal(status.json().runtimeStatus, "Running");
  });
});
