/** A history file that cannot be used; the message names the file, the problem and what to do. */
export class HistoryFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "HistoryFileError";
  }
}
