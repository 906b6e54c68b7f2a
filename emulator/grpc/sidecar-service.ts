/**
 * TaskHubSidecarService on the engine: the client RPCs a Durable Task SDK's client calls become the engine's client
 * API (the same one the Durable HTTP API and the CLI use), the worker RPCs go to the worker pool. A refusal answers
 * the gRPC status its DurableError code maps to (core/errors.ts), with the engine's message as the details.
 */
import * as grpc from "@grpc/grpc-js";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import type { Timestamp } from "google-protobuf/google/protobuf/timestamp_pb";
import type { Engine } from "../engine/engine";
import { DurableError } from "../core/errors";
import { isTerminal, type InstanceQuery, type RuntimeStatus } from "../api/types";
import type { GrpcWorkerPool } from "./grpc-worker-pool";
import { entityRpcs } from "./entity-service";
import { PayloadLimits } from "./payload-limits";
import { descendantsOf, purgeDescendants, terminateDescendants } from "./instance-tree";
import { jsonValue, statusOf, unary, unimplemented } from "./rpc-answers";
import { toProtoEvents } from "./history-translation";
import { orchestrationStateOf, runtimeStatusOf } from "./instance-state-translation";
import { isoOf, millisOf, pb, stringValue, textOf, type ITaskHubSidecarServiceServer } from "./protocol";

/** History events per HistoryChunk of StreamInstanceHistory. */
const HISTORY_CHUNK = 200;

function statusesOf(list: pb.OrchestrationStatus[]): RuntimeStatus[] | undefined {
  const statuses = list.map(runtimeStatusOf).filter((s): s is RuntimeStatus => s !== undefined);
  return statuses.length ? statuses : undefined;
}

/**
 * A start time still to come, else none: durabletask-js 0.4.0 sends the Unix epoch when no start time is given
 * (client.ts scheduleNewOrchestration), and a time already past means now.
 */
function futureStart(stamp: Timestamp | undefined): string | undefined {
  const ms = millisOf(stamp);
  return ms !== undefined && ms > Date.now() ? new Date(ms).toISOString() : undefined;
}

