/**
 * Durable entities: the messages that carry operations to them and answers back, and what a batch's result means.
 */
import type { EntityBatchResultDto } from "../app-host/protocol";
import { HistoryEventType, type HistoryEvent } from "../history/history-event";

/** An operation on an entity, as the emulator queues it (the EventRaised "op" message's input). */
export interface EntityRequest {
  id: string;
  op: string;
  signal: boolean;
  /** JSON text of the input. */
  input?: string;
  /** The sender (an orchestration or an entity; none for a client's signal); calls are answered there. */
  parent?: string;
  parentExecution?: string;
  /** A lock request (RequestMessage.LockSet): the entities to lock, in order, and which one this message is for. */
  lockSet?: string[];
  pos?: number;
}

export const ENTITY_OPERATION_EVENT = "op";
/** EntityMessageEventNames.ReleaseMessageEventName: a lock holder releases an entity. */
export const ENTITY_RELEASE_EVENT = "release";

/** A release (ReleaseMessage: the holder and its lock request id), or undefined for any other message. */
export function parseEntityRelease(event: HistoryEvent): { parent: string; id?: string } | undefined {
  if (event.EventType !== HistoryEventType.EventRaised || event.Name !== ENTITY_RELEASE_EVENT) return undefined;
  try {
    const release = JSON.parse(event.Input ?? "") as { parent?: unknown; id?: unknown } | null;
    return release && typeof release.parent === "string" ? { parent: release.parent, id: typeof release.id === "string" ? release.id : undefined } : { parent: "" };
  } catch {
    return { parent: "" };
  }
}

/**
 * The operation a queued message carries, or why the entity cannot take it (a message that is not an operation, or
 * one whose payload is not an operation request). Such a message is dropped with that reason instead of failing the
 * whole batch, so it can never block the operations queued behind it.
 */
export function parseEntityRequest(event: HistoryEvent): EntityRequest | { unusable: string } {
  if (event.EventType !== HistoryEventType.EventRaised || event.Name !== ENTITY_OPERATION_EVENT) {
    const name = event.Name ? ` "${event.Name}"` : "";
    return { unusable: `a ${HistoryEventType[event.EventType] ?? `type ${event.EventType}`}${name} message is not an entity operation` };
  }
  let request: unknown;
  try {
    request = JSON.parse(event.Input ?? "");
  } catch {
    return { unusable: "the operation message is not JSON" };
  }
  const candidate = request as Partial<EntityRequest> | null;
  if (typeof candidate !== "object" || candidate === null || typeof candidate.id !== "string" || (typeof candidate.op !== "string" && !Array.isArray(candidate.lockSet))) {
    return { unusable: "the operation message has no operation name or id" };
  }
  if (candidate.input !== undefined && typeof candidate.input !== "string") return { unusable: "the operation's input is not JSON text" };
  const lockSet = Array.isArray(candidate.lockSet) && candidate.lockSet.every((id) => typeof id === "string") ? candidate.lockSet : undefined;
  return {
    id: candidate.id,
    op: candidate.op ?? "",
    signal: candidate.signal === true,
    input: candidate.input,
    parent: candidate.parent,
    parentExecution: candidate.parentExecution,
    lockSet,
    pos: lockSet ? (typeof candidate.pos === "number" ? candidate.pos : 0) : undefined,
  };
}

/** `@<name lower-cased>@<key>`, as the Durable Task framework names entity instances. */
export function entityInstanceId(name: string, key: string): string {
  return `@${name.toLowerCase()}@${key}`;
}

export function isEntityInstanceId(instanceId: string): boolean {
  return instanceId.startsWith("@") && instanceId.indexOf("@", 1) > 1;
}

export function parseEntityInstanceId(instanceId: string): { name: string; key: string } {
  const at = instanceId.indexOf("@", 1);
  return { name: instanceId.slice(1, at), key: instanceId.slice(at + 1) };
}

export interface EntityOutcome {
  request: EntityRequest;
  /** JSON text of the returned value, when the operation returned one. */
  result?: string;
  /** Set when the operation failed. */
  failed?: boolean;
  /** The failed operation's result as the package recorded it: JSON.stringify of what it threw ("{}" for an Error). */
  errorResult?: string;
  /** What the operation threw, described, for the warning (the package keeps no more than errorResult). */
  thrown?: string;
}

export interface EntityBatchOutcome {
  outcomes: EntityOutcome[];
  signals: EntityBatchResultDto["signals"];
  exists: boolean;
  state?: string;
}

/**
 * The batch as the Durable extension takes it from the package (TaskEntityShim.ExecuteOutOfProcBatch): the state
 * after the whole batch, every signal, and one result per operation. Nothing is rolled back: an operation that
 * throws keeps the state it set before throwing, as the package runs every operation on the same state.
 */
export function batchOutcome(requests: EntityRequest[], result: EntityBatchResultDto): EntityBatchOutcome {
  const thrown = new Map((result.thrown ?? []).map((entry) => [entry.index, entry.description]));
  const outcomes = requests.map((request, i): EntityOutcome => {
    const operation = result.results[i];
    if (!operation?.isError) return { request, result: operation?.result };
    return { request, failed: true, errorResult: operation.result, thrown: thrown.get(i) };
  });
  return { outcomes, signals: result.signals, exists: result.entityExists, state: result.entityExists ? result.entityState : undefined };
}

/**
 * The message of the Error a callEntity fails with for this outcome: the package builds Error(JSON.parse(result))
 * (lib/src/orchestrations/TaskOrchestrationExecutor.js:201-207), so an Error thrown in the entity reads "[object Object]".
 */
export function callerErrorMessage(outcome: EntityOutcome): string {
  if (!outcome.errorResult) return "";
  try {
    return String(Error(JSON.parse(outcome.errorResult) as string).message);
  } catch {
    return outcome.errorResult;
  }
}

/**
 * The answer to a call, as the extension sends it (TaskEntityShim.cs:667-675): ResponseMessage { result: the
 * operation's result text, exceptionType: "Error" when it failed }.
 */
export function responseMessage(outcome: EntityOutcome): string {
  if (outcome.failed) return JSON.stringify({ result: outcome.errorResult ?? null, exceptionType: "Error" });
  return JSON.stringify(outcome.result === undefined ? {} : { result: outcome.result });
}
