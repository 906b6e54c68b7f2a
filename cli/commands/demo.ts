/**
 * `npm run demo`, the product's showcase: scaffolds the six orchestration patterns into a fresh TypeScript app,
 * runs each in the emulator on an SQLite store with time skipping (raising the events a pattern waits for, and
 * driving the async HTTP API over real HTTP), and prints each result with a short history.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as http from "node:http";
import { startServer, type InstanceStatus } from "../../emulator";
import { PATTERNS, scaffold } from "../../templates/scaffold";
import { writeLines, type Command } from "../command";
import { EXIT } from "../cli-error";
import { formatHistory } from "../history-format";
import { driveToRest } from "../session";

const PACKAGE_ROOT = path.resolve(__dirname, "..", "..", "..");

function httpJson(url: string, method = "GET", body?: string): Promise<{ status: number; json: unknown }> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method }, (response) => {
      let text = "";
      response.on("data", (chunk) => (text += chunk));
      response.on("end", () => resolve({ status: response.statusCode ?? 0, json: text ? JSON.parse(text) : undefined }));
    });
    request.on("error", reject);
    request.end(body);
  });
}

export const demoCommand: Command = {
  name: "demo",
  summary: "scaffold the six patterns into a new app and run each in the emulator",
  help: `Usage: durable-devkit demo [--keep]

Scaffolds the six orchestration patterns (${PATTERNS.map((p) => p.id).join(", ")}) into a temporary TypeScript app,
builds it, and runs each in the emulator on an SQLite store with time skipping: events are raised where a pattern
waits for them, the async HTTP API is driven over real HTTP, and a 72-hour approval timeout passes in milliseconds.
Prints each pattern's result and history.

Options:
  --keep   keep the app and its store afterwards (the path is printed)`,
  async run(args, io) {
    if (args.includes("--help") || args.includes("-h")) return (io.stdout.write(`${this.help}\n`), EXIT.ok);
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "durable-devkit-demo-"));
    const appDir = path.join(workDir, "patterns-app");
    for (const pattern of PATTERNS) scaffold({ pattern: pattern.id, language: "ts", dir: appDir });
    // The new app resolves durable-functions and @azure/functions from this package's own node_modules.
    fs.symlinkSync(path.join(PACKAGE_ROOT, "node_modules"), path.join(appDir, "node_modules"), "dir");
    const storeFile = path.join(appDir, ".durable", "emulator.sqlite");
    const started = Date.now();
    const server = await startServer({ appDir, store: storeFile, port: 0, timeSkipping: true, appOutput: devNull() });
    const { engine } = server.emulator;
    let failures = 0;
    const show = (title: string, how: string, status: InstanceStatus, ms: number) => {
      if (status.runtimeStatus !== "Completed") failures++;
      const history = engine.getHistory(status.instanceId);
      writeLines(io.stdout, [
        `■ ${title} — ${how}`,
        `  ${status.name} → ${status.runtimeStatus} in ${ms} ms, ${history.length} history events`,
        `  output: ${JSON.stringify(status.output)}`,
        ...formatHistory(history).map((line) => `  ${line}`),
        "",
      ]);
    };
    const run = async (title: string, how: string, name: string, input?: unknown, afterStart?: (id: string) => Promise<void>) => {
      const t0 = Date.now();
      const id = await engine.startNew(name, { input });
      if (afterStart) await afterStart(id);
      show(title, how, await driveToRest(engine, id), Date.now() - t0);
    };
    try {
      const built = server.emulator.app.built;
      writeLines(io.stdout, [
        "Durable Devkit demo: the six orchestration patterns, scaffolded and run",
        `  app:   ${appDir} (${PATTERNS.length} patterns${built ? `, TypeScript built in ${built.durationMs} ms` : ""})`,
        `  store: ${storeFile} · time skipping on · HTTP on ${server.http.origin}`,
        "",
      ]);
      await run("Function chaining", "steps in order", "helloSequence");
      await run("Fan-out/fan-in", "one activity per item, in parallel", "fanOutFanIn", ["alpha", "beta", "gamma", "delta"]);

      // Async HTTP API, over real HTTP: POST the starter, then poll the status URL it answers with.
      const t0 = Date.now();
      const accepted = await httpJson(`${server.http.origin}/api/asyncHttpApi`, "POST", JSON.stringify({ reportName: "sales" }));
      const links = accepted.json as { id: string; statusQueryGetUri: string };
      let polls = 0;
      let poll = await httpJson(links.statusQueryGetUri);
      while (poll.status === 202) {
        polls++;
        await new Promise((resolve) => setTimeout(resolve, 10));
        poll = await httpJson(links.statusQueryGetUri);
      }
      show(
        "Async HTTP API",
        `POST /api/asyncHttpApi → ${accepted.status}, then ${polls + 1} polls of statusQueryGetUri → ${poll.status}`,
        engine.getStatus(links.id) as InstanceStatus,
        Date.now() - t0,
      );

      await run(
        "Human interaction, approved",
        "the Approval event arrives before the 72-hour deadline",
        "approvalWorkflow",
        { request: "buy a laptop" },
        (id) => engine.raiseEvent(id, "Approval", { approved: true, by: "Ada" }),
      );
      await run("Human interaction, timed out", "nobody answers; time skipping passes the 72 hours", "approvalWorkflow", { request: "buy a chair" });

      // Aggregator: concurrent signals over HTTP, then an orchestration that signals more and reads the total.
      await Promise.all([5, 10, 15, 20].map((value) => httpJson(`${server.http.origin}/api/aggregator/room1`, "POST", String(value))));
      await run("Aggregator", "4 concurrent HTTP signals, then an orchestration signals 3 more and calls the entity", "aggregator_report", {
        key: "room1",
        values: [1, 2, 3],
      });

      await run("External events", "Shipped and PaymentReceived raised in the opposite order to the code's", "orderEvents", "order-42", async (id) => {
        await engine.raiseEvent(id, "Shipped", { carrier: "DHL" });
        await engine.raiseEvent(id, "PaymentReceived", { amount: 30 });
      });
    } finally {
      await server.close();
    }
    writeLines(io.stdout, [
      `Done in ${Date.now() - started} ms; everything above is stored in ${storeFile}.`,
      args.includes("--keep")
        ? `Explore it: durable-devkit list --app ${appDir}   ·   durable-devkit start --app ${appDir} and open /_durable/`
        : "Run `npm run demo -- --keep` to keep the app, then `durable-devkit start --app <path>` and open /_durable/.",
    ]);
    if (!args.includes("--keep")) fs.rmSync(workDir, { recursive: true, force: true });
    return failures ? EXIT.failed : EXIT.ok;
  },
};

function devNull(): NodeJS.WritableStream {
  const { Writable } = require("node:stream") as typeof import("node:stream");
  return new Writable({ write: (_chunk, _encoding, done) => done() });
}