export function sidecarService(engine: Engine, pool: GrpcWorkerPool): ITaskHubSidecarServiceServer {
  const limits = new PayloadLimits((message, instanceId) => engine.warn(message, instanceId));
  /** Resolves when the instance leaves Pending (or has finished), or rejects after the call's deadline. */
  const waitFor = (instanceId: string, reached: (status: RuntimeStatus) => boolean, call: grpc.ServerUnaryCall<unknown, unknown>) =>
    new Promise<void>((resolve, reject) => {
      const current = engine.getRecord(instanceId);
      if (!current) return reject(new DurableError("InstanceNotFound", `No orchestration instance has the id "${instanceId}".`, { instanceId }));
      if (reached(current.runtimeStatus)) return resolve();
      const off = engine.on((event) => {
        if (event.kind === "instanceUpdated" && event.instance.instanceId === instanceId && reached(event.instance.runtimeStatus)) {
          off();
          resolve();
        }
      });
      call.on("cancelled", () => {
        off();
        reject(new Error("The client gave up waiting."));
      });
    });

  const instanceResponse = (instanceId: string, withPayloads: boolean) => {
    const response = new pb.GetInstanceResponse();
    const record = engine.getRecord(instanceId);
    response.setExists(record !== undefined && !record.entity);
    if (record && !record.entity) response.setOrchestrationstate(orchestrationStateOf(record, withPayloads));
    return response;
  };

  return {
    hello: unary(() => new Empty()),

    startInstance: unary(async (request: pb.CreateInstanceRequest) => {
      const replaceable = request.getOrchestrationidreusepolicy()?.getReplaceablestatusList();
      const existing = request.getInstanceid() ? engine.getRecord(request.getInstanceid()) : undefined;
      if (existing && replaceable && replaceable.length && !statusesOf(replaceable)?.includes(existing.runtimeStatus)) {
        throw new DurableError(
          "InstanceAlreadyExists",
          `An orchestration instance with the id "${existing.instanceId}" already exists and is ${existing.runtimeStatus}, which the id reuse policy does not replace.`,
          { instanceId: existing.instanceId, runtimeStatus: existing.runtimeStatus },
        );
      }
      limits.check(textOf(request.getInput()), "input", request.getInstanceid() || request.getName());
      const instanceId = await engine.startNew(request.getName(), {
        instanceId: request.getInstanceid() || undefined,
        input: jsonValue(textOf(request.getInput()), "orchestration input"),
        version: textOf(request.getVersion()),
        scheduledStartTime: futureStart(request.getScheduledstarttimestamp()),
      });
      const response = new pb.CreateInstanceResponse();
      response.setInstanceid(instanceId);
      return response;
    }),

    getInstance: unary((request: pb.GetInstanceRequest) => instanceResponse(request.getInstanceid(), request.getGetinputsandoutputs())),

    waitForInstanceStart: unary(async (request: pb.GetInstanceRequest, call) => {
      await waitFor(request.getInstanceid(), (status) => status !== "Pending", call);
      return instanceResponse(request.getInstanceid(), request.getGetinputsandoutputs());
    }),

    waitForInstanceCompletion: unary(async (request: pb.GetInstanceRequest, call) => {
      // ContinuedAsNew is a passing state: the next execution starts under the same id.
      await waitFor(request.getInstanceid(), isTerminal, call);
      return instanceResponse(request.getInstanceid(), request.getGetinputsandoutputs());
    }),

    raiseEvent: unary(async (request: pb.RaiseEventRequest) => {
      limits.check(textOf(request.getInput()), `data of event '${request.getName()}'`, request.getInstanceid());
      await engine.raiseEvent(request.getInstanceid(), request.getName(), jsonValue(textOf(request.getInput()), "event data"));
      return new pb.RaiseEventResponse();
    }),

    terminateInstance: unary(async (request: pb.TerminateRequest) => {
      const output = jsonValue(textOf(request.getOutput()), "termination output");
      const reason = output === undefined ? undefined : typeof output === "string" ? output : JSON.stringify(output);
      await engine.terminate(request.getInstanceid(), reason);
      if (request.getRecursive()) await terminateDescendants(engine, request.getInstanceid(), reason);
      return new pb.TerminateResponse();
    }),

    suspendInstance: unary(async (request: pb.SuspendRequest) => {
      await engine.suspend(request.getInstanceid(), textOf(request.getReason()));
      return new pb.SuspendResponse();
    }),

    resumeInstance: unary(async (request: pb.ResumeRequest) => {
      await engine.resume(request.getInstanceid(), textOf(request.getReason()));
      return new pb.ResumeResponse();
    }),

    rewindInstance: unary(async (request: pb.RewindInstanceRequest) => {
      await engine.rewind(request.getInstanceid(), textOf(request.getReason()));
      return new pb.RewindInstanceResponse();
    }),

    restartInstance: unary(async (request: pb.RestartInstanceRequest) => {
      const response = new pb.RestartInstanceResponse();
      response.setInstanceid(await engine.restart(request.getInstanceid(), { newInstanceId: request.getRestartwithnewinstanceid() }));
      return response;
    }),

    queryInstances: unary((request: pb.QueryInstancesRequest) => {
      const query = request.getQuery();
      const filter: InstanceQuery = {
        runtimeStatus: statusesOf(query?.getRuntimestatusList() ?? []),
        createdTimeFrom: isoOf(query?.getCreatedtimefrom()),
        createdTimeTo: isoOf(query?.getCreatedtimeto()),
        instanceIdPrefix: textOf(query?.getInstanceidprefix()) || undefined,
        top: query?.getMaxinstancecount() || undefined,
        continuationToken: textOf(query?.getContinuationtoken()) || undefined,
      };
      const page = engine.list(filter);
      const response = new pb.QueryInstancesResponse();
      response.setOrchestrationstateList(page.instances.map((record) => orchestrationStateOf(record, query?.getFetchinputsandoutputs() === true)));
      response.setContinuationtoken(stringValue(page.continuationToken));
      return response;
    }),

    listInstanceIds: unary((request: pb.ListInstanceIdsRequest) => {
      const from = millisOf(request.getCompletedtimefrom());
      const to = millisOf(request.getCompletedtimeto());
      const page = engine.list({
        runtimeStatus: statusesOf(request.getRuntimestatusList()),
        top: request.getPagesize() || undefined,
        continuationToken: textOf(request.getLastinstancekey()) || undefined,
      });
      const completedIn = (iso: string) => (from === undefined || Date.parse(iso) >= from) && (to === undefined || Date.parse(iso) < to);
      const response = new pb.ListInstanceIdsResponse();
      response.setInstanceidsList(
        page.instances
          .filter((record) => (from === undefined && to === undefined) || (isTerminal(record.runtimeStatus) && completedIn(record.lastUpdatedTime)))
          .map((record) => record.instanceId),
      );
      response.setLastinstancekey(stringValue(page.continuationToken));
      return response;
    }),

    purgeInstances: unary(async (request: pb.PurgeInstancesRequest) => {
      const response = new pb.PurgeInstancesResponse();
      const filter = request.getPurgeinstancefilter();
      const batch = request.getInstancebatch();
      let deleted = 0;
      // A recursive purge also takes the sub-orchestrations, found before their parents' records go.
      const descendants = (ids: string[]) => (request.getRecursive() ? ids.flatMap((id) => descendantsOf(engine, id)) : []);
      if (filter) {
        const query: InstanceQuery = {
          runtimeStatus: statusesOf(filter.getRuntimestatusList()),
          createdTimeFrom: isoOf(filter.getCreatedtimefrom()),
          createdTimeTo: isoOf(filter.getCreatedtimeto()),
        };
        const children = descendants(
          engine
            .list(query)
            .instances.filter((record) => isTerminal(record.runtimeStatus))
            .map((record) => record.instanceId),
        );
        deleted = await engine.purgeWhere(query);
        deleted += await purgeDescendants(engine, children);
      } else {
        const ids = batch ? batch.getInstanceidsList() : [request.getInstanceid()];
        const children = descendants(ids);
        for (const id of ids) if (engine.getRecord(id) && (await engine.purge(id))) deleted++;
        deleted += await purgeDescendants(engine, children);
      }
      response.setDeletedinstancecount(deleted);
      return response;
    }),

    streamInstanceHistory: (call) => {
      try {
        // For a worker processing an episode: that episode's past, as it was handed out (pastEvents left empty).
        const episodePast = call.request.getForworkitemprocessing() ? pool.pastEventsFor(call.request.getInstanceid()) : undefined;
        const events = episodePast ?? toProtoEvents(engine.getHistory(call.request.getInstanceid()));
        for (let i = 0; i < events.length; i += HISTORY_CHUNK) {
          const chunk = new pb.HistoryChunk();
          chunk.setEventsList(events.slice(i, i + HISTORY_CHUNK));
          call.write(chunk);
        }
        call.end();
      } catch (error) {
        call.destroy(Object.assign(new Error(statusOf(error).details), statusOf(error)));
      }
    },

    getWorkItems: (call) => {
      pool.connect(call);
    },

    completeOrchestratorTask: unary((request: pb.OrchestratorResponse) => {
      pool.completeOrchestration(request);
      return new pb.CompleteTaskResponse();
    }),

    completeActivityTask: unary((request: pb.ActivityResponse) => {
      pool.completeActivity(request);
      return new pb.CompleteTaskResponse();
    }),

    abandonTaskOrchestratorWorkItem: unary((request: pb.AbandonOrchestrationTaskRequest) => {
      pool.abandon(request.getCompletiontoken());
      return new pb.AbandonOrchestrationTaskResponse();
    }),

    abandonTaskActivityWorkItem: unary((request: pb.AbandonActivityTaskRequest) => {
      pool.abandon(request.getCompletiontoken());
      return new pb.AbandonActivityTaskResponse();
    }),

    abandonTaskEntityWorkItem: unary((request: pb.AbandonEntityTaskRequest) => {
      pool.abandon(request.getCompletiontoken());
      return new pb.AbandonEntityTaskResponse();
    }),

    ...entityRpcs(engine, pool, limits),
    createTaskHub: unary(() => new pb.CreateTaskHubResponse()),
    // The Java SDK's client.deleteTaskHub(): the hub's instances and entities go, running ones too, as the hub goes.
    deleteTaskHub: unary(async () => {
      const deleted = await engine.purgeWhere({}, { includeUnfinished: true, includeEntities: true });
      engine.warn(`DeleteTaskHub: the task hub's ${deleted} instance${deleted === 1 ? "" : "s"} and entities were deleted, running ones too.`);
      return new pb.DeleteTaskHubResponse();
    }),
    skipGracefulOrchestrationTerminations: unary(unimplemented("SkipGracefulOrchestrationTerminations")),
  };
}
