/**
 * Every pattern in both languages as `durable-devkit new --sdk durabletask` writes it, run as its user runs it: its
 * worker and its client (package.json's start and client commands) as child processes against the gRPC sidecar,
 * on the real durabletask-js 0.4.0, the TypeScript ones compiled under strict settings first. The assertions are on
 * what the client prints: the output the pattern's header promises. Then the command itself: what it writes, and
 * what it refuses.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { scaffold } from "../../templates/scaffold";
import { cli } from "../emulator/cli-runner";
import { tempDir } from "../emulator/harness";
import { request, type Answer } from "../http/http-client";
import { DurableTaskAppRunner, generateApp } from "./durabletask-app-runner";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** GETs the URL until done says so (each answer is the app's own, over real HTTP). */
async function pollUntil(url: string, done: (answer: Answer) => boolean): Promise<Answer> {
  for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
    const answer = await request(url);
    if (done(answer)) return answer;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`gave up polling ${url}`);
}

for (const language of ["ts", "js"] as const) {
  describe(`durabletask templates in ${language === "ts" ? "TypeScript" : "JavaScript"} (worker and client against the gRPC sidecar)`, function () {
    this.timeout(120_000);
    const runner = new DurableTaskAppRunner();
    afterEach(() => runner.stopAll());

    it("function chaining: the client prints the three greetings in order", async () => {
      const app = generateApp("function-chaining", language);
      const sidecar = await runner.startSidecar();
      runner.run(app, "start", sidecar);
      assert.deepEqual(await runner.clientOutput(app, sidecar), ["Hello, Tokyo!", "Hello, Seattle!", "Hello, London!"]);
    });

    it("fan-out/fan-in: the client prints the count and the total of the parallel activities", async () => {
      const app = generateApp("fan-out-fan-in", language);
      const sidecar = await runner.startSidecar();
      runner.run(app, "start", sidecar);
      assert.deepEqual(await runner.clientOutput(app, sidecar), { items: 3, total: 6 });
    });

    it("async HTTP API: POST answers 202 with a Location that answers 202 until the worker has run it, then 200 with the output", async () => {
      const app = generateApp("async-http-api", language);
      const sidecar = await runner.startSidecar();
      const server = runner.run(app, "client", sidecar, { env: { PORT: "0" } });
      const [, origin] = await server.printed(/POST (http:\/\/127\.0\.0\.1:\d+)\/api\/\w+ starts/);
      const started = await request(`${origin}/api/${app.name}`, { method: "POST", body: '{"reportName": "sales"}' });
      assert.equal(started.status, 202, started.text);
      const statusUrl = started.headers.location!;
      assert.equal(statusUrl, started.json().statusQueryGetUri);
      // No worker yet: the instance waits, and its status URL says so.
      const pending = await request(statusUrl);
      assert.equal(pending.status, 202, pending.text);
      assert.equal(pending.json().runtimeStatus, "PENDING");
      runner.run(app, "start", sidecar);
      const done = await pollUntil(statusUrl, (answer) => answer.status !== 202);
      assert.equal(done.status, 200, done.text);
      assert.deepEqual(done.json().output, { report: "sales", rows: 3, status: "ready" });
      assert.equal((await request(`${origin}/api/${app.name}/nobody`)).status, 404);
      assert.equal((await request(`${origin}/api/${app.name}`, { method: "POST", body: "not json" })).status, 400);
    });

    it("human interaction: the answer wins the race against the timer; with no answer the 72-hour timer does (time skipping)", async () => {
      const app = generateApp("human-interaction", language);
      const sidecar = await runner.startSidecar();
      runner.run(app, "start", sidecar);
      assert.deepEqual(await runner.clientOutput(app, sidecar), { request: "buy a laptop", outcome: "approved by Ada" });
      assert.deepEqual(await runner.clientOutput(app, sidecar, ["reject"]), { request: "buy a laptop", outcome: "rejected by Ada" });

      const skipping = await runner.startSidecar({ timeSkipping: true });
      runner.run(app, "start", skipping);
      assert.deepEqual(await runner.clientOutput(app, skipping, ["ignore"]), { request: "buy a laptop", outcome: "timed out after 72 hours" });
    });

    it("external events: completes once both events have arrived, the second-awaited one first", async () => {
      const app = generateApp("external-events", language);
      const sidecar = await runner.startSidecar();
      runner.run(app, "start", sidecar);
      assert.deepEqual(await runner.clientOutput(app, sidecar), { order: "order-42", payment: { amount: 30 }, shipment: { carrier: "DHL" } });
    });

    // Needs entities over gRPC (SignalEntity, GetEntity, entity work items) in the sidecar.
    it("aggregator: the entity adds the client's signals and the report orchestration's, in the order they were sent", async () => {
      const app = generateApp("aggregator", language);
      const sidecar = await runner.startSidecar();
      runner.run(app, "start", sidecar);
      const client = runner.run(app, "client", sidecar);
      assert.equal(await client.exited, 0, client.output());
      assert.match(client.output(), /^Output: \{"count":5,"sum":48\}$/m);
      assert.match(client.output(), /^State of @aggregator@room1: \{"count":5,"sum":48\}$/m);
    });
  });
}

