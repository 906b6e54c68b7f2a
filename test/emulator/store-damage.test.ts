/**
 * Damaged store files: every command refuses them with a message that names the file, the problem and what to do,
 * exits 2, and leaves every file in the store's folder byte-for-byte as it was (no rewrite, no truncation).
 */
import { strict as assert } from "node:assert";
import { spawn } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import initSqlJs = require("sql.js");
import type { Database } from "sql.js";
import { SqlJsStore } from "../../emulator/store/sqljs-store";
import { BIN, cli, type CliResult } from "./cli-runner";
import { KITCHEN_SINK, tempDir } from "./harness";

const app = ["--app", KITCHEN_SINK];
const CREATED = "2026-01-01T00:00:00.000Z";

/** A closed store holding a finished instance and an unfinished one ("live"); the journal is empty after the close. */
async function healthyStore(): Promise<string> {
  const file = path.join(tempDir("dd-damage-"), "store.sqlite");
  const store = new SqlJsStore(file);
  await store.open();
  for (const [instanceId, runtimeStatus] of [
    ["done", "Completed"],
    ["live", "Running"],
  ] as const) {
    store.commit({
      upsertInstances: [{ instanceId, name: "helloSequence", executionId: `e-${instanceId}`, runtimeStatus, createdTime: CREATED, lastUpdatedTime: CREATED }],
      history: [{ instanceId, events: [{ EventId: -1, EventType: 0, IsPlayed: false, Timestamp: CREATED }] }],
    });
  }
  await store.close();
  return file;
}

async function editDatabase(file: string, edit: (db: Database) => void): Promise<void> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(fs.readFileSync(file));
  edit(db);
  fs.writeFileSync(file, db.export());
  db.close();
}

async function appliedSeq(file: string): Promise<number> {
  const SQL = await initSqlJs();
  const db = new SQL.Database(fs.readFileSync(file));
  const seq = Number(db.exec("SELECT value FROM meta WHERE key = 'applied_seq'")[0].values[0][0]);
  db.close();
  return seq;
}

/** A journal line as the store writes it: the JSON body, a tab, and the body's CRC-32 in hex. */
function journalLine(body: object): string {
  const text = JSON.stringify(body);
  return `${text}\t${zlib.crc32(text).toString(16)}\n`;
}

function upsert(instanceId: string) {
  return {
    upsertInstances: [{ instanceId, name: "helloSequence", executionId: "e", runtimeStatus: "Running", createdTime: CREATED, lastUpdatedTime: CREATED }],
  };
}

/**
 * Every file under the folder, by name, with a hash of its bytes and its inode and modification time: what must not
 * change (a checkpoint can write identical bytes, but it always writes a new file).
 */
function folderDigest(dir: string): Record<string, string> {
  const digest: Record<string, string> = {};
  const walk = (current: string) => {
    for (const entry of fs.readdirSync(current, { withFileTypes: true })) {
      const full = path.join(current, entry.name);
      const name = path.relative(dir, full);
      if (entry.isDirectory()) {
        digest[`${name}/`] = "folder";
        walk(full);
      } else {
        const stat = fs.statSync(full);
        digest[name] = `${crypto.createHash("sha256").update(fs.readFileSync(full)).digest("hex")} inode ${stat.ino} modified ${stat.mtimeMs}`;
      }
    }
  };
  walk(dir);
  return digest;
}

