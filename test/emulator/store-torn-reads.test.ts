/**
 * Read-only commands beside a writer that checkpoints all the time: every instance the writer acknowledged before a
 * read began must be in what the read sees. A checkpoint replaces the database file and starts a new journal; a
 * reader that pairs an old file with a new journal (or the reverse) loses records.
 */
import { strict as assert } from "node:assert";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { SqlJsStore } from "../../emulator/store/sqljs-store";
import { BIN, cliAsync } from "./cli-runner";
import { KITCHEN_SINK, tempDir } from "./harness";

/** Checkpoint every few instances, so the journal always holds acknowledged instances that a checkpoint folds in. */
const CHECKPOINT_BYTES = "16384";
const IN_PROCESS_READS = 600;
const IN_PROCESS_BUDGET_MS = 30_000;
const CLI_ROUNDS = 5;
const CLI_PARALLEL = 4;
const CLI_BUDGET_MS = 40_000;

/** Starts `durable-devkit start` on a free port, checkpointing every CHECKPOINT_BYTES of journal; resolves with its origin. */
async function startWriter(store: string): Promise<{ child: ChildProcess; origin: string; output: () => string }> {
  const child = spawn(process.execPath, [BIN, "start", "--app", KITCHEN_SINK, "--store", store, "--port", "0"], {
    env: { ...process.env, DURABLE_DEVKIT_CHECKPOINT_BYTES: CHECKPOINT_BYTES },
  });
  let output = "";
  const origin = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Durable HTTP API: (http:\/\/127\.0\.0\.1:\d+)\//.exec(output);
      if (match) resolve(match[1]);
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => reject(new Error(`start exited (code ${code}) before it listened:\n${output}`)));
  });
  return { child, origin, output: () => output };
}

async function stopWriter(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGTERM");
  await exited;
}

function fileIdentity(file: string): string {
  try {
    const stat = fs.statSync(file);
    return `${stat.ino}:${stat.mtimeMs}`;
  } catch {
    return "absent";
  }
}

/** What one read saw wrong, if anything. */
type ReadCheck = (expected: string[]) => Promise<string | undefined>;

/** A read-only open in this process, as `list` and `status` do: fast, so it can run hundreds of times. */
const readInProcess =
  (store: string): ReadCheck =>
  async (expected) => {
    const reader = new SqlJsStore(store, { readOnly: true });
    try {
      await reader.open();
      const seen = new Set(reader.listInstances({}).instances.map((record) => record.instanceId));
      const missing = expected.filter((id) => !seen.has(id));
      const newest = expected[expected.length - 1];
      if (missing.length) return `a read-only open missed ${missing.length} of ${expected.length} acknowledged instances: ${missing.join(", ")}`;
      if (!reader.getInstance(newest)) return `a read-only open found no instance ${newest}`;
      return undefined;
    } catch (error) {
      return `a read-only open failed: ${error instanceof Error ? error.message : String(error)}`;
    } finally {
      await reader.close();
    }
  };

/** `durable-devkit list` and `status <newest>` in child processes, several side by side. */
const readWithCommands =
  (store: string): ReadCheck =>
  async (expected) => {
    const newest = expected[expected.length - 1];
    const commands = Array.from({ length: CLI_PARALLEL }, (_, i) =>
      i % 2 === 0 ? ["list", "--app", KITCHEN_SINK, "--store", store, "--json"] : ["status", newest, "--app", KITCHEN_SINK, "--store", store, "--json"],
    );
    const results = await Promise.all(commands.map((args) => cliAsync(args)));
    const problems: string[] = [];
    results.forEach((result, i) => {
      const [command] = commands[i];
      if (result.code !== 0) {
        problems.push(`${command} exited ${result.code}: ${result.stderr.trim()}`);
      } else if (command === "list") {
        const seen = new Set((JSON.parse(result.stdout) as { instanceId: string }[]).map((s) => s.instanceId));
        const missing = expected.filter((id) => !seen.has(id));
        if (missing.length) problems.push(`list missed ${missing.length} of ${expected.length} acknowledged instances: ${missing.join(", ")}`);
      }
    });
    return problems.length ? problems.join("; ") : undefined;
  };

describe("read-only opens beside a writer process that checkpoints", function () {
  this.timeout(240_000);
  let store: string;
  let writer: Awaited<ReturnType<typeof startWriter>>;
  let acknowledged: string[];
  let writing: boolean;
  let creating: Promise<void>;
  let writeError: unknown;

  beforeEach(async () => {
    store = path.join(tempDir(), "busy.sqlite");
    writer = await startWriter(store);
    acknowledged = [];
    writing = true;
    writeError = undefined;
    // Start instances one after another; the 202 answer is the acknowledgement (the engine flushed the journal).
    creating = (async () => {
      for (let n = 0; writing; n++) {
        const id = `torn-${n}`;
        const answer = await fetch(`${writer.origin}/runtime/webhooks/durabletask/orchestrators/helloSequence/${id}`, { method: "POST" });
        if (answer.status !== 202) throw new Error(`starting ${id} answered ${answer.status}: ${await answer.text()}`);
        acknowledged.push(id);
      }
    })().catch((error: unknown) => {
      writeError = error;
    });
    const deadline = Date.now() + 30_000;
    while (acknowledged.length < 3 && writeError === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(acknowledged.length >= 3, `the writer acknowledged no instances: ${String(writeError)}\n${writer.output()}`);
  });

  afterEach(async () => {
    writing = false;
    await creating;
    await stopWriter(writer.child);
  });

  /** Reads until `count` reads or `budgetMs` are done; each read must see what was acknowledged before it began. */
  async function hammer(read: ReadCheck, count: number, budgetMs: number, minimum: number): Promise<void> {
    const failures: string[] = [];
    let reads = 0;
    let readsDuringCheckpoint = 0;
    const deadline = Date.now() + budgetMs;
    while (reads < count && Date.now() < deadline && writeError === undefined) {
      const expected = [...acknowledged];
      const fileBefore = fileIdentity(store);
      const problem = await read(expected);
      if (fileIdentity(store) !== fileBefore) readsDuringCheckpoint++;
      reads++;
      if (problem) failures.push(problem);
      // Let this process's writer loop send its next request.
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal(writeError, undefined, `the writer failed: ${String(writeError)}\n${writer.output()}`);
    assert.ok(reads >= minimum, `only ${reads} reads ran in ${budgetMs} ms`);
    assert.ok(readsDuringCheckpoint > 0, "no read overlapped a checkpoint: the test proved nothing");
    assert.deepEqual(failures, [], `${failures.length} of ${reads} reads went wrong`);
  }

  it("a read-only open always sees every instance acknowledged before it began", async () => {
    await hammer(readInProcess(store), IN_PROCESS_READS, IN_PROCESS_BUDGET_MS, 50);
  });

  // Each command costs a process start, so this runs far fewer reads than the test above (which is the one that
  // catches a torn read reliably); it checks the commands end to end, exit codes included.
  it("`list` and `status` always find every instance acknowledged before they began", async () => {
    await hammer(readWithCommands(store), CLI_ROUNDS, CLI_BUDGET_MS, 2);
  });
});
