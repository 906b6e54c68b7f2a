/**
 * A Durable Task SDK app's worker that replay cannot run: no entry file to be found, an entry that throws while it
 * loads or never starts a TaskHubGrpcWorker, a replay that never finishes. The message says which and what to do;
 * `replay` exits 2 on it, as on any other input it cannot use.
 */
export class SdkWorkerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SdkWorkerError";
  }
}
