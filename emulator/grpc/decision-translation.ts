/**
 * A Durable Task SDK's orchestrator response (the actions of one episode) as the engine's decision. The SDK replays
 * the history itself and returns only what the history does not record yet, each action under the sequence id the
 * SDK gave it, and ends the orchestration with an explicit CompleteOrchestration action: so every action is a new
 * task, nothing is left open when it completes, and the SDK reports its own nondeterminism as a failure.
 */
import type { HistoryEvent } from "../history/history-event";
import type { TrackedTask } from "../core/tasks";
import type { OrchestrationDecision } from "../core/worker-port";
import { fromProtoEvent } from "./history-translation";
import { isoOf, pb, textOf } from "./protocol";
import { wireJsonValue } from "../api/json-text";

const Action = pb.OrchestratorAction.OrchestratoractiontypeCase;
const Status = pb.OrchestrationStatus;

function newTask(id: number, task: TrackedTask["task"]): TrackedTask {
  return { id, open: true, task };
}

/** The response's actions as the engine's decision; `historyLength` places a continue-as-new after everything seen. */
export function decisionOf(response: pb.OrchestratorResponse, historyLength: number): OrchestrationDecision {
  const decision: OrchestrationDecision = {
    newTasks: [],
    openTaskIds: [],
    done: false,
    customStatus: wireJsonValue(textOf(response.getCustomstatus())),
    waitingForEvents: [],
    canceledTimerIds: [],
    eagerActivities: new Map(),
  };
  for (const action of response.getActionsList()) {
    const id = action.getId();
    switch (action.getOrchestratoractiontypeCase()) {
      case Action.SCHEDULETASK: {
        const task = action.getScheduletask()!;
        decision.newTasks.push(newTask(id, { role: "activity", name: task.getName(), input: wireJsonValue(textOf(task.getInput())) }));
        break;
      }
      case Action.CREATETIMER: {
        const fireAt = isoOf(action.getCreatetimer()!.getFireat()) ?? new Date().toISOString();
        decision.newTasks.push(newTask(id, { role: "timer", fireAt, canceled: false }));
        break;
      }
      case Action.CREATESUBORCHESTRATION: {
        const sub = action.getCreatesuborchestration()!;
        decision.newTasks.push(
          newTask(id, {
            role: "subOrchestration",
            name: sub.getName(),
            input: wireJsonValue(textOf(sub.getInput())),
            instanceId: sub.getInstanceid() || undefined,
            version: textOf(sub.getVersion()),
          }),
        );
        break;
      }
      case Action.SENDEVENT: {
        const send = action.getSendevent()!;
        decision.newTasks.push(
          newTask(id, {
            role: "event",
            instanceId: send.getInstance()?.getInstanceid() ?? "",
            name: send.getName(),
            input: wireJsonValue(textOf(send.getData())),
          }),
        );
        break;
      }
      case Action.SENDENTITYMESSAGE:
        decision.newTasks.push(newTask(id, entityTaskOf(action.getSendentitymessage()!)));
        break;
      case Action.COMPLETEORCHESTRATION:
        complete(decision, action.getCompleteorchestration()!, historyLength);
        break;
      default:
        decision.newTasks.push(
          newTask(id, { role: "unknown", description: `the Durable Task action ${Action[action.getOrchestratoractiontypeCase()] ?? "?"}` }),
        );
    }
  }
  return decision;
}

const EntityMessage = pb.SendEntityMessageAction.EntitymessagetypeCase;

/**
 * An entity message, in the engine's terms: the engine sends it as the Durable Task framework's classic entity
 * messages (an EventSent to the entity, answered by an EventRaised named by the request id), which the SDKs replay
 * as DurableTask.Core's backends deliver them. The SDK's own request and critical-section ids name the messages, so
 * its answers find their tasks.
 */
function entityTaskOf(message: pb.SendEntityMessageAction): TrackedTask["task"] {
  switch (message.getEntitymessagetypeCase()) {
    case EntityMessage.ENTITYOPERATIONCALLED: {
      const call = message.getEntityoperationcalled()!;
      return {
        role: "entity",
        operation: "call",
        entityInstanceId: textOf(call.getTargetinstanceid()) ?? "",
        operationName: call.getOperation(),
        input: wireJsonValue(textOf(call.getInput())),
        requestId: call.getRequestid() || undefined,
      };
    }
    case EntityMessage.ENTITYOPERATIONSIGNALED: {
      const signal = message.getEntityoperationsignaled()!;
      return {
        role: "entity",
        operation: "signal",
        entityInstanceId: textOf(signal.getTargetinstanceid()) ?? "",
        operationName: signal.getOperation(),
        input: wireJsonValue(textOf(signal.getInput())),
        requestId: signal.getRequestid() || undefined,
        scheduledTime: isoOf(signal.getScheduledtime()),
      };
    }
    case EntityMessage.ENTITYLOCKREQUESTED: {
      const lock = message.getEntitylockrequested()!;
      return { role: "entityLock", operation: "lock", entityInstanceIds: lock.getLocksetList(), requestId: lock.getCriticalsectionid() || undefined };
    }
    case EntityMessage.ENTITYUNLOCKSENT: {
      const unlock = message.getEntityunlocksent()!;
      return { role: "entityLock", operation: "release", entityInstanceId: textOf(unlock.getTargetinstanceid()) ?? "" };
    }
    default:
      return { role: "unknown", description: "an entity message of a kind this sidecar does not know" };
  }
}

function complete(decision: OrchestrationDecision, action: pb.CompleteOrchestrationAction, historyLength: number): void {
  const result = textOf(action.getResult());
  switch (action.getOrchestrationstatus()) {
    case Status.ORCHESTRATION_STATUS_FAILED: {
      const details = action.getFailuredetails();
      decision.failure = {
        message: details?.getErrormessage() ?? "The orchestration failed.",
        stack: textOf(details?.getStacktrace()),
        errorType: details?.getErrortype() || "Error",
      };
      return;
    }
    case Status.ORCHESTRATION_STATUS_CONTINUED_AS_NEW: {
      const carryover: HistoryEvent[] = [];
      for (const message of action.getCarryovereventsList()) {
        const event = fromProtoEvent(message);
        if (event) carryover.push(event);
      }
      decision.done = true;
      decision.continueAsNew = { input: wireJsonValue(result), calledAtEvent: historyLength - 1, carryover };
      return;
    }
    default:
      decision.done = true;
      decision.output = wireJsonValue(result);
  }
}
