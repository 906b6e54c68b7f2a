/**
 * Our stand-in for `@azure/functions-core`, the module the real Node worker injects. `@azure/functions` v4 finds it
 * with a plain require and then reports every app.http / df.app.orchestration / ... registration to it.
 */
import Module = require("node:module");
import type { FunctionKind, RegisteredFunction } from "../core/functions";
import { captureUserStack } from "./user-stack";

export type FunctionHandler = (...args: unknown[]) => unknown;

export interface CapturedFunction extends RegisteredFunction {
  handler: FunctionHandler;
}

interface CoreFunctionMetadata {
  name: string;
  bindings: Record<string, { type: string; direction?: string; [key: string]: unknown }>;
}

export interface CapturedRegistrations {
  functions: Map<string, CapturedFunction>;
  programmingModel?: unknown;
  hooks: { type: string; callback: unknown }[];
}

const CORE_MODULE_NAME = "@azure/functions-core";

function kindOf(triggerType: string): FunctionKind {
  switch (triggerType.toLowerCase()) {
    case "orchestrationtrigger":
      return "orchestration";
    case "activitytrigger":
      return "activity";
    case "entitytrigger":
      return "entity";
    case "httptrigger":
      return "http";
    default:
      return "other";
  }
}

/** Makes `require("@azure/functions-core")` answer with an object that records registrations. */
export function installFunctionsCore(log: (level: string, message: string) => void): CapturedRegistrations {
  const captured: CapturedRegistrations = { functions: new Map(), hooks: [] };
  const coreApi = {
    version: "3.10.1",
    hostVersion: "4.1000.0",
    setProgrammingModel(model: unknown) {
      captured.programmingModel = model;
    },
    getProgrammingModel() {
      return captured.programmingModel;
    },
    registerFunction(metadata: CoreFunctionMetadata, handler: FunctionHandler) {
      const trigger = Object.values(metadata.bindings).find((binding) => /trigger$/i.test(binding.type));
      const triggerType = trigger?.type ?? "unknown";
      if (captured.functions.has(metadata.name)) {
        throw new Error(`A function named "${metadata.name}" is already registered. Function names must be unique in an app.`);
      }
      captured.functions.set(metadata.name, {
        name: metadata.name,
        kind: kindOf(triggerType),
        triggerType,
        bindings: metadata.bindings,
        source: captureUserStack(1)[0],
        handler,
      });
      return {
        dispose() {
          captured.functions.delete(metadata.name);
        },
      };
    },
    registerHook(type: string, callback: unknown) {
      const hook = { type, callback };
      captured.hooks.push(hook);
      return {
        dispose() {
          captured.hooks.splice(captured.hooks.indexOf(hook), 1);
        },
      };
    },
    log(level: string, _category: string, message: string) {
      log(level, message);
    },
    Disposable: class {
      constructor(private readonly callOnDispose: () => void) {}
      dispose() {
        this.callOnDispose();
      }
    },
  };

  const fakePath = `/__durable_devkit__/${CORE_MODULE_NAME}.js`;
  const fakeModule = new Module(fakePath);
  fakeModule.filename = fakePath;
  fakeModule.loaded = true;
  fakeModule.exports = coreApi;
  const moduleInternals = Module as unknown as {
    _resolveFilename: (request: string, ...rest: unknown[]) => string;
    _cache: Record<string, unknown>;
  };
  moduleInternals._cache[fakePath] = fakeModule;
  const originalResolve = moduleInternals._resolveFilename;
  moduleInternals._resolveFilename = function (request: string, ...rest: unknown[]) {
    if (request === CORE_MODULE_NAME) return fakePath;
    return originalResolve.call(this, request, ...rest);
  };
  return captured;
}
