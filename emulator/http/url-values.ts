/**
 * Values read out of a request URL of the dashboard's read API (path segments, query numbers, runtime statuses),
 * checked where they are read: a value the routes cannot use is a 400 that names it and says what would do, never a
 * failure further down (the SQLite store turned `top=1e21` into "datatype mismatch"; decodeURIComponent throws "URI
 * malformed"). The management API reads its query as Azure does instead (azure-query.ts).
 */
import type { RuntimeStatus } from "../api/types";
import { HttpError } from "./request-guard";

export const RUNTIME_STATUSES: readonly RuntimeStatus[] = ["Pending", "Running", "Completed", "ContinuedAsNew", "Failed", "Terminated", "Suspended"];

/** The largest 32-bit signed integer. */
export const MAX_INT32 = 2_147_483_647;

export function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new HttpError(400, `The path segment "${segment.slice(0, 200)}" is not valid percent-encoding; encode it with encodeURIComponent.`);
  }
}

/** A whole number in [min, max] written in plain digits, or undefined when the parameter is absent. */
export function wholeNumberParam(query: URLSearchParams, name: string, min: number, max: number): number | undefined {
  const text = query.get(name);
  if (text === null) return undefined;
  const value = /^\d{1,10}$/.test(text) ? Number(text) : Number.NaN;
  if (!(value >= min && value <= max)) throw new HttpError(400, `${name} must be a whole number from ${min} to ${max}, not "${text.slice(0, 100)}".`);
  return value;
}

/** A runtime status named in any letter case. */
export function runtimeStatusParam(text: string): RuntimeStatus {
  const match = RUNTIME_STATUSES.find((status) => status.toLowerCase() === text.toLowerCase());
  if (!match) throw new HttpError(400, `"${text.slice(0, 100)}" is not a runtime status. Use one of: ${RUNTIME_STATUSES.join(", ")}.`);
  return match;
}
