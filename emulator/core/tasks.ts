/**
 * What an orchestration asked for, in the engine's terms: each task id of an episode and what it stands for (an
 * activity, a timer, a sub-orchestration, an entity operation...). Workers report their decisions in these terms;
 * the engine turns them into history events and work.
 */

/** What one task id of the package's replay stands for: enough for the host to schedule it. */
export type TrackedTaskRole =
  | { role: "activity"; name: string; input: unknown }
  | { role: "subOrchestration"; name: string; input: unknown; instanceId?: string; version?: string }
  /** httpPoll: the timer a callHttp with the async pattern waits on before polling (it waits for the outside world). */
  | { role: "timer"; fireAt: string; canceled: boolean; httpPoll?: boolean }
  | { role: "retryTimer"; firstAttemptId: number; failures: number; retryOptions: RetryOptionsDto }
  | { role: "http"; request: DurableHttpRequestDto; pollLocation?: string }
  /** requestId: the id the worker chose for the request (a Durable Task SDK matches the answer by it); else the engine picks one. */
  | {
      role: "entity";
      operation: "call" | "signal";
      entityInstanceId: string;
      operationName: string;
      input: unknown;
      requestId?: string;
      /** A signal delivered no earlier than this time (ISO). */
      scheduledTime?: string;
    }
  /** A critical section: lock (the entity ids of the lock set, in the order they are locked) or one entity's release. */
  | { role: "entityLock"; operation: "lock"; entityInstanceIds: string[]; requestId?: string }
  | { role: "entityLock"; operation: "release"; entityInstanceId: string }
  /** An event sent to another orchestration instance (a Durable Task SDK's sendEvent). */
  | { role: "event"; instanceId: string; name: string; input: unknown }
  | { role: "unknown"; description: string };

export interface TrackedTask {
  id: number;
  /** Still waiting for its completion event at the end of this replay. */
  open: boolean;
  task: TrackedTaskRole;
}

export interface RetryOptionsDto {
  firstRetryIntervalInMilliseconds: number;
  maxNumberOfAttempts: number;
  backoffCoefficient?: number;
  maxRetryIntervalInMilliseconds?: number;
  retryTimeoutInMilliseconds?: number;
}

export interface DurableHttpRequestDto {
  method: string;
  uri: string;
  content?: string;
  headers?: Record<string, string>;
  asynchronousPatternEnabled?: boolean;
}
