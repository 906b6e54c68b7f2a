/**
 * What happens to work whose worker died under it (an episode, an entity batch, an activity): it runs again, as it
 * would on Azure when a worker crashes, until the same work has taken the worker down MAX_WORKER_LOSSES times; then
 * it is treated as poison and fails. A deliberate restart (a reload) costs nothing.
 */
import { WorkerLostError } from "../core/worker-errors";

export const MAX_WORKER_LOSSES = 3;

export class WorkerLossPolicy {
  private readonly losses = new Map<string, number>();

  /** Counts the loss of `key`'s worker; whether to run it again. Errors other than a lost worker are never retried. */
  runAgain(key: string, error: unknown): boolean {
    if (!(error instanceof WorkerLostError)) return false;
    const losses = (this.losses.get(key) ?? 0) + (error.deliberate ? 0 : 1);
    this.losses.set(key, losses);
    return losses < MAX_WORKER_LOSSES;
  }

  /** The work ran to an outcome (or was given up): its count starts again. */
  settled(key: string): void {
    this.losses.delete(key);
  }
}
