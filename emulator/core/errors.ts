/**
 * Errors the engine raises for requests it cannot carry out. Each carries a code saying what kind of refusal it
 * is; every surface that reports errors (the Durable HTTP API, the CLI's exit codes, a gRPC endpoint later) maps
 * the code through ERROR_CODES below, never by reading the message. Messages say what was wrong and what to do.
 */

export type DurableErrorCode =
  /** No instance has the id. */
  | "InstanceNotFound"
  /** A start (or restart under the same id) over an instance that has not finished. */
  | "InstanceAlreadyExists"
  /** The instance has finished (Completed, Failed or Terminated, as the operation counts them). */
  | "InstanceFinished"
  /** The instance has not finished, but its state does not allow the operation (resume a running one, say). */
  | "InvalidState"
  /** The app has no function of that name and kind. */
  | "UnknownFunction"
  /** The request is malformed: a bad instance id, data that cannot be stored as JSON, bad JSON. */
  | "BadRequest"
  /** An orchestration-only operation aimed at a durable entity. */
  | "NotAnOrchestration"
  /** Not something the API serves: no such route, or a method the route does not take. */
  | "RouteNotFound"
  /** Anything else: a fault in the emulator. */
  | "Internal";

export interface ErrorCodeInfo {
  /**
   * The status the Durable extension's HttpApiHandler answers (src/WebJobs.Extensions.DurableTask/HttpApiHandler.cs):
   * its own checks answer 404 (no instance, no route) and 410 (finished); what the client throws is caught as an
   * ArgumentException (400) or as any other exception (500), HttpApiHandler.cs:442-449.
   */
  http: number;
  /** The CLI's exit code (cli/cli-error.ts EXIT): 2 for a mistake in how the command was called, 1 for a refusal. */
  exit: 1 | 2;
  /** The gRPC status code the Durable Task sidecar answers (grpc/status codes: 3 INVALID_ARGUMENT, 5 NOT_FOUND, 6 ALREADY_EXISTS, 9 FAILED_PRECONDITION, 12 UNIMPLEMENTED, 13 INTERNAL). */
  grpc: 3 | 5 | 6 | 9 | 12 | 13;
}

/** The one table from codes to what each surface answers. */
export const ERROR_CODES: Readonly<Record<DurableErrorCode, ErrorCodeInfo>> = {
  InstanceNotFound: { http: 404, exit: 1, grpc: 5 },
  // OrchestrationAlreadyExistsException is an InvalidOperationException (DurableTask.Core
  // Exceptions/OrchestrationAlreadyExistsException.cs:23): not an ArgumentException, so 500.
  InstanceAlreadyExists: { http: 500, exit: 1, grpc: 6 },
  InstanceFinished: { http: 410, exit: 1, grpc: 9 },
  // DurableClient.SuspendAsync/ResumeAsync/RewindAsync throw InvalidOperationException (DurableClient.cs:420, 441, 451).
  InvalidState: { http: 500, exit: 1, grpc: 9 },
  // DurableTaskExtension.ThrowIfFunctionDoesNotExist throws ArgumentException (DurableTaskExtension.cs:1340).
  UnknownFunction: { http: 400, exit: 2, grpc: 3 },
  BadRequest: { http: 400, exit: 2, grpc: 3 },
  NotAnOrchestration: { http: 400, exit: 2, grpc: 3 },
  RouteNotFound: { http: 404, exit: 2, grpc: 12 },
  Internal: { http: 500, exit: 1, grpc: 13 },
};

export class DurableError extends Error {
  readonly instanceId?: string;
  readonly runtimeStatus?: string;

  constructor(
    readonly code: DurableErrorCode,
    message: string,
    details: { instanceId?: string; runtimeStatus?: string; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = "DurableError";
    this.instanceId = details.instanceId;
    this.runtimeStatus = details.runtimeStatus;
  }
}

export function isDurableError(error: unknown, code?: DurableErrorCode): error is DurableError {
  return error instanceof DurableError && (code === undefined || error.code === code);
}

/** The code of any error: DurableError's own, "Internal" for anything else. */
export function errorCodeOf(error: unknown): DurableErrorCode {
  return error instanceof DurableError ? error.code : "Internal";
}

export function instanceNotFound(instanceId: string): DurableError {
  return new DurableError("InstanceNotFound", `No orchestration instance has the id "${instanceId}". List instances with \`durable-devkit list\`.`, {
    instanceId,
  });
}

export function unknownFunction(kind: string, name: string, known: string[]): DurableError {
  return new DurableError(
    "UnknownFunction",
    `The app has no ${kind} function named "${name}". ` +
      (known.length ? `Registered ${kind} functions: ${known.map((n) => `"${n}"`).join(", ")}.` : `It registers no ${kind} functions.`),
  );
}

export function badRequest(message: string, cause?: unknown): DurableError {
  return new DurableError("BadRequest", message, { cause });
}

/**
 * An orchestration-only operation (raise event, terminate, suspend, resume, rewind, restart) aimed at an entity.
 * Azure only refuses "@" ids when starting (DurableClient.StartNewAsync); sent on, such a message reaches the entity's
 * queue as something it cannot process, so the emulator refuses it up front.
 */
export function notAnOrchestration(instanceId: string, action: string): DurableError {
  return new DurableError(
    "NotAnOrchestration",
    `Cannot ${action} "${instanceId}": it is a durable entity, not an orchestration instance. ` +
      "Entities take operations: signal one with `durable-devkit entity signal <name> <key> <operation>` (or client.signalEntity).",
    { instanceId },
  );
}

/** A port the emulator must listen on is taken: the message names the port, who may hold it, and the option to change. */
export class PortInUseError extends Error {
  constructor(
    readonly port: number,
    message: string,
  ) {
    super(message);
    this.name = "PortInUseError";
  }
}
