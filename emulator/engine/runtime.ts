/** What the engine needs from whatever runs the user's functions (the app host in production and in tests). */
import type { ActivityOutcome, OrchestrateRequest } from "../app-host/app-host-client";
import type { OrchestrationEpisodeResult, RegisteredFunction } from "../app-host/protocol";

export interface FunctionRuntime {
  readonly functions: readonly RegisteredFunction[];
  orchestrate(request: OrchestrateRequest): Promise<OrchestrationEpisodeResult>;
  runActivity(functionName: string, instanceId: string, taskId: number, input: unknown): Promise<ActivityOutcome>;
  /** The execution ended or was reset: cached replay state for it may go. */
  forget(instanceId: string, executionId: string): void;
}
