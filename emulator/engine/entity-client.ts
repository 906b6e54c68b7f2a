/**
 * The client's side of durable entities: signal one, read its state, list them, clean entity storage. The engine's
 * client API (engine.ts) answers with these; what an entity does with its messages is entity-runner.ts.
 */
import { randomUUID } from "node:crypto";
import type { StoreBatch } from "../store/store";
import { isTerminal, type InstanceRecord } from "../api/types";
import { badRequest, unknownFunction } from "../core/errors";
import { parseJsonText as parseJson } from "../api/json-text";
import { ENTITY_RELEASE_EVENT, entityInstanceId as entityInstanceId_ } from "./entity-batch";
import { json } from "./instance-state";
import type { EngineState } from "./engine-state";
import type { EntityRunner } from "./entity-runner";

export class EntityClient {
  constructor(
    private readonly state: EngineState,
    private readonly entities: EntityRunner,
  ) {}

  /** Signals an entity from outside an orchestration (the CLI, the durable client, the management API). */
  async signal(name: string, key: string, operation: string, input?: unknown, options: { scheduledTime?: string } = {}): Promise<void> {
    // As the extension's EntityId (EntityScheduler/EntityId.cs:22-29): a name is needed; an empty key and an empty
    // operation name are allowed (HttpApiHandler.cs:1060 signals "" when the request names no operation).
    if (!name) throw badRequest("Invalid entity id: entity name must not be a null or empty string.");
    const entityInstanceId = entityInstanceId_(name, key);
    const entityFunction = this.entities.entityFunctionFor(entityInstanceId);
    if (!entityFunction)
      throw unknownFunction(
        "entity",
        name,
        this.state.workers.functions.filter((fn) => fn.kind === "entity").map((fn) => fn.name),
      );
    const batch: StoreBatch = {};
    this.entities.sendToEntity(batch, entityInstanceId, entityFunction, {
      id: randomUUID(),
      op: operation,
      signal: true,
      input: json(input),
      due: options.scheduledTime,
    });
    this.state.commit(batch);
    await this.state.store.flush();
  }

  /**
   * An entity's state (JSON text parsed), or undefined when it does not exist. One whose operations only returned
   * values exists to its next batch (isNewlyConstructed is false) but has no state, and a read finds no state as no
   * entity, as in Azure: AzureStorageDurabilityProvider.cs:146-149 returns the state only when there is one, and
   * DurableClient.cs:575-582 answers EntityExists = state != null.
   */
  read(name: string, key: string): { exists: boolean; state: unknown; lastUpdatedTime: string } | undefined {
    const record = this.state.store.getInstance(entityInstanceId_(name, key));
    if (!record?.entity?.exists || record.entity.state === undefined) return undefined;
    return { exists: true, state: parseJson(record.entity.state), lastUpdatedTime: record.lastUpdatedTime };
  }

  /** Every durable entity's record (existing or emptied). */
  list(): InstanceRecord[] {
    return this.state.store.listInstances({ entities: true }).instances;
  }

  /** Removes the records of entities that no longer exist and have nothing queued, as Azure's clean entity storage. */
  async clean(): Promise<number> {
    const empty = this.list()
      .filter((record) => !record.entity?.exists && !record.entity?.lockedBy)
      .filter((record) => {
        const instance = this.state.active.get(record.instanceId);
        return !instance || (!instance.running && instance.inbox.length === 0);
      })
      .map((record) => record.instanceId);
    if (!empty.length) return 0;
    for (const id of empty) this.state.active.delete(id);
    this.state.commit({ purgeInstances: empty });
    await this.state.store.flush();
    return empty.length;
  }

  /** Messages queued for an entity and not yet taken by a batch (DTS's backlogQueueSize). */
  queuedMessages(entityInstanceId: string): number {
    return this.state.active.get(entityInstanceId)?.inbox.length ?? 0;
  }

  /**
   * Frees entities locked by an orchestration that has ended or is gone (CleanEntityStorage's releaseOrphanedLocks):
   * each gets a release from its holder, as the holder would have sent. Returns how many.
   */
  async releaseOrphanedLocks(): Promise<number> {
    const batch: StoreBatch = {};
    let released = 0;
    for (const record of this.list()) {
      const holder = record.entity?.lockedBy;
      if (!holder) continue;
      const holderRecord = this.state.store.getInstance(holder);
      if (holderRecord && !isTerminal(holderRecord.runtimeStatus)) continue;
      this.entities.sendEntityMessage(batch, record.instanceId, ENTITY_RELEASE_EVENT, JSON.stringify({ parent: holder }));
      released++;
    }
    if (!released) return 0;
    this.state.commit(batch);
    await this.state.store.flush();
    return released;
  }
}
