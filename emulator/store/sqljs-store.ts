/**
 * The file store: an SQLite database (sql.js, WebAssembly, no native build) that any SQLite tool can open, plus an
 * append-only journal beside it. sql.js keeps the database in memory, and writing the whole file per episode would be
 * far too slow, so each committed batch is appended to `<file>.ddlog` as one checksummed line and the database file is
 * rewritten (atomically, by rename) only at checkpoints, which then start a new journal (also by rename). Opening
 * replays the journal's complete lines, so a kill -9 at any moment loses nothing that was flushed; a torn last line
 * is the only thing ever dropped. Anything else that is wrong with the files is refused before anything is written.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import initSqlJs = require("sql.js");
import type { Database, SqlJsStatic, Statement, SqlValue } from "sql.js";
import type { HistoryEvent } from "../history/history-event";
import type { InstanceQuery, InstanceRecord, InstancePage, RuntimeStatus } from "../api/types";
import type { PendingMessage, Store, StoreBatch, StoreSnapshot, WorkItem } from "./store";
import { decodeContinuationToken, encodeContinuationToken } from "./instance-query";
import { checkDatabase } from "./database-checks";
import { assertNotFolders, readConsistently } from "./consistent-read";
import { encodeJournalLine } from "./journal-format";
import { recordsToReplay } from "./journal-replay";
import { StoreLock } from "./store-lock";
import { StoreFileError, damagedJournal } from "./store-errors";
import { removeStaleTemporaryFiles, syncFolderOf, writeFileAtomically } from "./temporary-files";

export { StoreBusyError, StoreFileError } from "./store-errors";

/** Written into the SQLite header (PRAGMA application_id) so we never mistake another program's database for ours. */
const APPLICATION_ID = 0x44444b31; // "DDK1"
export const STORE_SCHEMA_VERSION = 1;
const DEFAULT_CHECKPOINT_JOURNAL_BYTES = 16 * 1024 * 1024;

/** DURABLE_DEVKIT_CHECKPOINT_BYTES: checkpoint once the journal is this long (tests make it small to checkpoint often). */
function checkpointJournalBytes(): number {
  const configured = Number(process.env.DURABLE_DEVKIT_CHECKPOINT_BYTES);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : DEFAULT_CHECKPOINT_JOURNAL_BYTES;
}

let sqlJsLoading: Promise<SqlJsStatic> | undefined;
function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJsLoading ??= initSqlJs();
  return sqlJsLoading;
}

export class SqlJsStore implements Store {
  readonly description: string;
  private readonly journalPath: string;
  private db!: Database;
  private opened = false;
  private journalFd: number | undefined;
  private journalBytes = 0;
  private seq = 0;
  private pendingLines: string[] = [];
  private flushWaiters: (() => void)[] = [];
  private flushScheduled = false;
  private readonly historyLength = new Map<string, number>();
  private statements!: Record<
    "upsertInstance" | "appendHistory" | "deleteHistory" | "deleteInstance" | "addMessage" | "deleteMessage" | "addWorkItem" | "deleteWorkItem",
    Statement
  >;

  private readonly lock: StoreLock;
  private readonly checkpointBytes = checkpointJournalBytes();

  /**
   * @param readOnly read the store (file and journal) without writing anything, even while another process has it
   *   open for writing; used by status, list, history and export.
   */
  constructor(
    readonly filePath: string,
    private readonly options: { readOnly?: boolean } = {},
  ) {
    this.description = filePath;
    this.journalPath = `${filePath}.ddlog`;
    this.lock = new StoreLock(`${filePath}.lock`, filePath);
  }

  async open(): Promise<StoreSnapshot> {
    const SQL = await loadSqlJs();
    const readOnly = this.options.readOnly === true;
    assertNotFolders(this.filePath, this.journalPath);
    if (!readOnly) {
      fs.mkdirSync(path.dirname(this.filePath), { recursive: true });
      this.lock.acquire();
    }
    try {
      // Everything is read and checked in memory first: a refusal must leave the files exactly as they were.
      const files = await readConsistently(this.filePath, this.journalPath);
      this.db = files.database ? this.openExisting(SQL, files.database) : this.createDatabase(SQL);
      this.prepareStatements();
      this.seq = Number(this.scalar("SELECT value FROM meta WHERE key = 'applied_seq'") ?? 0);
      if (files.journal !== undefined) this.replayJournal(files.journal);
      const snapshot = this.snapshot();
      if (!readOnly) {
        removeStaleTemporaryFiles([this.filePath, this.journalPath], this.lock.takenAtMs);
        this.checkpoint();
      }
      this.opened = true;
      return snapshot;
    } catch (error) {
      (this.db as Database | undefined)?.close();
      this.lock.release();
      throw error;
    }
  }

