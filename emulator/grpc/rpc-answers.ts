/**
 * How the sidecar's unary RPCs answer: a handler's value, or the gRPC status its error's DurableError code maps to
 * (core/errors.ts) with the engine's message as the details; and the refusal of JSON text that is not JSON.
 */
import type * as grpc from "@grpc/grpc-js";
import { DurableError, ERROR_CODES, badRequest, errorCodeOf } from "../core/errors";

export type Unary<Req, Res> = (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res;

export function unary<Req, Res>(handler: Unary<Req, Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve()
      .then(() => handler(call.request, call))
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(statusOf(error)),
      );
  };
}

export function statusOf(error: unknown): Partial<grpc.StatusObject> {
  return { code: ERROR_CODES[errorCodeOf(error)].grpc as grpc.status, details: error instanceof Error ? error.message : String(error) };
}

/** JSON text from the wire as a value for the engine (which stores it as JSON again); not JSON: refused. */
export function jsonValue(text: string | undefined, what: string): unknown {
  if (text === undefined || text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(
      `The ${what} is not JSON text: ${text.slice(0, 80)}${text.length > 80 ? "…" : ""}. The SDK's client serialises it with JSON.stringify.`,
      error,
    );
  }
}

export function unimplemented(what: string): Unary<unknown, never> {
  return () => {
    throw new DurableError("RouteNotFound", `${what} is not served by this version of the Durable Devkit sidecar.`);
  };
}
