/** The checks the client API makes before it acts, each refusing with the DurableError the Durable extension's answer maps from. */
import type { Store } from "../store/store";
import type { RegisteredFunction } from "../core/functions";
import { isTerminal, type InstanceRecord } from "../api/types";
import { DurableError, instanceNotFound, notAnOrchestration, unknownFunction } from "../core/errors";
import { isEntityInstanceId } from "./entity-batch";

/** A function of that kind the app registered, or an unknown-function error listing those it did. */
export function requireFunction(registered: readonly RegisteredFunction[], name: string, kind: "orchestration" | "activity"): void {
  const functions = registered.filter((fn) => fn.kind === kind);
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
