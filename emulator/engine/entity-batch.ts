/**
 * Durable entities: the messages that carry operations to them and answers back, and what a batch's result means.
 */
import type { EntityBatchResult, EntityOperationFailure } from "../core/worker-port";
import { HistoryEventType, type HistoryEvent } from "../history/history-event";
import { newtonsoftDate } from "../core/azure-json";

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
  /** A scheduled signal's due time (RequestMessage.ScheduledTime, "due"): it is delivered no earlier. */
  due?: string;
}

export const ENTITY_OPERATION_EVENT = "op";
/** The answer that grants a lock (TaskEntityDispatcher.SendLockResponseMessage: ResponseMessage.LockAcquisitionCompletion). */
export const LOCK_GRANTED_RESPONSE = JSON.stringify({ result: "Lock Acquisition Completed" });
/** EntityMessageEventNames.ReleaseMessageEventName: a lock holder releases an entity. */
export const ENTITY_RELEASE_EVENT = "release";

/** A release (ReleaseMessage: the holder and its lock request id), or undefined for any other message. */
export function parseEntityRelease(event: HistoryEvent): { parent: string; id?: string } | undefined {
  if (event.EventType !== HistoryEventType.EventRaised || event.Name !== ENTITY_RELEASE_EVENT) return undefined;
  try {
    const release = JSON.parse(event.Input ?? "") as { parent?: unknown; id?: unknown } | null;
    return release && typeof release.parent === "string"
      ? { parent: release.parent, id: typeof release.id === "string" ? release.id : undefined }
      : { parent: "" };
  } catch {
    return { parent: "" };
  }
}

/** DateTime.MinValue as Newtonsoft.Json writes it: the Timestamp and Predecessor of a message nobody labelled. */
export const DOTNET_MIN_DATE = "0001-01-01T00:00:00";

/** The MessageSorter's label of a request (EntityScheduler/MessageSorter.cs LabelOutgoingMessage): when it was sent, and the one before it to the same entity. */
export interface RequestLabel {
  /** Newtonsoft-written UTC date-times (see core/azure-json.ts). */
  timestamp: string;
  predecessor?: string;
}

/**
 * The operation message as the Durable extension writes it (EntityScheduler/RequestMessage.cs): `op` always (null for a
 * lock request), `signal`, `input`, `parent`, `parentExecution`, `lockset` and `pos` only when set (their
 * DefaultValueHandling.Ignore), `id`, and the sorter's `Timestamp`/`Predecessor`, DateTime.MinValue when unlabelled
 * (a client's signal). A lock set is EntityId objects ({ name, key }), as Newtonsoft writes them (EntityId.cs).
 */
export function encodeEntityRequest(request: EntityRequest, label?: RequestLabel): string {
  const message: Record<string, unknown> = { op: request.lockSet ? null : request.op };
  if (request.signal) message.signal = true;
  if (request.input !== undefined) message.input = request.input;
  message.id = request.id;
  if (request.parent !== undefined) message.parent = request.parent;
  if (request.parentExecution !== undefined) message.parentExecution = request.parentExecution;
  if (request.due !== undefined) message.due = newtonsoftDate(request.due);
  message.Timestamp = label?.timestamp ?? DOTNET_MIN_DATE;
  message.Predecessor = label?.predecessor ?? DOTNET_MIN_DATE;
  if (request.lockSet) message.lockset = request.lockSet.map((instanceId) => parseEntityInstanceId(instanceId));
  if (request.pos) message.pos = request.pos;
  return JSON.stringify(message);
}

/** A lock set as written: EntityId objects (Azure's shape), or scheduler ids (what stores of earlier versions hold). */
function lockSetOf(value: unknown): string[] | undefined {
  if (!Array.isArray(value)) return undefined;
  const ids = value.map((entry: unknown) => {
    if (typeof entry === "string") return entry;
    const id = entry as { name?: unknown; key?: unknown } | null;
    return id && typeof id.name === "string" && typeof id.key === "string" ? entityInstanceId(id.name, id.key) : undefined;
  });
  return ids.every((id): id is string => id !== undefined) ? ids : undefined;
}

