/** Instance records and statuses between the engine's shape and the protocol's OrchestrationState. */
import type { InstanceRecord, RuntimeStatus } from "../api/types";
import { pb, stringValue, timestampOf } from "./protocol";

const STATUS_OF: Record<RuntimeStatus, pb.OrchestrationStatus> = {
  Pending: pb.OrchestrationStatus.ORCHESTRATION_STATUS_PENDING,
  Running: pb.OrchestrationStatus.ORCHESTRATION_STATUS_RUNNING,
  Completed: pb.OrchestrationStatus.ORCHESTRATION_STATUS_COMPLETED,
  ContinuedAsNew: pb.OrchestrationStatus.ORCHESTRATION_STATUS_CONTINUED_AS_NEW,
  Failed: pb.OrchestrationStatus.ORCHESTRATION_STATUS_FAILED,
  Terminated: pb.OrchestrationStatus.ORCHESTRATION_STATUS_TERMINATED,
  Suspended: pb.OrchestrationStatus.ORCHESTRATION_STATUS_SUSPENDED,
};

export function protoStatusOf(status: RuntimeStatus): pb.OrchestrationStatus {
  return STATUS_OF[status];
}

/** The engine's status for a protocol status; Canceled (never used by DurableTask.Core) has none. */
export function runtimeStatusOf(status: pb.OrchestrationStatus): RuntimeStatus | undefined {
  return (Object.keys(STATUS_OF) as RuntimeStatus[]).find((name) => STATUS_OF[name] === status);
}

export function orchestrationStateOf(record: InstanceRecord, withPayloads: boolean): pb.OrchestrationState {
  const state = new pb.OrchestrationState();
  state.setInstanceid(record.instanceId);
  state.setName(record.name);
  state.setVersion(stringValue(record.version));
  state.setOrchestrationstatus(protoStatusOf(record.runtimeStatus));
  state.setCreatedtimestamp(timestampOf(record.createdTime));
  state.setLastupdatedtimestamp(timestampOf(record.lastUpdatedTime));
  state.setExecutionid(stringValue(record.executionId));
  if (record.parent) state.setParentinstanceid(stringValue(record.parent.instanceId));
  if (record.runtimeStatus === "Completed" || record.runtimeStatus === "Failed" || record.runtimeStatus === "Terminated")
    state.setCompletedtimestamp(timestampOf(record.lastUpdatedTime));
  if (withPayloads) {
    state.setInput(stringValue(record.input));
    state.setOutput(stringValue(record.output));
    state.setCustomstatus(stringValue(record.customStatus));
  }
  if (record.runtimeStatus === "Failed" && record.failure) {
    const failure = new pb.TaskFailureDetails();
    failure.setErrortype(record.failure.errorType ?? "Error");
    failure.setErrormessage(record.failure.message);
    failure.setStacktrace(stringValue(record.failure.stack));
    state.setFailuredetails(failure);
  }
  return state;
}
