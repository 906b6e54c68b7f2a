/**
 * Where "Durable: Open Dashboard" sends the browser, for what each kind of VS Code maps the emulator's root to
 * (vscode.env.asExternalUri): the path is joined on, and the key added only when the browser reaches the emulator
 * under another address than its own.
 */
import { strict as assert } from "node:assert";
import { dashboardAddress } from "../../extension/dashboard-address";

const LOCAL = "http://127.0.0.1:5123";
const KEY = "k".repeat(43);

describe("the dashboard's address in each kind of VS Code", () => {
  it("is the emulator's own address, with no key, when nothing is forwarded", () => {
    assert.equal(dashboardAddress(LOCAL, `${LOCAL}/`, KEY), `${LOCAL}/_durable/`);
  });

  it("joins the dashboard onto code-server's proxy path, which replaced the whole URL, and adds the key", () => {
    assert.equal(dashboardAddress(LOCAL, "http://127.0.0.1:8123/proxy/5123/", KEY), `http://127.0.0.1:8123/proxy/5123/_durable/?key=${KEY}`);
    // A proxy template without the trailing slash, and a code-server served under a base path.
    assert.equal(dashboardAddress(LOCAL, "https://dev.example/code/proxy/5123", KEY), `https://dev.example/code/proxy/5123/_durable/?key=${KEY}`);
  });

  it("opens a forwarding domain as mapped (Codespaces, dev tunnels), keeping what its query holds", () => {
    assert.equal(dashboardAddress(LOCAL, "https://name-5123.app.github.dev/", KEY), `https://name-5123.app.github.dev/_durable/?key=${KEY}`);
    assert.equal(dashboardAddress(LOCAL, "https://x.devtunnels.ms/?tkn=abc", KEY), `https://x.devtunnels.ms/_durable/?tkn=abc&key=${KEY}`);
  });

  it("hands a port mapping (desktop Remote-SSH) the emulator's own URL, which openExternal maps keeping the path", () => {
    // Mapped to another local port: the browser's Host is foreign, so the key goes along.
    assert.equal(dashboardAddress(LOCAL, "http://localhost:6000/", KEY), `${LOCAL}/_durable/?key=${KEY}`);
    // Mapped to the same port: the browser reaches it as its own host, no key needed.
    assert.equal(dashboardAddress(LOCAL, "http://localhost:5123/", KEY), `${LOCAL}/_durable/`);
  });

  it("opens on one instance when asked, after the key (whose redirect keeps the fragment)", () => {
    assert.equal(dashboardAddress(LOCAL, `${LOCAL}/`, KEY, "abc123"), `${LOCAL}/_durable/#abc123`);
    assert.equal(
      dashboardAddress(LOCAL, "http://127.0.0.1:8123/proxy/5123/", KEY, "order 7/a"),
      `http://127.0.0.1:8123/proxy/5123/_durable/?key=${KEY}#order%207%2Fa`,
    );
  });
});