/** The `Timestamp` label of an operation message (undefined when it has none, or it is DateTime.MinValue). */
export function requestTimestampOf(input: string | undefined): string | undefined {
  try {
    const timestamp = (JSON.parse(input ?? "") as { Timestamp?: unknown } | null)?.Timestamp;
    return typeof timestamp === "string" && timestamp !== DOTNET_MIN_DATE ? timestamp : undefined;
  } catch {
    return undefined;
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
  const candidate = request as (Partial<Omit<EntityRequest, "lockSet">> & { lockset?: unknown; lockSet?: unknown }) | null;
  if (typeof candidate !== "object" || candidate === null || typeof candidate.id !== "string")
    return { unusable: "the operation message has no operation name or id" };
  const lockSet = lockSetOf(candidate.lockset ?? candidate.lockSet);
  if (typeof candidate.op !== "string" && !lockSet) return { unusable: "the operation message has no operation name or id" };
  if (candidate.input !== undefined && candidate.input !== null && typeof candidate.input !== "string")
    return { unusable: "the operation's input is not JSON text" };
  return {
    id: candidate.id,
    op: typeof candidate.op === "string" ? candidate.op : "",
    signal: candidate.signal === true,
    input: candidate.input ?? undefined,
    parent: candidate.parent ?? undefined,
    parentExecution: candidate.parentExecution ?? undefined,
    due: typeof (candidate as { due?: unknown }).due === "string" ? ((candidate as { due?: string }).due as string) : undefined,
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
  /** How it failed, when the worker's SDK describes failures (a Durable Task SDK): the answer carries it. */
  failure?: EntityOperationFailure;
  /** Answer as DurableTask.Core's entities do (a Durable Task SDK worker), not as the Durable extension does for durable-functions. */
  coreResponse?: boolean;
}

export interface EntityBatchOutcome {
  outcomes: EntityOutcome[];
  signals: EntityBatchResult["signals"];
  startedOrchestrations: NonNullable<EntityBatchResult["startedOrchestrations"]>;
  exists: boolean;
  state?: string;
}

/**
 * The batch as the Durable extension takes it from the package (TaskEntityShim.ExecuteOutOfProcBatch): the state
 * after the whole batch, every signal, and one result per operation. Nothing is rolled back: an operation that
 * throws keeps the state it set before throwing, as the package runs every operation on the same state.
 */
export function batchOutcome(requests: EntityRequest[], result: EntityBatchResult): EntityBatchOutcome {
  const thrown = new Map((result.thrown ?? []).map((entry) => [entry.index, entry.description]));
  const outcomes = requests.map((request, i): EntityOutcome => {
    const operation = result.results[i];
    const coreResponse = result.coreResponses || undefined;
    if (!operation?.isError) return { request, result: operation?.result, coreResponse };
    return { request, failed: true, errorResult: operation.result, thrown: thrown.get(i), failure: operation.failure, coreResponse };
  });
  return {
    outcomes,
    signals: result.signals,
    startedOrchestrations: result.startedOrchestrations ?? [],
    exists: result.entityExists,
    state: result.entityExists ? result.entityState : undefined,
  };
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
 * operation's result text, exceptionType: "Error" when it failed }. For a Durable Task SDK's entity, as
 * DurableTask.Core sends it (TaskEntityDispatcher.cs:784-790, EventFormat/ResponseMessage.cs): `result` always (null
 * when none), and on failure the error message as `exceptionType` and the FailureDetails, which the SDK decodes.
 */
export function responseMessage(outcome: EntityOutcome): string {
  if (outcome.coreResponse) {
    if (!outcome.failed) return JSON.stringify({ result: outcome.result ?? null });
    const failure = outcome.failure ?? { errorType: "Error", errorMessage: outcome.errorResult ?? "The entity operation failed." };
    return JSON.stringify({
      result: null,
      exceptionType: failure.errorMessage,
      failureDetails: {
        ErrorType: failure.errorType,
        ErrorMessage: failure.errorMessage,
        StackTrace: failure.stackTrace ?? null,
        InnerFailure: null,
        IsNonRetriable: false,
      },
    });
  }
  if (outcome.failed) return JSON.stringify({ result: outcome.errorResult ?? null, exceptionType: "Error" });
  return JSON.stringify(outcome.result === undefined ? {} : { result: outcome.result });
}
