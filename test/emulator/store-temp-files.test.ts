/**
 * Temporary files of a checkpoint (`<store>.tmp-<pid>`, `<store>.ddlog.tmp-<pid>`) that a kill left behind are removed
 * by the next writer; a live writer's are never touched, and read-only opens delete nothing.
 */
import { strict as assert } from "node:assert";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { SqlJsStore } from "../../emulator/store/sqljs-store";
import { BIN, cli } from "./cli-runner";
import { KITCHEN_SINK, tempDir } from "./harness";

const app = ["--app", KITCHEN_SINK];

/** The pid of a process that has exited: nothing can be using a file named after it. */
function deadPid(): number {
  const child = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(child.stdout);
}

async function closedStore(): Promise<string> {
  const file = path.join(tempDir("dd-temp-"), "store.sqlite");
  const store = new SqlJsStore(file);
  await store.open();
  await store.close();
  return file;
}

function leave(file: string, options: { ageMs?: number } = {}): string {
  fs.writeFileSync(file, "half a checkpoint");
  if (options.ageMs) {
    const then = new Date(Date.now() - options.ageMs);
    fs.utimesSync(file, then, then);
  }
  return file;
}

describe("temporary files of interrupted checkpoints", function () {
  this.timeout(120_000);

  it("are removed when a writer opens the store, and nothing else is", async () => {
    const store = await closedStore();
    const dead = deadPid();
    const stale = [
      leave(`${store}.tmp-${dead}`),
      leave(`${store}.ddlog.tmp-${dead}`),
      // A live pid (this test's), but written an hour before the writer took the lock: no live writer owns it.
      leave(`${store}.tmp-${process.pid}`, { ageMs: 3_600_000 }),
    ];
    const unrelated = [leave(`${store}.tmp-notes`), leave(path.join(path.dirname(store), `other.sqlite.tmp-${dead}`)), leave(`${store}.tmp-${dead}.bak`)];

    const result = cli(["run", "helloSequence", ...app, "--store", store]);
    assert.equal(result.code, 0, result.stderr);
    for (const file of stale) assert.equal(fs.existsSync(file), false, `${path.basename(file)} was left behind`);
    for (const file of unrelated) assert.equal(fs.existsSync(file), true, `${path.basename(file)} is not ours to remove`);
  });

  it("are never removed by read-only commands, nor while their writer is alive", async () => {
    const store = await closedStore();
    const leftOver = leave(`${store}.tmp-${deadPid()}`);
    const list = cli(["list", ...app, "--store", store]);
    assert.equal(list.code, 0, list.stderr);
    assert.equal(fs.existsSync(leftOver), true, "a read-only command deleted a file");

    const writer = spawn(process.execPath, [BIN, "start", ...app, "--store", store, "--port", "0"]);
    try {
      let output = "";
      await new Promise<void>((resolve, reject) => {
        writer.stdout.on("data", (chunk) => {
          output += chunk;
          if (output.includes("Press Ctrl+C to stop.")) resolve();
        });
        writer.once("exit", (code) => reject(new Error(`start exited (code ${code}): ${output}`)));
      });
      // The live writer's checkpoint in flight, as far as anyone else can tell; and a leftover the writer's open did
      // not see (it removed the one above), which only the lock holder may remove.
      const inFlight = leave(`${store}.tmp-${writer.pid}`);
      const laterLeftOver = leave(`${store}.tmp-${deadPid()}`);
      const read = cli(["status", "nobody", ...app, "--store", store]);
      assert.match(read.stderr, /No instance has the id "nobody"/);
      const secondWriter = cli(["run", "helloSequence", ...app, "--store", store]);
      assert.equal(secondWriter.code, 1, secondWriter.stderr);
      assert.match(secondWriter.stderr, /in use by another durable-devkit process/);
      assert.equal(fs.existsSync(inFlight), true, "the live writer's temporary file was removed");
      assert.equal(fs.existsSync(laterLeftOver), true, "a read-only command or a refused writer deleted a file");
    } finally {
      if (writer.exitCode === null) {
        const exited = new Promise((resolve) => writer.once("exit", resolve));
        writer.kill("SIGTERM");
        await exited;
      }
    }
  });
});