/** `start` serves until stopped: a refused store must make it exit by itself; it is stopped if it does not. */
function startUntilExit(store: string): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, "start", ...app, "--store", store, "--port", "0"]);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => {
      stdout += chunk;
      if (stdout.includes("Press Ctrl+C to stop.")) child.kill("SIGTERM"); // it opened the store: that is the failure
    });
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const timer = setTimeout(() => child.kill("SIGKILL"), 45_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface DamageCase {
  title: string;
  /** Damages a healthy store; returns the file the message must name (the store or its journal). */
  damage(store: string): Promise<string>;
  problem: RegExp;
}

const CASES: DamageCase[] = [
  {
    title: "a corrupted page in the database file",
    async damage(store) {
      const SQL = await initSqlJs();
      const db = new SQL.Database(fs.readFileSync(store));
      const pageSize = Number(db.exec("PRAGMA page_size")[0].values[0][0]);
      const rootPage = Number(db.exec("SELECT rootpage FROM sqlite_master WHERE name = 'instances'")[0].values[0][0]);
      db.close();
      const bytes = fs.readFileSync(store);
      bytes.fill(0xab, (rootPage - 1) * pageSize, rootPage * pageSize);
      fs.writeFileSync(store, bytes);
      return store;
    },
    problem: /damaged.*SQLite/i,
  },
  {
    title: "a missing table",
    async damage(store) {
      await editDatabase(store, (db) => db.run("DROP TABLE history"));
      return store;
    },
    problem: /no table "history"/,
  },
  {
    title: "an instance record that is not JSON",
    async damage(store) {
      await editDatabase(store, (db) => db.run(`UPDATE instances SET record = '{"instanceId": "live", oops' WHERE instance_id = 'live'`));
      return store;
    },
    problem: /instance "live".*not (valid )?JSON/,
  },
  {
    title: "a journal record with a good checksum but a batch that cannot be applied",
    async damage(store) {
      const next = (await appliedSeq(store)) + 1;
      fs.writeFileSync(`${store}.ddlog`, journalLine({ seq: next, batch: { upsertInstances: [{ instanceId: "ghost" }] } }));
      return `${store}.ddlog`;
    },
    problem: /record 1 of 1.*(not a batch|cannot be applied)/,
  },
  {
    title: "a journal that is garbage without a newline",
    async damage(store) {
      fs.writeFileSync(`${store}.ddlog`, "this is not a journal at all");
      return `${store}.ddlog`;
    },
    problem: /not a journal record/,
  },
  {
    title: "a journal record whose sequence number goes backwards",
    async damage(store) {
      const next = (await appliedSeq(store)) + 1;
      const lines = [
        journalLine({ seq: next, batch: upsert("new-1") }),
        journalLine({ seq: next + 1, batch: upsert("new-2") }),
        journalLine({ seq: next, batch: upsert("ghost") }),
      ];
      fs.writeFileSync(`${store}.ddlog`, lines.join(""));
      return `${store}.ddlog`;
    },
    problem: /record 3 of 3: it has sequence number \d+ after \d+/,
  },
];

const COMMANDS: { name: string; run: (store: string) => Promise<CliResult> }[] = [
  { name: "list", run: async (store) => cli(["list", ...app, "--store", store]) },
  { name: "status", run: async (store) => cli(["status", "live", ...app, "--store", store]) },
  { name: "history", run: async (store) => cli(["history", "done", ...app, "--store", store]) },
  { name: "run", run: async (store) => cli(["run", "helloSequence", ...app, "--store", store]) },
  { name: "wait", run: async (store) => cli(["wait", "live", ...app, "--store", store]) },
  { name: "start", run: startUntilExit },
];

function assertRefusal(result: CliResult, command: string, file: string, problem: RegExp): void {
  const context = `${command}: exit ${result.code}\n${result.stderr}${result.stdout}`;
  assert.equal(result.code, 2, context);
  assert.match(result.stderr, new RegExp(escape(file)), `${command} names the file: ${context}`);
  assert.match(result.stderr, problem, `${command} names the problem: ${context}`);
  assert.match(result.stderr, /restore .* from a copy|move .* aside|start fresh|point --store at/i, `${command} says what to do: ${context}`);
  assert.doesNotMatch(result.stderr, /failed unexpectedly|\n\s+at /, `${command} prints no stack trace: ${context}`);
}

describe("damaged store files", function () {
  this.timeout(300_000);

  for (const damageCase of CASES) {
    it(`refuses ${damageCase.title} in every command and changes no file`, async () => {
      const store = await healthyStore();
      const named = await damageCase.damage(store);
      // Each command gets its own copy of the damaged folder, so they run at once and none sees another's lock.
      await Promise.all(
        COMMANDS.map(async (command) => {
          const copy = path.join(tempDir(`dd-damage-${command.name}-`), "store");
          fs.cpSync(path.dirname(store), copy, { recursive: true });
          const own = (file: string) => path.join(copy, path.relative(path.dirname(store), file));
          const before = folderDigest(copy);
          const result = await command.run(own(store));
          assertRefusal(result, command.name, own(named), damageCase.problem);
          assert.deepEqual(folderDigest(copy), before, `${command.name} changed the store's files`);
        }),
      );
    });
  }

  it("refuses a folder given as the store in every command and creates nothing beside it", async () => {
    const parent = tempDir("dd-damage-");
    const folder = path.join(parent, "not-a-file.sqlite");
    fs.mkdirSync(folder);
    fs.writeFileSync(path.join(folder, "notes.txt"), "mine");
    const before = folderDigest(parent);
    for (const command of COMMANDS) {
      const result = await command.run(folder);
      assertRefusal(result, command.name, folder, /is a folder/);
      assert.deepEqual(folderDigest(parent), before, `${command.name} changed the folder`);
    }
  });
});
