/**
 * The Node app host as a worker of the engine (core/worker-port.ts): it translates the JavaScript package's episode
 * (its OrchestratorState, the task ids the replay observer read, its Task.all hold-back hint, the activities it
 * started eagerly) into the engine's decision, and passes activities and entity batches through.
 */
import type {
  ActivityRequest,
  ActivityResult,
  EntityBatchRequest,
  EntityBatchResult,
  OrchestrationDecision,
  OrchestrationRequest,
  WorkerPort,
} from "../core/worker-port";
import type { RegisteredFunction } from "../core/functions";
import type { AppHostClient } from "./app-host-client";

export class AppHostWorker implements WorkerPort {
  constructor(private readonly host: AppHostClient) {}

  get functions(): readonly RegisteredFunction[] {
    return this.host.functions;
  }

  async orchestrate(request: OrchestrationRequest): Promise<OrchestrationDecision> {
    const episode = await this.host.orchestrate(request);
    return {
      newTasks: episode.newTasks,
      openTaskIds: episode.openTaskIds,
      done: episode.state.isDone,
      output: episode.state.output,
      failure: episode.failure,
      continueAsNew: episode.continueAsNew,
      customStatus: episode.state.customStatus,
      waitingForEvents: episode.waitingForEvents,
      canceledTimerIds: episode.canceledTimerIds,
      timerCancellations: episode.timerCancellations,
      waitingForAll: episode.waitingForAll,
      nondeterminism: episode.nondeterminism,
      eagerActivities: episode.eagerActivities,
    };
  }

  runActivity(request: ActivityRequest): Promise<ActivityResult> {
    return this.host.runActivity(request.functionName, request.instanceId, request.taskId, request.input);
  }

  runEntityBatch(request: EntityBatchRequest): Promise<EntityBatchResult> {
    return this.host.runEntityBatch(request.functionName, request.entity, request.exists, request.state, request.operations);
  }

  forget(instanceId: string, executionId: string): void {
    this.host.forget(instanceId, executionId);
  }
}
