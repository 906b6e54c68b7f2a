/**
 * The entity RPCs of TaskHubSidecarService on the engine's entity client (the same one the Durable HTTP API and the
 * CLI use): SignalEntity, GetEntity, QueryEntities, CleanEntityStorage, and CompleteEntityTask for the workers.
 */
import type { Engine } from "../engine/engine";
import type { InstanceRecord } from "../api/types";
import { badRequest } from "../core/errors";
import { isEntityInstanceId, parseEntityInstanceId } from "../engine/entity-batch";
import type { GrpcWorkerPool } from "./grpc-worker-pool";
import { isoOf, millisOf, pb, stringValue, timestampOf, textOf, type ITaskHubSidecarServiceServer } from "./protocol";
import { jsonValue, unary } from "./rpc-answers";
import type { PayloadLimits } from "./payload-limits";

type EntityRpcs = Pick<ITaskHubSidecarServiceServer, "signalEntity" | "getEntity" | "queryEntities" | "cleanEntityStorage" | "completeEntityTask">;

/** QueryEntities' page size when the query names none (as DTS's default page). */
const DEFAULT_PAGE = 100;

function entityIdOf(instanceId: string): { name: string; key: string } {
  if (!isEntityInstanceId(instanceId))
    throw badRequest(`"${instanceId}" is not an entity instance id: it is @name@key, as EntityInstanceId.toString() writes it.`);
  return parseEntityInstanceId(instanceId);
}

/** An entity exists while it has state: one deleted, or never given state, is transient (DTS's includeTransient). */
function hasState(record: InstanceRecord): boolean {
  return record.entity?.exists === true && record.entity.state !== undefined;
}

function metadataOf(record: InstanceRecord, includeState: boolean, backlog: number): pb.EntityMetadata {
  const metadata = new pb.EntityMetadata();
  metadata.setInstanceid(record.instanceId);
  metadata.setLastmodifiedtime(timestampOf(record.lastUpdatedTime));
  metadata.setBacklogqueuesize(backlog);
  if (record.entity?.lockedBy) metadata.setLockedby(stringValue(record.entity.lockedBy));
  if (includeState && hasState(record)) metadata.setSerializedstate(stringValue(record.entity?.state));
  return metadata;
}

export function entityRpcs(engine: Engine, pool: GrpcWorkerPool, limits: PayloadLimits): EntityRpcs {
  return {
    signalEntity: unary(async (request: pb.SignalEntityRequest) => {
      const { name, key } = entityIdOf(request.getInstanceid());
      limits.check(textOf(request.getInput()), `input of operation '${request.getName()}'`, request.getInstanceid());
      await engine.signalEntity(name, key, request.getName(), jsonValue(textOf(request.getInput()), "entity operation input"), {
        scheduledTime: isoOf(request.getScheduledtime()),
      });
      return new pb.SignalEntityResponse();
    }),

    getEntity: unary((request: pb.GetEntityRequest) => {
      entityIdOf(request.getInstanceid());
      const record = engine.getRecord(request.getInstanceid());
      const response = new pb.GetEntityResponse();
      response.setExists(record?.entity !== undefined && hasState(record));
      if (record?.entity && hasState(record)) response.setEntity(metadataOf(record, request.getIncludestate(), engine.queuedMessages(record.instanceId)));
      return response;
    }),

    queryEntities: unary((request: pb.QueryEntitiesRequest) => {
      const query = request.getQuery();
      const prefix = textOf(query?.getInstanceidstartswith()) ?? "";
      const from = millisOf(query?.getLastmodifiedfrom());
      const to = millisOf(query?.getLastmodifiedto());
      const matching = engine
        .listEntities()
        .filter((record) => record.instanceId.startsWith(prefix))
        .filter((record) => query?.getIncludetransient() === true || hasState(record))
        .filter((record) => (from === undefined || Date.parse(record.lastUpdatedTime) >= from) && (to === undefined || Date.parse(record.lastUpdatedTime) < to))
        .sort((a, b) => (a.instanceId < b.instanceId ? -1 : a.instanceId > b.instanceId ? 1 : 0));
      // The continuation token is the last id of the page before: ids sort, so a page holds across new entities.
      const after = textOf(query?.getContinuationtoken());
      const start = after ? matching.findIndex((record) => record.instanceId > after) : 0;
      const size = query?.getPagesize()?.getValue() || DEFAULT_PAGE;
      const page = start < 0 ? [] : matching.slice(start, start + size);
      const response = new pb.QueryEntitiesResponse();
      response.setEntitiesList(page.map((record) => metadataOf(record, query?.getIncludestate() === true, engine.queuedMessages(record.instanceId))));
      if (start >= 0 && start + size < matching.length) response.setContinuationtoken(stringValue(page[page.length - 1].instanceId));
      return response;
    }),

    cleanEntityStorage: unary(async (request: pb.CleanEntityStorageRequest) => {
      const response = new pb.CleanEntityStorageResponse();
      // Orphaned locks first: an entity they free may then be empty.
      if (request.getReleaseorphanedlocks()) response.setOrphanedlocksreleased(await engine.releaseOrphanedLocks());
      if (request.getRemoveemptyentities()) response.setEmptyentitiesremoved(await engine.cleanEntityStorage());
      return response;
    }),

    completeEntityTask: unary((request: pb.EntityBatchResult) => {
      pool.completeEntity(request);
      return new pb.CompleteTaskResponse();
    }),
  };
}