  private createDatabase(SQL: SqlJsStatic): Database {
    const db = new SQL.Database();
    this.db = db;
    this.createSchema();
    return db;
  }

  private openExisting(SQL: SqlJsStatic, bytes: Buffer): Database {
    const notOurs = (why: string) =>
      new StoreFileError(
        `${this.filePath} is not a Durable Devkit store (${why}). It was left untouched. ` +
          "Point --store at another file, or move this one away if it is yours to discard.",
      );
    if (bytes.length === 0) throw notOurs("the file is empty");
    let db: Database;
    try {
      db = new SQL.Database(bytes);
      const applicationId = Number(db.exec("PRAGMA application_id")[0]?.values[0]?.[0] ?? 0);
      if (applicationId !== APPLICATION_ID) {
        db.close();
        throw notOurs("it is an SQLite database of some other program");
      }
    } catch (error) {
      if (error instanceof StoreFileError) throw error;
      throw notOurs(`SQLite cannot read it: ${error instanceof Error ? error.message : String(error)}`);
    }
    const version = Number(db.exec("PRAGMA user_version")[0]?.values[0]?.[0] ?? 0);
    if (version > STORE_SCHEMA_VERSION) {
      db.close();
      throw new StoreFileError(
        `${this.filePath} was written by a newer Durable Devkit (store schema ${version}; this one reads up to ${STORE_SCHEMA_VERSION}). ` +
          "Update durable-devkit, or use another --store file.",
      );
    }
    try {
      checkDatabase(db, this.filePath);
    } catch (error) {
      db.close();
      throw error;
    }
    return db;
  }

  private createSchema(): void {
    this.db.run(`
      PRAGMA application_id = ${APPLICATION_ID};
      PRAGMA user_version = ${STORE_SCHEMA_VERSION};
      CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      INSERT INTO meta VALUES ('applied_seq', '0');
      CREATE TABLE instances (
        instance_id TEXT PRIMARY KEY, name TEXT NOT NULL, runtime_status TEXT NOT NULL,
        created_time TEXT NOT NULL, last_updated_time TEXT NOT NULL, record TEXT NOT NULL);
      CREATE INDEX instances_by_created ON instances (created_time, instance_id);
      CREATE TABLE history (instance_id TEXT NOT NULL, seq INTEGER NOT NULL, event TEXT NOT NULL, PRIMARY KEY (instance_id, seq));
      CREATE TABLE messages (id INTEGER PRIMARY KEY, instance_id TEXT NOT NULL, message TEXT NOT NULL);
      CREATE TABLE work_items (id INTEGER PRIMARY KEY, instance_id TEXT NOT NULL, item TEXT NOT NULL);
    `);
  }

