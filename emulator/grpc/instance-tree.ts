/**
 * An orchestration's sub-orchestrations, their own, and so on: what a recursive terminate or purge (TerminateRequest
 * and PurgeInstancesRequest `recursive`) reaches besides the instance itself. Children are found by the parent each
 * instance records (the ParentInstance of its ExecutionStarted).
 */
import type { Engine } from "../engine/engine";
import { isDurableError } from "../core/errors";

/** The instance's descendants, nearest first (children, then grandchildren...). */
export function descendantsOf(engine: Engine, instanceId: string): string[] {
  const children = new Map<string, string[]>();
  for (const record of engine.list({}).instances) {
    const parent = record.parent?.instanceId;
    if (parent !== undefined) children.set(parent, [...(children.get(parent) ?? []), record.instanceId]);
  }
  const found: string[] = [];
  const seen = new Set([instanceId]);
  for (let queue = [instanceId]; queue.length;) {
    const next: string[] = [];
    for (const id of queue)
      for (const child of children.get(id) ?? []) {
        if (seen.has(child)) continue;
        seen.add(child);
        found.push(child);
        next.push(child);
      }
    queue = next;
  }
  return found;
}

/** Terminates the descendants that have not finished (the parent is terminated by the caller). Returns how many. */
export async function terminateDescendants(engine: Engine, instanceId: string, reason: string | undefined): Promise<number> {
  let terminated = 0;
  for (const id of descendantsOf(engine, instanceId)) {
    try {
      await engine.terminate(id, reason);
      terminated++;
    } catch (error) {
      // Finished already, or gone: nothing to terminate.
      if (!isDurableError(error)) throw error;
    }
  }
  return terminated;
}

/** Purges the instance's finished descendants; one still running is left, as a purge of it alone would refuse it. Returns how many. */
export async function purgeDescendants(engine: Engine, descendants: readonly string[]): Promise<number> {
  let purged = 0;
  for (const id of descendants) {
    try {
      if (await engine.purge(id)) purged++;
    } catch (error) {
      if (!isDurableError(error)) throw error;
    }
  }
  return purged;
}
