/**
 * The store's refusals. Each message names the file, the problem and what to do; the store changes nothing before it
 * refuses, so the advice can rely on the files being exactly as the user left them.
 */

/** The store's files cannot be used as they are (not ours, damaged, a folder, newer): the user must act on them. */
export class StoreFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreFileError";
  }
}

/** Another process holds the store, or kept rewriting it while this one read: nothing is wrong with the files. */
export class StoreBusyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "StoreBusyError";
  }
}

/** The database file is damaged: the journal alone cannot rebuild it. */
export function damagedDatabase(filePath: string, problem: string): StoreFileError {
  return new StoreFileError(
    `The store ${filePath} is damaged: ${problem}. Nothing was changed. ` +
      `Restore ${filePath} from a copy, or move it and ${filePath}.ddlog aside to start fresh.`,
  );
}

/**
 * The journal is damaged: the database file still holds everything up to the last checkpoint.
 * @param where e.g. "at record 3 of 7"
 */
export function damagedJournal(journalPath: string, filePath: string, where: string, problem: string): StoreFileError {
  return new StoreFileError(
    `The journal ${journalPath} of the store ${filePath} is damaged ${where}: ${problem}. Nothing was changed. ` +
      `Restore both files from a copy; or move the journal aside to keep what the last checkpoint saved in ${filePath} ` +
      "(the changes after it are lost); or move both aside to start fresh.",
  );
}
