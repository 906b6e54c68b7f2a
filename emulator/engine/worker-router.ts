/**
 * The workers connected to the engine, as one WorkerPort: each call goes to the worker that registered the function
 * (the first one, when several did), the function catalog is all of theirs together. With one worker, everything
 * goes to it, registered or not: it answers for a name it does not know as the Functions host would. A name nobody
 * registered goes to a worker that serves any function (a Durable Task SDK that does not list its functions).
 */
import type { RegisteredFunction } from "../core/functions";
import type {
  ActivityRequest,
  ActivityResult,
  EntityBatchRequest,
  EntityBatchResult,
  OrchestrationDecision,
  OrchestrationRequest,
  WorkerPort,
} from "../core/worker-port";

export class WorkerRouter implements WorkerPort {
  private readonly workers: WorkerPort[];

  constructor(workers: readonly WorkerPort[]) {
    if (!workers.length) throw new Error("The engine needs at least one worker to run the app's functions.");
    this.workers = [...workers];
  }

  /** Connects another worker; its functions are routed to it from now on. */
  add(worker: WorkerPort): void {
    this.workers.push(worker);
  }

  /** Disconnects a worker (it stopped, or its connection dropped). The last one stays. */
  remove(worker: WorkerPort): void {
    const index = this.workers.indexOf(worker);
    if (index >= 0 && this.workers.length > 1) this.workers.splice(index, 1);
  }

  get functions(): readonly RegisteredFunction[] {
    return this.workers.length === 1 ? this.workers[0].functions : this.workers.flatMap((worker) => worker.functions);
  }

  get servesAnyFunction(): boolean {
    return this.workers.some((worker) => worker.servesAnyFunction === true);
  }

  /** The worker that registered the function, else one that serves any name, else the first. */
  private workerFor(kind: RegisteredFunction["kind"], name: string): WorkerPort {
    if (this.workers.length === 1) return this.workers[0];
    return (
      this.workers.find((worker) => worker.functions.some((fn) => fn.kind === kind && fn.name === name)) ??
      this.workers.find((worker) => worker.servesAnyFunction === true) ??
      this.workers[0]
    );
  }

  orchestrate(request: OrchestrationRequest): Promise<OrchestrationDecision> {
    return this.workerFor("orchestration", request.functionName).orchestrate(request);
  }

  runActivity(request: ActivityRequest): Promise<ActivityResult> {
    return this.workerFor("activity", request.functionName).runActivity(request);
  }

  runEntityBatch(request: EntityBatchRequest): Promise<EntityBatchResult> {
    return this.workerFor("entity", request.functionName).runEntityBatch(request);
  }

  forget(instanceId: string, executionId: string): void {
    for (const worker of this.workers) worker.forget(instanceId, executionId);
  }
}
