/** Filtering and paging of instance lists, shared by the stores so both answer a query the same way. */
import type { InstanceQuery, InstanceRecord, InstancePage } from "../api/types";
import { badRequest } from "../core/errors";

interface PageCursor {
  createdTime: string;
  instanceId: string;
}

export function encodeContinuationToken(cursor: PageCursor): string {
  return Buffer.from(JSON.stringify([cursor.createdTime, cursor.instanceId])).toString("base64url");
}

export function decodeContinuationToken(token: string): PageCursor {
  try {
    const [createdTime, instanceId] = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as [string, string];
    if (typeof createdTime === "string" && typeof instanceId === "string") return { createdTime, instanceId };
  } catch {
    // fall through to the error below
  }
  throw badRequest(`The continuation token "${token}" is not one this emulator issued. Start the listing again without it.`);
}

/** Instances are listed oldest first, ties broken by id: a stable order for paging. */
export function compareForListing(a: InstanceRecord, b: InstanceRecord): number {
  if (a.createdTime !== b.createdTime) return a.createdTime < b.createdTime ? -1 : 1;
  return a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0;
}

export function matchesQuery(record: InstanceRecord, query: InstanceQuery): boolean {
  if ((record.entity !== undefined) !== (query.entities === true)) return false;
  if (query.runtimeStatus?.length && !query.runtimeStatus.includes(record.runtimeStatus)) return false;
  if (query.createdTimeFrom && record.createdTime < query.createdTimeFrom) return false;
  if (query.createdTimeTo && record.createdTime > query.createdTimeTo) return false;
  if (query.instanceIdPrefix && !record.instanceId.startsWith(query.instanceIdPrefix)) return false;
  if (query.name && record.name !== query.name) return false;
  return true;
}

/** Pages an already filtered, sorted list. */
export function pageOf(sorted: InstanceRecord[], query: InstanceQuery): InstancePage {
  let start = 0;
  if (query.continuationToken) {
    const cursor = decodeContinuationToken(query.continuationToken);
    start = sorted.findIndex((record) => compareForListing(record, { ...record, ...cursor }) > 0);
    if (start < 0) start = sorted.length;
  }
  const end = query.top && query.top > 0 ? Math.min(sorted.length, start + query.top) : sorted.length;
  const instances = sorted.slice(start, end);
  const last = instances[instances.length - 1];
  return {
    instances,
    continuationToken: end < sorted.length && last ? encodeContinuationToken(last) : undefined,
  };
}
