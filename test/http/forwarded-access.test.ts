/**
 * The emulator through a forwarded port, over real loopback HTTP: requests addressed to another Host (what code-server's
 * /proxy/<port>/, Codespaces and SSH forwarding deliver, and what a DNS-rebinding page sends) are refused with a 421
 * that says what to do, unless they prove the run's key: once in the dashboard's address, exchanged on a relative
 * redirect for a cookie, then by the cookie. Through a real path-prefix proxy that forwards its own Host, the dashboard
 * page's relative URLs reach its files, its API, its event stream and the management API.
 */
import { strict as assert } from "node:assert";
import { startServer, type EmulatorServer } from "../../emulator";
import { KITCHEN_SINK, devNull } from "../emulator/harness";
import { openEventStream, request, type Answer } from "./http-client";
import { startPathPrefixProxy, type PathPrefixProxy } from "./path-prefix-proxy";

const KEY = "forwarding-key-for-tests_0123456789";
/** The Host code-server forwards: its own. */
const PROXY_HOST = "127.0.0.1:8123";
const PROXY_ORIGIN = `http://${PROXY_HOST}`;

describe("the emulator through a forwarded port", function () {
  let server: EmulatorServer;
  let origin: string;
  let port: number;
  let cookie: string;
  const forwarded = (path: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Answer> =>
    request(`${origin}${path}`, { ...options, headers: { Host: PROXY_HOST, ...options.headers } });

  before(async () => {
    server = await startServer({ appDir: KITCHEN_SINK, store: "memory", port: 0, forwardingKey: KEY, appOutput: devNull() });
    origin = server.http.origin;
    port = server.http.port;
    cookie = `durable_devkit_key_${port}=${KEY}`;
  });
  after(async () => {
    await server?.close();
  });

  it("refuses a foreign Host without the key with a 421 that says how to open the dashboard", async () => {
    const page = await forwarded("/_durable/");
    assert.equal(page.status, 421);
    const message = page.json().error as string;
    assert.match(message, /addressed to "127\.0\.0\.1:8123"/);
    assert.match(message, /"Durable: Open Dashboard" in VS Code/);
    assert.match(message, /\?key= that `durable-devkit start` prints/);
    assert.ok(!message.includes(KEY), "the 421 must not give the key away");
    // A DNS-rebinding page names its own host and this port; it knows no key, so nothing it asks for is answered.
    const rebinding = { Host: `evil.example:${port}` };
    assert.equal((await request(`${origin}/_durable/api/instances`, { headers: rebinding })).status, 421);
    assert.equal((await request(`${origin}/api/echo/1`, { headers: rebinding })).status, 421);
    const start = await request(`${origin}/runtime/webhooks/durabletask/orchestrators/helloSequence`, {
      method: "POST",
      headers: { ...rebinding, Origin: `http://evil.example:${port}` },
    });
    assert.equal(start.status, 421);
    assert.equal(server.emulator.engine.list({}).instances.length, 0, "nothing started");
  });

  it("exchanges the right key for an HttpOnly, SameSite=Strict cookie on a redirect to the same page without it", async () => {
    const exchanged = await forwarded(`/_durable/?key=${KEY}`);
    assert.equal(exchanged.status, 303);
    assert.equal(exchanged.headers.location, "./");
    assert.deepEqual(exchanged.headers["set-cookie"], [`${cookie}; Path=/; HttpOnly; SameSite=Strict`]);
    assert.equal(exchanged.headers["cache-control"], "no-store");
    // Relative to whatever prefix the proxy serves the port under; other query parameters are kept.
    assert.equal((await forwarded(`/_durable/index.html?x=1&key=${KEY}&y=2`)).headers.location, "./index.html?x=1&y=2");
    assert.equal((await forwarded(`/_durable?key=${KEY}`)).headers.location, "./_durable");
    assert.equal((await forwarded(`/?key=${KEY}`)).headers.location, "./");
    // The key in a query is only exchanged on a page's GET: it is no way to send an action.
    const keyedPost = await forwarded(`/runtime/webhooks/durabletask/orchestrators/helloSequence?key=${KEY}`, { method: "POST" });
    assert.equal(keyedPost.status, 421);
  });

  it("serves the dashboard, its API, its event stream and same-origin actions to a browser with the cookie", async () => {
    const withCookie = { Cookie: `theme=dark; ${cookie}; other=1` };
    const page = await forwarded("/_durable/", { headers: withCookie });
    assert.equal(page.status, 200);
    assert.match(page.headers["content-type"] ?? "", /text\/html/);
    assert.match(String(page.headers["content-security-policy"]), /default-src 'self'/);
    assert.match(page.text, /<script src="app\.js">/);

    const events = await openEventStream(`${origin}/_durable/api/events`, { Host: PROXY_HOST, ...withCookie });
    try {
      const started = await forwarded("/runtime/webhooks/durabletask/orchestrators/helloSequence", {
        method: "POST",
        headers: { ...withCookie, Origin: PROXY_ORIGIN, "Content-Type": "application/json" },
        body: "null",
      });
      assert.equal(started.status, 202, started.text);
      const id = started.json().id as string;
      await events.waitFor(new RegExp(`"instanceId":"${id}"`));
      const list = await forwarded("/_durable/api/instances", { headers: withCookie });
      assert.equal(list.status, 200);
      assert.ok((list.json().instances as { instanceId: string }[]).some((instance) => instance.instanceId === id));
    } finally {
      events.close();
    }
    // Without an Origin (not a browser, or a same-origin GET-style client) the cookie is enough.
    const noOrigin = await forwarded("/runtime/webhooks/durabletask/orchestrators/helloSequence", { method: "POST", headers: withCookie });
    assert.equal(noOrigin.status, 202, noOrigin.text);
  });

  it("refuses a wrong key, a stale or misnamed cookie, and state changes from another origin", async () => {
    const wrongKey = await forwarded(`/_durable/?key=${KEY.slice(0, -1)}x`);
    assert.equal(wrongKey.status, 421);
    assert.match(wrongKey.json().error, /not this emulator's: a new key is made each time the emulator starts/);
    assert.equal(wrongKey.headers["set-cookie"], undefined);

    const stale = await forwarded("/_durable/api/instances", { headers: { Cookie: `durable_devkit_key_${port}=${KEY}0` } });
    assert.equal(stale.status, 421);
    assert.match(stale.json().error, /from an earlier run/);
    // Another emulator's cookie (cookies are shared by all the ports of a host) is not this one's, whatever it holds.
    assert.equal((await forwarded("/_durable/api/instances", { headers: { Cookie: `durable_devkit_key_${port + 1}=${KEY}` } })).status, 421);

    const action = "/runtime/webhooks/durabletask/orchestrators/helloSequence";
    for (const foreign of ["https://evil.example", "null", "http://127.0.0.1:8124", `http://127.0.0.1:${port}.evil.example`]) {
      const answer = await forwarded(action, { method: "POST", headers: { Cookie: cookie, Origin: foreign } });
      assert.equal(answer.status, 403, `${foreign}: ${answer.text}`);
      assert.match(answer.json().error, /only from its own pages \(127\.0\.0\.1:8123\)/);
    }
    // The proxy may end TLS: an https page of the same host is the same site.
    assert.equal((await forwarded(action, { method: "POST", headers: { Cookie: cookie, Origin: "https://127.0.0.1:8123" } })).status, 202);
  });

  it("keeps the local rules for requests addressed to the emulator itself", async () => {
    assert.equal((await request(`${origin}/_durable/`)).status, 200);
    // A stale key in a local address is no reason to refuse: none is needed here.
    assert.equal((await request(`${origin}/_durable/?key=stale-key-from-a-bookmark-0000`)).status, 200);
    const exchanged = await request(`${origin}/_durable/?key=${KEY}`);
    assert.equal(exchanged.status, 303);
    assert.equal(exchanged.headers.location, "./");
    // The cookie opens no door the local rules keep shut: a foreign origin still may not change state.
    const foreignOrigin = await request(`${origin}/runtime/webhooks/durabletask/orchestrators/helloSequence`, {
      method: "POST",
      headers: { Cookie: cookie, Origin: "https://evil.example" },
    });
    assert.equal(foreignOrigin.status, 403);
  });

  it("redirects to the dashboard relatively, so a path prefix is kept", async () => {
    const bare = await request(`${origin}/_durable?x=1`);
    assert.equal(bare.status, 308);
    assert.equal(bare.headers.location, "./_durable/?x=1");
    const root = await request(`${origin}/`);
    assert.equal(root.status, 302);
    assert.equal(root.headers.location, "./_durable/");
    // Only GET and HEAD: other methods at / still say no function answers there.
    assert.equal((await request(`${origin}/`, { method: "POST" })).status, 404);
  });

  describe("behind a path-prefix proxy that forwards its own Host, as code-server does", () => {
    let proxy: PathPrefixProxy;
    before(async () => {
      proxy = await startPathPrefixProxy();
    });
    after(async () => {
      await proxy?.close();
    });

    it("opens from the port's root with the key, and the page's relative URLs reach its files, API, events and actions", async () => {
      const root = proxy.root(port);
      // As a browser would: the key, then redirects resolved against the address they answer.
      const exchanged = await request(`${root}?key=${KEY}`);
      assert.equal(exchanged.status, 303);
      const setCookie = (exchanged.headers["set-cookie"] ?? [])[0] ?? "";
      const browserCookie = { Cookie: setCookie.split(";")[0] };
      const rootAddress = new URL(exchanged.headers.location ?? "", `${root}?key=${KEY}`).toString();
      assert.equal(rootAddress, root);
      const toDashboard = await request(rootAddress, { headers: browserCookie });
      assert.equal(toDashboard.status, 302);
      const pageAddress = new URL(toDashboard.headers.location ?? "", rootAddress).toString();
      assert.equal(pageAddress, `${root}_durable/`);

      const page = await request(pageAddress, { headers: browserCookie });
      assert.equal(page.status, 200, page.text);
      const assets = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]).filter((url) => !url.startsWith("data:"));
      assert.deepEqual(assets.sort(), ["app.js", "styles.css"]);
      const script = await request(new URL("app.js", pageAddress).toString(), { headers: browserCookie });
      assert.equal(script.status, 200);
      assert.match(script.headers["content-type"] ?? "", /javascript/);
      assert.equal((await request(new URL("styles.css", pageAddress).toString(), { headers: browserCookie })).status, 200);

      // The URLs the built script uses, resolved as the browser resolves them against the page's address.
      // The page's API client is given relative bases ("api", the management API's) and adds the contract's routes.
      const used = new Set([...script.text.matchAll(/["`](\.\.\/runtime\/webhooks\/durabletask|api(?:\/[a-z]+)?)["`]/g)].map((match) => match[1]));
      assert.deepEqual([...used].sort(), ["../runtime/webhooks/durabletask", "api", "api/events"]);
      for (const route of ["/info", "/instances", "/warnings"]) assert.ok(script.text.includes(`}${route}`), `the client's ${route} route`);
      assert.ok(!/["`]\/_durable|["`]\/runtime/.test(script.text), "no absolute path is left in the dashboard's script");
      const address = (relative: string) => new URL(relative, pageAddress).toString();
      assert.equal((await request(address("api/info"), { headers: browserCookie })).json().taskHubName, "KitchenSink");
      const events = await openEventStream(address("api/events"), browserCookie);
      try {
        assert.equal(events.headers["content-type"], "text/event-stream");
        const started = await request(address("../runtime/webhooks/durabletask/orchestrators/helloSequence"), {
          method: "POST",
          headers: { ...browserCookie, Origin: proxy.origin, "Content-Type": "application/json" },
          body: "null",
        });
        assert.equal(started.status, 202, started.text);
        const id = started.json().id as string;
        await events.waitFor(new RegExp(`"instanceId":"${id}"`));
        const list = await request(`${address("api/instances")}?search=${id}`, { headers: browserCookie });
        assert.deepEqual(
          (list.json().instances as { instanceId: string }[]).map((instance) => instance.instanceId),
          [id],
        );
      } finally {
        events.close();
      }
      // The same addresses without the cookie are refused with the advice.
      const refused = await request(pageAddress);
      assert.equal(refused.status, 421);
      assert.match(refused.json().error, /Durable: Open Dashboard/);
    });
  });
});
