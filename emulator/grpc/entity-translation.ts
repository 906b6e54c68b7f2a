/**
 * An entity's batch of operations between the engine (core/worker-port.ts) and a Durable Task SDK: the
 * EntityRequest (V2) work item it runs and the EntityBatchResult it completes with (CompleteEntityTask). The SDK runs
 * each operation transactionally (a failed one is rolled back) and describes failures itself, so callers get its
 * failure details, answered as DurableTask.Core answers them.
 */
import { randomUUID } from "node:crypto";
import type { EntityBatchRequest, EntityBatchResult, EntityOperationFailure } from "../core/worker-port";
import { entityInstanceId, parseEntityInstanceId } from "../engine/entity-batch";
import { isoOf, millisOf, pb, stringValue, textOf, timestampOf } from "./protocol";

/**
 * The batch as an `entityRequestV2` work item (EntityRequest: the operations as history events), as the Durable Task
 * Scheduler sends it. Every SDK with entities takes it (docs/durable-task-sdks.md), and the .NET worker echoes an
 * entity batch's completion token only for this form: an EntityBatchResult names no instance, so the token is what
 * places it.
 */
export function entityWorkItemOf(request: EntityBatchRequest): pb.WorkItem {
  const batch = new pb.EntityRequest();
  batch.setInstanceid(entityInstanceId(request.entity.name, request.entity.key));
  if (request.exists && request.state !== undefined) batch.setEntitystate(stringValue(request.state));
  batch.setOperationrequestsList(
    request.operations.map((operation) => {
      const event = new pb.HistoryEvent();
      event.setEventid(-1);
      event.setTimestamp(timestampOf(Date.now()));
      if (operation.isSignal) {
        const signaled = new pb.EntityOperationSignaledEvent();
        signaled.setRequestid(operation.id);
        signaled.setOperation(operation.name);
        if (operation.input !== undefined) signaled.setInput(stringValue(operation.input));
        event.setEntityoperationsignaled(signaled);
      } else {
        const called = new pb.EntityOperationCalledEvent();
        called.setRequestid(operation.id);
        called.setOperation(operation.name);
        if (operation.input !== undefined) called.setInput(stringValue(operation.input));
        event.setEntityoperationcalled(called);
      }
      return event;
    }),
  );
  const item = new pb.WorkItem();
  item.setEntityrequestv2(batch);
  return item;
}

function failureOf(details: pb.TaskFailureDetails | undefined, fallback: string): EntityOperationFailure {
  if (!details) return { errorType: "Error", errorMessage: fallback };
  return { errorType: details.getErrortype() || "Error", errorMessage: details.getErrormessage(), stackTrace: textOf(details.getStacktrace()) };
}

/**
 * The SDK's result as the engine's. A batch that failed as a whole (failureDetails, no results: the entity is not
 * registered with the worker, or its constructor threw) fails every operation and leaves the state as it was.
 */
export function entityBatchResultOf(response: pb.EntityBatchResult, request: EntityBatchRequest, warn: (message: string) => void): EntityBatchResult {
  const entityId = entityInstanceId(request.entity.name, request.entity.key);
  const batchFailure = response.getFailuredetails();
  const results = response.getResultsList();
  const failedAsWhole = batchFailure !== undefined && results.length === 0;
  const outcome: EntityBatchResult = {
    entityExists: failedAsWhole ? request.exists : response.hasEntitystate(),
    entityState: failedAsWhole ? request.state : textOf(response.getEntitystate()),
    coreResponses: true,
    results: request.operations.map((operation, i) => {
      const result = results[i];
      const success = result?.getSuccess();
      const failure = result?.getFailure();
      const start = millisOf(success?.getStarttimeutc() ?? failure?.getStarttimeutc()) ?? Date.now();
      const end = millisOf(success?.getEndtimeutc() ?? failure?.getEndtimeutc()) ?? start;
      if (success) return { isError: false, startTime: start, duration: end - start, result: textOf(success.getResult()) };
      const described = failureOf(
        failure?.getFailuredetails() ?? batchFailure,
        `The worker returned no result for operation '${operation.name}' of ${entityId}.`,
      );
      return { isError: true, startTime: start, duration: end - start, failure: described };
    }),
    signals: [],
    startedOrchestrations: [],
  };
  if (failedAsWhole) return outcome;
  for (const action of response.getActionsList()) {
    const signal = action.getSendsignal();
    const start = action.getStartneworchestration();
    if (signal) {
      outcome.signals.push({
        target: parseEntityInstanceId(signal.getInstanceid()),
        name: signal.getName(),
        input: textOf(signal.getInput()) ?? "",
        requestId: randomUUID(),
        requestTime: millisOf(signal.getRequesttime()) ?? Date.now(),
        scheduledTime: isoOf(signal.getScheduledtime()),
      });
    } else if (start) {
      if (start.hasScheduledtime())
        warn(
          `Entity ${entityId} started orchestration '${start.getName()}' with a scheduled start time (${isoOf(start.getScheduledtime())}); ` +
            "the emulator starts it now, as it does a scheduled start from a client.",
        );
      outcome.startedOrchestrations?.push({
        name: start.getName(),
        instanceId: start.getInstanceid() || undefined,
        input: textOf(start.getInput()),
        version: textOf(start.getVersion()),
      });
    } else warn(`Entity ${entityId} returned an action of a kind this sidecar does not know; it is ignored.`);
  }
  return outcome;
}
