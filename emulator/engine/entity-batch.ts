/**
 * Durable entities: the messages that carry operations to them and answers back, and running a batch so that an
 * operation that throws leaves the entity's state as it was before that operation.
 */
import type { EntityBatchResultDto, EntityOperationDto } from "../app-host/protocol";
import { HistoryEventType, type HistoryEvent } from "../history/history-event";

/** An operation on an entity, as the emulator queues it (the EventRaised "op" message's input). */
export interface EntityRequest {
  id: string;
  op: string;
  signal: boolean;
  /** JSON text of the input. */
  input?: string;
  /** The calling orchestration, for calls. */
  parent?: string;
  parentExecution?: string;
}

export const ENTITY_OPERATION_EVENT = "op";

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
  if (typeof candidate !== "object" || candidate === null || typeof candidate.op !== "string" || typeof candidate.id !== "string") {
    return { unusable: "the operation message has no operation name or id" };
  }
  if (candidate.input !== undefined && typeof candidate.input !== "string") return { unusable: "the operation's input is not JSON text" };
  return { id: candidate.id, op: candidate.op, signal: candidate.signal === true, input: candidate.input, parent: candidate.parent, parentExecution: candidate.parentExecution };
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
  /** "ErrorName: message" when the operation threw. */
  error?: string;
  errorType?: string;
}

export interface EntityBatchOutcome {
  outcomes: EntityOutcome[];
  signals: EntityBatchResultDto["signals"];
  exists: boolean;
  state?: string;
}

type RunBatch = (batch: EntityOperationDto[], exists: boolean, state: string | undefined) => Promise<EntityBatchResultDto>;

function describeError(result: string | undefined): { error: string; errorType: string } {
  try {
    const parsed = JSON.parse(result ?? "{}") as { name?: string; message?: string } | string;
    if (typeof parsed === "string") return { error: parsed, errorType: "Error" };
    return { error: `${parsed.name ?? "Error"}: ${parsed.message ?? "the operation failed"}`, errorType: parsed.name ?? "Error" };
  } catch {
    return { error: result ?? "the operation failed", errorType: "Error" };
  }
}

/**
 * Runs the operations in order. The package returns only the state after the whole batch, so when an operation
 * throws, the operations before it are run again on their own to learn the state it must not change, and the
 * rest continue from there: a failed operation never leaves partial writes or signals behind.
 */
export async function runWithRollback(run: RunBatch, requests: EntityRequest[], exists: boolean, state: string | undefined): Promise<EntityBatchOutcome> {
  const outcomes: EntityOutcome[] = [];
  const signals: EntityBatchResultDto["signals"] = [];
  const toDto = (request: EntityRequest): EntityOperationDto => ({ name: request.op, input: request.input, id: request.id, isSignal: request.signal });
  let offset = 0;
  while (offset < requests.length) {
    const pending = requests.slice(offset);
    const result = await run(pending.map(toDto), exists, state);
    const failedAt = result.results.findIndex((r) => r.isError);
    if (failedAt < 0) {
      pending.forEach((request, i) => outcomes.push({ request, result: result.results[i]?.result }));
      signals.push(...result.signals);
      return { outcomes, signals, exists: result.entityExists, state: result.entityExists ? result.entityState : undefined };
    }
    if (failedAt > 0) {
      const before = await run(pending.slice(0, failedAt).map(toDto), exists, state);
      pending.slice(0, failedAt).forEach((request, i) => outcomes.push({ request, result: before.results[i]?.result }));
      signals.push(...before.signals);
      exists = before.entityExists;
      state = before.entityExists ? before.entityState : undefined;
    }
    outcomes.push({ request: pending[failedAt], ...describeError(result.results[failedAt].result) });
    offset += failedAt + 1;
  }
  return { outcomes, signals, exists, state };
}

/** The answer to a call, in the shape the package reads (ResponseMessage: result as JSON text, exceptionType). */
export function responseMessage(outcome: EntityOutcome): string {
  if (outcome.error !== undefined) return JSON.stringify({ result: JSON.stringify(outcome.error), exceptionType: outcome.errorType ?? "Error" });
  return JSON.stringify(outcome.result === undefined ? {} : { result: outcome.result });
}
