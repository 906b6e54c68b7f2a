/** What the engine needs from whatever runs the user's functions (the app host in production and in tests). */
import type { ActivityOutcome, EpisodeOutcome, OrchestrateRequest } from "../app-host/app-host-client";
import type { EntityBatchResultDto, EntityOperationDto, RegisteredFunction } from "../app-host/protocol";

export interface FunctionRuntime {
  readonly functions: readonly RegisteredFunction[];
  /** Runs one episode; activities it was allowed to start eagerly come back with their outcomes. */
  orchestrate(request: OrchestrateRequest): Promise<EpisodeOutcome>;
  runActivity(functionName: string, instanceId: string, taskId: number, input: unknown): Promise<ActivityOutcome>;
  runEntityBatch(functionName: string, entity: { name: string; key: string }, exists: boolean, state: string | undefined, batch: EntityOperationDto[]): Promise<EntityBatchResultDto>;
  /** The execution ended or was reset: cached replay state for it may go. */
  forget(instanceId: string, executionId: string): void;
}
