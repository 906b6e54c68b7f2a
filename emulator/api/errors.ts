/** Errors the engine API raises for bad requests; each message says what was wrong and what to do. */

/** No instance has this id. HTTP: 404. */
export class InstanceNotFoundError extends Error {
  constructor(readonly instanceId: string) {
    super(`No orchestration instance has the id "${instanceId}". List instances with \`durable-devkit list\`.`);
    this.name = "InstanceNotFoundError";
  }
}

/** The instance exists but is in a state that does not allow the request (e.g. raising an event to a completed one). HTTP: 409/410. */
export class InstanceStateError extends Error {
  constructor(message: string, readonly instanceId: string, readonly runtimeStatus: string) {
    super(message);
    this.name = "InstanceStateError";
  }
}

/** The app has no function of that name and kind. */
export class UnknownFunctionError extends Error {
  constructor(kind: string, name: string, known: string[]) {
    super(
      `The app has no ${kind} function named "${name}". ` +
        (known.length ? `Registered ${kind} functions: ${known.map((n) => `"${n}"`).join(", ")}.` : `It registers no ${kind} functions.`),
    );
    this.name = "UnknownFunctionError";
  }
}

/** The request itself is malformed (a bad instance id, an input that cannot be stored). HTTP: 400; CLI: exit 2. */
export class InvalidRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "InvalidRequestError";
  }
}

/**
 * An orchestration-only operation (raise event, terminate, suspend, resume, rewind, restart) aimed at an entity.
 * Azure only refuses "@" ids when starting (DurableClient.StartNewAsync); sent on, such a message reaches the entity's
 * queue as something it cannot process, so the emulator refuses it up front.
 */
export class NotAnOrchestrationError extends InvalidRequestError {
  constructor(readonly instanceId: string, action: string) {
    super(
      `Cannot ${action} "${instanceId}": it is a durable entity, not an orchestration instance. ` +
        "Entities take operations: signal one with `durable-devkit entity signal <name> <key> <operation>` (or client.signalEntity).",
    );
    this.name = "NotAnOrchestrationError";
  }
}
