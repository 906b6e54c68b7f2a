/** A mistake in how the command was called: printed without a stack, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

export const EXIT = {
  ok: 0,
  /** The instance failed, or the operation was refused. */
  failed: 1,
  usage: 2,
  /** The instance is not finished: it waits for an external event, or is suspended. */
  waiting: 3,
} as const;
