/**
 * Reads the database file and the journal as one consistent pair, even while a writer in another process
 * checkpoints. A checkpoint replaces the database file by rename and then starts a new journal, also by rename, so
 * any one open of either file sees a whole version of it. The pair is consistent if the database file is still the
 * same file after the journal was read: had a checkpoint replaced it in between, the journal read could already be
 * the next checkpoint's, missing records the old database file does not hold. Then both are read again.
 */
import * as fs from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { StoreBusyError, StoreFileError } from "./store-errors";

export interface StoreFilesContent {
  /** Undefined when there is no database file yet. */
  database: Buffer | undefined;
  /** Undefined when there is no journal. */
  journal: string | undefined;
}

const ATTEMPTS = 50;

export async function readConsistently(filePath: string, journalPath: string): Promise<StoreFilesContent> {
  for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
    const database = openIfExists(filePath);
    try {
      const identity = database ? identityOf(fs.fstatSync(database)) : "absent";
      const bytes = database === undefined ? undefined : fs.readFileSync(database);
      const journal = readIfExists(journalPath);
      // The database file is held open until here, so its inode cannot be reused by a newer file meanwhile.
      if (currentIdentity(filePath) === identity) return { database: bytes, journal };
    } finally {
      if (database !== undefined) fs.closeSync(database);
    }
    await sleep(attempt); // a checkpoint is in progress: give it the moment it needs
  }
  throw new StoreBusyError(
    `The store ${filePath} was rewritten by another process every time it was read (${ATTEMPTS} attempts). ` +
      "Try again; if it keeps happening, stop the process that is using it.",
  );
}

/** Refuses folders before anything else happens (a writer would otherwise put its lock file beside one). */
export function assertNotFolders(filePath: string, journalPath: string): void {
  for (const file of [filePath, journalPath]) {
    if (isFolder(file)) {
      throw new StoreFileError(
        `The store ${file} is a folder, not a store file. Nothing was changed. ` +
          `Point --store at a file (for example ${file}/emulator.sqlite), or move the folder aside.`,
      );
    }
  }
}

function isFolder(file: string): boolean {
  try {
    return fs.statSync(file).isDirectory();
  } catch {
    return false;
  }
}

function openIfExists(file: string): number | undefined {
  try {
    return fs.openSync(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function readIfExists(file: string): string | undefined {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function currentIdentity(file: string): string {
  try {
    return identityOf(fs.statSync(file));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return "absent";
    throw error;
  }
}

/** A database file is never changed in place, only replaced: a new inode, or at least a new size or time. */
function identityOf(stat: fs.Stats): string {
  return `${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}`;
}
