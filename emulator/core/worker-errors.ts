/**
 * How a worker tells the engine that it lost the work it was running: the process (or connection) that ran the
 * function went away. The engine runs such work again (as Azure does when a worker dies), a few times at most, and
 * does not count a restart made on purpose (the app's code changed).
 */
export class WorkerLostError extends Error {
  constructor(
    message: string,
    /** Restarted on purpose (a reload): the work runs again without counting as a crash. */
    readonly deliberate = false,
  ) {
    super(message);
    this.name = "WorkerLostError";
  }
}

/** A function ran past its time limit and its worker stopped it: the message says it all (a stack would be the emulator's). */
export class FunctionTimedOutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "FunctionTimedOutError";
  }
}
