/**
 * Purge: instances and their histories deleted, one by id or every one a query matches. The management API purges as
 * Azure Storage does (unfinished instances too, entities with a filter); what was still running loses its queued
 * messages, timers and work, and a warning names it.
 */
import type { StoreBatch } from "../store/store";
import { isTerminal, type InstanceQuery, type InstanceRecord, type RuntimeStatus } from "../api/types";
import { DurableError } from "../core/errors";
import type { EngineState } from "./engine-state";

export class Purger {
  constructor(private readonly state: EngineState) {}

  /**
   * Deletes an instance and its history. Returns whether there was one. An unfinished instance is refused unless
   * `unfinished` is "delete": what the Durable HTTP API does, as Azure Storage deletes whatever the id names
   * (AzureTableTrackingStore.PurgeInstanceHistoryAsync). Its pending work is dropped, and a warning says so.
   */
  async purge(instanceId: string, options: { unfinished?: "refuse" | "delete" } = {}): Promise<boolean> {
    const record = this.state.store.getInstance(instanceId);
    if (!record) return false;
    if (!isTerminal(record.runtimeStatus) && options.unfinished !== "delete") {
      throw new DurableError("InvalidState", `Cannot purge instance "${instanceId}" while it is ${record.runtimeStatus}. Terminate it first.`, {
        instanceId,
        runtimeStatus: record.runtimeStatus,
      });
    }
    this.commitPurge([record]);
    await this.state.store.flush();
    return true;
  }

  /**
   * Purges the instances that match the query. Returns how many were deleted. By default only finished ones go (a
   * status filter naming only unfinished statuses deletes nothing); with `includeUnfinished` the query is taken as
   * it is, unfinished instances included, and with `includeEntities` durable entities match too: both as Azure
   * Storage's purge by filter does (its Instances table holds entities as well).
   */
  async purgeWhere(query: InstanceQuery, options: { includeUnfinished?: boolean; includeEntities?: boolean } = {}): Promise<number> {
    let statuses = query.runtimeStatus;
    if (!options.includeUnfinished) {
      statuses = (statuses?.length ? statuses : (["Completed", "Failed", "Terminated"] as RuntimeStatus[])).filter((s) => isTerminal(s));
      // Asked only for unfinished statuses: nothing may go (an empty status filter would match every instance).
      if (!statuses.length) return 0;
    }
    const matching = (entities: boolean) =>
      this.state.store.listInstances({ ...query, runtimeStatus: statuses, top: undefined, continuationToken: undefined, entities }).instances;
    const records = [...matching(false), ...(options.includeEntities ? matching(true) : [])].filter(
      (r) => options.includeUnfinished || isTerminal(r.runtimeStatus),
    );
    if (records.length) {
      this.commitPurge(records);
      await this.state.store.flush();
    }
    return records.length;
  }

  /** Deletes the instances; unfinished ones lose their queued messages, timers and work, and a warning names them. */
  private commitPurge(records: InstanceRecord[]): void {
    const batch: StoreBatch = { purgeInstances: records.map((r) => r.instanceId) };
    const unfinished = records.filter((r) => !isTerminal(r.runtimeStatus));
    for (const record of unfinished) {
      const id = record.instanceId;
      const instance = this.state.active.get(id);
      if (instance) {
        instance.purged = true;
        (batch.deleteMessages ??= []).push(...instance.inbox.map((m) => m.id));
        instance.inbox.length = 0;
        this.state.active.delete(id);
        this.state.ready.delete(id);
        if (!instance.record.entity) this.state.workers.forget(id, instance.record.executionId);
      }
      this.state.dropPendingWork(batch, id);
      const queued = this.state.activityQueue.slice(this.state.activityQueueHead).filter((item) => item.instanceId === id);
      if (queued.length) (batch.deleteWorkItems ??= []).push(...queued.map((item) => item.id));
    }
    this.state.commit(batch);
    for (const record of unfinished) {
      this.state.emit({
        kind: "warning",
        instanceId: record.instanceId,
        message:
          `Purged ${record.entity ? "entity" : "instance"} ${record.instanceId} while it was ${record.runtimeStatus}: its history and state are gone and its pending work was dropped. ` +
          "Azure Storage purges unfinished instances just the same (nothing checks the status), so a purge by filter can delete instances that are still running. " +
          "Terminate instances and let them finish before purging them.",
      });
    }
  }
}