  private prepareStatements(): void {
    const prepare = (sql: string) => this.db.prepare(sql);
    this.statements = {
      upsertInstance: prepare(
        "INSERT OR REPLACE INTO instances (instance_id, name, runtime_status, created_time, last_updated_time, record) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      appendHistory: prepare("INSERT INTO history (instance_id, seq, event) VALUES (?, ?, ?)"),
      deleteHistory: prepare("DELETE FROM history WHERE instance_id = ?"),
      deleteInstance: prepare("DELETE FROM instances WHERE instance_id = ?"),
      addMessage: prepare("INSERT OR REPLACE INTO messages (id, instance_id, message) VALUES (?, ?, ?)"),
      deleteMessage: prepare("DELETE FROM messages WHERE id = ?"),
      addWorkItem: prepare("INSERT OR REPLACE INTO work_items (id, instance_id, item) VALUES (?, ?, ?)"),
      deleteWorkItem: prepare("DELETE FROM work_items WHERE id = ?"),
    };
  }

  private scalar(sql: string, params: SqlValue[] = []): SqlValue | undefined {
    const statement = this.db.prepare(sql);
    try {
      statement.bind(params);
      return statement.step() ? statement.get()[0] : undefined;
    } finally {
      statement.free();
    }
  }

  private rows(sql: string, params: SqlValue[] = []): SqlValue[][] {
    const statement = this.db.prepare(sql);
    const result: SqlValue[][] = [];
    try {
      statement.bind(params);
      while (statement.step()) result.push(statement.get());
    } finally {
      statement.free();
    }
    return result;
  }

  /** Applies the journal's records that the database file does not contain yet. */
  private replayJournal(text: string): void {
    for (const { record, line, lineCount } of recordsToReplay(text, this.seq, { journalPath: this.journalPath, filePath: this.filePath })) {
      try {
        this.applyBatch(record.batch);
      } catch (error) {
        const why = error instanceof Error ? error.message : String(error);
        throw damagedJournal(this.journalPath, this.filePath, `at record ${line} of ${lineCount}`, `its batch cannot be applied (${why})`);
      }
      this.seq = record.seq;
    }
  }

  /**
   * Writes the whole database to the file and starts a new, empty journal. Both are replaced by rename, never changed
   * in place: a reader in another process that opened the old journal reads all of it (see consistent-read.ts).
   */
  private checkpoint(): void {
    this.db.run("UPDATE meta SET value = ? WHERE key = 'applied_seq'", [String(this.seq)]);
    writeFileAtomically(this.filePath, this.db.export());
    // The new database file must be durable before the journal that it makes redundant is emptied.
    syncFolderOf(this.filePath);
    if (this.journalFd !== undefined) fs.closeSync(this.journalFd);
    this.journalFd = undefined;
    writeFileAtomically(this.journalPath, new Uint8Array(0));
    this.journalFd = fs.openSync(this.journalPath, "a");
    this.journalBytes = 0;
    // db.export() closes prepared statements in sql.js; make them again.
    this.prepareStatements();
  }

  private snapshot(): StoreSnapshot {
    const activeInstances = this.rows("SELECT record FROM instances WHERE runtime_status NOT IN ('Completed', 'Failed', 'Terminated')").map(
      ([record]) => JSON.parse(record as string) as InstanceRecord,
    );
    const histories = new Map<string, HistoryEvent[]>();
    for (const record of activeInstances) histories.set(record.instanceId, this.getHistory(record.instanceId));
    const messages = this.rows("SELECT message FROM messages ORDER BY id").map(([m]) => JSON.parse(m as string) as PendingMessage);
    const workItems = this.rows("SELECT item FROM work_items ORDER BY id").map(([w]) => JSON.parse(w as string) as WorkItem);
    const lastId = Math.max(
      0,
      Number(this.scalar("SELECT MAX(id) FROM messages") ?? 0),
      Number(this.scalar("SELECT MAX(id) FROM work_items") ?? 0),
      Number(this.scalar("SELECT value FROM meta WHERE key = 'last_id'") ?? 0),
    );
    return { activeInstances, histories, messages, workItems, lastId };
  }

  commit(batch: StoreBatch): void {
    if (this.options.readOnly) throw new Error(`The store ${this.filePath} was opened read-only.`);
    this.applyBatch(batch);
    this.seq++;
    this.pendingLines.push(encodeJournalLine({ seq: this.seq, batch }));
    this.scheduleFlush();
  }

  private applyBatch(batch: StoreBatch): void {
    const s = this.statements;
    let maxId = 0;
    this.db.run("BEGIN");
    try {
      for (const instanceId of batch.purgeInstances ?? []) {
        s.deleteInstance.run([instanceId]);
        s.deleteHistory.run([instanceId]);
        this.historyLength.set(instanceId, 0);
      }
      for (const r of batch.upsertInstances ?? []) {
        s.upsertInstance.run([r.instanceId, r.name, r.runtimeStatus, r.createdTime, r.lastUpdatedTime, JSON.stringify(r)]);
      }
      for (const append of batch.history ?? []) {
        if (append.replace) {
          s.deleteHistory.run([append.instanceId]);
          this.historyLength.set(append.instanceId, 0);
        }
        let next = this.nextHistorySeq(append.instanceId);
        for (const event of append.events) s.appendHistory.run([append.instanceId, next++, JSON.stringify(event)]);
        this.historyLength.set(append.instanceId, next);
      }
      for (const id of batch.deleteMessages ?? []) s.deleteMessage.run([id]);
      for (const m of batch.addMessages ?? []) {
        s.addMessage.run([m.id, m.instanceId, JSON.stringify(m)]);
        maxId = Math.max(maxId, m.id);
      }
      for (const id of batch.deleteWorkItems ?? []) s.deleteWorkItem.run([id]);
      for (const w of batch.addWorkItems ?? []) {
        s.addWorkItem.run([w.id, w.instanceId, JSON.stringify(w)]);
        maxId = Math.max(maxId, w.id);
      }
      if (maxId > 0) this.db.run("INSERT OR REPLACE INTO meta VALUES ('last_id', ?)", [String(maxId)]);
      this.db.run("COMMIT");
    } catch (error) {
      this.db.run("ROLLBACK");
      throw error;
    }
  }

  private nextHistorySeq(instanceId: string): number {
    let length = this.historyLength.get(instanceId);
    if (length === undefined) {
      length = Number(this.scalar("SELECT COALESCE(MAX(seq) + 1, 0) FROM history WHERE instance_id = ?", [instanceId]));
      this.historyLength.set(instanceId, length);
    }
    return length;
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.writePending());
  }