describe("durable-devkit new --sdk durabletask", function () {
  it("writes a whole app into a new folder, with the versions it is tested with, and only a pattern's two files into that app", () => {
    const dir = path.join(tempDir("dd-new-dt-"), "shop");
    const result = cli(["new", "function-chaining", "--sdk", "durabletask", "--name", "checkout", "--dir", dir]);
    assert.equal(result.code, 0, result.stderr);
    const files = ["src/checkout.ts", "src/checkout-client.ts", "src/worker.ts", "src/connection.ts", "package.json", ".gitignore", "tsconfig.json"];
    assert.deepEqual(
      result.stdout.match(/wrote \S+/g),
      files.map((file) => `wrote ${file}`),
    );
    for (const file of files) assert.ok(fs.existsSync(path.join(dir, file)), file);
    assert.match(result.stdout, /npm run client\s+the client/);

    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
    const sdk = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "@microsoft", "durabletask-js", "package.json"), "utf8"));
    assert.equal(manifest.dependencies["@microsoft/durabletask-js"], sdk.version, "the version the tests run");
    assert.equal(manifest.dependencies["@grpc/grpc-js"], sdk.dependencies["@grpc/grpc-js"], "the SDK's own range: one copy of grpc-js");
    assert.equal(manifest.type, "commonjs");
    assert.deepEqual(
      { start: manifest.scripts.start, client: manifest.scripts.client, build: manifest.scripts.build },
      { start: "node dist/worker.js", client: "node dist/checkout-client.js", build: "tsc" },
    );
    assert.match(fs.readFileSync(path.join(dir, "src", "worker.ts"), "utf8"), /import \{ register as registerCheckout \} from "\.\/checkout";/);
    assert.match(fs.readFileSync(path.join(dir, "src", "checkout.ts"), "utf8"), /async function\* checkout\(/);

    const second = cli(["new", "aggregator", "--sdk", "durabletask", "--dir", dir]);
    assert.equal(second.code, 0, second.stderr);
    assert.deepEqual(second.stdout.match(/wrote \S+/g), ["wrote src/aggregator.ts", "wrote src/aggregator-client.ts"]);
    assert.match(
      second.stdout,
      /register it in src\/worker\.ts: import \{ register as registerAggregator \} from "\.\/aggregator"; registerAggregator\(worker\);/,
    );
    assert.match(cli(["new", "--list"]).stdout, /human-interaction\s+wait for an approval event/);
    assert.match(cli(["new", "--help"]).stdout, /--sdk SDK\s+functions \(default\) or durabletask/);
  });

  it("refuses an unknown --sdk, a name that is one of the app's own modules, and an app on the other SDK, writing nothing", () => {
    const dir = path.join(tempDir("dd-new-dt-"), "app");
    const unknown = cli(["new", "function-chaining", "--sdk", "dapr", "--dir", dir]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /--sdk is functions \(the default: an Azure Functions app\) or durabletask \(.*\), not "dapr"\./);
    const ownModule = cli(["new", "function-chaining", "--sdk", "durabletask", "--name", "worker", "--dir", dir]);
    assert.equal(ownModule.code, 2);
    assert.match(ownModule.stderr, /"worker" is the name of the app's own src\/worker\.ts/);
    assert.equal(fs.existsSync(dir), false, "nothing was written");

    assert.equal(cli(["new", "function-chaining", "--sdk", "durabletask", "--dir", dir]).code, 0);
    const functionsIntoDurableTask = cli(["new", "aggregator", "--dir", dir]);
    assert.equal(functionsIntoDurableTask.code, 2);
    assert.match(functionsIntoDurableTask.stderr, /is on the Durable Task SDK .*: add --sdk durabletask/);
    assert.equal(fs.existsSync(path.join(dir, "src", "functions")), false);

    const functionsApp = path.join(tempDir("dd-new-dt-"), "functions");
    assert.equal(cli(["new", "function-chaining", "--dir", functionsApp]).code, 0);
    const durableTaskIntoFunctions = cli(["new", "aggregator", "--sdk", "durabletask", "--dir", functionsApp]);
    assert.equal(durableTaskIntoFunctions.code, 2);
    assert.match(durableTaskIntoFunctions.stderr, /is not on the Durable Task SDK \(it has host\.json\)/);
    assert.equal(fs.existsSync(path.join(functionsApp, "src", "aggregator.ts")), false);
  });

  it("never overwrites a file without --force", () => {
    const dir = path.join(tempDir("dd-new-dt-"), "app");
    assert.equal(cli(["new", "function-chaining", "--sdk", "durabletask", "--lang", "js", "--dir", dir]).code, 0);
    const pattern = path.join(dir, "src", "helloSequence.js");
    fs.appendFileSync(pattern, "// my change\n");
    const again = cli(["new", "function-chaining", "--sdk", "durabletask", "--dir", dir]);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /Nothing was written: src\/helloSequence\.js, src\/helloSequence-client\.js already exist/);
    assert.match(fs.readFileSync(pattern, "utf8"), /my change/);
    const forced = cli(["new", "function-chaining", "--sdk", "durabletask", "--dir", dir, "--force"]);
    assert.equal(forced.code, 0, forced.stderr);
    assert.doesNotMatch(fs.readFileSync(pattern, "utf8"), /my change/);

    // A folder with no app yet but a file of the app's: refused whole, the other files not written either.
    const stray = path.join(tempDir("dd-new-dt-"), "stray");
    fs.mkdirSync(path.join(stray, "src"), { recursive: true });
    fs.writeFileSync(path.join(stray, "src", "worker.ts"), "// mine\n");
    const refused = cli(["new", "fan-out-fan-in", "--sdk", "durabletask", "--dir", stray]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, /Nothing was written: src\/worker\.ts already exists/);
    assert.deepEqual(fs.readdirSync(stray), ["src"]);
    assert.deepEqual(fs.readdirSync(path.join(stray, "src")), ["worker.ts"]);
  });

  it("connects where DURABLE_TASK_SCHEDULER_CONNECTION_STRING says, by default the local emulator's, with the task hub as the taskhub header", async () => {
    const dir = path.join(tempDir("dd-new-dt-"), "app");
    scaffold({ pattern: "function-chaining", language: "js", dir, sdk: "durabletask" });
    fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
    const { connectionOptions } = require(path.join(dir, "src", "connection.js")) as {
      connectionOptions(connectionString?: string): { hostAddress: string; useTLS: boolean; metadataGenerator(): Promise<{ get(key: string): unknown[] }> };
    };
    const saved = process.env.DURABLE_TASK_SCHEDULER_CONNECTION_STRING;
    delete process.env.DURABLE_TASK_SCHEDULER_CONNECTION_STRING;
    try {
      const local = connectionOptions();
      assert.deepEqual({ hostAddress: local.hostAddress, useTLS: local.useTLS }, { hostAddress: "localhost:8080", useTLS: false });
      assert.deepEqual((await local.metadataGenerator()).get("taskhub"), ["default"]);
    } finally {
      if (saved !== undefined) process.env.DURABLE_TASK_SCHEDULER_CONNECTION_STRING = saved;
    }
    const other = connectionOptions("Endpoint=https://scheduler.example:4443;TaskHub=orders;Authentication=None");
    assert.deepEqual({ hostAddress: other.hostAddress, useTLS: other.useTLS }, { hostAddress: "scheduler.example:4443", useTLS: true });
    assert.deepEqual((await other.metadataGenerator()).get("taskhub"), ["orders"]);
    assert.throws(() => connectionOptions("Endpoint=https://x.durabletask.io;Authentication=ManagedIdentity"), /@microsoft\/durabletask-js-azuremanaged/);
  });
});
