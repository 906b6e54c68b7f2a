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
