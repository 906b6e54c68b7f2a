/**
 * `globalThis.__durableDevkit.replaying` in the app process: what the VS Code extension's JavaScript breakpoint
 * condition reads to skip replayed orchestrator code. It must be false exactly where orchestrator code runs for the
 * first time, true in every replay of it (the package's own context.df.isReplaying) and in the debugger's traced
 * re-runs, and false outside orchestrators.
 */
import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { NOT_REPLAYING } from "../../extension/debug/replay-guard";
import { emulatorFor, runToEnd, tempDir } from "./harness";

const ROOT = path.resolve(__dirname, "..", "..", "..");

/** Each line the probe runs, with the global (read through the breakpoint condition itself) and the package's flag. */
const PROBE = `const df = require("durable-functions");
const seen = [];
const firstRun = () => eval(process.env.PROBE_CONDITION);
df.app.activity("probe_step", { handler: (n) => {
  seen.push({ line: "activity " + n, firstRun: firstRun(), isReplaying: null });
  return n * 2;
} });
df.app.orchestration("probe", function* (context) {
  seen.push({ line: "start", firstRun: firstRun(), isReplaying: context.df.isReplaying });
  for (let i = 1; i <= 3; i++) {
    const doubled = yield context.df.callActivity("probe_step", i);
    seen.push({ line: "after " + doubled, firstRun: firstRun(), isReplaying: context.df.isReplaying });
  }
  return seen;
});
`;

interface Seen {
  line: string;
  firstRun: boolean;
  isReplaying: boolean | null;
}

function probeApp(): string {
  const dir = path.join(tempDir("dd-replay-state-"), "probe");
  fs.mkdirSync(path.join(dir, "src"), { recursive: true });
  fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "probe", main: "src/*.js", dependencies: { "durable-functions": "3.5.0" } }));
  fs.writeFileSync(path.join(dir, "host.json"), JSON.stringify({ version: "2.0" }));
  fs.writeFileSync(path.join(dir, "src", "probe.js"), PROBE);
  fs.symlinkSync(path.join(ROOT, "node_modules"), path.join(dir, "node_modules"), "dir");
  return dir;
}

describe("the replay state JavaScript breakpoints read in the app process", function () {
  this.timeout(60_000);

  it("lets a breakpoint condition through where orchestrator code runs for the first time, never in a replay or a traced re-run", async () => {
    process.env.PROBE_CONDITION = NOT_REPLAYING;
    const emulator = await emulatorFor("memory", { appDir: probeApp() });
    try {
      const result = await runToEnd(emulator, "probe");
      assert.equal(result.runtimeStatus, "Completed");
      const seen = result.output as Seen[];
      const orchestrator = seen.filter((entry) => entry.isReplaying !== null);
      // Four episodes: the start runs four times, the code after the first result three times, and so on.
      assert.deepEqual(orchestrator.map((entry) => entry.line).sort(), [
        "after 2",
        "after 2",
        "after 2",
        "after 4",
        "after 4",
        "after 6",
        "start",
        "start",
        "start",
        "start",
      ]);
      assert.deepEqual(
        orchestrator.filter((entry) => entry.firstRun).map((entry) => entry.line),
        ["start", "after 2", "after 4", "after 6"],
        "each line once, in order, where it ran first",
      );
      for (const entry of orchestrator)
        assert.equal(entry.firstRun, !entry.isReplaying, `${entry.line}: the condition is the package's own !context.df.isReplaying`);
      assert.deepEqual(
        seen.filter((entry) => entry.isReplaying === null).map((entry) => [entry.line, entry.firstRun]),
        [
          ["activity 1", true],
          ["activity 2", true],
          ["activity 3", true],
        ],
        "activities never replay",
      );

      // The replay debugger's trace runs the code once more in the same process: all of it is a replay.
      const trace = await emulator.host.trace({ functionName: "probe", instanceId: result.instanceId, history: result.history, input: null, detailed: true });
      const traced = (trace.state.output as Seen[]).slice(seen.length);
      assert.deepEqual(
        traced.map((entry) => entry.line),
        ["start", "after 2", "after 4", "after 6"],
      );
      assert.ok(
        traced.some((entry) => entry.isReplaying === false),
        "the package itself thinks the trace's last episode is new",
      );
      assert.deepEqual(
        traced.filter((entry) => entry.firstRun),
        [],
        "but no breakpoint condition lets it through",
      );
    } finally {
      delete process.env.PROBE_CONDITION;
      await emulator.close();
    }
  });

  it("is there for conditions only: not enumerable on globalThis, and an app cannot overwrite it", async () => {
    const dir = probeApp();
    fs.writeFileSync(
      path.join(dir, "src", "probe.js"),
      `const df = require("durable-functions");
df.app.orchestration("probe", function* () {
  const keys = Object.keys(globalThis).filter((key) => key.startsWith("__durable"));
  try { globalThis.__durableDevkit.replaying = true; } catch {}
  try { globalThis.__durableDevkit = { replaying: true }; } catch {}
  return { keys, replaying: globalThis.__durableDevkit.replaying };
});
`,
    );
    const emulator = await emulatorFor("memory", { appDir: dir });
    try {
      const result = await runToEnd(emulator, "probe");
      assert.deepEqual(result.output, { keys: [], replaying: false });
    } finally {
      await emulator.close();
    }
  });
});
