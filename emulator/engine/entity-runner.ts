/**
 * Durable entities as the Durable extension runs them: operation, release and lock messages queued per entity, one
 * batch at a time through the worker, answers sent back to callers, signals on to other entities, and critical
 * sections (locks granted along a lock set, released by the holder, or at its end when it completes).
 */
import { randomUUID } from "node:crypto";
import { HistoryEventType, nextSequenceId, type HistoryEvent } from "../history/history-event";
import type { PendingMessage, StoreBatch } from "../store/store";
import { isTerminal, type InstanceRecord } from "../api/types";
import { newtonsoftDate, nextTick, notAfter } from "../core/azure-json";
import {
  ENTITY_OPERATION_EVENT,
  ENTITY_RELEASE_EVENT,
  LOCK_GRANTED_RESPONSE,
  batchOutcome,
  callerErrorMessage,
  encodeEntityRequest,
  entityInstanceId as entityInstanceId_,
  isEntityInstanceId,
  parseEntityInstanceId,
  parseEntityRelease,
  parseEntityRequest,
  requestTimestampOf,
  responseMessage,
  type EntityBatchOutcome,
  type EntityOutcome,
  type EntityRequest,
  type RequestLabel,
} from "./entity-batch";
import type { ActiveInstance } from "./instance-state";
import type { EngineState } from "./engine-state";
import { eventRaised, eventSent } from "../core/history-events";
import { heldLocks, lockRequestIdOf } from "./entity-locks";

export class EntityRunner {
  constructor(private readonly state: EngineState) {}

  /** The registered entity function an entity instance id (`@name@key`) names; names match case-insensitively. */
  entityFunctionFor(entityInstanceId: string): string | undefined {
    if (!isEntityInstanceId(entityInstanceId)) return undefined;
    const { name } = parseEntityInstanceId(entityInstanceId);
    const registered = this.state.workers.functions.find((fn) => fn.kind === "entity" && fn.name.toLowerCase() === name.toLowerCase())?.name;
    return registered ?? (this.state.workers.servesAnyFunction ? name : undefined);
  }

  /** Queues a message of another kind (a lock release) for an entity. */
  sendEntityMessage(batch: StoreBatch, entityInstanceId: string, name: string, input: string): void {
    const entityFunction = this.entityFunctionFor(entityInstanceId);
    if (!entityFunction) return;
    this.ensureEntity(batch, entityInstanceId, entityFunction);
    this.state.enqueue(batch, {
      id: this.state.nextId(),
      instanceId: entityInstanceId,
      event: eventRaised(name, input, new Date(this.state.clock.now()).toISOString()),
    });
  }

  /**
   * TaskOrchestrationShim.cs:106-108: an orchestration that completes (or continues as new) while it holds locks has
   * them released for it. A failed or terminated one does not: its entities stay locked, as on Azure, and the
   * emulator says so loudly.
   */
  releaseLocksAtEnd(
    batch: StoreBatch,
    instance: ActiveInstance,
    record: InstanceRecord,
    timestamp: string,
    ending: "completed" | "failed" | "terminated",
  ): void {
    const held = heldLocks(instance.history);
    if (!held.length) return;
    if (ending !== "completed") {
      this.state.emit({
        kind: "warning",
        instanceId: record.instanceId,
        message:
          `${record.name} (${record.instanceId}) ${ending} inside a critical section: ${held.join(", ")} stay${held.length === 1 ? "s" : ""} locked by it, as on Azure, where the extension releases locks only when an orchestration completes. ` +
          "Every other operation on them waits forever. Release the lock in a finally block (lock.release()).",
      });
      return;
    }
    const release = JSON.stringify({ parent: record.instanceId, id: lockRequestIdOf(instance.history, []) });
    let nextId = nextSequenceId(instance.history);
    for (const entityId of held) {
      const event: HistoryEvent = eventSent(nextId++, entityId, ENTITY_RELEASE_EVENT, release, timestamp);
      instance.history.push(event);
      this.state.index(instance, event);
      this.sendEntityMessage(batch, entityId, ENTITY_RELEASE_EVENT, release);
    }
  }

