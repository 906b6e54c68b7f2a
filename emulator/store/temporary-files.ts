/**
 * Files are replaced atomically: written to `<file>.tmp-<pid>`, synced, then renamed over the file. A kill between
 * the write and the rename leaves the temporary file behind; the next writer removes such leftovers.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { isProcessAlive } from "./process-liveness";

export function writeFileAtomically(file: string, data: Uint8Array): void {
  const temporary = `${file}.tmp-${process.pid}`;
  try {
    const fd = fs.openSync(temporary, "w");
    try {
      fs.writeSync(fd, data);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    throw error;
  }
}

/** Makes a rename durable before what depends on it (the journal is emptied only after the database file is new). */
export function syncFolderOf(file: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(path.dirname(file), "r");
    fs.fsyncSync(fd);
  } catch {
    // Not every platform can sync a folder (Windows cannot open one); the rename is still atomic there.
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Removes the temporary files of `files` that no live writer can be writing. Call it only while holding the store's
 * lock, taken at `lockTakenAtMs`: a file is stale if the process named in it is gone, if it is this process's own
 * (no checkpoint of ours is in flight while the store opens), or if it was written before the lock was taken.
 * @returns the files removed
 */
export function removeStaleTemporaryFiles(files: string[], lockTakenAtMs: number): string[] {
  const removed: string[] = [];
  const folder = path.dirname(files[0]);
  const owners = new Map(files.map((file) => [path.basename(file), file]));
  let names: string[];
  try {
    names = fs.readdirSync(folder);
  } catch {
    return removed;
  }
  for (const name of names) {
    const match = /^(.*)\.tmp-(\d+)$/.exec(name);
    if (!match || !owners.has(match[1])) continue;
    const pid = Number(match[2]);
    const candidate = path.join(folder, name);
    try {
      const stale = pid === process.pid || !isProcessAlive(pid) || fs.statSync(candidate).mtimeMs < lockTakenAtMs;
      if (!stale) continue;
      fs.rmSync(candidate, { force: true });
      removed.push(candidate);
    } catch {
      // Gone already, or not ours to remove: either way nothing to do.
    }
  }
  return removed;
}
