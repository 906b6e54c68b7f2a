/**
 * `npm run demo`: runs the sample TypeScript app (built on the fly) through the emulator on an SQLite store file,
 * and prints each orchestration's result and history. Nothing but this package is needed.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { startEmulator, type InstanceStatus } from "../../emulator";
import { writeLines, type Command } from "../command";
import { EXIT } from "../cli-error";
import { formatHistory } from "../history-format";
import { driveToRest } from "../session";

const SAMPLE_APP = path.resolve(__dirname, "..", "..", "..", "examples", "sample-app");

export const demoCommand: Command = {
  name: "demo",
  summary: "run the sample app's orchestrations in the emulator and show what happened",
  help: `Usage: durable-devkit demo [--keep]

Copies examples/sample-app to a temporary folder, builds it (TypeScript, with esbuild), and runs its orchestrations
in the emulator on an SQLite store file: a function chain, a fan-out with retries, and a 72-hour approval wait under
time skipping, first answered by an event and then timed out.

Options:
  --keep   keep the temporary app and store afterwards (their path is printed)`,
  async run(args, io) {
    if (args.includes("--help") || args.includes("-h")) return io.stdout.write(`${this.help}\n`), EXIT.ok;
    const workDir = fs.mkdtempSync(path.join(os.tmpdir(), "durable-devkit-demo-"));
    const appDir = path.join(workDir, "sample-app");
    fs.cpSync(SAMPLE_APP, appDir, { recursive: true, filter: (source) => !/[\\/](dist|\.durable|node_modules)$/.test(source) });
    // The copy resolves durable-functions and @azure/functions from this package's own node_modules.
    fs.symlinkSync(path.resolve(__dirname, "..", "..", "..", "node_modules"), path.join(appDir, "node_modules"), "dir");
    const storeFile = path.join(appDir, ".durable", "emulator.sqlite");
    const started = Date.now();
    const emulator = await startEmulator({ appDir, store: storeFile, timeSkipping: true, appOutput: io.stdout });
    let failures = 0;
    try {
      const built = emulator.app.built;
      writeLines(io.stdout, [
        "Durable Devkit demo",
        `  app:   ${appDir}${built ? ` (TypeScript built in ${built.durationMs} ms)` : ""}`,
        `  store: ${storeFile}`,
        `  functions: ${emulator.host.functions.map((fn) => `${fn.name} (${fn.kind})`).join(", ")}`,
        "",
      ]);
      const show = (title: string, status: InstanceStatus, ms: number) => {
        if (status.runtimeStatus !== "Completed") failures++;
        const history = emulator.engine.getHistory(status.instanceId);
        writeLines(io.stdout, [
          `■ ${title}`,
          `  ${status.name} ${status.instanceId} → ${status.runtimeStatus} in ${ms} ms (${history.length} history events)`,
          `  output: ${JSON.stringify(status.output)}`,
          ...formatHistory(history).map((line) => `  ${line}`),
          "",
        ]);
      };
      const runOne = async (title: string, name: string, input?: unknown, during?: (id: string) => Promise<void>) => {
        const t0 = Date.now();
        const id = await emulator.engine.startNew(name, { input });
        if (during) await during(id);
        show(title, await driveToRest(emulator.engine, id), Date.now() - t0);
      };
      await runOne("Function chaining", "greetCities");
      const orders = Array.from({ length: 12 }, (_, i) => ({ id: `o${i + 1}`, amount: 10 * (i + 1) }));
      await runOne("Fan-out/fan-in with retries (every third charge fails once)", "processOrders", orders);
      // Raised before the orchestrator even starts waiting: early events are kept until it asks for them.
      await runOne("Human interaction, answered", "requestApproval", { hours: 72 }, (id) => emulator.engine.raiseEvent(id, "approval", "Ada"));
      await runOne("Human interaction, 72 hours without an answer (time skipping)", "requestApproval", { hours: 72 });
    } finally {
      await emulator.close();
    }
    writeLines(io.stdout, [
      `Done in ${Date.now() - started} ms. Everything above is stored in ${storeFile}.`,
      args.includes("--keep")
        ? `Look at it again with: durable-devkit list --app ${appDir}`
        : "Run `npm run demo -- --keep` to keep the app and store and explore them with `durable-devkit list`.",
    ]);
    if (!args.includes("--keep")) fs.rmSync(workDir, { recursive: true, force: true });
    return failures ? EXIT.failed : EXIT.ok;
  },
};
