/**
 * History events between the engine's shape (DurableTask.Core's JSON, history/history-event.ts) and the protocol's
 * HistoryEvent messages: what a Durable Task SDK worker replays, and the carry-over events it hands back.
 */
import { HistoryEventType as T, type FailureDetailsDto, type HistoryEvent } from "../history/history-event";
import { ENTITY_OPERATION_EVENT, ENTITY_RELEASE_EVENT, LOCK_GRANTED_RESPONSE, parseEntityRelease, parseEntityRequest } from "../engine/entity-batch";
import { isoOf, pb, stringValue, textOf, timestampOf } from "./protocol";

function instanceOf(instanceId: string, executionId: string | undefined): pb.OrchestrationInstance {
  const instance = new pb.OrchestrationInstance();
  instance.setInstanceid(instanceId);
  instance.setExecutionid(stringValue(executionId));
  return instance;
}

/**
 * A critical section's messages as the SDKs take them: a lock request as EntityLockRequested and a release as
 * EntityUnlockSent, as the Durable Task Scheduler records them. durabletask-python grants a lock only against an
 * EntityLockRequested in the history (worker.py), durabletask-js takes both forms. (The .NET SDK on plain gRPC, which
 * sends its entity messages the classic way, is not served for critical sections: see the README.) Calls and signals
 * stay EventSent, which every SDK confirms them by.
 */
function criticalSectionEvent(event: HistoryEvent, message: pb.HistoryEvent): boolean {
  if (event.Name === ENTITY_RELEASE_EVENT && event.InstanceId) {
    const release = parseEntityRelease({ ...event, EventType: T.EventRaised });
    const unlock = new pb.EntityUnlockSentEvent();
    unlock.setCriticalsectionid(release?.id ?? "");
    unlock.setParentinstanceid(stringValue(release?.parent));
    unlock.setTargetinstanceid(stringValue(event.InstanceId));
    message.setEntityunlocksent(unlock);
    return true;
  }
  if (event.Name !== ENTITY_OPERATION_EVENT || !/"lock[sS]et"/.test(event.Input ?? "")) return false;
  const request = parseEntityRequest({ ...event, EventType: T.EventRaised });
  if ("unusable" in request || !request.lockSet) return false;
  const lock = new pb.EntityLockRequestedEvent();
  lock.setCriticalsectionid(request.id);
  lock.setLocksetList(request.lockSet);
  lock.setPosition(request.pos ?? 0);
  lock.setParentinstanceid(stringValue(request.parent));
  message.setEntitylockrequested(lock);
  return true;
}

export function failureDetailsOf(details: FailureDetailsDto): pb.TaskFailureDetails {
  const failure = new pb.TaskFailureDetails();
  failure.setErrortype(details.ErrorType);
  failure.setErrormessage(details.ErrorMessage);
  failure.setStacktrace(stringValue(details.StackTrace));
  failure.setIsnonretriable(details.IsNonRetriable === true);
  if (details.InnerFailure) failure.setInnerfailure(failureDetailsOf(details.InnerFailure));
  return failure;
}

export function failureDetailsFrom(failure: pb.TaskFailureDetails): FailureDetailsDto {
  const inner = failure.getInnerfailure();
  return {
    ErrorType: failure.getErrortype(),
    ErrorMessage: failure.getErrormessage(),
    StackTrace: textOf(failure.getStacktrace()),
    IsNonRetriable: failure.getIsnonretriable() || undefined,
    InnerFailure: inner ? failureDetailsFrom(inner) : undefined,
  };
}

/** A failed task's details: the SDK's own when it gave them, else built from the Functions-host Reason/Details. */
function taskFailureOf(event: HistoryEvent): pb.TaskFailureDetails {
  return failureDetailsOf(event.FailureDetails ?? { ErrorType: "Error", ErrorMessage: event.Reason ?? "", StackTrace: event.Details });
}

