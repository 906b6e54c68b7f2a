/**
 * Requests the routes cannot make sense of, over real loopback HTTP and raw sockets: each gets a 4xx that names the
 * problem, never a 500 or a connection dropped without an answer, and slow clients are cut off in bounded time
 * without cutting legitimate long answers (long polls, the dashboard's live updates).
 */
import { strict as assert } from "node:assert";
import * as path from "node:path";
import { startServer, type EmulatorServer } from "../../emulator";
import { KITCHEN_SINK, devNull, tempDir } from "../emulator/harness";
import { openEventStream, rawExchange, request } from "./http-client";

describe("the HTTP host's answers to requests it cannot serve", function () {
  let server: EmulatorServer;
  let origin: string;
  let port: number;
  const api = (route: string) => `${origin}/runtime/webhooks/durabletask${route}`;
  const host = () => `Host: 127.0.0.1:${port}\r\n`;

  before(async () => {
    // The SQLite store: paging there goes through SQL, where a bad `top` used to surface as "datatype mismatch".
    server = await startServer({ appDir: KITCHEN_SINK, store: path.join(tempDir(), "store.sqlite"), port: 0, appOutput: devNull() });
    origin = server.http.origin;
    port = server.http.port;
  });
  after(async () => {
    await server.close();
  });

  it("answers odd paths, bad percent-encoding and out-of-range numbers with 4xx that say what is wrong", async () => {
    for (const target of ["//", "///", "//evil.example/x"]) {
      const answer = await rawExchange(port, [`GET ${target} HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`]);
      assert.equal(answer.status, 404, `${target}: ${answer.text}`);
      assert.match(answer.text, /No function answers/);
    }
    const badEncoding = await request(`${origin}/_durable/api/instances/%zz/history`);
    assert.equal(badEncoding.status, 400, badEncoding.text);
    assert.match(badEncoding.json().error, /percent-encoding/);

    // As in Azure, a `top` that int.TryParse cannot read is ignored (HttpApiHandler.TryGetIntQueryParameterValue): a
    // page of the default size, and nothing of it reaches SQL.
    for (const top of ["1e21", "2147483648", "1.5", "0", "-1", "abc", "2147483647"]) {
      const answer = await request(api(`/instances?top=${top}`));
      assert.equal(answer.status, 200, `top=${top}: ${answer.text}`);
      assert.ok(Array.isArray(answer.json()), `top=${top}`);
      assert.doesNotMatch(answer.text, /datatype|SQL/i);
    }

    for (const query of ["limit=1e21", "offset=1e21", "limit=0", "offset=-1", "limit=abc", "status=Bogus"]) {
      const answer = await request(`${origin}/_durable/api/instances?${query}`);
      assert.equal(answer.status, 400, `${query}: ${answer.text}`);
      assert.doesNotMatch(answer.text, /datatype|SQL/i);
    }
    assert.equal((await request(`${origin}/_durable/api/instances?limit=200&offset=0&status=Running`)).status, 200);
  });

  it("answers requests HTTP itself rejects with a 400 or 431 status line and a short text, then closes", async () => {
    const cases: { name: string; bytes: string; status: number; says: RegExp }[] = [
      { name: "unknown method", bytes: `FROB / HTTP/1.1\r\n${host()}\r\n`, status: 400, says: /not a valid HTTP\/1\.1 request/ },
      { name: "bad request line", bytes: "GET\r\n\r\n", status: 400, says: /not a valid HTTP\/1\.1 request/ },
      {
        name: "headers over 16 KB",
        bytes: `GET /api/echo/1 HTTP/1.1\r\n${host()}X-Big: ${"a".repeat(20_000)}\r\n\r\n`,
        status: 431,
        says: /headers are larger than/,
      },
      { name: "bad Content-Length", bytes: `POST /api/echo/1 HTTP/1.1\r\n${host()}Content-Length: abc\r\n\r\n`, status: 400, says: /Content-Length/ },
      {
        name: "Content-Length with Transfer-Encoding",
        bytes: `POST /api/echo/1 HTTP/1.1\r\n${host()}Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n`,
        status: 400,
        says: /Content-Length/,
      },
      {
        name: "bad chunked encoding",
        bytes: `POST /api/echo/1 HTTP/1.1\r\n${host()}Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n`,
        status: 400,
        says: /chunk/,
      },
    ];
    for (const { name, bytes, status, says } of cases) {
      const answer = await rawExchange(port, [bytes]);
      assert.equal(answer.ending, "closed", `${name}: the server should close the connection after answering`);
      assert.equal(answer.status, status, `${name}: ${JSON.stringify(answer.text)}`);
      assert.match(answer.text, /Content-Type: text\/plain/i, name);
      assert.match(answer.text, says, name);
    }
    // An absolute-form target must name this server, like the Host header.
    const foreign = await rawExchange(port, [`GET http://evil.example/_durable/api/info HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`]);
    assert.equal(foreign.status, 421, foreign.text);
    const own = await rawExchange(port, [`GET http://127.0.0.1:${port}/_durable/api/info HTTP/1.1\r\n${host()}Connection: close\r\n\r\n`]);
    assert.equal(own.status, 200, own.text);
    // Still serving.
    assert.equal((await request(api("/instances"))).status, 200);
  });

  it("bounds how long a request may take to arrive by default", () => {
    const { headersMs, requestMs, checkIntervalMs } = server.http.requestTimeouts;
    // Node checks the deadlines every checkIntervalMs, so a slow client is cut at most that much later.
    assert.ok(headersMs + checkIntervalMs <= 21_000, `headers may take ${headersMs} + ${checkIntervalMs} ms`);
    assert.ok(requestMs >= 60_000 && requestMs + checkIntervalMs <= 121_000, `a request may take ${requestMs} + ${checkIntervalMs} ms`);
  });

  it("cuts slow clients off with 408 while long polls and live updates carry on past the timeout", async () => {
    server.http.setRequestTimeouts({ headersMs: 1_000, requestMs: 2_000 });
    try {
      // The dashboard's live updates: opened first, so it is older than the request timeout when the slow client is cut.
      const events = await openEventStream(`${origin}/_durable/api/events`);
      const longPollStarted = Date.now();
      const longPoll = request(`${origin}/api/wait/waitForever?timeoutMs=3000`);

      const [partialHeaders, partialBody] = await Promise.all([
        rawExchange(port, [`GET /api/echo/1 HTTP/1.1\r\n${host()}X-Slow: `]),
        rawExchange(port, [`POST /api/echo/1 HTTP/1.1\r\n${host()}Content-Length: 100\r\n\r\n0123456789`]),
      ]);
      assert.equal(partialHeaders.status, 408, partialHeaders.text);
      assert.equal(partialBody.status, 408, partialBody.text);
      assert.match(partialBody.text, /took too long/);

      // The long poll outlived the request timeout and still got its answer: check-status links after 3 s.
      const polled = await longPoll;
      assert.ok(Date.now() - longPollStarted >= 3_000);
      assert.equal(polled.status, 202, polled.text);
      assert.ok(polled.json().statusQueryGetUri);

      // The event stream is still open and still delivers.
      await server.emulator.engine.startNew("helloSequence", { instanceId: "after-timeouts" });
      await events.waitFor(/after-timeouts/);
      events.close();
    } finally {
      server.http.setRequestTimeouts({ headersMs: 20_000, requestMs: 60_000 });
    }
  });
});