  /** Group commit: every batch committed in this turn of the event loop goes to the journal in one write. */
  private writePending(): void {
    this.flushScheduled = false;
    if (this.pendingLines.length > 0 && this.journalFd !== undefined) {
      const chunk = this.pendingLines.join("");
      this.pendingLines = [];
      fs.writeSync(this.journalFd, chunk);
      this.journalBytes += Buffer.byteLength(chunk);
      if (this.journalBytes > this.checkpointBytes) this.checkpoint();
    }
    const waiters = this.flushWaiters;
    this.flushWaiters = [];
    for (const resolve of waiters) resolve();
  }

  flush(): Promise<void> {
    if (this.pendingLines.length === 0 && !this.flushScheduled) return Promise.resolve();
    return new Promise((resolve) => {
      this.flushWaiters.push(resolve);
      this.scheduleFlush();
    });
  }

  getInstance(instanceId: string): InstanceRecord | undefined {
    const record = this.scalar("SELECT record FROM instances WHERE instance_id = ?", [instanceId]);
    return record === undefined ? undefined : (JSON.parse(record as string) as InstanceRecord);
  }

  getHistory(instanceId: string): HistoryEvent[] {
    return this.rows("SELECT event FROM history WHERE instance_id = ? ORDER BY seq", [instanceId]).map(
      ([event]) => JSON.parse(event as string) as HistoryEvent,
    );
  }

  listInstances(query: InstanceQuery): InstancePage {
    // Entity instance ids start with "@" (DurableTask's @name@key).
    const where: string[] = [query.entities ? "substr(instance_id, 1, 1) = '@'" : "substr(instance_id, 1, 1) <> '@'"];
    const params: SqlValue[] = [];
    if (query.runtimeStatus?.length) {
      where.push(`runtime_status IN (${query.runtimeStatus.map(() => "?").join(", ")})`);
      params.push(...(query.runtimeStatus as RuntimeStatus[]));
    }
    if (query.createdTimeFrom) {
      where.push("created_time >= ?");
      params.push(query.createdTimeFrom);
    }
    if (query.createdTimeTo) {
      where.push("created_time <= ?");
      params.push(query.createdTimeTo);
    }
    if (query.instanceIdPrefix) {
      where.push("substr(instance_id, 1, ?) = ?");
      params.push(query.instanceIdPrefix.length, query.instanceIdPrefix);
    }
    if (query.name) {
      where.push("name = ?");
      params.push(query.name);
    }
    if (query.continuationToken) {
      const cursor = decodeContinuationToken(query.continuationToken);
      where.push("(created_time > ? OR (created_time = ? AND instance_id > ?))");
      params.push(cursor.createdTime, cursor.createdTime, cursor.instanceId);
    }
    const top = query.top && query.top > 0 ? query.top : undefined;
    const sql = "SELECT record FROM instances" + ` WHERE ${where.join(" AND ")}` + " ORDER BY created_time, instance_id" + (top ? ` LIMIT ${top + 1}` : "");
    const records = this.rows(sql, params).map(([record]) => JSON.parse(record as string) as InstanceRecord);
    const hasMore = top !== undefined && records.length > top;
    const instances = hasMore ? records.slice(0, top) : records;
    const last = instances[instances.length - 1];
    return { instances, continuationToken: hasMore && last ? encodeContinuationToken(last) : undefined };
  }

  async close(): Promise<void> {
    if (!this.opened) return;
    this.opened = false;
    if (!this.options.readOnly) {
      this.writePending();
      this.checkpoint();
    }
    if (this.journalFd !== undefined) fs.closeSync(this.journalFd);
    this.journalFd = undefined;
    this.db.close();
    this.lock.release();
  }
}