  /** Creates the record of an entity that has none yet (on its first message). */
  ensureEntity(batch: StoreBatch, entityInstanceId: string, entityFunction: string): void {
    if (this.state.active.has(entityInstanceId)) return;
    const existing = this.state.store.getInstance(entityInstanceId);
    const now = new Date(this.state.clock.now()).toISOString();
    const record: InstanceRecord = existing ?? {
      instanceId: entityInstanceId,
      name: entityFunction,
      executionId: "",
      runtimeStatus: "Running",
      createdTime: now,
      lastUpdatedTime: now,
      entity: { exists: false },
    };
    if (!existing) this.state.upsert(batch, record);
    this.state.active.set(entityInstanceId, this.state.activeFrom(record, []));
  }

  /**
   * Queues an operation for an entity, creating the entity's record on its first operation. The message is the
   * request as encodeEntityRequest writes it (a request object is encoded here, unlabelled or labelled now).
   */
  sendToEntity(
    batch: StoreBatch,
    entityInstanceId: string,
    entityFunction: string,
    request: EntityRequest | string,
    label?: RequestLabel,
    visibleAt?: number,
  ): void {
    this.ensureEntity(batch, entityInstanceId, entityFunction);
    this.state.enqueue(batch, {
      id: this.state.nextId(),
      instanceId: entityInstanceId,
      // A scheduled signal waits in the timer queue until it is due, as the entity scheduler defers it (SendScheduledSelfMessage).
      visibleAt: visibleAt ?? (typeof request !== "string" && request.due ? Date.parse(request.due) : undefined),
      event: eventRaised(ENTITY_OPERATION_EVENT, typeof request === "string" ? request : encodeEntityRequest(request, label), this.state.nowIso()),
    });
  }

  /**
   * The sorter's label of a message an orchestration sends to an entity (DurableOrchestrationContext.cs:1181 calls
   * MessageSorter.LabelOutgoingMessage with the orchestration's current time): that time, one tick after the last
   * message to the same entity if it is not later, and that last message's time as Predecessor. The sorter's memory
   * is rebuilt by every replay, so it is this execution's earlier messages.
   */
  orchestrationLabel(instance: ActiveInstance, destination: string, timestamp: string): RequestLabel {
    const labels = (instance.entityLabels ??= this.labelsOf(instance.history));
    const key = destination.toLowerCase();
    const predecessor = labels.get(key);
    const now = newtonsoftDate(timestamp);
    const label = { timestamp: predecessor !== undefined && notAfter(now, predecessor) ? nextTick(predecessor) : now, predecessor };
    labels.set(key, label.timestamp);
    return label;
  }

  /** The label of the last message to each entity in a history (one pass; the sorter rebuilds it the same way on replay). */
  private labelsOf(history: readonly HistoryEvent[]): Map<string, string> {
    const labels = new Map<string, string>();
    for (const event of history) {
      if (event.EventType !== HistoryEventType.EventSent || event.Name !== ENTITY_OPERATION_EVENT || !event.InstanceId) continue;
      const timestamp = requestTimestampOf(event.Input);
      if (timestamp !== undefined) labels.set(event.InstanceId.toLowerCase(), timestamp);
    }
    return labels;
  }

