/**
 * Every pattern in both languages, generated into a fresh folder exactly as a user gets it: it type-checks under
 * strict settings against the real packages (TypeScript), loads in the emulator, and runs to the output its header
 * promises, over real HTTP where the pattern is about HTTP.
 */
import { strict as assert } from "node:assert";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { startServer, type EmulatorServer } from "../../emulator";
import { PATTERNS, scaffold, type Language } from "../../templates/scaffold";
import { devNull, tempDir, waitFor } from "../emulator/harness";
import { request } from "../http/http-client";

/** Raise event takes application/json only, as Azure's HttpApiHandler does (HttpApiHandler.cs:991-1004). */
const JSON_BODY = { "content-type": "application/json" };
import { cli } from "../emulator/cli-runner";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** A fresh app with one pattern; it resolves durable-functions and @azure/functions from this repository. */
function generate(pattern: string, language: Language, name?: string): { dir: string; name: string } {
  const dir = path.join(tempDir("dd-template-"), "app");
  const result = scaffold({ pattern, language, dir, name });
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return { dir, name: result.name };
}

async function poll(url: string, done: (status: { runtimeStatus: string }) => boolean): Promise<{ runtimeStatus: string; output: unknown }> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const answer = await request(url);
    const status = answer.json();
    if (done(status)) return status;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up polling ${url}`);
}

for (const language of ["ts", "js"] as const) {
  describe(`templates in ${language === "ts" ? "TypeScript" : "JavaScript"}`, function () {
    const servers: EmulatorServer[] = [];
    const serve = async (dir: string, timeSkipping = false) => {
      const server = await startServer({ appDir: dir, store: path.join(dir, ".durable", "emulator.sqlite"), port: 0, timeSkipping, appOutput: devNull() });
      servers.push(server);
      return server;
    };
    after(async () => {
      for (const server of servers) await server.close();
    });

    if (language === "ts") {
      it("type-check with tsc --strict against the real durable-functions types, all six in one app", () => {
        const dir = path.join(tempDir("dd-template-"), "all");
        for (const pattern of PATTERNS) scaffold({ pattern: pattern.id, language, dir });
        fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
        const tsc = path.join(ROOT, "node_modules", "typescript", "bin", "tsc");
        const result = spawnSync(process.execPath, [tsc, "-p", path.join(dir, "tsconfig.json"), "--noEmit", "--strict"], { encoding: "utf8" });
        assert.equal(result.status, 0, result.stdout + result.stderr);
      });
    }

    it("function chaining runs to its promised output", async () => {
      const { dir, name } = generate("function-chaining", language);
      const server = await serve(dir);
      const started = await request(`${server.http.origin}/api/${name}`, { method: "POST" });
      assert.equal(started.status, 202);
      const status = await poll(started.json().statusQueryGetUri, (s) => s.runtimeStatus === "Completed");
      assert.deepEqual(status.output, ["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"]);
    });

    it("fan-out/fan-in runs to its promised output", async () => {
      const { dir, name } = generate("fan-out-fan-in", language, "measureAll");
      assert.equal(name, "measureAll");
      const server = await serve(dir);
      const started = await request(`${server.http.origin}/api/measureAll`, { method: "POST", body: '["a", "bb", "ccc"]' });
      const status = await poll(started.json().statusQueryGetUri, (s) => s.runtimeStatus === "Completed");
      assert.deepEqual(status.output, { items: 3, total: 6 });
    });

    it("async HTTP API answers 202 with the status URLs, then 200 with the output, over real HTTP", async () => {
      const { dir, name } = generate("async-http-api", language);
      const server = await serve(dir);
      const started = await request(`${server.http.origin}/api/${name}`, { method: "POST", body: '{"reportName": "sales"}' });
      assert.equal(started.status, 202);
      assert.equal(started.headers.location, started.json().statusQueryGetUri);
      const finished = await poll(started.json().statusQueryGetUri, (s) => s.runtimeStatus === "Completed");
      assert.deepEqual(finished.output, { report: "sales", rows: 3, status: "ready" });
      const final = await request(started.json().statusQueryGetUri);
      assert.equal(final.status, 200);
    });

    it("human interaction: approved by the event, and timed out by the durable timer", async () => {
      const { dir, name } = generate("human-interaction", language);
      const server = await serve(dir);
      const started = (await request(`${server.http.origin}/api/${name}`, { method: "POST", body: '{"request": "buy a laptop"}' })).json();
      await waitFor(() => server.emulator.engine.getRecord(started.id)?.waitingForEvents?.includes("Approval") === true);
      const raised = await request(started.sendEventPostUri.replace("{eventName}", "Approval"), {
        method: "POST",
        headers: JSON_BODY,
        body: '{"approved": true, "by": "Ada"}',
      });
      assert.equal(raised.status, 202);
      const approved = await poll(started.statusQueryGetUri, (s) => s.runtimeStatus === "Completed");
      assert.deepEqual(approved.output, { request: "buy a laptop", outcome: "approved by Ada" });

      const skipping = await serve(generate("human-interaction", language).dir, true);
      const id = await skipping.emulator.engine.startNew(name, { input: { request: "buy a laptop", timeoutHours: 72 } });
      const timedOut = await skipping.emulator.engine.waitForCompletion(id, 30_000);
      assert.deepEqual(timedOut.output, { request: "buy a laptop", outcome: "timed out after 72 hours" });
    });

    it("aggregator takes concurrent signals over HTTP and reports through an orchestration", async () => {
      const { dir, name } = generate("aggregator", language);
      const server = await serve(dir);
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, i) => request(`${server.http.origin}/api/${name}/room1`, { method: "POST", body: String(i + 1) })),
      );
      assert.ok(
        answers.every((answer) => answer.status === 202),
        answers.map((a) => a.status).join(","),
      );
      await server.emulator.engine.whenIdle();
      const state = await request(`${server.http.origin}/api/${name}/room1`);
      assert.deepEqual(state.json(), { count: 50, sum: 1275 });
      assert.equal((await request(`${server.http.origin}/api/${name}/nobody`)).status, 404);
      const id = await server.emulator.engine.startNew(`${name}_report`, { input: { key: "fresh", values: [1, 2, 3] } });
      assert.deepEqual((await server.emulator.engine.waitForCompletion(id, 30_000)).output, { count: 3, sum: 6 });
    });

    it("external events completes once both events arrive, in either order", async () => {
      const { dir, name } = generate("external-events", language);
      const server = await serve(dir);
      const started = (await request(`${server.http.origin}/api/${name}`, { method: "POST", body: '"order-42"' })).json();
      await request(started.sendEventPostUri.replace("{eventName}", "Shipped"), { method: "POST", headers: JSON_BODY, body: '{"carrier": "DHL"}' });
      await request(started.sendEventPostUri.replace("{eventName}", "PaymentReceived"), { method: "POST", headers: JSON_BODY, body: '{"amount": 30}' });
      const done = await poll(started.statusQueryGetUri, (s) => s.runtimeStatus === "Completed");
      assert.deepEqual(done.output, { order: "order-42", payment: { amount: 30 }, shipment: { carrier: "DHL" } });
    });
  });
}

describe("durable-devkit new", function () {
  it("writes a new app with the pattern and reports every file", () => {
    const dir = path.join(tempDir("dd-new-"), "shop");
    const result = cli(["new", "function-chaining", "--name", "checkout", "--dir", dir]);
    assert.equal(result.code, 0, result.stderr);
    for (const file of ["src/functions/checkout.ts", "package.json", "host.json", "local.settings.json", "tsconfig.json", ".funcignore", ".gitignore"]) {
      assert.match(result.stdout, new RegExp(`wrote ${file.replace(/\./g, "\\.")}`));
      assert.ok(fs.existsSync(path.join(dir, file)), file);
    }
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    assert.equal(manifest.dependencies["durable-functions"], "3.5.0");
    assert.equal(manifest.dependencies["@azure/functions"], "4.16.5");
    assert.equal(manifest.main, "dist/src/functions/*.js");
    assert.match(fs.readFileSync(path.join(dir, ".gitignore"), "utf8"), /^\.durable\/$/m);
    assert.match(JSON.stringify(JSON.parse(fs.readFileSync(path.join(dir, "host.json"), "utf8"))), /Microsoft\.Azure\.Functions\.ExtensionBundle/);
    // A second pattern goes into the same app: only its function file.
    const second = cli(["new", "aggregator", "--dir", dir]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.stdout.match(/wrote \S+/g), ["wrote src/functions/aggregator.ts"]);
    assert.match(cli(["new", "--list"]).stdout, /human-interaction\s+wait for an approval event/);
  });

  it("refuses bad parameters with clear messages and writes nothing", () => {
    const dir = path.join(tempDir("dd-new-"), "app");
    const unknown = cli(["new", "saga", "--dir", dir]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /Unknown pattern "saga"\. The patterns: function-chaining, fan-out-fan-in/);
    for (const bad of ["1order", "my-order", "class"]) {
      const result = cli(["new", "function-chaining", "--name", bad, "--dir", dir]);
      assert.equal(result.code, 2, bad);
      assert.match(result.stderr, /not a valid name|reserved word/);
    }
    assert.equal(fs.existsSync(dir), false, "nothing was written");
    assert.equal(cli(["new", "function-chaining", "--dir", dir]).code, 0);
    const before = fs.readFileSync(path.join(dir, "src", "functions", "helloSequence.ts"), "utf8");
    fs.writeFileSync(path.join(dir, "src", "functions", "helloSequence.ts"), `${before}// my change\n`);
    const again = cli(["new", "function-chaining", "--dir", dir]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /Nothing was written: src\/functions\/helloSequence\.ts already exists/);
    assert.match(fs.readFileSync(path.join(dir, "src", "functions", "helloSequence.ts"), "utf8"), /my change/);
    const wrongLanguage = cli(["new", "aggregator", "--lang", "js", "--dir", dir]);
    assert.equal(wrongLanguage.code, 2);
    assert.match(wrongLanguage.stderr, /is TypeScript .* use --lang ts/);
    assert.equal(fs.existsSync(path.join(dir, "src", "functions", "aggregator.js")), false);
  });
});