/** One engine history event as the protocol's message, or undefined for kinds the protocol does not carry. */
export function toProtoEvent(event: HistoryEvent): pb.HistoryEvent | undefined {
  const message = new pb.HistoryEvent();
  message.setEventid(event.EventId);
  message.setTimestamp(timestampOf(event.Timestamp));
  switch (event.EventType) {
    case T.ExecutionStarted: {
      const started = new pb.ExecutionStartedEvent();
      started.setName(event.Name ?? "");
      started.setVersion(stringValue(event.Version));
      started.setInput(stringValue(event.Input));
      if (event.ScheduledStartTime) started.setScheduledstarttimestamp(timestampOf(event.ScheduledStartTime));
      if (event.OrchestrationInstance)
        started.setOrchestrationinstance(instanceOf(event.OrchestrationInstance.InstanceId, event.OrchestrationInstance.ExecutionId));
      if (event.ParentInstance) {
        const parent = new pb.ParentInstanceInfo();
        parent.setTaskscheduledid(event.ParentInstance.TaskScheduleId);
        parent.setName(stringValue(event.ParentInstance.Name));
        parent.setVersion(stringValue(event.ParentInstance.Version));
        parent.setOrchestrationinstance(
          instanceOf(event.ParentInstance.OrchestrationInstance.InstanceId, event.ParentInstance.OrchestrationInstance.ExecutionId),
        );
        started.setParentinstance(parent);
      }
      message.setExecutionstarted(started);
      break;
    }
    case T.ExecutionCompleted: {
      const completed = new pb.ExecutionCompletedEvent();
      completed.setOrchestrationstatus(event.OrchestrationStatus as number as pb.OrchestrationStatus);
      completed.setResult(stringValue(event.Result));
      if (event.FailureDetails) completed.setFailuredetails(failureDetailsOf(event.FailureDetails));
      message.setExecutioncompleted(completed);
      break;
    }
    case T.ExecutionTerminated: {
      const terminated = new pb.ExecutionTerminatedEvent();
      terminated.setInput(stringValue(event.Input));
      message.setExecutionterminated(terminated);
      break;
    }
    case T.TaskScheduled: {
      const scheduled = new pb.TaskScheduledEvent();
      scheduled.setName(event.Name ?? "");
      scheduled.setVersion(stringValue(event.Version));
      scheduled.setInput(stringValue(event.Input));
      message.setTaskscheduled(scheduled);
      break;
    }
    case T.TaskCompleted: {
      const completed = new pb.TaskCompletedEvent();
      completed.setTaskscheduledid(event.TaskScheduledId ?? -1);
      completed.setResult(stringValue(event.Result));
      message.setTaskcompleted(completed);
      break;
    }
    case T.TaskFailed: {
      const failed = new pb.TaskFailedEvent();
      failed.setTaskscheduledid(event.TaskScheduledId ?? -1);
      failed.setFailuredetails(taskFailureOf(event));
      message.setTaskfailed(failed);
      break;
    }
    case T.SubOrchestrationInstanceCreated: {
      const created = new pb.SubOrchestrationInstanceCreatedEvent();
      created.setInstanceid(event.InstanceId ?? "");
      created.setName(event.Name ?? "");
      created.setVersion(stringValue(event.Version));
      created.setInput(stringValue(event.Input));
      message.setSuborchestrationinstancecreated(created);
      break;
    }
    case T.SubOrchestrationInstanceCompleted: {
      const completed = new pb.SubOrchestrationInstanceCompletedEvent();
      completed.setTaskscheduledid(event.TaskScheduledId ?? -1);
      completed.setResult(stringValue(event.Result));
      message.setSuborchestrationinstancecompleted(completed);
      break;
    }
    case T.SubOrchestrationInstanceFailed: {
      const failed = new pb.SubOrchestrationInstanceFailedEvent();
      failed.setTaskscheduledid(event.TaskScheduledId ?? -1);
      failed.setFailuredetails(taskFailureOf(event));
      message.setSuborchestrationinstancefailed(failed);
      break;
    }
    case T.TimerCreated: {
      const created = new pb.TimerCreatedEvent();
      created.setFireat(timestampOf(event.FireAt ?? event.Timestamp));
      message.setTimercreated(created);
      break;
    }
    case T.TimerFired: {
      const fired = new pb.TimerFiredEvent();
      fired.setTimerid(event.TimerId ?? -1);
      fired.setFireat(timestampOf(event.FireAt ?? event.Timestamp));
      message.setTimerfired(fired);
      break;
    }
    case T.OrchestratorStarted:
      message.setOrchestratorstarted(new pb.OrchestratorStartedEvent());
      break;
    case T.OrchestratorCompleted:
      message.setOrchestratorcompleted(new pb.OrchestratorCompletedEvent());
      break;
    case T.EventSent: {
      if (criticalSectionEvent(event, message)) break;
      const sent = new pb.EventSentEvent();
      sent.setInstanceid(event.InstanceId ?? "");
      sent.setName(event.Name ?? "");
      sent.setInput(stringValue(event.Input));
      message.setEventsent(sent);
      break;
    }
    case T.EventRaised: {
      if (event.Input === LOCK_GRANTED_RESPONSE) {
        // The SDKs take a lock grant only as EntityLockGranted (durabletask-js orchestration-executor.js
        // handleEntityLockGranted); DurableTask.Core sends it as this ResponseMessage, named by the critical section.
        const granted = new pb.EntityLockGrantedEvent();
        granted.setCriticalsectionid(event.Name ?? "");
        message.setEntitylockgranted(granted);
        break;
      }
      const raised = new pb.EventRaisedEvent();
      raised.setName(event.Name ?? "");
      raised.setInput(stringValue(event.Input));
      message.setEventraised(raised);
      break;
    }
    case T.ExecutionSuspended: {
      const suspended = new pb.ExecutionSuspendedEvent();
      suspended.setInput(stringValue(event.Reason));
      message.setExecutionsuspended(suspended);
      break;
    }
    case T.ExecutionResumed: {
      const resumed = new pb.ExecutionResumedEvent();
      resumed.setInput(stringValue(event.Reason));
      message.setExecutionresumed(resumed);
      break;
    }
    default:
      return undefined;
  }
  return message;
}

export function toProtoEvents(events: readonly HistoryEvent[]): pb.HistoryEvent[] {
  const messages: pb.HistoryEvent[] = [];
  for (const event of events) {
    const message = toProtoEvent(event);
    if (message) messages.push(message);
  }
  return messages;
}

/**
 * A protocol event back in the engine's shape, for the kinds a worker hands back (continue-as-new carry-over:
 * raised events). Undefined for the others.
 */
export function fromProtoEvent(message: pb.HistoryEvent): HistoryEvent | undefined {
  const raised = message.getEventraised();
  if (!raised) return undefined;
  return {
    EventType: T.EventRaised,
    EventId: -1,
    Timestamp: isoOf(message.getTimestamp()) ?? new Date().toISOString(),
    IsPlayed: false,
    Name: raised.getName(),
    Input: textOf(raised.getInput()),
  };
}
