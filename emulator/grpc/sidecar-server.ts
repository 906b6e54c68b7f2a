/**
 * The Durable Task gRPC endpoint (`durable-devkit start --grpc`): TaskHubSidecarService on 127.0.0.1, as the
 * Durable Task Scheduler emulator serves it on port 8080 (connection string
 * `Endpoint=http://localhost:8080;Authentication=None;TaskHub=default`). Plain HTTP/2 on loopback only: a web page
 * cannot speak gRPC to it (browsers do not send cleartext HTTP/2), and other machines cannot reach it.
 */
import * as grpc from "@grpc/grpc-js";
import { PortInUseError } from "../core/errors";
import type { GrpcWorkerPool } from "./grpc-worker-pool";
import { TaskHubSidecarServiceService, type ITaskHubSidecarServiceServer } from "./protocol";
import { sidecarService } from "./sidecar-service";
import { statusOf } from "./rpc-answers";
import type { TaskHub, TaskHubs } from "./task-hubs";

/** The Durable Task Scheduler emulator's gRPC port. */
export const DEFAULT_GRPC_PORT = 8080;

/**
 * Large completions must fit: grpc-js refuses a message over 4 MiB by default, and a fan-out of 5,000 activities
 * with 1 KB inputs is one orchestrator response of about 5 MB.
 */
const MAX_MESSAGE_BYTES = 256 * 1024 * 1024;

export interface SidecarServer {
  port: number;
  pool: GrpcWorkerPool;
  close(): Promise<void>;
}

type Service = ITaskHubSidecarServiceServer;
type Handler = (call: grpc.ServerUnaryCall<unknown, unknown> | grpc.ServerWritableStream<unknown, unknown>, callback?: grpc.sendUnaryData<unknown>) => void;

/**
 * TaskHubSidecarService for every hub: each call goes to the service of the hub its `taskhub` metadata names (one
 * per hub, made on its first call). A hub that cannot be opened answers the call with its error.
 */
function routedService(hubs: TaskHubs): Service {
  const services = new Map<TaskHub, Service>();
  const serviceOf = (hub: TaskHub) => {
    let service = services.get(hub);
    if (!service) services.set(hub, (service = sidecarService(hub.engine, hub.pool)));
    return service;
  };
  const routed: Record<string, Handler> = {};
  for (const [name, method] of Object.entries(TaskHubSidecarServiceService)) {
    routed[name] = (call, callback) => {
      const hubName = call.metadata.get("taskhub")[0];
      hubs.get(hubName === undefined ? undefined : hubName.toString()).then(
        (hub) => (serviceOf(hub) as unknown as Record<string, Handler>)[name](call, callback),
        (error: unknown) => {
          const status = statusOf(error);
          if (method.responseStream) (call as grpc.ServerWritableStream<unknown, unknown>).destroy(Object.assign(new Error(status.details), status));
          else callback?.(status as grpc.ServiceError);
        },
      );
    };
  }
  return routed as unknown as Service;
}

export async function listenSidecar(hubs: TaskHubs, port = DEFAULT_GRPC_PORT): Promise<SidecarServer> {
  const server = new grpc.Server({
    "grpc.max_receive_message_length": MAX_MESSAGE_BYTES,
    "grpc.max_send_message_length": MAX_MESSAGE_BYTES,
  });
  server.addService(TaskHubSidecarServiceService, routedService(hubs));
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, actual) => {
      if (error) {
        const inUse = /EADDRINUSE|address already in use/i.test(error.message);
        reject(
          inUse
            ? new PortInUseError(
                port,
                `Port ${port} is in use (the Durable Task Scheduler emulator's Docker container, or another emulator?). Stop it, or pass another port: --grpc ${port + 1}.`,
              )
            : new Error(`Could not listen for gRPC on 127.0.0.1:${port}: ${error.message}`),
        );
      } else resolve(actual);
    }),
  );
  return {
    port: bound,
    pool: hubs.defaultHub.pool,
    close: async () => {
      await new Promise<void>((resolve) => {
        hubs.defaultHub.pool.close();
        server.tryShutdown(() => resolve());
        // Streams a worker keeps open would hold a graceful shutdown forever.
        setTimeout(() => server.forceShutdown(), 2000).unref();
      });
      await hubs.close();
    },
  };
}
