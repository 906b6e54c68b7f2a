/**
 * What a failed entity operation threw. The package records only JSON.stringify(error) for it ("{}" for an Error:
 * lib/src/entities/Entity.js:36-50), which is what the caller sees, as on Azure; the emulator also keeps the thrown
 * value's description to warn that the message was lost. The user's operation function is wrapped where the package
 * constructs its Entity, without changing what it returns or throws.
 */
import * as path from "node:path";
import { inspect } from "node:util";

interface Capture {
  calls: number;
  thrown: { index: number; description: string }[];
}

/** By the batch's invocation context: the package runs every operation of a batch with it. */
const captures = new WeakMap<object, Capture>();

type OperationFunction = (this: unknown, context: object) => unknown;

export function installEntityErrorCapture(durableFunctionsRoot: string): void {
  const entityModule = require(path.join(durableFunctionsRoot, "lib", "src", "entities", "Entity.js")) as { Entity?: new (fn: OperationFunction) => object };
  const Original = entityModule.Entity;
  if (typeof Original !== "function") return;
  entityModule.Entity = class extends Original {
    constructor(fn: OperationFunction) {
      super(wrapOperation(fn));
    }
  };
}

function wrapOperation(fn: OperationFunction): OperationFunction {
  return function (this: unknown, context: object) {
    const capture = captures.get(context);
    const index = capture ? capture.calls++ : -1;
    const note = (error: unknown) => capture?.thrown.push({ index, description: describe(error) });
    try {
      const value = fn.call(this, context);
      if (value && typeof (value as PromiseLike<unknown>).then === "function") {
        return (value as PromiseLike<unknown>).then(undefined, (error: unknown) => {
          note(error);
          throw error;
        });
      }
      return value;
    } catch (error) {
      note(error);
      throw error;
    }
  };
}

function describe(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  if (typeof error === "string") return JSON.stringify(error);
  return inspect(error, { depth: 2, breakLength: Infinity });
}

/** Starts recording what the operations of the batch run with this context throw. */
export function captureEntityErrors(context: object): () => Capture["thrown"] {
  const capture: Capture = { calls: 0, thrown: [] };
  captures.set(context, capture);
  return () => capture.thrown;
}