  /**
   * One batch of an entity, as the Durable extension schedules it (DurableTaskExtension.cs:866-1000, SchedulerState.cs,
   * TaskEntityShim.ProcessLockRequest): releases from the lock holder unlock it; while it is locked only the holder's
   * messages are taken (they go first), the others wait; a lock request ends the batch and is granted after the
   * operations before it ran, then passed on to the next entity of the lock set, or answered to the orchestration.
   */
  async runEntity(instance: ActiveInstance): Promise<void> {
    const record = { ...instance.record };
    const entity = record.entity ?? { exists: false };
    let lockedBy = entity.lockedBy;
    const taken: PendingMessage[] = [];
    const queue: { message: PendingMessage; request: EntityRequest }[] = [];
    for (const message of instance.inbox) {
      const release = parseEntityRelease(message.event);
      if (release) {
        if (lockedBy !== undefined && lockedBy === release.parent) lockedBy = undefined;
        taken.push(message);
        continue;
      }
      const parsed = parseEntityRequest(message.event);
      if ("unusable" in parsed) {
        // Dead-lettered: removed with the batch below, and said out loud; the operations around it still run.
        this.state.emit({
          kind: "warning",
          instanceId: record.instanceId,
          message: `Entity ${record.instanceId} dropped a message it cannot process: ${parsed.unusable}.`,
        });
        taken.push(message);
        continue;
      }
      queue.push({ message, request: parsed });
    }
    // The lock holder's messages go to the front of the queue; the others wait while it holds the lock.
    const ordered =
      lockedBy === undefined ? queue : [...queue.filter((q) => q.request.parent === lockedBy), ...queue.filter((q) => q.request.parent !== lockedBy)];
    const requests: EntityRequest[] = [];
    let lockRequest: EntityRequest | undefined;
    for (const { message, request } of ordered) {
      if (lockedBy !== undefined && request.parent !== lockedBy) break;
      if (requests.length >= this.state.limits.maxEntityBatch) break;
      taken.push(message);
      if (request.lockSet) {
        lockRequest = request;
        break;
      }
      requests.push(request);
    }
    const takenIds = new Set(taken.map((m) => m.id));
    instance.inbox = instance.inbox.filter((m) => !takenIds.has(m.id));
    const holderAfter = lockRequest?.parent ?? lockedBy;
    // What is left wakes the entity again only if it can be taken (a new message re-evaluates the rest).
    instance.wakingMessages = instance.inbox.some((m) => holderAfter === undefined || this.senderOf(m) === holderAfter) ? instance.inbox.length : 0;
    if (!taken.length) return;
    const self = parseEntityInstanceId(record.instanceId);
    const lossKey = `instance ${record.instanceId}`;
    let outcome: EntityBatchOutcome;
    try {
      outcome = requests.length
        ? batchOutcome(
            requests,
            await this.state.workers.runEntityBatch({
              functionName: record.name,
              entity: self,
              exists: entity.exists,
              state: entity.state,
              operations: requests.map((request) => ({ name: request.op, input: request.input, id: request.id, isSignal: request.signal })),
            }),
          )
        : { outcomes: [], signals: [], startedOrchestrations: [], exists: entity.exists, state: entity.state };
    } catch (error) {
      if (this.state.closed) return;
      if (!instance.purged && this.state.workerLoss.runAgain(lossKey, error)) {
        instance.inbox = [...taken, ...instance.inbox].sort((a, b) => a.id - b.id);
        instance.wakingMessages = instance.inbox.length;
        return;
      }
      // The batch cannot run: every caller gets the error, and the operations are dropped.
      const reason = error instanceof Error ? error.message : String(error);
      outcome = {
        outcomes: requests.map((request) => ({ request, failed: true, errorResult: JSON.stringify(`Error: ${reason}`) })),
        signals: [],
        startedOrchestrations: [],
        exists: entity.exists,
        state: entity.state,
      };
    }
    this.state.workerLoss.settled(lossKey);
    if (this.state.closed) return;
    if (this.state.purgedDuring(instance, { deleteMessages: taken.map((m) => m.id) })) return;
    const now = new Date(this.state.clock.now()).toISOString();
    const batch: StoreBatch = { deleteMessages: taken.map((m) => m.id) };
    for (const result of outcome.outcomes) {
      const request = result.request;
      if (result.thrown !== undefined || result.failure) this.warnEntityOperationFailed(record.instanceId, result);
      if (request.signal || !request.parent) continue;
      this.state.enqueue(batch, {
        id: this.state.nextId(),
        instanceId: request.parent,
        executionId: request.parentExecution,
        event: eventRaised(request.id, responseMessage(result), now),
      });
    }
    for (const signal of outcome.signals) {
      const target = entityInstanceId_(signal.target.name, signal.target.key);
      const targetFunction = this.entityFunctionFor(target);
      if (!targetFunction) {
        this.state.emit({
          kind: "warning",
          instanceId: record.instanceId,
          message: `Entity ${record.instanceId} signalled ${target}, but no entity function has that name; the signal is dropped.`,
        });
        continue;
      }
      // DurableEntityContext.cs:699 labels an entity's signals with the time they are sent.
      this.sendToEntity(
        batch,
        target,
        targetFunction,
        { id: randomUUID(), op: signal.name, signal: true, input: signal.input || undefined, parent: record.instanceId, due: signal.scheduledTime },
        { timestamp: newtonsoftDate(now) },
      );
    }
    for (const start of outcome.startedOrchestrations) this.startOrchestration(batch, record.instanceId, start);
    if (instance.purged) {
      this.state.commit({ deleteMessages: batch.deleteMessages });
      return;
    }
    if (lockRequest) {
      lockedBy = this.grantLock(batch, record.instanceId, lockRequest, now);
    }
    record.entity = { exists: outcome.exists, state: outcome.exists ? outcome.state : undefined, lockedBy };
    record.lastUpdatedTime = now;
    instance.record = record;
    this.state.upsert(batch, record);
    this.state.commit(batch);
  }

