/** The in-memory store: fast, and gone when the process exits. */
import type { HistoryEvent } from "../history/history-event";
import type { InstanceQuery, InstanceRecord, InstancePage } from "../api/types";
import { isTerminal } from "../api/types";
import type { PendingMessage, Store, StoreBatch, StoreSnapshot, WorkItem } from "./store";
import { compareForListing, matchesQuery, pageOf } from "./instance-query";

export class MemoryStore implements Store {
  readonly description = "memory";
  private readonly instances = new Map<string, InstanceRecord>();
  private readonly histories = new Map<string, HistoryEvent[]>();
  private readonly messages = new Map<number, PendingMessage>();
  private readonly workItems = new Map<number, WorkItem>();
  private lastId = 0;

  async open(): Promise<StoreSnapshot> {
    const activeInstances = [...this.instances.values()].filter((record) => !isTerminal(record.runtimeStatus));
    return {
      activeInstances,
      histories: new Map(activeInstances.map((record) => [record.instanceId, [...(this.histories.get(record.instanceId) ?? [])]])),
      messages: [...this.messages.values()],
      workItems: [...this.workItems.values()],
      lastId: this.lastId,
    };
  }

  commit(batch: StoreBatch): void {
    for (const instanceId of batch.purgeInstances ?? []) {
      this.instances.delete(instanceId);
      this.histories.delete(instanceId);
    }
    for (const record of batch.upsertInstances ?? []) this.instances.set(record.instanceId, { ...record });
    for (const append of batch.history ?? []) {
      let events = this.histories.get(append.instanceId);
      if (!events || append.replace) {
        events = [];
        this.histories.set(append.instanceId, events);
      }
      for (const event of append.events) events.push(event);
    }
    for (const id of batch.deleteMessages ?? []) this.messages.delete(id);
    for (const message of batch.addMessages ?? []) {
      this.messages.set(message.id, message);
      if (message.id > this.lastId) this.lastId = message.id;
    }
    for (const id of batch.deleteWorkItems ?? []) this.workItems.delete(id);
    for (const item of batch.addWorkItems ?? []) {
      this.workItems.set(item.id, item);
      if (item.id > this.lastId) this.lastId = item.id;
    }
  }

  async flush(): Promise<void> {}

  getInstance(instanceId: string): InstanceRecord | undefined {
    const record = this.instances.get(instanceId);
    return record && { ...record };
  }

  getHistory(instanceId: string): HistoryEvent[] {
    return [...(this.histories.get(instanceId) ?? [])];
  }

  listInstances(query: InstanceQuery): InstancePage {
    const matching = [...this.instances.values()].filter((record) => matchesQuery(record, query));
    return pageOf(matching.sort(compareForListing), query);
  }

  async close(): Promise<void> {}
}
