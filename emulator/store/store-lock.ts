/**
 * One writer at a time: a second process would interleave journal writes and checkpoints. The lock file holds the
 * owner's pid; a lock whose owner is gone was left by a crash and is taken over.
 */
import * as fs from "node:fs";
import { isProcessAlive } from "./process-liveness";
import { StoreBusyError } from "./store-errors";

export class StoreLock {
  private held = false;
  /** When this process took the lock (the lock file's modification time): older temporary files are nobody's. */
  takenAtMs = 0;

  constructor(
    private readonly lockPath: string,
    private readonly filePath: string,
  ) {}

  acquire(): void {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = fs.openSync(this.lockPath, "wx");
        try {
          fs.writeSync(fd, String(process.pid));
          this.takenAtMs = fs.fstatSync(fd).mtimeMs;
        } finally {
          fs.closeSync(fd);
        }
        this.held = true;
        return;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
        const owner = Number(fs.readFileSync(this.lockPath, "utf8").trim());
        if (owner && owner !== process.pid && isProcessAlive(owner)) {
          throw new StoreBusyError(
            `The store ${this.filePath} is in use by another durable-devkit process (pid ${owner}). ` + "Stop that process first, or use another --store file.",
          );
        }
        fs.rmSync(this.lockPath, { force: true }); // left behind by a process that crashed
      }
    }
    throw new StoreBusyError(`Could not lock the store ${this.filePath} (${this.lockPath}).`);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    fs.rmSync(this.lockPath, { force: true });
  }
}
