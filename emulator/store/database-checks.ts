/**
 * Checks an existing database file before anything is read from it or written to it, so that damage is reported as
 * such (naming the file) instead of surfacing later as an SQLite or JSON error, and before a checkpoint could write
 * a damaged database back over the file.
 */
import type { Database, SqlValue } from "sql.js";
import { damagedDatabase } from "./store-errors";

/** The tables and columns this version reads and writes. */
const SCHEMA: Record<string, string[]> = {
  meta: ["key", "value"],
  instances: ["instance_id", "name", "runtime_status", "created_time", "last_updated_time", "record"],
  history: ["instance_id", "seq", "event"],
  messages: ["id", "instance_id", "message"],
  work_items: ["id", "instance_id", "item"],
};

/** Columns holding JSON objects, with a query for the first row whose text is not one. */
const JSON_COLUMNS: { what: string; sql: string }[] = [
  {
    what: "instance",
    sql: `SELECT instance_id FROM instances WHERE ${notJsonObject("record", "json_extract(record, '$.instanceId') IS NOT instance_id")} LIMIT 1`,
  },
  { what: "history event of the instance", sql: `SELECT instance_id FROM history WHERE ${notJsonObject("event")} LIMIT 1` },
  { what: "message", sql: `SELECT id FROM messages WHERE ${notJsonObject("message")} LIMIT 1` },
  { what: "work item", sql: `SELECT id FROM work_items WHERE ${notJsonObject("item")} LIMIT 1` },
];

/**
 * A condition true when the column is not a JSON object (or fails `alsoBad`). json_type and json_extract fail on text
 * that is not JSON, so each is asked only once the one before said yes: CASE evaluates its branches in order.
 */
function notJsonObject(column: string, alsoBad = "0"): string {
  return `(CASE WHEN NOT json_valid(${column}) THEN 1 WHEN json_type(${column}) <> 'object' THEN 1 WHEN ${alsoBad} THEN 1 ELSE 0 END) = 1`;
}

/** Throws a StoreFileError naming the file and the first problem found. */
export function checkDatabase(db: Database, filePath: string): void {
  const damaged = (problem: string) => damagedDatabase(filePath, problem);
  const run = (sql: string): SqlValue[][] => {
    try {
      return db.exec(sql)[0]?.values ?? [];
    } catch (error) {
      throw damaged(`SQLite cannot read it (${error instanceof Error ? error.message : String(error)})`);
    }
  };

  const integrity = run("PRAGMA quick_check(5)").map(([line]) => String(line));
  if (integrity.join() !== "ok") throw damaged(`SQLite's integrity check reports: ${integrity.join("; ").replace(/\s+/g, " ")}`);

  for (const [table, columns] of Object.entries(SCHEMA)) {
    const present = new Set(run(`PRAGMA table_info(${table})`).map((row) => String(row[1])));
    if (present.size === 0) throw damaged(`it has no table "${table}"`);
    const missing = columns.find((column) => !present.has(column));
    if (missing) throw damaged(`its table "${table}" has no column "${missing}"`);
  }

  const appliedSeq = run("SELECT value FROM meta WHERE key = 'applied_seq'")[0]?.[0];
  if (appliedSeq === undefined || !/^\d+$/.test(String(appliedSeq))) {
    throw damaged(`its meta table has no checkpoint sequence number ("applied_seq" is ${appliedSeq === undefined ? "missing" : JSON.stringify(appliedSeq)})`);
  }

  for (const { what, sql } of JSON_COLUMNS) {
    const bad = run(sql)[0]?.[0];
    if (bad !== undefined && bad !== null) throw damaged(`the ${what} "${String(bad)}" is stored as text that is not valid JSON for it`);
  }
}