  /**
   * An orchestration an operation started (TaskEntityDispatcher.cs ProcessSendStartMessage: an ExecutionStarted for
   * the new instance, with the entity as its parent only for tracing). An id in use by a running instance is refused
   * there too, by the store; here it is said out loud and the start is dropped.
   */
  private startOrchestration(batch: StoreBatch, entityId: string, start: NonNullable<EntityBatchOutcome["startedOrchestrations"]>[number]): void {
    const instanceId = start.instanceId || randomUUID().replace(/-/g, "");
    const existing = this.state.store.getInstance(instanceId);
    if (existing && !isTerminal(existing.runtimeStatus)) {
      this.state.emit({
        kind: "warning",
        instanceId: entityId,
        message: `Entity ${entityId} started orchestration '${start.name}' as ${instanceId}, but that instance exists and is ${existing.runtimeStatus}; the start is dropped.`,
      });
      return;
    }
    this.state.createInstance(batch, {
      instanceId,
      name: start.name,
      input: undefined,
      inputJson: start.input || undefined,
      version: start.version,
      reuse: existing !== undefined,
    });
  }

  /** Who sent a queued entity message (the lock holder check of SchedulerState.MayDequeue). */
  private senderOf(message: PendingMessage): string | undefined {
    const release = parseEntityRelease(message.event);
    if (release) return release.parent;
    const parsed = parseEntityRequest(message.event);
    return "unusable" in parsed ? undefined : parsed.parent;
  }

  /**
   * TaskEntityShim.ProcessLockRequest: the entity is now locked by the requesting orchestration; the request goes on
   * to the next entity of the lock set, or, after the last, the orchestration hears that it holds them all
   * (DurableEntityContext.SendLockResponseMessage). Returns the holder.
   */
  private grantLock(batch: StoreBatch, entityId: string, request: EntityRequest, now: string): string | undefined {
    const lockSet = request.lockSet ?? [];
    const position = (request.pos ?? 0) + 1;
    if (position < lockSet.length) {
      const next = lockSet[position];
      const nextFunction = this.entityFunctionFor(next);
      if (nextFunction) this.sendToEntity(batch, next, nextFunction, { ...request, pos: position }, { timestamp: newtonsoftDate(now) });
      else
        this.state.emit({
          kind: "warning",
          instanceId: request.parent,
          message: `The lock request of ${request.parent} cannot go on from ${entityId} to ${next}: no entity function has that name.`,
        });
    } else if (request.parent) {
      this.state.enqueue(batch, {
        id: this.state.nextId(),
        instanceId: request.parent,
        executionId: request.parentExecution,
        event: eventRaised(request.id, LOCK_GRANTED_RESPONSE, now),
      });
    }
    return request.parent;
  }

  /**
   * An entity operation threw. The package keeps no rollback and records JSON.stringify(error) as the result
   * (lib/src/entities/Entity.js:36-50), so on Azure the state it set before throwing stays, and an Error's message
   * never reaches the caller. The emulator does the same, and says so.
   */
  private warnEntityOperationFailed(entityId: string, outcome: EntityOutcome): void {
    const request = outcome.request;
    if (outcome.failure) {
      // A Durable Task SDK rolls the operation back and tells the caller what it threw: only a signal's failure is unseen.
      if (request.signal)
        this.state.emit({
          kind: "warning",
          instanceId: entityId,
          message: `Entity ${entityId} operation '${request.op}' (a signal) failed with ${outcome.failure.errorType}: ${outcome.failure.errorMessage}. Nobody sees the error of a signal; the SDK rolled the operation's state back.`,
        });
      return;
    }
    const seen = callerErrorMessage(outcome);
    const caller = request.signal
      ? "It was a signal: nobody sees the error."
      : seen !== "" && (outcome.thrown ?? "").includes(seen)
        ? `The caller's callEntity fails with "${seen}".`
        : `The caller's callEntity fails with "${seen}", not your message: durable-functions records JSON.stringify(error) for a failed operation, and an Error serializes as {}.`;
    this.state.emit({
      kind: "warning",
      instanceId: entityId,
      message:
        `Entity ${entityId} operation '${request.op}' threw ${outcome.thrown}. As on Azure, the state it set before throwing is kept (durable-functions does not roll back). ${caller} ` +
        "Return an error value, or throw a string, to tell the caller what went wrong.",
    });
  }
}
