/**
 * The `app.hook.*` hooks of @azure/functions, run as the Node worker runs them (azure-functions-nodejs-worker
 * src/eventHandlers/InvocationHandler.ts:70-147 around every invocation, src/startApp.ts:27-44 after the entry files
 * load, src/eventHandlers/terminateWorker.ts:12-37 at shutdown; src/hooks/executeHooks.ts awaits them in order of
 * registration). The contexts are the worker's core objects, which @azure/functions wraps in its own classes.
 */
import type { CapturedRegistrations, FunctionHandler } from "./functions-core";

/** The worker's ReadOnlyError (src/errors.ts). */
class ReadOnlyError extends TypeError {
  constructor(propertyName: string) {
    super(`Cannot assign to read only property '${propertyName}'`);
  }
}

type HookData = Record<string, unknown>;

/** Data the app's hooks share: `appHookData` with every hook, `appLevelOnlyHookData` among appStart/appTerminate. */
const appHookData: HookData = {};
const appLevelOnlyHookData: HookData = {};

export async function executeHooks(registrations: CapturedRegistrations, name: string, context: object): Promise<void> {
  for (const hook of registrations.hooks.filter((registered) => registered.type === name)) {
    await (hook.callback as (context: object) => unknown)(context);
  }
}

function readOnly<T extends object>(target: T, name: string, value: () => unknown): T {
  return Object.defineProperty(target, name, {
    get: value,
    set: () => {
      throw new ReadOnlyError(name);
    },
    enumerable: true,
  });
}

function hookContext(hookData: HookData, invocationContext?: object): Record<string, unknown> {
  const context: Record<string, unknown> = {};
  readOnly(context, "hookData", () => hookData);
  readOnly(context, "appHookData", () => appHookData);
  if (invocationContext) readOnly(context, "invocationContext", () => invocationContext);
  return context;
}

export interface PreparedInvocation {
  /** The handler to call (a preInvocation hook may have replaced it) and its inputs (which it may have changed). */
  callback: FunctionHandler;
  inputs: unknown[];
  /** Runs the postInvocation hooks with the outcome; returns the outcome they leave (they may change it). */
  finish(outcome: { result: unknown } | { error: unknown }): Promise<{ result: unknown } | { error: unknown }>;
}

/** Runs the preInvocation hooks for one invocation. */
export async function prepareInvocation(
  registrations: CapturedRegistrations,
  invocationContext: object,
  handler: FunctionHandler,
  inputs: unknown[],
): Promise<PreparedInvocation> {
  const hookData: HookData = {};
  const pre = Object.assign(hookContext(hookData, invocationContext), { functionCallback: handler, inputs });
  await executeHooks(registrations, "preInvocation", pre);
  const callback = pre.functionCallback;
  const finalInputs = pre.inputs;
  return {
    callback,
    inputs: finalInputs,
    async finish(outcome) {
      const post = Object.assign(hookContext(hookData, invocationContext), {
        inputs: finalInputs,
        result: "result" in outcome ? outcome.result : null,
        error: "error" in outcome ? outcome.error : null,
      });
      await executeHooks(registrations, "postInvocation", post);
      return post.error !== null && post.error !== undefined ? { error: post.error } : { result: post.result };
    },
  };
}

/** A whole invocation: preInvocation hooks, the handler as `handler(...inputs, context)`, postInvocation hooks. */
export async function invokeWithHooks(
  registrations: CapturedRegistrations,
  invocationContext: object,
  handler: FunctionHandler,
  inputs: unknown[],
): Promise<unknown> {
  const prepared = await prepareInvocation(registrations, invocationContext, handler, inputs);
  let outcome: { result: unknown } | { error: unknown };
  try {
    outcome = { result: await prepared.callback(...prepared.inputs, invocationContext) };
  } catch (error) {
    outcome = { error };
  }
  const final = await prepared.finish(outcome);
  if ("error" in final) throw final.error;
  return final.result;
}

export function appStartContext(functionAppDirectory: string): object {
  const context = hookContext(appLevelOnlyHookData);
  context.functionAppDirectory = functionAppDirectory;
  return context;
}

export function appTerminateContext(): object {
  return hookContext(appLevelOnlyHookData);
}
