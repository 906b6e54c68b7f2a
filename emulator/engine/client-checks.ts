/** The checks the client API makes before it acts, each refusing with the DurableError the Durable extension's answer maps from. */
import type { Store } from "../store/store";
import type { WorkerPort } from "../core/worker-port";
import { isTerminal, type InstanceRecord } from "../api/types";
import { DurableError, instanceNotFound, notAnOrchestration, unknownFunction } from "../core/errors";
import { isEntityInstanceId } from "./entity-batch";

/**
 * A function of that kind a worker registered, or an unknown-function error listing those they did. With a worker
 * that serves any name (a Durable Task SDK), every name is taken, as the Durable Task Scheduler takes it.
 */
export function requireFunction(workers: WorkerPort, name: string, kind: "orchestration" | "activity"): void {
  if (workers.servesAnyFunction) return;
  const functions = workers.functions.filter((fn) => fn.kind === kind);
  if (!functions.some((fn) => fn.name === name))
    throw unknownFunction(
      kind,
      name,
      functions.map((fn) => fn.name),
    );
}

export function requireInstance(store: Store, instanceId: string): InstanceRecord {
  const record = store.getInstance(instanceId);
  if (!record) throw instanceNotFound(instanceId);
  return record;
}

/** Orchestration-only operations refuse entity ids before they can put a message in an entity's queue. */
export function requireOrchestration(store: Store, instanceId: string, action: string): InstanceRecord {
  const record = requireInstance(store, instanceId);
  if (record.entity || isEntityInstanceId(instanceId)) throw notAnOrchestration(instanceId, action);
  return record;
}

/** An orchestration that has not finished; a finished one is InstanceFinished (the extension answers 410 Gone). */
export function requireRunning(store: Store, instanceId: string, action: string): InstanceRecord {
  const record = requireOrchestration(store, instanceId, action);
  if (isTerminal(record.runtimeStatus)) {
    throw new DurableError("InstanceFinished", `Cannot ${action} instance "${instanceId}": it is already ${record.runtimeStatus}.`, {
      instanceId,
      runtimeStatus: record.runtimeStatus,
    });
  }
  return record;
}
